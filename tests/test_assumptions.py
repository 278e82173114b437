"""The assumptions sheet lists every parameter the pack's figures depend on, with a source."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sanqu_geo import compare, peak, settings, workbook

PARAMETERS = Path(__file__).resolve().parents[1] / "data" / "demand" / "parameters.toml"


@pytest.fixture(scope="module")
def sheet():
    return workbook.assumptions_table()


def _keys(table: dict, path: str = ""):
    """Every (dotted path, value) of the TOML; entries of arrays of tables as path[id]."""
    for key, value in table.items():
        name = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            yield from _keys(value, name)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for entry in value:
                for k, v in entry.items():
                    yield f"{name}[{entry['id']}]", k, v
        else:
            yield path, key, value


def test_every_demand_parameter_is_listed_with_its_source(sheet) -> None:
    params = tomllib.loads(PARAMETERS.read_text(encoding="utf-8"))
    names = list(sheet["参数 Parameter"])
    sources = " ".join(sheet["来源 Source"])
    checked = 0
    for path, key, value in _keys(params):
        if key == "source" or key.endswith("_source"):
            # a source is written next to the keys it belongs to
            assert str(value) in sources, (path, key)
            continue
        if "[" in path:
            row = sheet[sheet["参数 Parameter"].str.contains(f" {path}", regex=False)]
            assert len(row) == 1, path
            assert f"{key}=" in row["取值 Value"].iloc[0], (path, key)
        else:
            name = f"需求 demand {path}.{key}"
            assert name in names, name
        checked += 1
    assert checked > 60
    # the calibrated trip rate names the calibration, a friction parameter its assumption
    rate = sheet[sheet["参数 Parameter"] == "需求 demand generation.car_trips_per_resident"]
    assert (
        "calibrated on the city network (sanqu-geo model calibrate)" in rate["来源 Source"].iloc[0]
    )
    trunk = sheet[
        sheet["参数 Parameter"] == "需求 demand networks.trunk.generation.car_trips_per_resident"
    ]
    assert "calibrated on the trunk sketch" in trunk["来源 Source"].iloc[0]
    beta = sheet[sheet["参数 Parameter"] == "需求 demand distribution.beta_car_per_min"]
    assert "9.1 km" in beta["来源 Source"].iloc[0]


def test_every_capacity_class_and_assignment_parameter_is_listed(sheet) -> None:
    cells = zip(sheet["取值 Value"], sheet["来源 Source"], strict=True)
    rows = dict(zip(sheet["参数 Parameter"], cells, strict=True))
    for road_class, pcu in settings.capacity_per_lane_pcu.items():
        value, source = rows[f"每车道通行能力 {road_class} Capacity per lane"]
        assert value == f"{pcu:g}"
        assert "JTG B01-2014" in source or "CJJ 37-2012" in source
    for road_class, share in settings.signal_green_share.items():
        assert rows[f"绿信比 {road_class} Signal green share g/C"][0] == f"{share:g}"
    assert rows["BPR α (延误函数 volume-delay)"][0] == f"{settings.bpr_alpha:g}"
    assert rows["BPR β (延误函数 volume-delay)"][0] == f"{settings.bpr_beta:g}"
    assert "JTG B01-2014" in rows["货车折算系数 Truck PCE (mix unknown)"][1]
    assert rows["均衡收敛 Relative gap of every solve"][0] == f"{peak.default_gap:.0e}"
    assert rows["年天数 Days per year"][0] == f"{compare.days_per_year:g}"
    assert rows["步行速度 Walk speed (rail door to door)"][0] == f"{compare.walk_kph:g}"
    assert any(name.startswith("锥形延误函数") for name in rows)


def test_sensitivity_variants_read_as_words(sheet) -> None:
    part = sheet[sheet["参数 Parameter"].str.startswith("敏感性")]
    assert len(part) == len(compare.SENSITIVITY_RUNS)
    values = list(part["取值 Value"])
    assert not any("Variant(" in v for v in values)
    assert "需求 demand × 0.8" in values
    assert "锥形延误函数 conical α = 6" in values


def test_the_rail_wait_is_listed_with_a_comparison() -> None:
    c = compare.compare(sensitivity=False, appraisal=False)
    table = workbook.assumptions_table(c)
    rail = [k for o in c.scenario.options for k in o.corridors if k.kind == "rail_art"]
    assert rail
    headway = tomllib.loads(
        (Path(__file__).parents[1] / "data" / "appraisal" / "rail.toml").read_text("utf-8")
    )["headway"]["value"]
    for corridor in rail:
        row = table[table["参数 Parameter"] == f"候车 {corridor.title_zh} Rail wait"]
        assert row["取值 Value"].iloc[0] == f"{headway / 2:g}"  # half the headway
