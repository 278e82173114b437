"""maxspeed parsing, class defaults and profiles."""

from __future__ import annotations

import logging
from pathlib import Path

import networkx as nx
import pytest

from sanqu_geo import settings, speeds
from sanqu_geo.errors import SettingsError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("60", 60.0),
        (60, 60.0),
        (80.0, 80.0),
        ("60 km/h", 60.0),
        ("60km/h", 60.0),
        ("50 kph", 50.0),
        ("30 mph", 30 * 1.609344),
        ("25mph", 25 * 1.609344),
        ("60;80", 70.0),
        ("40|60", 50.0),
        (["50", "70"], 60.0),
        (["30 mph", "junk"], 30 * 1.609344),
        ("CN:urban", 50.0),
        ("CN:motorway", 120.0),
        ("CN:rural", 70.0),
        ("none", None),
        ("signals", None),
        ("walk", None),
        ("", None),
        (None, None),
        ("fast", None),
        ("RU:urban", None),
        ("-20", None),
        ("0", None),
        (float("nan"), None),
        (True, None),
        ("60 km/h;", 60.0),
    ],
)
def test_parse_maxspeed(raw, expected) -> None:
    result = speeds.parse_maxspeed(raw)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def _one_edge_graph(highway: str, maxspeed=None, length: float = 1000.0) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_node(1, x=126.6, y=45.7)
    G.add_node(2, x=126.61, y=45.7)
    attrs = {"highway": highway, "length": length}
    if maxspeed is not None:
        attrs["maxspeed"] = maxspeed
    G.add_edge(1, 2, **attrs)
    return G


@pytest.mark.parametrize(
    ("highway", "maxspeed", "profile", "kph"),
    [
        ("motorway", None, "car", 100.0),  # JTG B01-2014 middle design speed
        ("primary", None, "car", 50.0),  # CJJ 37 主干路
        ("secondary", None, "car", 40.0),  # CJJ 37 次干路
        ("primary", "70", "car", 70.0),  # maxspeed wins over the class default
        ("motorway", "120", "truck", 80.0),  # truck cap on expressways
        ("primary", "70", "truck", 60.0),  # truck cap elsewhere
        ("primary", None, "winter", 40.0),  # 0.8 x 50
        ("primary", None, "car_peak", 27.5),  # 0.55 x 50
        ("footway_unknown", None, "car", settings.fallback_speed_kph),
    ],
)
def test_profile_speeds_and_times(highway, maxspeed, profile, kph) -> None:
    G = speeds.add_speeds(_one_edge_graph(highway, maxspeed), profile=profile)
    data = G.edges[1, 2, 0]
    assert data["speed_kph"] == pytest.approx(kph)
    assert data["travel_time"] == pytest.approx(1000.0 / (kph / 3.6))
    assert G.graph["profile"] == profile


def test_junk_maxspeed_falls_back_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    G = _one_edge_graph("secondary", "about sixty")
    G.add_edge(2, 1, highway="secondary", length=1000.0, maxspeed="??")
    with caplog.at_level(logging.WARNING, logger="sanqu_geo"):
        speeds.add_speeds(G)
    assert G.edges[1, 2, 0]["speed_kph"] == 40.0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2 edges" in warnings[0].getMessage()


def test_times_fall_as_speeds_rise() -> None:
    times = []
    for maxspeed in ("20", "40", "60", "80"):
        G = speeds.add_speeds(_one_edge_graph("primary", maxspeed))
        times.append(G.edges[1, 2, 0]["travel_time"])
    assert times == sorted(times, reverse=True)


def test_unknown_profile() -> None:
    with pytest.raises(SettingsError, match="unknown profile 'fast'.*car_peak"):
        speeds.add_speeds(_one_edge_graph("primary"), profile="fast")


def test_profiles_file_defines_and_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "profiles", {k: dict(v) for k, v in settings.profiles.items()})
    path = tmp_path / "profiles.toml"
    path.write_text(
        "[profiles.snowstorm]\nbase = 'winter'\nfactor = { default = 0.5 }\n"
        "[profiles.truck]\ncap_kph = { motorway = 70 }\n",
        encoding="utf-8",
    )
    assert speeds.load_profiles(path) == ["snowstorm", "truck"]
    G = speeds.add_speeds(_one_edge_graph("primary"), profile="snowstorm")
    assert G.edges[1, 2, 0]["speed_kph"] == pytest.approx(25.0)
    G = speeds.add_speeds(_one_edge_graph("motorway"), profile="truck")
    assert G.edges[1, 2, 0]["speed_kph"] == pytest.approx(70.0)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[profiles.x\n", "not valid TOML"),
        ("[profiles.x]\nspeed = 3\n", "profile 'x': unknown field.*speed"),
        ("[profiles.x]\nfactor = { highwayy = 0.5 }\n", "unknown road class 'highwayy'"),
        (
            "[profiles.x]\ncap_kph = { primary = -10 }\n",
            r"cap_kph\.primary: -10 must be a positive number",
        ),
        ("[profile.x]\n", "unknown top-level key"),
    ],
)
def test_bad_profiles_file(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=match) as info:
        speeds.load_profiles(path)
    assert str(path) in str(info.value)
