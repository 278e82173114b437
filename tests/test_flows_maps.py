"""Maps of assigned traffic: v/c colours, band widths, the web page's escaping."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from shapely.geometry import LineString, Point

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


def _diff(deltas: list[float], names: list[str] | None = None) -> gpd.GeoDataFrame:
    n = len(deltas)
    lines = [LineString([(126.60 + i * 0.01, 45.75), (126.61 + i * 0.01, 45.75)]) for i in range(n)]
    return gpd.GeoDataFrame(
        {
            "name": names or [f"路{i}" for i in range(n)],
            "highway": ["primary"] * n,
            "corridor": [""] * n,
            "delta_pcu": deltas,
        },
        geometry=lines,
        crs="EPSG:4326",
    )


def test_flow_difference_band_width_follows_the_fixed_classes() -> None:
    # the class of each |Δ| read off the legend's stated bounds (PCU/h), upper bound included
    # in the next class: < 100, 100–250, 250–500, 500–1,000, ... with its stated width at A4
    stated = {10: None, 60: 0.5, 200: 1.3, 400: 2.2, 800: 3.3, 1500: 4.6}
    fig = flows.flow_difference_map(
        _diff([-10.0, 60.0, -200.0, 400.0, -800.0, 1500.0]), option_title=("测试", "Test"),
        paper="A4",
    )  # fmt: skip
    gains, losses = _collection(fig, "links-gain"), _collection(fig, "links-loss")
    assert sorted(gains.get_linewidths()) == pytest.approx([stated[60], stated[400], stated[1500]])
    assert sorted(losses.get_linewidths()) == pytest.approx([stated[200], stated[800]])
    # a change under 25 PCU/h is drawn as unchanged, thin and grey
    assert len(_collection(fig, "links-unchanged").get_paths()) == 1


def _map_axes(fig):
    (ax,) = [a for a in fig.axes if a.get_gid() == "map-frame"]
    return ax


def _linewidth_of(fig, gid: str, x: float) -> float:
    """The drawn width of the line of ``gid`` whose first vertex is at longitude ``x``."""
    from pyproj import Transformer

    from sanqu_geo import settings

    mx, _ = Transformer.from_crs("EPSG:4326", settings.metric_crs, always_xy=True).transform(
        x, 45.75
    )
    c = _collection(fig, gid)
    (i,) = [k for k, p in enumerate(c.get_paths()) if abs(p.vertices[0][0] - mx) < 1.0]
    widths = c.get_linewidths()
    return float(widths[i % len(widths)])


def test_flow_maps_of_a_pack_share_one_width_scale(links) -> None:
    # two options as different as the pack's (largest changes 463 and 1,851 PCU/h): a road
    # changing by 400 PCU/h is drawn as wide on both, and the keys are the same
    small = flows.flow_difference_map(
        _diff([463.0, 400.0, -143.0]), option_title=("甲", "A"), paper="A3"
    )
    large = flows.flow_difference_map(
        _diff([1851.0, 400.0, -574.0]), option_title=("乙", "B"), paper="A3"
    )
    assert _linewidth_of(small, "links-gain", 126.61) == pytest.approx(
        _linewidth_of(large, "links-gain", 126.61)
    )
    congestion = flows.congestion_map(links, paper="A3")

    def keys(fig):
        legends = [a for ax in fig.axes for a in ax.artists if a.get_gid() == "legend-1"]
        (legend,) = legends
        return [t.get_text() for t in legend.get_texts()], [
            h.get_linewidth() for h in legend.legend_handles
        ]

    assert keys(small) == keys(large) == keys(congestion)
    # not a hairline: the 143 PCU/h loss beside a 1,851 gain is at least 1 pt wide on A3
    assert _linewidth_of(large, "links-loss", 126.62) >= 1.0
    # and the congestion map's widths are the same function of volume
    drawn = _collection(congestion, "links-vc").get_linewidths()
    order = links.sort_values("vc")
    assert list(drawn) == pytest.approx(list(flows.flow_width(order["pcu"], scale=2**0.5)), 0.01)


def _texts(fig) -> list:
    from matplotlib.text import Text

    ax = _map_axes(fig)
    fig.canvas.draw()
    return [t for t in ax.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _overlaps(fig) -> list[tuple[str, str]]:
    from matplotlib.text import Text

    texts = _texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [(t.get_text(), Text.get_window_extent(t, renderer)) for t in texts]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_congestion_map_names_the_most_congested_roads_and_the_districts(links) -> None:
    fig = flows.congestion_map(links, paper="A3")
    texts = [t.get_text() for t in _texts(fig)]
    # the roads of highest v/c, found here from the links themselves
    worst = links[links["name"] != ""].groupby("name")["vc"].max().sort_values(ascending=False)
    top = worst.index[0]
    assert any(t.startswith(top) and style.format_ratio(worst.iloc[0]) in t for t in texts)
    named = [n for n in worst.index[:8] if any(t.startswith(n + " ") for t in texts)]
    assert len(named) >= 6, named
    # only congested roads are named: every road label is a road of v/c ≥ 0.8
    road_labels = [t for t in texts if any(t.startswith(n + " ") for n in worst.index)]
    assert all(worst[t.rsplit(" ", 1)[0]] >= 0.8 for t in road_labels)
    for district in ("南岗区", "道里区", "松北区", "香坊区"):
        assert district in texts
    assert "松花江" in texts
    assert _overlaps(fig) == []


def test_bilingual_congestion_map_names_roads_in_both_languages(links) -> None:
    named = links.assign(name_en=links["name"].map({"哈平路": "Haping Road"}).fillna(""))
    fig = flows.congestion_map(named, paper="A3", lang="both")
    texts = [t.get_text() for t in _texts(fig)]
    assert any(t.startswith("哈平路 Haping Road ") for t in texts)
    assert any(t.startswith("南岗区") and "Nangang District" in t for t in texts)
    assert _overlaps(fig) == []


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


#: The select-link classes as the legend states them (veh/h, upper bound included).
_STATED = (50, 100, 200, 400)


def _stated_colour(v: float) -> str:
    return style.SELECT_LINK_COLOURS[sum(v > b for b in _STATED)]


def _select_figure(comparison, option: str, **kw):
    from sanqu_geo import demand, settings

    zones = compare.select_link_zones(comparison, option, demand.load_demand().zones)
    sc_option = next(o for o in comparison.scenario.options if o.id == option)
    corridor = gpd.GeoDataFrame(
        geometry=[c.geometry for c in sc_option.corridors], crs=settings.default_crs
    )
    part = comparison.select_link[comparison.select_link["option"] == option]
    fig = flows.select_link_map(
        zones,
        corridor,
        option_title=(sc_option.title_zh, sc_option.title_en),
        corridor_vehicles=float(part["flow"].sum()),
        **kw,
    )
    return zones, fig


def test_select_link_zones_add_up_to_the_corridor_and_shade_the_map(comparison) -> None:
    from matplotlib.colors import to_hex

    from sanqu_geo import assignment

    option = "second_passage_full"
    zones, fig = _select_figure(comparison, option, lang="en")
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
    shaded = _collection(fig, "select-link-zones")
    polygons = zones[zones.geom_type.isin(["Polygon", "MultiPolygon"]) & (zones["vehicles"] > 0)]
    # larger zones drawn first; each in its class of the stated fixed bounds
    metric = polygons.to_crs("EPSG:4551")
    polygons = polygons.loc[metric.geometry.area.sort_values(ascending=False, kind="stable").index]
    expected = [_stated_colour(v) for v in polygons["vehicles"]]
    assert [to_hex(c) for c in shaded.get_facecolor()] == expected
    texts = [t.get_text() for t in _texts(fig)]
    top = zones.sort_values("vehicles").iloc[-1]
    assert any(style.format_volume(top["vehicles"]) in t and top["name_en"] in t for t in texts)
    # the corridor is named on the map with its volume
    assert any(
        sc_option.title_en in t and style.format_volume(part["flow"].sum()) + " veh/h" in t
        for t in texts
    )
    assert _overlaps(fig) == []
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


def test_select_link_fills_lie_above_the_plan_zones_and_show_their_class(comparison) -> None:
    from matplotlib.colors import to_rgb

    zones, fig = _select_figure(comparison, "second_passage_full", paper="A3")
    ax = _map_axes(fig)
    fills = _collection(fig, "select-link-zones")
    plan = [c for c in ax.collections if (c.get_gid() or "").startswith("zone-")]
    assert plan, "the plan's zones are drawn"
    # the plan's zones are outlines under the fills: no fill of their own
    assert all(fills.get_zorder() > c.get_zorder() for c in plan)
    assert all(float(a) == 0.0 for c in plan for a in c.get_facecolor()[:, 3])
    # sampled on the rendered page, a district inside the New Area shows its own class
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[:, :, :3] / 255.0
    metric = zones.to_crs("EPSG:4551")
    inner = metric[(metric["id"] == "songbei")].iloc[0]
    outer = metric[(metric["id"] == "new_area_jiangbei")].iloc[0]
    assert outer.geometry.contains(inner.geometry.centroid)
    core = inner.geometry.buffer(-600)
    x0, y0, x1, y1 = core.bounds
    samples = []
    for fx in np.linspace(0.1, 0.9, 9):
        for fy in np.linspace(0.1, 0.9, 9):
            p = (x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
            if core.contains(Point(*p)):
                px, py = ax.transData.transform(p)
                samples.append(image[image.shape[0] - 1 - int(py), int(px)])
    want = np.array(to_rgb(_stated_colour(inner["vehicles"])))
    close = [np.abs(s - want).max() < 0.03 for s in samples]
    assert len(samples) >= 20 and np.mean(close) >= 0.6, np.mean(close)


def test_select_link_maps_of_a_pack_share_their_classes(comparison) -> None:
    def classes(fig):
        legend = next(a for ax in fig.axes for a in ax.artists if a.get_gid() == "legend-0")
        return [t.get_text() for t in legend.get_texts()]

    a = _select_figure(comparison, "second_passage_full", lang="en")[1]
    b = _select_figure(comparison, "freight_ring_feeders", lang="en")[1]
    assert classes(a) == classes(b) == ["0–50", "50–100", "100–200", "200–400", "> 400"]
    with pytest.raises(ValueError, match="breaks must be 5"):
        _select_figure(comparison, "second_passage_full", breaks=[1, 2])
