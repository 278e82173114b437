"""Corridor options and scenarios: proposed lines spliced into a road graph at their interchanges.

A corridor joins the network only at its interchanges (on a node, on an edge that is split, or
off the network through a reported connector), never at every road it crosses. Applying a
scenario returns a new graph; the base graph is never changed. Reads scenario TOML files only.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import weakref
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, Point

from sanqu_geo import capacity, layers, settings, speeds
from sanqu_geo import edits as edits_
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._safe import control_character
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import ScenarioError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "CORRIDOR_KINDS",
    "MEASURES",
    "Condition",
    "Corridor",
    "Group",
    "Option",
    "Scenario",
    "SplicePlan",
    "apply",
    "load_scenario",
    "plan_splice",
]

_GEOD = Geod(ellps="WGS84")

#: Corridor kinds and the road class whose profile factors and caps apply to them.
CORRIDOR_KINDS: dict[str, str] = {
    "expressway": "motorway",
    "urban_expressway": "trunk",
    "arterial": "primary",
    "rail_art": "rail_art",
}


#: An interchange within this distance (m) of a node joins that node.
node_tolerance_m: float = 50.0

#: An interchange within this distance (m) of an edge splits that edge.
edge_tolerance_m: float = 300.0

#: Beyond this distance (m) from any road an interchange cannot be joined.
max_connector_m: float = 3000.0

#: Speed (km/h) of a connector from an interchange off the network to the nearest node.
connector_speed_kph: float = 40.0

_VEHICLES = ("all", "freight", "passenger")


@dataclasses.dataclass(frozen=True)
class Corridor:
    """A proposed line.

    Attributes
    ----------
    id : str
        Identifier (an embedded project id, or a new one).
    title_zh, title_en : str
        Names.
    kind : str
        One of :data:`CORRIDOR_KINDS`.
    geometry : shapely.LineString
        The alignment, WGS-84.
    interchanges : tuple of shapely.Point
        Where it joins the network (for rail/ART: its stops).
    design_speed_kph : float
        Design (or operating) speed.
    lanes : int or None
        Lanes.
    access_time_s : float
        For rail/ART: time to board at a stop (walking, waiting), added on boarding.
    vehicles : str
        ``all``, ``freight`` (a freight-only road: used by the truck profile only) or
        ``passenger`` (rail/ART: not used by the truck profile).
    cost_yuan : float or None
        Published (or user-given) construction cost; None when none is published.
    phase, item : str, int or None
        Plan phase and the plan's task number (``item``).
    """

    id: str
    title_zh: str
    title_en: str
    kind: str
    geometry: LineString
    interchanges: tuple[Point, ...]
    design_speed_kph: float
    lanes: int | None = None
    access_time_s: float = 0.0
    vehicles: str = "all"
    cost_yuan: float | None = None
    phase: str | None = None
    item: int | None = None

    @property
    def length_m(self) -> float:
        """Geodesic length in metres."""
        return float(_GEOD.geometry_length(self.geometry))

    @property
    def cost(self) -> float | None:
        """Construction cost in yuan where published or given, else None (never estimated)."""
        return float(self.cost_yuan) if self.cost_yuan is not None else None

    def capacity_dir(self) -> float:
        """Capacity (PCU/h) in each direction: lanes (published, else by class) × per-lane value."""
        return capacity.edge_capacity(
            {"highway": CORRIDOR_KINDS[self.kind], "lanes": self.lanes, "oneway": False}
        )[1]

    def usable_by(self, profile: str) -> bool:
        """Whether vehicles of a profile may use the corridor."""
        truck = profile == "truck" or speeds.get_profile(profile).get("respect_bans", False)
        if self.vehicles == "freight":
            return truck
        if self.vehicles == "passenger":
            return not truck
        return True


@dataclasses.dataclass(frozen=True)
class Option:
    """One alternative: a set of corridors built together."""

    id: str
    group: str
    title_zh: str
    title_en: str
    corridors: tuple[Corridor, ...]
    profile: str | None = None
    edits: tuple[edits_.Edit, ...] = ()
    reading_zh: str = ""
    reading_en: str = ""
    opening_year: int | None = None

    @property
    def rail(self) -> bool:
        """Whether the option is rail only (compared door to door, never assigned as a road)."""
        return all(c.kind == "rail_art" for c in self.corridors)

    @property
    def cost(self) -> float | None:
        """Total construction cost in yuan, or None unless every corridor's cost is known."""
        costs = [c.cost for c in self.corridors]
        return None if any(c is None for c in costs) else float(sum(costs))


@dataclasses.dataclass(frozen=True)
class Condition:
    """A state of the network every option of some groups is also run in (a closure, winter).

    Attributes
    ----------
    id, title_zh, title_en : str
    edits : tuple of Edit
        Edits made on top of each option's (closures, lanes).
    capacity_factor : float
        On every road's capacity (winter: a stated factor).
    groups : tuple of str
        Groups whose options are run in this condition (empty: every group).
    source : str
    run : bool
        Solved by default (else only when asked for).
    """

    id: str
    title_zh: str
    title_en: str
    edits: tuple[edits_.Edit, ...] = ()
    capacity_factor: float = 1.0
    groups: tuple[str, ...] = ()
    source: str = ""
    run: bool = True


@dataclasses.dataclass(frozen=True)
class Group:
    """A plan task's group of alternative options and what the task asks."""

    id: str
    title_zh: str
    title_en: str
    task: int | None = None
    measure: str = "network_time"
    question_zh: str = ""
    question_en: str = ""
    places: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A base network, a profile and groups of alternative options."""

    name_zh: str
    name_en: str
    network: str
    profile: str
    options: tuple[Option, ...]
    path: str = ""
    conditions: tuple[Condition, ...] = ()
    group_info: tuple[Group, ...] = ()
    years: tuple[int, ...] = (2020,)
    periods: tuple[str, ...] = ("am_peak",)
    opening_year: int = 2028

    def group(self, gid: str) -> Group:
        """The group ``gid`` (a bare one when the file gave no details)."""
        for g in self.group_info:
            if g.id == gid:
                return g
        return Group(gid, gid, gid)

    @property
    def groups(self) -> dict[str, list[Option]]:
        """Options by group, in file order."""
        out: dict[str, list[Option]] = {}
        for option in self.options:
            out.setdefault(option.group, []).append(option)
        return out


# --------------------------------------------------------------------------- reading

_SCENARIO_KEYS = {"name_zh", "name_en", "network", "profile", "years", "periods", "opening_year"}
_GROUP_KEYS = {
    "id", "title_zh", "title_en", "profile", "option", "task", "measure", "question_zh",
    "question_en", "places",
}  # fmt: skip
_OPTION_KEYS = {
    "id", "title_zh", "title_en", "corridors", "profile", "edits", "reading_zh", "reading_en",
    "opening_year",
}  # fmt: skip
_CONDITION_KEYS = {"title_zh", "title_en", "edits", "capacity_factor", "groups", "source", "run"}
#: What a task's own measure can be.
MEASURES = ("network_time", "airport_access", "logistics", "rail", "external")
_CORRIDOR_KEYS = {
    "title_zh",
    "title_en",
    "kind",
    "coordinates",
    "interchanges",
    "design_speed_kph",
    "lanes",
    "access_time_s",
    "vehicles",
    "cost_yuan",
    "phase",
    "item",
    "project",
}


#: Largest scenario file (bytes): the plan's own, with every corridor drawn, is a few tens of
#: kilobytes.
max_scenario_bytes: int = 16 * MB


def default_scenario_path() -> Path:
    """The plan's own scenario file, ``data/projects/scenarios.toml``."""
    return data_file("projects/scenarios.toml")


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read a scenario TOML file (default: the plan's own).

    Parameters
    ----------
    path : path-like, optional
        The file.

    Returns
    -------
    Scenario
        The scenario, with every corridor resolved (embedded projects by id).

    Raises
    ------
    ScenarioError
        With one line naming the file, the option or corridor, and the field.
    DataSourceError
        When the file is missing, is not a regular file (a pipe, a device, a folder) or is
        larger than :data:`max_scenario_bytes`.
    """
    path = Path(path) if path is not None else default_scenario_path()
    check_input_file(path, what="scenario file", max_bytes=max_scenario_bytes)
    data = read_toml(path, what="scenario file", error=ScenarioError)
    where = str(path)
    _check_keys(data, {"scenario", "group", "corridor", "edit", "condition"}, where)
    head = data.get("scenario", {})
    _check_keys(head, _SCENARIO_KEYS, f"{where}: [scenario]")
    profile = str(head.get("profile", "car"))
    _check_profile(profile, f"{where}: [scenario] profile")
    definitions = data.get("corridor", {})
    if not isinstance(definitions, dict):
        msg = f"{where}: [corridor] must be tables named by corridor id"
        raise ScenarioError(msg)
    corridors = {
        cid: _corridor(cid, spec, f"{where}: corridor {cid!r}") for cid, spec in definitions.items()
    }
    edit_specs = data.get("edit", {})
    if not isinstance(edit_specs, dict):
        msg = f"{where}: [edit] must be tables named by edit id"
        raise ScenarioError(msg)
    edits = {
        eid: edits_.parse_edit(eid, spec, f"{where}: edit {eid!r}")
        for eid, spec in edit_specs.items()
    }
    options = []
    group_info = []
    groups = data.get("group", [])
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        msg = f"{where}: 'group' must be [[group]] tables, each with an id and its [[group.option]] tables"
        raise ScenarioError(msg)
    if not groups:
        msg = f"{where}: no [[group]] of options"
        raise ScenarioError(msg)
    for field in ("name_zh", "name_en", "network"):
        _text(head.get(field, ""), field, f"{where}: [scenario]")
    seen: set[str] = set()
    seen_groups: set[str] = set()
    for g in groups:
        gid = _text(g.get("id", ""), "id", f"{where}: a [[group]]")
        gwhere = f"{where}: group {gid!r}"
        _check_keys(g, _GROUP_KEYS, gwhere)
        if not gid:
            msg = f"{where}: a [[group]] has no id"
            raise ScenarioError(msg)
        if gid in seen_groups:
            msg = f"{gwhere}: the id is used by more than one [[group]]; give each group its own id"
            raise ScenarioError(msg)
        seen_groups.add(gid)
        for field in ("title_zh", "title_en", "question_zh", "question_en"):
            _text(g.get(field, ""), field, gwhere)
        measure = str(g.get("measure", "network_time"))
        if measure not in MEASURES:
            msg = f"{gwhere}: field 'measure' must be one of {', '.join(MEASURES)}"
            raise ScenarioError(msg)
        task = g.get("task")
        if task is not None and (not isinstance(task, int) or isinstance(task, bool)):
            msg = f"{gwhere}: field 'task' must be the plan's task number"
            raise ScenarioError(msg)
        places = g.get("places", [])
        if not isinstance(places, list) or not all(isinstance(p, str) for p in places):
            msg = f"{gwhere}: field 'places' must be a list of zone ids, e.g. [\"inland_port\"]"
            raise ScenarioError(msg)
        group_info.append(
            Group(gid, str(g.get("title_zh", gid)), str(g.get("title_en", gid)), task, measure,
                  str(g.get("question_zh", "")), str(g.get("question_en", "")), tuple(places))
        )  # fmt: skip
        group_options = g.get("option", [])
        if not isinstance(group_options, list) or not all(
            isinstance(o, dict) for o in group_options
        ):
            msg = f"{gwhere}: 'option' must be [[group.option]] tables"
            raise ScenarioError(msg)
        for o in group_options:
            oid = _text(o.get("id", ""), "id", f"{gwhere}: an option")
            owhere = f"{where}: option {oid!r}"
            _check_keys(o, _OPTION_KEYS, owhere)
            if not oid or oid in seen:
                msg = f"{owhere}: every option needs a unique id"
                raise ScenarioError(msg)
            seen.add(oid)
            for field in ("title_zh", "title_en"):
                _text(o.get(field, ""), field, owhere)
            for field in ("reading_zh", "reading_en"):
                _text(o.get(field, ""), field, owhere)
            option_edits = _edit_list(o.get("edits", []), edits, owhere)
            opening = o.get("opening_year")
            if opening is not None:
                _year(opening, "opening_year", owhere)
            names = o.get("corridors", [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                msg = (
                    f'{owhere}: field \'corridors\' must be a list of corridor ids, e.g. ["a", "b"]'
                )
                raise ScenarioError(msg)
            if not names and not option_edits:
                msg = f"{owhere}: field 'corridors' is empty; name at least one corridor (or give 'edits')"
                raise ScenarioError(msg)
            unknown = [n for n in names if n not in corridors]
            if unknown:
                msg = f"{owhere}: field 'corridors': unknown corridor(s) {', '.join(unknown)}; define them as [corridor.ID]"
                raise ScenarioError(msg)
            oprofile = o.get("profile", g.get("profile"))
            if oprofile is not None:
                _check_profile(str(oprofile), f"{owhere}: field 'profile'")
            options.append(
                Option(
                    oid,
                    gid,
                    str(o.get("title_zh", oid)),
                    str(o.get("title_en", oid)),
                    tuple(corridors[n] for n in names),
                    str(oprofile) if oprofile else None,
                    option_edits,
                    str(o.get("reading_zh", "")),
                    str(o.get("reading_en", "")),
                    int(opening) if opening is not None else None,
                )
            )
    conditions = _conditions(data.get("condition", {}), edits, seen_groups, where)
    years = head.get("years", [2020])
    if not isinstance(years, list) or not years:
        msg = f"{where}: [scenario] field 'years' must be a list of years, e.g. [2020, 2035]"
        raise ScenarioError(msg)
    for y in years:
        _year(y, "years", f"{where}: [scenario]")
    periods = head.get("periods", ["am_peak"])
    if not isinstance(periods, list) or not periods or not all(isinstance(p, str) for p in periods):
        msg = f"{where}: [scenario] field 'periods' must be a list of periods, e.g. [\"am_peak\"]"
        raise ScenarioError(msg)
    from sanqu_geo import forecast  # the periods and years the demand can be built for

    unknown = [p for p in periods if p not in forecast.PERIODS]
    first, last = forecast.year_range()
    outside = [y for y in years if not first <= y <= last]
    if unknown or outside:
        what = (
            f"period(s) {', '.join(unknown)}: use {', '.join(forecast.PERIODS)}"
            if unknown
            else f"year(s) {', '.join(map(str, outside))}: give years {first}–{last}"
        )
        msg = f"{where}: [scenario] unknown {what} (data/demand/forecast.toml)"
        raise ScenarioError(msg)
    opening = head.get("opening_year", 2028)
    _year(opening, "opening_year", f"{where}: [scenario]")
    return Scenario(
        str(head.get("name_zh", path.stem)),
        str(head.get("name_en", path.stem)),
        str(head.get("network") or _default_network()),
        profile,
        tuple(options),
        str(path),
        conditions,
        tuple(group_info),
        tuple(int(y) for y in years),
        tuple(periods),
        int(opening),
    )


def _year(value: Any, field: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 2000 <= value <= 2100:
        msg = f"{where}: field {field!r}: {value!r} is not a year (2000–2100)"
        raise ScenarioError(msg)
    return value


def _edit_list(names: Any, edits: dict[str, edits_.Edit], where: str) -> tuple[edits_.Edit, ...]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        msg = f"{where}: field 'edits' must be a list of edit ids, e.g. [\"close_x\"]"
        raise ScenarioError(msg)
    unknown = [n for n in names if n not in edits]
    if unknown:
        msg = f"{where}: field 'edits': unknown edit(s) {', '.join(unknown)}; define them as [edit.ID]"
        raise ScenarioError(msg)
    return tuple(edits[n] for n in names)


def _conditions(
    specs: Any, edits: dict[str, edits_.Edit], groups: set[str], where: str
) -> tuple[Condition, ...]:
    if not isinstance(specs, dict):
        msg = f"{where}: [condition] must be tables named by condition id"
        raise ScenarioError(msg)
    out = []
    for cid, spec in specs.items():
        cwhere = f"{where}: condition {cid!r}"
        _text(cid, "id", cwhere)
        _check_keys(spec, _CONDITION_KEYS, cwhere)
        for field in ("title_zh", "title_en", "source"):
            _text(spec.get(field, ""), field, cwhere)
        factor = spec.get("capacity_factor", 1.0)
        if not isinstance(factor, int | float) or not 0.1 <= factor <= 2.0:
            msg = f"{cwhere}: field 'capacity_factor' must be a number between 0.1 and 2"
            raise ScenarioError(msg)
        run = spec.get("run", True)
        if not isinstance(run, bool):
            msg = f"{cwhere}: field 'run' must be true or false"
            raise ScenarioError(msg)
        member = spec.get("groups", [])
        if not isinstance(member, list) or any(g not in groups for g in member):
            msg = f"{cwhere}: field 'groups' must list group ids of this file ({', '.join(sorted(groups))})"
            raise ScenarioError(msg)
        out.append(
            Condition(cid, str(spec.get("title_zh", cid)), str(spec.get("title_en", cid)),
                      _edit_list(spec.get("edits", []), edits, cwhere), float(factor),
                      tuple(member), str(spec.get("source", "")), run)
        )  # fmt: skip
    return tuple(out)


def _text(value: Any, field: str, where: str) -> str:
    """A name or id from the file: text without control or direction-override characters."""
    if not isinstance(value, str | int):
        msg = f"{where}: field {field!r}: {value!r} is not text; give it in quotes"
        raise ScenarioError(msg)
    text = str(value)
    bad = control_character(text)
    if bad is not None:
        msg = f"{where}: field {field!r} holds the control character {bad}; remove it"
        raise ScenarioError(msg)
    return text


def _check_keys(table: Any, allowed: set[str], where: str) -> None:
    check_keys(table, allowed, where, error=ScenarioError)


def _check_profile(name: str, where: str) -> None:
    if name not in settings.profiles:
        msg = f"{where}: unknown profile {name!r}; use one of {', '.join(settings.profiles)}"
        raise ScenarioError(msg)


def _number(
    spec: dict, field: str, where: str, *, default: Any = None, positive: bool = True
) -> Any:
    value = spec.get(field, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        msg = f"{where}: field {field!r}: {value!r} is not a number"
        raise ScenarioError(msg)
    if (positive and value <= 0) or value < 0:
        msg = f"{where}: field {field!r}: {value!r} must be {'positive' if positive else 'zero or more'}"
        raise ScenarioError(msg)
    return value


def _points(value: Any, field: str, where: str) -> list[tuple[float, float]]:
    if not isinstance(value, list) or not all(isinstance(p, list) and len(p) == 2 for p in value):
        msg = f"{where}: field {field!r} must be a list of [lon, lat] pairs"
        raise ScenarioError(msg)
    try:
        pts = [(float(x), float(y)) for x, y in value]
    except (TypeError, ValueError):
        msg = f"{where}: field {field!r} holds values that are not numbers"
        raise ScenarioError(msg) from None
    for x, y in pts:
        w, s, e, n = settings.harbin_bbox
        if not (w <= x <= e and s <= y <= n):
            hint = " (lat, lon swapped?)" if (w <= y <= e and s <= x <= n) else ""
            msg = f"{where}: field {field!r}: point [{x}, {y}] is far from Harbin{hint}; give [lon, lat] in WGS-84"
            raise ScenarioError(msg)
    return pts


def _corridor(cid: str, spec: Any, where: str) -> Corridor:
    _text(cid, "id", where)
    if not isinstance(spec, dict):
        msg = f"{where}: must be a table [corridor.{cid}] with its fields"
        raise ScenarioError(msg)
    _check_keys(spec, _CORRIDOR_KEYS, where)
    for field in ("title_zh", "title_en"):
        if field in spec:
            _text(spec[field], field, where)
    project = _project(str(spec.get("project", cid)))
    kind = str(spec.get("kind", project.get("kind", "") if project else ""))
    if kind not in CORRIDOR_KINDS:
        msg = f"{where}: field 'kind': {kind!r} is not one of {', '.join(CORRIDOR_KINDS)}"
        raise ScenarioError(msg)
    if "coordinates" in spec:
        coords = _points(spec["coordinates"], "coordinates", where)
    elif project is not None and project.get("geometry") is not None:
        coords = list(project["geometry"].coords)
    elif "interchanges" in spec:  # a new short link: straight between its interchanges
        coords = _points(spec["interchanges"], "interchanges", where)
    else:
        msg = f"{where}: field 'coordinates' is missing and no embedded project {cid!r} has a line"
        raise ScenarioError(msg)
    if len(coords) < 2 or len(set(coords)) < 2:
        msg = f"{where}: field 'coordinates': a corridor needs at least two distinct points"
        raise ScenarioError(msg)
    line = LineString(coords)
    stops = _points(
        spec.get("interchanges", [list(coords[0]), list(coords[-1])]), "interchanges", where
    )
    if len(stops) < 2:
        msg = f"{where}: field 'interchanges': a corridor needs at least two interchanges"
        raise ScenarioError(msg)
    speed = _number(
        spec, "design_speed_kph", where, default=(project or {}).get("design_speed_kph")
    )
    if speed is None:
        msg = f"{where}: field 'design_speed_kph' is missing"
        raise ScenarioError(msg)
    vehicles = str(spec.get("vehicles", "passenger" if kind == "rail_art" else "all"))
    if vehicles not in _VEHICLES:
        msg = f"{where}: field 'vehicles': {vehicles!r} is not one of {', '.join(_VEHICLES)}"
        raise ScenarioError(msg)
    lanes = _number(spec, "lanes", where, default=(project or {}).get("lanes"))
    if lanes is not None and lanes != int(lanes):
        msg = f"{where}: field 'lanes': {lanes!r} is not a whole number of lanes"
        raise ScenarioError(msg)
    item = spec.get("item", (project or {}).get("item"))
    return Corridor(
        id=cid,
        title_zh=str(spec.get("title_zh", (project or {}).get("title_zh", cid))),
        title_en=str(spec.get("title_en", (project or {}).get("title_en", cid))),
        kind=kind,
        geometry=line,
        interchanges=tuple(Point(p) for p in stops),
        design_speed_kph=float(speed),
        lanes=int(lanes) if lanes is not None else None,
        access_time_s=float(_number(spec, "access_time_s", where, default=0.0, positive=False)),
        vehicles=vehicles,
        cost_yuan=_number(spec, "cost_yuan", where),
        phase=spec.get("phase", (project or {}).get("phase")),
        item=int(item) if item is not None and item == item else None,
    )


def _project(pid: str) -> dict[str, Any] | None:
    projects = layers.load_layer("projects")
    match = projects[projects["id"].astype(str) == pid]
    if match.empty:
        return None
    row = match.iloc[0]
    out = {k: row[k] for k in projects.columns if k != "geometry"}
    geom = match.geometry.iloc[0]
    out["geometry"] = geom if isinstance(geom, LineString) else None
    for k, v in list(out.items()):
        if v is pd.NA or (isinstance(v, float) and math.isnan(v)):
            out[k] = None
    return out


# --------------------------------------------------------------------------- splicing


@dataclasses.dataclass
class SplicePlan:
    """What splicing corridors into a graph does, before it is done.

    Attributes
    ----------
    new_nodes : dict
        ``node -> (x, y)`` of every node added (corridor nodes, split points).
    new_edges : list
        ``(u, v, attrs)`` of every edge added.
    split_edges : list
        ``(u, v, key, point_node)``: base edges cut in two at a new node.
    anchors : list
        Base-graph nodes where the new structure touches the base graph.
    report : list of dict
        One record per interchange: corridor, interchange number, how it joined, distance.
    """

    new_nodes: dict[Any, tuple[float, float]] = dataclasses.field(default_factory=dict)
    new_edges: list[tuple[Any, Any, dict[str, Any]]] = dataclasses.field(default_factory=list)
    split_edges: list[tuple[Any, Any, Any, Any]] = dataclasses.field(default_factory=list)
    anchors: list[Any] = dataclasses.field(default_factory=list)
    report: list[dict[str, Any]] = dataclasses.field(default_factory=list)


def _corridor_speed(corridor: Corridor, profile: str, scale: float) -> float:
    highway = CORRIDOR_KINDS[corridor.kind]
    prof = speeds.get_profile(profile)
    speed = corridor.design_speed_kph
    if corridor.kind != "rail_art":
        cap = speeds.profile_value(prof["cap_kph"], highway)
        if cap is not None:
            speed = min(speed, cap)
        speed *= speeds.profile_value(prof["factor"], highway) or 1.0
    return speed * scale


def plan_splice(
    G: nx.MultiDiGraph,
    corridors: tuple[Corridor, ...] | list[Corridor],
    *,
    profile: str = "car",
    speed_scale: float = 1.0,
) -> SplicePlan:
    """Work out how corridors join a graph, without changing it.

    Each interchange is projected onto its corridor. It joins the base graph at a node
    within :data:`node_tolerance_m`, else by splitting the nearest edge within
    :data:`edge_tolerance_m`, else through a connector to the nearest node within
    :data:`max_connector_m` (reported). Corridors the profile may not use are skipped.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Base graph (WGS-84) with ``travel_time`` and ``length``.
    corridors : sequence of Corridor
        The corridors.
    profile : str
        Travel-time profile (factors and caps by the corridor's road class).
    speed_scale : float
        Multiplies corridor speeds (for sensitivity runs).

    Returns
    -------
    SplicePlan
        The nodes and edges to add and the edges to split.

    Raises
    ------
    ScenarioError
        When an interchange lies further than :data:`max_connector_m` from the network.
    """
    plan = SplicePlan()
    to_metric, tree, node_ids, next_id = _node_index(G)
    split_done: dict[tuple[Any, Any, Any], Any] = {}
    for corridor in corridors:
        if not corridor.usable_by(profile):
            logger.info(
                "%s is not used by profile %s (vehicles=%s)",
                corridor.id,
                profile,
                corridor.vehicles,
            )
            continue
        speed = _corridor_speed(corridor, profile, speed_scale)
        line = corridor.geometry
        # Interchanges in order along the line; the corridor runs between the outermost ones.
        positions = sorted((line.project(p), i, p) for i, p in enumerate(corridor.interchanges))
        corridor_nodes = []
        for along, number, _point in positions:
            on_line = line.interpolate(along)
            cnode = next_id
            next_id += 1
            plan.new_nodes[cnode] = (on_line.x, on_line.y)
            corridor_nodes.append((along, cnode))
            link, base_anchors, method, distance, next_id = _join(
                G, plan, tree, node_ids, to_metric, on_line, corridor, number, split_done, next_id
            )
            plan.anchors.extend(base_anchors)
            plan.report.append(
                {
                    "corridor": corridor.id,
                    "interchange": number + 1,
                    "method": method,
                    "distance_m": round(distance, 1),
                    "node": link,
                }
            )
            _link(plan, corridor, cnode, link, distance if method == "connector" else 0.0)
        for (a_along, a), (b_along, b) in itertools.pairwise(corridor_nodes):
            if b_along - a_along <= 0:
                continue
            piece = shapely.ops.substring(line, a_along, b_along)
            length = float(_GEOD.geometry_length(piece))
            attrs = {
                "highway": CORRIDOR_KINDS[corridor.kind],
                "name": corridor.title_zh,
                "name_en": corridor.title_en,
                "ref": corridor.id,
                "corridor": corridor.id,
                "length": length,
                "speed_kph": round(speed, 3),
                "travel_time": length / (speed / 3.6),
                "oneway": False,
                "lanes": corridor.lanes,
                "capacity": corridor.capacity_dir(),
                "capacity_source": "published lanes" if corridor.lanes else "class default",
                "vehicles": corridor.vehicles,
            }
            plan.new_edges.append((a, b, {**attrs, "geometry": piece}))
            plan.new_edges.append((b, a, {**attrs, "geometry": piece.reverse(), "reversed": True}))
    plan.anchors = list(dict.fromkeys(plan.anchors))
    return plan


_NODE_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _node_index(G: nx.MultiDiGraph) -> tuple[Transformer, cKDTree, np.ndarray, int]:
    """Metric transformer, KD-tree of nodes, node ids and the next free integer id (cached)."""
    cached = _NODE_INDEX.get(G)
    if cached is not None and len(cached[2]) == G.number_of_nodes():
        return cached
    to_metric = Transformer.from_crs(settings.default_crs, settings.metric_crs, always_xy=True)
    node_ids = np.array(list(G.nodes), dtype=object)
    xy = np.column_stack(
        to_metric.transform(
            np.array([G.nodes[n]["x"] for n in node_ids], dtype=float),
            np.array([G.nodes[n]["y"] for n in node_ids], dtype=float),
        )
    )
    ints = [n for n in node_ids if isinstance(n, int | np.integer)]
    cached = (to_metric, cKDTree(xy), node_ids, (max(ints) + 1) if ints else 1)
    _NODE_INDEX[G] = cached
    return cached


def _node_id(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _join(G, plan, tree, node_ids, to_metric, point, corridor, number, split_done, next_id):
    """Join one interchange point to the base graph.

    Returns (node the corridor links to, base anchor nodes, method, distance m, next free id).
    """
    px, py = to_metric.transform(point.x, point.y)
    distance, index = tree.query([px, py])
    nearest = _node_id(node_ids[index])
    if distance <= node_tolerance_m:
        return nearest, [nearest], "on node", float(distance), next_id
    edge = _nearest_edge(G, point, to_metric, (px, py))
    if edge is not None and edge[3] <= edge_tolerance_m:
        u, v, key, dist_m, frac = edge
        geom = _edge_geometry(G, u, v, key)
        at = geom.interpolate(frac, normalized=True)
        split_key = (round(at.x, 7), round(at.y, 7))
        if split_key in split_done:
            p, anchors = split_done[split_key]
            return p, anchors, "on edge (split)", dist_m, next_id
        p = next_id
        next_id += 1
        plan.new_nodes[p] = (at.x, at.y)
        anchors = []
        for a, b, k in _both_directions(G, u, v, key):
            data = G.edges[a, b, k]
            f = frac if (a, b) == (u, v) else 1 - frac
            g = _edge_geometry(G, a, b, k)
            first = shapely.ops.substring(g, 0, f, normalized=True)
            second = shapely.ops.substring(g, f, 1, normalized=True)
            # the junction delay stays with the part that ends at the junction
            delay = float(data.get("junction_delay_s", 0.0))
            running = float(data["travel_time"]) - delay
            for x, y, part, share, end_delay in (
                (a, p, first, f, 0.0),
                (p, b, second, 1 - f, delay),
            ):
                attrs = {k2: v2 for k2, v2 in data.items() if k2 != "geometry"}
                attrs["length"] = float(data["length"]) * share
                attrs["travel_time"] = running * share + end_delay
                attrs["junction_delay_s"] = end_delay
                attrs["geometry"] = part
                plan.new_edges.append((x, y, attrs))
            plan.split_edges.append((a, b, k, p))
            anchors.extend([a, b])
        anchors = list(dict.fromkeys(anchors))
        split_done[split_key] = (p, anchors)
        return p, anchors, "on edge (split)", dist_m, next_id
    if distance <= max_connector_m:
        return nearest, [nearest], "connector", float(distance), next_id
    msg = (
        f"corridor {corridor.id!r}: interchange {number + 1} at [{point.x:.5f}, {point.y:.5f}] is "
        f"{distance / 1000:.1f} km from the network (limit {max_connector_m / 1000:.1f} km); move it "
        "onto a road or use a network that reaches it"
    )
    raise ScenarioError(msg)


def _edge_geometry(G, u, v, k) -> LineString:
    geom = G.edges[u, v, k].get("geometry")
    if geom is None:
        geom = LineString([(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])])
    return geom


def _both_directions(G, u, v, key):
    out = [(u, v, key)]
    if G.has_edge(v, u):
        here = G.edges[u, v, key]
        for k, data in G[v][u].items():
            if abs(float(data.get("length", 0)) - float(here.get("length", 0))) < 1e-6:
                out.append((v, u, k))
                break
    return out


_EDGE_INDEX: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _edge_index(
    G: nx.MultiDiGraph,
) -> tuple[list[tuple[Any, Any, Any]], np.ndarray, shapely.STRtree]:
    cached = _EDGE_INDEX.get(G)
    if cached is not None and len(cached[0]) == G.number_of_edges():
        return cached
    keys = list(G.edges(keys=True))
    geoms = np.array([_edge_geometry(G, u, v, k) for u, v, k in keys], dtype=object)
    cached = (keys, geoms, shapely.STRtree(geoms))
    _EDGE_INDEX[G] = cached
    return cached


def _nearest_edge(G, point, to_metric, pxy):
    """The nearest edge to a point: (u, v, key, distance_m, fraction along), or None."""
    keys, geoms, tree = _edge_index(G)
    radius_deg = edge_tolerance_m / 70_000.0
    window = shapely.box(
        point.x - radius_deg, point.y - radius_deg, point.x + radius_deg, point.y + radius_deg
    )
    best = None
    for i in tree.query(window):
        geom = geoms[i]
        frac = geom.project(point, normalized=True)
        at = geom.interpolate(frac, normalized=True)
        ax, ay = to_metric.transform(at.x, at.y)
        d = math.hypot(ax - pxy[0], ay - pxy[1])
        if best is None or d < best[3]:
            best = (*keys[i], d, frac)
    if best is None or best[4] <= 0.0 or best[4] >= 1.0:
        return None
    return best


def _link(plan: SplicePlan, corridor: Corridor, cnode: Any, anchor: Any, distance: float) -> None:
    """Connect a corridor node to its anchor (a zero-length link, or a connector)."""
    length = max(distance, 0.0)
    connector_s = length / (connector_speed_kph / 3.6)
    board = corridor.access_time_s if corridor.kind == "rail_art" else 0.0
    base = {
        "highway": "connector",
        "name": f"{corridor.title_zh} 匝道",
        "corridor": corridor.id,
        "length": length,
        "oneway": True,
        "capacity": settings.ramp_lanes * settings.capacity_per_lane_pcu["motorway_link"],
        "capacity_source": "ramp (assumption)",
        "vehicles": corridor.vehicles,
    }
    plan.new_edges.append((anchor, cnode, {**base, "travel_time": connector_s + board}))
    plan.new_edges.append((cnode, anchor, {**base, "travel_time": connector_s}))


def apply(
    G: nx.MultiDiGraph,
    corridors: tuple[Corridor, ...] | list[Corridor] | Option,
    *,
    profile: str | None = None,
    speed_scale: float = 1.0,
) -> nx.MultiDiGraph:
    """Return a new graph with corridors spliced in; ``G`` is not changed.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Base graph with ``travel_time``.
    corridors : Option or sequence of Corridor
        What to build.
    profile : str, optional
        Profile for corridor speeds (default: the graph's ``profile``).
    speed_scale : float
        Multiplies corridor speeds.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph: new nodes carry ``x``/``y`` and ``added_by``, new edges ``corridor``; split edges are
        replaced by their two halves. Graph attribute ``scenario`` lists the corridors.
    """
    items = corridors.corridors if isinstance(corridors, Option) else tuple(corridors)
    profile = profile or G.graph.get("profile", "car")
    plan = plan_splice(G, items, profile=profile, speed_scale=speed_scale)
    H = G.copy()
    for node, (x, y) in plan.new_nodes.items():
        # Marked so places keep joining the network where they join the base graph: a split
        # point is not a new access to a facility.
        H.add_node(node, x=x, y=y, added_by="scenario")
    for u, v, k, _ in plan.split_edges:
        if H.has_edge(u, v, k):
            H.remove_edge(u, v, k)
    for u, v, attrs in plan.new_edges:
        H.add_edge(u, v, **attrs)
    H.graph["scenario"] = ", ".join(c.id for c in items)
    H.graph["splice_report"] = plan.report
    return H


def _default_network() -> str:
    from sanqu_geo import network

    return network.default_network()
