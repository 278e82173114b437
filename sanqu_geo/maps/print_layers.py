"""Layers of the print maps: zones, roads, the river, districts and facilities drawn on a page,
their legend handles and labels. Draws what it is given; computes no travel times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sanqu_geo import settings
from sanqu_geo.errors import CRSError
from sanqu_geo.maps.furniture import (
    _WORDS,
    _first,
    _humanise,
    _Page,
    _side_legend,
    _Style,
)
from sanqu_geo.maps.labels import (
    _block_points,
    _halo,
    _line_anchors,
    _overlap,
    _place_label,
    _ring,
)
from sanqu_geo.maps.style import (
    DISTRICT_COLOUR,
    FACILITY_OTHER,
    FACILITY_STYLES,
    INK,
    MUTED,
    RIVER_COLOUR,
    ROAD_ORDER,
    ROAD_STYLES,
    ZONE_COLOURS,
    ZONE_OTHER,
)


def _metric(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        msg = f"{what} has no CRS: set it first, e.g. gdf.set_crs('EPSG:4326')"
        raise CRSError(msg)
    out = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    return out.to_crs(settings.metric_crs)


def _split_located(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    return gdf[~missing], gdf[missing]


def _road_edges(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    """Edges of a road graph drawn once each (reverse copies dropped), in the metric CRS."""
    rows, geoms = [], []
    for u, v, data in G.edges(data=True):
        geom = data.get("geometry")
        if geom is None:
            a, b = G.nodes[u], G.nodes[v]
            geom = shapely.LineString([(a["x"], a["y"]), (b["x"], b["y"])])
        highway = data.get("highway", "")
        if isinstance(highway, list):
            highway = highway[0] if highway else ""
        rows.append(str(highway))
        geoms.append(geom)
    frame = gpd.GeoDataFrame(
        {"highway": rows}, geometry=geoms, crs=G.graph.get("crs", settings.default_crs)
    )
    # A two-way road is two edges with mirrored geometries; normalised, they are equal.
    key = shapely.to_wkb(shapely.normalize(frame.geometry.values))
    frame = frame[~pd.Series(key).duplicated().to_numpy()]
    return frame.to_crs(settings.metric_crs)


# --------------------------------------------------------------------------- layers


def _draw_zones(page: _Page, zones: gpd.GeoDataFrame, *, light: bool = False) -> list[str]:
    """Zones coloured by group, largest first so small zones stay on top; returns groups."""
    if zones.empty:
        return []
    s = page.style.scale
    ordered = zones.assign(_area=zones.geometry.area).sort_values("_area", ascending=False)
    groups = []
    for row in ordered.itertuples():
        group = str(getattr(row, "group", "") or "")
        colour = ZONE_COLOURS.get(group, ZONE_OTHER)
        groups.append(group)
        gpd.GeoSeries([row.geometry], crs=zones.crs).plot(
            ax=page.ax,
            facecolor=to_rgba(colour, 0.13 if light else 0.26),
            edgecolor=to_rgba(colour, 0.55 if light else 0.95),
            linewidth=(0.6 if light else 1.1) * s,
            zorder=2,
            gid=f"zone-{row.id}",
        )
    return list(dict.fromkeys(groups))


def _zone_handles(
    style: _Style, groups: Sequence[str], *, light: bool = False
) -> tuple[list[Any], list[str]]:
    handles, labels = [], []
    for group in [g for g in ZONE_COLOURS if g in groups] + [
        g for g in groups if g not in ZONE_COLOURS
    ]:
        colour = ZONE_COLOURS.get(group, ZONE_OTHER)
        handles.append(
            Patch(
                facecolor=to_rgba(colour, 0.13 if light else 0.26),
                edgecolor=to_rgba(colour, 0.55 if light else 0.95),
                linewidth=(0.6 if light else 1.0) * style.scale,
            )
        )
        labels.append(style.word(group, sep=" ") if group in _WORDS else (group or "—"))
    return handles, labels


def _draw_roads(page: _Page, roads: gpd.GeoDataFrame, *, light: bool = False) -> list[str]:
    """Roads by class, motorways on top; returns the classes drawn, in legend order."""
    s = page.style.scale
    drawn = []
    for group in ROAD_ORDER:
        for highway, (g, colour, width, _) in ROAD_STYLES.items():
            if g != group:
                continue
            part = roads[roads["highway"] == highway]
            if part.empty:
                continue
            part.plot(
                ax=page.ax,
                color=to_rgba(colour, 0.55 if light else 1.0),
                linewidth=width * s * (0.85 if light else 1.0),
                zorder=3,
                capstyle="round",
                joinstyle="round",
            )
            drawn.append(group)
    return [g for g in reversed(ROAD_ORDER) if g in drawn]


def _road_handles(
    style: _Style, classes: Sequence[str], *, light: bool = False
) -> tuple[list[Any], list[str]]:
    first = {g: (c, w) for _, (g, c, w, _px) in reversed(list(ROAD_STYLES.items()))}
    handles, labels = [], []
    for group in classes:
        colour, width = first[group]
        handles.append(
            Line2D(
                [], [], color=to_rgba(colour, 0.55 if light else 1.0), linewidth=width * style.scale
            )
        )
        labels.append(style.word(group, sep=" "))
    return handles, labels


def _context_legend(page: _Page, groups: Sequence[str], road_classes: Sequence[str]) -> None:
    """The legend of the light zones and roads under a thematic map."""
    style = page.style
    z_handles, z_labels = _zone_handles(style, groups, light=True)
    r_handles, r_labels = _road_handles(style, road_classes, light=True)
    river_handle, river_label = _river_handle(style)
    _side_legend(
        page,
        [*z_handles, *r_handles, river_handle],
        [*z_labels, *r_labels, river_label],
        style.word("legend_zones", sep=" ") + " · " + style.word("legend_roads", sep=" "),
    )


def _draw_river(page: _Page, river: gpd.GeoDataFrame, *, label: bool = True) -> None:
    if river.empty:
        return
    s = page.style.scale
    lines = river[river.geom_type.isin(["LineString", "MultiLineString"])]
    areas = river[river.geom_type.isin(["Polygon", "MultiPolygon"])]
    if not areas.empty:
        areas.plot(ax=page.ax, facecolor=to_rgba(RIVER_COLOUR, 0.5), edgecolor="none", zorder=2.5)
    if not lines.empty:
        lines.plot(ax=page.ax, color=RIVER_COLOUR, linewidth=3.2 * s, zorder=2.5, capstyle="round")
    if label:
        row = river.iloc[0]
        text = page.style.pick(row.get("name_zh"), row.get("name_en"), alt="Songhua River", sep=" ")
        _place_label(
            page,
            _line_anchors(row.geometry, (0.82, 0.7, 0.9, 0.6, 0.5, 0.4, 0.3)),
            text,
            offsets=[(0, 7), (0, -7), (0, 12), (0, -12)],
            fontsize=page.style.pt(7.5),
            fontstyle="italic",
            color=to_hex(RIVER_COLOUR),
            path_effects=_halo(page.style),
            zorder=12,
        )


def _river_handle(style: _Style) -> tuple[Any, str]:
    return Line2D([], [], color=RIVER_COLOUR, linewidth=3.0 * style.scale), style.word(
        "river", sep=" "
    )


def _draw_districts(page: _Page, districts: gpd.GeoDataFrame) -> None:
    """District names in light grey, at their label points, behind everything else."""
    style = page.style
    for row in districts.itertuples():
        point = row.geometry.representative_point()
        name = style.pick(
            getattr(row, "name_zh", ""), getattr(row, "name_en", ""), alt=_humanise(row.id)
        )
        text = page.ax.text(
            point.x,
            point.y,
            name,
            ha="center",
            va="center",
            fontsize=style.pt(8.5),
            color=DISTRICT_COLOUR,
            zorder=4,
            linespacing=1.1,
            path_effects=_halo(style, 2.0),
            gid=f"district-{row.id}",
        )
        text.set_clip_on(True)
        box = text.get_window_extent(page.renderer)
        if _overlap(box, page.ax.get_window_extent(page.renderer)) > 0:
            page.obstacles.append(box)


def _facility_style(kind: Any) -> tuple[str, str, str]:
    return FACILITY_STYLES.get(str(kind), FACILITY_OTHER)


def _draw_facilities(
    page: _Page, facilities: gpd.GeoDataFrame, *, skip_labels: Any = None
) -> list[str]:
    """Facility markers by kind, with short labels placed clear of each other."""
    style, s = page.style, page.style.scale
    groups = []
    for row in facilities.itertuples():
        group, marker, colour = _facility_style(getattr(row, "kind", ""))
        groups.append(group)
        page.ax.plot(
            row.geometry.x,
            row.geometry.y,
            marker=marker,
            markersize=5.2 * s,
            markerfacecolor=colour,
            markeredgecolor="white",
            markeredgewidth=0.8 * s,
            linestyle="none",
            zorder=20,
            gid=f"facility-{row.id}",
        )
    _block_points(page, [(p.x, p.y) for p in facilities.geometry], 3.2)
    # the most crowded places first, so they get the closest spots
    order = _crowding_order(facilities)
    for i in order:
        row = facilities.iloc[i]
        if skip_labels is not None and row.geometry.within(skip_labels):
            continue  # named in the inset
        text = style.pick(
            _first(row.get("short_zh"), row.get("name_zh")),
            _first(row.get("short_en"), row.get("name_en")),
            alt=_humanise(row["id"]),
        )
        _place_label(
            page,
            [(row.geometry.x, row.geometry.y)],
            text,
            offsets=_ring(6.0),
            leader_colour=MUTED,
            leader_from=8.0,
            fontsize=style.pt(7),
            color=INK,
            linespacing=1.1,
            path_effects=_halo(style),
            zorder=21,
        )
    return list(dict.fromkeys(groups))


def _crowding_order(points: gpd.GeoDataFrame) -> list[int]:
    xy = np.column_stack([points.geometry.x, points.geometry.y])
    if len(xy) < 2:
        return list(range(len(xy)))
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    np.fill_diagonal(d, np.inf)
    return list(np.argsort(d.min(axis=1), kind="stable"))


def _facility_handles(style: _Style, groups: Sequence[str]) -> tuple[list[Any], list[str]]:
    markers = {g: (m, c) for _, (g, m, c) in FACILITY_STYLES.items()}
    markers.setdefault(FACILITY_OTHER[0], FACILITY_OTHER[1:])
    handles, labels = [], []
    for group in ("airport", "rail", "logistics", "other"):
        if group not in groups:
            continue
        marker, colour = markers[group]
        handles.append(
            Line2D(
                [],
                [],
                marker=marker,
                markersize=5.2 * style.scale,
                markerfacecolor=colour,
                markeredgecolor="white",
                linestyle="none",
            )
        )
        labels.append(style.word(group, sep=" "))
    return handles, labels


def _label_zones(page: _Page, zones: gpd.GeoDataFrame, *, min_area_km2: float = 10.0) -> None:
    """Names of the larger zones inside them (the small ones are named by their facilities)."""
    style = page.style
    big = zones[zones.geometry.area >= min_area_km2 * 1e6]
    for row in big.itertuples():
        colour = ZONE_COLOURS.get(str(getattr(row, "group", "")), ZONE_OTHER)
        text = style.pick(
            _first(getattr(row, "short_zh", ""), row.name_zh),
            _first(getattr(row, "short_en", ""), getattr(row, "name_en", "")),
            alt=_humanise(row.id),
        )
        inner = row.geometry.buffer(-1500) if row.geometry.area > 2e7 else row.geometry
        if inner.is_empty:
            inner = row.geometry
        anchors = [(p.x, p.y) for p in _interior_points(inner)]
        _place_label(
            page,
            anchors,
            text,
            offsets=[(0, 0), (0, 10), (0, -10), (14, 0), (-14, 0)],
            fontsize=style.pt(8),
            fontweight="bold",
            color=_darker(colour),
            linespacing=1.1,
            path_effects=_halo(style, 2.6),
            zorder=11,
        )


def _interior_points(geom: Any, n: int = 9) -> list[Any]:
    """The representative point, then points of a grid inside the polygon."""
    points = [geom.representative_point()]
    x0, y0, x1, y1 = geom.bounds
    for fy in (0.5, 0.3, 0.7, 0.15, 0.85):
        for fx in (0.5, 0.3, 0.7):
            p = shapely.Point(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))
            if geom.contains(p):
                points.append(p)
    return points[: n + 1]


def _darker(colour: str, factor: float = 0.72) -> str:
    r, g, b, _ = to_rgba(colour)
    return to_hex((r * factor, g * factor, b * factor))
