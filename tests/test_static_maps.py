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
    # every task number is on the map; a feature that is not a plan task is starred
    numbers = {str(int(i)) for i in located["item"].dropna()}
    assert numbers == {"7", "8", "10", "35", "36", "37", "38", "39"}
    assert numbers | {"*"} <= set(texts)
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
    in_inset = [a.get_text() for a in inset_tags]
    assert all(str(int(i)) in in_inset for i in inside["item"])
    in_main = [a.get_text() for a in main_tags]
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
