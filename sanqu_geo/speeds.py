"""Speeds and travel-time profiles: OSM ``maxspeed`` parsing, class defaults, profile factors.

Adds ``speed_kph`` and ``travel_time`` to the edges of a road graph. Profiles are data in
:mod:`sanqu_geo.settings`, overridable from a TOML file. Never reads a road network itself.
"""

from __future__ import annotations

import copy
import logging
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from sanqu_geo import settings
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import SettingsError

logger = logging.getLogger(__name__)

__all__ = [
    "add_speeds",
    "class_speed_kph",
    "get_profile",
    "km_by",
    "km_by_class",
    "load_profiles",
    "parse_maxspeed",
]

_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)
_NO_LIMIT = {"none", "signals", "variable", "walk", "no", "unknown", ""}


def parse_maxspeed(value: Any) -> float | None:
    """Parse an OSM ``maxspeed`` value into km/h.

    Parameters
    ----------
    value : str, number, list or None
        ``"60"``, ``"60 km/h"``, ``"30 mph"``, ``"60;80"`` (mean of the parts), a list of such
        values (from a simplified osmnx edge), or a zone value such as ``"CN:urban"``.

    Returns
    -------
    float or None
        The speed in km/h, or None when the value gives no usable limit (missing, ``none``,
        ``signals``, junk); the caller then uses the road class default.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) and value > 0 else None
    if isinstance(value, list | tuple):
        parts = [parse_maxspeed(v) for v in value]
    else:
        text = str(value).strip()
        if text.lower() in _NO_LIMIT:
            return None
        if ";" in text or "|" in text:
            parts = [parse_maxspeed(v) for v in re.split(r"[;|]", text)]
        else:
            return _parse_single(text)
    usable = [p for p in parts if p is not None]
    return sum(usable) / len(usable) if usable else None


def _parse_single(text: str) -> float | None:
    if text in settings.maxspeed_zones_kph:
        return settings.maxspeed_zones_kph[text]
    match = _NUMBER.match(text)
    if match is None:
        return None
    speed = float(match.group(1))
    unit = (match.group(2) or "").lower()
    if unit == "mph":
        speed *= _MPH
    elif unit == "knots":
        speed *= 1.852
    return speed if speed > 0 else None


def class_speed_kph(highway: Any) -> float:
    """Return the default free-flow speed for an OSM road class.

    Parameters
    ----------
    highway : str or list of str
        The ``highway`` value; a list (a simplified osmnx edge) gives the mean of its classes.

    Returns
    -------
    float
        Speed in km/h from :data:`settings.default_speeds_kph`.
    """
    if isinstance(highway, list | tuple):
        speeds = [class_speed_kph(h) for h in highway]
        return sum(speeds) / len(speeds) if speeds else settings.fallback_speed_kph
    return float(settings.default_speeds_kph.get(str(highway), settings.fallback_speed_kph))


def _first_class(highway: Any) -> str:
    if isinstance(highway, list | tuple):
        return str(highway[0]) if highway else ""
    return str(highway)


def get_profile(name: str) -> dict[str, Any]:
    """Return a travel-time profile by name.

    Parameters
    ----------
    name : str
        ``car``, ``car_peak``, ``truck``, ``winter`` or one defined in a profiles file.

    Returns
    -------
    dict
        The profile (a copy).

    Raises
    ------
    SettingsError
        If no profile has that name.
    """
    try:
        return copy.deepcopy(settings.profiles[name])
    except KeyError:
        msg = f"unknown profile {name!r}: use one of {', '.join(settings.profiles)}"
        raise SettingsError(msg) from None


def profile_value(table: dict[str, float], highway: str) -> float | None:
    """Look up a profile table (``factor`` or ``cap_kph``) by road class, else its ``default``."""
    if highway in table:
        return float(table[highway])
    if "default" in table:
        return float(table["default"])
    return None


def add_speeds(G: nx.MultiDiGraph, *, profile: str = "car") -> nx.MultiDiGraph:
    """Set ``speed_kph`` and ``travel_time`` on every edge, for one profile.

    The free-flow speed is the edge's parsed ``maxspeed`` where present, else its class
    default; the profile then caps it and multiplies it by its factor. Junk ``maxspeed``
    values fall back to the class default with one warning naming how many edges had them.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Graph with edge ``length`` (metres) and ``highway``; modified in place.
    profile : str
        Profile name.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph, with edge attributes ``speed_kph`` (km/h) and ``travel_time``
        (seconds) added, and graph attribute ``profile``.
    """
    prof = get_profile(profile)
    junk: dict[str, int] = {}
    implausible: dict[str, int] = {}
    for _, _, data in G.edges(data=True):
        highway = _first_class(data.get("highway", ""))
        raw = data.get("maxspeed")
        speed = parse_maxspeed(raw)
        if speed is not None and speed > settings.max_speed_kph:
            implausible[str(raw)] = implausible.get(str(raw), 0) + 1
            speed = None
        if speed is None:
            if (
                raw is not None
                and str(raw).strip().lower() not in _NO_LIMIT
                and str(raw) not in implausible
            ):
                junk[str(raw)] = junk.get(str(raw), 0) + 1
            speed = class_speed_kph(data.get("highway", ""))
        speed = min(speed, settings.max_speed_kph)
        cap = profile_value(prof["cap_kph"], highway)
        if cap is not None:
            speed = min(speed, cap)
        if data.get("source") == "osm" and highway not in settings.grade_separated_classes:
            speed *= settings.city_free_flow_factor
        speed *= profile_value(prof["factor"], highway) or 1.0
        data["speed_kph"] = round(speed, 3)
        data["travel_time"] = float(data["length"]) / (speed / 3.6) + float(
            data.get("junction_delay_s", 0.0)
        )
    if junk:
        examples = ", ".join(repr(k) for k in sorted(junk)[:5])
        logger.warning(
            "%d edges have a maxspeed that cannot be read (%s); they use their class default",
            sum(junk.values()),
            examples,
        )
    if implausible:
        examples = ", ".join(repr(k) for k in sorted(implausible)[:5])
        logger.warning(
            "%d edges have a maxspeed above the plausible maximum of %g km/h (%s); "
            "they use their class default",
            sum(implausible.values()),
            settings.max_speed_kph,
            examples,
        )
    G.graph["profile"] = profile
    return G


_PROFILE_KEYS = {"description_zh", "description_en", "factor", "cap_kph", "respect_bans", "base"}


def load_profiles(path: str | Path) -> list[str]:
    """Read profiles from a TOML file into :data:`settings.profiles`.

    Each ``[profiles.NAME]`` table may set ``base`` (an existing profile to start from),
    ``factor`` and ``cap_kph`` (tables by road class, with ``default``), ``respect_bans`` and
    descriptions. A new name defines a new profile; an existing one is updated.

    Parameters
    ----------
    path : path-like
        The TOML file.

    Returns
    -------
    list of str
        The profile names defined or updated.

    Raises
    ------
    SettingsError
        On TOML syntax errors, unknown keys, unknown road classes or non-positive numbers;
        the message names the file, the profile and the field.
    """
    path = Path(path)
    data = read_toml(path, what="profiles file", error=SettingsError)
    unknown = set(data) - {"profiles"}
    if unknown:
        msg = f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; use [profiles.NAME] tables"
        raise SettingsError(msg)
    tables = data.get("profiles", {})
    if not isinstance(tables, dict):
        msg = f"{path}: 'profiles' must be [profiles.NAME] tables"
        raise SettingsError(msg)
    built: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        where = f"{path}: profile {name!r}"
        if not isinstance(table, dict):
            msg = f"{where}: must be a table"
            raise SettingsError(msg)
        check_keys(table, _PROFILE_KEYS, where, error=SettingsError)
        for key in ("factor", "cap_kph"):
            if key in table:
                _check_class_table(table[key], f"{where}: {key}")
    # Bases may be defined later in the same file; a chain of bases that returns to itself
    # is a cycle, reported as such. Nothing is changed unless every profile is valid.
    for name in tables:
        _build_profile(name, tables, built, path, [])
    settings.profiles.update(built)
    return list(tables)


def _build_profile(
    name: str,
    tables: dict[str, Any],
    built: dict[str, dict[str, Any]],
    path: Path,
    chain: list[str],
) -> dict[str, Any]:
    if name in built:
        return built[name]
    where = f"{path}: profile {name!r}"
    table = tables[name]
    if name in chain:
        cycle = " → ".join([*chain[chain.index(name) :], name])
        msg = f"{path}: the base profiles form a cycle ({cycle}); let one start from car"
        raise SettingsError(msg)
    base_name = table.get("base", name if name in settings.profiles else "car")
    if not isinstance(base_name, str):
        msg = f"{where}: field 'base': {base_name!r} is not a profile name"
        raise SettingsError(msg)
    if base_name in tables and base_name != name:
        base = _build_profile(base_name, tables, built, path, [*chain, name])
    elif base_name == name and name not in settings.profiles:
        msg = f"{path}: the base profiles form a cycle ({name} → {name}); let it start from car"
        raise SettingsError(msg)
    elif base_name in settings.profiles:
        base = settings.profiles[base_name]
    else:
        msg = f"{where}: base profile {base_name!r} is unknown; use one of {', '.join([*settings.profiles, *tables])}"
        raise SettingsError(msg)
    profile = copy.deepcopy(base)
    for key in ("factor", "cap_kph"):
        if key in table:
            profile[key] = {**profile[key], **_check_class_table(table[key], f"{where}: {key}")}
    if "respect_bans" in table:
        if not isinstance(table["respect_bans"], bool):
            msg = f"{where}: field 'respect_bans': {table['respect_bans']!r} must be true or false"
            raise SettingsError(msg)
        profile["respect_bans"] = table["respect_bans"]
    for key in ("description_zh", "description_en"):
        if key in table:
            profile[key] = str(table[key])
    built[name] = profile
    return profile


def _check_class_table(table: Any, where: str) -> dict[str, float]:
    if not isinstance(table, dict):
        msg = f"{where}: must be a table of road class = number"
        raise SettingsError(msg)
    known = set(settings.default_speeds_kph) | {"default"}
    out = {}
    for key, value in table.items():
        if key not in known:
            msg = f"{where}: unknown road class {key!r}; use one of {', '.join(sorted(known))}"
            raise SettingsError(msg)
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
            or value <= 0
        ):
            msg = f"{where}.{key}: {value!r} must be a positive number"
            raise SettingsError(msg)
        if where.endswith(": factor") and value > settings.max_profile_factor:
            msg = f"{where}.{key}: {value!r} is implausible; a factor is at most {settings.max_profile_factor:g}"
            raise SettingsError(msg)
        out[key] = float(value)
    return out


def km_by_class(G: nx.MultiDiGraph, *, classes: Iterable[str] | None = None) -> dict[str, float]:
    """Sum edge lengths by road class, counting each two-way road once.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with ``length`` and ``highway``.
    classes : iterable of str, optional
        Restrict to these classes.

    Returns
    -------
    dict
        Kilometres by class, largest first.
    """
    wanted = set(classes) if classes is not None else None
    totals = km_by(G, lambda data: _first_class(data.get("highway", "")))
    return {c: km for c, km in totals.items() if wanted is None or c in wanted}


def km_by(G: nx.MultiDiGraph, key: Callable[[dict], str]) -> dict[str, float]:
    """Sum edge lengths by ``key(edge data)``, counting each two-way road once.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph with ``length``.
    key : callable
        The group of an edge from its attributes; edges whose key is ``""`` are left out.

    Returns
    -------
    dict
        Kilometres by group, largest first.
    """
    totals: dict[str, float] = {}
    seen: set[tuple] = set()
    for u, v, k, data in G.edges(keys=True, data=True):
        if (v, u, k) in seen and not data.get("oneway", False):
            continue
        seen.add((u, v, k))
        group = key(data)
        if group:
            totals[group] = totals.get(group, 0.0) + float(data["length"]) / 1000.0
    return dict(sorted(totals.items(), key=lambda kv: -kv[1]))
