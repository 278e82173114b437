"""The validation map: the roads a published target names, coloured by whether the model meets it.

Blue where the base peak hour is within the target, orange where it is outside (a pair that
stays apart under the common colour-vision deficiencies); every other road thin and grey for
context. Page furniture from :mod:`sanqu_geo.maps.furniture`, as every print map. Only draws
what it is given.
"""

from __future__ import annotations

import datetime

import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps.flows import _check, _close, _page, _source_note
from sanqu_geo.maps.labels import _halo

__all__ = ["OUTSIDE_COLOUR", "WITHIN_COLOUR", "validation_map"]

#: Within the target / outside it (ColorBrewer PuOr-like blue–orange pair).
WITHIN_COLOUR = "#2166ac"
OUTSIDE_COLOUR = "#e66101"
_CONTEXT = "#c8c8c8"


def validation_map(
    links: gpd.GeoDataFrame,
    validated: gpd.GeoDataFrame,
    *,
    network_source: str = "",
    demand_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Roads named by the validation targets, coloured within / outside, over every road.

    Parameters
    ----------
    links : geopandas.GeoDataFrame
        Every road (:func:`sanqu_geo.compare.link_layer`), drawn as context.
    validated : geopandas.GeoDataFrame
        From :func:`sanqu_geo.calibration.validation_links`: ``road``, ``ok``, geometry.
    network_source, demand_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(links, ("pcu",), "validation_map")
    style = _f._style(paper, lang, font, date)
    links_m = _pl._metric(links, "links")
    checked = _pl._metric(validated, "validated") if len(validated) else validated
    with matplotlib.rc_context(_f._rc(style)):
        page, groups = _page(
            style,
            links_m,
            style.pick("模型校核:具名道路", "Validation: the named roads"),
            style.pick(
                "早高峰小时 现状路网:高德前十拥堵道路、三大动力路、松北大道、松花江大桥、机场高速",
                "Morning peak hour, base network: Amap's top-10 congested roads, 三大动力路, "
                "松北大道, the Songhua bridges, the airport expressway",
            ),
            _source_note(style, network_source, demand_source),
        )
        if len(checked):
            _f._fit_extent(page, _f._bounds(checked), margin=0.08)
        s = style.scale
        page.ax.add_collection(
            LineCollection(
                [np.asarray(g.coords) for g in links_m.geometry],
                colors=_CONTEXT,
                linewidths=0.5 * s,
                zorder=5,
                gid="links-context",
            )
        )
        for ok, colour in ((True, WITHIN_COLOUR), (False, OUTSIDE_COLOUR)):
            part = checked[checked["ok"] == ok] if len(checked) else checked
            if len(part):
                page.ax.add_collection(
                    LineCollection(
                        [np.asarray(g.coords) for g in part.geometry],
                        colors=colour,
                        linewidths=2.6 * s,
                        capstyle="round",
                        zorder=7,
                        gid="within" if ok else "outside",
                    )
                )
        if len(checked):
            for road, part in checked.groupby("road", sort=True):
                longest = part.geometry.length.idxmax()
                p = part.geometry.loc[longest].interpolate(0.5, normalized=True)
                page.ax.annotate(road, (p.x, p.y), xytext=(4, 4), textcoords="offset points",
                                 fontsize=7 * s, zorder=9, color="#222222",
                                 path_effects=_halo(style))  # fmt: skip
        handles = [
            Line2D([], [], color=c, linewidth=3.0 * s) for c in (WITHIN_COLOUR, OUTSIDE_COLOUR)
        ]
        labels = [style.pick("符合已公布值", "within the published target", sep=" "),
                  style.pick("不符已公布值", "outside the published target", sep=" ")]  # fmt: skip

        def sidebar() -> None:
            _f._side_legend(
                page, handles, labels, style.pick("校核 Validation", "Validation", sep=" ")
            )
            _f._side_text(
                page,
                style.pick(
                    "目标与来源见工作簿“校核 Validation”表;标定所用目标已注明。",
                    "Targets and sources: the workbook's Validation sheet; targets used to fit a "
                    "parameter are marked there.",
                ),
            )

        return _close(page, groups, sidebar)
