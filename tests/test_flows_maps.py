"""Maps of assigned traffic: v/c colours, band widths, the web page's escaping."""

from __future__ import annotations

import re

import geopandas as gpd
import pytest
from matplotlib.collections import LineCollection
from shapely.geometry import LineString

from sanqu_geo import compare, peak
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import flows


@pytest.fixture(scope="module")
def links() -> gpd.GeoDataFrame:
    return compare.link_layer(peak.solve())


def _collection(fig, gid: str) -> LineCollection:
    found = [c for ax in fig.axes for c in ax.collections if c.get_gid() == gid]
    assert len(found) == 1, gid
    return found[0]


def test_congestion_map_colours_follow_vc(links) -> None:
    fig = flows.congestion_map(links, delay_index=1.65, paper="A3")
    width_in, height_in = fig.get_size_inches()
    assert width_in * 25.4 == pytest.approx(420, abs=1) and height_in * 25.4 == pytest.approx(
        297, abs=1
    )
    drawn = _collection(fig, "links-vc")
    order = links.sort_values("vc")
    expected = [flows._vc_colour(v) for v in order["vc"]]
    from matplotlib.colors import to_hex

    assert [to_hex(c) for c in drawn.get_colors()] == expected
    # every class boundary is honoured: v/c 1.0 is congested, not busy
    assert flows._vc_colour(1.0) == flows.VC_CLASSES[3][1]
    assert flows._vc_colour(0.59) == flows.VC_CLASSES[0][1]


def test_flow_difference_band_width_is_proportional_to_change() -> None:
    line = [LineString([(126.60 + i * 0.01, 45.75), (126.61 + i * 0.01, 45.75)]) for i in range(3)]
    diff = gpd.GeoDataFrame(
        {
            "name": ["a", "b", "c"],
            "highway": ["primary"] * 3,
            "corridor": ["", "", "new"],
            "pcu_base": [1000.0, 500.0, 0.0],
            "pcu_option": [600.0, 700.0, 800.0],
            "vc_option": [0.3, 0.3, 0.2],
            "delta_pcu": [-400.0, 200.0, 800.0],
        },
        geometry=line,
        crs="EPSG:4326",
    )
    fig = flows.flow_difference_map(diff, option_title=("测试", "Test"), paper="A4")
    gains, losses = _collection(fig, "links-gain"), _collection(fig, "links-loss")
    g = sorted(gains.get_linewidths())
    (lost,) = losses.get_linewidths()
    # width = (0.6 + 9 |Δ| / max|Δ|) × scale: 200 → 2.85, 400 → 5.1, 800 → 9.6 (A4 scale 1)
    assert g == pytest.approx([0.6 + 9 * 200 / 800, 0.6 + 9 * 800 / 800])
    assert lost == pytest.approx(0.6 + 9 * 400 / 800)


def test_web_page_escapes_names_and_needs_no_network(links) -> None:
    evil = links.copy()
    evil.loc[evil.index[0], "name"] = "<script>alert(1)</script>"
    page = flows.flows_web_map(evil, {})
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # every script and stylesheet is inlined: no element loads anything from the network
    assert not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', page)


def test_empty_input_is_one_clear_error() -> None:
    with pytest.raises(DataSourceError, match="congestion_map needs"):
        flows.congestion_map(gpd.GeoDataFrame({"vc": [], "pcu": []}, geometry=[], crs="EPSG:4326"))
