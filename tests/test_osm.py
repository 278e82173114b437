"""OpenStreetMap files through the project's loaders, checked against independent counts."""

from __future__ import annotations

import bz2
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sanqu_geo import _osm, network
from sanqu_geo.errors import DataSourceError, NetworkError

# Counts published in ../shared/reference/README.md for osmnx's build of each file.
PUBLISHED = {"west-oakland.osm.bz2": (47, 106), "aguascalientes.osm.bz2": (1010, 2153)}

_NOT_DRIVE = {
    "abandoned",
    "bridleway",
    "bus_guideway",
    "construction",
    "corridor",
    "cycleway",
    "elevator",
    "escalator",
    "footway",
    "no",
    "path",
    "pedestrian",
    "planned",
    "platform",
    "proposed",
    "raceway",
    "razed",
    "rest_area",
    "service",
    "services",
    "steps",
    "track",
}


def _drivable_way_ids(path: Path) -> set[int]:
    """Way ids a car may use, by the osmnx "drive" rules written out independently."""
    ids = set()
    with bz2.open(path) as fh:
        for way in ET.parse(fh).getroot().iter("way"):
            tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
            hw = tags.get("highway")
            if hw is None or hw in _NOT_DRIVE or tags.get("area") == "yes":
                continue
            if tags.get("access") == "private" or "no" in (
                tags.get("motor_vehicle"),
                tags.get("motorcar"),
            ):
                continue
            if tags.get("service") in {
                "alley",
                "driveway",
                "emergency_access",
                "parking",
                "parking_aisle",
                "private",
            }:
                continue
            ids.add(int(way.get("id")))
    return ids


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_unfiltered_build_matches_published_counts(reference: Path, name: str) -> None:
    G, report = _osm.graph_from_osm_file(reference / "osm" / name, network_type=None)
    assert (len(G), G.number_of_edges()) == PUBLISHED[name]
    assert report.missing_refs == 0


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_drive_network_takes_exactly_the_drivable_ways(reference: Path, name: str) -> None:
    path = reference / "osm" / name
    G, _ = _osm.graph_from_osm_file(path, network_type="drive", retain_all=True)
    used: set[int] = set()
    for _, _, data in G.edges(data=True):
        osmid = data["osmid"]
        used.update(osmid if isinstance(osmid, list) else [osmid])
    assert used == _drivable_way_ids(path)


def test_pbf_gives_the_same_graph_as_xml(reference: Path) -> None:
    from_xml = network.load_network(reference / "osm" / "aguascalientes.osm.bz2", use_cache=False)
    from_pbf = network.load_network(reference / "osm" / "aguascalientes.osm.pbf", use_cache=False)
    assert set(from_xml.nodes) == set(from_pbf.nodes)
    assert set(from_xml.edges(keys=True)) == set(from_pbf.edges(keys=True))
    for u, v, k, data in from_xml.edges(keys=True, data=True):
        assert from_pbf.edges[u, v, k]["length"] == pytest.approx(data["length"], abs=1e-6)
        assert from_pbf.edges[u, v, k]["travel_time"] == pytest.approx(
            data["travel_time"], abs=1e-6
        )


def test_speeds_on_a_real_graph(reference: Path) -> None:
    G = network.load_network(reference / "osm" / "aguascalientes.osm.bz2", use_cache=False)
    assert G.graph["source"] == "OpenStreetMap file aguascalientes.osm.bz2"
    for _, _, data in G.edges(data=True):
        assert data["speed_kph"] > 0
        # running time at the speed, plus the signal delay where the edge ends at a signal
        assert data["travel_time"] == pytest.approx(
            data["length"] / (data["speed_kph"] / 3.6) + data["junction_delay_s"], rel=1e-3
        )
        if data.get("maxspeed") == "60" and data.get("highway") == "primary":
            assert data["speed_kph"] == 60.0


@pytest.mark.slow
def test_clipped_harbin_extract(reference: Path) -> None:
    path = reference / "osm" / "harbin-core.osm.pbf"
    raw = _osm.read_osm(path)
    # The counts stated for this extract in ../shared/reference/README.md.
    assert len(raw.nodes) == 226_042
    assert len(raw.ways) == 34_996
    assert sum("highway" in tags for _, _, tags in raw.ways) == 10_083
    G = network.load_network(path, use_cache=False)
    assert "trimmed" in G.graph and "references to nodes outside" in G.graph["trimmed"]
    xs = [d["x"] for _, d in G.nodes(data=True)]
    ys = [d["y"] for _, d in G.nodes(data=True)]
    assert 126.505 <= min(xs) and max(xs) <= 126.773
    assert 45.657 <= min(ys) and max(ys) <= 45.832
    summary = network.network_summary(G)
    assert summary["weak_components"] == 1
    assert summary["largest_strong_share"] > 0.9
    assert summary["km_by_class"]["trunk"] > 100


def test_file_cache_is_used_the_second_time(reference: Path) -> None:
    path = reference / "osm" / "west-oakland.osm.bz2"
    first = network.load_network(path)
    cached = network.cache_path(path)
    assert cached.is_file()
    second = network.load_network(path)
    assert set(first.edges(keys=True)) == set(second.edges(keys=True))


def test_overpass_result_is_cached_for_offline_use(
    reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osmnx as ox

    calls = []
    real, _ = _osm.graph_from_osm_file(reference / "osm" / "west-oakland.osm.bz2")

    def fake_graph_from_place(query, network_type):  # stands in for the Overpass service
        calls.append((query, network_type))
        return real.copy()

    monkeypatch.setattr(ox, "graph_from_place", fake_graph_from_place)
    G1 = network.load_network("West Oakland, California")
    G2 = network.load_network("West Oakland, California")
    assert calls == [("West Oakland, California", "drive")]
    assert (
        G1.graph["source"]
        == G2.graph["source"]
        == "OpenStreetMap via Overpass, place West Oakland, California"
    )
    assert G1.number_of_edges() == G2.number_of_edges() == real.number_of_edges()


@pytest.mark.parametrize(
    ("content", "name", "error", "match"),
    [
        (None, "missing.osm.pbf", DataSourceError, "not found"),
        (b"", "empty.osm", DataSourceError, "empty"),
        (b"<osm><node id='1' lat='x'", "broken.osm", DataSourceError, "cannot read"),
        (b"not bzip2 at all", "broken.osm.bz2", DataSourceError, "cannot read"),
        (b"\x00\x01garbage" * 10, "broken.osm.pbf", DataSourceError, "cannot read"),
        (b"<osm version='0.6'></osm>", "noways.osm", DataSourceError, "no ways"),
    ],
)
def test_bad_osm_files(tmp_path: Path, content, name, error, match) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=match):
        network.load_network(path)


def test_network_without_drivable_roads(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text(
        "<osm version='0.6'><node id='1' lat='45.7' lon='126.6'/><node id='2' lat='45.71' lon='126.6'/>"
        "<way id='5'><nd ref='1'/><nd ref='2'/><tag k='highway' v='footway'/></way></osm>",
        encoding="utf-8",
    )
    with pytest.raises(NetworkError, match="no ways left after selecting the drive network"):
        network.load_network(path)


@pytest.mark.parametrize(
    "bbox", ["126.8,45.6,126.5,45.8", "126.5,45.8,126.8,45.6", "1,2,3", "a,b,c,d", "200,1,201,2"]
)
def test_bad_bbox(bbox: str) -> None:
    with pytest.raises(NetworkError, match="bbox"):
        network.parse_bbox(bbox)


def test_an_osm_file_that_is_a_pipe_a_device_or_too_large_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    fifo = tmp_path / "fifo.osm"
    os.mkfifo(fifo)
    with pytest.raises(DataSourceError, match="fifo.osm: is a pipe"):
        _osm.read_osm(fifo)
    zero = tmp_path / "zero.osm.pbf"
    zero.symlink_to("/dev/zero")
    with pytest.raises(DataSourceError, match="zero.osm.pbf: is a device"):
        _osm.read_osm(zero)
    small = tmp_path / "small.osm"
    small.write_text(
        "<osm version='0.6'><node id='1' lat='45.7' lon='126.6'/><node id='2' lat='45.71' "
        "lon='126.6'/><way id='5'><nd ref='1'/><nd ref='2'/><tag k='highway' v='primary'/></way>"
        "</osm>",
        encoding="utf-8",
    )
    assert len(_osm.read_osm(small).ways) == 1
    monkeypatch.setattr(_osm, "max_osm_bytes", small.stat().st_size - 1)
    with pytest.raises(DataSourceError, match="small.osm: .* is more than the"):
        _osm.read_osm(small)
