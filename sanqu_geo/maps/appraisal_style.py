"""What the appraisal print maps share: the classes of minutes and of changes (breaks,
labels, colours), the hatching of zones without a value, the zone, road, option and closure
frames, the drawing and legend-handle helpers, the source note and the writing of the files.
Used by :mod:`sanqu_geo.maps.airport_access` and :mod:`sanqu_geo.maps.truck_time`.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import Collection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sanqu_geo import edits as edits_
from sanqu_geo import scenarios, settings
from sanqu_geo.appraisal.weights import weighted_quantile
from sanqu_geo.errors import DataSourceError
from sanqu_geo.maps import fonts
from sanqu_geo.maps import furniture as _f
from sanqu_geo.maps import print_layers as _pl
from sanqu_geo.maps import style as _st
from sanqu_geo.maps.labels import _block_points, _halo, _place_label, _ring

__all__ = [
    "CHANGE_BOUNDS",
    "CHANGE_COLOURS",
    "CLOSURE_COLOUR",
    "CLOSURE_DASH",
    "LITTLE_CHANGE_MIN",
    "MAX_MINUTE_CLASSES",
    "MINUTES_CMAP",
    "MINUTE_STEPS",
    "NO_DATA_FACE",
    "NO_DATA_HATCH",
    "NO_ROUTE_FACE",
    "ZONE_EDGE",
    "change_breaks",
    "minute_breaks",
]


# --------------------------------------------------------------------------- classes

#: Minutes to the airport: ColorBrewer YlOrRd (light = short, dark = long), sampled for the
#: number of classes. Sequential in lightness, so it reads in grey and for colour-blind eyes;
#: no blue, which on the maps is the river's.
MINUTES_CMAP = "YlOrRd"
#: Widths (minutes) tried for the classes of minutes, smallest first: the first that needs at
#: most :data:`MAX_MINUTE_CLASSES` classes is used.
MINUTE_STEPS: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0, 60.0)
MAX_MINUTE_CLASSES = 8

#: Change of minutes (option minus base): faster in blue (ColorBrewer Blues), slower in orange
#: (ColorBrewer Oranges), a neutral grey between; never red-green.
CHANGE_COLOURS: tuple[str, ...] = (
    "#08519c",  # much faster
    "#6baed6",
    "#b9d4ec",
    "#e6e6e6",  # little change
    "#fdd0a2",
    "#fd8d3c",
    "#c04a02",  # much slower
)
#: Changes within ± this many minutes are "little change".
LITTLE_CHANGE_MIN = 0.5
#: (inner, outer) class bounds of the change maps, tried in order: the first whose outer bound
#: reaches half the largest change is used.
CHANGE_BOUNDS: tuple[tuple[float, float], ...] = (
    (1.0, 2.0),
    (2.0, 5.0),
    (5.0, 10.0),
    (10.0, 20.0),
    (15.0, 30.0),
    (30.0, 60.0),
)

#: Zones without a value: white, hatched in grey.
NO_DATA_FACE = "#ffffff"
NO_DATA_HATCH = "#a0a0a0"
#: Outline of the zones (thin, so a neutral or empty zone still shows its shape).
ZONE_EDGE = "#a8a8a8"
#: Zones with trips but no route in the run.
NO_ROUTE_FACE = "#5a5a5a"
#: The closed section of a condition: dashed violet (neither a fill hue nor the river's blue).
CLOSURE_COLOUR = "#6a3d9a"
CLOSURE_DASH = (0, (2.2, 1.4))

_MAIN_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link")


def _rounded(values: Any) -> np.ndarray:
    """Minutes as shown (one decimal, half up), so a zone's class matches its printed value."""
    return np.array([_st.round_half_up(v, _st.MINUTES_DECIMALS) for v in np.asarray(values)])


def minute_breaks(
    values: Sequence[float] | np.ndarray, weights: Sequence[float] | np.ndarray | None = None
) -> list[float]:
    """Class bounds of minutes shared by every panel of a map.

    The classes are equal steps up to where all but the longest 1 % of the trips end, and
    one open class above, so that the minutes most trips take are told apart finely and the
    few far zones do not stretch the scale.

    Parameters
    ----------
    values : array-like
        Every value (minutes) the panels show; ``nan``/``inf`` are ignored.
    weights : array-like, optional
        Trips of each value (default: every value counts once).

    Returns
    -------
    list of float
        Increasing bounds ``b0 < b1 < … < bn``: class *i* holds ``b_i ≤ minutes < b_i+1``;
        whole multiples of the first step of :data:`MINUTE_STEPS` that needs at most
        :data:`MAX_MINUTE_CLASSES` classes; ``bn`` is ``inf`` when the longest values lie
        above the steps (an open class ``≥ b_n-1``).
    """
    v = np.asarray(values, dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[ok], w[ok]
    if not len(v):
        return [0.0, 10.0]
    low, high = float(v.min()), float(v.max())
    cap = min(high, weighted_quantile(v, w, 0.99))
    for step in MINUTE_STEPS:
        lo = math.floor(low / step) * step
        hi = (math.floor(cap / step) + 1) * step
        n = round((hi - lo) / step)
        if n + (high >= hi) <= MAX_MINUTE_CLASSES:
            break
    bounds = [lo + i * step for i in range(n + 1)]
    return [*bounds, math.inf] if high >= hi else bounds


def _minute_labels(breaks: Sequence[float]) -> list[str]:
    return [
        f"≥ {_number(lo)}" if math.isinf(hi) else f"{_number(lo)}–{_number(hi)}"
        for lo, hi in itertools.pairwise(breaks)
    ]


def _minute_colours(n: int) -> list[str]:
    cmap = matplotlib.colormaps[MINUTES_CMAP]
    return [to_hex(cmap(x)) for x in np.linspace(0.1, 0.95, n)]


def _minute_class(value: float, breaks: Sequence[float]) -> int:
    i = int(np.searchsorted(breaks, value, side="right")) - 1
    return min(max(i, 0), len(breaks) - 2)


def change_breaks(largest: float) -> tuple[float, float, float]:
    """Class bounds (minutes) of a change map: the neutral band and two more on each side.

    Parameters
    ----------
    largest : float
        The largest absolute change shown (minutes).

    Returns
    -------
    tuple of float
        ``(LITTLE_CHANGE_MIN, inner, outer)``: classes ``≤ −outer``, ``−outer…−inner``,
        ``−inner…−0.5``, ``±0.5``, then the same mirrored for slower.
    """
    top = abs(float(largest)) if math.isfinite(largest) else 0.0
    inner, outer = next((pair for pair in CHANGE_BOUNDS if pair[1] >= 0.5 * top), CHANGE_BOUNDS[-1])
    return LITTLE_CHANGE_MIN, inner, outer


def _change_class(value: float, bounds: tuple[float, float, float]) -> int:
    """0 (much faster) … 3 (little change) … 6 (much slower)."""
    small, inner, outer = bounds
    if abs(value) <= small:
        return 3
    size = 1 if abs(value) < inner else 2 if abs(value) < outer else 3
    return 3 + size if value > 0 else 3 - size


def _number(value: float) -> str:
    return f"{value:g}"


def _change_labels(style: _f._Style, bounds: tuple[float, float, float]) -> list[str]:
    small, inner, outer = (_number(b) for b in bounds)
    spans = (
        (f"{outer} 分钟以上", f"over {outer} min"),
        (f"{inner}–{outer} 分钟", f"{inner}–{outer} min"),
        (f"{small}–{inner} 分钟", f"{small}–{inner} min"),
    )
    faster = [style.pick(f"快 {zh}", f"{en} faster", sep=" ") for zh, en in spans]
    slower = [style.pick(f"慢 {zh}", f"{en} slower", sep=" ") for zh, en in spans]
    little = style.pick(f"变化很小(±{small} 分钟)", f"little change (±{small} min)", sep=" ")
    return [*faster, little, *reversed(slower)]


# --------------------------------------------------------------------------- inputs


def _check_table(table: pd.DataFrame | None, columns: Sequence[str], what: str) -> pd.DataFrame:
    if table is None or not isinstance(table, pd.DataFrame) or not len(table):
        msg = (
            f"{what} needs the appraisal's zone table; it is empty: run the appraisal with "
            "sanqu_geo.appraisal.tasks.appraise (or corridors compare without --no-appraisal)"
        )
        raise DataSourceError(msg)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        has = ", ".join(map(str, table.columns))
        msg = f"{what} needs the columns {', '.join(missing)} in its table (it has {has})"
        raise DataSourceError(msg)
    return table


def _zones_metric(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The zones in the metric CRS, with ``areal`` True for those drawn as filled polygons.

    Generators (the airport, stations, the logistics sites) overlap the street zones they lie
    in, and some zones are points: they are drawn as round symbols on top instead.
    """
    if zones is None or not len(zones) or "id" not in zones.columns:
        msg = (
            "the maps need the demand's zones (id, geometry): sanqu_geo.demand.load_demand().zones"
        )
        raise DataSourceError(msg)
    out = _pl._metric(zones, "zones").copy()
    out["id"] = out["id"].astype(str)
    for column in ("name_zh", "name_en", "kind"):
        if column not in out.columns:
            out[column] = ""
    polygon = out.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    out["areal"] = polygon & (out["kind"].astype(str) != "generator").to_numpy()
    return out


def _scenario(scenario: scenarios.Scenario | None) -> scenarios.Scenario:
    return scenario if scenario is not None else scenarios.load_scenario()


def _option_of(sc: scenarios.Scenario, option: str) -> scenarios.Option | None:
    return next((o for o in sc.options if o.id == option), None)


def _condition_of(sc: scenarios.Scenario, condition: str) -> scenarios.Condition | None:
    return next((c for c in sc.conditions if c.id == condition), None)


def _edges_frame(G: nx.MultiDiGraph, edges: Sequence[tuple]) -> gpd.GeoDataFrame:
    if not edges:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    return _pl._road_edges(G.edge_subgraph(edges))


def _closure_lines(G: nx.MultiDiGraph, condition: scenarios.Condition | None) -> gpd.GeoDataFrame:
    """The roads a condition closes, as drawn (metres)."""
    picked: list[tuple] = []
    for edit in condition.edits if condition is not None else ():
        if edit.kind == "close":
            picked += edits_.selected_edges(G, edit.roads)
    return _edges_frame(G, picked)


def _option_lines(G: nx.MultiDiGraph, option: scenarios.Option | None) -> gpd.GeoDataFrame:
    """An option's road corridors and the roads its edits change (truck-only lanes), metres."""
    if option is None:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    lines = [c.geometry for c in option.corridors if c.kind != "rail_art"]
    frame = gpd.GeoDataFrame(geometry=lines, crs=settings.default_crs).to_crs(settings.metric_crs)
    picked: list[tuple] = []
    for edit in option.edits:
        picked += edits_.selected_edges(G, edit.roads)
    edited = _edges_frame(G, picked)
    parts = [f[["geometry"]] for f in (frame, edited) if len(f)]
    if not parts:
        return gpd.GeoDataFrame(geometry=[], crs=settings.metric_crs)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=settings.metric_crs)


def _main_roads(G: nx.MultiDiGraph) -> gpd.GeoDataFrame:
    edges = _pl._road_edges(G)
    return edges[edges["highway"].isin(_MAIN_ROADS)]


def _footer(
    style: _f._Style,
    drawn: dict[str, gpd.GeoDataFrame],
    roads: nx.MultiDiGraph,
    network_label: str,
) -> list[str]:
    """Source note: layers, roads (OSM credit), the network compared on, indicative data."""
    label = str(network_label or "").strip()
    extra = [
        style.pick(
            "数据为示意值:需求与路网为示意,结果用于方案比选",
            "Data are indicative: indicative demand and network, for comparing options",
            sep=" / ",
        ),
        style.pick(
            "交通小区:需求模型分区,边界为示意",
            "Zones: the demand model's zones, boundaries indicative",
            sep=" / ",
        ),
    ]
    if label:
        # a label that already credits OpenStreetMap is printed as it is, not credited twice
        extra.append(
            _f._labelled(style, "comparison_network", style.latin(label))
            if "openstreetmap" in label.casefold()
            else _f._network_words(style, "comparison_network", label)
        )
    return _f._footer_items(style, drawn, roads, extra)


# --------------------------------------------------------------------------- drawing


def _hatch_colours() -> dict[str, str]:
    """Grey hatching in a zone outlined like the others (matplotlib < 3.10: hatch and outline
    share the edge colour, so both are grey)."""
    if hasattr(Collection, "set_hatchcolor"):
        return {"edgecolor": ZONE_EDGE, "hatchcolor": NO_DATA_HATCH}
    return {"edgecolor": NO_DATA_HATCH}


def _draw_values(
    page: _f._Page,
    zones_m: gpd.GeoDataFrame,
    colours: dict[str, str | None],
    *,
    skip: Sequence[str] = (),
    gid: str,
) -> None:
    """Fill each zone with its colour (None: no value, grey and hatched); points as symbols."""
    s = page.style.scale
    areal = zones_m[zones_m["areal"]]
    width = (0.25 if len(areal) > 60 else 0.6) * s
    face = areal["id"].map(colours)
    filled, empty = areal[face.notna()], areal[face.isna()]
    if len(empty):
        empty.plot(
            ax=page.ax,
            facecolor=NO_DATA_FACE,
            hatch="/////",
            **_hatch_colours(),
            linewidth=width,
            zorder=_st.ZORDER["zone"],
            gid=f"{gid}-no-data",
        )
    if len(filled):
        filled.plot(
            ax=page.ax,
            color=list(face[face.notna()]),
            edgecolor=ZONE_EDGE,
            linewidth=width,
            zorder=_st.ZORDER["zone"] + 0.1,
            gid=f"{gid}-zones",
        )
    spots = zones_m[~zones_m["areal"] & ~zones_m["id"].isin(list(skip))]
    if len(spots):
        xy = spots.geometry.representative_point()
        page.ax.scatter(
            xy.x,
            xy.y,
            s=(5.2 * s) ** 2,
            c=[colours.get(z) or NO_DATA_FACE for z in spots["id"]],
            edgecolors=_st.INK,
            linewidths=0.6 * s,
            zorder=_st.ZORDER["facility"] - 2,
            gid=f"{gid}-points",
        )
        _block_points(page, [(p.x, p.y) for p in xy], 3.2)


def _draw_context(page: _f._Page, roads_m: gpd.GeoDataFrame, river_m: gpd.GeoDataFrame) -> None:
    """Main roads and the Songhua (cased in white, to stand out from any fill).

    No district names: over street-level zones they would hide the values they sit on.
    """
    s = page.style.scale
    if len(roads_m):
        _pl._draw_roads(page, roads_m, light=True)
    lines = river_m[river_m.geom_type.isin(["LineString", "MultiLineString"])]
    if len(lines):
        lines.plot(ax=page.ax, color="white", linewidth=5.0 * s, zorder=2.45, capstyle="round")
    _pl._draw_river(page, river_m, label=False)


def _draw_lines(page: _f._Page, lines: gpd.GeoDataFrame, *, closure: bool, gid: str) -> None:
    """An option's alignment (dark, solid) or a closed section (violet, dashed), cased in white."""
    if not len(lines):
        return
    s = page.style.scale
    z = _st.ZORDER["interchange"] + (0.0 if closure else 0.5)
    lines.plot(ax=page.ax, color="white", linewidth=4.4 * s, zorder=z, capstyle="butt")
    lines.plot(
        ax=page.ax,
        color=CLOSURE_COLOUR if closure else _st.INK,
        linewidth=2.4 * s,
        linestyle=CLOSURE_DASH if closure else "-",
        zorder=z + 0.1,
        capstyle="butt",
        gid=gid,
    )


def _line_handle(style: _f._Style, *, closure: bool) -> Line2D:
    return Line2D(
        [],
        [],
        color=CLOSURE_COLOUR if closure else _st.INK,
        linewidth=2.4 * style.scale,
        linestyle=CLOSURE_DASH if closure else "-",
    )


def _mark(
    page: _f._Page,
    point: Any,
    text: str,
    *,
    marker: str,
    size: float,
    gid: str,
    fontsize: float,
) -> None:
    """A place symbol (black, white edge) named beside it, clear of other labels."""
    s = page.style.scale
    page.ax.plot(
        point.x,
        point.y,
        marker=marker,
        markersize=size * s,
        markerfacecolor=_st.INK,
        markeredgecolor="white",
        markeredgewidth=1.0 * s,
        linestyle="none",
        zorder=_st.ZORDER["facility"] + 5,
        gid=gid,
    )
    _block_points(page, [(point.x, point.y)], size * 0.55)
    _place_label(
        page,
        [(point.x, point.y)],
        text,
        offsets=_ring(8.0, (1, 2, 3)),
        leader_colour=_st.MUTED,
        fontsize=fontsize,
        fontweight="bold",
        color=_st.INK,
        linespacing=1.1,
        path_effects=_halo(page.style, 2.6),
        zorder=_st.ZORDER["facility_label"] + 5,
    )


def _marker_handle(style: _f._Style, marker: str, size: float) -> Line2D:
    return Line2D(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=size * style.scale,
        markerfacecolor=_st.INK,
        markeredgecolor="white",
    )


def _no_data_handle(style: _f._Style) -> Patch:
    return Patch(
        facecolor=NO_DATA_FACE,
        edgecolor=NO_DATA_HATCH,
        hatch="/////",
        linewidth=0.4 * style.scale,
    )


def _context_handles(style: _f._Style, roads_m: gpd.GeoDataFrame) -> tuple[list, list]:
    classes = [g for g in ("motorway", "trunk") if len(roads_m) and _road_group(roads_m, g)]
    handles, labels = _pl._road_handles(style, classes, light=True)
    river_handle, river_label = _pl._river_handle(style)
    return [*handles, river_handle], [*labels, river_label]


def _road_group(roads_m: gpd.GeoDataFrame, group: str) -> bool:
    kinds = {h for h, (g, *_rest) in _st.ROAD_STYLES.items() if g == group}
    return bool(roads_m["highway"].isin(kinds).any())


def _point_of(zones_m: gpd.GeoDataFrame, zone: str) -> Any:
    row = zones_m[zones_m["id"] == zone]
    return row.geometry.iloc[0].representative_point() if len(row) else None


def _write(
    draw: Callable[..., Figure],
    zones: Any,
    table: Any,
    path_stem: str | os.PathLike[str],
    options: dict[str, Any],
) -> list[Path]:
    """Draw a page with ``draw(zones, table, **options)`` and write it (see :func:`_save`)."""
    style = _f._style("A4", options.get("lang", "both"), options.get("font"), options.get("date"))
    return _save(draw(zones, table, **options), path_stem, style.family)


def _save(fig: Figure, path_stem: str | os.PathLike[str], family: str | None) -> list[Path]:
    """Write the page as ``<stem>.png`` (300 dpi) and ``<stem>.pdf``, each atomically."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with fonts.compact_cjk_font([fig], family):
        return [
            _f.save_map(fig, stem.parent / f"{stem.name}.{suffix}") for suffix in ("png", "pdf")
        ]
