"""The peak-hour assignment of the default demand: calibration figures, congested graphs, cache."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sanqu_geo import demand, peak, settings, travel
from sanqu_geo.cli import main


@pytest.fixture(scope="module")
def base() -> peak.PeakRun:
    return peak.solve()


def test_base_is_at_equilibrium_and_in_the_amap_range(base) -> None:
    assert base.result.relative_gap <= 1e-6
    params = demand.load_parameters()["calibration"]
    index = peak.delay_index(base)
    assert params["delay_index_low"] <= index <= params["delay_index_high"]


def test_delay_index_recomputed_from_the_conical_function(base) -> None:
    """Congested ÷ free-flow vehicle-hours, from the volumes and the conical formula by hand."""
    a = settings.conical_alpha
    b = (2 * a - 1) / (2 * a - 2)
    G, res = base.graph, base.result
    congested = free = 0.0
    pce = {"car": 1.0, "truck": demand.load_demand().pce["truck"]}
    for i, e in enumerate(res.edges):
        data = G.edges[e]
        if data["highway"] == "centroid_connector":
            continue
        pcu = sum(pce[c] * res.volumes[c].iloc[i] for c in pce)
        x = pcu / data["capacity"]
        f = 2 + math.sqrt(a**2 * (1 - x) ** 2 + b**2) - a * (1 - x) - b  # Spiess 1990
        delay = data["travel_time"] * (f - 1)
        for cls, attr in (("car", "time_car"), ("truck", "time_truck")):
            x = res.volumes[cls].iloc[i]
            if x > 0:
                congested += x * (data[attr] + delay)
                free += x * data[attr]
    assert peak.delay_index(base) == pytest.approx(congested / free, rel=1e-9)


def test_congested_graph_is_slower_and_cached(monkeypatch) -> None:
    free = peak.network.load_network("trunk", profile="car")
    G = peak.congested_travel_graph()
    assert not any(d.get("added_by") == "demand" for _, d in G.nodes(data=True))
    a, b = travel.find_place("harbin_station"), travel.find_place("airport")
    fast = travel.place_od(free, a, b).iloc[0, 0]
    slow = travel.place_od(G, a, b).iloc[0, 0]
    assert slow >= fast
    for _, _, data in G.edges(data=True):
        assert data["travel_time"] >= data["free_flow_time"] - 1e-9
    # the second call reads the cached equilibrium instead of solving again
    peak._RUNS.clear()

    def no_solve(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(peak, "solve", no_solve)
    again = peak.congested_travel_graph()
    assert travel.place_od(again, a, b).iloc[0, 0] == pytest.approx(slow)


def test_od_route_isochrones_take_congested(capsys) -> None:
    assert main(["route", "--from", "哈尔滨站", "--to", "airport", "--congested"]) == 0
    out = capsys.readouterr().out
    assert "congested peak" in out
    assert main(["isochrones", "--from", "airport", "--minutes", "30", "--congested"]) == 0
    assert main(["od", "--from", "zones", "--to", "facilities", "--congested"]) == 0
    assert main(["route", "--from", "哈尔滨站", "--to", "airport", "--congested", "--profile",
                 "winter"]) == 2  # fmt: skip


def test_truck_times_respect_the_truck_caps(base) -> None:
    G = base.graph
    for _, _, data in G.edges(data=True):
        if data["highway"] == "motorway":
            assert data["time_truck"] == pytest.approx(data["length"] / (80 / 3.6))
        if data["highway"] == "centroid_connector":
            assert data["time_truck"] == data["time_car"]
    assert all(math.isfinite(t) for _, _, t in G.edges(data="time_car"))
    assert np.isfinite(base.result.vc).all()


def test_shipped_trip_rate_is_the_calibrated_one() -> None:
    steps = peak.calibrate()
    params = demand.parameters_for(demand.load_parameters(), "trunk")
    cal = params["calibration"]
    target = (cal["delay_index_low"] + cal["delay_index_high"]) / 2
    assert steps["delay_index"].iloc[-1] == pytest.approx(target, abs=0.01)
    shipped = params["generation"]["car_trips_per_resident"]
    assert steps["rate"].iloc[-1] == pytest.approx(shipped, rel=0.02)
    # more demand, more delay: the index rises with the rate along the bisection
    ordered = steps.sort_values("rate")
    assert (ordered["delay_index"].diff().dropna() > 0).all()


def test_calibration_table_compares_published_figures(base) -> None:
    table = peak.calibration_table(base, 10.0).set_index("measure")
    airport = table.filter(like="airport section", axis=0)
    assert len(airport) == 1 and "39,200" in airport["published"].iloc[0]
    bridges = table.filter(like="大桥", axis=0)
    assert len(bridges) == 2
    for value in bridges["model"]:
        assert 0 < float(value.replace(",", "")) <= 9_800 * 1.2


def test_vehicle_hours_are_served_from_the_user_folder_until_an_input_changes(
    monkeypatch,
) -> None:
    d = demand.load_demand(network="trunk")
    run = peak.solve(None, source="trunk", demand_=d, gap=1e-4)
    first = peak.total_vehicle_hours(source="trunk", demand_=d, gap=1e-4)
    assert first["car"] == pytest.approx(run.vehicle_hours()["car"], rel=1e-12)
    assert first["truck"] == pytest.approx(run.vehicle_hours()["truck"], rel=1e-12)
    peak._RUNS.clear()
    solved = []
    real_solve = peak.solve

    def counting_solve(*args, **kwargs):
        solved.append(kwargs.get("gap"))
        return real_solve(*args, **kwargs)

    monkeypatch.setattr(peak, "solve", counting_solve)
    assert peak.total_vehicle_hours(source="trunk", demand_=d, gap=1e-4) == first
    assert solved == []  # read from the user folder
    monkeypatch.setattr(settings, "max_speed_kph", 70.0)  # a setting the free-flow times read
    slower = peak.total_vehicle_hours(source="trunk", demand_=d, gap=1e-4)
    assert solved == [1e-4]
    assert slower["car"] > first["car"]  # capped speeds: more hours for the same trips


@pytest.mark.parametrize("target", [float("nan"), float("inf"), 0, -1, 1, 4.5, 1e9, "1.6", True])
def test_calibrate_refuses_a_target_it_cannot_mean(target) -> None:
    from sanqu_geo.errors import AssignmentError

    with pytest.raises(AssignmentError, match="target"):
        peak.calibrate(target=target)


def test_calibrate_says_when_its_target_is_out_of_reach() -> None:
    from sanqu_geo.errors import AssignmentError

    # the lowest car trip rates the generators allow still give more delay than this
    with pytest.raises(AssignmentError, match="out of reach") as info:
        peak.calibrate(target=1.01)
    steps = info.value.steps
    assert len(steps) >= 1 and (steps["delay_index"] > 1.01 + 0.01).all()
    closest = steps["delay_index"].min()
    assert f"closest reached is {closest:.3f}" in str(info.value)
