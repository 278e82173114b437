"""Maps of assigned traffic: v/c colours, band widths, the web page's escaping."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import pytest
from matplotlib.collections import LineCollection
from shapely.geometry import LineString

from sanqu_geo import compare, peak
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import flows, style


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
    # the class of each v/c from the legend's stated bounds 0.6 / 0.8 / 1.0 / 1.2 (lower bound in)
    expected = [flows.VC_CLASSES[sum(v >= b for b in (0.6, 0.8, 1.0, 1.2))][1] for v in order["vc"]]
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
    # the toolkit's own base is drawn under the traffic, as on the other offline pages
    assert "Base (indicative)" in page and '"pane": "sq-base"' in page


def test_empty_input_is_one_clear_error() -> None:
    with pytest.raises(DataSourceError, match="congestion_map needs"):
        flows.congestion_map(gpd.GeoDataFrame({"vc": [], "pcu": []}, geometry=[], crs="EPSG:4326"))


def test_traffic_maps_take_their_colours_from_the_style_table() -> None:
    from matplotlib.colors import to_hex

    line = [LineString([(126.60 + i * 0.01, 45.75), (126.61 + i * 0.01, 45.75)]) for i in range(2)]
    diff = gpd.GeoDataFrame(
        {"name": ["a", "b"], "corridor": ["", "new"], "delta_pcu": [-400.0, 800.0]},
        geometry=line,
        crs="EPSG:4326",
    )
    fig = flows.flow_difference_map(
        diff, option_title=("测试", "Test"), vht_saved=1234.5, paper="A4", lang="en"
    )
    assert {to_hex(c) for c in _collection(fig, "links-gain").get_colors()} == {
        style.FLOW_GAIN_COLOUR
    }
    assert {to_hex(c) for c in _collection(fig, "links-loss").get_colors()} == {
        style.FLOW_LOSS_COLOUR
    }
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    assert any("1,235 vehicle-hours saved" in t for t in texts)  # the one rounding rule
    assert flows.VC_CLASSES is style.VC_CLASSES


def test_select_link_breaks_are_round_and_cover_the_largest() -> None:
    assert flows.select_link_breaks(402) == [100, 200, 300, 400, 500]
    assert flows.select_link_breaks(37) == [10, 20, 30, 40, 50]
    assert flows.select_link_breaks(1.0) == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])


@pytest.fixture(scope="module")
def comparison() -> compare.Comparison:
    return compare.compare(sensitivity=False)


def test_select_link_zones_add_up_to_the_corridor_and_shade_the_map(comparison) -> None:
    from matplotlib.colors import to_hex
    from shapely.geometry import Point

    from sanqu_geo import assignment, demand, settings

    d = demand.load_demand()
    option = "second_passage_full"
    zones = compare.select_link_zones(comparison, option, d.zones)
    part = comparison.select_link[comparison.select_link["option"] == option]
    # every trip through the corridor has one origin and one destination zone
    assert zones["from_vehicles"].sum() == pytest.approx(part["flow"].sum())
    assert zones["to_vehicles"].sum() == pytest.approx(part["flow"].sum())
    assert zones["vehicles"].sum() == pytest.approx(2 * part["flow"].sum())
    # and, summed over pairs, the flows through one corridor link give that link's volume
    run = comparison.option_runs[option]
    sc_option = next(o for o in comparison.scenario.options if o.id == option)
    link = compare._corridor_edges(run, sc_option)[0]
    one = assignment.select_link(run.result, [link])
    volume = sum(
        float(run.result.volumes[c].to_numpy()[run.result.edges.index(link)])
        for c in run.result.class_names
    )
    assert one["flow"].sum() == pytest.approx(volume, rel=1e-9, abs=1e-6)
    corridor = gpd.GeoDataFrame(
        geometry=[c.geometry for c in sc_option.corridors], crs=settings.default_crs
    )
    fig = flows.select_link_map(
        zones, corridor, option_title=(sc_option.title_zh, sc_option.title_en), lang="en"
    )
    breaks = flows.select_link_breaks(zones["vehicles"].max())
    shaded = _collection(fig, "select-link-zones")
    polygons = zones[zones.geom_type.isin(["Polygon", "MultiPolygon"]) & (zones["vehicles"] > 0)]
    # five equal classes of width breaks[0], upper bound included: class ⌈v / step⌉ − 1
    step = breaks[0]
    assert breaks == pytest.approx([step * k for k in range(1, 6)])
    expected = [
        style.SELECT_LINK_COLOURS[min(math.ceil(v / step) - 1, 4)] for v in polygons["vehicles"]
    ]
    assert [to_hex(c) for c in shaded.get_facecolor()] == expected
    assert set(expected) <= set(style.SELECT_LINK_COLOURS)
    texts = [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]
    top = zones.sort_values("vehicles").iloc[-1]
    assert any(style.format_volume(top["vehicles"]) in t and top["name_en"] in t for t in texts)
    # the web page has a layer per option, escaped, with the same colours
    evil = zones.copy()
    evil.loc[evil.index[0], "name_en"] = "<b>x</b>"
    evil.loc[evil.index[0], "vehicles"] = 1.0
    evil.loc[evil.index[0], "geometry"] = Point(126.6, 45.7)
    page = flows.flows_web_map(
        compare.link_layer(comparison.base_run), {}, select_link={option: (("甲", "A"), evil)}
    )
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert style.SELECT_LINK_COLOURS[0] in page
