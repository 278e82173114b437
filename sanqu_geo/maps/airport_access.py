"""The airport-access print map: minutes to the airport in three panels (base, base with a
closure, an option with the closure) sharing one class scheme, with trip-weighted means.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.patches import Patch

from sanqu_geo import layers, network, scenarios
from sanqu_geo.appraisal.weights import trip_mean
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps.appraisal_style import (
    NO_ROUTE_FACE,
    ZONE_EDGE,
    _check_table,
    _closure_lines,
    _condition_of,
    _context_handles,
    _draw_context,
    _draw_lines,
    _draw_values,
    _footer,
    _line_handle,
    _main_roads,
    _mark,
    _marker_handle,
    _minute_class,
    _minute_colours,
    _minute_labels,
    _no_data_handle,
    _option_lines,
    _option_of,
    _point_of,
    _rounded,
    _scenario,
    _write,
    _zones_metric,
    minute_breaks,
)
from sanqu_geo.maps.static import _subtitle

logger = logging.getLogger(__name__)

__all__ = [
    "airport_access_figure",
    "airport_access_map",
]


_PANEL_LETTERS = ("a", "b", "c")


def _airport_point(zones_m: gpd.GeoDataFrame) -> Any:
    """The airport zone's point (the table's times run to it), else the airport facility."""
    point = _point_of(zones_m, "airport")
    if point is not None:
        return point
    from sanqu_geo import travel

    try:
        place = travel.find_place("airport")
    except Exception as exc:  # the marker is an extra; a user's layers may lack the airport
        logger.debug("no airport marker: %s", exc)
        return None
    return _pl._metric(place, "airport").geometry.iloc[0].representative_point()


def _panel_table(table: pd.DataFrame, condition: str, option: str) -> pd.DataFrame:
    part = table[(table["condition"] == condition) & (table["option"] == option)]
    if not len(part):
        pairs = sorted(
            {(str(c), str(o)) for c, o in zip(table["condition"], table["option"], strict=True)}
        )
        shown = ", ".join(f"{c}/{o}" for c, o in pairs)
        msg = (
            f"the airport table has no rows for condition {condition!r} and option {option!r}; "
            f"it has (condition/option): {shown}. Pass a condition the appraisal solved "
            "(appraise(..., conditions=...))"
        )
        raise DataSourceError(msg)
    part = part.drop_duplicates("zone")
    return part.set_index(part["zone"].astype(str))


def _trip_mean(part: pd.DataFrame) -> float:
    """Trip-weighted mean minutes to the airport (weights: trips to the airport)."""
    return trip_mean(part["minutes_to"], part["trips_to"])


def _strip_legend(
    page: _f._Page,
    handles: Sequence[Any],
    labels: Sequence[str],
    title: str,
    *,
    x: float,
    ncols: int,
    gid: str,
) -> Legend:
    """A legend in rows under the panels, its lower left corner at ``x`` of the strip."""
    style = page.style
    legend = Legend(
        page.side,
        list(handles),
        list(labels),
        loc="lower left",
        bbox_to_anchor=(x, 0.0),
        bbox_transform=page.side.transAxes,
        frameon=False,
        title=title,
        alignment="left",
        prop=FontProperties(family=style.families, size=style.pt(7.2)),
        title_fontproperties=FontProperties(family=style.families, size=style.pt(8), weight="bold"),
        borderaxespad=0.0,
        borderpad=0.0,
        handlelength=2.0,
        handleheight=1.0,
        handletextpad=0.5,
        labelspacing=0.5,
        columnspacing=1.2,
        ncols=ncols,
    )
    legend.set_gid(gid)
    page.side.add_artist(legend)
    return legend


def airport_access_figure(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    option: str,
    condition: str,
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
    """Minutes to the airport zone by zone in three panels sharing one class scheme.

    The panels are (a) the base, normal network; (b) the base with ``condition`` (a closure);
    (c) ``option`` with the same closure. Zones without trips to the airport are white,
    hatched in grey; under the panels, each panel's mean minutes weighted by the trips to the airport.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        The demand's zones (``id``, ``name_zh``, ``name_en``, ``kind``, geometry), as
        :attr:`sanqu_geo.demand.Demand.zones`.
    table : pandas.DataFrame
        ``Appraisal.zones["airport"]``: ``zone``, ``condition``, ``option``, ``minutes_to``
        (congested car minutes to the airport), ``trips_to`` (cars per hour).
    option : str
        The option of panel (c).
    condition : str
        The closure of panels (b) and (c), e.g. ``airport_expressway_outer_closed``.
    title_zh, title_en : str
        The map's title.
    network_label : str
        The network the options were compared on (``Comparison.network_source``), for the
        source note.
    scenario : Scenario, optional
        For the titles of the option and the condition, the option's alignment and the closed
        roads (default: :func:`sanqu_geo.scenarios.load_scenario`).
    roads : networkx.MultiDiGraph, optional
        The road graph drawn for context and holding the closed roads (default: the
        scenario's network).
    year : int, optional
        The modelled year, printed in the subtitle.
    lang : str
        ``"both"`` (Chinese above English, the default), ``"zh"`` or ``"en"``.
    font : str, optional
        A CJK font family or file (see :func:`sanqu_geo.maps.static.zones_map`).
    date : datetime.date, optional
        Date printed under the title (default: today).

    Returns
    -------
    matplotlib.figure.Figure
        An A4 landscape page.

    Raises
    ------
    DataSourceError
        When the table lacks columns, the option or the condition.
    """
    _check_table(
        table, ("zone", "condition", "option", "minutes_to", "trips_to"), "airport_access_map"
    )
    sc = _scenario(scenario)
    style = _f._style("A4", lang, font, date)
    states = [("normal", "base"), (condition, "base"), (condition, option)]
    parts = [_panel_table(table, c, o) for c, o in states]
    zones_m = _zones_metric(zones)
    G = roads if roads is not None else network.load_network(sc.network)
    opt, cond = _option_of(sc, option), _condition_of(sc, condition)
    opt_zh, opt_en = (opt.title_zh, opt.title_en) if opt else (option, _f._humanise(option))
    cond_zh, cond_en = (
        (cond.title_zh, cond.title_en) if cond else (condition, _f._humanise(condition))
    )

    # one class scheme for the three panels: every value shown, rounded as printed
    shown: list[pd.Series] = []
    for part in parts:
        minutes = pd.Series(_rounded(part["minutes_to"]), index=part.index)
        shown.append(minutes.where((part["trips_to"] > 0) & np.isfinite(minutes)))
    breaks = minute_breaks(
        np.concatenate([s.to_numpy(float) for s in shown]),
        np.concatenate([p["trips_to"].to_numpy(float) for p in parts]),
    )
    palette = _minute_colours(len(breaks) - 1)
    no_route = any(((p["trips_to"] > 0) & ~np.isfinite(p["minutes_to"])).any() for p in parts)
    means = [_trip_mean(p) for p in parts]

    river = layers.load_layer("river", located_only=True)
    roads_m = _main_roads(G)
    river_m = _pl._metric(river, "river")
    closed = _closure_lines(G, cond)
    built = _option_lines(G, opt)
    airport = _airport_point(zones_m)
    period = f"{year} 年早高峰小时" if year else "早高峰小时"
    period_en = f"Morning peak hour, {year}" if year else "Morning peak hour"
    subject = style.pick(
        f"{period} 各区到机场的小汽车拥堵时间(分钟),三图分级相同",
        f"{period_en}: congested car minutes from each zone to the airport; one class scheme "
        "for the three panels",
    )
    with matplotlib.rc_context(_f._rc(style)):
        page = _f._new_page(
            style,
            style.pick(title_zh, title_en, sep="\n"),
            _subtitle(style, None, subject),
            _footer(style, {"river": river}, G, _pl.source_words(style, network_label)),
        )
        fig, s = page.fig, style.scale
        w_mm, h_mm = _f.PAPER_MM[style.paper]
        frame, side = page.ax.get_position(), page.side.get_position()
        x0, x1, y0, y1 = frame.x0, side.x1, frame.y0, frame.y1
        gap = 5.0 * s / w_mm
        to_fig = fig.transFigure.inverted()

        # legends first, along the foot of the map area
        page.side.set_position((x0, y0, x1 - x0, 0.05))
        handles = [Patch(facecolor=c, edgecolor=ZONE_EDGE, linewidth=0.4 * s) for c in palette]
        labels = _minute_labels(breaks)
        handles.append(_no_data_handle(style))
        labels.append(style.pick("无到机场出行", "no airport trips", sep=" "))
        if no_route:
            handles.append(Patch(facecolor=NO_ROUTE_FACE, edgecolor="white"))
            labels.append(style.pick("无路径", "no route", sep=" "))
        first = _strip_legend(
            page,
            handles,
            labels,
            style.pick("到机场的小汽车时间(分钟)", "Car minutes to the airport", sep=" · "),
            x=0.0,
            ncols=len(handles),
            gid="legend-minutes",
        )
        symbols_h = [_marker_handle(style, "^", 7.0), _line_handle(style, closure=True)]
        symbols_l = [
            style.pick("机场", "airport", sep=" "),
            style.pick("封闭路段(b、c)", "closed section (b, c)", sep=" "),
        ]
        if len(built):
            symbols_h.append(_line_handle(style, closure=False))
            symbols_l.append(style.pick("方案线位(c)", "option's alignment (c)", sep=" "))
        context_h, context_l = _context_handles(style, roads_m)
        strip = page.side.get_window_extent(page.renderer)
        right = first.get_window_extent(page.renderer).x1
        second = _strip_legend(
            page,
            [*symbols_h, *context_h],
            [*symbols_l, *context_l],
            style.pick("图例", "Symbols", sep=" · "),
            x=(right - strip.x0) / strip.width + 0.03,
            ncols=math.ceil((len(symbols_h) + len(context_h)) / 2),
            gid="legend-symbols",
        )
        if second.get_window_extent(page.renderer).x1 > strip.x1 + 1:
            # no room beside the classes: the symbols go in a row of their own, under them
            second.remove()
            second = _strip_legend(
                page,
                [*symbols_h, *context_h],
                [*symbols_l, *context_l],
                style.pick("图例", "Symbols", sep=" · "),
                x=0.0,
                ncols=len(symbols_h) + len(context_h),
                gid="legend-symbols",
            )
            above = second.get_window_extent(page.renderer).y1 + 3.0 * s / 25.4 * fig.dpi
            first.set_bbox_to_anchor((0.0, (above - strip.y0) / strip.height), page.side.transAxes)
        legend_top = max(
            to_fig.transform((0, lg.get_window_extent(page.renderer).y1))[1]
            for lg in (first, second)
        )

        # panel titles along the top, captions (trip-weighted means) above the legends
        pw = (x1 - x0 - 2 * gap) / 3
        titles = [
            (style.pick("现状路网 · 平时", "Base network, normal", sep="\n")),
            style.pick(f"现状路网 · {cond_zh}", f"Base network, {cond_en.lower()}", sep="\n"),
            style.pick(f"{opt_zh} · {cond_zh}", f"{opt_en}, {cond_en.lower()}", sep="\n"),
        ]
        title_prop = FontProperties(family=style.families, size=style.pt(8), weight="bold")
        width_px = pw * fig.bbox.width
        bottoms = []
        for i, text in enumerate(titles):
            artist = fig.text(
                x0 + i * (pw + gap),
                y1,
                _f._wrap(f"({_PANEL_LETTERS[i]}) {text}", width_px, title_prop, page.renderer),
                ha="left",
                va="top",
                fontproperties=title_prop,
                color=_st.INK,
                linespacing=1.25,
                gid=f"panel-title-{_PANEL_LETTERS[i]}",
            )
            bottoms.append(to_fig.transform((0, artist.get_window_extent(page.renderer).y0))[1])
        top = min(bottoms) - 2.0 * s / h_mm
        caption_y = legend_top + 4.0 * s / h_mm
        caption_prop = FontProperties(family=style.families, size=style.pt(7.6), weight="bold")
        tops = []
        for i, mean in enumerate(means):
            value = _st.format_minutes(mean) or "—"
            artist = fig.text(
                x0 + i * (pw + gap) + pw / 2,
                caption_y,
                _f._wrap(
                    style.pick(
                        f"({_PANEL_LETTERS[i]}) 出行加权平均 {value} 分钟",
                        f"trip-weighted mean {value} min",
                        sep=" · ",
                    ),
                    width_px,
                    caption_prop,
                    page.renderer,
                ),
                ha="center",
                va="bottom",
                fontproperties=caption_prop,
                color=_st.INK,
                gid=f"panel-mean-{_PANEL_LETTERS[i]}",
            )
            tops.append(to_fig.transform((0, artist.get_window_extent(page.renderer).y1))[1])
        bottom = max(tops) + 1.5 * s / h_mm

        bounds = _f._bounds(zones_m)
        axes = [page.ax] + [fig.add_axes((0, 0, 1, 1)) for _ in range(2)]
        for i, ax in enumerate(axes):
            ax.set_position((x0 + i * (pw + gap), bottom, pw, top - bottom))
            ax.set_gid(f"map-panel-{_PANEL_LETTERS[i]}")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_facecolor(_st.MAP_BACKGROUND)
            for spine in ax.spines.values():
                spine.set_edgecolor(_st.FRAME)
                spine.set_linewidth(0.8 * s)
            panel = dataclasses.replace(page, ax=ax, obstacles=[])
            _f._fit_extent(panel, bounds, margin=0.02)
            if i == 0:
                _f._scale_bar(panel)
                _f._north_arrow(panel)
            colours: dict[str, str | None] = {
                z: (palette[_minute_class(v, breaks)] if pd.notna(v) else None)
                for z, v in shown[i].items()
            }
            if no_route:
                part = parts[i]
                for z in part.index[(part["trips_to"] > 0) & ~np.isfinite(part["minutes_to"])]:
                    colours[z] = NO_ROUTE_FACE
            _draw_values(
                panel, zones_m, colours, skip=("airport",), gid=f"panel-{_PANEL_LETTERS[i]}"
            )
            _draw_context(panel, roads_m, river_m)
            if i > 0:
                _draw_lines(panel, closed, closure=True, gid=f"closure-{_PANEL_LETTERS[i]}")
            if i == 2:
                _draw_lines(panel, built, closure=False, gid="option-c")
            if airport is not None:
                _mark(
                    panel,
                    airport,
                    style.pick("机场", "Airport", sep="\n"),
                    marker="^",
                    size=9.0,
                    gid=f"airport-{_PANEL_LETTERS[i]}",
                    fontsize=style.pt(7.5),
                )
            ax.set_xlabel("")
            ax.set_ylabel("")
        page.side.set_axis_off()
    return page.fig


def airport_access_map(
    zones: gpd.GeoDataFrame,
    table: pd.DataFrame,
    *,
    path_stem: str | os.PathLike[str],
    **options: Any,
) -> list[Path]:
    """Draw :func:`airport_access_figure` and write it as ``<path_stem>.png`` and ``.pdf``.

    Parameters
    ----------
    zones, table
        As for :func:`airport_access_figure`.
    path_stem : path-like
        The files' path without suffix (``out/airport-access-second_passage_ph1``).
    **options
        The keyword options of :func:`airport_access_figure`.

    Returns
    -------
    list of pathlib.Path
        The PNG (A4 landscape, 300 dpi) and the PDF.
    """
    return _write(airport_access_figure, zones, table, path_stem, options)
