"""The interactive infrastructure map: folium pages built from TOML recipes, publishable offline.

Layers, bilingual popups (every user text escaped), a legend, layer control, scale,
fullscreen and measure controls; overlays shifted to GCJ-02 on a Gaode basemap; stable ids so
the same inputs give the same bytes; with ``offline`` every script and stylesheet inlined.
Draws what it is given; never computes travel times.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
from branca.element import Element, MacroElement
from jinja2 import Template

from sanqu_geo import crs as _crs
from sanqu_geo import layers
from sanqu_geo._atomic import atomic_path
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import DataSourceError, SettingsError
from sanqu_geo.maps.basemaps import get_basemap
from sanqu_geo.resources import data_file, recipes_folder

logger = logging.getLogger(__name__)

__all__ = ["Recipe", "build_map", "load_recipe", "publish", "render_html"]

#: Colours of the zone groups.
ZONE_COLOURS = {
    "ftz": "#d7301f",
    "new_area": "#fc8d59",
    "cbz": "#6a51a3",
    "airport_zone": "#2171b5",
    "inland_port": "#238b45",
}
#: Colours of the plan phases.
PHASE_COLOURS = {
    "近期": "#e41a1c",
    "中期": "#ff7f00",
    "远期": "#377eb8",
    "中远期": "#984ea3",
    "长远期": "#1b7837",
    "非方案任务": "#7f7f7f",
}
PHASE_EN = {
    "近期": "near term",
    "中期": "medium term",
    "远期": "long term",
    "中远期": "medium to long term",
    "长远期": "long range",
    "非方案任务": "not a plan task",
}
ROAD_STYLE = {
    "motorway": ("#b2182b", 4),
    "trunk": ("#ef8a62", 3),
    "primary": ("#777777", 2),
    "secondary": ("#aaaaaa", 1.5),
}
#: Simplification tolerance (degrees, about 5 m) for drawn lines and polygons: the web map is
#: read at city zoom levels (10–15), where 5 m is below one pixel.
SIMPLIFY_DEG = 0.00005

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


# --------------------------------------------------------------------------- text


def _e(value: Any) -> str:
    """Escape any value for HTML; missing values become an empty string."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return html.escape(str(value), quote=True)


def _label(zh: Any, en: Any, lang: str) -> str:
    """Escaped bilingual label: Chinese first, English second."""
    zh, en = _e(zh), _e(en)
    if lang == "zh":
        return zh or en
    if lang == "en":
        return en or zh
    return f"{zh}<br><span class='en'>{en}</span>" if zh and en and zh != en else (zh or en)


def _rows(pairs: Iterable[tuple[str, str, Any]], lang: str) -> str:
    """Popup table rows from (label zh, label en, value); values escaped here."""
    out = []
    for zh, en, value in pairs:
        text = _e(value)
        if not text:
            continue
        label = zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
        out.append(f"<tr><th>{_e(label)}</th><td>{text}</td></tr>")
    return "<table class='sq-popup'>" + "".join(out) + "</table>"


# --------------------------------------------------------------------------- building


@dataclasses.dataclass
class _Context:
    lang: str
    shift: bool


def _prepare(gdf: gpd.GeoDataFrame, ctx: _Context) -> gpd.GeoDataFrame:
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    if ctx.shift:
        gdf = _crs.from_wgs84(gdf, "gcj02")
    return gdf


def _geojson(gdf: gpd.GeoDataFrame, properties: list[dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection with only the given (already escaped) properties."""
    features = []
    for geom, props in zip(gdf.geometry, properties, strict=True):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(json.dumps(geom.__geo_interface__)),
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _add_geojson(
    group: folium.FeatureGroup,
    gdf: gpd.GeoDataFrame,
    properties: list[dict[str, Any]],
    *,
    point_radius: float | None = None,
) -> None:
    data = _geojson(gdf, properties)

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        p = feature["properties"]
        return {
            "color": p.get("stroke", "#333333"),
            "weight": p.get("weight", 2),
            "fillColor": p.get("fill", p.get("stroke", "#333333")),
            "fillOpacity": p.get("fill_opacity", 0.2),
            "opacity": p.get("opacity", 0.9),
            "dashArray": p.get("dash"),
        }

    marker = None
    if point_radius is not None:
        marker = folium.CircleMarker(radius=point_radius, fill=True, fill_opacity=0.9, weight=1.5)
    folium.GeoJson(
        data,
        style_function=style,
        marker=marker,
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=420),
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False),
        embed=True,
    ).add_to(group)


def _zones_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    gdf = _prepare(layers.load_layer("zones"), ctx)
    areas = _crs.area_km2(layers.load_layer("zones", located_only=True)).round(2)
    area_by_id = dict(zip(layers.load_layer("zones", located_only=True)["id"], areas, strict=True))
    props = []
    for row in gdf.itertuples():
        colour = ZONE_COLOURS.get(str(row.group), "#555555")
        props.append(
            {
                "id": _e(row.id),
                "stroke": colour,
                "fill": colour,
                "fill_opacity": 0.18,
                "weight": 2,
                "tooltip": _label(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{_label(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("面积(km²)", "Area km²", area_by_id.get(row.id)),
                        ("公布面积(km²)", "Published km²", row.area_km2_published),
                        ("精度", "Accuracy", row.accuracy),
                        ("来源", "Source", row.source),
                        ("说明", "Note", row.note),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=_plain("三区一港区域", "Zones", ctx.lang), show=True)
    _add_geojson(group, gdf, props)
    group.add_to(m)
    return [
        (ZONE_COLOURS[g], _plain(zh, en, ctx.lang))
        for g, zh, en in (
            ("ftz", "自贸区哈尔滨片区", "FTZ Harbin area"),
            ("new_area", "哈尔滨新区", "Harbin New Area"),
            ("cbz", "综合保税区", "Bonded zone"),
            ("airport_zone", "临空经济区", "Airport economic zone"),
            ("inland_port", "内陆港 / 集装箱中心站", "Inland port / container centre"),
        )
    ]


def _plain(zh: str, en: str, lang: str) -> str:
    """A plain (escaped) bilingual string for layer names and legends."""
    zh, en = _e(zh), _e(en)
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def _facilities_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    gdf = _prepare(layers.load_layer("facilities"), ctx)
    props = []
    for row in gdf.itertuples():
        props.append(
            {
                "id": _e(row.id),
                "stroke": "#08306b",
                "fill": "#ffffff" if row.status != "existing" else "#2b8cbe",
                "weight": 2,
                "fill_opacity": 0.95,
                "tooltip": _label(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{_label(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("类型", "Kind", row.kind),
                        ("状态", "Status", row.status),
                        ("所在区域", "Zone", row.zone),
                        ("精度", "Accuracy", row.accuracy),
                        ("来源", "Source", row.source),
                        ("说明", "Note", row.note),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=_plain("主要设施", "Facilities", ctx.lang), show=True)
    _add_geojson(group, gdf, props, point_radius=6)
    group.add_to(m)
    return [("#2b8cbe", _plain("设施", "Facility", ctx.lang))]


def _roads_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    roads = gpd.read_file(data_file("roads/trunk.geojson"))
    gdf = _prepare(roads, ctx)
    props = []
    for row in gdf.itertuples():
        colour, weight = ROAD_STYLE.get(str(row.highway), ("#bbbbbb", 1))
        props.append(
            {
                "stroke": colour,
                "weight": weight,
                "opacity": 0.85,
                "tooltip": _label(row.name_zh, row.name_en, ctx.lang),
                "popup": f"<b>{_label(row.name_zh, row.name_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("编号", "Ref", row.ref),
                        ("等级", "Class", row.highway),
                        ("限速", "Max speed km/h", row.maxspeed),
                        ("精度", "Accuracy", row.accuracy),
                        ("来源", "Source", row.source),
                    ],
                    ctx.lang,
                ),
            }
        )
    group = folium.FeatureGroup(name=_plain("干线路网", "Trunk roads", ctx.lang), show=True)
    _add_geojson(group, gdf, props)
    group.add_to(m)
    return [
        (ROAD_STYLE["motorway"][0], _plain("高速公路", "Expressway", ctx.lang)),
        (ROAD_STYLE["trunk"][0], _plain("快速路", "Urban expressway", ctx.lang)),
        (ROAD_STYLE["primary"][0], _plain("主干路", "Arterial", ctx.lang)),
    ]


def _projects_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    projects = layers.load_layer("projects")
    unlocated = projects[projects.geometry.isna()]
    gdf = _prepare(projects, ctx)
    # A feature without a phase is not a task of the plan (e.g. the airport's second runway).
    gdf["phase"] = gdf["phase"].fillna("非方案任务").replace("", "非方案任务")
    legend = []
    for phase, colour in PHASE_COLOURS.items():
        part = gdf[gdf["phase"] == phase]
        if part.empty:
            continue
        year = layers.PHASES.get(phase)
        when = f" {year}" if year else ""
        name = _plain(f"项目 {phase}{when}", f"Projects, {PHASE_EN[phase]}{when}", ctx.lang)
        legend.append((colour, name))
        props = []
        for row in part.itertuples():
            title = _label(row.title_zh, row.title_en, ctx.lang)
            props.append(
                {
                    "id": _e(row.id),
                    "stroke": colour,
                    "fill": colour,
                    "weight": 5,
                    "fill_opacity": 0.35,
                    "tooltip": f"{_e(_item_text(row.item, ctx.lang))} {title}",
                    "popup": f"<b>{_e(_item_text(row.item, ctx.lang))}</b><br><b>{title}</b>"
                    + _rows(
                        [
                            ("章节", "Section", row.subsection),
                            ("期限", "Term", f"{row.phase} ({PHASE_EN.get(row.phase, '')})"),
                            ("目标年份", "Target year", _year(row.target_year)),
                            (
                                "牵头单位",
                                "Lead unit",
                                row.lead_unit or ("未明确" if ctx.lang == "zh" else "not named"),
                            ),
                            ("状态", "Status", row.status),
                            ("设计速度", "Design speed km/h", row.design_speed_kph),
                            ("精度", "Accuracy", row.accuracy),
                            ("来源", "Source", row.source),
                            ("说明", "Note", row.note),
                        ],
                        ctx.lang,
                    ),
                }
            )
        group = folium.FeatureGroup(name=name, show=True)
        _add_geojson(group, part, props, point_radius=7)
        group.add_to(m)
    if not unlocated.empty:
        items = ", ".join(
            f"{_e(_item_text(r.item, ctx.lang))} {_e(r.title_zh if ctx.lang != 'en' else r.title_en)}"
            for r in unlocated.itertuples()
        )
        legend.append(
            ("#ffffff", _plain("位置未公布", "Location not published", ctx.lang) + ": " + items)
        )
    return legend


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


def _river_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    gdf = _prepare(layers.load_layer("river"), ctx)
    props = [
        {
            "stroke": "#4292c6",
            "weight": 6,
            "opacity": 0.6,
            "tooltip": _label(r.name_zh, r.name_en, ctx.lang),
            "popup": f"<b>{_label(r.name_zh, r.name_en, ctx.lang)}</b>"
            + _rows([("精度", "Accuracy", r.accuracy), ("说明", "Note", r.note)], ctx.lang),
        }
        for r in gdf.itertuples()
    ]
    group = folium.FeatureGroup(name=_plain("松花江", "Songhua River", ctx.lang), show=True)
    _add_geojson(group, gdf, props)
    group.add_to(m)
    return [("#4292c6", _plain("松花江", "Songhua River", ctx.lang))]


def _districts_layer(m: folium.Map, ctx: _Context) -> list[tuple[str, str]]:
    gdf = _prepare(layers.load_layer("districts"), ctx)
    group = folium.FeatureGroup(name=_plain("行政区", "Districts", ctx.lang), show=True)
    for row in gdf.itertuples():
        point = row.geometry.representative_point()
        text = _label(row.name_zh, row.name_en, ctx.lang)
        folium.Marker(
            [point.y, point.x],
            icon=folium.DivIcon(
                html=f"<div class='sq-district'>{text}</div>",
                icon_size=(120, 30),
                icon_anchor=(60, 15),
            ),
        ).add_to(group)
    group.add_to(m)
    return []


def _corridor_layers(
    m: folium.Map, ctx: _Context, data: dict[str, gpd.GeoDataFrame]
) -> list[tuple[str, str]]:
    legend = []
    options = data["options"]
    routes = data["routes"]
    palette = [
        "#1a9850",
        "#66bd63",
        "#a6d96a",
        "#fdae61",
        "#f46d43",
        "#d73027",
        "#a50026",
        "#762a83",
    ]
    base_routes = routes[routes["option"].astype(str).str.startswith("base")]
    if not base_routes.empty:
        gdf = _prepare(base_routes, ctx)
        props = [
            {
                "stroke": "#636363",
                "weight": 3,
                "dash": "6 6",
                "tooltip": _label(r.link_zh, r.link_en, ctx.lang),
                "popup": f"<b>{_label(r.link_zh, r.link_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("出行方案", "Profile", str(r.option).split(":")[-1]),
                        ("现状时间(分钟)", "Today, minutes", f"{r.minutes:.1f}"),
                    ],
                    ctx.lang,
                ),
            }
            for r in gdf.itertuples()
        ]
        group = folium.FeatureGroup(
            name=_plain("现状关键通道路线", "Key-link routes today", ctx.lang), show=True
        )
        _add_geojson(group, gdf, props)
        group.add_to(m)
        legend.append(("#636363", _plain("现状关键通道", "Key links today", ctx.lang)))
    for i, (option_id, part) in enumerate(options.groupby("option", sort=False)):
        colour = palette[i % len(palette)]
        first = part.iloc[0]
        gdf = _prepare(part, ctx)
        changed = routes[routes["option"] == option_id]
        summary = (
            "".join(
                f"<tr><td>{_label(r.link_zh, r.link_en, ctx.lang)}</td><td>{r.minutes:.1f}</td><td>−{r.saved_min:.1f}</td></tr>"
                for r in changed.itertuples()
            )
            or f"<tr><td colspan='3'>{_plain('关键通道无变化', 'No key link changes', ctx.lang)}</td></tr>"
        )
        popup = (
            f"<b>{_label(first.title_zh, first.title_en, ctx.lang)}</b>"
            + _rows(
                [
                    ("排名", "Rank", int(first["rank"])),
                    ("出行方案", "Profile", first.profile),
                    (
                        "关键通道平均节省(分钟)",
                        "Key links mean saved, min",
                        f"{first.key_links_mean_saved_min:.2f}",
                    ),
                    (
                        "高峰小时节省车·小时",
                        "Peak-hour vehicle-hours saved",
                        f"{first.get('vht_saved', float('nan')):,.0f}",
                    ),
                    (
                        "投资(亿元)",
                        "Cost, 100 M yuan",
                        f"{first.cost_yi_yuan:.1f}"
                        if first.cost_yi_yuan == first.cost_yi_yuan
                        else _plain("未公布", "not published", ctx.lang),
                    ),
                ],
                ctx.lang,
            )
            + f"<table class='sq-popup'><tr><th>{_plain('通道', 'Link', ctx.lang)}</th><th>min</th><th>Δ</th></tr>{summary}</table>"
        )
        props = [
            {
                "id": _e(option_id),
                "stroke": colour,
                "weight": 6,
                "tooltip": _label(first.title_zh, first.title_en, ctx.lang),
                "popup": popup,
            }
            for _ in gdf.itertuples()
        ]
        name = _plain(f"方案 {first.title_zh}", f"Option: {first.title_en}", ctx.lang)
        group = folium.FeatureGroup(name=name, show=bool(first["rank"] <= 3))
        _add_geojson(group, gdf, props)
        stops = _prepare(data["interchanges"][data["interchanges"]["option"] == option_id], ctx)
        _add_geojson(
            group,
            stops,
            [
                {
                    "stroke": colour,
                    "fill": "#ffffff",
                    "weight": 2,
                    "fill_opacity": 1,
                    "tooltip": _plain("互通/站点", "Interchange / stop", ctx.lang),
                    "popup": popup,
                }
                for _ in stops.itertuples()
            ],
            point_radius=4,
        )
        if not changed.empty:
            after = _prepare(changed, ctx)
            _add_geojson(
                group,
                after,
                [
                    {
                        "stroke": colour,
                        "weight": 3,
                        "opacity": 0.7,
                        "tooltip": _label(r.link_zh, r.link_en, ctx.lang),
                        "popup": popup,
                    }
                    for r in after.itertuples()
                ],
            )
        group.add_to(m)
        legend.append((colour, name))
    iso = data["isochrones"]
    for label, part in iso.groupby("option", sort=False):
        gdf = _prepare(part.sort_values("minutes", ascending=False), ctx)
        base = label == "base"
        props = [
            {
                "stroke": "#3182bd" if base else "#e6550d",
                "fill": "#3182bd" if base else "#e6550d",
                "fill_opacity": 0.08 if base else 0.0,
                "weight": 1.5,
                "dash": None if base else "4 4",
                "tooltip": f"{_label(r.place_zh, r.place_en, ctx.lang)} {r.minutes:g} min",
                "popup": f"<b>{_label(r.place_zh, r.place_en, ctx.lang)}</b>"
                + _rows(
                    [
                        ("时间(分钟)", "Minutes", f"{r.minutes:g}"),
                        ("面积(km²)", "Area km²", f"{r.area_km2:.0f}"),
                        ("方案", "Network", "现状 today" if base else label),
                    ],
                    ctx.lang,
                ),
            }
            for r in gdf.itertuples()
        ]
        name = (
            _plain("等时圈(现状)", "Isochrones today", ctx.lang)
            if base
            else _plain(f"等时圈({label})", f"Isochrones with {label}", ctx.lang)
        )
        group = folium.FeatureGroup(name=name, show=base)
        _add_geojson(group, gdf, props)
        group.add_to(m)
        legend.append(("#3182bd" if base else "#e6550d", name))
    return legend


_LEGEND = Template(
    """
{% macro html(this, kwargs) %}
<div class="sq-legend leaflet-control" id="sq-legend">
  <div class="sq-legend-title">{{ this.title }}</div>
  {% for colour, label in this.items %}
  <div class="sq-legend-row"><span class="sq-swatch" style="background:{{ colour }}"></span>{{ label }}</div>
  {% endfor %}
  <div class="sq-legend-note">{{ this.note }}</div>
</div>
<div class="sq-title" id="sq-title">{{ this.heading }}</div>
<style>
  .sq-legend { position: absolute; bottom: 24px; right: 10px; z-index: 1000; background: rgba(255,255,255,0.93);
    padding: 8px 10px; border-radius: 4px; font: 12px/1.4 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); max-width: 320px; max-height: 60vh; overflow: auto; }
  .sq-legend-title { font-weight: bold; margin-bottom: 4px; }
  .sq-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 6px; border: 1px solid #555; }
  .sq-legend-note { color: #666; margin-top: 6px; font-size: 11px; }
  .sq-title { position: absolute; top: 10px; left: 60px; z-index: 1000; background: rgba(255,255,255,0.93);
    padding: 6px 12px; border-radius: 4px; font: bold 15px/1.3 "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0,0,0,0.3); }
  .sq-popup th { text-align: left; padding-right: 8px; color: #555; font-weight: normal; vertical-align: top; }
  .sq-popup td { vertical-align: top; }
  .sq-district { font: 12px/1.2 "Noto Sans CJK SC", sans-serif; color: #666; text-align: center; white-space: nowrap;
    text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
  .en { color: #555; }
</style>
{% endmacro %}
"""
)


class _Legend(MacroElement):
    """The legend and the title box (all texts escaped before they get here)."""

    _template = _LEGEND

    def __init__(self, heading: str, title: str, items: list[tuple[str, str]], note: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.heading = heading
        self.title = title
        self.items = items
        self.note = note


def build_map(
    recipe: Recipe,
    *,
    basemap: str | None = None,
    lang: str | None = None,
    tiles_url: str | None = None,
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
    base = get_basemap(basemap or recipe.basemap, tiles_folder=tiles_url)
    ctx = _Context(lang=lang, shift=base is not None and base.crs == "gcj02")
    center = recipe.center or (45.72, 126.52)
    if ctx.shift:
        lon, lat = _crs.wgs84_to_gcj02(center[1], center[0])
        center = (lat, lon)
    m = folium.Map(
        location=list(center),
        zoom_start=recipe.zoom,
        tiles=None,
        control_scale=True,
        prefer_canvas=False,
    )
    # Only Leaflet is needed: popups, tooltips, layers and the legend use no jQuery/Bootstrap.
    m.default_js = [js for js in m.default_js if js[0] == "leaflet"]
    m.default_css = [css for css in m.default_css if css[0] == "leaflet_css"]
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
    legend: list[tuple[str, str]] = []
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
            legend += _corridor_layers(m, ctx, corridor_data)
        else:
            legend += builders[name](m, ctx)
    overlays = sum(isinstance(c, folium.FeatureGroup) for c in m._children.values())
    folium.LayerControl(collapsed=overlays > 10).add_to(m)
    folium.plugins.Fullscreen(position="topleft").add_to(m)
    folium.plugins.MeasureControl(
        position="topleft", primary_length_unit="kilometers", primary_area_unit="hectares"
    ).add_to(m)
    note = _plain(
        "示意数据:边界与线位依据公开资料绘制,非法定边界。",
        "Indicative data: boundaries and alignments drawn from published facts, not legal boundaries.",
        lang,
    )
    if ctx.shift:
        note += " " + _plain(
            "叠加图层已转换为GCJ-02以匹配高德底图。",
            "Overlays shifted to GCJ-02 to match the Gaode basemap.",
            lang,
        )
    if base is not None and base.name == "osm":
        note += " " + _e("Basemap © OpenStreetMap contributors (ODbL).")
    heading = (
        _label(recipe.title_zh, recipe.title_en, lang)
        if lang != "both"
        else f"{_e(recipe.title_zh)} · <span class='en'>{_e(recipe.title_en)}</span>"
    )
    _Legend(heading, _plain("图例", "Legend", lang), legend, note).add_to(m)
    if recipe.center is None or recipe.fit:
        # The layer control and the legend sit on the right: keep the data clear of them.
        m.fit_bounds(_bounds(ctx), padding_top_left=(20, 20), padding_bottom_right=(340, 20))
    m.get_root().header.add_child(Element('<meta name="generator" content="sanqu-geo">'))
    return m


def _bounds(ctx: _Context) -> list[list[float]]:
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
    """
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
) -> list[Path]:
    """Build and write one HTML file per recipe, atomically.

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
        A local tile folder (``{z}/{x}/{y}.png``): the basemap becomes ``local``.
    assets : path-like, optional
        Folder with local copies of scripts and stylesheets.
    corridor_data : dict, optional
        For recipes with corridors (see :func:`build_map`).

    Returns
    -------
    list of pathlib.Path
        The pages written.
    """
    out_dir = Path(out_dir)
    written = []
    pages: list[tuple[Path, str]] = []
    for item in recipes:
        recipe = load_recipe(item)
        chosen = basemap
        tiles_url = None
        if tiles is not None:
            from sanqu_geo.maps.basemaps import relative_url

            chosen, tiles_url = "local", relative_url(tiles, out_dir)
        elif offline and chosen is None:
            chosen = "none"
        elif offline and chosen != "none":
            logger.warning(
                "offline page with the %s basemap: its tiles still need the network", chosen
            )
        m = build_map(
            recipe, basemap=chosen, lang=lang, tiles_url=tiles_url, corridor_data=corridor_data
        )
        pages.append(
            (out_dir / f"{recipe.name}.html", render_html(m, offline=offline, assets=assets))
        )
    # Every page is built before any is written, so a failed or killed run does not leave a
    # folder with some pages new and some old.
    for target, page in pages:
        with atomic_path(target) as tmp:
            tmp.write_text(page, encoding="utf-8")
        logger.info("wrote %s (%.0f kB)", target, target.stat().st_size / 1024)
        written.append(target)
    return written
