"""Scale-out on Dask: same numbers as the serial run, no lost or repeated work, clear errors.

The cluster tests share one LocalCluster of two worker processes (as ``--dask local:2``).
"""

from __future__ import annotations

import os
import signal
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer

from sanqu_geo import demand, engine, network, peak, scaleout, scenarios, sensitivity, travel
from sanqu_geo.cli import app, main
from sanqu_geo.cli._common import expand_bare_options
from sanqu_geo.errors import ClusterError, SettingsError

# Both draws of this seed pass the calibration band (the run needs 2 accepted of 2).
DRAWS, SEED = 2, 5


@pytest.fixture(scope="module")
def client():
    with scaleout.connect("local:2") as c:
        yield c


@pytest.fixture(scope="module")
def serial_mc() -> sensitivity.MonteCarlo:
    return sensitivity.run(DRAWS, seed=SEED)


@pytest.fixture(scope="module")
def graph_and_places():
    G = network.load_network("trunk", profile="car")
    places = travel.load_places("all")
    return G, places


def _kill_one_worker(client) -> int:
    pids = client.run(os.getpid)
    pid = sorted(pids.values())[0]
    os.kill(pid, signal.SIGKILL)
    return pid


# --------------------------------------------------------------------------- draws


def test_a_draw_depends_on_the_seed_and_its_index_only() -> None:
    few = sensitivity.draw_parameters(5, seed=3)
    many = sensitivity.draw_parameters(40, seed=3)
    pd.testing.assert_frame_equal(few, many.iloc[:5])
    other = sensitivity.draw_parameters(5, seed=4)
    assert not np.allclose(few["capacity"], other["capacity"])
    # The same child generator as numpy's own spawn, used in PARAMETERS order.
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(3)[2])
    assert few.loc[2, "demand_growth"] == rng.triangular(0.8, 1.0, 1.2)
    assert few.loc[2, "capacity"] == rng.triangular(0.8, 1.0, 1.2)
    assert few.loc[2, "truck_pce"] == rng.triangular(1.5, 2.5, 4.0)


def test_the_shipped_distributions_are_what_the_draws_follow() -> None:
    draws = sensitivity.draw_parameters(4000, seed=0)
    assert draws["truck_pce"].between(1.5, 4.0).all()
    assert draws["truck_pce"].mean() == pytest.approx(8 / 3, abs=0.03)  # triangular(1.5, 2.5, 4)
    assert draws["capacity"].mean() == pytest.approx(1.0, abs=0.01)  # symmetric triangular
    assert draws["conical_alpha"].mean() == pytest.approx((3 + 4 + 6) / 3, abs=0.03)
    assert draws["conical_alpha"].between(3.0, 6.0).all()


def test_a_user_file_overrides_one_parameter(tmp_path: Path) -> None:
    path = tmp_path / "mc.toml"
    path.write_text(
        '[truck_pce]\ndistribution = "normal"\nmean = 2.5\nsd = 0.5\nlow = 2.0\nhigh = 3.0\n',
        encoding="utf-8",
    )
    dists = sensitivity.load_distributions(path)
    assert dists["truck_pce"].kind == "normal"
    assert dists["capacity"].kind == "triangular"  # kept from the defaults
    draws = sensitivity.draw_parameters(300, seed=1, distributions=dists)
    assert draws["truck_pce"].between(2.0, 3.0).all()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[capacity]\ndistribution = "lognormal"\n', "distribution must be one of"),
        ('[capacity]\ndistribution = "uniform"\nlow = 1.2\nhigh = 0.8\n', "low <= mode <= high"),
        ('[capacity]\ndistribution = "uniform"\nlow = 0.8\n', "needs a number `high`"),
        ('[demand]\ndistribution = "fixed"\nvalue = 1\n', "unknown field(s) demand"),
        ('[capacity]\ndistribution = "fixed"\nvalue = 0\n', "capacity must stay above 0"),
    ],
)
def test_bad_distribution_files_name_the_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "mc.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        sensitivity.load_distributions(path)


# --------------------------------------------------------------------------- units and summary


def test_each_unit_is_the_peak_assignment_of_its_draw(serial_mc) -> None:
    """A draw's vehicle-hours equal an independent peak solve with the same variant."""
    sc = scenarios.load_scenario()
    option = next(o for o in sc.options if o.id == "second_passage_ph1")
    row = serial_mc.draws.iloc[1]
    variant = peak.Variant(
        demand_scale=row["demand_growth"],
        capacity_scale=row["capacity"],
        truck_pce=row["truck_pce"],
        conical_alpha=row["conical_alpha"],
    )
    # The draw's own demand: the default generated again with its structural multipliers.
    d = demand.load_demand()
    params = demand.parameters_for(demand.load_parameters(), "trunk")
    params = sensitivity.structural_parameters(params, row.to_dict())
    od = demand.generate(d.zones, demand.zone_minutes(d.zones), params)
    d = demand.Demand(d.zones, demand._long(list(d.zones["id"]), od), "draw", 10.0, d.pce)
    base_run = peak.solve(None, demand_=d, variant=variant)
    base = sum(base_run.vehicle_hours().values())
    after = sum(peak.solve(option, demand_=d, variant=variant).vehicle_hours().values())
    assert row["base_vehicle_hours"] == pytest.approx(base, rel=1e-12)
    assert row["base_delay_index"] == pytest.approx(peak.delay_index(base_run), rel=1e-12)
    assert row["saved_second_passage_ph1"] == pytest.approx(base - after, rel=1e-9)
    runs = serial_mc.runs
    assert runs["relative_gap"].max() <= peak.default_gap
    assert "art_harbin_west" in serial_mc.not_scored  # a rail link is not assigned as a road
    assert len(runs) == DRAWS * 18 and not runs.duplicated(["draw", "option"]).any()


def test_summary_by_hand() -> None:
    sc = scenarios.load_scenario()
    roads = [o for o in sc.options if o.id in ("second_passage_ph1", "second_passage_full")]
    roads.append(next(o for o in sc.options if o.id == "last_mile"))
    saved = pd.DataFrame(
        {
            "second_passage_ph1": [10.0, 30.0, 5.0, 7.0],
            "second_passage_full": [20.0, 30.0, 1.0, -2.0],
            "last_mile": [1.0, 2.0, 8.0, 3.0],
        }
    )
    s = sensitivity._summarise(saved, roads).set_index("option")
    # Draw 1 ties the two passage options: half a first place each.
    assert s.loc["second_passage_ph1", "p_rank_first"] == pytest.approx((0 + 0.5 + 0 + 1) / 4)
    assert s.loc["second_passage_full", "p_rank_first"] == pytest.approx((1 + 0.5) / 4)
    assert s.loc["last_mile", "p_rank_first"] == pytest.approx(1 / 4)
    assert s.loc["last_mile", "p_first_in_group"] == 1.0  # alone in its group
    assert s.loc["second_passage_ph1", "p_first_in_group"] == pytest.approx(2.5 / 4)
    assert s.loc["second_passage_full", "mean"] == pytest.approx(12.25)
    assert s.loc["second_passage_full", "p50"] == pytest.approx(10.5)
    assert s.loc["second_passage_full", "share_saving"] == 0.75
    assert s.loc["second_passage_ph1", "p5"] == pytest.approx(5 + 0.15 * 2)  # linear, numpy


def test_the_ordered_writer_refuses_a_repeated_block(tmp_path: Path) -> None:
    block = np.ones((2, 3))
    repeated = iter([(slice(0, 2), block), (slice(0, 2), block), (slice(2, 4), block)])
    with pytest.raises(ValueError, match="does not follow row 2"):
        engine.write_od_blocks(repeated, list("abcd"), list("xyz"), tmp_path / "od.parquet")
    assert not (tmp_path / "od.parquet").exists()


# --------------------------------------------------------------------------- on the cluster


@pytest.mark.parametrize("batch", [1, 7])
def test_sensitivity_on_two_workers_equals_the_serial_run(client, serial_mc, batch) -> None:
    runner = scaleout.Runner(client)
    assert runner.workers == 2
    mc = sensitivity.run(DRAWS, seed=SEED, runner=runner, batch=batch)
    pd.testing.assert_frame_equal(mc.runs, serial_mc.runs)
    pd.testing.assert_frame_equal(mc.draws, serial_mc.draws)
    pd.testing.assert_frame_equal(mc.summary, serial_mc.summary)


def test_batches_give_every_item_once_in_order(client) -> None:
    import operator

    runner = scaleout.Runner(client)
    ten = runner.share(10)
    got = list(runner.map(operator.add, list(range(11)), ten, batch=3, ordered=True, window=4))
    assert got == [(i, 10 + i) for i in range(11)]
    unordered = dict(runner.map(operator.add, list(range(11)), ten, batch=4))
    assert unordered == {i: 10 + i for i in range(11)}


def test_od_on_two_workers_equals_the_serial_od(client, graph_and_places, tmp_path) -> None:
    G, places = graph_and_places
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        reference = travel.place_od(G, places, places) / 60
        here = scaleout.place_od_to_parquet(G, places, places, tmp_path / "here.parquet")
        there = scaleout.place_od_to_parquet(
            G, places, places, tmp_path / "there.parquet",
            runner=scaleout.Runner(client), block_rows=3,
        )  # fmt: skip
    a, b = pd.read_parquet(here), pd.read_parquet(there)
    pd.testing.assert_frame_equal(a, b)
    wide = b.pivot(index="origin", columns="destination", values="minutes")
    ids = list(places["id"])
    np.testing.assert_allclose(wide.loc[ids, ids].to_numpy(), reference.to_numpy(), rtol=1e-12)


def test_a_worker_killed_mid_sensitivity_loses_and_repeats_nothing(client, serial_mc) -> None:
    killed: list[int] = []

    def kill_once(done: int, total: int) -> None:
        if not killed:
            killed.append(_kill_one_worker(client))

    # both workers up (a worker killed by an earlier test may still be restarting): the shared
    # problem is broadcast to each, so killing one cannot lose it
    client.wait_for_workers(2, timeout=120)
    mc = sensitivity.run(
        DRAWS, seed=SEED, runner=scaleout.Runner(client), batch=7, progress=kill_once
    )
    assert killed
    assert not mc.runs.duplicated(["draw", "option"]).any()
    pd.testing.assert_frame_equal(mc.runs, serial_mc.runs)
    pd.testing.assert_frame_equal(mc.summary, serial_mc.summary)
    client.wait_for_workers(2, timeout=60)


def test_a_worker_killed_mid_od_loses_and_repeats_no_block(
    client, graph_and_places, tmp_path
) -> None:
    G, places = graph_and_places
    killed: list[int] = []

    def kill_once(done: int, total: int) -> None:
        if not killed:
            killed.append(_kill_one_worker(client))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        path = scaleout.place_od_to_parquet(
            G, places, places, tmp_path / "od.parquet",
            runner=scaleout.Runner(client), block_rows=1, progress=kill_once,
        )  # fmt: skip
        reference = scaleout.place_od_to_parquet(G, places, places, tmp_path / "ref.parquet")
    assert killed
    got = pd.read_parquet(path)
    assert len(got) == len(places) ** 2
    assert not got.duplicated(["origin", "destination"]).any()
    pd.testing.assert_frame_equal(got, pd.read_parquet(reference))
    client.wait_for_workers(2, timeout=60)


def test_a_task_that_keeps_killing_its_worker_is_one_clear_error() -> None:
    import dask

    # os._exit ends the worker process that runs the task, as running out of memory would.
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        scaleout.connect("local:1") as c,
        pytest.raises(ClusterError, match="died again and again"),
    ):
        list(scaleout.Runner(c).map(os._exit, [1]))


# --------------------------------------------------------------------------- command line


def test_a_bare_dask_means_a_local_cluster() -> None:
    od = typer.main.get_command(app).commands["od"]

    def parsed(args: list[str]) -> str | None:
        return od.make_context("od", expand_bare_options(args)).params["dask"]

    assert parsed(["--out", "x.parquet", "--dask"]) == "local"
    assert parsed(["--dask", "--out", "x.parquet"]) == "local"
    assert parsed(["--dask", "tcp://10.0.0.5:8786", "--out", "x.parquet"]) == "tcp://10.0.0.5:8786"
    assert parsed(["--dask=local:3", "--out", "x.parquet"]) == "local:3"
    assert parsed(["--out", "x.csv"]) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["od", "--out", "{tmp}/od.parquet", "--dask", "tcp://127.0.0.1:9"], "no Dask scheduler"),
        (["od", "--out", "{tmp}/od.parquet", "--dask", "zones.csv"], "give `local`, `local:N`"),
        (
            [
                "corridors",
                "compare",
                "--out",
                "{tmp}/cmp",
                "--sensitivity",
                "2",
                "--dask",
                "tcp://127.0.0.1:9",
            ],
            "no Dask scheduler",
        ),
    ],
)
def test_a_bad_scheduler_is_one_line_and_exit_2(
    args: list[str], expected: str, tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setattr(scaleout, "connect_timeout_s", 1.0)
    assert main([a.replace("{tmp}", str(tmp_path)) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err
    assert len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []  # nothing written, and before any work


def test_od_dask_needs_a_parquet_output(tmp_path: Path, capsys) -> None:
    assert main(["od", "--out", str(tmp_path / "od.csv"), "--dask", "local"]) == 2
    assert "--out FILE.parquet" in capsys.readouterr().err


def test_compare_with_fixed_parameters_gives_the_central_saving(tmp_path: Path, capsys) -> None:
    """All parameters fixed at their defaults: every draw is the central comparison."""
    params = tmp_path / "fixed.toml"
    params.write_text(
        "\n".join(
            f'[{name}]\ndistribution = "fixed"\nvalue = {value}\n'
            for name, value in (
                ("demand_growth", 1.0),
                ("capacity", 1.0),
                ("truck_pce", 2.5),
                ("conical_alpha", 4.0),
                ("beta_car", 1.0),
                ("generator_trips", 1.0),
                ("intrazonal_minutes", 1.0),
            )
        ),
        encoding="utf-8",
    )
    out = tmp_path / "cmp"
    args = ["corridors", "compare", "--out", str(out), "--no-sensitivity"]
    args += ["--sensitivity", "2", "--seed", "5", "--sensitivity-params", str(params)]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Monte-Carlo sensitivity (2 draws" in text
    summary = pd.read_csv(out / "monte_carlo.csv", encoding="utf-8-sig")
    row = summary[summary["方案 Option"] == "second_passage_ph1"].iloc[0]
    option = next(o for o in scenarios.load_scenario().options if o.id == "second_passage_ph1")
    central = sum(peak.solve(None).vehicle_hours().values()) - sum(
        peak.solve(option).vehicle_hours().values()
    )
    assert row["平均节省车小时 Mean veh·h saved"] == pytest.approx(central, abs=0.006)
    assert row["P5 节省车小时 veh·h saved"] == row["P95 节省车小时 veh·h saved"]
    import openpyxl

    sheets = openpyxl.load_workbook(out / "comparison.xlsx", read_only=True).sheetnames
    assert "蒙特卡洛 Monte Carlo" in sheets and "方案排名 Ranking" in sheets
    notes = (out / "summary.md").read_text(encoding="utf-8")
    assert notes.count("## 蒙特卡洛敏感性") == 1 and "seed 5" in notes
    index = peak.delay_index(peak.solve(None))
    assert f"P5 {index:.2f}, P50 {index:.2f}, P95 {index:.2f}" in notes
    assert (out / "monte_carlo_draws.csv").is_file()


def test_dask_options_need_draws(capsys) -> None:
    assert main(["corridors", "compare", "--seed", "3"]) == 2
    assert "--sensitivity N" in capsys.readouterr().err


# ------------------------------------------------------------------ bounds and waits


def test_local_worker_count_has_a_stated_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert scaleout.max_local_workers() == 6 * scaleout.local_workers_per_core
    assert scaleout.parse_address("local:24") == ("local", 24)
    with pytest.raises(SettingsError, match=r"local:25: at most 24 local worker processes"):
        scaleout.parse_address("local:25")
    monkeypatch.setattr(os, "cpu_count", lambda: 512)
    assert scaleout.max_local_workers() == scaleout.local_workers_limit == 64
    for bad in ("local:²", "local:٣", "local:0", "local:+3", "local: 3"):
        with pytest.raises(SettingsError, match="whole number from 1 to 64"):
            scaleout.parse_address(bad)


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("tcp://10.0.0.5:8786", True),
        ("tcp://scheduler.example", True),  # Dask's default port
        ("tcp://[::1]:8786", True),
        ("tls://host:8786", True),
        ("tcp://host:0", False),
        ("tcp://host:65536", False),
        ("tcp://host:８７８６", False),  # full-width digits
        ("tcp://::1:8786", False),
        ("tcp://host:8786/path", False),
        ("tcp://us er:8786", False),
    ],
)
def test_scheduler_addresses(address: str, ok: bool) -> None:
    if ok:
        assert scaleout.parse_address(address) == (address, None)
    else:
        with pytest.raises(SettingsError, match=r"--dask .*tcp://HOST:8786"):
            scaleout.parse_address(address)


def _listener(answer: bytes | None) -> tuple[int, object]:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer is not None:
                conn.sendall(answer)

    threading.Thread(target=loop, daemon=True).start()
    return server.getsockname()[1], server


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (None, "something listens there but no Dask scheduler answered within 1 s"),
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", "not a Dask scheduler"),
        (b"\x00" * 8, "not a Dask scheduler"),  # a size of 0
    ],
)
def test_a_server_that_is_not_dask_is_refused_in_time(answer: bytes | None, match: str) -> None:
    import time

    port, server = _listener(answer)
    started = time.monotonic()
    with (
        pytest.raises(ClusterError, match=match),
        scaleout.connect(f"tcp://127.0.0.1:{port}", timeout=1),
    ):
        pass
    assert time.monotonic() - started < 3
    server.close()


def test_the_probe_lets_a_real_scheduler_through(client) -> None:
    address = client.scheduler.address
    assert address.startswith("tcp://")
    with scaleout.connect(address, timeout=5) as other:
        assert len(other.nthreads()) == 2


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e9, True])
def test_a_bad_connect_timeout_is_refused(timeout: float) -> None:
    with (
        pytest.raises(SettingsError, match="timeout"),
        scaleout.connect("tcp://127.0.0.1:9", timeout=timeout),
    ):
        pass
