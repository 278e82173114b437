"""Maps of assigned traffic: the base peak congestion (v/c) and an option's flow difference.

Print pages reuse the page machinery of :mod:`sanqu_geo.maps.static` (title, legend sidebar,
scale bar, north arrow, source note); web pages are folium maps rendered by
:func:`sanqu_geo.maps.interactive.render_html`. Only draws what it is given.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Sequence

import folium
import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sanqu_geo import layers, settings
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import static as _s
from sanqu_geo.maps.interactive import render_html

__all__ = ["VC_CLASSES", "congestion_map", "flow_difference_map", "flows_web_map"]

#: v/c classes of the congestion map: (upper bound, colour, 中文, English).
VC_CLASSES: tuple[tuple[float, str, str, str], ...] = (
    (0.6, "#1a9850", "畅通 < 0.6", "free < 0.6"),
    (0.8, "#a6d96a", "基本畅通 0.6–0.8", "stable 0.6–0.8"),
    (1.0, "#fdae61", "缓行 0.8–1.0", "busy 0.8–1.0"),
    (1.2, "#f46d43", "拥堵 1.0–1.2", "congested 1.0–1.2"),
    (np.inf, "#a50026", "严重拥堵 > 1.2", "severe > 1.2"),
)

GAIN, LOSS = "#c2185b", "#1976d2"


def _vc_colour(vc: float) -> str:
    return next(c for bound, c, _, _ in VC_CLASSES if vc < bound)


def _check(links: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    if links is None or len(links) == 0 or any(c not in links.columns for c in columns):
        msg = f"{what} needs road links with {', '.join(columns)} (from sanqu_geo.compare)"
        raise DataSourceError(msg)


def _page(style, links_m, title: str, subtitle: str, note: str):
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    footer = _s._footer_items(style, {"zones": zones, "river": river}, None, [note])
    page = _s._new_page(style, title, subtitle, footer)
    _s._fit_extent(page, _s._bounds(links_m), margin=0.03)
    _s._scale_bar(page)
    _s._north_arrow(page)
    groups = _s._draw_zones(page, _s._metric(zones, "zones"), light=True)
    _s._draw_river(page, _s._metric(river, "river"), label=False)
    return page, groups


def congestion_map(
    links: gpd.GeoDataFrame,
    *,
    delay_index: float | None = None,
    network_source: str = "",
    demand_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Peak-hour v/c of every road: colour by v/c class, width by PCU volume.

    Parameters
    ----------
    links : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.link_layer`: ``vc``, ``pcu`` and line geometry.
    delay_index : float, optional
        The network delay index, printed in the subtitle.
    network_source, demand_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(links, ("vc", "pcu"), "congestion_map")
    style = _s._style(paper, lang, font, date)
    links_m = _s._metric(links, "links")
    top = max(float(links_m["pcu"].max()), 1.0)
    with matplotlib.rc_context(_s._rc(style)):
        sub_zh = "早高峰小时 现状路网 均衡分配 饱和度(v/c)"
        sub_en = "Morning peak hour, base network, equilibrium assignment: volume/capacity"
        if delay_index is not None:
            sub_zh += f" · 路网延误指数 {delay_index:.2f}"
            sub_en += f" · network delay index {delay_index:.2f}"
        note = style.pick(
            f"路网 {network_source};需求 {demand_source}(示意)",
            f"Network: {network_source}; demand: {demand_source} (indicative)",
        )
        page, groups = _page(
            style,
            links_m,
            style.pick("高峰拥堵(饱和度)", "Peak-hour congestion (v/c)"),
            style.pick(sub_zh, sub_en),
            note,
        )
        s = style.scale
        order = links_m.sort_values("vc")
        widths = (0.8 + 4.2 * np.sqrt(order["pcu"] / top)) * s
        colours = [_vc_colour(v) for v in order["vc"]]
        page.ax.add_collection(
            LineCollection(
                [np.asarray(g.coords) for g in order.geometry],
                colors=colours,
                linewidths=widths.to_numpy(),
                capstyle="round",
                zorder=6,
                gid="links-vc",
            )
        )
        handles = [Line2D([], [], color=c, linewidth=3.0 * s) for _, c, _, _ in VC_CLASSES]
        labels = [style.pick(zh, en, sep=" ") for _, _, zh, en in VC_CLASSES]
        widths_h = [Line2D([], [], color="#555555", linewidth=(0.8 + 4.2 * np.sqrt(v / top)) * s)
                    for v in (top / 4, top)]  # fmt: skip
        width_labels = [f"{top / 4:,.0f} pcu/h", f"{top:,.0f} pcu/h"]

        def sidebar() -> None:
            _s._side_legend(page, handles, labels, style.pick("饱和度 v/c", "v/c", sep=" "))
            _s._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick("断面流量(较大方向)", "Volume, larger direction", sep=" "),
            )
            _s._side_text(
                page,
                style.pick(
                    "通行能力:CJJ 37-2012 / JTG B01-2014 每车道通行能力 × 车道数,信号控制道路 × 绿信比;"
                    "延误:BPR 函数。需求为示意值,按高德延误指数标定。",
                    "Capacity: CJJ 37-2012 / JTG B01-2014 per-lane values × lanes, signalised "
                    "roads × green share; delay: BPR. Indicative demand calibrated to the Amap "
                    "delay index.",
                ),
            )
            _s._context_legend(page, groups, [])

        _s._fill_sidebar(page, sidebar)
    return _s._finish(page)


def flow_difference_map(
    diff: gpd.GeoDataFrame,
    *,
    option_title: tuple[str, str],
    vht_saved: float | None = None,
    network_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Change of peak-hour volume an option brings: band width ∝ |Δ|, one colour per sign.

    Parameters
    ----------
    diff : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.flow_difference`: ``delta_pcu``, ``corridor``, lines.
    option_title : (str, str)
        The option's names (中文, English).
    vht_saved : float, optional
        Peak-hour vehicle-hours saved, printed in the subtitle.
    network_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(diff, ("delta_pcu",), "flow_difference_map")
    style = _s._style(paper, lang, font, date)
    links_m = _s._metric(diff, "links")
    top = max(float(links_m["delta_pcu"].abs().max()), 1.0)
    zh, en = option_title
    with matplotlib.rc_context(_s._rc(style)):
        sub_zh, sub_en = (
            "早高峰小时 方案减现状 双向合计",
            "Morning peak hour, option minus base, both directions",
        )
        if vht_saved is not None:
            sub_zh += f" · 节省 {vht_saved:,.0f} 车·小时"
            sub_en += f" · {vht_saved:,.0f} vehicle-hours saved"
        page, groups = _page(
            style,
            links_m,
            style.pick(f"流量变化:{zh}", f"Flow difference: {en}"),
            style.pick(sub_zh, sub_en),
            style.pick(f"路网 {network_source}", f"Network: {network_source}"),
        )
        s = style.scale
        base = links_m[links_m["delta_pcu"].abs() < top * 0.01]
        page.ax.add_collection(
            LineCollection(
                [np.asarray(g.coords) for g in base.geometry],
                colors="#bbbbbb",
                linewidths=0.6 * s,
                zorder=5,
            )
        )
        moved = links_m[links_m["delta_pcu"].abs() >= top * 0.01].copy()
        moved["w"] = 0.6 + 9.0 * moved["delta_pcu"].abs() / top
        # Gains on top: a new corridor drawn on an existing road's line stays visible.
        for sign, colour, z in ((-1, LOSS, 6.0), (1, GAIN, 6.5)):
            part = moved[np.sign(moved["delta_pcu"]) == sign].sort_values("w", ascending=False)
            page.ax.add_collection(
                LineCollection(
                    [np.asarray(g.coords) for g in part.geometry],
                    colors=colour,
                    linewidths=(part["w"] * s).to_numpy(),
                    alpha=0.8,
                    capstyle="butt",
                    zorder=z,
                    gid=f"links-{'gain' if sign > 0 else 'loss'}",
                )
            )
        handles = [
            Line2D([], [], color=GAIN, linewidth=4 * s),
            Line2D([], [], color=LOSS, linewidth=4 * s),
        ]
        labels = [style.pick("增加", "gain", sep=" "), style.pick("减少", "loss", sep=" ")]
        widths_h = [
            Line2D([], [], color="#555555", linewidth=(0.6 + 9.0 * f) * s) for f in (0.25, 1.0)
        ]
        width_labels = [f"{top / 4:,.0f} pcu/h", f"{top:,.0f} pcu/h"]

        def sidebar() -> None:
            _s._side_legend(page, handles, labels, style.pick("流量变化", "Volume change", sep=" "))
            _s._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick("带宽 ∝ |Δ流量|", "Width ∝ |Δ volume|", sep=" "),
            )
            _s._context_legend(page, groups, [])

        _s._fill_sidebar(page, sidebar)
    return _s._finish(page)


def flows_web_map(
    congestion: gpd.GeoDataFrame,
    differences: dict[str, tuple[tuple[str, str], gpd.GeoDataFrame]],
    *,
    title: str = "高峰拥堵与方案流量变化 Peak congestion and flow differences",
) -> str:
    """One offline HTML page: base v/c and each option's flow difference as layers.

    Parameters
    ----------
    congestion : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.link_layer`.
    differences : dict
        Option id → ((中文, English) title, frame from :func:`sanqu_geo.compare.flow_difference`).
    title : str
        Page title.

    Returns
    -------
    str
        The page (every script inlined; no basemap tiles, so no network is needed).
    """
    _check(congestion, ("vc", "pcu"), "flows_web_map")
    west, south, east, north = congestion.to_crs(settings.default_crs).total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    m.fit_bounds([[south, west], [north, east]])
    m.get_root().header.add_child(folium.Element(f"<title>{html.escape(title)}</title>"))
    top = max(float(congestion["pcu"].max()), 1.0)

    def add(frame, name, colour, weight, popup, show):
        group = folium.FeatureGroup(name=html.escape(name), show=show)
        for r in frame.itertuples():
            coords = [(y, x) for x, y in r.geometry.coords]
            folium.PolyLine(
                coords,
                color=colour(r),
                weight=weight(r),
                opacity=0.9,
                tooltip=folium.Tooltip(popup(r)),
            ).add_to(group)
        group.add_to(m)

    add(
        congestion,
        "现状高峰饱和度 Base peak v/c",
        lambda r: _vc_colour(r.vc),
        lambda r: 1.5 + 7 * np.sqrt(r.pcu / top),
        lambda r: f"{html.escape(str(r.name or ''))} · v/c {r.vc:.2f} · {r.pcu:,.0f} pcu/h",
        True,
    )
    for (zh, en), diff in differences.values():
        peak_delta = max(float(diff["delta_pcu"].abs().max()), 1.0)
        moved = diff[diff["delta_pcu"].abs() >= peak_delta * 0.01]
        add(
            moved,
            f"流量变化 {zh} · Flow difference {en}",
            lambda r: GAIN if r.delta_pcu > 0 else LOSS,
            lambda r, p=peak_delta: 1.0 + 12 * abs(r.delta_pcu) / p,
            lambda r: f"{html.escape(str(r.name or ''))} · Δ {r.delta_pcu:+,.0f} pcu/h",
            False,
        )
    folium.LayerControl(collapsed=False).add_to(m)
    legend = "".join(
        f"<div><span style='background:{c};display:inline-block;width:18px;height:6px'></span> "
        f"{html.escape(zh)} · {html.escape(en)}</div>"
        for _, c, zh, en in VC_CLASSES
    )
    legend += (
        f"<div><span style='background:{GAIN};display:inline-block;width:18px;height:6px'></span>"
        f" 增加 gain &nbsp;<span style='background:{LOSS};display:inline-block;width:18px;"
        "height:6px'></span> 减少 loss (示意 indicative)</div>"
    )
    m.get_root().html.add_child(
        folium.Element(
            "<div style='position:fixed;bottom:18px;left:12px;z-index:9999;background:white;"
            f"padding:6px 8px;font:12px sans-serif;border:1px solid #999'>{legend}</div>"
        )
    )
    return render_html(m, offline=True)
