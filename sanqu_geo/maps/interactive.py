"""The interactive infrastructure map: folium pages built from TOML recipes, publishable offline.

Layers, bilingual popups (every user text escaped), a legend, layer control, scale,
fullscreen and measure controls; overlays shifted to GCJ-02 on a Gaode basemap; stable ids so
the same inputs give the same bytes; with ``offline`` every script and stylesheet inlined.
Draws what it is given; never computes travel times.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import Element

from sanqu_geo import crs as _crs
from sanqu_geo import layers
from sanqu_geo._atomic import atomic_folder, check_output_folder
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps import style, web_base
from sanqu_geo.maps.basemaps import get_basemap
from sanqu_geo.maps.web_base import PageContext, add_geojson, bilingual, code_text, escape, plain
from sanqu_geo.maps.web_base import popup_rows as _rows
from sanqu_geo.maps.web_base import prepare as _prepare
from sanqu_geo.maps.web_corridors import corridor_layers
from sanqu_geo.maps.web_legend import Legend, LegendItem
from sanqu_geo.resources import data_file, recipes_folder

logger = logging.getLogger(__name__)

__all__ = ["Recipe", "build_map", "load_recipe", "publish", "render_html"]

#: Simplification tolerance of drawn lines and polygons (see :mod:`sanqu_geo.maps.web_base`).
SIMPLIFY_DEG = web_base.SIMPLIFY_DEG

LAYER_NAMES = ("zones", "facilities", "roads", "projects", "river", "districts")
_RECIPE_KEYS = {"map", "corridors"}
_MAP_KEYS = {"title_zh", "title_en", "basemap", "lang", "layers", "zoom", "center", "fit"}
_CORRIDOR_KEYS = {"scenario", "profile", "minutes"}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """What one map shows."""

    name: str
    title_zh: str
    title_en: str
    basemap: str = "osm"
    lang: str = "both"
    layers: tuple[str, ...] = LAYER_NAMES
    zoom: int = 10
    center: tuple[float, float] | None = None
    corridors: dict[str, Any] | None = None
    fit: bool = True


def load_recipe(recipe: str | Path) -> Recipe:
    """Read a map recipe: a TOML file, or the name of an embedded one (``infrastructure``).

    Parameters
    ----------
    recipe : str or path
        File path or recipe name.

    Returns
    -------
    Recipe
        The recipe.

    Raises
    ------
    DataSourceError, SettingsError
        Missing file, TOML errors, unknown fields or layers; the message names the file.
    """
    path = Path(recipe)
    if not path.suffix:
        path = recipes_folder() / f"{recipe}.toml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in recipes_folder().glob("*.toml")))
        msg = f"map recipe {recipe!r} not found; give a .toml file or one of: {known}"
        raise DataSourceError(msg)
    data = read_toml(path, what="map recipe", error=SettingsError)
    _check(data, _RECIPE_KEYS, str(path))
    head = data.get("map", {})
    _check(head, _MAP_KEYS, f"{path}: [map]")
    names = tuple(head.get("layers", LAYER_NAMES))
    unknown = [n for n in names if n not in (*LAYER_NAMES, "corridors")]
    if unknown:
        msg = f"{path}: [map] layers: unknown layer(s) {', '.join(unknown)}; use {', '.join(LAYER_NAMES)}, corridors"
        raise SettingsError(msg)
    corridors = data.get("corridors")
    if corridors is not None:
        _check(corridors, _CORRIDOR_KEYS, f"{path}: [corridors]")
    lang = str(head.get("lang", "both"))
    _check_lang(lang)
    center = head.get("center")
    return Recipe(
        name=path.stem,
        title_zh=str(head.get("title_zh", path.stem)),
        title_en=str(head.get("title_en", path.stem)),
        basemap=str(head.get("basemap", "osm")),
        lang=lang,
        layers=names,
        zoom=int(head.get("zoom", 10)),
        center=(float(center[0]), float(center[1])) if center else None,
        corridors=corridors,
        fit=bool(head.get("fit", True)),
    )


def _check(table: Any, allowed: set[str], where: str) -> None:
    check_keys(table, allowed, where, error=SettingsError)


def _check_lang(lang: str) -> None:
    if lang not in {"zh", "en", "both"}:
        msg = f"language {lang!r} is unknown: use zh, en or both"
        raise SettingsError(msg)


# --------------------------------------------------------------------------- building


def _zones_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    gdf = _prepare(layers.load_layer("zones"), ctx)
    located = layers.load_layer("zones", located_only=True)
    area_by_id = dict(zip(located["id"], _crs.area_km2(located).round(2), strict=True))
    props = []
    for row in gdf.itertuples():
        colour = style.zone_colour(row.group)
        props.append(
            {
                "id": escape(row.id),
                "stroke": colour,
                "fill": colour,
                "fill_opacity": 0.16,
                "weight": 2,
                "tooltip": bilingual(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{bilingual(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("面积(km²)", "Area km²", area_by_id.get(row.id)),
                        ("公布面积(km²)", "Published km²", row.area_km2_published),
                        ("精度", "Accuracy", code_text(row.accuracy, ctx.lang)),
                        ("来源", "Source", row.source),
                        ("说明", "Note", row.note),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=plain("三区一港区域", "Zones", ctx.lang), show=True)
    add_geojson(group, gdf, props)
    # a zone named like a facility in it (内陆港, 集装箱中心站) is named once, by the facility
    facilities = layers.load_layer("facilities")
    taken = set(facilities["short_zh"].dropna()) if "facilities" in ctx.layers else set()
    ordered = gdf.assign(_a=[area_by_id.get(i, 0.0) for i in gdf["id"]]).sort_values("_a")
    ordered = ordered[~ordered["short_zh"].isin(taken)]
    points = [p.representative_point() for p in ordered.geometry]
    web_base.add_labels(
        group,
        [(p.y, p.x) for p in points],
        [
            bilingual(_first(r.short_zh, r.name_zh), _first(r.short_en, r.name_en), ctx.lang)
            for r in ordered.itertuples()
        ],
        [web_base.zone_minzoom(a) for a in ordered["_a"]],
        kind="zone",
        colours=[_darker(style.zone_colour(g)) for g in ordered["group"]],
    )
    group.add_to(m)
    return [
        LegendItem(style.zone_colour(g), plain(zh, en, ctx.lang), "area", group=group)
        for g, zh, en in (
            ("ftz", "自贸区哈尔滨片区", "FTZ Harbin area"),
            ("new_area", "哈尔滨新区", "Harbin New Area"),
            ("cbz", "综合保税区", "Bonded zone"),
            ("airport_zone", "临空经济区", "Airport economic zone"),
            ("inland_port", "内陆港 / 集装箱中心站", "Inland port / container centre"),
        )
    ]


def _first(*values: Any) -> str:
    return next((str(v) for v in values if v is not None and not pd.isna(v) and str(v)), "")


def _darker(colour: str, factor: float = 0.7) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{int(c * factor):02x}" for c in (r, g, b))


def _facilities_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    gdf = _prepare(layers.load_layer("facilities"), ctx)
    ink = style.FACILITY_OTHER[2]
    props = []
    for row in gdf.itertuples():
        props.append(
            {
                "id": escape(row.id),
                "stroke": ink,
                "fill": ink if row.status == "existing" else style.FACILITY_PLANNED_FACE,
                "weight": 2,
                "fill_opacity": 0.95,
                "tooltip": bilingual(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{bilingual(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("类型", "Kind", row.kind),
                        ("状态", "Status", code_text(row.status, ctx.lang)),
                        ("所在区域", "Zone", row.zone),
                        ("精度", "Accuracy", code_text(row.accuracy, ctx.lang)),
                        ("来源", "Source", row.source),
                        ("说明", "Note", row.note),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=plain("主要设施", "Facilities", ctx.lang), show=True)
    add_geojson(group, gdf, props, point_radius=5)
    web_base.add_labels(
        group,
        [(p.y, p.x) for p in gdf.geometry],
        [
            bilingual(_first(r.short_zh, r.name_zh), _first(r.short_en, r.name_en), ctx.lang)
            for r in gdf.itertuples()
        ],
        [web_base.facility_minzoom(k) for k in gdf["kind"]],
        kind="facility",
    )
    group.add_to(m)
    return [
        LegendItem(ink, plain("设施(已建)", "Facility (existing)", ctx.lang), "point", group=group),
        LegendItem(
            ink,
            plain("设施(规划)", "Facility (planned)", ctx.lang),
            "point",
            fill=style.FACILITY_PLANNED_FACE,
            group=group,
        ),
    ]


def _roads_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    roads = gpd.read_file(data_file("roads/trunk.geojson"))
    gdf = _prepare(roads, ctx)
    props = []
    for row in gdf.itertuples():
        _, colour, _, weight = style.ROAD_STYLES.get(
            str(row.highway), style.ROAD_STYLES["tertiary"]
        )
        props.append(
            {
                "stroke": colour,
                "weight": weight + 1,
                "opacity": 0.9,
                "tooltip": bilingual(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{bilingual(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("编号", "Ref", row.ref),
                        ("等级", "Class", row.highway),
                        ("限速", "Max speed km/h", row.maxspeed),
                        ("精度", "Accuracy", code_text(row.accuracy, ctx.lang)),
                        ("来源", "Source", row.source),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=plain("干线路网", "Trunk roads", ctx.lang), show=True)
    add_geojson(group, gdf, props)
    group.add_to(m)
    return [
        LegendItem(
            style.ROAD_STYLES[c][1],
            plain(zh, en, ctx.lang),
            "line",
            weight=style.ROAD_STYLES[c][3] + 1,
            group=group,
        )
        for c, zh, en in (
            ("motorway", "高速公路", "Expressway"),
            ("trunk", "快速路", "Urban expressway"),
            ("primary", "主干路", "Arterial"),
        )
    ]


def _projects_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    projects = layers.load_layer("projects")
    unlocated = projects[projects.geometry.isna()]
    gdf = _prepare(projects, ctx)
    # A feature without a phase is not a task of the plan (e.g. the airport's second runway).
    gdf["phase"] = gdf["phase"].fillna("非方案任务").replace("", "非方案任务")
    legend = []
    for phase, colour in style.PHASE_COLOURS.items():
        part = gdf[gdf["phase"] == phase]
        if part.empty:
            continue
        year = layers.PHASES.get(phase)
        when = f" {year}" if year else ""
        name = plain(
            f"项目 {phase}{when}", f"Projects, {style.PHASE_EN.get(phase, phase)}{when}", ctx.lang
        )
        props = []
        for row in part.itertuples():
            title = bilingual(row.title_zh, row.title_en, ctx.lang)
            props.append(
                {
                    "id": escape(row.id),
                    "stroke": colour,
                    "fill": colour,
                    "weight": 5,
                    "fill_opacity": 0.2,  # a project area must not hide the zone under it
                    "tooltip": f"{escape(_item_text(row.item, ctx.lang))} {title}",
                    "popup": f"<b>{escape(_item_text(row.item, ctx.lang))}</b><br><b>{title}</b>"
                    + _rows(
                        [
                            ("章节", "Section", row.subsection),
                            (
                                "期限",
                                "Term",
                                f"{row.phase} ({style.PHASE_EN.get(row.phase, '')})",
                            ),
                            ("目标年份", "Target year", _year(row.target_year)),
                            (
                                "牵头单位",
                                "Lead unit",
                                row.lead_unit or ("未明确" if ctx.lang == "zh" else "not named"),
                            ),
                            ("状态", "Status", code_text(row.status, ctx.lang)),
                            ("设计速度", "Design speed km/h", row.design_speed_kph),
                            ("精度", "Accuracy", code_text(row.accuracy, ctx.lang)),
                            ("来源", "Source", row.source),
                            ("说明", "Note", row.note),
                        ],
                        ctx.lang,
                    ),
                }
            )
        group = folium.FeatureGroup(name=name, show=True)
        building = (part["status"] == style.UNDER_CONSTRUCTION).to_numpy()
        # a rail line runs along the road projects (task 37 on the second passage): drawn
        # above them, a few pixels beside its course, so neither hides the other
        rail = _is_rail(part).to_numpy() & ~building
        for p, r in zip(props, rail, strict=True):
            if r:
                p.update(offset=web_base.RAIL_OFFSET_PX, weight=4)
        others = [p for p, b, r in zip(props, building, rail, strict=True) if not (b or r)]
        if len(others):
            add_geojson(group, part[~(building | rail)], others, point_radius=7)
        if rail.any():
            add_geojson(
                group,
                part[rail],
                [p for p, r in zip(props, rail, strict=True) if r],
                pane="sq-rail",
            )
        if building.any():
            # the part under construction lies on top of the lines it belongs to: its own
            # pane, above the other overlays, with a white casing so it reads as one line
            top = part[building]
            casing = [{"stroke": "#ffffff", "weight": 9, "opacity": 1.0} for _ in range(len(top))]
            add_geojson(group, top, casing, pane="sq-top", interactive=False)
            add_geojson(
                group, top, [p for p, b in zip(props, building, strict=True) if b], pane="sq-top"
            )
        group.add_to(m)
        legend.append(LegendItem(colour, name, "line", weight=5, group=group))
        if building.any():
            legend.append(
                LegendItem(
                    colour,
                    plain("在建(置于上层)", "Under construction (drawn on top)", ctx.lang),
                    "line",
                    weight=5,
                    group=group,
                )
            )
    if not unlocated.empty:
        items = ", ".join(
            f"{escape(_item_text(r.item, ctx.lang))} {escape(r.title_zh if ctx.lang != 'en' else r.title_en)}"
            for r in unlocated.itertuples()
        )
        legend.append(
            LegendItem(
                "#9a9a9a",
                plain("位置未公布", "Location not published", ctx.lang) + ": " + items,
                "area",
                dash="3 2",
                fill="#ffffff",
            )
        )
    return legend


def _is_rail(frame: gpd.GeoDataFrame) -> pd.Series:
    """Which project lines are rail (``kind`` starting with ``rail``)."""
    kind = frame["kind"].fillna("").astype(str) if "kind" in frame else pd.Series("", frame.index)
    lines = frame.geometry.geom_type.isin(["LineString", "MultiLineString"])
    return kind.str.startswith("rail") & lines


def _item_text(item: Any, lang: str) -> str:
    """The plan's task number in words (the ``item`` field); none for a non-plan feature."""
    if item is None or pd.isna(item):
        return (
            "非方案任务"
            if lang == "zh"
            else "Not a plan task"
            if lang == "en"
            else "非方案任务 Not a plan task"
        )
    number = int(item)
    return (
        f"第{number}项"
        if lang == "zh"
        else f"Task {number}"
        if lang == "en"
        else f"第{number}项 Task {number}"
    )


def _year(value: Any) -> Any:
    return "" if value is None or pd.isna(value) else int(value)


def _river_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    gdf = _prepare(layers.load_layer("river"), ctx)
    props = [
        {
            "stroke": style.RIVER_COLOUR,
            "weight": 6,
            "opacity": 0.6,
            "tooltip": bilingual(r.name_zh, r.name_en, ctx.lang),
            "popup": f"<b>{bilingual(r.name_zh, r.name_en, ctx.lang)}</b>"
            + _rows(
                [("精度", "Accuracy", code_text(r.accuracy, ctx.lang)), ("说明", "Note", r.note)],
                ctx.lang,
            ),
        }
        for r in gdf.itertuples()
    ]
    group = folium.FeatureGroup(name=plain("松花江", "Songhua River", ctx.lang), show=True)
    add_geojson(group, gdf, props)
    group.add_to(m)
    return [
        LegendItem(
            style.RIVER_COLOUR,
            plain("松花江", "Songhua River", ctx.lang),
            "line",
            weight=5,
            group=group,
        )
    ]


def _districts_layer(m: folium.Map, ctx: PageContext) -> list[LegendItem]:
    gdf = _prepare(layers.load_layer("districts"), ctx)
    group = folium.FeatureGroup(name=plain("行政区", "Districts", ctx.lang), show=True)
    for row in gdf.itertuples():
        text = bilingual(row.name_zh, row.name_en, ctx.lang)
        web_base.district_marker(row.geometry, text).add_to(group)
    group.add_to(m)
    return []


def build_map(
    recipe: Recipe,
    *,
    basemap: str | None = None,
    lang: str | None = None,
    tiles_url: str | None = None,
    tiles_ext: str = "png",
    corridor_data: dict[str, gpd.GeoDataFrame] | None = None,
) -> folium.Map:
    """Build the folium map a recipe describes.

    Parameters
    ----------
    recipe : Recipe
        What to show.
    basemap : str, optional
        Overrides the recipe's basemap (``osm``, ``gaode``, ``gaode_satellite``,
        ``tianditu``, ``local``, ``none``).
    lang : {"zh", "en", "both"}, optional
        Overrides the recipe's language.
    tiles_url : str, optional
        For ``local``: the tile folder's URL relative to the page.
    tiles_ext : str
        For ``local``: the tiles' file extension (``png`` or ``jpg``).
    corridor_data : dict, optional
        For recipes with a ``corridors`` layer: what :func:`sanqu_geo.compare.map_layers`
        returns.

    Returns
    -------
    folium.Map
        The map (render it with :func:`render_html`).
    """
    lang = lang or recipe.lang
    _check_lang(lang)
    base = get_basemap(basemap or recipe.basemap, tiles_folder=tiles_url, tiles_ext=tiles_ext)
    ctx = PageContext(
        lang=lang, shift=base is not None and base.crs == "gcj02", layers=recipe.layers
    )
    center = recipe.center or (45.72, 126.52)
    if ctx.shift:
        lon, lat = _crs.wgs84_to_gcj02(center[1], center[0])
        center = (lat, lon)
    m = folium.Map(
        location=list(center),
        zoom_start=recipe.zoom,
        tiles=None,
        control_scale=False,  # folium's shows miles too: MetricScale below
        prefer_canvas=False,
    )
    # Only Leaflet is needed: popups, tooltips, layers and the legend use no jQuery/Bootstrap.
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
    web_base.base_panes(m)
    if base is None:
        base_group = web_base.add_base(
            m, lambda g: _prepare(g, ctx), lang=lang, districts="districts" not in recipe.layers
        )
    else:
        base_group = None
    if base is not None:
        for i, url in enumerate(base.tiles):
            folium.TileLayer(
                tiles=url,
                attr=base.attribution or "local tiles",
                name=base.title if i == 0 else f"{base.title} 注记",
                subdomains=base.subdomains or "abc",
                max_zoom=base.max_zoom,
                overlay=i > 0,
                control=False,
            ).add_to(m)
    legend: list[LegendItem] = []
    builders = {
        "zones": _zones_layer,
        "facilities": _facilities_layer,
        "roads": _roads_layer,
        "projects": _projects_layer,
        "river": _river_layer,
        "districts": _districts_layer,
    }
    for name in recipe.layers:
        if name == "corridors":
            if corridor_data is None:
                msg = f"recipe {recipe.name!r} shows corridors: compute them first (sanqu_geo.compare.map_layers)"
                raise SettingsError(msg)
            legend += corridor_layers(m, ctx, corridor_data)
        else:
            legend += builders[name](m, ctx)
    # collapsed to a button: expanded, the list covers a third of the map
    folium.LayerControl(collapsed=True).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", primary_area_unit="hectares"
    ).add_to(m)
    note = plain(
        "示意数据:边界与线位依据公开资料绘制,非法定边界。",
        "Indicative data: boundaries and alignments drawn from published facts, not legal boundaries.",
        lang,
    )
    if ctx.shift:
        note += " " + plain(
            "叠加图层已转换为GCJ-02以匹配高德底图。",
            "Overlays shifted to GCJ-02 to match the Gaode basemap.",
            lang,
        )
    if base is not None and base.name == "osm":
        note += " " + escape("Basemap © OpenStreetMap contributors (ODbL).")
    if base_group is not None:
        note += " " + plain(
            "底图:sanqu-geo 数据;市区街道 © OpenStreetMap contributors, ODbL。",
            "Base: sanqu-geo data; central streets © OpenStreetMap contributors, ODbL.",
            lang,
        )
        legend.append(
            LegendItem(
                style.ROAD_STYLES["secondary"][1],
                plain("底图街道(OSM)", "Base streets (OSM)", lang),
                "line",
                weight=2,
                group=base_group,
            )
        )
    heading = (
        bilingual(recipe.title_zh, recipe.title_en, lang)
        if lang != "both"
        else f"{escape(recipe.title_zh)} · <span class='en'>{escape(recipe.title_en)}</span>"
    )
    Legend(
        heading,
        plain("图例", "Legend", lang),
        legend,
        note,
        plain("展开/收起图例", "Show or hide the legend", lang),
        page_title=f"{escape(recipe.title_zh)} · {escape(recipe.title_en)}"
        if lang == "both"
        else plain(recipe.title_zh, recipe.title_en, lang),
    ).add_to(m)
    web_base.MetricScale().add_to(m)
    web_base.OffsetLines().add_to(m)
    web_base.LabelPlacer().add_to(m)
    if recipe.center is None or recipe.fit:
        # The layer control and the legend sit on the right: keep the data clear of them.
        m.fit_bounds(_bounds(ctx), padding_top_left=(20, 20), padding_bottom_right=(280, 20))
    m.get_root().header.add_child(Element('<meta name="generator" content="sanqu-geo">'))
    return m


def _bounds(ctx: PageContext) -> list[list[float]]:
    """[[south, west], [north, east]] of the zones and facilities (shifted like the overlays)."""
    parts = [layers.load_layer(n, located_only=True)[["geometry"]] for n in ("zones", "facilities")]
    gdf = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    if ctx.shift:
        gdf = _crs.from_wgs84(gdf, "gcj02")
    west, south, east, north = gdf.total_bounds
    return [[round(south, 5), round(west, 5)], [round(north, 5), round(east, 5)]]


# --------------------------------------------------------------------------- rendering

_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
_LINK = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"/>')


def _stable_ids(m: folium.Map) -> None:
    """Replace folium's random element ids by a counter, so the same map gives the same bytes."""
    counter = itertools.count()

    def walk(element: Any) -> None:
        element._id = f"{next(counter):05d}"
        for child in list(element._children.values()):
            walk(child)

    walk(m.get_root())


def _asset(url: str, folder: Path | None) -> str:
    name = url.rsplit("/", 1)[-1]
    if folder is not None:
        candidate = folder / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    try:
        # folium-offline ships the exact files folium's CDN links point to, keyed by URL.
        from offlinefolium.elements import _res
    except ImportError:
        _res = {}
    if url in _res:
        return _res[url]
    msg = f"no offline copy of {url}: install folium-offline, or put {name} in the --assets folder"
    raise DataSourceError(msg)


def render_html(m: folium.Map, *, offline: bool = False, assets: str | Path | None = None) -> str:
    """Render a map to one HTML page, deterministically.

    Parameters
    ----------
    m : folium.Map
        From :func:`build_map`.
    offline : bool
        Inline every script and stylesheet so the page needs no network.
    assets : path-like, optional
        Folder with local copies of the scripts and stylesheets (by file name), tried before
        the copies folium-offline ships.

    Returns
    -------
    str
        The HTML.

    Notes
    -----
    A map made with folium's ``control_scale`` gets the toolkit's metric scale instead (folium's
    shows miles and feet too).
    """
    if getattr(m, "control_scale", False):
        m.control_scale = False
        web_base.MetricScale().add_to(m)
    _stable_ids(m)
    page = m.get_root().render()
    if offline:
        folder = Path(assets) if assets else None

        def script(match: re.Match[str]) -> str:
            code = _asset(match.group(1), folder).replace("</script", "<\\/script")
            return f"<script>{code}</script>"

        def style(match: re.Match[str]) -> str:
            return f"<style>{_asset(match.group(1), folder)}</style>"

        page = _SCRIPT.sub(script, page)
        page = _LINK.sub(style, page)
        left = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', page)
        if left:
            msg = f"the offline page still links to {', '.join(sorted(set(left))[:3])}"
            raise DataSourceError(msg)
    return page


def publish(
    recipes: Iterable[str | Path],
    out_dir: str | Path,
    *,
    basemap: str | None = None,
    lang: str | None = None,
    offline: bool = False,
    tiles: str | Path | None = None,
    assets: str | Path | None = None,
    corridor_data: dict[str, gpd.GeoDataFrame] | None = None,
    force: bool = False,
) -> list[Path]:
    """Build and write one HTML file per recipe into a folder, atomically.

    The pages (and the tiles of an MBTiles file) move into ``out_dir`` together, only when
    all are built; they join the folder's manifest, so pages built earlier stay, and other
    files in the folder are kept (see :mod:`sanqu_geo._atomic`). A page of the same name as a
    file of the user's is refused unless ``force``.

    Parameters
    ----------
    recipes : iterable of str or path
        Recipe names or files.
    out_dir : path-like
        Output folder.
    basemap : str, optional
        Overrides every recipe's basemap; with ``offline`` it defaults to ``none`` (a named
        basemap is kept, but its tiles need the network).
    lang : str, optional
        Overrides every recipe's language.
    offline : bool
        Pages that need no network at all.
    tiles : path-like, optional
        A local tile folder (``{z}/{x}/{y}.png``) or an MBTiles file (unpacked into
        ``out_dir/tiles``): the basemap becomes ``local``.
    assets : path-like, optional
        Folder with local copies of scripts and stylesheets.
    corridor_data : dict, optional
        For recipes with corridors (see :func:`build_map`).
    force : bool
        Replace the user's own files of the names written (reported, see
        :func:`sanqu_geo._atomic.replaced_files`).

    Returns
    -------
    list of pathlib.Path
        The pages written.

    Raises
    ------
    DataSourceError
        When the folder may not be written, or holds the user's own files of those names.
    """
    out_dir = Path(out_dir)
    loaded = [load_recipe(item) for item in recipes]
    names = [f"{recipe.name}.html" for recipe in loaded]
    check_output_folder(out_dir, force=force, beside=True, names=names)  # before the work
    # Every page is built before any moves in, so a failed or killed run does not leave a
    # folder with some pages new and some old.
    with atomic_folder(out_dir, force=force, beside=True, add=True) as folder:
        tiles_folder, tiles_ext = tiles, "png"
        if tiles is not None and str(tiles).casefold().endswith(".mbtiles"):
            from sanqu_geo.maps.basemaps import unpack_mbtiles

            # a page cannot read SQLite: the tiles go into a folder beside the pages
            tiles_ext = unpack_mbtiles(tiles, folder / "tiles")
            tiles_folder = out_dir / "tiles"
        for recipe, name in zip(loaded, names, strict=True):
            chosen = basemap
            tiles_url = None
            if tiles is not None:
                from sanqu_geo.maps.basemaps import relative_url

                chosen, tiles_url = "local", relative_url(tiles_folder, out_dir)
            elif offline and chosen is None:
                chosen = "none"
            elif offline and chosen != "none":
                logger.warning(
                    "offline page with the %s basemap: its tiles still need the network", chosen
                )
            m = build_map(
                recipe,
                basemap=chosen,
                lang=lang,
                tiles_url=tiles_url,
                tiles_ext=tiles_ext,
                corridor_data=corridor_data,
            )
            page = render_html(m, offline=offline, assets=assets)
            (folder / name).write_text(page, encoding="utf-8")
    written = [out_dir / name for name in dict.fromkeys(names)]
    for target in written:
        logger.info("wrote %s (%.0f kB)", target, target.stat().st_size / 1024)
    return written
