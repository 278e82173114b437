"""Print maps: page sizes and formats, the CJK font, the English fallback, the scale bar.

Every PNG is also written to ``test-artifacts/maps/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Annotation, Text
from PIL import Image
from pyproj import Geod, Transformer

from sanqu_geo import compare, layers, network, scenarios, settings, travel
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps import fonts, static, style

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "maps"

#: Pixel size of a landscape page at 300 dpi (297 × 210 mm and 420 × 297 mm).
PIXELS = {"A4": (3508, 2480), "A3": (4961, 3508)}

CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


@pytest.fixture(scope="module")
def comparison() -> compare.Comparison:
    return compare.compare(sensitivity=False)


@pytest.fixture(scope="module")
def cjk_family() -> str:
    family = static.find_cjk_font()
    if family is None:
        pytest.skip("no CJK font installed on this machine (Debian: apt install fonts-noto-cjk)")
    return family


@pytest.fixture(scope="module")
def zones_zh(cjk_family: str) -> Figure:
    return static.zones_map(paper="A4", lang="zh")


def _map_axes(fig: Figure) -> matplotlib.axes.Axes:
    return next(ax for ax in fig.axes if ax.get_gid() == "map-frame")


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text)]


def _check_files(fig: Figure, name: str, paper: str, tmp_path: Path) -> None:
    """PNG of the exact page size (kept as an artifact), a PDF, and an SVG with the title."""
    png = static.save_map(fig, ARTIFACTS / f"{name}.png")
    with Image.open(png) as image:
        width, height = image.size
    want_w, want_h = PIXELS[paper]
    assert abs(width - want_w) <= 1
    assert abs(height - want_h) <= 1

    pdf = static.save_map(fig, tmp_path / f"{name}.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")

    svg = static.save_map(fig, tmp_path / f"{name}.svg")
    root = ET.parse(svg).getroot()
    titles = [el.text for el in root.iter() if el.tag.endswith("title") and el.text]
    assert fig.get_label() in titles
    assert list(tmp_path.glob(".*")) == []  # no temporary file left behind


def test_zones_map_page_and_files(zones_zh: Figure, tmp_path: Path) -> None:
    assert fig_title(zones_zh) == "哈尔滨“三区一港”区域与主要设施"
    texts = _texts(zones_zh)
    assert "太平机场" in texts  # a facility's short_zh
    assert "松花江" in texts
    assert "南岗区" in texts
    _check_files(zones_zh, "zones_A4_zh", "A4", tmp_path)


def fig_title(fig: Figure) -> str:
    return next(t.get_text() for t in fig.findobj(Text) if t.get_gid() == "map-title")


def test_projects_map_at_a3(cjk_family: str, tmp_path: Path) -> None:
    fig = static.projects_map(lang="zh")  # A3 by default
    texts = _texts(fig)
    located = layers.load_layer("projects", located_only=True)
    # every task number is on the map, before the part's name; a feature that is not a plan
    # task is starred
    numbers = {str(int(i)) for i in located["item"].dropna()}
    assert numbers == {"7", "8", "10", "35", "36", "37", "38", "39"}
    assert numbers | {"*"} <= {t.split(" ", 1)[0] for t in texts if " " in t}
    assert "非方案任务" in "".join(texts)
    unlocated = next(t for t in fig.findobj(Text) if t.get_gid() == "unlocated").get_text()
    assert "保税物流中心" in unlocated
    assert any("近期(2021)" in t for t in texts)
    _check_files(fig, "projects_A3_zh", "A3", tmp_path)


def test_corridors_map(comparison: compare.Comparison, tmp_path: Path) -> None:
    fig = static.corridors_map(comparison, lang="en")
    best = comparison.summary.sort_values("rank").iloc[0]
    saved = style.format_vehicle_hours(best["vht_saved"])
    label = f"1  {best['title_en']} ({saved} veh-h saved)"
    assert label in _texts(fig)
    ax = _map_axes(fig)
    lines = {a.get_gid() for a in ax.collections if (a.get_gid() or "").startswith("option-")}
    assert lines == {f"option-{o}" for o in comparison.summary["option"]}
    # the rail option is drawn and said to be compared door to door, not ranked
    rail = [o.id for o in comparison.scenario.options if o.id not in set(comparison.summary.option)]
    assert rail
    drawn = {a.get_gid() for a in ax.collections if (a.get_gid() or "").startswith("rail-")}
    assert drawn == {f"rail-option-{o}" for o in rail}
    texts = " ".join(" ".join(t.split()) for t in _texts(fig))
    assert "compared door to door, not ranked" in texts
    assert "Ranked by the vehicle-hours saved" in texts
    _check_files(fig, "corridors_A4_en", "A4", tmp_path)


def test_isochrone_before_after_airport(tmp_path: Path) -> None:
    plan = scenarios.load_scenario()
    option = next(o for o in plan.options if o.id == "second_passage_full")
    G = network.load_network("trunk")
    place = travel.find_place("airport")
    before = travel.place_isochrones(G, place, [30, 60])
    after = travel.place_isochrones(scenarios.apply(G, option), place, [30, 60])
    fig = static.isochrones_map(
        before,
        after,
        title_place=("太平机场", "Taiping Airport"),
        option_title=(option.title_zh, option.title_en),
        place=place,
        lang="both",
    )
    texts = _texts(fig)
    assert any(t.startswith("30 分钟 现状") for t in texts)
    assert any("30 min, after" in t for t in texts)
    gids = {a.get_gid() for a in _map_axes(fig).collections}
    assert {"iso-before-30", "iso-before-60", "iso-after-30", "iso-after-60"} <= gids
    _check_files(fig, "isochrones_airport_A4_both", "A4", tmp_path)


def test_isochrones_map_before_only_inland_port(cjk_family: str, tmp_path: Path) -> None:
    G = network.load_network("trunk")
    before = travel.place_isochrones(G, travel.find_place("inland_port_hub"), [30, 60])
    fig = static.isochrones_map(before, None, title_place="内陆港", lang="zh")
    assert fig_title(fig) == "内陆港 30/60 分钟等时圈"
    png = static.save_map(fig, ARTIFACTS / "isochrones_inland_port_A4_zh.png")
    assert png.is_file()


def test_svg_and_pdf_are_reproducible(zones_zh: Figure, tmp_path: Path) -> None:
    for suffix in (".svg", ".pdf"):
        a = static.save_map(zones_zh, tmp_path / f"a{suffix}").read_bytes()
        b = static.save_map(zones_zh, tmp_path / f"b{suffix}").read_bytes()
        assert a == b


def _render(text: str, family: str) -> np.ndarray:
    """Grey levels of ``text`` drawn in ``family`` on a fixed white canvas."""
    fig = Figure(figsize=(3.0, 1.0), dpi=100, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    fig.text(0.05, 0.3, text, fontproperties=FontProperties(family=family, size=28))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fallback font lacks these glyphs, on purpose
        canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].mean(axis=-1)


def test_cjk_font_is_noto_and_draws_real_glyphs(cjk_family: str) -> None:
    path = font_manager.findfont(FontProperties(family=cjk_family), fallback_to_default=False)
    assert "NotoSansCJK" in path or "NotoSerifCJK" in path
    cjk = _render("三区一港", cjk_family)
    boxes = _render("三区一港", "DejaVu Sans")
    other = _render("自贸试验", cjk_family)
    assert (cjk < 128).sum() > 200  # ink
    assert not np.array_equal(cjk, boxes)  # not the missing-glyph boxes
    assert not np.array_equal(cjk, other)  # different characters look different


def test_map_labels_use_the_cjk_font(zones_zh: Figure, cjk_family: str) -> None:
    label = next(t for t in zones_zh.findobj(Text) if t.get_text() == "太平机场")
    path = font_manager.findfont(label.get_fontproperties())
    assert "NotoSansCJK" in path or "NotoSerifCJK" in path


def test_font_given_as_a_path(cjk_family: str) -> None:
    path = font_manager.findfont(FontProperties(family=cjk_family), fallback_to_default=False)
    family = static.find_cjk_font(path)
    assert family is not None
    assert family in {f.name for f in font_manager.fontManager.ttflist if f.fname == path}


def test_without_cjk_font_english_labels_and_one_warning(
    monkeypatch: pytest.MonkeyPatch,
    comparison: compare.Comparison,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(fonts, "find_cjk_font", lambda font=None: None)
    monkeypatch.setattr(fonts, "_WARNED", set())
    with caplog.at_level(logging.WARNING), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = static.corridors_map(comparison, lang="zh")
        fig.canvas.draw()  # missing glyphs would warn while drawing
        static.zones_map(lang="zh")  # a second map of the same run does not warn again
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert issubclass(caught[0].category, static.MissingCJKFontWarning)
    assert "no CJK font found" in str(caught[0].message)
    assert "English labels" in str(caught[0].message)
    assert [r for r in caplog.records if r.name.startswith("sanqu_geo.maps")] == []
    texts = _texts(fig)
    assert [t for t in texts if CJK.search(t)] == []
    assert fig_title(fig) == "Corridor options for the three areas and inland port"
    # an English title holding Chinese characters (哈双北路 …) falls back to the option id
    assert any(re.match(r"\d+  Hashuang extension", t) for t in texts)
    static.save_map(fig, ARTIFACTS / "corridors_A4_no_cjk_font.png")


def test_a_font_without_chinese_glyphs_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dejavu = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert static.find_cjk_font(str(dejavu)) is None
    monkeypatch.setattr(fonts, "_WARNED", set())
    with pytest.warns(static.MissingCJKFontWarning, match="has no Chinese glyphs"):
        fig = static.zones_map(font="DejaVu Sans", lang="zh")
    assert "Taiping Airport" in _texts(fig)


def test_missing_font_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "NoSuchFont.ttc"
    with pytest.raises(DataSourceError, match=r"font file .*NoSuchFont\.ttc.* not found"):
        static.zones_map(font=str(missing))
    with pytest.raises(DataSourceError, match="font family 'No Such Font' is not installed"):
        static.find_cjk_font("No Such Font")


def test_scale_bar_length_matches_its_label(zones_zh: Figure) -> None:
    ax = _map_axes(zones_zh)
    (bar,) = [p for p in ax.patches if p.get_gid() == "scale-bar"]
    (label,) = [t for t in ax.texts if t.get_gid() == "scale-bar-label"]
    km = float(re.fullmatch(r"([\d.]+) km", label.get_text()).group(1))
    length_m = bar.get_width()
    assert length_m == pytest.approx(km * 1000)
    assert bar.get_label() == label.get_text()
    mantissa = length_m / 10 ** math.floor(math.log10(length_m))
    assert mantissa == pytest.approx(round(mantissa)) and round(mantissa) in (1, 2, 5)
    segments = [p for p in ax.patches if p.get_gid() == "scale-bar-segment"]
    assert sum(p.get_width() for p in segments) == pytest.approx(length_m)
    x0, x1 = ax.get_xlim()
    assert 0.1 < length_m / (x1 - x0) < 0.3
    # drawn in data units of an equal-aspect metric map: its ends are that far apart on the ground
    assert ax.get_aspect() == 1.0
    assert bar.get_data_transform() == ax.transData
    x, y = bar.get_xy()
    to_wgs84 = Transformer.from_crs(settings.metric_crs, "EPSG:4326", always_xy=True)
    (lon0, lon1), (lat0, lat1) = to_wgs84.transform([x, x + length_m], [y, y])
    ground = Geod(ellps="GRS80").inv(lon0, lat0, lon1, lat1)[2]
    assert ground == pytest.approx(km * 1000, rel=1e-3)


def test_extent_fits_the_zones_and_labels_stay_on_the_map_apart(zones_zh: Figure) -> None:
    ax = _map_axes(zones_zh)
    zones = layers.load_layer("zones", located_only=True).to_crs(settings.metric_crs)
    zx0, zy0, zx1, zy1 = zones.total_bounds
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < zx0 and zx1 < x1 and y0 < zy0 and zy1 < y1
    assert (y1 - y0) < 1.3 * (zy1 - zy0)  # fitted with a margin, not zoomed out
    renderer = zones_zh.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    boxes = [a.get_window_extent(renderer) for a in ax.texts if isinstance(a, Annotation)]
    inset = next(a for a in zones_zh.axes if a.get_gid() == "map-inset")
    inset_labels = [a for a in inset.texts if isinstance(a, Annotation)]
    facilities = layers.load_layer("facilities", located_only=True)
    # every facility is named once: on the map, or in the inset when it lies in the cluster
    assert len(boxes) + len(inset_labels) >= len(facilities)
    assert {"内陆港", "集装箱中心站", "综保区卡口"} <= {a.get_text() for a in inset_labels}
    inset_box = inset.get_window_extent(renderer)
    for box in boxes:
        assert not box.overlaps(inset_box)
    for box in boxes:
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_notes_say_source_accuracy_and_roads() -> None:
    fig = static.zones_map(lang="en")
    footer = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
    assert "boundaries indicative" in footer
    assert "Roads: sanqu-geo trunk network (indicative)" in footer
    assert "OpenStreetMap" not in footer
    osm = network.load_network("trunk").copy()
    osm.graph["source"] = "OpenStreetMap file harbin.osm.pbf"
    fig = static.zones_map(lang="en", roads=osm)
    footer = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
    assert "© OpenStreetMap contributors" in footer.replace("\n", " ")


def test_bad_options_are_clear_errors(zones_zh: Figure, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="unknown paper 'A5'"):
        static.zones_map(paper="A5")
    with pytest.raises(SettingsError, match="unknown lang 'fr'"):
        static.zones_map(lang="fr")
    with pytest.raises(SettingsError, match=r"use a \.png, \.pdf or \.svg"):
        static.save_map(zones_zh, tmp_path / "map.jpg")
    assert list(tmp_path.iterdir()) == []


def test_projects_inset_carries_the_small_sites_tags(cjk_family: str) -> None:
    fig = static.projects_map(paper="A3", lang="zh")
    renderer = fig.canvas.get_renderer()
    ax = _map_axes(fig)
    inset = next(a for a in fig.axes if a.get_gid() == "map-inset")
    main_tags = [a for a in ax.texts if isinstance(a, Annotation)]
    inset_tags = [a for a in inset.texts if isinstance(a, Annotation)]
    # the projects inside the cluster (the inland-port last mile, the intermodal centre) are
    # tagged in the inset, where their shapes are large enough, not over the small shapes
    zones = layers.load_layer("zones", located_only=True).to_crs(settings.metric_crs)
    x0, y0, x1, y1 = zones[zones["id"].isin(static.INSET_CLUSTER)].total_bounds
    projects = layers.load_layer("projects", located_only=True).to_crs(settings.metric_crs)
    inside = projects[projects.geometry.within(shapely.box(x0 - 700, y0 - 700, x1 + 700, y1 + 700))]
    assert {"inland_port_last_mile", "intermodal_centre"} <= set(inside["id"])
    # a tag is the task number, a space and the part's name
    in_inset = [a.get_text().split(" ", 1)[0] for a in inset_tags]
    assert all(str(int(i)) in in_inset for i in inside["item"])
    in_main = [a.get_text().split(" ", 1)[0] for a in main_tags]
    outside = projects[~projects["id"].isin(inside["id"])]
    # a tag shared with a project outside the cluster may stay on the map; the others do not
    for task in set(inside["item"]) - set(outside["item"]):
        assert str(int(task)) not in in_main
    # the dashed box on the map shows what the inset enlarges
    assert any(p.get_gid() == "inset-extent" for p in ax.patches)
    # measured: no two tags overlap, on the map or in the inset, nor a map tag the inset
    inset_box = inset.get_window_extent(renderer)
    for tags in (main_tags, inset_tags):
        # the tags' own boxes (an Annotation's extent also spans its leader line)
        boxes = [Text.get_window_extent(t, renderer) for t in tags]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not a.overlaps(b)
    for t in main_tags:
        assert not Text.get_window_extent(t, renderer).overlaps(inset_box)
    static.save_map(fig, ARTIFACTS / "projects_A3_zh_inset.png")


# --------------------------------------------------------------------------- nothing hidden


def _pixels(fig: Figure) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].astype(float)


def _drawn(ax: matplotlib.axes.Axes, gid: str) -> matplotlib.collections.LineCollection:
    return next(c for c in ax.collections if c.get_gid() == gid)


def _display_lines(ax: matplotlib.axes.Axes, gid: str) -> list[shapely.LineString]:
    """The lines of an artist as drawn, in display pixels (origin bottom left)."""
    out = []
    for path in _drawn(ax, gid).get_paths():
        xy = ax.transData.transform(path.vertices)
        if len(xy) > 1:
            out.append(shapely.LineString(xy))
    return out


def _visible_share(
    fig: Figure,
    image: np.ndarray,
    gid: str,
    colour: str,
    *,
    same_colour: tuple[str, ...] = (),
    tolerance: float = 40.0,
) -> tuple[float, int]:
    """Share of the points along a line (every 4 px of its drawn path) near which the page
    shows the line's own colour, and the number of points judged.

    A point counts when a pixel within half a dash gap (plus 2 px) along or across the path
    has the colour (RGB distance < ``tolerance``): a dashed line is seen along its length, a
    line under another is not. Points near another line of the same colour are not judged.
    """
    ax = _map_axes(fig)
    height = image.shape[0]
    artist = _drawn(ax, gid)
    gaps = [g for _, dashes in artist.get_linestyle() if dashes for g in dashes[1::2]]
    px_per_pt = fig.dpi / 72.0
    radius = math.ceil((max(gaps) / 2 if gaps else 0.0) * px_per_pt) + 2
    width_px = float(np.max(artist.get_linewidth())) * px_per_pt
    others = [line for g in same_colour for line in _display_lines(ax, g)]
    near_other = shapely.unary_union(others).buffer(radius + width_px) if others else None
    want = np.array(matplotlib.colors.to_rgb(colour)) * 255
    seen = judged = 0
    for line in _display_lines(ax, gid):
        for d in np.arange(0.0, line.length, 4.0):
            p = line.interpolate(d)
            if near_other is not None and near_other.contains(p):
                continue
            x, y = round(p.x), round(height - p.y)
            window = image[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1]
            judged += 1
            if window.size and (np.linalg.norm(window - want, axis=2) < tolerance).any():
                seen += 1
    return (seen / judged if judged else 0.0), judged


def _near_alignment(fig: Figure, gid: str, alignment: shapely.Geometry, limit_pt: float) -> float:
    """Largest distance (points on the page) from the drawn line to its true alignment."""
    ax = _map_axes(fig)
    x0, x1 = ax.get_xlim()
    metres_per_pt = (x1 - x0) / (ax.get_window_extent().width / fig.dpi * 72.0)
    far = 0.0
    for path in _drawn(ax, gid).get_paths():
        for x, y in path.vertices:
            far = max(far, alignment.distance(shapely.Point(x, y)) / metres_per_pt)
    assert far <= limit_pt, f"{gid} is drawn {far:.1f} pt from its alignment"
    return far


def _metric_line(geoms: list[shapely.Geometry]) -> shapely.Geometry:
    to_m = Transformer.from_crs(settings.default_crs, settings.metric_crs, always_xy=True)
    return shapely.union_all(
        [shapely.transform(g, lambda xy: np.column_stack(to_m.transform(*xy.T))) for g in geoms]
    )


def test_corridor_map_hides_no_option(comparison: compare.Comparison) -> None:
    """The three best road options (phase 1 under the full second passage too) and the rail
    option (beside the second passage for most of its length) show their own colour along at
    least 80 % of their drawn length, every other option along at least 70 % (the container
    centre link, where ranks 3, 5 and 7 meet at the inland port, shows along about 73 %); all
    drawn within a few line widths of their alignment."""
    fig = static.corridors_map(comparison, paper="A3", lang="zh")
    image = _pixels(fig)
    ranks = dict(zip(comparison.summary["option"], comparison.summary["rank"], strict=True))
    looks = style.option_styles({o: int(r) for o, r in ranks.items()})
    colours = {f"option-{o}": c for o, (c, _) in looks.items()}
    rail = [o for o in comparison.scenario.options if o.rail]
    assert [o.id for o in rail] == ["art_harbin_west"]
    colours.update({f"rail-option-{o.id}": style.RAIL_OPTION_COLOUR for o in rail})
    by_id = {o.id: o for o in comparison.scenario.options}
    for gid, colour in colours.items():
        same = tuple(g for g, c in colours.items() if c == colour and g != gid)
        share, judged = _visible_share(fig, image, gid, colour, same_colour=same)
        assert judged >= 8, gid
        option_id = gid.split("-", 2)[-1] if gid.startswith("rail-") else gid[7:]
        least = 0.8 if gid.startswith("rail-") or ranks[option_id] <= 3 else 0.7
        assert share >= least, f"{gid}: visible along {share:.0%} of its length"
        option = by_id[gid.split("-", 2)[-1] if gid.startswith("rail-") else gid[7:]]
        _near_alignment(fig, gid, _metric_line([c.geometry for c in option.corridors]), 12.0)
    # the two that ran together (phase 1 of the second passage, the rail link along it) are
    # now laid beside it: neither is drawn where the full line is
    ax = _map_axes(fig)
    full = shapely.unary_union(_display_lines(ax, "option-second_passage_full"))
    for gid in ("option-second_passage_ph1", "rail-option-art_harbin_west"):
        line = shapely.unary_union(_display_lines(ax, gid))
        assert line.intersection(full.buffer(3)).length < 0.2 * line.length, gid


def test_corridor_map_footer_is_in_the_page_language(comparison: compare.Comparison) -> None:
    fig = static.corridors_map(comparison, lang="zh")
    footer = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
    assert "比选路网:内置骨干路网(示意)" in footer
    assert "embedded trunk network" not in footer
    fig = static.corridors_map(comparison, lang="both")
    footer = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
    flat = " ".join(footer.split())
    assert "内置骨干路网(示意) / embedded trunk network (indicative)" in flat


def test_projects_map_task_37_beside_task_36_and_parts_named(cjk_family: str) -> None:
    fig = static.projects_map(lang="zh")
    image = _pixels(fig)
    projects = layers.load_layer("projects", located_only=True)
    colour_of = {
        f"project-{r.id}": style.phase_colour(r.phase)
        for r in projects.itertuples()
        if r.geometry.geom_type in ("LineString", "MultiLineString")
    }
    rail = "project-airport_art_harbin_west"
    same = tuple(g for g, c in colour_of.items() if c == colour_of[rail] and g != rail)
    share, judged = _visible_share(fig, image, rail, colour_of[rail], same_colour=same)
    assert judged >= 20
    assert share >= 0.8, f"task 37 visible along {share:.0%} of its length"
    geometry = projects.set_index("id").geometry
    _near_alignment(fig, rail, _metric_line([geometry["airport_art_harbin_west"]]), 12.0)
    # every part of task 36 is seen as well
    for part in ("airport_second_passage_ph1", "airport_second_passage"):
        gid = f"project-{part}"
        others = tuple(g for g, c in colour_of.items() if c == colour_of[gid] and g != gid)
        share, _ = _visible_share(fig, image, gid, colour_of[gid], same_colour=others)
        assert share >= 0.8, f"{gid} visible along {share:.0%} of its length"
    # tags name the part, not only the task number
    texts = set(_texts(fig))
    for tag in ("36 一期", "36 全线", "36 临空经济区支线", "39 绕城高速方案", "39 新线方案"):
        assert tag in texts, tag
    assert "37 机场—哈尔滨西站轨道" in texts
    assert not {"36", "37", "39"} & texts


def test_projects_map_bilingual_tags() -> None:
    fig = static.projects_map(lang="both", paper="A4")
    texts = set(_texts(fig))
    assert "36 一期\nphase 1" in texts
    assert "39 新线方案\nnew-alignment option" in texts


def test_part_names() -> None:
    assert static.part_name(
        "机场第二通道(一期)", "Airport second passage, phase 1", shared=True
    ) == (
        "一期",
        "phase 1",
    )
    assert static.part_name(
        "哈双北路延长线(接吉林S514)", "哈双北路 extension (to Jilin S514)", shared=False
    ) == ("哈双北路延长线", "哈双北路 extension")
    assert static.part_name(None, "Runway", shared=False) == ("", "Runway")


def test_isochrones_after_equal_to_before_say_so(cjk_family: str) -> None:
    """An option that does not reach the place's isochrones: the map says "no change" and
    draws no outline over the fill it equals."""
    plan = scenarios.load_scenario()
    option = next(o for o in plan.options if o.id == "hashuang_extension")
    G = network.load_network("trunk")
    place = travel.find_place("inland_port_hub")
    before = travel.place_isochrones(G, place, [30, 60])
    after = travel.place_isochrones(scenarios.apply(G, option), place, [30, 60])
    # the premise: the same polygons (a few metres of polygon construction apart)
    b_m, a_m = before.to_crs(settings.metric_crs), after.to_crs(settings.metric_crs)
    for b, a in zip(b_m.geometry, a_m.geometry, strict=True):
        assert b.symmetric_difference(a).area < 0.01 * 1e6
    fig = static.isochrones_map(
        before,
        after,
        title_place=("内陆港", "Inland port"),
        option_title=(option.title_zh, option.title_en),
        network_source="embedded trunk network (indicative), Car, peak hour",
        place=place,
        lang="both",
        roads=G,
    )
    note = next(t for t in fig.findobj(Text) if t.get_gid() == "iso-no-change").get_text()
    assert note.startswith("无变化")
    assert "No change" in " ".join(note.split())
    assert "哈双北路延伸" in note.replace("\n", "")
    gids = {a.get_gid() for a in _map_axes(fig).collections}
    assert not {"iso-after-30", "iso-after-60"} & gids
    texts = _texts(fig)
    assert any("30 分钟 建成后:与现状相同" in t for t in texts)
    footer = next(t for t in fig.findobj(Text) if t.get_gid() == "map-footer").get_text()
    assert "内置骨干路网(示意),小汽车(高峰)" in " ".join(footer.split())
    # the note lies inside the map frame
    ax = _map_axes(fig)
    box = next(t for t in fig.findobj(Text) if t.get_gid() == "iso-no-change")
    fig.canvas.draw()
    inner = box.get_window_extent()
    frame = ax.get_window_extent()
    assert frame.x0 <= inner.x0 and inner.x1 <= frame.x1
    assert frame.y0 <= inner.y0 and inner.y1 <= frame.y1
