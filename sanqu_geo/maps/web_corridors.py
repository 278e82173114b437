"""The corridor layers of the web maps: key-link routes today, each option coloured by rank
(dashed where options share a rank), the rail option (not ranked with roads) beside the roads
it runs along, the figures of each option in its popup with their period named, and the
isochrones (off by default). Draws what :func:`sanqu_geo.compare.map_layers` computed.
"""

from __future__ import annotations

import math
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from sanqu_geo import layers
from sanqu_geo.maps import style
from sanqu_geo.maps.web_base import (
    RAIL_OFFSET_PX,
    PageContext,
    add_geojson,
    bilingual,
    escape,
    plain,
    popup_rows,
    prepare,
)
from sanqu_geo.maps.web_legend import LegendItem

__all__ = ["corridor_layers"]

#: Words for the vehicle class an option is appraised for (never the profile's code).
_CLASS_WORDS: dict[str, tuple[str, str]] = {
    "car": ("小汽车", "cars"),
    "truck": ("货车", "trucks"),
    "rail": ("轨道", "rail"),
}

#: The colour of the key-link routes today (the base network's grey).
_BASE_ROUTE = style.MUTED


def _number(value: Any, fmt: Any) -> str:
    """A formatted figure, or '' when missing (the row is then left out)."""
    try:
        if value is None or not math.isfinite(float(value)):
            return ""
    except (TypeError, ValueError):
        return ""
    return fmt(value)


def _text(value: Any) -> str:
    """Plain text of a value; '' when missing (escaped later, with the label it is part of)."""
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _class_words(profile: Any, lang: str) -> str:
    zh, en = _CLASS_WORDS.get(str(profile), ("", ""))
    return plain(zh, en, lang) if zh else ""


def _is_rail(part: pd.DataFrame) -> bool:
    """An option without a rank: a rail option, compared by door-to-door time, not ranked."""
    rank = part["rank"].iloc[0]
    return rank is None or pd.isna(rank) or str(part["profile"].iloc[0]) == "rail"


def _option_popup(first: Any, changed: gpd.GeoDataFrame, ctx: PageContext, *, rail: bool) -> str:
    """An option's popup: one figure per line, each line naming its period."""
    lang = ctx.lang
    rows: list[tuple[str, str, Any]] = []
    if rail:
        rows.append(("排名", "Rank", plain("不与道路方案排名", "not ranked with roads", lang)))
        door = first.get("door_to_door_min", math.nan)
        car = first.get("car_congested_min", math.nan)
        pair_zh = f"{_text(first.get('from_zh'))}—{_text(first.get('to_zh'))}"
        pair_en = f"{_text(first.get('from_en'))} – {_text(first.get('to_en'))}"
        rows += [
            (
                f"{pair_zh} 门到门时间(分钟)",
                f"{pair_en}, door to door by rail, min",
                _number(door, style.format_minutes),
            ),
            (
                f"{pair_zh} 小汽车高峰小时时间(分钟)",
                f"{pair_en}, driving in the peak hour, min",
                _number(car, style.format_minutes),
            ),
        ]
    else:
        rows += [
            ("排名", "Rank", int(first["rank"])),
            ("评价车型", "Appraised for", _class_words(first["profile"], lang)),
            (
                "高峰小时关键通道平均节省(分钟)",
                "Key links, mean minutes saved in the peak hour",
                _number(first.get("key_links_mean_saved_min"), style.format_minutes),
            ),
            (
                "高峰小时节省车·小时",
                "Vehicle-hours saved in the peak hour",
                _number(first.get("vht_saved"), style.format_vehicle_hours),
            ),
        ]
    cost = first.get("cost_yi_yuan", math.nan)
    rows.append(
        (
            "投资(亿元)",
            "Cost, 100 M yuan",
            _number(cost, lambda v: f"{v:.1f}") or plain("未公布", "not published", lang),
        )
    )
    for r in changed.itertuples():
        rows.append(
            (
                f"{_text(r.link_zh)} 自由流节省(分钟)",
                f"{_text(r.link_en)}: minutes saved at free flow",
                _number(r.saved_min, style.format_minutes),
            )
        )
    title = bilingual(first["title_zh"], first["title_en"], lang)
    return f"<b>{title}</b>" + popup_rows(rows, lang)


def corridor_layers(
    m: folium.Map, ctx: PageContext, data: dict[str, gpd.GeoDataFrame]
) -> list[LegendItem]:
    """Add the corridor layers to a web map.

    Parameters
    ----------
    m : folium.Map
        The map.
    ctx : PageContext
        Language and GCJ-02 shift of the page.
    data : dict
        What :func:`sanqu_geo.compare.map_layers` returns (``options``, ``routes``,
        ``interchanges``, ``isochrones``); options without a rank are rail options.

    Returns
    -------
    list of LegendItem
        The legend entries, each tied to its layer.
    """
    legend: list[LegendItem] = []
    options = data["options"]
    routes = data["routes"]
    grouped = list(options.groupby("option", sort=False))
    ranks = {str(o): int(part["rank"].iloc[0]) for o, part in grouped if not _is_rail(part)}
    looks = style.option_styles(ranks)
    titles = {str(o): (part["title_zh"].iloc[0], part["title_en"].iloc[0]) for o, part in grouped}
    projects = layers.load_layer("projects")
    building = set(projects.loc[projects["status"] == style.UNDER_CONSTRUCTION, "id"])
    base_routes = routes[routes["option"].astype(str).str.startswith("base")]
    if not base_routes.empty:
        gdf = prepare(base_routes, ctx)
        props = [
            {
                "stroke": _BASE_ROUTE,
                "weight": 3,
                "dash": "6 6",
                "tooltip": bilingual(r.link_zh, r.link_en, ctx.lang),
                "popup": f"<b>{bilingual(r.link_zh, r.link_en, ctx.lang)}</b>"
                + popup_rows(
                    [
                        (
                            "现状自由流时间(分钟)",
                            "Today at free flow, minutes",
                            style.format_minutes(r.minutes),
                        ),
                    ],
                    ctx.lang,
                ),
            }
            for r in gdf.itertuples()
        ]
        group = folium.FeatureGroup(
            name=plain("现状关键通道路线", "Key-link routes today", ctx.lang), show=True
        )
        add_geojson(group, gdf, props)
        group.add_to(m)
        legend.append(
            LegendItem(
                _BASE_ROUTE,
                plain("现状关键通道", "Key links today", ctx.lang),
                "line",
                dash="6 6",
                group=group,
            )
        )
    for option_id, part in grouped:
        rail = _is_rail(part)
        colour, dash = (style.RAIL_OPTION_COLOUR, "") if rail else looks[str(option_id)]
        on_top = bool(set(part["corridor"]) & building)
        first = part.iloc[0]
        gdf = prepare(part, ctx)
        changed = routes[routes["option"] == option_id]
        popup = _option_popup(first, changed, ctx, rail=rail)
        weight = 4 if (on_top or rail) else 6
        props = []
        for _ in gdf.itertuples():
            look = {
                "id": escape(option_id),
                "stroke": colour,
                # the part under construction: narrower, on top of the lines it belongs to
                "weight": weight,
                "dash": style.web_dash(dash, weight),
                "tooltip": bilingual(first.title_zh, first.title_en, ctx.lang),
                "popup": popup,
            }
            if rail:
                # along the road options it shares a corridor with: beside them, above
                look["offset"] = RAIL_OFFSET_PX
            props.append(look)
        if rail:
            name = plain(f"轨道方案 {first.title_zh}", f"Rail option: {first.title_en}", ctx.lang)
        else:
            name = plain(f"方案 {first.title_zh}", f"Option: {first.title_en}", ctx.lang)
        group = folium.FeatureGroup(name=name, show=bool(rail or first["rank"] <= 3))
        pane = "sq-rail" if rail else "sq-top" if on_top else None
        add_geojson(group, gdf, props, pane=pane)
        stops = prepare(data["interchanges"][data["interchanges"]["option"] == option_id], ctx)
        add_geojson(
            group,
            stops,
            [
                {
                    "stroke": colour,
                    "fill": "#ffffff",
                    "weight": 2,
                    "fill_opacity": 1,
                    "tooltip": plain("站点", "Stop", ctx.lang)
                    if rail
                    else plain("互通", "Interchange", ctx.lang),
                    "popup": popup,
                }
                for _ in stops.itertuples()
            ],
            point_radius=4,
        )
        if not changed.empty:
            after = prepare(changed, ctx)
            add_geojson(
                group,
                after,
                [
                    {
                        "stroke": colour,
                        "weight": 3,
                        "opacity": 0.7,
                        "tooltip": bilingual(r.link_zh, r.link_en, ctx.lang),
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
        gdf = prepare(part.sort_values("minutes", ascending=False), ctx)
        base = label == "base"
        zh, en = ("现状", "today") if base else titles.get(str(label), (str(label), str(label)))
        props = [
            {
                "stroke": style.ISO_BEFORE_COLOURS[0] if base else style.ISO_AFTER_COLOUR,
                "fill": style.ISO_BEFORE_COLOURS[0] if base else style.ISO_AFTER_COLOUR,
                "fill_opacity": 0.08 if base else 0.0,
                "weight": 1.5,
                "dash": None if base else "4 4",
                "tooltip": f"{bilingual(r.place_zh, r.place_en, ctx.lang)} {r.minutes:g} min",
                "popup": f"<b>{bilingual(r.place_zh, r.place_en, ctx.lang)}</b>"
                + popup_rows(
                    [
                        ("自由流时间(分钟)", "Minutes at free flow", f"{r.minutes:g}"),
                        ("面积(km²)", "Area km²", f"{r.area_km2:.0f}"),
                        ("路网", "Network", plain(zh, en, ctx.lang)),
                    ],
                    ctx.lang,
                ),
            }
            for r in gdf.itertuples()
        ]
        name = (
            plain("等时圈(现状)", "Isochrones today", ctx.lang)
            if base
            else plain(f"等时圈({zh})", f"Isochrones with {en}", ctx.lang)
        )
        # off by default: on a city-wide view the fills hide what the map is about
        group = folium.FeatureGroup(name=name, show=False)
        add_geojson(group, gdf, props)
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
