"""Economic appraisal: VOT from its inputs, annual benefits, NPV/BCR/FYRR by hand, bad inputs."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pandas as pd
import pytest

from sanqu_geo.appraisal import economics
from sanqu_geo.errors import ScenarioError
from sanqu_geo.resources import data_file


@pytest.fixture(scope="module")
def params() -> economics.EconomicParameters:
    return economics.load_parameters()


def test_embedded_parameters_and_their_sources(params: economics.EconomicParameters) -> None:
    assert params.discount_rate == 0.08
    assert params.appraisal_years == 20
    assert params.construction_years == 3
    assert params.base_year == 2025
    assert params.indicative is True
    assert "1325" in params.sources["discount_rate"]
    for name in ("gdp_per_head", "working_hours", "car_occupancy", "truck_goods_time"):
        assert "assumption" in params.sources[name]


def test_value_of_time_is_derived_from_the_stated_inputs(
    params: economics.EconomicParameters,
) -> None:
    # 51,800 yuan a head ÷ 2,000 h = 25.9 yuan per person-hour
    assert params.value_of_time["car"] == pytest.approx(25.9 * 1.5 * 1.0, rel=1e-12)
    assert params.value_of_time["truck"] == pytest.approx(25.9 * 1 + 20.0, rel=1e-12)
    doubled = dataclasses.replace(params, gdp_per_head=103_600, car_occupancy=2.0)
    assert doubled.value_of_time["car"] == pytest.approx(51.8 * 2.0, rel=1e-12)


def test_annual_benefits_by_hand(params: economics.EconomicParameters) -> None:
    saved = pd.DataFrame(
        {
            "year": [2030, 2030, 2030, 2040],
            "period": ["am_peak", "am_peak", "pm_peak", "am_peak"],
            "class": ["car", "truck", "car", "car"],
            "vht_saved": [10.0, 2.0, 4.0, 20.0],
            "vkt_change": [-5.0, 1.0, 0.0, 3.0],
        }
    )
    hours = {"am_peak": 250.0, "pm_peak": 300.0, "offpeak": 2000.0}
    out = economics.annual_benefits(saved, params=params, period_hours=hours)
    car, truck = 38.85, 45.9
    assert list(out["year"]) == [2030, 2040]
    expected_2030 = 10 * car * 250 + 2 * truck * 250 + 4 * car * 300
    assert out["benefit_yuan"].iloc[0] == pytest.approx(expected_2030, rel=1e-9)
    assert out["benefit_truck_yuan"].iloc[0] == pytest.approx(2 * truck * 250, rel=1e-9)
    assert out["vht_saved_car"].iloc[0] == pytest.approx(10 * 250 + 4 * 300)
    assert out["benefit_yuan"].iloc[1] == pytest.approx(20 * car * 250, rel=1e-9)
    assert out["benefit_truck_yuan"].iloc[1] == 0.0
    assert list(out["vkt_change"]) == pytest.approx([-5 * 250 + 1 * 250, 3 * 250])


def test_a_period_without_hours_is_named(params: economics.EconomicParameters) -> None:
    saved = pd.DataFrame(
        {"year": [2030], "period": ["night"], "class": ["car"], "vht_saved": [1.0]}
    )
    with pytest.raises(ScenarioError, match="night"):
        economics.annual_benefits(saved, params=params, period_hours={"am_peak": 250.0})


def _hand_params(params: economics.EconomicParameters) -> economics.EconomicParameters:
    return dataclasses.replace(
        params, discount_rate=0.10, construction_years=2, appraisal_years=3, base_year=2020
    )


def test_npv_bcr_fyrr_by_hand(params: economics.EconomicParameters) -> None:
    p = _hand_params(params)
    benefits = pd.DataFrame({"year": [2024, 2026], "benefit_yuan": [100.0, 300.0]})
    result = economics.appraise(benefits, cost_yuan=1000.0, opening_year=2023, params=p)
    # cost 500 in 2021 and 2022; benefits 2023: 100 (first modelled value held backwards),
    # 2024: 100, 2025: 200 (half way from 100 in 2024 to 300 in 2026); base year 2020
    pv_costs = 500 / 1.1 + 500 / 1.21
    pv_benefits = 100 / 1.331 + 100 / 1.4641 + 200 / 1.61051
    assert result.pv_costs_yuan == pytest.approx(pv_costs, rel=1e-9)
    assert result.pv_benefits_yuan == pytest.approx(pv_benefits, rel=1e-9)
    assert result.npv_yuan == pytest.approx(pv_benefits - pv_costs, rel=1e-9)
    assert result.bcr == pytest.approx(pv_benefits / pv_costs, rel=1e-9)
    assert result.fyrr == pytest.approx(100 / 1000, rel=1e-9)
    stream = result.stream.set_index("year")
    assert list(stream.index) == [2021, 2022, 2023, 2024, 2025]
    assert list(stream["cost_yuan"]) == [500.0, 500.0, 0.0, 0.0, 0.0]
    assert list(stream["benefit_yuan"]) == pytest.approx([0, 0, 100, 100, 200])
    assert stream.loc[2022, "discount_factor"] == pytest.approx(1 / 1.21, rel=1e-12)


def test_benefits_are_held_after_the_last_modelled_year(
    params: economics.EconomicParameters,
) -> None:
    p = dataclasses.replace(params, appraisal_years=5, base_year=2028, discount_rate=0.0)
    benefits = pd.DataFrame({"year": [2029], "benefit_yuan": [50.0]})
    result = economics.appraise(benefits, cost_yuan=300.0, opening_year=2028, params=p)
    operating = result.stream[result.stream["year"] >= 2028]
    assert list(operating["benefit_yuan"]) == [50.0] * 5
    assert result.pv_benefits_yuan == pytest.approx(250.0)
    assert result.bcr == pytest.approx(250 / 300)


def test_an_unpublished_cost_gives_nan_ratios_but_benefits(
    params: economics.EconomicParameters,
) -> None:
    p = _hand_params(params)
    benefits = pd.DataFrame({"year": [2023], "benefit_yuan": [100.0]})
    for cost in (math.nan, None):
        result = economics.appraise(benefits, cost_yuan=cost, opening_year=2023, params=p)
        assert math.isnan(result.bcr) and math.isnan(result.npv_yuan)
        assert math.isnan(result.fyrr) and math.isnan(result.pv_costs_yuan)
        assert result.pv_benefits_yuan == pytest.approx(100 / 1.331 + 100 / 1.4641 + 100 / 1.61051)


def test_a_negative_cost_is_refused(params: economics.EconomicParameters) -> None:
    benefits = pd.DataFrame({"year": [2030], "benefit_yuan": [1.0]})
    with pytest.raises(ScenarioError, match="cost_yuan"):
        economics.appraise(benefits, cost_yuan=-1.0, opening_year=2030, params=params)


@pytest.mark.parametrize("cost", [0.0, math.inf, -math.inf, 1.0001e12, "35.7e8", True])
def test_a_cost_out_of_range_or_not_a_number_is_refused(
    params: economics.EconomicParameters, cost: object
) -> None:
    benefits = pd.DataFrame({"year": [2030], "benefit_yuan": [1.0]})
    with pytest.raises(ScenarioError, match="cost_yuan must be a number above 0 and at most"):
        economics.appraise(benefits, cost_yuan=cost, opening_year=2030, params=params)


def test_the_largest_cost_allowed_is_appraised(params: economics.EconomicParameters) -> None:
    p = _hand_params(params)
    benefits = pd.DataFrame({"year": [2023], "benefit_yuan": [1e9]})
    result = economics.appraise(
        benefits, cost_yuan=economics.MAX_COST_YUAN, opening_year=2023, params=p
    )
    assert result.fyrr == pytest.approx(1e9 / 1e12)


@pytest.mark.parametrize("year", [2030.5, 1899, 2201, "2030", None])
def test_an_opening_year_that_is_not_a_whole_year_in_range_is_refused(
    params: economics.EconomicParameters, year: object
) -> None:
    benefits = pd.DataFrame({"year": [2030], "benefit_yuan": [1.0]})
    with pytest.raises(ScenarioError, match="opening_year must be a whole year from 1900 to 2200"):
        economics.appraise(benefits, cost_yuan=1e9, opening_year=year, params=params)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("value = 0.08", "value = -0.08", "discount_rate"),
        ("value = 0.08\n", "", "discount_rate"),
        ("value = 20\n", "value = 2.5\n", "appraisal_years"),
        ("value = 1.5\nsource", "value = 1.5\nsourc", "car_occupancy"),
    ],
)
def test_a_bad_parameters_file_names_the_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    text = data_file(economics.PARAMETERS_FILE).read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "economics.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=field):
        economics.load_parameters(bad)


def test_assumptions_table_holds_numbers(params: economics.EconomicParameters) -> None:
    table = economics.assumptions_table(params)
    assert list(table.columns) == ["factor_zh", "factor_en", "value", "unit", "source"]
    assert pd.api.types.is_numeric_dtype(table["value"])
    by_name = table.set_index("factor_en")["value"]
    assert by_name["social discount rate"] == 0.08
    assert by_name["value of time, car"] == pytest.approx(38.85)
    assert table["source"].str.len().gt(0).all()
