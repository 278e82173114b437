"""Demand for other periods of the day and for future years, built from the demand in use.

Periods reshape the modelled morning peak hour: the evening peak is its transpose, an average
inter-peak hour its symmetrised OD times a factor. Years grow it by the growth-factor (Fratar)
method: each zone's row and column totals times its growth factor, balanced by
:func:`sanqu_geo.demand.furness` seeded with the base OD. Every period and growth number,
with its source, lives in ``data/demand/forecast.toml``.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import numbers
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sanqu_geo import demand
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import DemandError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "FORECAST_FILE",
    "PERIODS",
    "WINTER",
    "demand_for",
    "growth_factors",
    "growth_table",
    "load_forecast",
    "period_hours_per_year",
    "period_table",
    "weekday_equivalents",
    "year_range",
]

FORECAST_FILE = "demand/forecast.toml"

#: Largest forecast file read, bytes (the shipped one is a few kilobytes).
FORECAST_MAX_BYTES: int = 1 * MB

_PERIOD_IDS = ("am_peak", "pm_peak", "inter_peak")
_RULE_KEYS = ("annual_rate", "district_trend", "path")
_GROUP_KEYS = {"zones", "kinds", "classes", "units", "source", *_RULE_KEYS}
_YEAR = (1900, 2200)
_RATE = (-0.5, 1.0)
# table → its number fields with their ranges, and its text fields (sources, names)
_TABLES: dict[str, tuple[dict[str, tuple[float, float]], tuple[str, ...]]] = {
    "base": ({"year": _YEAR, "first_year": _YEAR, "last_year": _YEAR}, ("source",)),
    "days": (
        {"weekdays": (0, 366), "weekend_days": (0, 366), "weekend_factor": (0, 1)},
        ("source",),
    ),
    "winter": (
        {"capacity_factor": (1e-9, 1), "days": (0, 366)},
        ("capacity_source", "days_source"),
    ),
    "period": ({"hours_per_day": (1e-9, 24), "factor": (0, 10)}, ("name_zh", "name_en", "source")),
    "districts": ({"floor": (-0.5, 0), "cap": (0, 1)}, ("source", "floor_source", "cap_source")),
    "trip_rate": ({"annual_rate": _RATE}, ("source",)),
    "path": (
        dict.fromkeys(("base_year", "base_value", "target_year", "target_value"), (1e-9, 1e9)),
        (),
    ),
}
_TOLERANCE, _MAX_ITERATIONS = 1e-10, 10_000  # Furness, relative to the total trips
_CACHE_SIZE = 32
_CACHE: dict[tuple, demand.Demand] = {}
_LOADED: dict[tuple, dict[str, Any]] = {}


def _check(table: Any, kind: str | tuple, where: str, *, also: set[str] = frozenset()) -> dict:
    """Check a table of a kind of :data:`_TABLES` (or given as ``(ranges, texts)``): numbers in
    range, non-empty texts, no other fields."""
    ranges, texts = _TABLES[kind] if isinstance(kind, str) else kind
    check_keys(table, {*ranges, *texts, *also}, where, error=DemandError)
    for key, (low, high) in ranges.items():
        value = table.get(key)
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not ok or not low <= value <= high:
            msg = f"{where} {key} must be a number from {low:g} to {high:g} (found {value!r})"
            raise DemandError(msg)
    for key in texts:
        if not isinstance(table.get(key), str) or not table[key].strip():
            msg = f'{where} needs `{key} = "..."`: the fact it comes from, or "assumption ..."'
            raise DemandError(msg)
    return table


def _check_group(table: Any, where: str, census: set[str]) -> None:
    check_keys(table, _GROUP_KEYS, where, error=DemandError)
    rules = [k for k in _RULE_KEYS if k in table]
    if len(rules) != 1 or not str(table.get("source", "")).strip():
        msg = f"{where} needs a source and exactly one of {', '.join(_RULE_KEYS)} (found {rules})"
        raise DemandError(msg)
    if "annual_rate" in table:
        _check({"annual_rate": table["annual_rate"], "source": "-"}, "trip_rate", where)
    if table.get("district_trend", "all") not in census | {"all"}:
        msg = f"{where} district_trend must be one of {', '.join(sorted(census))} or 'all'"
        raise DemandError(msg)
    path = _check(table["path"], "path", f"{where} path") if "path" in table else None
    if path and path["target_year"] <= path["base_year"]:
        msg = f"{where} path: target_year must come after base_year"
        raise DemandError(msg)
    for key in ("zones", "kinds", "classes"):
        if not all(isinstance(x, str) for x in table.get(key, [])) or isinstance(
            table.get(key), str
        ):
            msg = f'{where} {key} must be a list of names, e.g. {key} = ["a", "b"]'
            raise DemandError(msg)
    if set(table.get("classes", demand.CLASSES)) - set(demand.CLASSES):
        msg = f"{where} classes must be among {', '.join(demand.CLASSES)}"
        raise DemandError(msg)


def _check_growth(growth: Any, where: str) -> None:
    check_keys(growth, {"districts", "trip_rate", "groups", "default"}, where, error=DemandError)
    populations = {"population_2010", "population_2020"}
    districts = _check(growth.get("districts"), "districts", f"{where}.districts", also=populations)
    first, second = (districts.get(k) for k in sorted(populations))
    if not isinstance(first, dict) or not first or set(first) != set(second or {}):
        msg = f"{where}.districts: population_2010 and population_2020 must name the same districts"
        raise DemandError(msg)
    for name in populations:
        _check(districts[name], (dict.fromkeys(first, (1, 1e9)), ()), f"{where}.districts.{name}")
    _check(growth.get("trip_rate"), "trip_rate", f"{where}.trip_rate")
    for name, table in growth.get("groups", {}).items():
        _check_group(table, f"{where}.groups.{name}", set(first))
    _check_group(growth.get("default"), f"{where}.default", set(first))


def load_forecast(path: str | Path | None = None) -> dict[str, Any]:
    """Read and check the periods and growth assumptions (default: ``data/demand/forecast.toml``).

    Parameters
    ----------
    path : path-like, optional
        A file of the same form.

    Returns
    -------
    dict
        ``base``, ``periods``, ``days``, ``winter`` and ``growth`` tables as in the file.

    Raises
    ------
    DemandError
        When a table or number is missing or out of range, a source is missing, or the
        periods' equivalent hours do not add up to the daily expansion of the demand parameters.
    DataSourceError
        When the file is missing, not a regular file, or larger than
        :data:`FORECAST_MAX_BYTES`.
    """
    if path is not None and not isinstance(path, str | os.PathLike):
        msg = f"path must be the name of a forecast file (.toml), got {path!r}"
        raise DemandError(msg)
    path = Path(path) if path is not None else data_file(FORECAST_FILE)
    check_input_file(path, what="forecast file", max_bytes=FORECAST_MAX_BYTES)
    stamp = (str(path), path.stat().st_mtime_ns if path.is_file() else 0)
    if stamp in _LOADED:
        return _LOADED[stamp]
    data = read_toml(path, what="forecast file", error=DemandError)
    check_keys(data, {"base", "days", "winter", "periods", "growth"}, str(path), error=DemandError)
    for kind in ("base", "days", "winter"):
        _check(data.get(kind), kind, f"{path}: [{kind}]")
    base, days, periods = data["base"], data["days"], data.get("periods")
    if not base["first_year"] <= base["year"] <= base["last_year"]:
        msg = f"{path}: [base] needs first_year ≤ year ≤ last_year"
        raise DemandError(msg)
    if days["weekdays"] + days["weekend_days"] > 366:
        msg = f"{path}: [days] weekdays + weekend_days is more than a year"
        raise DemandError(msg)
    check_keys(periods, set(_PERIOD_IDS), f"{path}: [periods]", error=DemandError)
    for pid in _PERIOD_IDS:
        _check(periods.get(pid), "period", f"{path}: [periods.{pid}]")
    if periods["am_peak"]["factor"] != 1 or periods["am_peak"]["hours_per_day"] != 1:
        msg = f"{path}: [periods.am_peak] is the modelled hour: set factor and hours_per_day to 1"
        raise DemandError(msg)
    total = sum(float(p["hours_per_day"]) * float(p["factor"]) for p in periods.values())
    expansion = float(demand.load_parameters()["daily"]["expansion_factor"])
    if not math.isclose(total, expansion, rel_tol=1e-6):
        msg = (
            f"{path}: [periods] hours_per_day × factor add up to {total:.6g} peak hours a day, "
            f"but the daily expansion is {expansion:g} (parameters.toml [daily]); change the "
            "inter-peak factor or hours so that they match"
        )
        raise DemandError(msg)
    _check_growth(data.get("growth"), f"{path}: [growth]")
    _LOADED[stamp] = data
    return data


#: The periods of a weekday (``am_peak``, ``pm_peak``, ``inter_peak``) from forecast.toml.
PERIODS: dict[str, dict[str, Any]] = load_forecast()["periods"]
#: The winter variant: ``capacity_factor`` of road capacity on ``days`` days a year.
WINTER: dict[str, Any] = load_forecast()["winter"]


def period_table() -> pd.DataFrame:
    """The periods of a weekday, for the Assumptions sheet.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``name_zh``, ``name_en``, ``hours_per_day`` (equivalent hours in a weekday),
        ``factor`` (× the AM peak hour's OD, transposed or symmetrised), ``source``.
    """
    periods = load_forecast()["periods"]
    columns = ["name_zh", "name_en", "hours_per_day", "factor", "source"]
    rows = [{"id": pid, **{k: periods[pid][k] for k in columns}} for pid in _PERIOD_IDS]
    return pd.DataFrame(rows, columns=["id", *columns])


def period_hours_per_year(*, season: str = "all") -> dict[str, float]:
    """Equivalent hours a year of each period, to annualise a saving in one hour of it.

    Parameters
    ----------
    season : {"all", "winter", "other"}
        The whole year, only the winter days (``[winter] days``), or the rest; winter and
        other add up to all.

    Returns
    -------
    dict
        Period id → hours a year: ``hours_per_day`` × weekday-equivalent days (weekdays +
        weekend days × weekend factor) × the season's share of the days.

    Raises
    ------
    DemandError
        For an unknown season.
    """
    if not isinstance(season, str):
        msg = f"season must be one of all, winter, other, got {season!r}"
        raise DemandError(msg)
    spec = load_forecast()
    days = spec["days"]
    per_year = days["weekdays"] + days["weekend_days"] * days["weekend_factor"]
    winter = min(spec["winter"]["days"] / (days["weekdays"] + days["weekend_days"]), 1.0)
    shares = {"all": 1.0, "winter": winter, "other": 1.0 - winter}
    if season not in shares:
        msg = f"season {season!r} is unknown; use one of {', '.join(shares)}"
        raise DemandError(msg)
    periods = spec["periods"]
    return {
        pid: float(periods[pid]["hours_per_day"]) * per_year * shares[season] for pid in periods
    }


# --------------------------------------------------------------------------- growth


def _rules(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every growth rule: label → ``group``, ``applies_to``, ``annual_rate`` (compound, applied
    from the base year), ``path`` (or None), ``source``. Labels: ``district:<id>`` (the census
    trend clipped, times the trip-rate growth), ``group:<name>``, ``default``."""
    growth = spec["growth"]
    first = growth["districts"]["population_2010"]
    second = growth["districts"]["population_2020"]
    trend = {k: (second[k] / first[k]) ** 0.1 - 1.0 for k in first}  # 2010 → 2020 compound
    trend["all"] = (sum(second.values()) / sum(first.values())) ** 0.1 - 1.0
    floor, cap = growth["districts"]["floor"], growth["districts"]["cap"]
    trip = float(growth["trip_rate"]["annual_rate"])
    out: dict[str, dict[str, Any]] = {}
    for name in first:
        rate = min(max(trend[name], floor), cap)
        note = ""
        if rate != trend[name]:
            why = growth["districts"]["floor_source" if rate == floor else "cap_source"]
            note = f"; trend {trend[name]:+.2%}/yr held at {rate:+.2%}/yr ({why})"
        out[f"district:{name}"] = {
            "group": "district",
            "applies_to": f"{name} residents (car, truck)",
            "annual_rate": (1 + rate) * (1 + trip) - 1,
            "path": None,
            "source": growth["districts"]["source"] + note,
        }
    for name, g in {**growth.get("groups", {}), "default": growth["default"]}.items():
        p = g.get("path")
        if p:
            rate = (p["target_value"] / p["base_value"]) ** (
                1 / (p["target_year"] - p["base_year"])
            )
            rate -= 1
        else:
            rate = float(g.get("annual_rate", trend[g.get("district_trend", "all")]))
        applies = ", ".join([*g.get("zones", []), *g.get("kinds", [])]) or "any other zone"
        out["default" if name == "default" else f"group:{name}"] = {
            "group": name,
            "applies_to": f"{applies} ({', '.join(g.get('classes', demand.CLASSES))})",
            "annual_rate": rate,
            "path": p,
            "source": g["source"],
        }
    out["trip_rate"] = {
        "group": "trip_rate",
        "applies_to": "vehicle trips per resident (in the district factors)",
        "annual_rate": trip,
        "path": None,
        "source": growth["trip_rate"]["source"],
    }
    return out


def _factor(rule: dict[str, Any], year: int, base: int) -> float:
    """A rule's growth factor from the base year to ``year``; a path is flat before its base
    year (the demand was sized on it) and after its target year (the capacity is reached)."""
    p = rule["path"]
    if p is None:
        return (1.0 + rule["annual_rate"]) ** (year - base)
    span = p["target_year"] - p["base_year"]
    done = min(max(year - p["base_year"], 0), span)
    return (p["target_value"] / p["base_value"]) ** (done / span)


def _zone_rules(zones: pd.DataFrame, spec: dict[str, Any]) -> dict[str, list[str]]:
    """Per class, the label of the rule each zone grows by (a group first, then its district)."""
    groups = spec["growth"].get("groups", {})
    census = set(spec["growth"]["districts"]["population_2010"])
    ids = zones["id"].astype(str).tolist()
    kinds = zones["kind"].astype(str).tolist() if "kind" in zones else [""] * len(ids)
    district = zones["district"].tolist() if "district" in zones else [None] * len(ids)
    out: dict[str, list[str]] = {}
    for cls in demand.CLASSES:
        labels = []
        for zid, kind, dist in zip(ids, kinds, district, strict=True):
            home = dist if dist in census else zid if zid in census else None
            label = f"district:{home}" if home else "default"
            for name, g in groups.items():
                if cls in g.get("classes", demand.CLASSES) and (
                    zid in g.get("zones", []) or kind in g.get("kinds", [])
                ):
                    label = f"group:{name}"
                    break
            labels.append(label)
        out[cls] = labels
    return out


def weekday_equivalents() -> float:
    """Weekday-equivalent days a year (weekdays + weekend days × the weekend factor)."""
    days = load_forecast()["days"]
    return float(days["weekdays"] + days["weekend_days"] * days["weekend_factor"])


def year_range() -> tuple[int, int]:
    """The first (base) and last year :func:`demand_for` accepts (``[base]`` of forecast.toml)."""
    spec = load_forecast()
    return int(spec["base"]["first_year"]), int(spec["base"]["last_year"])


def _check_demand(d: Any) -> None:
    if not isinstance(d, demand.Demand):
        msg = (
            f"d must be a sanqu_geo.demand.Demand (e.g. demand.load_demand()), "
            f"got {type(d).__name__}"
        )
        raise DemandError(msg)


def _check_year(year: Any, spec: dict[str, Any]) -> int:
    first, last = int(spec["base"]["first_year"]), int(spec["base"]["last_year"])
    ok = isinstance(year, numbers.Integral) and not isinstance(year, bool)
    if not ok or not first <= year <= last:
        msg = (
            f"year {year!r} is outside the forecast range {first}–{last} "
            f"({FORECAST_FILE} [base] first_year/last_year); give a year in it"
        )
        raise DemandError(msg)
    return int(year)


def growth_factors(d: demand.Demand, *, year: int) -> pd.DataFrame:
    """Growth factor of each zone and class from the base year to ``year``.

    Parameters
    ----------
    d : Demand
        The demand whose zones grow.
    year : int
        Forecast year, within ``[base] first_year``–``last_year`` of forecast.toml.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``car``, ``truck`` (factors of the zone's row and column totals) and
        ``car_rule``, ``truck_rule`` (``district:<id>``, ``group:<name>`` or ``default``).

    Raises
    ------
    DemandError
        When ``d`` is not a Demand or the year is outside the range.
    """
    _check_demand(d)
    spec = load_forecast()
    year = _check_year(year, spec)
    rules = _rules(spec)
    out = pd.DataFrame({"id": d.zones["id"].astype(str).to_numpy()})
    for cls, labels in _zone_rules(d.zones, spec).items():
        base = int(spec["base"]["year"])
        out[cls] = [_factor(rules[label], year, base) for label in labels]
        out[f"{cls}_rule"] = labels
    return out


def growth_table(d: demand.Demand, *, years: tuple[int, ...] = (2025, 2035)) -> pd.DataFrame:
    """The growth assumptions as applied to a demand, for the Assumptions sheet.

    Parameters
    ----------
    d : Demand
        The demand (to count the zones each rule applies to).
    years : tuple of int
        Forecast years to show factors for.

    Returns
    -------
    pandas.DataFrame
        ``group`` (``district`` or the group's name), ``applies_to``, ``annual_rate`` (the rate
        used; for a path, over its span), ``factor_<year>`` for each year, ``zones`` (zones of
        ``d`` it applies to, any class), ``source``. Residents' factors include the trip rate.

    Raises
    ------
    DemandError
        When ``d`` is not a Demand, or ``years`` is not a list of years within the range.
    """
    _check_demand(d)
    if isinstance(years, str | bytes) or not isinstance(years, tuple | list):
        msg = f"years must be a list of years such as (2025, 2035), got {years!r}"
        raise DemandError(msg)
    spec = load_forecast()
    years = tuple(_check_year(y, spec) for y in years)
    per_zone = [set(labels) for labels in zip(*_zone_rules(d.zones, spec).values(), strict=True)]
    rows = []
    for label, rule in _rules(spec).items():
        row = {k: rule[k] for k in ("group", "applies_to", "annual_rate")}
        row.update({f"factor_{y}": _factor(rule, y, spec["base"]["year"]) for y in years})
        home = label == "trip_rate"  # part of every resident zone's district factor
        row["zones"] = sum(
            any(x.startswith("district:") for x in labels) if home else label in labels
            for labels in per_zone
        )
        rows.append({**row, "source": rule["source"]})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- demand


def _grow(base: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Fratar: rows × factor exactly, columns × factor as weights, the pattern of ``base`` kept."""
    rows = base.sum(axis=1) * factor
    if rows.sum() <= 0:
        return base.copy()
    cols = base.sum(axis=0) * factor
    grown = demand.furness(rows, cols, base, tolerance=_TOLERANCE, max_iterations=_MAX_ITERATIONS)
    sums = grown.sum(axis=1)  # end on the rows: each zone's production is met to rounding
    return grown * np.divide(rows, sums, out=np.zeros_like(rows), where=sums > 0)[:, None]


def demand_for(d: demand.Demand, *, year: int = 2020, period: str = "am_peak") -> demand.Demand:
    """The demand of one period of a weekday in one year, from the morning peak hour ``d``.

    Parameters
    ----------
    d : Demand
        The demand in use (morning peak hour of the base year 2020), e.g.
        :func:`sanqu_geo.demand.load_demand`.
    year : int
        Forecast year, 2020 (the base, the census year of the model) to 2035: each zone's
        trips grow by :func:`growth_factors`, balanced by Furness seeded with ``d``'s OD.
    period : {"am_peak", "pm_peak", "inter_peak"}
        The AM OD as is, transposed, or symmetrised × the inter-peak factor (:data:`PERIODS`).

    Returns
    -------
    Demand
        Same zones, pce and expansion factor (still AM peak hour → day), vehicles per hour of
        the period; ``source`` ends with ``· <year> · <period>``. Cached on (``d.key()``, year,
        period): do not change the returned OD in place.

    Raises
    ------
    DemandError
        When ``d`` is not a Demand, for a year outside the range or an unknown period.
    """
    _check_demand(d)
    spec = load_forecast()
    periods = spec["periods"]
    if not isinstance(period, str) or period not in periods:
        msg = f"period {period!r} is unknown; use one of {', '.join(periods)} ({FORECAST_FILE})"
        raise DemandError(msg)
    year = _check_year(year, spec)
    key = (d.key(), year, period, id(spec))
    if key in _CACHE:
        return _CACHE[key]
    ids = d.zones["id"].astype(str).tolist()
    if year == spec["base"]["year"] and period == "am_peak":
        od = d.od.copy()
    else:
        mats = {c: d.matrix(c).to_numpy(dtype=float) for c in demand.CLASSES}  # zones × zones
        if year != spec["base"]["year"]:
            factors = growth_factors(d, year=year)
            mats = {c: _grow(m, factors[c].to_numpy()) for c, m in mats.items()}
        shape = {"am_peak": lambda m: m, "pm_peak": np.transpose}
        shape["inter_peak"] = lambda m: (m + m.T) / 2
        f = float(periods[period]["factor"])
        od = demand._long(ids, {c: f * shape[period](m) for c, m in mats.items()})
    source = f"{d.source} · {year} · {periods[period]['name_en']}"
    result = dataclasses.replace(d, od=od, source=source)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = result
    logger.debug("demand for %s, %s: %s", year, period, result.totals())
    return result
