"""Periods of the day and future years: transposes, totals, growth factors, Fratar balancing."""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sanqu_geo import demand, forecast
from sanqu_geo.errors import DemandError
from sanqu_geo.resources import data_file

# 2010 (六普) and 2020 (七普) resident population, harbin-demand-facts §1
DAOLI_2010, DAOLI_2020 = 923_762, 1_097_430
SONGBEI_2010, SONGBEI_2020 = 236_848, 413_515
# Taiping airport, harbin-facts §5: 2025 passengers and the phase-2 design capacity (M pax)
AIRPORT_2025, AIRPORT_DESIGN = 24.65, 38.0


@pytest.fixture(scope="module")
def base() -> demand.Demand:
    return demand.load_demand(network="trunk")


@pytest.fixture(scope="module")
def toml() -> dict:
    return tomllib.loads(data_file("demand/forecast.toml").read_text(encoding="utf-8"))


def _matrix(d: demand.Demand, cls: str) -> np.ndarray:
    return d.matrix(cls).to_numpy()


def test_period_hours_add_up_to_the_daily_expansion() -> None:
    table = forecast.period_table()
    assert list(table["id"]) == ["am_peak", "pm_peak", "inter_peak"]
    assert table["source"].str.len().gt(0).all()
    daily = demand.load_parameters()["daily"]["expansion_factor"]
    assert (table["hours_per_day"] * table["factor"]).sum() == pytest.approx(daily, rel=1e-9)
    assert daily == 10.0


def test_hours_per_year_count_weekday_equivalent_days(toml: dict) -> None:
    days = toml["days"]
    per_year = days["weekdays"] + days["weekend_days"] * days["weekend_factor"]
    hours = forecast.period_hours_per_year()
    assert hours["am_peak"] == pytest.approx(per_year)
    assert hours["inter_peak"] == pytest.approx(
        toml["periods"]["inter_peak"]["hours_per_day"] * per_year
    )
    winter = forecast.period_hours_per_year(season="winter")
    other = forecast.period_hours_per_year(season="other")
    assert winter["pm_peak"] + other["pm_peak"] == pytest.approx(hours["pm_peak"])
    assert winter["pm_peak"] < other["pm_peak"]  # 120 of 365 days
    assert forecast.WINTER["capacity_factor"] == 0.8
    with pytest.raises(DemandError, match="season"):
        forecast.period_hours_per_year(season="spring")


def test_pm_peak_is_the_am_peak_transposed(base: demand.Demand) -> None:
    pm = forecast.demand_for(base, year=2020, period="pm_peak")
    ids = list(base.zones["id"])
    am_cells = base.od.set_index(["class", "origin", "destination"])["trips"]
    pm_cells = pm.od.set_index(["class", "origin", "destination"])["trips"]
    assert len(pm_cells) == len(am_cells)
    for (cls, i, j), trips in am_cells.items():
        assert pm_cells[(cls, j, i)] == trips
    # and on a cell picked by hand: daoli → airport in the morning is airport → daoli at night
    i, j = ids.index("daoli"), ids.index("airport")
    assert _matrix(pm, "car")[j, i] == _matrix(base, "car")[i, j] > 0
    assert pm.totals() == pytest.approx(base.totals())


def test_inter_peak_is_the_symmetrised_am_peak_times_its_factor(base: demand.Demand) -> None:
    f = forecast.PERIODS["inter_peak"]["factor"]
    assert f == pytest.approx(8 / 14)
    inter = forecast.demand_for(base, year=2020, period="inter_peak")
    for cls, total in base.totals().items():
        assert inter.totals()[cls] == pytest.approx(f * total, rel=1e-12)
        m, am = _matrix(inter, cls), _matrix(base, cls)
        np.testing.assert_allclose(m, m.T, rtol=1e-12)
        np.testing.assert_allclose(m, f * (am + am.T) / 2, rtol=1e-12)
    assert inter.source.endswith("· 2020 · inter-peak hour")


def test_base_year_am_peak_is_the_demand_as_is(base: demand.Demand) -> None:
    same = forecast.demand_for(base, year=2020)
    pd.testing.assert_frame_equal(same.od, base.od)
    assert same.key() == base.key()
    assert same.expansion_factor == base.expansion_factor == 10.0
    assert same.pce == base.pce
    assert "2020" in same.source and "morning peak hour" in same.source


def test_district_factor_is_the_census_compound_rate(base: demand.Demand, toml: dict) -> None:
    trip = toml["growth"]["trip_rate"]["annual_rate"]
    factors = forecast.growth_factors(base, year=2035).set_index("id")
    daoli = (DAOLI_2020 / DAOLI_2010) ** (1 / 10)  # +1.74 %/yr, inside the floor and cap
    assert factors.loc["daoli", "car"] == pytest.approx((daoli * (1 + trip)) ** 15, rel=1e-12)
    assert factors.loc["daoli", "car_rule"] == "district:daoli"
    # 松北 grew 5.7 %/yr: above the stated cap, so held at it
    cap = toml["growth"]["districts"]["cap"]
    assert (SONGBEI_2020 / SONGBEI_2010) ** 0.1 - 1 > cap
    assert factors.loc["songbei", "car"] == pytest.approx(((1 + cap) * (1 + trip)) ** 15)


def test_airport_grows_from_2025_traffic_to_its_design_capacity(base: demand.Demand) -> None:
    table = forecast.growth_table(base).set_index("group")
    assert table.loc["airport", "factor_2025"] == pytest.approx(1.0)
    assert table.loc["airport", "factor_2035"] == pytest.approx(AIRPORT_DESIGN / AIRPORT_2025)
    assert table.loc["air_cargo", "factor_2035"] == pytest.approx(300 / 149)
    assert table["source"].str.len().gt(0).all()
    assert table.loc["new_area", "zones"] == 3


def test_2035_rows_grow_by_their_factors_and_keep_the_pattern(base: demand.Demand) -> None:
    grown = forecast.demand_for(base, year=2035)
    factors = forecast.growth_factors(base, year=2035)
    for cls in demand.CLASSES:
        before, after = _matrix(base, cls), _matrix(grown, cls)
        expected = before.sum(axis=1) * factors[cls].to_numpy()
        np.testing.assert_allclose(after.sum(axis=1), expected, rtol=1e-6)
        # Fratar keeps the base pattern: after = a_i b_j before, so the odds ratios of any
        # four cells are unchanged
        i, j = np.nonzero(before)
        ratio = np.log(after[i, j] / before[i, j])
        k, checked = 0, 0
        for m in range(1, 40):
            a, b = (i[k], j[k]), (i[m], j[m])
            if before[a[0], b[1]] > 0 and before[b[0], a[1]] > 0:
                cross = np.log(after[a[0], b[1]] / before[a[0], b[1]])
                cross += np.log(after[b[0], a[1]] / before[b[0], a[1]])
                assert ratio[k] + ratio[m] == pytest.approx(cross, abs=1e-8)
                checked += 1
        assert checked >= 10
    assert grown.key() != base.key()
    assert grown.source.endswith("· 2035 · morning peak hour")
    assert grown.pce == base.pce and grown.expansion_factor == base.expansion_factor
    pm = forecast.demand_for(base, year=2035, period="pm_peak")
    np.testing.assert_allclose(_matrix(pm, "car"), _matrix(grown, "car").T)


@pytest.mark.parametrize("year", [2019, 2036, 2035.0, True])
def test_year_out_of_range_is_refused(base: demand.Demand, year: object) -> None:
    with pytest.raises(DemandError, match=r"2020–2035"):
        forecast.demand_for(base, year=year)  # type: ignore[arg-type]


def test_unknown_period_is_refused(base: demand.Demand) -> None:
    with pytest.raises(DemandError, match="night"):
        forecast.demand_for(base, period="night")


def test_periods_that_miss_the_daily_expansion_are_refused(tmp_path: Path) -> None:
    text = data_file("demand/forecast.toml").read_text(encoding="utf-8")
    bad = tmp_path / "forecast.toml"
    bad.write_text(text.replace("factor = 0.5714285714285714", "factor = 0.6"), encoding="utf-8")
    with pytest.raises(DemandError, match="daily expansion"):
        forecast.load_forecast(bad)
    bad.write_text(text.replace("annual_rate = 0.015", "annual_rate = 0.015\nfoo = 1"), "utf-8")
    with pytest.raises(DemandError, match="foo"):
        forecast.load_forecast(bad)


def test_repeated_calls_come_from_the_cache(base: demand.Demand) -> None:
    first = forecast.demand_for(base, year=2030, period="inter_peak")
    assert forecast.demand_for(base, year=2030, period="inter_peak") is first


@pytest.mark.city
def test_city_demand_is_fast() -> None:
    city = demand.load_demand()
    start = time.perf_counter()
    grown = forecast.demand_for(city, year=2035, period="inter_peak")
    assert time.perf_counter() - start < 2.0
    assert (city.zones["kind"] == "external").any()
    factors = forecast.growth_factors(city, year=2035).set_index("id")
    assert set(factors.loc[city.zones["id"][city.zones["kind"] == "external"], "car_rule"]) == {
        "group:external"
    }
    assert grown.totals()["car"] > 0


def test_wrong_arguments_are_demand_errors(base: demand.Demand, tmp_path: Path) -> None:
    from sanqu_geo.errors import DataSourceError

    with pytest.raises(DemandError, match=r"d must be a sanqu_geo.demand.Demand .*got NoneType"):
        forecast.demand_for(None)
    with pytest.raises(DemandError, match="must be a sanqu_geo.demand.Demand"):
        forecast.growth_factors(base.od, year=2025)
    with pytest.raises(DemandError, match="period \\['am_peak'\\] is unknown"):
        forecast.demand_for(base, period=["am_peak"])
    with pytest.raises(DemandError, match="years must be a list of years"):
        forecast.growth_table(base, years="2025")
    with pytest.raises(DemandError, match="years must be a list of years"):
        forecast.growth_table(base, years=2025)
    with pytest.raises(DemandError, match="season must be one of"):
        forecast.period_hours_per_year(season=["all"])
    big = tmp_path / "forecast.toml"
    big.write_bytes(b"#" * (forecast.FORECAST_MAX_BYTES + 1))
    with pytest.raises(DataSourceError, match="forecast.toml.*more than the 1 MB"):
        forecast.load_forecast(big)
    with pytest.raises(DataSourceError, match="is a folder"):
        forecast.load_forecast(tmp_path)
