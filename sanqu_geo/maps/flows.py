"""Maps of assigned traffic: the base peak congestion (v/c), an option's flow difference and
the zones whose trips use a new corridor (select link).

Colours, rounding and words come from :mod:`sanqu_geo.maps.style`; the print page (title,
legend sidebar, scale bar, north arrow, source note) from :mod:`sanqu_geo.maps.furniture`
and the context layers from :mod:`sanqu_geo.maps.print_layers`, like every other map; web
pages are folium maps rendered by :func:`sanqu_geo.maps.interactive.render_html`. Only draws
what it is given.
"""

from __future__ import annotations

import datetime
import html
import math
from collections.abc import Callable, Sequence

import folium
import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sanqu_geo import layers, settings
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps import web_base
from sanqu_geo.maps.interactive import SIMPLIFY_DEG, render_html
from sanqu_geo.maps.labels import _block_points, _halo, _place_label, _ring
from sanqu_geo.maps.style import (
    FLOW_GAIN_COLOUR as GAIN,
)
from sanqu_geo.maps.style import (
    FLOW_LOSS_COLOUR as LOSS,
)
from sanqu_geo.maps.style import (
    VC_CLASSES,
    vc_colour,
)

__all__ = [
    "VC_CLASSES",
    "congestion_map",
    "flow_difference_map",
    "flows_web_map",
    "select_link_breaks",
    "select_link_map",
]

_vc_colour = vc_colour


def _check(links: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    if links is None or len(links) == 0 or any(c not in links.columns for c in columns):
        msg = f"{what} needs road links with {', '.join(columns)} (from sanqu_geo.compare)"
        raise DataSourceError(msg)


def _page(style, links_m, title: str, subtitle: str, note: str):
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    footer = _f._footer_items(style, {"zones": zones, "river": river}, None, [note])
    page = _f._new_page(style, title, subtitle, footer)
    _f._fit_extent(page, _f._bounds(links_m), margin=0.03)
    _f._scale_bar(page)
    _f._north_arrow(page)
    groups = _pl._draw_zones(page, _pl._metric(zones, "zones"), light=True)
    _pl._draw_river(page, _pl._metric(river, "river"), label=False)
    return page, groups


def _source_note(style: _f._Style, network_source: str, demand_source: str) -> str:
    """The source note of a map drawn from an assignment: network, demand, indicative."""
    return style.pick(
        f"路网 {network_source};需求 {demand_source}(示意)",
        f"Network: {network_source}; demand: {demand_source} (indicative)",
    )


def _width_labels(top: float) -> list[str]:
    """The volumes of the two band-width keys: a quarter of the largest, and the largest."""
    return [_st.format_volume(top / 4, unit="pcu/h"), _st.format_volume(top, unit="pcu/h")]


def _close(page: _f._Page, groups: Sequence[str], legends: Callable[[], None]) -> Figure:
    """Fill the sidebar with ``legends`` and then the context layers' key; finish the page."""

    def sidebar() -> None:
        legends()
        _pl._context_legend(page, groups, [])

    _f._fill_sidebar(page, sidebar)
    return _f._finish(page)


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
    style = _f._style(paper, lang, font, date)
    links_m = _pl._metric(links, "links")
    top = max(float(links_m["pcu"].max()), 1.0)
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh = "早高峰小时 现状路网 均衡分配 饱和度(v/c)"
        sub_en = "Morning peak hour, base network, equilibrium assignment: volume/capacity"
        if delay_index is not None:
            sub_zh += f" · 路网延误指数 {_st.format_ratio(delay_index)}"
            sub_en += f" · network delay index {_st.format_ratio(delay_index)}"
        note = _source_note(style, network_source, demand_source)
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
        widths_h = [Line2D([], [], color=_st.MUTED, linewidth=(0.8 + 4.2 * np.sqrt(v / top)) * s)
                    for v in (top / 4, top)]  # fmt: skip
        width_labels = _width_labels(top)

        def sidebar() -> None:
            _f._side_legend(page, handles, labels, style.pick("饱和度 v/c", "v/c", sep=" "))
            _f._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick("断面流量(较大方向)", "Volume, larger direction", sep=" "),
            )
            _f._side_text(
                page,
                style.pick(
                    "通行能力:CJJ 37-2012 设计通行能力 × 车道数,信号交叉口进口 × 绿信比;"
                    "延误:锥形函数(Spiess 1990)。需求为示意值。",
                    "Capacity: CJJ 37-2012 design capacity per lane × lanes, signal approaches "
                    "× green share; delay: conical (Spiess 1990). Indicative demand.",
                ),
            )

        return _close(page, groups, sidebar)


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
    style = _f._style(paper, lang, font, date)
    links_m = _pl._metric(diff, "links")
    top = max(float(links_m["delta_pcu"].abs().max()), 1.0)
    zh, en = option_title
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh, sub_en = (
            "早高峰小时 方案减现状 双向合计",
            "Morning peak hour, option minus base, both directions",
        )
        if vht_saved is not None:
            shown = _st.format_vehicle_hours(vht_saved)
            sub_zh += f" · 高峰小时节省 {shown} 车·小时"
            sub_en += f" · {shown} vehicle-hours saved in the peak hour"
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
                colors=_st.FLOW_UNCHANGED_COLOUR,
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
            Line2D([], [], color=_st.MUTED, linewidth=(0.6 + 9.0 * f) * s) for f in (0.25, 1.0)
        ]
        width_labels = _width_labels(top)

        def sidebar() -> None:
            _f._side_legend(page, handles, labels, style.pick("流量变化", "Volume change", sep=" "))
            _f._side_legend(
                page,
                widths_h,
                width_labels,
                style.pick("带宽 ∝ |Δ流量|", "Width ∝ |Δ volume|", sep=" "),
            )

        return _close(page, groups, sidebar)


def _web_prepare(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_DEG, preserve_topology=True)
    return gdf


def _signed_volume(value: float) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return sign + _st.format_volume(abs(value))


def select_link_breaks(top: float) -> list[float]:
    """Upper bounds of the select-link classes: five equal steps of a round number up to ``top``.

    Parameters
    ----------
    top : float
        The largest value shown (vehicles per hour).

    Returns
    -------
    list of float
        Five increasing upper bounds, the last one ≥ ``top``.
    """
    top = max(float(top), 1.0)
    raw = top / len(_st.SELECT_LINK_COLOURS)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * (i + 1) for i in range(len(_st.SELECT_LINK_COLOURS))]


def _select_colour(value: float, breaks: Sequence[float]) -> str:
    for bound, colour in zip(breaks, _st.SELECT_LINK_COLOURS, strict=True):
        if value <= bound:
            return colour
    return _st.SELECT_LINK_COLOURS[-1]


def _class_labels(breaks: Sequence[float]) -> list[str]:
    lows = [0.0, *breaks[:-1]]
    return [
        f"{_st.format_volume(lo)}–{_st.format_volume(hi)}"
        for lo, hi in zip(lows, breaks, strict=True)
    ]


def select_link_map(
    zones: gpd.GeoDataFrame,
    corridor: gpd.GeoDataFrame,
    *,
    option_title: tuple[str, str],
    corridor_vehicles: float | None = None,
    network_source: str = "",
    demand_source: str = "",
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
) -> Figure:
    """Zones shaded by their peak-hour trips that use an option's new corridor (select link).

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.select_link_zones`: ``name_zh``, ``name_en``,
        ``vehicles`` (vehicles per hour on the corridor that start or end in the zone) and the
        zone's geometry (polygons, or points for the generators).
    corridor : geopandas.GeoDataFrame
        The option's corridor lines.
    option_title : (str, str)
        The option's names (中文, English).
    corridor_vehicles : float, optional
        Vehicles per hour using the corridor (each counted once), for the subtitle.
    network_source, demand_source : str
        For the source note.
    paper, lang, font, date
        As for :func:`sanqu_geo.maps.static.zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    _check(zones, ("vehicles", "name_zh", "name_en"), "select_link_map")
    style = _f._style(paper, lang, font, date)
    zones_m = _pl._metric(zones, "zones")
    line_m = _pl._metric(corridor, "corridor") if len(corridor) else corridor
    used = zones_m[zones_m["vehicles"] > 0]
    breaks = select_link_breaks(float(used["vehicles"].max()) if len(used) else 1.0)
    zh, en = option_title
    with matplotlib.rc_context(_f._rc(style)):
        sub_zh, sub_en = (
            "早高峰小时 使用新通道的出行(起点或终点在该区)",
            ("Morning peak hour: trips on the new corridor that start or end in each zone"),
        )
        if corridor_vehicles is not None:
            shown = _st.format_volume(corridor_vehicles)
            sub_zh += f" · 新通道共 {shown} 辆/小时"
            sub_en += f" · {shown} vehicles/h on the corridor"
        note = _source_note(style, network_source, demand_source)
        page, groups = _page(
            style,
            zones_m
            if len(line_m) == 0
            else gpd.GeoDataFrame(
                geometry=list(zones_m.geometry) + list(line_m.geometry), crs=zones_m.crs
            ),
            style.pick(f"新通道使用者:{zh}", f"Who uses the new corridor: {en}"),
            style.pick(sub_zh, sub_en),
            note,
        )
        s = style.scale
        areas = zones_m[zones_m.geom_type.isin(["Polygon", "MultiPolygon"])]
        points = zones_m[~zones_m.index.isin(areas.index)]
        shaded = areas[areas["vehicles"] > 0]
        unused = areas[areas["vehicles"] <= 0]
        if len(unused):
            unused.plot(
                ax=page.ax,
                facecolor="none",
                edgecolor=_st.MUTED,
                linewidth=0.5 * s,
                zorder=_st.ZORDER["zone"] + 0.5,
            )
        if len(shaded):
            shaded.plot(
                ax=page.ax,
                color=[_select_colour(v, breaks) for v in shaded["vehicles"]],
                edgecolor=_st.MUTED,
                linewidth=0.5 * s,
                alpha=0.85,
                zorder=_st.ZORDER["zone"] + 0.6,
                gid="select-link-zones",
            )
        # generators and cordon zones (points, several cordon points) at one symbol each
        spots = points.geometry.representative_point()
        page.ax.scatter(
            spots.x,
            spots.y,
            s=(6.0 * s) ** 2,
            c=[_select_colour(v, breaks) if v > 0 else "white" for v in points["vehicles"]],
            edgecolors=_st.INK,
            linewidths=0.6 * s,
            zorder=_st.ZORDER["facility"],
            gid="select-link-generators",
        )
        if len(line_m):
            line_m.plot(
                ax=page.ax, color="white", linewidth=4.6 * s, zorder=_st.ZORDER["interchange"]
            )
            line_m.plot(
                ax=page.ax,
                color=_st.INK,
                linewidth=2.6 * s,
                zorder=_st.ZORDER["interchange"] + 0.1,
                gid="select-link-corridor",
            )
        # the zones carrying most of the corridor's trips get their figure written on the map
        _block_points(page, [(p.x, p.y) for p in spots], 3.0)
        for r in used.sort_values("vehicles", ascending=False).head(10).itertuples():
            anchor = r.geometry.representative_point()
            name = style.pick(str(r.name_zh), str(r.name_en), sep=" ")
            _place_label(
                page,
                [(anchor.x, anchor.y)],
                f"{name} {_st.format_volume(r.vehicles)}",
                offsets=_ring(8.0, (1, 2, 3, 4, 5)),
                leader_colour=_st.MUTED,
                fontsize=style.pt(6.5),
                color=_st.INK,
                path_effects=_halo(style, 2.4),
                zorder=_st.ZORDER["facility_label"],
            )
        handles = [
            Patch(facecolor=c, edgecolor=_st.MUTED, linewidth=0.5) for c in _st.SELECT_LINK_COLOURS
        ]
        labels = _class_labels(breaks)
        line_handle = Line2D([], [], color=_st.INK, linewidth=2.6 * s)

        def sidebar() -> None:
            _f._side_legend(
                page,
                handles,
                labels,
                style.pick(
                    "使用新通道的出行(辆/小时)", "Trips on the new corridor (veh/h)", sep=" "
                ),
            )
            _f._side_legend(
                page,
                [line_handle],
                [style.pick(zh, en, sep=" ")],
                style.pick("新通道", "New corridor", sep=" "),
            )
            _f._side_text(
                page,
                style.pick(
                    "选择路段分析:均衡路径经过新通道的起讫点出行,按起点区和终点区各计一次;"
                    "全部起讫点之和等于新通道的流量。需求为示意值。",
                    "Select link: origin–destination trips whose equilibrium paths use the new "
                    "corridor, counted once at the origin zone and once at the destination "
                    "zone; over all pairs they add up to the corridor's volume. Indicative "
                    "demand.",
                ),
            )

        return _close(page, groups, sidebar)


def flows_web_map(
    congestion: gpd.GeoDataFrame,
    differences: dict[str, tuple[tuple[str, str], gpd.GeoDataFrame]],
    *,
    select_link: dict[str, tuple[tuple[str, str], gpd.GeoDataFrame]] | None = None,
    title: str = "高峰拥堵与方案流量变化 Peak congestion and flow differences",
) -> str:
    """One offline HTML page: base v/c and each option's flow difference as layers.

    Parameters
    ----------
    congestion : geopandas.GeoDataFrame
        From :func:`sanqu_geo.compare.link_layer`.
    differences : dict
        Option id → ((中文, English) title, frame from :func:`sanqu_geo.compare.flow_difference`).
    select_link : dict, optional
        Option id → ((中文, English) title, zones from
        :func:`sanqu_geo.compare.select_link_zones`): one layer of zones shaded by their trips on
        the option's new corridor.
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
    # the toolkit's own light base (roads, the Songhua, district names) under the traffic, as
    # on the other offline pages; WGS-84 like the traffic layers
    web_base.base_panes(m)
    web_base.add_base(m, _web_prepare, lang="both")
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
        lambda r: (
            f"{html.escape(str(r.name or ''))} · v/c {_st.format_ratio(r.vc)} · "
            f"{_st.format_volume(r.pcu, unit='pcu/h')}"
        ),
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
            lambda r: f"{html.escape(str(r.name or ''))} · Δ {_signed_volume(r.delta_pcu)} pcu/h",
            False,
        )
    for (zh, en), frame in (select_link or {}).values():
        used = frame[frame["vehicles"] > 0].to_crs(settings.default_crs)
        if not len(used):
            continue
        breaks = select_link_breaks(float(used["vehicles"].max()))
        group = folium.FeatureGroup(
            name=html.escape(f"新通道使用者 {zh} · Who uses the corridor: {en}"), show=False
        )
        for r in used.itertuples():
            colour = _select_colour(r.vehicles, breaks)
            tip = folium.Tooltip(
                f"{html.escape(str(r.name_zh))} {html.escape(str(r.name_en))} · "
                f"{_st.format_volume(r.vehicles)} 辆/小时 veh/h"
            )
            if r.geometry.geom_type in ("Polygon", "MultiPolygon"):
                folium.GeoJson(
                    r.geometry.__geo_interface__,
                    style_function=lambda _, c=colour: {
                        "fillColor": c,
                        "color": _st.MUTED,
                        "weight": 1,
                        "fillOpacity": 0.75,
                    },
                    tooltip=tip,
                ).add_to(group)
            else:
                spot = r.geometry.representative_point()
                folium.CircleMarker(
                    (spot.y, spot.x),
                    radius=7,
                    color=_st.INK,
                    weight=1,
                    fill=True,
                    fill_color=colour,
                    fill_opacity=0.9,
                    tooltip=tip,
                ).add_to(group)
        group.add_to(m)
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
    if select_link:
        legend += (
            "<div>新通道使用者 trips on the new corridor: "
            + "".join(
                f"<span style='background:{c};display:inline-block;width:12px;height:10px;"
                "border:1px solid #999'></span>"
                for c in _st.SELECT_LINK_COLOURS
            )
            + " 少→多 few→many</div>"
        )
    m.get_root().html.add_child(
        folium.Element(
            "<div style='position:fixed;bottom:18px;left:12px;z-index:9999;background:white;"
            f"padding:6px 8px;font:12px sans-serif;border:1px solid #999'>{legend}</div>"
        )
    )
    return render_html(m, offline=True)
