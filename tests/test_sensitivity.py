"""Monte-Carlo sensitivity: draws held against the calibration band, structural draws of the
default demand, and the standard errors of the summary (on the trunk sketch)."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanqu_geo import demand, peak, scaleout, sensitivity
from sanqu_geo.errors import DataSourceError, SettingsError

DRAWS, SEED = 4, 21


@pytest.fixture(scope="module")
def wide() -> sensitivity.MonteCarlo:
    """A band no draw leaves: every draw scored."""
    return sensitivity.run(DRAWS, seed=SEED, band=(0.0, math.inf))


@pytest.fixture(scope="module")
def band(wide) -> tuple[float, float]:
    """A band between the draws' own delay indices: one draw below it, one above, two inside."""
    s = np.sort(wide.draws["base_delay_index"].to_numpy())
    assert len(set(s)) == DRAWS
    return (s[0] + s[1]) / 2, (s[2] + s[3]) / 2


@pytest.fixture(scope="module")
def narrow(band) -> sensitivity.MonteCarlo:
    return sensitivity.run(DRAWS, seed=SEED, band=band)


def _default_parameters() -> dict:
    return demand.parameters_for(demand.load_parameters(), "trunk")


def _generated(params: dict) -> pd.DataFrame:
    """The default trunk demand's OD generated with ``params``, built here step by step."""
    zones = demand.load_demand().zones
    od = demand.generate(zones, demand.zone_minutes(zones), params)
    return demand._long(list(zones["id"]), od)


def _matrix(od: pd.DataFrame, ids: list[str], cls: str = "car") -> np.ndarray:
    part = od[od["class"] == cls]
    table = part.pivot_table(index="origin", columns="destination", values="trips", aggfunc="sum")
    return table.reindex(index=ids, columns=ids).fillna(0.0).to_numpy()


# --------------------------------------------------------------------------- rejection


def test_a_band_holding_every_draw_rejects_none(wide) -> None:
    assert wide.accepted == DRAWS
    assert wide.rejected == {sensitivity.BELOW: 0, sensitivity.ABOVE: 0}
    assert wide.draws["accepted"].all() and (wide.draws["rejection"] == "").all()
    # the base and seven road options of every draw, then the closures: 机场高速 outside the
    # ring (the base, two second-passage, three freight and the last-mile options) and inside
    # it (the base and two second-passage options)
    assert len(wide.runs) == DRAWS * (8 + 7 + 3)
    saved = [c for c in wide.draws.columns if c.startswith("saved_")]
    assert wide.draws[saved].notna().all().all()


def test_draws_outside_the_band_are_rejected_and_not_scored(wide, narrow, band) -> None:
    low, high = band
    index = wide.draws["base_delay_index"]
    # The base of a draw is the same solve in both runs: the band alone decides.
    np.testing.assert_array_equal(narrow.draws["base_delay_index"], index)
    inside = index.between(low, high).to_numpy()
    np.testing.assert_array_equal(narrow.draws["accepted"].to_numpy(), inside)
    expected = np.where(index < low, "below band", np.where(index > high, "above band", ""))
    assert list(narrow.draws["rejection"]) == list(expected)
    assert narrow.accepted == 2 and narrow.n == DRAWS
    assert narrow.rejected == {"below band": 1, "above band": 1}
    # Rejected draws: the base alone was solved, no saving is scored.
    solved = narrow.runs.groupby("draw")["option"].count()
    assert list(solved) == [18 if a else 1 for a in inside]
    saved = [c for c in narrow.draws.columns if c.startswith("saved_")]
    assert narrow.draws.loc[~inside, saved].isna().all().all()
    # Accepted draws keep exactly the savings they have when nothing is rejected ...
    pd.testing.assert_frame_equal(
        narrow.draws.loc[inside, saved], wide.draws.loc[inside, saved], check_exact=True
    )
    # ... and the summary is theirs alone.
    kept = wide.draws.loc[inside]
    for row in narrow.summary.itertuples():
        assert row.mean == pytest.approx(kept[f"saved_{row.option}"].mean(), rel=1e-12)


def test_too_few_accepted_draws_is_one_clear_error_before_any_option(tmp_path: Path) -> None:
    path = tmp_path / "mc.toml"
    path.write_text(
        '[demand_growth]\ndistribution = "uniform"\nlow = 2.5\nhigh = 3.0\n', encoding="utf-8"
    )
    done: list[tuple[int, int]] = []
    with pytest.raises(SettingsError) as err:
        sensitivity.run(
            2,
            seed=1,
            distributions=sensitivity.load_distributions(path),
            progress=lambda k, total: done.append((k, total)),
        )
    msg = str(err.value)
    low, high = sensitivity.calibration_band("trunk")
    assert "only 0 of 2 draws" in msg and f"band {low:g}–{high:g}" in msg
    assert "0 below, 2 above" in msg
    assert "Widen or re-centre the distributions" in msg and "recalibrate" in msg
    assert [k for k, _ in done] == [1, 2]  # the two bases, and no option


def test_the_band_is_the_calibration() -> None:
    cal = demand.load_parameters()["calibration"]
    assert sensitivity.calibration_band("trunk") == (
        cal["delay_index_low"],
        cal["delay_index_high"],
    )
    with pytest.raises(SettingsError, match="lower end first"):
        sensitivity.run(1, seed=SEED, band=(1.9, 1.4))


# --------------------------------------------------------------------------- determinism


def test_the_same_seed_gives_the_same_accepted_draws_and_values(narrow, band) -> None:
    again = sensitivity.run(DRAWS, seed=SEED, band=band)
    pd.testing.assert_frame_equal(again.draws, narrow.draws)
    pd.testing.assert_frame_equal(again.runs, narrow.runs)
    pd.testing.assert_frame_equal(again.summary, narrow.summary)


def test_a_draws_structural_values_come_from_its_own_generator() -> None:
    few = sensitivity.draw_parameters(3, seed=SEED)
    many = sensitivity.draw_parameters(12, seed=SEED)
    pd.testing.assert_frame_equal(few, many.iloc[:3])
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(3)[1])
    # the shipped triangulars, in the order of the file's parameters
    for low, mode, high in ((0.8, 1, 1.2), (0.8, 1, 1.2), (1.5, 2.5, 4), (3, 4, 6)):
        rng.triangular(low, mode, high)
    assert few.loc[1, "beta_car"] == rng.triangular(0.8, 1.0, 1.2)
    assert few.loc[1, "generator_trips"] == rng.triangular(0.8, 1.0, 1.2)
    assert few.loc[1, "intrazonal_minutes"] == rng.triangular(0.75, 1.0, 1.25)


@pytest.fixture(scope="module")
def client():
    with scaleout.connect("local:2") as c:
        yield c


@pytest.mark.parametrize("batch", [None, 5])
def test_two_workers_accept_and_score_as_this_process(client, narrow, band, batch) -> None:
    mc = sensitivity.run(DRAWS, seed=SEED, band=band, runner=scaleout.Runner(client), batch=batch)
    assert mc.workers == 2
    pd.testing.assert_frame_equal(mc.draws, narrow.draws)
    pd.testing.assert_frame_equal(mc.runs, narrow.runs)
    pd.testing.assert_frame_equal(mc.summary, narrow.summary)


# --------------------------------------------------------------------------- structural draws


def test_a_friction_draw_generates_another_demand() -> None:
    d = demand.load_demand()
    params = _default_parameters()
    values = {"beta_car": 1.2, "generator_trips": 1.0, "intrazonal_minutes": 1.0}
    changed = sensitivity.structural_parameters(params, values)
    assert (
        changed["distribution"]["beta_car_per_min"]
        == params["distribution"]["beta_car_per_min"] * 1.2
    )
    assert params["distribution"]["beta_car_per_min"] == 0.10  # the input is left alone
    by_hand = copy.deepcopy(params)
    by_hand["distribution"]["beta_car_per_min"] *= 1.2
    expected = _generated(by_hand)
    structural, note = sensitivity._structural_inputs(d, "trunk", sensitivity.load_distributions())
    assert structural is not None and note.startswith("applied")
    got = sensitivity._regenerate(d, structural, values)
    pd.testing.assert_frame_equal(got.od, expected)
    ids = list(d.zones["id"])
    assert not np.allclose(_matrix(got.od, ids), _matrix(d.od, ids))
    # A steeper friction keeps trips shorter: the mean free-flow car minutes fall.
    minutes = demand.zone_minutes(d.zones)
    np.fill_diagonal(minutes, 0.0)
    mean = lambda m: float((m * minutes).sum() / m.sum())  # noqa: E731
    assert mean(_matrix(got.od, ids)) < mean(_matrix(d.od, ids))


def test_multipliers_of_one_give_the_demand_in_use() -> None:
    d = demand.load_demand()
    structural, _ = sensitivity._structural_inputs(d, "trunk", sensitivity.load_distributions())
    ones = dict.fromkeys(sensitivity.STRUCTURAL, 1.0)
    again = sensitivity._regenerate(d, structural, ones)  # generated, not the shortcut
    pd.testing.assert_frame_equal(again.od, d.od)
    problem = sensitivity._Problem(("base",), (), (), d, structural)
    assert sensitivity._draw_demand(problem, ones) is d


def test_the_generator_multiplier_scales_the_generators_and_nothing_else() -> None:
    d = demand.load_demand()
    structural, _ = sensitivity._structural_inputs(d, "trunk", sensitivity.load_distributions())
    values = {"beta_car": 1.0, "generator_trips": 1.25, "intrazonal_minutes": 1.0}
    got = sensitivity._regenerate(d, structural, values)
    params = _default_parameters()
    ids = list(d.zones["id"])
    rows = _matrix(got.od, ids).sum(axis=1)
    generators = {g["id"]: g for g in params["zones"]["generator"]}
    rate = params["generation"]["car_trips_per_resident"]
    for i, zone in enumerate(d.zones.itertuples()):
        if zone.kind == "generator":
            # a generator produces its stated cars (doubly constrained: rows meet productions)
            assert rows[i] == pytest.approx(1.25 * generators[zone.id]["car_produced"], rel=1e-6)
        else:
            assert rows[i] == pytest.approx(zone.population * rate, rel=1e-6)
    # Trucks: the districts' background is unchanged; the logistics nodes' own trucks, out
    # and in, grow by a quarter.
    own = sum(
        g.get("truck_produced", 0.0) + g.get("truck_attracted", 0.0) for g in generators.values()
    )
    assert own > 0
    trucks, base_trucks = got.totals()["truck"], d.totals()["truck"]
    assert trucks - base_trucks == pytest.approx(0.25 * own, rel=1e-6)


def test_a_longer_intrazonal_time_sends_more_trips_onto_the_network() -> None:
    d = demand.load_demand()
    structural, _ = sensitivity._structural_inputs(d, "trunk", sensitivity.load_distributions())
    values = {"beta_car": 1.0, "generator_trips": 1.0, "intrazonal_minutes": 1.25}
    by_hand = _default_parameters()
    by_hand["distribution"]["intrazonal_minutes"] *= 1.25
    got = sensitivity._regenerate(d, structural, values)
    pd.testing.assert_frame_equal(got.od, _generated(by_hand))
    ids = list(d.zones["id"])
    assert np.trace(_matrix(got.od, ids)) < np.trace(_matrix(d.od, ids))


def test_a_draw_is_solved_on_its_own_demand(wide) -> None:
    """A draw's base equals a peak solve on the demand generated with its values."""
    row = wide.draws.iloc[2]
    assert not np.allclose(row[list(sensitivity.STRUCTURAL)].to_numpy(float), 1.0)
    params = sensitivity.structural_parameters(_default_parameters(), row.to_dict())
    zones = demand.load_demand().zones
    d = demand.Demand(zones, _generated(params), "draw 2", 10.0, {"car": 1.0, "truck": 2.5})
    variant = peak.Variant(
        demand_scale=row["demand_growth"],
        capacity_scale=row["capacity"],
        truck_pce=row["truck_pce"],
        conical_alpha=row["conical_alpha"],
    )
    run = peak.solve(None, demand_=d, variant=variant)
    assert row["base_vehicle_hours"] == pytest.approx(sum(run.vehicle_hours().values()), rel=1e-12)
    assert row["base_delay_index"] == pytest.approx(peak.delay_index(run), rel=1e-12)


def test_an_imported_od_keeps_the_structural_parameters_fixed(tmp_path: Path) -> None:
    d = demand.load_demand()
    user = demand.Demand(d.zones, d.od.copy(), "user file od.csv", 10.0, dict(d.pce))
    mc = sensitivity.run(2, seed=SEED, demand_=user, band=(0.0, math.inf))
    assert (mc.draws[list(sensitivity.STRUCTURAL)] == 1.0).all().all()
    assert mc.structural.startswith("not applied") and "user file od.csv" in mc.structural
    assert "Structural parameters" in sensitivity.markdown(mc)
    row = mc.draws.iloc[1]
    variant = peak.Variant(
        demand_scale=row["demand_growth"],
        capacity_scale=row["capacity"],
        truck_pce=row["truck_pce"],
        conical_alpha=row["conical_alpha"],
    )
    run = peak.solve(None, demand_=user, variant=variant)
    assert row["base_vehicle_hours"] == pytest.approx(sum(run.vehicle_hours().values()), rel=1e-12)
    # The default scaled is not what the parameters generate either: left as it is.
    structural, note = sensitivity._structural_inputs(
        d.scaled(1.1), "trunk", sensitivity.load_distributions()
    )
    assert structural is None and "not what the parameters generate" in note


@pytest.mark.city
def test_the_city_default_demand_is_generated_again_by_the_draws() -> None:
    """On the city network (the users' default) the draws regenerate its default demand."""
    d = demand.load_demand()
    structural, note = sensitivity._structural_inputs(d, "harbin", sensitivity.load_distributions())
    assert structural is not None, note
    values = {"beta_car": 1.0, "generator_trips": 1.2, "intrazonal_minutes": 1.0}
    got = sensitivity._regenerate(d, structural, values)
    params = demand.parameters_for(demand.load_parameters(), "harbin")
    # the external zones at the road exits are scaled with the generators
    exits = d.zones[d.zones["kind"] == "external"]
    assert len(exits)
    stated = 0.0
    for g in params["zones"]["generator"]:
        stated += g.get("car_produced", 0.0)
    for row in exits.itertuples():
        road = str(row.road or "")
        kind = "expressway" if ("高速" in road or road[:1] == "G") else "highway"
        stated += params["zones_model"]["external"][kind]["car_produced"]
    assert got.totals()["car"] - d.totals()["car"] == pytest.approx(0.2 * stated, rel=1e-6)


# --------------------------------------------------------------------------- standard errors


def test_standard_errors_follow_the_accepted_draws(narrow) -> None:
    kept = narrow.draws[narrow.draws["accepted"]]
    n = len(kept)
    options = list(narrow.summary["option"])
    saved = kept[[f"saved_{o}" for o in options]].to_numpy()
    best = saved.max(axis=1, keepdims=True)
    tied = saved >= best - sensitivity.tie_vehicle_hours
    p = (tied / tied.sum(axis=1, keepdims=True)).mean(axis=0)
    s = narrow.summary
    np.testing.assert_allclose(s["mean"], saved.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(s["se_mean"], saved.std(axis=0, ddof=1) / np.sqrt(n), rtol=1e-12)
    np.testing.assert_allclose(s["p_rank_first"], p, rtol=1e-12)
    np.testing.assert_allclose(s["se_p_rank_first"], np.sqrt(p * (1 - p) / n), rtol=1e-12)


def test_the_outputs_show_acceptance_rejections_and_standard_errors(narrow, tmp_path) -> None:
    import openpyxl

    text = sensitivity.markdown(narrow)
    assert f"**2 of {DRAWS} drawn**" in text and "1 below the band" in text
    assert "1 above" in text and "± SE" in text
    top = narrow.summary.iloc[0]
    assert f"{top['mean']:,.1f} ± {top['se_mean']:,.1f}" in text
    written = sensitivity.write_outputs(narrow, tmp_path)
    assert tmp_path / "summary.md" in written
    csv = pd.read_csv(tmp_path / "monte_carlo.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(
        csv["平均值标准误 SE of the mean"], narrow.summary["se_mean"].round(2)
    )
    np.testing.assert_allclose(
        csv["排名第一概率标准误 SE of P(rank 1)"], narrow.summary["se_p_rank_first"].round(2)
    )
    draws = pd.read_csv(tmp_path / "monte_carlo_draws.csv", encoding="utf-8-sig")
    assert list(draws["接受 Accepted"]) == list(narrow.draws["accepted"])
    sheet = openpyxl.load_workbook(tmp_path / "comparison.xlsx", read_only=True)[
        "抽样分布 Distributions"
    ]
    cells = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    below = int(narrow.draws.loc[narrow.draws["rejection"] == "below band", "draw"].iloc[0])
    above = int(narrow.draws.loc[narrow.draws["rejection"] == "above band", "draw"].iloc[0])
    assert cells["accepted draws 接受的抽样"] == f"2 of {DRAWS}"
    assert cells["rejected below band 拒绝（低于校准区间）"] == f"1: draws {below}"
    assert cells["rejected above band 拒绝（高于校准区间）"] == f"1: draws {above}"


def test_the_draws_cover_each_tasks_measure(wide) -> None:
    m = wide.measures.set_index(["option", "condition", "measure"])
    closed = "airport_expressway_outer_closed"
    for option in ("second_passage_ph1", "second_passage_full"):
        assert (option, "normal", "airport_min") in m.index
        row = m.loc[(option, closed, "airport_min")]
        # with 机场高速 closed, a second way to the airport always gives minutes back
        assert row["share_positive"] == 1.0 and row["p5"] > 0
    for option in ("freight_ring_feeders", "freight_ring_truck_lanes", "freight_new_alignment"):
        assert (option, "normal", "truck_min:freight_expressway") in m.index
        share = m.loc[(option, "normal", "end_share")]
        assert 0.0 <= share["p5"] <= share["p50"] <= share["p95"] <= 1.0
    assert (m["draws"] == wide.accepted).all()


def test_draws_have_a_stated_upper_bound() -> None:
    import time

    bound = sensitivity.max_draws
    assert sensitivity.check_draws(bound) == bound
    assert sensitivity.check_draws(np.int64(3)) == 3
    started = time.monotonic()
    for n in (bound + 1, 10**9):
        with pytest.raises(SettingsError, match=f"--sensitivity {n}: at most {bound:,} draws"):
            sensitivity.draw_parameters(n, seed=1)
        with pytest.raises(SettingsError, match=f"at most {bound:,} draws"):
            sensitivity.run(n, seed=1)
    assert time.monotonic() - started < 5  # refused before any work
    for bad in (0, -5, 2.5, True, "10"):
        with pytest.raises(SettingsError, match="--sensitivity"):
            sensitivity.check_draws(bad)


def test_a_parameters_file_that_is_a_pipe_or_too_large_is_refused(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "params.toml"
    os.mkfifo(fifo)
    with pytest.raises(DataSourceError, match="params.toml: is a pipe"):
        sensitivity.load_distributions(fifo)
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * sensitivity.max_parameters_bytes + "\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="big.toml: .* more than the 1 MB"):
        sensitivity.load_distributions(big)
