"""The truck-minutes print map: the change of congested truck minutes from each zone to a
logistics place, option minus base.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sanqu_geo import layers, network, scenarios
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps.appraisal_style import (
    CHANGE_COLOURS,
    LITTLE_CHANGE_MIN,
    ZONE_EDGE,
    _change_class,
    _change_labels,
    _check_table,
    _context_handles,
    _draw_context,
    _draw_lines,
    _draw_values,
    _footer,
    _line_handle,
    _main_roads,
    _mark,
    _marker_handle,
    _no_data_handle,
    _option_lines,
    _option_of,
    _point_of,
    _rounded,
    _scenario,
    _write,
    _zones_metric,
    change_breaks,
)
from sanqu_geo.maps.static import _subtitle

__all__ = [
    "truck_time_figure",
    "truck_time_map",
]


def _zones(n: int) -> str:
    return f"{n} zone" if n == 1 else f"{n} zones"


def _place_names(zones_m: gpd.GeoDataFrame, place: str) -> tuple[str, str]:
    from sanqu_geo.appraisal.logistics import LOGISTICS_NODES

    if place in LOGISTICS_NODES:
        return LOGISTICS_NODES[place]
    row = zones_m[zones_m["id"] == place]
    if len(row):
        return str(row["name_zh"].iloc[0]), str(row["name_en"].iloc[0])
    return place, _f._humanise(place)


def truck_time_figure(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    place: str,
    title_zh: str,
    title_en: str,
    network_label: str,
    scenario: scenarios.Scenario | None = None,
    roads: nx.MultiDiGraph | None = None,
    year: int | None = None,
    lang: str = "both",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Change of congested truck minutes from each zone to a logistics place, option − base.

    Blue is faster, orange slower; changes within
    ±:data:`~sanqu_geo.maps.appraisal_style.LITTLE_CHANGE_MIN` minute are "little change".
    The place is marked and named, the option's alignment drawn.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The demand's zones (see :func:`~sanqu_geo.maps.airport_access.airport_access_figure`).
    table : pandas.DataFrame
        ``Appraisal.zones["trucks"]``: ``zone``, ``option`` (``base`` or an option id),
        ``place`` and ``minutes`` (congested truck minutes from the zone to the place).
    option : str
        The option compared with the base.
    place : str
        The logistics place's zone id (``inland_port``, ``new_area_jiangbei`` …).
    title_zh, title_en, network_label, scenario, roads, year, lang, font, date
        As for :func:`~sanqu_geo.maps.airport_access.airport_access_figure`.

    Returns
    -------
    matplotlib.figure.Figure
        An A4 landscape page.

    Raises
    ------
    DataSourceError
        When the table lacks columns, or the base or the option to ``place``.
    """
    _check_table(table, ("zone", "option", "place", "minutes"), "truck_time_map")
    sc = _scenario(scenario)
    style = _f._style("A4", lang, font, date)
    here = table[table["place"] == place]
    series = {}
    for oid in ("base", option):
        part = here[here["option"] == oid].drop_duplicates("zone")
        if not len(part):
            have = sorted(
                {f"{o}→{p}" for o, p in zip(table["option"], table["place"], strict=True)}
            )
            msg = (
                f"the truck table has no minutes of {oid!r} to {place!r}; it has: "
                f"{', '.join(have)}. Pass a place of the option's group (Group.places)"
            )
            raise DataSourceError(msg)
        series[oid] = pd.Series(part["minutes"].to_numpy(float), index=part["zone"].astype(str))
    delta_raw = (series[option] - series["base"]).dropna()
    delta_raw = delta_raw[np.isfinite(delta_raw)]
    delta = pd.Series(_rounded(delta_raw), index=delta_raw.index)
    zones_m = _zones_metric(zones)
    known = delta[delta.index.isin(zones_m["id"]) & (delta.index != place)]
    bounds = change_breaks(float(known.abs().max()) if len(known) else 0.0)
    colours = {z: CHANGE_COLOURS[_change_class(v, bounds)] for z, v in known.items()}
    G = roads if roads is not None else network.load_network(sc.network)
    opt = _option_of(sc, option)
    opt_zh, opt_en = (opt.title_zh, opt.title_en) if opt else (option, _f._humanise(option))
    place_zh, place_en = _place_names(zones_m, place)
    river = layers.load_layer("river", located_only=True)
    roads_m = _main_roads(G)
    built = _option_lines(G, opt)
    period = f"{year} 年早高峰小时" if year else "早高峰小时"
    period_en = f"Morning peak hour, {year}" if year else "Morning peak hour"
    subject = style.pick(
        f"{period} 各区到{place_zh}的货车拥堵时间变化(方案减现状,负值为更快)",
        f"{period_en}: change in congested truck minutes from each zone to {place_en}, option "
        "minus base (negative = faster)",
    )
    with matplotlib.rc_context(_f._rc(style)):
        page = _f._new_page(
            style,
            style.pick(title_zh, title_en, sep="\n"),
            _subtitle(style, None, subject),
            _footer(style, {"river": river}, G, _pl.source_words(style, network_label)),
        )
        s = style.scale
        _f._fit_extent(page, _f._bounds(zones_m), margin=0.02)
        _f._scale_bar(page)
        _f._north_arrow(page)
        _draw_values(page, zones_m, colours, skip=(place,), gid="truck-change")
        _draw_context(page, roads_m, _pl._metric(river, "river"))
        _draw_lines(page, built, closure=False, gid="option")
        target = zones_m[zones_m["id"] == place]
        if len(target) and target.geom_type.iloc[0] in ("Polygon", "MultiPolygon"):
            target.boundary.plot(
                ax=page.ax,
                color=_st.INK,
                linewidth=1.2 * s,
                linestyle=(0, (4, 2)),
                zorder=_st.ZORDER["facility"] - 1,
                gid="place-outline",
            )
        point = _point_of(zones_m, place)
        if point is not None:
            _mark(
                page,
                point,
                style.pick(place_zh, place_en, sep="\n"),
                marker="*",
                size=14.0,
                gid="place",
                fontsize=style.pt(8.5),
            )
        handles = [
            Patch(facecolor=c, edgecolor=ZONE_EDGE, linewidth=0.4 * s) for c in CHANGE_COLOURS
        ]
        labels = _change_labels(style, bounds)
        handles.append(_no_data_handle(style))
        labels.append(style.pick("无数据", "no data", sep=" "))
        symbols_h = [_marker_handle(style, "*", 11.0)]
        symbols_l = [style.pick(f"目的地:{place_zh}", f"destination: {place_en}", sep=" ")]
        if len(built):
            symbols_h.append(_line_handle(style, closure=False))
            symbols_l.append(style.pick(f"方案:{opt_zh}", f"option: {opt_en}", sep=" "))
        context_h, context_l = _context_handles(style, roads_m)
        faster = known[known < -LITTLE_CHANGE_MIN]
        slower = known[known > LITTLE_CHANGE_MIN]
        names = zones_m.set_index("id")
        summary = [
            style.pick(
                f"快 {LITTLE_CHANGE_MIN:g} 分钟以上的区 {len(faster)} 个,慢 {LITTLE_CHANGE_MIN:g} "
                f"分钟以上的 {len(slower)} 个(共 {len(known)} 个)。",
                f"{_zones(len(faster))} faster and {len(slower)} slower by more than "
                f"{LITTLE_CHANGE_MIN:g} min, of {_zones(len(known))}.",
            )
        ]
        if len(known) and known.min() < -LITTLE_CHANGE_MIN:
            best = known.idxmin()
            zh = str(names.loc[best, "name_zh"]) if best in names.index else best
            en = str(names.loc[best, "name_en"]) if best in names.index else best
            saved = _st.format_minutes(-known.min())
            summary.append(
                style.pick(f"最多:{zh} 快 {saved} 分钟。", f"Most: {en}, {saved} min faster.")
            )
        summary.append(
            style.pick(
                "各区到目的地的最短拥堵时间,未按货车出行量加权;分级按四舍五入到 0.1 分钟后的值。",
                "Shortest congested time from each zone to the destination, not weighted by "
                "truck trips; classes from values rounded to 0.1 min.",
            )
        )

        def sidebar() -> None:
            _f._side_legend(
                page,
                handles,
                labels,
                style.pick("货车时间变化", "Change in truck minutes", sep=" "),
            )
            _f._side_legend(
                page,
                [*symbols_h, *context_h],
                [*symbols_l, *context_l],
                style.word("legend_other", sep=" "),
            )
            _f._side_text(page, "\n".join(summary), gid="truck-summary")

        _f._fill_sidebar(page, sidebar)
    return _f._finish(page)


def truck_time_map(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    path_stem: str | os.PathLike[str],
    **options: Any,
) -> list[Path]:
    """Draw :func:`truck_time_figure` and write it as ``<path_stem>.png`` and ``.pdf``.

    Parameters
    ----------
    zones, table
        As for :func:`truck_time_figure`.
    path_stem : path-like
        The files' path without suffix (``out/truck-time-last_mile``).
    **options
        The keyword options of :func:`truck_time_figure`.

    Returns
    -------
    list of pathlib.Path
        The PNG (A4 landscape, 300 dpi) and the PDF.
    """
    return _write(truck_time_figure, zones, table, path_stem, options)
