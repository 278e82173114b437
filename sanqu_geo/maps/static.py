"""Print maps of the 三区一港 (matplotlib): A4/A3 landscape pages with legend, scale bar, north
arrow and source note, as 300-dpi PNG or vector PDF/SVG. Draws what other modules computed and
never computes travel times.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

import geopandas as gpd
import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from sanqu_geo import layers, network, settings, travel
from sanqu_geo.errors import DataSourceError, LayerError, ScenarioError
from sanqu_geo.maps.fonts import (
    MissingCJKFontWarning,
    find_cjk_font,
)
from sanqu_geo.maps.furniture import (
    _WORDS,
    DPI,
    PAPER_MM,
    _bounds,
    _data_per_point,
    _fill_sidebar,
    _finish,
    _fit_extent,
    _footer_items,
    _humanise,
    _inset,
    _labelled,
    _missing,
    _new_page,
    _north_arrow,
    _Page,
    _rc,
    _scale_bar,
    _side_legend,
    _side_text,
    _Style,
    _style,
    _wrap,
    save_map,
)
from sanqu_geo.maps.labels import (
    _block_lines,
    _block_points,
    _halo,
    _line_anchors,
    _overlap,
    _place_label,
    _ring,
)
from sanqu_geo.maps.print_layers import (
    _context_legend,
    _darker,
    _draw_districts,
    _draw_facilities,
    _draw_river,
    _draw_roads,
    _draw_zones,
    _facility_handles,
    _label_zones,
    _metric,
    _river_handle,
    _road_edges,
    _road_handles,
    _split_located,
    _zone_handles,
    side_by_side,
    source_words,
)
from sanqu_geo.maps.style import (
    DISTRICT_COLOUR,
    FACILITY_STYLES,
    INK,
    ISO_AFTER_COLOUR,
    ISO_AFTER_DASHES,
    ISO_BEFORE_COLOURS,
    MUTED,
    NOT_A_TASK,
    NOT_A_TASK_LABEL,
    PHASE_COLOURS,
    PHASE_EN,
    PHASE_OTHER,
    RAIL_OPTION_COLOUR,
    ROAD_STYLES,
    UNDER_CONSTRUCTION,
    ZONE_COLOURS,
    ZORDER,
    format_minutes,
    format_vehicle_hours,
    mpl_dash,
    option_styles,
)

logger = logging.getLogger(__name__)

__all__ = [
    "DPI",
    "FACILITY_STYLES",
    "PAPER_MM",
    "PHASE_COLOURS",
    "ROAD_STYLES",
    "ZONE_COLOURS",
    "MissingCJKFontWarning",
    "corridors_map",
    "find_cjk_font",
    "isochrones_map",
    "projects_map",
    "save_map",
    "zones_map",
]


# --------------------------------------------------------------------------- maps


def _subtitle(style: _Style, subject_key: str | None, subject: str | None = None) -> str:
    date = style.word("date", date=style.date.isoformat())
    text = subject if subject is not None else style.word(subject_key or "", sep="\n")
    if style.lang == "both" and "\n" in text:
        zh, en = text.split("\n", 1)
        return f"{zh}  ·  {date}\n{en}"
    return f"{text}  ·  {date}"


def _context(roads: nx.MultiDiGraph | None) -> nx.MultiDiGraph:
    return roads if roads is not None else network.load_network()


def zones_map(
    *,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """The four areas, their facilities, trunk roads, the Songhua and district names.

    Parameters
    ----------
    paper : str
        ``"A4"`` or ``"A3"``, landscape.
    lang : str
        ``"zh"`` (Chinese labels), ``"en"`` (English) or ``"both"`` (Chinese above English).
    font : str, optional
        A CJK font family or a path to a ``.ttc``/``.otf``/``.ttf`` file (default: the first
        CJK font installed, see :func:`find_cjk_font`). Without one the map is drawn in English
        with one :class:`MissingCJKFontWarning`.
    date : datetime.date, optional
        Date printed under the title (default: today).
    roads : networkx.MultiDiGraph, optional
        Road graph drawn for context (default: the embedded trunk network).

    Returns
    -------
    matplotlib.figure.Figure
        The page; write it with :func:`save_map`.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    zones_all = layers.load_layer("zones")
    facilities_all = layers.load_layer("facilities")
    river = layers.load_layer("river", located_only=True)
    districts = layers.load_layer("districts", located_only=True)
    zones, zones_missing = _split_located(zones_all)
    facilities, facilities_missing = _split_located(facilities_all)
    drawn = {"zones": zones, "facilities": facilities, "river": river, "districts": districts}
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("zones_title", sep="\n"),
            _subtitle(style, "zones_subject"),
            _footer_items(style, drawn, G),
        )
        zones_m, facilities_m = _metric(zones, "zones"), _metric(facilities, "facilities")
        _fit_extent(page, _bounds(zones_m, facilities_m))
        _scale_bar(page)
        _north_arrow(page)
        cluster = _cluster_box(zones_m)
        inset = _inset(page, cluster, avoid=[zones_m, facilities_m]) if cluster else None
        groups = _draw_zones(page, zones_m)
        road_classes = _draw_roads(page, _road_edges(G))
        river_m = _metric(river, "river")
        _draw_districts(page, _metric(districts, "districts"))
        facility_groups = _draw_facilities(page, facilities_m, skip_labels=cluster)
        _label_zones(page, zones_m)
        _draw_river(page, river_m)
        if inset is not None:
            _draw_zones(inset, zones_m)
            _draw_roads(inset, _road_edges(G))
            _draw_facilities(inset, facilities_m.clip(cluster))

        def sidebar() -> None:
            _side_legend(page, *_zone_handles(style, groups), style.word("legend_zones", sep=" "))
            f_handles, f_labels = _facility_handles(style, facility_groups)
            _side_legend(page, f_handles, f_labels, style.word("legend_facilities", sep=" "))
            r_handles, r_labels = _road_handles(style, road_classes)
            river_handle, river_label = _river_handle(style)
            district_handle = Line2D(
                [],
                [],
                linestyle="none",
                marker="$A$",
                color=DISTRICT_COLOUR,
                markersize=6 * style.scale,
            )
            _side_legend(
                page,
                [*r_handles, river_handle, district_handle],
                [*r_labels, river_label, style.word("district", sep=" ")],
                style.word("legend_roads", sep=" ") + " · " + style.word("legend_other", sep=" "),
            )
            missing = [
                style.pick(r.get("name_zh"), r.get("name_en"), alt=_humanise(r["id"]), sep=" ")
                for _, r in pd.concat([zones_missing, facilities_missing]).iterrows()
            ]
            if missing:
                _side_text(
                    page,
                    "\n".join(f"· {m}" for m in missing),
                    title=style.word("unlocated"),
                    boxed=True,
                    gid="unlocated",
                )

        _fill_sidebar(page, sidebar)
    return _finish(page)


def projects_map(
    *,
    paper: str = "A3",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """The plan's projects coloured by deadline term and labelled with their task number.

    Lines, polygons and points are drawn over light zones and roads; projects without a
    published location are listed in a box beside the map.

    Parameters
    ----------
    paper : str
        ``"A4"`` or ``"A3"``, landscape.
    lang : str
        ``"zh"``, ``"en"`` or ``"both"``.
    font : str, optional
        CJK font family or file (see :func:`zones_map`).
    date : datetime.date, optional
        Date printed under the title (default: today).
    roads : networkx.MultiDiGraph, optional
        Road graph drawn for context (default: the embedded trunk network).

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    projects_all = layers.load_layer("projects")
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    projects_all["phase"] = projects_all["phase"].fillna(NOT_A_TASK).replace("", NOT_A_TASK)
    projects, missing = _split_located(projects_all)
    drawn = {"projects": projects, "zones": zones, "river": river}
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("projects_title", sep="\n"),
            _subtitle(style, "projects_subject"),
            _footer_items(style, drawn, G),
        )
        s = style.scale
        projects_m = _metric(projects, "projects")
        zones_m = _metric(zones, "zones")
        _fit_extent(page, _bounds(projects_m, zones_m))
        _scale_bar(page)
        _north_arrow(page)
        groups = _draw_zones(page, zones_m, light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        phases = [p for p in PHASE_COLOURS if p in set(projects_m["phase"])]
        phases += sorted(set(projects_m["phase"].astype(str)) - set(PHASE_COLOURS))
        cluster = _cluster_box(projects_m, zones_m)
        inset = _inset(page, cluster, avoid=[projects_m, zones_m]) if cluster else None
        placed = _draw_projects(page, projects_m)
        counts = projects_m["item"].value_counts()
        shared = {int(i) for i, n in counts.items() if n > 1}
        _tag_projects(page, placed, shared=shared, skip_within=cluster)
        if inset is not None:
            _draw_zones(inset, zones_m, light=True)
            _draw_roads(inset, _road_edges(G), light=True)
            placed_inset = _draw_projects(inset, projects_m)
            _tag_projects(inset, placed_inset.clip(cluster.buffer(1.0)), shared=shared)
            _label_zones(inset, zones_m[zones_m["id"].isin(INSET_CLUSTER)], min_area_km2=0.0)

        def sidebar() -> None:
            handles, labels = [], []
            for phase in phases:
                colour = PHASE_COLOURS.get(phase, PHASE_OTHER)
                year = layers.PHASES.get(phase)
                zh = f"{phase}({year})" if year else phase
                en = (
                    f"{PHASE_EN.get(phase, phase).capitalize()} ({year})"
                    if year
                    else PHASE_EN.get(phase, phase)
                )
                handles.append(Line2D([], [], color=colour, linewidth=2.8 * s))
                labels.append(style.pick(zh, en, alt=en, sep=" "))
            handles.append(Line2D([], [], color=MUTED, linewidth=2.0 * s, linestyle="--"))
            labels.append(style.pick("虚线:规划中", "Dashed: planned", sep=" "))
            _side_legend(page, handles, labels, style.word("legend_phases", sep=" "))
            entries = []
            for row in projects_m.sort_values(["item", "phase"], key=_phase_key).itertuples():
                title = style.pick(row.title_zh, row.title_en, alt=_humanise(row.id), sep=" / ")
                entries.append(f"{_task_label(row.item)}  {title}")
            _side_text(
                page,
                "\n".join(entries),
                title=style.word("projects_list", sep=" "),
                gid="project-list",
            )
            if len(missing):
                rows = [
                    f"{_task_label(r['item'])}  "
                    + style.pick(r["title_zh"], r["title_en"], alt=_humanise(r["id"]), sep=" / ")
                    for _, r in missing.sort_values("item").iterrows()
                ]
                _side_text(
                    page,
                    "\n".join(rows),
                    title=style.word("unlocated"),
                    boxed=True,
                    gid="unlocated",
                )
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


#: The cluster of small sites drawn again, magnified, in an inset: the bonded zone's first
#: phase, the container centre and the inland port (each a few km² at most).
INSET_CLUSTER: tuple[str, ...] = ("cbz_phase1", "container_centre", "inland_port")


def _cluster_box(*frames: gpd.GeoDataFrame, margin_m: float = 700.0) -> Any:
    """The box (metres) around the zones of :data:`INSET_CLUSTER` found in ``frames``."""
    parts = [f[f["id"].isin(INSET_CLUSTER)] for f in frames if "id" in f.columns]
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    x0, y0, x1, y1 = _bounds(*parts)
    return shapely.box(x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)


def _draw_projects(page: _Page, projects_m: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Projects coloured by phase: areas under lines under points, later phases under earlier
    ones, and the part under construction on top of everything of its layer.

    Lines that run together (the parts of task 36 and the rail corridor of task 37 along
    the second passage) are laid side by side in task order. Returns the projects with the
    geometries as drawn, for their labels.
    """
    s = page.style.scale
    lines = projects_m[projects_m.geom_type.isin(["LineString", "MultiLineString"])]
    lines = lines.assign(_n=lines["item"].fillna(999)).sort_values(["_n", "id"], kind="stable")
    placed = side_by_side(
        [(i, g, PROJECT_LINE_WIDTH) for i, g in zip(lines.index, lines.geometry, strict=True)],
        metres_per_point=_data_per_point(page),
    )
    projects_m = projects_m.set_geometry(
        gpd.GeoSeries(
            [placed.get(i, g) for i, g in zip(projects_m.index, projects_m.geometry, strict=True)],
            index=projects_m.index,
            crs=projects_m.crs,
        )
    )
    kinds = projects_m.geom_type
    order = projects_m.assign(
        _g=kinds.map(
            {"Polygon": 0, "MultiPolygon": 0, "LineString": 1, "MultiLineString": 1}
        ).fillna(2),
        _p=projects_m["phase"].map({p: -i for i, p in enumerate(PHASE_COLOURS)}).fillna(1),
        _u=(projects_m["status"] == UNDER_CONSTRUCTION).astype(int),
    ).sort_values(["_u", "_g", "_p"], kind="stable")
    for row in order.itertuples():
        colour = PHASE_COLOURS.get(str(row.phase), PHASE_OTHER)
        geom = row.geometry
        one = gpd.GeoSeries([geom], crs=projects_m.crs)
        top = str(row.status) == UNDER_CONSTRUCTION
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            one.plot(
                ax=page.ax,
                facecolor=to_rgba(colour, 0.35),
                edgecolor=colour,
                linewidth=1.2 * s,
                zorder=ZORDER["project_area"],
                gid=f"project-{row.id}",
            )
        elif geom.geom_type in ("LineString", "MultiLineString"):
            z = ZORDER["under_construction"] if top else ZORDER["project_line"]
            one.plot(ax=page.ax, color="white", linewidth=(PROJECT_LINE_WIDTH + 1.8) * s, zorder=z)
            one.plot(
                ax=page.ax,
                color=colour,
                linewidth=PROJECT_LINE_WIDTH * s,
                zorder=z + 0.1,
                linestyle="--" if str(row.status) == "planned" else "-",
                gid=f"project-{row.id}",
            )
        else:
            page.ax.plot(
                geom.x,
                geom.y,
                marker="o",
                markersize=8 * s,
                markerfacecolor=colour,
                markeredgecolor="white",
                markeredgewidth=1.0 * s,
                zorder=ZORDER["project_point"],
                gid=f"project-{row.id}",
            )
    points = projects_m[projects_m.geom_type == "Point"]
    _block_points(page, [(p.x, p.y) for p in points.geometry], 4.5)
    # tags go beside the lines, never over them
    _block_lines(page, placed.values(), (PROJECT_LINE_WIDTH + 1.8) * s)
    return projects_m


#: Width of a project line on the projects map, in points at A4 (a white casing 0.9 pt wide
#: each side under it).
PROJECT_LINE_WIDTH = 2.8


def _tag_projects(
    page: _Page,
    projects_m: gpd.GeoDataFrame,
    *,
    shared: frozenset[int] | set[int] = frozenset(),
    skip_within: Any = None,
) -> None:
    """The plan's item number and the part's name beside each project (those inside
    ``skip_within`` are tagged in the inset instead); see :func:`part_name`."""
    style, s = page.style, page.style.scale
    for row in projects_m.sort_values("item").itertuples():
        if skip_within is not None and row.geometry.within(skip_within):
            continue
        colour = PHASE_COLOURS.get(str(row.phase), PHASE_OTHER)
        geom = row.geometry
        if skip_within is None and not geom.is_empty:
            # in an inset, anchor on the part inside its frame
            x0, x1 = page.ax.get_xlim()
            y0, y1 = page.ax.get_ylim()
            inside = geom.intersection(shapely.box(x0, y0, x1, y1))
            geom = inside if not inside.is_empty else geom
        _place_label(
            page,
            _line_anchors(geom),
            _task_tag(style, row, shared=not _missing(row.item) and int(row.item) in shared),
            offsets=[(0, 0), *_ring(7.0, (1, 2, 3, 4, 5))]
            if geom.geom_type in ("Polygon", "MultiPolygon")
            else _ring(7.0, (1, 2, 3, 4, 5)),
            leader_colour=colour,
            leader_from=5.0,
            fontsize=style.pt(7.5),
            fontweight="bold",
            color=_darker(colour, 0.8),
            bbox={
                "boxstyle": "round,pad=0.25",
                "facecolor": "white",
                "edgecolor": colour,
                "linewidth": 0.9 * s,
            },
            zorder=ZORDER["project_label"],
        )


_QUALIFIER = re.compile(r"[(（]([^()（）]+)[)）]\s*$")


def part_name(title_zh: Any, title_en: Any, *, shared: bool) -> tuple[str, str]:
    """The short name of a project on the map: the part, when a task has several.

    A task drawn as several features (the three parts of task 36, the two alignment options
    of task 39) is told apart by the qualifier of each title: the words in its last
    brackets (``机场第二通道(一期)`` → ``一期``; ``Freight-only expressway New Area – airport
    (new-alignment option)`` → ``new-alignment option``), in English also the words after
    its last comma (``Airport second passage, phase 1`` → ``phase 1``). A task drawn once is
    named by its title without the qualifier (``哈双北路延长线(接吉林S514)`` → ``哈双北路延长线``).

    Parameters
    ----------
    title_zh, title_en : str
        The project's titles (``title_zh``, ``title_en`` of the projects layer).
    shared : bool
        Whether the task has several features on the map.

    Returns
    -------
    (str, str)
        The name in Chinese and in English ("" where the title is missing).
    """
    zh = "" if _missing(title_zh) else str(title_zh).strip()
    en = "" if _missing(title_en) else str(title_en).strip()
    zh_q, en_q = _QUALIFIER.search(zh), _QUALIFIER.search(en)
    if shared:
        zh_part = zh_q.group(1).strip() if zh_q else zh
        if en_q:
            en_part = en_q.group(1).strip()
        elif "," in en:
            en_part = en.rsplit(",", 1)[1].strip()
        else:
            en_part = en
        return zh_part, en_part
    zh_name = zh[: zh_q.start()].strip() if zh_q and zh_q.start() > 0 else zh
    en_name = en[: en_q.start()].strip() if en_q and en_q.start() > 0 else en
    return zh_name, en_name


def _task_tag(style: _Style, row: Any, *, shared: bool) -> str:
    """A project's tag on the map: its task number and what it is (``36 一期``)."""
    zh, en = part_name(getattr(row, "title_zh", ""), getattr(row, "title_en", ""), shared=shared)
    name = style.pick(zh, en, alt=_humanise(getattr(row, "id", "")), sep="\n")
    number = _task_label(row.item)
    return f"{number} {name}" if name else number


def _task_label(item: Any) -> str:
    """The plan's task number as drawn on the map (``*`` for a feature that is not a task)."""
    return NOT_A_TASK_LABEL if _missing(item) else str(int(item))


def _phase_key(column: pd.Series) -> pd.Series:
    if column.name == "phase":
        return column.map({p: i for i, p in enumerate(PHASE_COLOURS)}).fillna(len(PHASE_COLOURS))
    return column


def corridors_map(
    comparison: Any,
    *,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """Each corridor option coloured by rank and labelled with the peak vehicle-hours it saves.

    A rail option (compared door to door, never ranked with the roads) is drawn as a dashed
    dark line, labelled as such.

    Parameters
    ----------
    comparison : sanqu_geo.compare.Comparison
        The result of :func:`sanqu_geo.compare.compare`: ``summary`` gives each option's rank
        and ``vht_saved``; ``scenario`` the corridors and their interchanges; ``rail`` the
        door-to-door minutes of a rail option.
    paper, lang, font, date, roads
        As for :func:`zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    G = _context(roads)
    summary = comparison.summary.set_index("option")
    options = [o for o in comparison.scenario.options if o.id in summary.index]
    if not options:
        msg = "the comparison has no ranked option to draw (its summary is empty)"
        raise ScenarioError(msg)
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    drawn = {"zones": zones, "river": river}
    source = str(getattr(comparison, "network_source", "") or "")
    extra = [_labelled(style, "comparison_network", source_words(style, source))] if source else []
    corridors = gpd.GeoDataFrame(
        {
            "option": [o.id for o in options for _ in o.corridors],
            "corridor": [c.id for o in options for c in o.corridors],
        },
        geometry=[c.geometry for o in options for c in o.corridors],
        crs=settings.default_crs,
    ).to_crs(settings.metric_crs)
    stops = gpd.GeoDataFrame(
        {"option": [o.id for o in options for c in o.corridors for _ in c.interchanges]},
        geometry=[p for o in options for c in o.corridors for p in c.interchanges],
        crs=settings.default_crs,
    ).to_crs(settings.metric_crs)
    # rail options are compared door to door, never ranked with the roads: drawn apart
    rail = [
        o
        for o in comparison.scenario.options
        if o.id not in summary.index and all(c.kind == "rail_art" for c in o.corridors)
    ]
    rail_lines = gpd.GeoDataFrame(
        {"option": [o.id for o in rail for _ in o.corridors]},
        geometry=[c.geometry for o in rail for c in o.corridors],
        crs=settings.default_crs,
    ).to_crs(settings.metric_crs)
    ranks = {o.id: int(summary.at[o.id, "rank"]) for o in options}
    looks = option_styles(ranks)
    with matplotlib.rc_context(_rc(style)):
        page = _new_page(
            style,
            style.word("corridors_title", sep="\n"),
            _subtitle(style, "corridors_subject"),
            _footer_items(style, drawn, G, extra),
        )
        s = style.scale
        zones_m = _metric(zones, "zones")
        _fit_extent(page, _bounds(corridors, stops, zones_m, rail_lines))
        _scale_bar(page)
        _north_arrow(page)
        groups = _draw_zones(page, zones_m, light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        # worst first and widest, so the best option lies on top; where options run together
        # they are laid side by side (best leftmost), so none hides another
        order = sorted(options, key=lambda o: (-ranks[o.id], o.id))
        widths = np.linspace(5.2, 2.2, num=len(order)) if len(order) > 1 else np.array([3.0])
        width_of = {o.id: float(w) for o, w in zip(order, widths, strict=True)}
        items = [
            (o.id, corridors[corridors["option"] == o.id].union_all(), width_of[o.id])
            for o in sorted(options, key=lambda o: (ranks[o.id], o.id))
        ] + [(o.id, rail_lines[rail_lines["option"] == o.id].union_all(), RAIL_WIDTH) for o in rail]
        placed = side_by_side(items, metres_per_point=_data_per_point(page))
        for option in order:
            colour, dash = looks[option.id]
            width = width_of[option.id]
            part = gpd.GeoSeries([placed[option.id]], crs=corridors.crs)
            part.plot(
                ax=page.ax, color="white", linewidth=(width + 1.6) * s, zorder=7, capstyle="round"
            )
            part.plot(
                ax=page.ax,
                color=colour,
                linewidth=width * s,
                linestyle=mpl_dash(dash),
                zorder=7.1,
                capstyle="butt" if dash else "round",
                gid=f"option-{option.id}",
            )
            dots = _snap(stops[stops["option"] == option.id].geometry, placed[option.id])
            page.ax.scatter(
                [p.x for p in dots],
                [p.y for p in dots],
                s=(4.2 * s) ** 2,
                facecolor="white",
                edgecolor=colour,
                linewidth=1.2 * s,
                zorder=9,
                gid=f"interchanges-{option.id}",
            )
        for option in rail:
            part = gpd.GeoSeries([placed[option.id]], crs=rail_lines.crs)
            part.plot(
                ax=page.ax,
                color="white",
                linewidth=(RAIL_WIDTH + 1.6) * s,
                zorder=6.9,
                capstyle="butt",
            )
            # a rail line: dark with white gaps, beside the road options it is not ranked with
            part.plot(
                ax=page.ax,
                color=RAIL_OPTION_COLOUR,
                linewidth=RAIL_WIDTH * s,
                linestyle=RAIL_DASH,
                zorder=6.95,
                capstyle="butt",
                gid=f"rail-option-{option.id}",
            )
        _block_points(page, [(p.x, p.y) for p in stops.geometry], 2.5)
        # labels go beside the lines, never over them
        _block_lines(page, placed.values(), 5.0 * s)
        entries = []
        for option in sorted(options, key=lambda o: (ranks[o.id], o.id)):
            colour, dash = looks[option.id]
            row = summary.loc[option.id]
            # the headline: peak-hour vehicle-hours saved, rounded by the one rule
            value = format_vehicle_hours(float(row["vht_saved"]))
            title_zh = str(row.get("title_zh", option.title_zh))
            title_en = str(row.get("title_en", option.title_en))
            label = f"{ranks[option.id]}  " + style.pick(
                f"{title_zh}(省 {value} 车·时)",
                f"{title_en} ({value} veh-h saved)",
                alt=f"{_humanise(option.id)} ({value} veh-h saved)",
            )
            _label_option(
                page,
                style,
                placed[option.id],
                label,
                fractions=(0.5, 0.3, 0.7, 0.15, 0.85),
                leader_colour=colour,
                fontsize=style.pt(6.8),
                color=_darker(colour, 0.85),
                fontweight="bold",
            )
            profile = str(row.get("profile", "") or "")
            spec = settings.profiles.get(profile, {})
            zh_how = spec.get("description_zh", profile)
            en_how = spec.get("description_en", profile)
            text = style.pick(
                f"{title_zh} · {value} 车·时 · {zh_how}",
                f"{title_en} · {value} veh-h · {en_how}",
                alt=f"{_humanise(option.id)} · {value} veh-h · {en_how}",
            )
            handle = Line2D([], [], color=colour, linewidth=3.0 * s, linestyle=mpl_dash(dash))
            entries.append((handle, f"{ranks[option.id]}  {text}"))
        for option in rail:
            title_zh, title_en = option.title_zh, option.title_en
            door = _rail_minutes(comparison, option.id)
            label = style.pick(
                f"{title_zh}(轨道,门到门比较,不排序)",
                f"{title_en} (rail: compared door to door, not ranked)",
                alt=f"{_humanise(option.id)} (rail: door to door, not ranked)",
            )
            _label_option(
                page,
                style,
                placed[option.id],
                label,
                fractions=(0.5, 0.35, 0.65, 0.2, 0.8),
                leader_colour=RAIL_OPTION_COLOUR,
                fontsize=style.pt(6.4),
                color=RAIL_OPTION_COLOUR,
            )
            text = style.pick(
                f"{title_zh} · 轨道 · 门到门 {door[0]} 分钟,高峰小汽车 {door[1]} 分钟 · 不排序",
                f"{title_en} · rail · door to door {door[0]} min, car at the peak {door[1]} min "
                "· not ranked",
                alt=f"{_humanise(option.id)} · rail · door to door {door[0]} min · not ranked",
            )
            handle = Line2D(
                [], [], color=RAIL_OPTION_COLOUR, linewidth=RAIL_WIDTH * s, linestyle=RAIL_DASH
            )
            entries.append((handle, f"—  {text}"))
        handles = [h for h, _ in entries] + [
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=4.2 * s,
                markerfacecolor="white",
                markeredgecolor=MUTED,
            )
        ]
        labels = [t for _, t in entries] + [style.word("interchange", sep=" ")]

        def sidebar() -> None:
            _side_legend(page, handles, labels, style.word("legend_options", sep=" "))
            _side_text(page, style.word("rank_note", sep="\n"), gid="rank-note")
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


def _label_option(
    page: _Page,
    style: _Style,
    drawn: Any,
    label: str,
    *,
    fractions: tuple[float, ...],
    leader_colour: str,
    **text_kw: Any,
) -> None:
    """Write ``label`` beside the option's longest drawn line (metres), at the first free spot."""
    parts = [drawn] if drawn.geom_type == "LineString" else list(drawn.geoms)
    line = max(parts, key=lambda g: g.length)
    _place_label(
        page,
        _line_anchors(line, fractions),
        label,
        offsets=_ring(9.0, (1, 2, 3, 4, 5)),
        leader_colour=leader_colour,
        leader_from=8.0,
        linespacing=1.1,
        path_effects=_halo(style, 2.6),
        zorder=26,
        **text_kw,
    )


def _snap(points: Any, drawn: Any) -> list[Any]:
    """Interchanges moved onto the option's drawn line (it may lie beside its alignment)."""
    return [drawn.interpolate(drawn.project(p)) for p in points]


#: Width (points at A4) and dashes (in line widths) of a rail option on the corridor map.
RAIL_WIDTH = 2.2
RAIL_DASH: tuple[float, tuple[float, float]] = (0, (4, 1.5))


def _rail_minutes(comparison: Any, option: str) -> tuple[str, str]:
    """Door-to-door and congested car minutes of a rail option (longest pair), as shown."""
    rail = getattr(comparison, "rail", None)
    if rail is None or not len(rail) or "option" not in rail.columns:
        return "", ""
    part = rail[rail["option"] == option]
    if not len(part) or "door_to_door_min" not in part.columns:
        return "", ""
    row = part.sort_values("door_to_door_min").iloc[-1]
    car = row.get("car_congested_min", float("nan"))
    return format_minutes(row["door_to_door_min"]), format_minutes(car)


def _place_names(title_place: str | tuple[str, str]) -> tuple[str, str]:
    if isinstance(title_place, tuple):
        return title_place
    return title_place, title_place


def isochrones_map(
    before: gpd.GeoDataFrame,
    after: gpd.GeoDataFrame | None = None,
    *,
    title_place: str | tuple[str, str],
    option_title: str | tuple[str, str] | None = None,
    network_source: str | None = None,
    place: gpd.GeoDataFrame | None = None,
    paper: str = "A4",
    lang: str = "zh",
    font: str | None = None,
    date: datetime.date | None = None,
    roads: nx.MultiDiGraph | None = None,
) -> Figure:
    """Isochrones around a place before (filled) and after (outlined) a corridor option.

    Parameters
    ----------
    before : geopandas.GeoDataFrame
        Isochrones on the existing network: ``minutes`` and geometry, as from
        :func:`sanqu_geo.travel.place_isochrones`; ``area_km2`` shown in the legend if present.
    after : geopandas.GeoDataFrame, optional
        The same thresholds on the scenario network.
    title_place : str or (str, str)
        The place's name for the title; a pair gives (中文, English).
    option_title : str or (str, str), optional
        The option the ``after`` frame was computed for.
    network_source : str, optional
        The network the isochrones were computed on, for the source note.
    place : geopandas.GeoDataFrame, optional
        The place, marked with a star (default: looked up from ``before["id"]`` if present).
    paper, lang, font, date, roads
        As for :func:`zones_map`.

    Returns
    -------
    matplotlib.figure.Figure
        The page.
    """
    style = _style(paper, lang, font, date)
    if before is None or len(before) == 0 or "minutes" not in before.columns:
        msg = "isochrones_map needs a 'before' frame with a 'minutes' column and polygons"
        raise DataSourceError(msg)
    G = _context(roads)
    before_m = _metric(before, "before").sort_values("minutes")
    after_m = _metric(after, "after").sort_values("minutes") if after is not None else None
    if place is None and "id" in before.columns:
        try:
            place = travel.find_place(str(before["id"].iloc[0]))
        except LayerError as exc:  # the star is an extra; a user's own place id may be unknown
            logger.debug("no place marker: %s", exc)
    zones = layers.load_layer("zones", located_only=True)
    river = layers.load_layer("river", located_only=True)
    drawn = {"zones": zones, "river": river}
    extra = (
        [_labelled(style, "iso_network", source_words(style, network_source))]
        if network_source
        else []
    )
    zh_place, en_place = _place_names(title_place)
    minutes = "/".join(f"{m:g}" for m in before_m["minutes"])
    with matplotlib.rc_context(_rc(style)):
        title = style.pick(
            _WORDS["iso_title"][0].format(place=zh_place, minutes=minutes),
            _WORDS["iso_title"][1].format(
                place=style.latin(en_place, "the place"), minutes=minutes
            ),
        )
        if after_m is not None and option_title is not None:
            zh_opt, en_opt = _place_names(option_title)
            subject = style.pick(
                _WORDS["iso_subject_after"][0].format(option=zh_opt),
                _WORDS["iso_subject_after"][1].format(option=style.latin(en_opt, "the option")),
            )
        else:
            subject = style.word("iso_subject", sep="\n")
        page = _new_page(
            style, title, _subtitle(style, None, subject), _footer_items(style, drawn, G, extra)
        )
        s = style.scale
        frames = [before_m] + ([after_m] if after_m is not None else [])
        _fit_extent(page, _bounds(*frames), margin=0.03)
        _scale_bar(page)
        _north_arrow(page)
        handles, labels = [], []
        fills = list(before_m.itertuples())
        for i, row in reversed(list(enumerate(fills))):
            colour = ISO_BEFORE_COLOURS[min(i, len(ISO_BEFORE_COLOURS) - 1)]
            gpd.GeoSeries([row.geometry], crs=before_m.crs).plot(
                ax=page.ax,
                facecolor=to_rgba(colour, 0.55),
                edgecolor=to_rgba(colour, 0.9),
                linewidth=0.6 * s,
                zorder=1.5,
                gid=f"iso-before-{row.minutes:g}",
            )
        for i, row in enumerate(fills):
            colour = ISO_BEFORE_COLOURS[min(i, len(ISO_BEFORE_COLOURS) - 1)]
            handles.append(Patch(facecolor=to_rgba(colour, 0.55), edgecolor=colour))
            labels.append(_iso_label(style, "iso_before", row))
        groups = _draw_zones(page, _metric(zones, "zones"), light=True)
        road_classes = _draw_roads(page, _road_edges(G), light=True)
        _draw_river(page, _metric(river, "river"), label=False)
        same = _unchanged(before_m, after_m) if after_m is not None else set()
        if after_m is not None:
            for i, row in enumerate(after_m.itertuples()):
                dash = ISO_AFTER_DASHES[min(i, len(ISO_AFTER_DASHES) - 1)]
                if float(row.minutes) in same:
                    # an outline on top of the fill it equals would read as a drawing error
                    handles.append(Line2D([], [], linestyle="none"))
                    zh, en = (w.format(minutes=f"{row.minutes:g}") for w in _WORDS["iso_after"])
                    labels.append(
                        style.pick(f"{zh}:与现状相同", f"{en}: same as before", sep=" / ")
                    )
                    continue
                gpd.GeoSeries([row.geometry], crs=after_m.crs).boundary.plot(
                    ax=page.ax,
                    color=ISO_AFTER_COLOUR,
                    linewidth=1.3 * s,
                    linestyle=dash,
                    zorder=9,
                    gid=f"iso-after-{row.minutes:g}",
                )
                handles.append(
                    Line2D([], [], color=ISO_AFTER_COLOUR, linewidth=1.3 * s, linestyle=dash)
                )
                labels.append(_iso_label(style, "iso_after", row))
        if place is not None and len(place):
            point = _metric(place, "place").geometry.iloc[0].representative_point()
            page.ax.plot(
                point.x,
                point.y,
                marker="*",
                markersize=13 * s,
                markerfacecolor=INK,
                markeredgecolor="white",
                markeredgewidth=1.0 * s,
                zorder=30,
                gid="iso-place",
            )
            _block_points(page, [(point.x, point.y)], 6.0)
            _place_label(
                page,
                [(point.x, point.y)],
                style.pick(zh_place, en_place, alt="Origin"),
                offsets=_ring(9.0, (1, 2)),
                fontsize=style.pt(8),
                fontweight="bold",
                color=INK,
                path_effects=_halo(style, 2.6),
                zorder=31,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker="*",
                    markersize=10 * s,
                    markerfacecolor=INK,
                    markeredgecolor="white",
                )
            )
            labels.append(style.word("iso_place", sep=" "))

        if same:
            zh_opt, en_opt = _place_names(option_title) if option_title else ("方案", "the option")
            shown = "/".join(f"{m:g}" for m in sorted(same))
            every = len(same) == len(after_m)
            note = style.pick(
                f"无变化:建成后 {shown} 分钟等时圈与现状相同。{zh_opt}未改变从{zh_place}出发"
                f" {shown} 分钟内可达的范围(方案不经过此范围,或不缩短其中的行程)。"
                + ("" if every else "其余等时圈见虚线。"),
                f"No change: after = before for the {shown} min isochrone"
                f"{'s' if len(same) > 1 else ''}. {style.latin(en_opt, 'The option')} does not "
                f"change what is reachable from {style.latin(en_place, 'the place')} within "
                f"{shown} min (it lies outside this area or saves no time in it)."
                + ("" if every else " The other isochrones are outlined."),
                sep="\n",
            )
            _map_note(page, note, avoid=before_m.geometry.union_all(), gid="iso-no-change")

        def sidebar() -> None:
            _side_legend(page, handles, labels, style.word("legend_iso", sep=" "))
            _context_legend(page, groups, road_classes)

        _fill_sidebar(page, sidebar)
    return _finish(page)


#: Largest area (km²) by which an isochrone "after" may differ from "before" and still be the
#: same (a few grid cells of the polygon construction).
SAME_AREA_KM2 = 0.05


def _unchanged(before_m: gpd.GeoDataFrame, after_m: gpd.GeoDataFrame) -> set[float]:
    """The thresholds (minutes) whose "after" polygon equals the "before" one."""
    same = set()
    for row in after_m.itertuples():
        match = before_m[before_m["minutes"] == row.minutes]
        if not len(match):
            continue
        diff = row.geometry.symmetric_difference(match.geometry.iloc[0])
        if diff.area <= SAME_AREA_KM2 * 1e6:
            same.add(float(row.minutes))
    return same


def _map_note(page: _Page, text: str, *, avoid: Any, gid: str) -> Text:
    """A boxed note in the corner of the map frame that hides least of ``avoid`` (metres)
    and of what is placed already (scale bar, north arrow)."""
    style, s = page.style, page.style.scale
    ax = page.ax
    prop = FontProperties(family=style.families, size=style.pt(8), weight="bold")
    frame = ax.get_window_extent(page.renderer)
    body = _wrap(text, frame.width * 0.36, prop, page.renderer)
    note = ax.text(
        0,
        0,
        body,
        transform=ax.transAxes,
        fontproperties=prop,
        color=INK,
        linespacing=1.3,
        multialignment="left",
        zorder=40,
        gid=gid,
        bbox={
            "boxstyle": "round,pad=0.6",
            "facecolor": "white",
            "edgecolor": ISO_AFTER_COLOUR,
            "linewidth": 1.0 * s,
        },
    )
    to_data = ax.transData.inverted()
    best: tuple[float, tuple[float, float, str, str]] | None = None
    for x, y, ha, va in (
        (0.02, 0.98, "left", "top"),
        (0.98, 0.98, "right", "top"),
        (0.02, 0.02, "left", "bottom"),
        (0.98, 0.02, "right", "bottom"),
    ):
        note.set_position((x, y))
        note.set_ha(ha)
        note.set_va(va)
        box = note.get_window_extent(page.renderer).padded(4 * s)
        (x0, y0), (x1, y1) = to_data.transform([(box.x0, box.y0), (box.x1, box.y1)])
        hidden = avoid.intersection(shapely.box(x0, y0, x1, y1)).area / max(
            (x1 - x0) * (y1 - y0), 1.0
        )
        cost = hidden + sum(_overlap(box, o) for o in page.obstacles) / max(
            box.width * box.height, 1.0
        )
        if best is None or cost < best[0]:
            best = (cost, (x, y, ha, va))
    assert best is not None
    x, y, ha, va = best[1]
    note.set_position((x, y))
    note.set_ha(ha)
    note.set_va(va)
    page.obstacles.append(note.get_window_extent(page.renderer).padded(3 * s))
    return note


def _iso_label(style: _Style, key: str, row: Any) -> str:
    area = getattr(row, "area_km2", None)
    zh, en = (w.format(minutes=f"{row.minutes:g}") for w in _WORDS[key])
    if area is None or _missing(area):
        return style.pick(zh, en, sep=" / ")
    km2 = f"{float(area):,.0f} km²"
    return style.pick(f"{zh}({km2})", f"{en} ({km2})", sep=" / ").replace(f"({km2}) / ", " / ")
