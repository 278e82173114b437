"""The corridor layers of the web maps: key-link routes today, each option coloured by rank
(dashed where options share a rank), minutes saved in the popups, and the isochrones (off by
default). Draws what :func:`sanqu_geo.compare.map_layers` computed.
"""

from __future__ import annotations

import folium
import geopandas as gpd

from sanqu_geo import layers
from sanqu_geo.maps import style
from sanqu_geo.maps.interactive import (
    _add_geojson,
    _Context,
    _e,
    _label,
    _plain,
    _prepare,
    _rows,
)
from sanqu_geo.maps.web_legend import LegendItem

__all__ = ["corridor_layers"]


def corridor_layers(
    m: folium.Map, ctx: _Context, data: dict[str, gpd.GeoDataFrame]
) -> list[LegendItem]:
    """Add the corridor layers to a web map.

    Parameters
    ----------
    m : folium.Map
        The map.
    ctx : _Context
        Language and GCJ-02 shift of the page.
    data : dict
        What :func:`sanqu_geo.compare.map_layers` returns (``options``, ``routes``,
        ``interchanges``, ``isochrones``).

    Returns
    -------
    list of LegendItem
        The legend entries, each tied to its layer.
    """
    legend: list[LegendItem] = []
    options = data["options"]
    routes = data["routes"]
    ranks = {str(o): int(part["rank"].iloc[0]) for o, part in options.groupby("option", sort=False)}
    looks = style.option_styles(ranks)
    projects = layers.load_layer("projects")
    building = set(projects.loc[projects["status"] == style.UNDER_CONSTRUCTION, "id"])
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
                        ("现状时间(分钟)", "Today, minutes", style.format_minutes(r.minutes)),
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
        legend.append(
            LegendItem(
                "#636363",
                _plain("现状关键通道", "Key links today", ctx.lang),
                "line",
                dash="6 6",
                group=group,
            )
        )
    for option_id, part in options.groupby("option", sort=False):
        colour, dash = looks[str(option_id)]
        on_top = bool(set(part["corridor"]) & building)
        first = part.iloc[0]
        gdf = _prepare(part, ctx)
        changed = routes[routes["option"] == option_id]
        summary = (
            "".join(
                f"<tr><td>{_label(r.link_zh, r.link_en, ctx.lang)}</td><td>{style.format_minutes(r.minutes)}</td><td>−{style.format_minutes(r.saved_min)}</td></tr>"
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
                        style.format_minutes(first.key_links_mean_saved_min),
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
                # the part under construction: narrower, on top of the lines it belongs to
                "weight": 4 if on_top else 6,
                "dash": style.web_dash(dash, 4 if on_top else 6),
                "tooltip": _label(first.title_zh, first.title_en, ctx.lang),
                "popup": popup,
            }
            for _ in gdf.itertuples()
        ]
        name = _plain(f"方案 {first.title_zh}", f"Option: {first.title_en}", ctx.lang)
        group = folium.FeatureGroup(name=name, show=bool(first["rank"] <= 3))
        _add_geojson(group, gdf, props, pane="sq-top" if on_top else None)
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
        legend.append(
            LegendItem(colour, name, "line", dash=style.web_dash(dash, 4), weight=4, group=group)
        )
    iso = data["isochrones"]
    for label, part in iso.groupby("option", sort=False):
        gdf = _prepare(part.sort_values("minutes", ascending=False), ctx)
        base = label == "base"
        props = [
            {
                "stroke": style.ISO_BEFORE_COLOURS[0] if base else style.ISO_AFTER_COLOUR,
                "fill": style.ISO_BEFORE_COLOURS[0] if base else style.ISO_AFTER_COLOUR,
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
        # off by default: on a city-wide view the fills hide what the map is about
        group = folium.FeatureGroup(name=name, show=False)
        _add_geojson(group, gdf, props)
        group.add_to(m)
        legend.append(
            LegendItem(
                style.ISO_BEFORE_COLOURS[0] if base else style.ISO_AFTER_COLOUR,
                name,
                "area",
                dash=None if base else "4 4",
                group=group,
            )
        )
    return legend
