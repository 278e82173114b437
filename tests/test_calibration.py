"""Calibration to the published targets and the validation table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sanqu_geo import calibration, demand, peak, settings
from sanqu_geo.cli import main

GAP = 1e-4  # as the model check's tests: one cached assignment serves both modules


@pytest.fixture(scope="module")
def city():
    d = demand.load_demand(network="harbin")
    run = peak.solve(None, source="harbin", demand_=d, gap=GAP)
    return d, run, calibration.validation_table(run, d)


def test_amap_free_flow_is_speed_times_index() -> None:
    low, mean, high = calibration.amap_free_flow_kph()
    products = [29.62 * 1.40, 22.6 * 1.85, 37.4 * 1.09, 32.38 * 1.28]  # harbin-demand-facts §3
    assert low == pytest.approx(min(products)) and high == pytest.approx(max(products))
    assert mean == pytest.approx(sum(products) / 4)


def test_busiest_stretch_by_hand() -> None:
    # one road of four sections; the busiest 300 m are reached on the second-worst section
    frame = pd.DataFrame({
        "name": ["甲路", "甲路", "甲路/乙街", "甲路", "丙路"],
        "length_m": [200.0, 150.0, 400.0, 30.0, 500.0],  # the 30 m piece is a junction's
        "vc": [1.3, 1.1, 0.7, 2.5, 1.9],
        "car": [100.0, 100.0, 300.0, 50.0, 10.0],
        "time_s": [36.0, 27.0, 48.0, 9.0, 60.0],
        "northbound": [True, False, True, True, True],
    })  # fmt: skip
    out = calibration.named_roads(None, ["甲路", "丁路"], frame=frame).set_index("name")
    assert out.loc["甲路", "vc_stretch"] == 1.1  # 200 m at 1.3 do not reach 300 m; 350 m do
    assert out.loc["甲路", "vc_max"] == 1.3  # the junction piece is left out
    km = (100 * 0.2 + 100 * 0.15 + 300 * 0.4) / ((100 * 36 + 100 * 27 + 300 * 48) / 3600)
    assert out.loc["甲路", "speed_kph"] == pytest.approx(km)
    assert out.loc["甲路", "speed_south_kph"] == pytest.approx(0.15 / (27 / 3600))
    assert out.loc["丁路", "km"] == 0 and math.isnan(out.loc["丁路", "vc_stretch"])


@pytest.mark.city
def test_core_speeds_recomputed_from_the_result(city) -> None:
    _, run, _ = city
    res, G = run.result, run.graph
    km = hours = free = 0.0
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        if data.get("source") != "osm":
            continue
        x = res.volumes["car"].iloc[i]
        km += x * data["length"] / 1000
        hours += x * res.time[i] / 3600
        free += x * data["travel_time"] / 3600
    got = calibration.core_speeds(run)
    assert got["core_peak"] == pytest.approx(km / hours)
    assert got["core_free"] == pytest.approx(km / free)


@pytest.mark.city
def test_the_default_model_meets_its_published_targets(city) -> None:
    _, run, table = city
    row = table.set_index("target")["model"]
    speed = row[next(t for t in row.index if t.startswith("car peak speed, city streets"))]
    assert 22.0 <= speed <= 30.0
    di = peak.delay_index(run)
    assert 1.4 <= di <= 1.9
    roads = calibration.named_roads(run, calibration.AMAP_MORNING_TOP10)
    assert int((roads["vc_stretch"] >= calibration.congested_vc).sum()) >= 7
    low, _, high = calibration.amap_free_flow_kph()
    assert low <= calibration.core_speeds(run)["core_free"] <= high


@pytest.mark.city
def test_every_target_stays_in_the_table(city) -> None:
    _, _, table = city
    for road in calibration.AMAP_MORNING_TOP10:
        assert table["target"].str.contains(road).sum() >= 1, road
    # a road the network does not have is a marked miss, never dropped
    missing = table[table["model"].map(lambda v: isinstance(v, str) and "not in the network" in v)]
    assert len(missing) >= 1 and (missing["verdict"] == "outside 不符").all()
    fitted = table[table["use"].str.startswith("fitted")]
    assert len(fitted) == 3  # free-flow speed, delay index, trip length
    top = table[table["target"].str.contains("v/c on its busiest")]
    assert len(top) == 10
    summary = table[table["target"].str.startswith("Amap morning top 10 at")]
    assert float(summary["model"].iloc[0]) == (top["verdict"] == "within 符合").sum()
    assert set(table["verdict"]) <= {"within 符合", "outside 不符", "for information 参考"}


def test_fit_reaches_the_delay_index_and_restores_the_settings() -> None:
    # on the trunk sketch (no city streets: the free-flow factor cannot act, so its target is
    # set to what the network gives) the rate alone is fitted to a delay index
    before = settings.city_free_flow_factor
    d = demand.load_demand(network="trunk")
    free = calibration.core_speeds(peak.solve(None, source="trunk", demand_=d, gap=GAP))
    fit = calibration.fit(source="trunk", free_flow_kph=free["core_free"], delay_index=1.5,
                          gap=GAP, max_solves=12)  # fmt: skip
    assert settings.city_free_flow_factor == before
    assert fit.converged
    assert fit.steps["delay_index"].iloc[-1] == pytest.approx(1.5, abs=0.02)
    # the fitted rate reproduces the index when solved again from scratch
    params = demand.parameters_for(demand.load_parameters(), "trunk")
    params["generation"]["car_trips_per_resident"] = fit.car_trips_per_resident
    again = demand.default_demand(parameters=params, network="trunk")
    di = peak.delay_index(peak.solve(None, source="trunk", demand_=again, gap=GAP))
    assert di == pytest.approx(1.5, abs=0.02)
    assert np.isfinite(fit.steps["rate"]).all()


@pytest.mark.city
def test_validate_command(city, capsys) -> None:
    assert main(["model", "validate", "--gap", str(GAP)]) == 0
    out = capsys.readouterr().out
    assert "outside 不符" in out and "within 符合" in out and "301国道" in out


@pytest.mark.city
def test_congested_trip_is_the_free_trip_plus_delay(city) -> None:
    from sanqu_geo import network, travel

    _, run, table = city
    congested = calibration.congested_trip_minutes(run, [("harbin_station", "airport")])[0]
    places = travel.load_places("facilities").set_index("id", drop=False)
    G = network.load_network("harbin", profile="car")
    free = travel.place_od(G, places.loc[["harbin_station"]], places.loc[["airport"]])
    free_min = float(free.iloc[0, 0]) / 60
    assert free_min < congested < 3 * free_min
    row = table[table["target"].str.startswith("car time 哈尔滨站")]
    assert float(row["model"].iloc[0]) == pytest.approx(congested)


@pytest.mark.city
def test_delay_ranks_by_hand(city) -> None:
    _, run, _ = city
    ranks = calibration.delay_ratio_ranks(run)
    assert (ranks["km"] >= calibration.rank_min_km).all()
    assert list(ranks["rank"]) == list(range(1, len(ranks) + 1))
    assert (ranks["ratio"].diff().dropna() <= 0).all() and (ranks["ratio"] >= 1 - 1e-9).all()
    # one road recomputed from the result's arrays
    res, G = run.result, run.graph
    name = ranks["name"].iloc[len(ranks) // 2]
    free = peak_h = 0.0
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        names = data.get("name") or ""
        names = names if isinstance(names, list) else [names]
        if data.get("highway") == "centroid_connector" or name not in names:
            continue
        x = res.volumes["car"].iloc[i]
        free += x * data["travel_time"]
        peak_h += x * res.time[i]
    assert ranks.set_index("name").loc[name, "ratio"] == pytest.approx(peak_h / free)


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"delay_index": float("nan")}, "delay index target nan"),
        ({"delay_index": 0.9}, "delay index target 0.9"),
        ({"free_flow_kph": float("inf")}, "free_flow_kph target inf"),
        ({"free_flow_kph": -5}, "free_flow_kph target -5"),
        ({"gap": 0}, "gap 0"),
        ({"max_solves": 0}, "max_solves 0"),
        ({"max_solves": 2.5}, "max_solves 2.5"),
    ],
)
def test_fit_refuses_options_it_cannot_mean(options, needle) -> None:
    from sanqu_geo.errors import AssignmentError

    with pytest.raises(AssignmentError, match=needle):
        calibration.fit(source="trunk", **options)


def test_calibrate_command_fails_when_the_targets_are_not_met(capsys) -> None:
    # on the trunk sketch the free-flow factor cannot act (no city streets), and one solve
    # cannot fit both targets: the command ends with an error naming what it reached
    assert main(["model", "calibrate", "--max-solves", "1"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "did not meet its targets in 1 solves" in err[0]
    assert "delay index" in err[0] and "--max-solves" in err[0]
