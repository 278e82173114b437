"""``sanqu-geo assign`` run in-process: outputs on a real TNTP problem, and bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanqu_geo import tntp
from sanqu_geo.cli import main


@pytest.fixture(scope="module")
def sioux_falls() -> Path:
    folder = Path(__file__).resolve().parents[1].parent / "shared/reference/tntp/SiouxFalls"
    if not folder.is_dir():
        pytest.skip(f"TNTP reference data not found at {folder}")
    return folder


def test_assign_writes_link_flows_and_summary(
    sioux_falls: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    (tmp_path / "out").mkdir()
    (out / "keep.txt").write_text("other work", encoding="utf-8")
    args = ["assign", "--tntp", str(sioux_falls), "--gap", "1e-7", "--out", str(out)]
    # a folder holding other files is refused before the work, unless --force
    assert main(args) == 2
    assert "--force" in capsys.readouterr().err
    assert not (out / "link_flows.csv").exists()
    assert main([*args, "--force"]) == 0
    assert "converged" in capsys.readouterr().out
    assert (out / "keep.txt").read_text(encoding="utf-8") == "other work"
    # a second run into its own folder needs no --force
    assert main(args) == 0
    flows = pd.read_csv(out / "link_flows.csv")
    assert list(flows.columns) == ["init_node", "term_node", "volume", "cost"]
    links, _ = tntp.read_net(sioux_falls / "SiouxFalls_net.tntp")
    np.testing.assert_array_equal(
        flows[["init_node", "term_node"]], links[["init_node", "term_node"]]
    )
    # costs are the BPR times of the volumes written
    bpr = links["free_flow_time"] * (1 + 0.15 * (flows["volume"] / links["capacity"]) ** 4)
    np.testing.assert_allclose(flows["cost"], bpr, rtol=1e-8)
    best = tntp.read_flows(sioux_falls / "SiouxFalls_flow.tntp")
    assert np.abs(flows["volume"] - best["volume"]).max() < 2.0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {"relative_gap", "objective", "tstt", "iterations", "seconds"} <= set(summary)
    assert 0 < summary["relative_gap"] <= 1e-7
    assert summary["objective"] == pytest.approx(4_231_335.287107, rel=1e-8)
    assert summary["tstt"] == pytest.approx(float(flows["volume"] @ flows["cost"]), rel=1e-9)
    # TSTT is not what equilibrium minimises: flow errors move it to first order
    assert summary["tstt"] == pytest.approx(7_480_225.344921, rel=1e-5)


def _copy(sioux_falls: Path, dest: Path, edit_net=None, edit_trips=None) -> Path:
    dest.mkdir()
    for src in sioux_falls.glob("SiouxFalls_*.tntp"):
        text = src.read_text(encoding="utf-8")
        if edit_net and src.name.endswith("_net.tntp"):
            text = edit_net(text)
        if edit_trips and src.name.endswith("_trips.tntp"):
            text = edit_trips(text)
        (dest / src.name).write_text(text, encoding="utf-8")
    return dest


def _set_capacity(value: str):
    def edit(text: str) -> str:
        # the first link, 1 -> 2, carries flow at equilibrium
        return text.replace("\t1\t2\t25900.20064\t", f"\t1\t2\t{value}\t", 1)

    return edit


@pytest.mark.parametrize(
    ("edit_net", "edit_trips", "gap", "expected"),
    [
        (lambda t: t.replace("\tcapacity", "\tcap"), None, "1e-6", "lacks the column(s) capacity"),
        (_set_capacity("-25900"), None, "1e-6", "link 1->2 has capacity -25900"),
        (_set_capacity("0"), None, "1e-6", "link 1->2 has capacity 0"),
        (None, lambda t: t.replace("Origin \t24", "Origin \t99"), "1e-6", "demand zone 99"),
        (None, None, "0", "gap must be a positive number"),
        (None, None, "-1e-6", "gap must be a positive number"),
    ],
)
def test_bad_inputs_are_one_line_and_exit_2(
    sioux_falls: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit_net,
    edit_trips,
    gap: str,
    expected: str,
) -> None:
    folder = _copy(sioux_falls, tmp_path / "sf", edit_net, edit_trips)
    out = tmp_path / "out"
    assert main(["assign", "--tntp", str(folder), "--gap", gap, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("value", ["0", "-3"])
def test_max_iterations_below_one_is_refused(
    sioux_falls: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    out = tmp_path / "out"
    args = ["assign", "--tntp", str(sioux_falls), "--max-iterations", value, "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--max-iterations" in err
    assert "Traceback" not in err
    assert not out.exists()


def test_missing_folder_and_file_as_out(tmp_path: Path, sioux_falls: Path, capsys) -> None:
    assert main(["assign", "--tntp", str(tmp_path / "none"), "--out", str(tmp_path / "o")]) == 2
    assert "not a folder" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["assign", "--tntp", str(sioux_falls), "--out", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err
    shutil.rmtree(tmp_path / "o", ignore_errors=True)


# --------------------------------------------------------------------------- --export-tntp


def test_export_the_trunk_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sanqu_geo import demand

    folder = tmp_path / "tntp"
    assert main(["--network", "trunk", "assign", "--export-tntp", str(folder)]) == 0
    assert "wrote" in capsys.readouterr().out
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    # the problem, its classes and the zone numbers; no solve (no link_flows.csv)
    assert names == [
        "trunk_net.tntp",
        "trunk_trips.tntp",
        "trunk_trips_car.tntp",
        "trunk_trips_truck.tntp",
        "zones.csv",
    ]
    problem = tntp.load_problem(folder)
    d = demand.load_demand(network="trunk")
    assert problem.name == "trunk"
    assert problem.zones == len(d.zones) and problem.first_thru_node == len(d.zones) + 1
    # the vehicles of each class times its PCE, summed
    pcu = float((d.od["trips"] * d.od["class"].map(d.pce)).sum())
    intrazonal = float(
        (d.od["trips"] * d.od["class"].map(d.pce))[d.od["origin"] == d.od["destination"]].sum()
    )
    assert problem.od["trips"].sum() == pytest.approx(pcu - intrazonal, rel=1e-12)
    trips = tntp.read_trips(folder / "trunk_trips.tntp")
    assert trips.attrs["total_od_flow"] == pytest.approx(pcu, rel=1e-12)
    assert trips.attrs["intrazonal_trips"] == pytest.approx(intrazonal, rel=1e-12)
    for cls in ("car", "truck"):
        part = tntp.read_trips(folder / f"trunk_trips_{cls}.tntp")
        vehicles = float(d.od.loc[d.od["class"] == cls, "trips"].sum())
        assert part.attrs["total_od_flow"] == pytest.approx(vehicles * d.pce[cls], rel=1e-12)
    zones = pd.read_csv(folder / "zones.csv")
    assert zones["zone"].tolist() == list(range(1, len(d.zones) + 1))
    assert sorted(zones["id"]) == sorted(d.zones["id"])
    text = (folder / "trunk_net.tntp").read_text(encoding="utf-8")
    assert "<VDF> CONICAL\n" in text and problem.vdf == "conical"
    assert "~ left out: the classes' own free-flow times and bans" in text
    # written again into its own folder without --force; a foreign folder needs --force
    assert main(["--network", "trunk", "assign", "--export-tntp", str(folder)]) == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    capsys.readouterr()
    assert main(["--network", "trunk", "assign", "--export-tntp", str(other)]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in other.iterdir()) == ["notes.txt"]


def test_rewrite_a_tntp_problem(sioux_falls: Path, tmp_path: Path) -> None:
    folder = tmp_path / "again"
    assert main(["assign", "--tntp", str(sioux_falls), "--export-tntp", str(folder)]) == 0
    assert not (folder / "link_flows.csv").exists()
    ours, theirs = tntp.load_problem(folder), tntp.load_problem(sioux_falls)
    pd.testing.assert_frame_equal(ours.links, theirs.links, check_dtype=False)
    pd.testing.assert_frame_equal(ours.od, theirs.od)
    # with --out too: written and solved
    out = tmp_path / "out"
    args = ["assign", "--tntp", str(folder), "--export-tntp", str(tmp_path / "third"), "--out"]
    assert main([*args, str(out), "--gap", "1e-4"]) == 0
    assert (out / "link_flows.csv").is_file() and (
        tmp_path / "third" / "SiouxFalls_net.tntp"
    ).is_file()


def test_chicago_explicit_weights_equal_the_default(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[1].parent / "shared/reference/tntp/ChicagoSketch"
    if not folder.is_dir():
        pytest.skip(f"TNTP reference data not found at {folder}")
    runs = {
        "default": [],
        "explicit": ["--toll-factor", "0.02", "--distance-factor", "0.04"],
        "time": ["--toll-factor", "0", "--distance-factor", "0"],
    }
    summary = {}
    for name, extra in runs.items():
        out = tmp_path / name
        args = ["assign", "--tntp", str(folder), "--gap", "1e-4", "--out", str(out), *extra]
        assert main(args) == 0
        summary[name] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["explicit"]["objective"] == summary["default"]["objective"]
    assert (summary["default"]["toll_factor"], summary["default"]["distance_factor"]) == (
        0.02,
        0.04,
    )
    assert (summary["time"]["toll_factor"], summary["time"]["distance_factor"]) == (0.0, 0.0)
    # the time-only objective is lower by about the toll and distance terms (564,422.54)
    drop = summary["default"]["objective"] - summary["time"]["objective"]
    assert drop == pytest.approx(564_422.541911, rel=1e-2)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], "give --tntp DIR"),
        (["--tntp", "{sf}"], "--tntp needs --out DIR"),
        (["--export-tntp", "{tmp}/e", "--out", "{tmp}/o"], "--out holds the solution of a --tntp"),
        (["--export-tntp", "{tmp}/e", "--toll-factor", "0.1"], "go with a --tntp problem"),
        (["--tntp", "{sf}", "--out", "{tmp}/o", "--toll-factor", "nan"], "'--toll-factor': nan"),
        (["--tntp", "{sf}", "--out", "{tmp}/o", "--toll-factor", "inf"], "'--toll-factor': inf"),
        (["--tntp", "{sf}", "--out", "{tmp}/o", "--distance-factor", "-0.5"],
         "'--distance-factor': -0.5; give a finite number >= 0"),
        (["--tntp", "{sf}", "--out", "{tmp}/o", "--toll-factor", "x"], "'--toll-factor'"),
        (["--tntp", "{sf}", "--out", "{tmp}/o", "--export-tntp", "{tmp}/o"], "the same folder"),
        (["--tntp", "{sf}", "--export-tntp", "{sf}"], "is the --tntp folder"),
        (["--tntp", "{tmp}/notrips", "--out", "{tmp}/o"], "no trips file (*_trips.tntp) beside"),
        (["--tntp", "{tmp}/twonets", "--out", "{tmp}/o"], "two net files"),
    ],
)  # fmt: skip
def test_assign_option_errors_are_one_line(
    sioux_falls: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    (tmp_path / "notrips").mkdir()
    shutil.copy(sioux_falls / "SiouxFalls_net.tntp", tmp_path / "notrips")
    (tmp_path / "twonets").mkdir()
    for name in ("A_net.tntp", "B_net.tntp", "A_trips.tntp"):
        src = "SiouxFalls_trips.tntp" if "trips" in name else "SiouxFalls_net.tntp"
        shutil.copy(sioux_falls / src, tmp_path / "twonets" / name)
    argv = [a.format(sf=sioux_falls, tmp=tmp_path) for a in args]
    assert main(["assign", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists() and not (tmp_path / "e").exists()
