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


# --------------------------------------------------------------------------- lines side by side


def _components(geom: Any) -> list[Any]:
    """The LineStrings of a line geometry (empty and non-line parts dropped)."""
    if geom is None or geom.is_empty:
        return []
    if geom.geom_type == "LineString":
        return [geom]
    if hasattr(geom, "geoms"):
        return [p for g in geom.geoms for p in _components(g)]
    return []


def _tangent(line: Any, at: float, step: float) -> np.ndarray:
    """Unit direction of ``line`` at ``at`` metres along it."""
    a = line.interpolate(max(at - step, 0.0))
    b = line.interpolate(min(at + step, line.length))
    v = np.array([b.x - a.x, b.y - a.y])
    n = float(np.hypot(*v))
    return v / n if n > 0 else np.array([1.0, 0.0])


def _nearest_tangent(parts: Sequence[Any], point: Any, step: float) -> tuple[float, np.ndarray]:
    """Distance from ``point`` to the nearest of ``parts`` and that part's direction there."""
    best = min(parts, key=point.distance)
    return point.distance(best), _tangent(best, best.project(point), step)


def _align_directions(
    items: Sequence[tuple[Any, Sequence[Any], float]], tol_m: float, step: float
) -> list[list[Any]]:
    """Each item's lines, reversed where they run against an earlier item they run beside, so
    that "left" means one side of every shared stretch."""
    out: list[list[Any]] = []
    for _, lines, _w in items:
        mine = []
        for line in lines:
            score = 0.0
            for earlier in out:
                if not earlier:
                    continue
                for at in np.arange(0.0, line.length, step * 4):
                    p = line.interpolate(at)
                    d, t = _nearest_tangent(earlier, p, step)
                    if d < tol_m:
                        score += float(np.dot(t, _tangent(line, at, step)))
            mine.append(line.reverse() if score < 0 else line)
        out.append(mine)
    return out


def _run_offsets(centre: np.ndarray, min_len: int) -> list[tuple[int, int, float]]:
    """Runs ``(first, last, offset)`` of equal offset, short runs merged into a neighbour."""
    runs: list[list[Any]] = []
    for k, value in enumerate(centre):
        if runs and runs[-1][2] == value:
            runs[-1][1] = k
        else:
            runs.append([k, k, float(value)])
    changed = True
    while changed and len(runs) > 1:
        changed = False
        for i, run in enumerate(runs):
            if run[1] - run[0] + 1 >= min_len:
                continue
            # a line that only crosses another is not moved: fold the short run into the
            # longer neighbour
            left = runs[i - 1] if i > 0 else None
            right = runs[i + 1] if i + 1 < len(runs) else None
            host = max((r for r in (left, right) if r is not None), key=lambda r: r[1] - r[0])
            host[0], host[1] = min(host[0], run[0]), max(host[1], run[1])
            runs.pop(i)
            merged = []
            for r in runs:
                if merged and merged[-1][2] == r[2]:
                    merged[-1][1] = r[1]
                else:
                    merged.append(r)
            runs[:] = merged
            changed = True
            break
    return [(int(a), int(b), float(v)) for a, b, v in runs]


def _offset_line(
    line: Any, runs: Sequence[tuple[int, int, float]], at: np.ndarray, ramp: float
) -> Any:
    """``line`` moved sideways run by run (metres, + left), with straight ramps between runs."""
    import shapely.ops

    coords: list[tuple[float, float]] = []
    for i, (a, b, offset) in enumerate(runs):
        start = 0.0 if i == 0 else (at[a] + at[a - 1]) / 2 + ramp / 2
        end = line.length if i == len(runs) - 1 else (at[b] + at[b + 1]) / 2 - ramp / 2
        if end - start < ramp / 4:
            mid = (start + end) / 2
            start, end = mid - ramp / 8, mid + ramp / 8
        start, end = max(start, 0.0), min(end, line.length)
        piece = shapely.ops.substring(line, start, end)
        if piece.geom_type != "LineString" or piece.length == 0:
            continue
        if offset:
            moved = piece.offset_curve(offset, join_style="round", quad_segs=4)
            parts = _components(moved)
            if not parts:
                continue
            moved = max(parts, key=lambda g: g.length)
            # GEOS keeps the direction of the input; guard against a reversed result anyway
            p0 = shapely.Point(piece.coords[0])
            if p0.distance(shapely.Point(moved.coords[-1])) < p0.distance(
                shapely.Point(moved.coords[0])
            ):
                moved = moved.reverse()
            piece = moved
        coords.extend(piece.coords)
    if len(coords) < 2:
        return line
    return shapely.LineString(coords)


def side_by_side(
    items: Sequence[tuple[Any, Any, float]],
    *,
    metres_per_point: float,
    gap_pt: float = 1.2,
    touch_pt: float = 1.0,
) -> dict[Any, Any]:
    """Lines that run together moved apart so that each stays visible beside the others.

    Wherever two or more of the lines would overlap on the page (their centrelines closer
    than half their widths plus ``gap_pt`` plus ``touch_pt``) and run roughly the same way,
    they are laid side by side across the shared stretch, in the order given, centred on
    the alignment: each line is moved by a parallel offset (:meth:`shapely.LineString.offset_curve`
    in the metric CRS) of a few line widths, with short ramps where the company changes. A
    line that only crosses another is not moved.

    Parameters
    ----------
    items : sequence of (key, geometry, width)
        The lines in stacking order (first = leftmost of a shared stretch), as (any key,
        LineString or MultiLineString in a metric CRS, drawn width in points).
    metres_per_point : float
        Metres on the ground per typographic point on the page.
    gap_pt : float
        White space between neighbouring lines, in points.
    touch_pt : float
        Extra distance, in points, under which lines count as running together.

    Returns
    -------
    dict
        key -> the geometry to draw (a MultiLineString when the input had several parts).
    """
    if not items:
        return {}
    m = float(metres_per_point)
    widths = [float(w) for _, _, w in items]
    step = max(1.5 * m, 1.0)
    widest = max(widths)
    tol_any = (widest + gap_pt + touch_pt) * m
    lines = _align_directions([(k, _components(g), w) for k, g, w in items], tol_any, step)
    out: dict[Any, Any] = {}
    for i, (key, _, w_i) in enumerate(items):
        drawn = []
        for line in lines[i]:
            if line.length < 2 * step:
                drawn.append(line)
                continue
            at = np.linspace(0.0, line.length, max(int(line.length / step) + 1, 3))
            centre = np.zeros(len(at))
            for k, d in enumerate(at):
                p = line.interpolate(d)
                t_i = _tangent(line, d, step)
                group = []
                for j, others in enumerate(lines):
                    if j == i:
                        group.append(j)
                        continue
                    if not others:
                        continue
                    dist, t_j = _nearest_tangent(others, p, step)
                    near = (w_i + widths[j]) / 2 + gap_pt + touch_pt
                    # together: overlapping on paper and running within ~35° of each other
                    if dist < near * m and abs(float(np.dot(t_i, t_j))) > 0.82:
                        group.append(j)
                if len(group) == 1:
                    continue
                band = sum(widths[j] for j in group) + gap_pt * (len(group) - 1)
                before = sum(widths[j] + gap_pt for j in group if j < i)
                # left of the direction of travel is positive, first of the order leftmost
                centre[k] = round(band / 2 - before - w_i / 2, 3) * m
            if not centre.any():
                drawn.append(line)
                continue
            min_len = max(int(6 * m / (at[1] - at[0])), 2)
            runs = _run_offsets(centre, min_len)
            drawn.append(_offset_line(line, runs, at, ramp=4 * m))
        out[key] = drawn[0] if len(drawn) == 1 else shapely.MultiLineString(drawn)
    return out


# --------------------------------------------------------------------------- source notes

#: The networks' own descriptions (``G.graph["source"]``) and their Chinese.
_SOURCE_ZH: dict[str, str] = {
    "embedded trunk network (indicative)": "内置骨干路网(示意)",
    "Harbin city network: OpenStreetMap streets of the urban core (© OpenStreetMap "
    "contributors, ODbL) joined to the indicative trunk network outside it": (
        "哈尔滨城市路网:中心城区 OpenStreetMap 街道(© OpenStreetMap contributors, ODbL)"
        "与外围示意骨干路网衔接"
    ),
}
_SOURCE_PREFIX_ZH: tuple[tuple[str, str], ...] = (
    ("OpenStreetMap file ", "OpenStreetMap 文件 "),
    ("OpenStreetMap via Overpass, ", "OpenStreetMap(Overpass 下载),"),
)


def _one_source_zh(text: str) -> str | None:
    text = text.strip()
    if text in _SOURCE_ZH:
        return _SOURCE_ZH[text]
    for en, zh in _SOURCE_PREFIX_ZH:
        if text.startswith(en):
            return zh + text[len(en) :]
    for spec in settings.profiles.values():
        if text == spec.get("description_en") and spec.get("description_zh"):
            return str(spec["description_zh"])
    return None


def source_words(style: _Style, source: str) -> str:
    """A network's description (``Comparison.network_source``, optionally followed by
    ``", "`` and a profile's English description) in the language(s) of the page.

    Known descriptions are translated; an unknown one is kept as it is (a user's own words).
    OpenStreetMap data are credited once.

    Parameters
    ----------
    style : _Style
        The page's language and font.
    source : str
        The description, e.g. ``"embedded trunk network (indicative), Car, free flow"``.

    Returns
    -------
    str
        ``内置骨干路网(示意),小汽车(畅行)`` (``zh``), the English (``en``), or both joined
        by `` / `` (``both``).
    """
    text = str(source or "").strip()
    zh = _one_source_zh(text)
    if zh is None:
        # "<network>, <profile>": the profile's description is the known tail
        for spec in settings.profiles.values():
            tail = str(spec.get("description_en") or "")
            if tail and text.endswith(", " + tail):
                head = _one_source_zh(text[: -len(tail) - 2])
                if head is not None:
                    zh = f"{head},{spec.get('description_zh') or tail}"
                break
    en = text
    if "openstreetmap" in text.casefold() and "©" not in text:
        credit = "© OpenStreetMap contributors (ODbL)"
        en = f"{credit}, {en}"
        zh = f"{credit},{zh}" if zh else zh
    if zh is None:
        return style.latin(en)
    return style.pick(zh, en, sep=" / ")
