"""Monte-Carlo sensitivity of the congested comparison: draws of demand, capacity, PCE, the
conical volume-delay steepness and the structural parameters of the default demand.

Owns the parameter distributions (a TOML file, shipped with defaults), the draws (one
``numpy`` generator per draw, spawned from the seed, so a draw's values never depend on where
or in which order it runs), the rejection of draws whose base network falls outside the delay
index the demand was calibrated to, the independent units of work (one option under one draw,
solved at the comparison's gap), and the summary: per option the distribution of peak-hour
vehicle-hours saved and the probability that it ranks first, with their standard errors.
Never draws maps.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import demand, network, peak, resources, scenarios
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import ScenarioError, SettingsError
from sanqu_geo.scaleout import Runner

logger = logging.getLogger(__name__)

__all__ = [
    "PARAMETERS",
    "STRUCTURAL",
    "Distribution",
    "MonteCarlo",
    "calibration_band",
    "check_draws",
    "draw_parameters",
    "load_distributions",
    "markdown",
    "run",
    "structural_parameters",
    "write_outputs",
]

#: The drawn parameters, in the order each draw's generator is used (new parameters go at
#: the end, so that the earlier ones keep their values for a given seed).
PARAMETERS: tuple[str, ...] = (
    "demand_growth",
    "capacity",
    "truck_pce",
    "conical_alpha",
    "beta_car",
    "generator_trips",
    "intrazonal_minutes",
)

#: Parameters of the default demand's generation, each a multiplier on the value the demand
#: was built with: a draw that changes one regenerates the demand.
STRUCTURAL: tuple[str, ...] = ("beta_car", "generator_trips", "intrazonal_minutes")

#: What each parameter changes, as :class:`sanqu_geo.peak.Variant` field names.
_VARIANT_FIELD = {
    "demand_growth": "demand_scale",
    "capacity": "capacity_scale",
    "truck_pce": "truck_pce",
    "conical_alpha": "conical_alpha",
}

_FIELDS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd", "low", "high"),
}

#: Savings within this many vehicle-hours of the best share first place (the comparison's
#: ranking treats savings 0.5 veh·h apart as equal: solver noise, not a difference).
tie_vehicle_hours: float = 0.5

#: Fewest draws that must pass the calibration band: at least this many (or all of them, when
#: fewer are drawn) ...
min_accepted: int = 2
#: ... and at least this share of the draws. Below it the distributions describe another city
#: than the one the demand was calibrated to, and the probabilities would rest on a few draws.
min_accepted_share: float = 0.25

#: Most Monte-Carlo draws of one run. Each draw solves the base and every road option (about a
#: second on the city network); the standard error of a mean falls as 1/√n, so 100,000 draws
#: already give 0.3 % of the spread, and more would only run for days and fill the memory.
max_draws: int = 100_000

#: Largest distributions file (bytes): a few tables of numbers.
max_parameters_bytes: int = 1 * MB

#: Rejection reasons, as written in the draws table.
BELOW, ABOVE = "below band", "above band"


@dataclasses.dataclass(frozen=True)
class Distribution:
    """One parameter's distribution.

    Attributes
    ----------
    kind : {"fixed", "uniform", "triangular", "normal"}
        Family.
    values : dict
        Its numbers (see :data:`_FIELDS`).
    source : str
        Where the spread comes from, or ``assumption``.
    """

    kind: str
    values: dict[str, float]
    source: str = "assumption"

    def sample(self, rng: np.random.Generator) -> float:
        """One value drawn with ``rng``."""
        v = self.values
        if self.kind == "fixed":
            return float(v["value"])
        if self.kind == "uniform":
            return float(rng.uniform(v["low"], v["high"]))
        if self.kind == "triangular":
            if v["low"] == v["high"]:
                return float(v["low"])
            return float(rng.triangular(v["low"], v["mode"], v["high"]))
        while True:  # normal, truncated by redrawing (deterministic for a given generator)
            x = float(rng.normal(v["mean"], v["sd"]))
            if v["low"] <= x <= v["high"]:
                return x

    def describe(self) -> str:
        """Short text, e.g. ``triangular(0.8, 1, 1.2)``."""
        return f"{self.kind}({', '.join(f'{self.values[f]:g}' for f in _FIELDS[self.kind])})"


def _distribution(name: str, table: Any, where: str) -> Distribution:
    check_keys(
        table, {"distribution", "source", *{f for fs in _FIELDS.values() for f in fs}}, where,
        error=SettingsError,
    )  # fmt: skip
    kind = table.get("distribution")
    if kind not in _FIELDS:
        msg = f"{where}: distribution must be one of {', '.join(_FIELDS)} (got {kind!r})"
        raise SettingsError(msg)
    values: dict[str, float] = {}
    for field in _FIELDS[kind]:
        value = table.get(field)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            msg = f"{where}: a {kind} distribution needs a number `{field}`"
            raise SettingsError(msg)
        values[field] = float(value)
    low = values.get("low", values.get("value", 0.0))
    high = values.get("high", values.get("value", 0.0))
    if low > high or not low <= values.get("mode", low) <= high:
        msg = f"{where}: needs low <= mode <= high"
        raise SettingsError(msg)
    if kind == "normal" and not (values["sd"] > 0 and low <= values["mean"] <= high):
        msg = f"{where}: a normal distribution needs sd > 0 and low <= mean <= high"
        raise SettingsError(msg)
    floor = 1.0 if name == "conical_alpha" else 0.0  # the conical function needs α > 1
    if low <= floor:
        msg = f"{where}: {name} must stay above {floor:g}"
        raise SettingsError(msg)
    return Distribution(kind, values, str(table.get("source", "assumption")))


def load_distributions(path: str | Path | None = None) -> dict[str, Distribution]:
    """Read the parameter distributions: the shipped defaults, overridden by a user's file.

    Parameters
    ----------
    path : path-like, optional
        A TOML file with tables named after :data:`PARAMETERS`; a table left out keeps the
        default (``data/projects/sensitivity.toml``).

    Returns
    -------
    dict
        Parameter name → :class:`Distribution`, in :data:`PARAMETERS` order.

    Raises
    ------
    SettingsError, DataSourceError
        On an unknown parameter or field, a bad number, or an unreadable file.
    """
    default_path = resources.data_file("projects/sensitivity.toml")
    tables = read_toml(default_path, what="sensitivity file", error=SettingsError)
    origin: dict[str, Path] = dict.fromkeys(PARAMETERS, default_path)
    if path is not None:
        path = check_input_file(
            path, what="sensitivity parameters file", max_bytes=max_parameters_bytes
        )
        user = read_toml(path, what="sensitivity file", error=SettingsError)
        check_keys(user, set(PARAMETERS), str(path), error=SettingsError)
        tables.update(user)
        origin.update(dict.fromkeys(user, path))
    return {
        name: _distribution(name, tables[name], f"{origin[name]} [{name}]") for name in PARAMETERS
    }


def check_draws(n: Any) -> int:
    """Check a number of Monte-Carlo draws: a whole number from 1 to :data:`max_draws`.

    Parameters
    ----------
    n : int
        Number of draws (``--sensitivity N``).

    Returns
    -------
    int
        ``n``.

    Raises
    ------
    SettingsError
        When ``n`` is not a whole number, is below 1 or above :data:`max_draws`.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        msg = f"--sensitivity {n!r}: give the number of draws as a whole number"
        raise SettingsError(msg)
    if n < 1:
        msg = f"--sensitivity {n}: give at least 1 draw"
        raise SettingsError(msg)
    if n > max_draws:
        msg = (
            f"--sensitivity {n}: at most {max_draws:,} draws in one run (each solves every "
            f"option); give {max_draws:,} or fewer, e.g. 200 to 1,000"
        )
        raise SettingsError(msg)
    return int(n)


def draw_parameters(
    n: int, *, seed: int, distributions: dict[str, Distribution] | None = None
) -> pd.DataFrame:
    """Draw ``n`` parameter sets; draw ``i`` uses ``SeedSequence(seed).spawn(n)[i]``.

    A draw's values depend on the seed and its index only (not on ``n``, the order of runs,
    or the worker), so the same seed gives the same numbers with or without a cluster.

    Parameters
    ----------
    n : int
        Number of draws (1 to :data:`max_draws`).
    seed : int
        Seed (>= 0).
    distributions : dict, optional
        Default: :func:`load_distributions`.

    Returns
    -------
    pandas.DataFrame
        ``draw`` and one column per parameter.
    """
    n = check_draws(n)
    if seed < 0:
        msg = f"--seed {seed}: give a whole number >= 0"
        raise SettingsError(msg)
    distributions = _complete(distributions)
    rows = []
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(child)
        rows.append({"draw": i, **{p: distributions[p].sample(rng) for p in PARAMETERS}})
    return pd.DataFrame(rows)


def _complete(distributions: dict[str, Distribution] | None) -> dict[str, Distribution]:
    """The distributions given, with the shipped default of any parameter left out."""
    if distributions is not None and all(p in distributions for p in PARAMETERS):
        return {p: distributions[p] for p in PARAMETERS}
    defaults = load_distributions()
    return {p: (distributions or {}).get(p, defaults[p]) for p in PARAMETERS}


def _variant(values: dict[str, float]) -> peak.Variant:
    return peak.Variant(**{field: float(values[p]) for p, field in _VARIANT_FIELD.items()})


def calibration_band(network_: str | None = None) -> tuple[float, float]:
    """The band of the base network delay index the default demand was calibrated to.

    Parameters
    ----------
    network_ : str, optional
        Network name (a ``[networks.<name>.calibration]`` table may override the band).

    Returns
    -------
    (float, float)
        ``delay_index_low``, ``delay_index_high`` of ``[calibration]`` in
        ``data/demand/parameters.toml``.
    """
    params = demand.parameters_for(demand.load_parameters(), demand.network_name(network_))
    cal = params["calibration"]
    return float(cal["delay_index_low"]), float(cal["delay_index_high"])


def structural_parameters(parameters: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of the demand parameters with a draw's structural multipliers applied.

    Parameters
    ----------
    parameters : dict
        One network's demand parameters (:func:`sanqu_geo.demand.parameters_for`); not changed.
    values : dict
        The draw: ``beta_car`` multiplies ``[distribution] beta_car_per_min``;
        ``generator_trips`` every stated trip of the special generators
        (``[[zones.generator]]``) and of the external zones (``[zones_model.external.*]``);
        ``intrazonal_minutes`` the intrazonal time of districts and of model zones.

    Returns
    -------
    dict
        The changed copy.
    """
    import copy

    out = copy.deepcopy(parameters)
    dist = out["distribution"]
    dist["beta_car_per_min"] = float(dist["beta_car_per_min"]) * values["beta_car"]
    rates = [*out["zones"].get("generator", [])]
    rates += list(out.get("zones_model", {}).get("external", {}).values())
    for table in rates:
        for key in ("car_produced", "car_attracted", "truck_produced", "truck_attracted"):
            if key in table:
                table[key] = float(table[key]) * values["generator_trips"]
    for section in (dist, out.get("zones_model", {})):
        if "intrazonal_minutes" in section:
            minutes = float(section["intrazonal_minutes"])
            section["intrazonal_minutes"] = minutes * values["intrazonal_minutes"]
    return out


# --------------------------------------------------------------------------- units of work


@dataclasses.dataclass(frozen=True)
class _Structural:
    """What regenerating the default demand takes: the parameters it was built with and the
    free-flow car minutes between its zones (no draw changes them)."""

    parameters: dict[str, Any]
    minutes: np.ndarray
    token: str  # names these inputs in the per-worker memo of demands


@dataclasses.dataclass(frozen=True)
class _Problem:
    """The base and every road option's assignment graph, and the demand: sent once."""

    options: tuple[str, ...]  # "base" first
    graphs: tuple[nx.MultiDiGraph, ...]
    centroids: tuple[dict[str, Any], ...]
    demand: demand.Demand
    structural: _Structural | None = None  # None: the demand stays as it is in every draw
    # Per unit: its condition's capacity factor and what each task's measure reads from it.
    factors: tuple[float, ...] = ()
    specs: tuple[dict[str, Any] | None, ...] = ()
    # The demands of the latest draws, on each worker (a draw's base and options share one).
    memo: dict[tuple, demand.Demand] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )
    # The latest bases solved on each worker: the options of their draw start from them.
    bases: dict[tuple, peak.PeakRun] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )


_MEMO_SIZE = 4


def _regenerate(
    d: demand.Demand, structural: _Structural, values: dict[str, float]
) -> demand.Demand:
    """The default demand generated again with a draw's structural multipliers; pure."""
    params = structural_parameters(structural.parameters, values)
    generated = demand.generate(d.zones, structural.minutes, params)
    shown = ", ".join(f"{p} × {values[p]:.4g}" for p in STRUCTURAL)
    return demand.Demand(
        zones=d.zones,
        od=demand._long(list(d.zones["id"]), generated),
        source=f"{d.source}; {shown}",
        expansion_factor=d.expansion_factor,
        pce=d.pce,
    )


def _draw_demand(problem: _Problem, values: dict[str, float]) -> demand.Demand:
    """The demand of one draw: the problem's, or regenerated with its structural values."""
    if problem.structural is None or all(values[p] == 1.0 for p in STRUCTURAL):
        return problem.demand
    key = (problem.structural.token, *(float(values[p]) for p in STRUCTURAL))
    found = problem.memo.get(key)
    if found is None:
        found = _regenerate(problem.demand, problem.structural, values)
        while len(problem.memo) >= _MEMO_SIZE:
            problem.memo.pop(next(iter(problem.memo), None), None)
        problem.memo[key] = found
    return found


_BASES_KEPT = 2  # a draw's base, and its base under the closure being solved


def _unit_run(
    problem: _Problem, unit: int, factor: float, values: dict[str, float], gap: float
) -> peak.PeakRun:
    """One unit of one draw solved as :func:`sanqu_geo.peak.solve` solves it, warm start too.

    An option starts from its base under the same closures, a closure's base from the base
    (each solved here first unless this worker holds it), so the result does not depend on
    which worker solves it, nor on what it solved before.
    """
    name = problem.options[unit]
    option, _, condition = name.partition("@")
    key = (tuple(sorted(values.items())), gap, unit, factor)
    if key in problem.bases:
        return problem.bases[key]
    warm = None
    if peak.warm_start and unit != 0:
        if option != "base":
            source = problem.options.index("base" + (f"@{condition}" if condition else ""))
            warm = _unit_run(problem, source, factor, values, gap)
        elif problem.graphs[unit].graph.get("content_key") != problem.graphs[0].graph.get(
            "content_key"
        ):  # closures: from the base; a capacity change alone starts cold, as in peak.solve
            warm = _unit_run(problem, 0, factor, values, gap)
    variant = _variant(values)
    variant = dataclasses.replace(variant, capacity_scale=variant.capacity_scale * factor)
    H = peak.with_variant(problem.graphs[unit], variant)  # a copy: the shared graph stays
    d = _draw_demand(problem, values)
    run = peak._solve_graph(H, problem.centroids[unit], d, variant, gap, warm=warm)
    if option == "base":
        while len(problem.bases) >= _BASES_KEPT:
            problem.bases.pop(next(iter(problem.bases)))
        problem.bases[key] = run
    return run


def _solve_unit(problem: _Problem, item: tuple[int, dict[str, float], float]) -> dict[str, float]:
    """Solve one option under one draw, as :func:`sanqu_geo.peak.solve` does; pure."""
    unit, values, gap = item
    factor = problem.factors[unit] if problem.factors else 1.0
    run = _unit_run(problem, unit, factor, values, gap)
    d = _draw_demand(problem, values)
    hours = run.vehicle_hours()
    base = problem.options[unit] == "base"
    out = {
        "car_vh": float(hours.get("car", 0.0)),
        "truck_vh": float(hours.get("truck", 0.0)),
        "relative_gap": float(run.result.relative_gap),
        "converged": bool(run.result.converged),
        # How congested the draw's city is, held against the calibration band.
        "delay_index": peak.delay_index(run) if base else math.nan,
    }
    spec = problem.specs[unit] if problem.specs else None
    if spec:
        from sanqu_geo.appraisal import tasks

        out.update(tasks.unit_measures(run, d, **spec))
    return out


def road_options(scenario: scenarios.Scenario) -> tuple[list[scenarios.Option], list[str]]:
    """Options assigned as roads, and the ids of those that are not (rail only)."""
    roads = [o for o in scenario.options if not o.rail]
    return roads, [o.id for o in scenario.options if o.rail]


def _structural_inputs(
    d: demand.Demand, source: str, distributions: dict[str, Distribution]
) -> tuple[_Structural | None, str]:
    """What regenerating the demand takes, or None and why the structural draws do not apply.

    They apply to the indicative default demand only, and only when generating it again from
    the parameters reproduces the demand in use (not, e.g., a scaled or adjusted copy).
    """
    if all(
        dist.kind == "fixed" and dist.values["value"] == 1.0
        for p, dist in distributions.items()
        if p in STRUCTURAL
    ):
        return None, "fixed at × 1 by the distributions"
    if not d.source.startswith("indicative default"):
        return None, (
            f"not applied: the demand in use is {d.source}, not the default demand generated "
            "from the parameters; they stay at × 1"
        )
    name = demand.network_name(source)
    params = demand.parameters_for(demand.load_parameters(), name)
    minutes = demand.zone_minutes(d.zones, network.load_network(name, profile="car"))
    token = hashlib.sha1(
        d.key().encode()
        + json.dumps(params, sort_keys=True, default=str).encode()
        + minutes.tobytes()
    ).hexdigest()[:16]
    structural = _Structural(params, minutes, token)
    again = _regenerate(d, structural, dict.fromkeys(STRUCTURAL, 1.0))
    if not _same_od(again.od, d.od):
        return None, (
            f"not applied: the demand in use ({d.source}) is not what the parameters generate "
            f"on the {name} network (scaled, adjusted or built on another network); they stay "
            "at × 1"
        )
    return structural, "applied: every draw generates the default demand again"


def _same_od(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["class", "origin", "destination"]
    if len(a) != len(b):
        return False
    a = a.sort_values(cols, kind="stable").reset_index(drop=True)
    b = b.sort_values(cols, kind="stable").reset_index(drop=True)
    return bool(
        (a[cols].astype(str).to_numpy() == b[cols].astype(str).to_numpy()).all()
        and np.allclose(a["trips"].to_numpy(float), b["trips"].to_numpy(float), rtol=1e-9, atol=0)
    )


def _build_problem(
    scenario: scenarios.Scenario, source: str, d: demand.Demand, structural: _Structural | None
) -> tuple[_Problem, list[scenarios.Option], list[str]]:
    """Units: the base, every road option, then the base and the options of every condition
    that runs by default (a closure), each with what its task's measure reads."""
    from sanqu_geo.appraisal import tasks

    roads, other = road_options(scenario)
    units: list[tuple[str, Any, Any, float, dict | None]] = [
        ("base", None, None, 1.0, tasks.measure_spec(scenario, None)),
        *((o.id, o, None, 1.0, tasks.measure_spec(scenario, o)) for o in roads),
    ]
    for c in scenario.conditions:
        members = [o for o in roads if c.run and (not c.groups or o.group in c.groups)]
        if not members:
            continue
        spec = {"airport": True}
        units.append((f"base@{c.id}", None, c, c.capacity_factor, spec))
        units += [(f"{o.id}@{c.id}", o, c, c.capacity_factor, spec) for o in members]
    names, graphs, centroids, factors, specs = [], [], [], [], []
    for name, option, condition, factor, spec in units:
        extra = condition.edits if condition is not None else ()
        try:
            H, cent = peak.assignment_graph(source, option, zones=d.zones, extra=extra)
        except ScenarioError as exc:  # a closure of a road this network lacks
            if condition is None or "no road of the network" not in str(exc):
                raise
            continue
        names.append(name)
        graphs.append(H)
        centroids.append(cent)
        factors.append(factor)
        specs.append(spec)
    problem = _Problem(
        tuple(names), tuple(graphs), tuple(centroids), d, structural, tuple(factors), tuple(specs)
    )
    return problem, roads, other


# --------------------------------------------------------------------------- the run


@dataclasses.dataclass
class MonteCarlo:
    """A Monte-Carlo sensitivity run.

    Attributes
    ----------
    summary : pandas.DataFrame
        Per road option, over the accepted draws: ``mean`` and ``se_mean`` (its standard
        error, sd/√n), ``sd``, ``p5``, ``p50``, ``p95`` of peak-hour vehicle-hours saved
        (cars + trucks), ``share_saving`` (draws with a saving > 0), ``p_rank_first`` and
        ``se_p_rank_first`` (√(p(1−p)/n)), ``p_first_in_group`` (ties share), sorted by
        ``p_rank_first``.
    draws : pandas.DataFrame
        Per draw, every one drawn: the parameters, the base vehicle-hours and network delay
        index, ``accepted``, ``rejection`` (``below band``, ``above band`` or empty) and each
        option's saving (NaN where rejected: its options were not solved).
    runs : pandas.DataFrame
        Per assignment solved (the base of every draw, the options of accepted draws):
        vehicle-hours by class and the relative gap.
    seed, n, gap : int, int, float
        What was run.
    distributions : dict
        The distributions used.
    not_scored : list of str
        Options that are not roads (rail), left out of the ranking.
    seconds : float
        Wall-clock time of the solves.
    workers : int
        Workers used (1: this process).
    band : (float, float)
        Calibration band of the base network delay index the draws were held against.
    accepted : int
        Draws inside the band.
    rejected : dict
        Draws rejected by reason (``below band``, ``above band``).
    structural : str
        Whether the structural parameters (:data:`STRUCTURAL`) were applied, and if not why.
    demand_source : str
        The demand the draws started from.
    measures : pandas.DataFrame
        The tasks' own measures over the accepted draws, per option and condition (normal or a
        closure): ``measure`` (:data:`MEASURES`), ``p5``, ``p50``, ``p95``, ``share_positive``.
    """

    summary: pd.DataFrame
    draws: pd.DataFrame
    runs: pd.DataFrame
    seed: int
    n: int
    gap: float
    distributions: dict[str, Distribution]
    not_scored: list[str]
    seconds: float = 0.0
    workers: int = 1
    band: tuple[float, float] = (math.nan, math.nan)
    accepted: int = 0
    rejected: dict[str, int] = dataclasses.field(default_factory=dict)
    structural: str = ""
    demand_source: str = ""
    measures: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)


def _needed(n: int) -> int:
    return min(n, max(min_accepted, math.ceil(min_accepted_share * n)))


def run(
    n: int,
    *,
    seed: int | None = None,
    scenario: scenarios.Scenario | None = None,
    distributions: dict[str, Distribution] | None = None,
    source: str | None = None,
    demand_: demand.Demand | None = None,
    gap: float | None = None,
    runner: Runner | None = None,
    batch: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    band: tuple[float, float] | None = None,
) -> MonteCarlo:
    """Run ``n`` draws, each a full comparison: the base and every road option assigned.

    Every draw's base is solved first. A draw whose base network delay index falls outside
    the band the demand was calibrated to (:func:`calibration_band`) describes a city more,
    or less, congested than the one observed: it is rejected (counted, kept in the draws
    table) and its options are not solved. The summary rests on the accepted draws.

    When the demand is the indicative default, each draw generates it again with its
    structural values (:data:`STRUCTURAL`); any other demand keeps them at × 1.

    Parameters
    ----------
    n : int
        Number of draws (1 to :data:`max_draws`).
    seed : int, optional
        Seed of the draws (default: fresh entropy, reported in the result).
    scenario : Scenario, optional
        Default: the plan's own.
    distributions : dict, optional
        Default: :func:`load_distributions` (a parameter left out keeps its default).
    source : str, optional
        Network source (default: the scenario's).
    demand_ : Demand, optional
        Default: the demand in use.
    gap : float, optional
        Relative gap of every assignment (default :data:`sanqu_geo.peak.default_gap`); give
        the comparison's.
    runner : Runner, optional
        Where the units run (default: here, one after the other).
    batch : int, optional
        Units per task on a cluster (default: a whole draw while that leaves at least eight
        tasks per worker, else one).
    progress : callable, optional
        Called with (units done, units) as they finish; the units grow known once the bases
        are solved (the options of rejected draws drop out).
    band : (float, float), optional
        Accepted base delay index, both ends included (default: :func:`calibration_band`).

    Returns
    -------
    MonteCarlo
        The tables.

    Raises
    ------
    SettingsError
        When ``n`` is out of bounds (:func:`check_draws`), or when fewer than
        :data:`min_accepted` draws (or :data:`min_accepted_share` of them)
        pass the band.
    ScenarioError
        When the scenario has no road option.
    """
    n = check_draws(n)
    scenario = scenario or scenarios.load_scenario()
    distributions = _complete(distributions)
    seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
    params = draw_parameters(n, seed=seed, distributions=distributions)
    gap = peak.default_gap if gap is None else gap
    source = source or scenario.network
    low, high = calibration_band(source) if band is None else (float(band[0]), float(band[1]))
    if not low <= high:
        msg = f"band {low:g}–{high:g}: give the lower end first"
        raise SettingsError(msg)
    d = demand_ if demand_ is not None else demand.load_demand()
    structural, note = _structural_inputs(d, source, distributions)
    if structural is None:
        if not note.startswith("fixed"):
            logger.info("structural parameters %s: %s", ", ".join(STRUCTURAL), note)
        params[list(STRUCTURAL)] = 1.0  # the values the draws were solved with
    problem, roads, other = _build_problem(scenario, source, d, structural)
    if not roads:
        msg = f"{scenario.path or 'the scenario'}: no road option to compare"
        raise ScenarioError(msg)
    runner = runner or Runner()
    units = len(problem.options)
    records = params[list(PARAMETERS)].to_dict("records")
    started = time.perf_counter()
    shared = runner.share(problem)
    total, done = n * units, 0

    def solve(items: list[tuple[int, dict[str, float], float]]) -> dict[int, dict[str, float]]:
        nonlocal done
        # On the trunk network an assignment takes tens of milliseconds: whole draws per task
        # (while there are several tasks per worker) keep the scheduling overhead small.
        size = batch or max(1, min(units, len(items) // (8 * runner.workers)))
        out: dict[int, dict[str, float]] = {}
        for k, result in runner.map(
            _solve_unit, items, shared, window=len(items), batch=size, name="sensitivity"
        ):
            out[k] = result
            done += 1
            if progress is not None:
                progress(done, total)
        return out

    # Phase 1, every draw's base: it decides whether the draw's options are solved at all.
    bases = solve([(0, records[i], gap) for i in range(n)])
    index = np.array([bases[i]["delay_index"] for i in range(n)])
    rejection = np.where(index < low, BELOW, np.where(index > high, ABOVE, ""))
    accepted = rejection == ""
    rejected = {reason: int((rejection == reason).sum()) for reason in (BELOW, ABOVE)}
    kept = np.flatnonzero(accepted)
    if len(kept) < _needed(n):
        msg = (
            f"only {len(kept)} of {n} draws give a base network delay index inside the "
            f"calibration band {low:g}–{high:g} ({rejected[BELOW]} below, {rejected[ABOVE]} "
            f"above; at least {_needed(n)} needed): the distributions describe a city more, or "
            "less, congested than the one observed. Widen or re-centre the distributions "
            "(a --sensitivity-params file) so that draws land inside the band, or recalibrate "
            "the demand (sanqu_geo.peak.calibrate) when its own base lies outside it"
        )
        raise SettingsError(msg)
    # Phase 2, the options of the accepted draws.
    total = n + len(kept) * (units - 1)
    items = [(u, records[i], gap) for i in kept for u in range(1, units)]
    options = solve(items)
    seconds = time.perf_counter() - started
    at = {int(i): j for j, i in enumerate(kept)}  # draw → its place among the accepted
    rows = []
    for i in range(n):
        rows.append({"draw": i, "option": "base", **bases[i]})
        if i in at:
            first = at[i] * (units - 1)
            rows += [
                {"draw": i, "option": problem.options[u], **options[first + u - 1]}
                for u in range(1, units)
            ]
    runs = pd.DataFrame(rows)
    runs["vehicle_hours"] = runs["car_vh"] + runs["truck_vh"]
    worst = float(runs["relative_gap"].max())
    if not runs["converged"].all():
        logger.warning(
            "%d of %d assignments stopped short of relative gap %.0e (worst %.2g)",
            int((~runs["converged"]).sum()), len(runs), gap, worst,
        )  # fmt: skip
    wide = runs.pivot(index="draw", columns="option", values="vehicle_hours").reindex(range(n))
    saved = pd.DataFrame({o.id: wide["base"] - wide[o.id] for o in roads})
    draws = params.copy()
    draws["base_vehicle_hours"] = wide["base"].to_numpy()
    draws["base_delay_index"] = index
    draws["accepted"] = accepted
    draws["rejection"] = rejection.astype(object)
    for o in roads:
        draws[f"saved_{o.id}"] = saved[o.id].to_numpy()
    measures = _measures(runs, problem.options, n, kept)
    if rejected[BELOW] or rejected[ABOVE]:
        logger.info(
            "%d of %d draws accepted: %d below and %d above the delay-index band %g–%g",
            len(kept), n, rejected[BELOW], rejected[ABOVE], low, high,
        )  # fmt: skip
    summary = _summarise(saved.iloc[kept], roads)
    return MonteCarlo(
        summary=summary, draws=draws, runs=runs, seed=seed, n=n, gap=gap,
        distributions=distributions, not_scored=other, seconds=seconds,
        workers=runner.workers, band=(low, high), accepted=len(kept), rejected=rejected,
        structural=note, demand_source=d.source, measures=measures,
    )  # fmt: skip


#: The task measures the draws read, and the change that counts as better.
MEASURES: dict[str, tuple[str, str]] = {
    "airport_min": ("到机场平均分钟节省 airport minutes saved", "saved"),
    "truck_min": ("物流节点间货车分钟节省 truck minutes saved", "saved"),
    "end_share": ("物流端点货车比例 logistics-end share of its trucks", "level"),
}


def _measures(runs: pd.DataFrame, units: tuple[str, ...], n: int, kept) -> pd.DataFrame:
    """Per option (and condition) and measure, over the accepted draws: median, 5–95 %."""
    rows = []
    columns = [c for c in runs.columns if c.split(":")[0] in MEASURES]
    for measure in columns:
        label, how = MEASURES[measure.split(":")[0]]
        wide = runs.pivot(index="draw", columns="option", values=measure).reindex(range(n))
        for unit in units:
            if unit.startswith("base") or unit not in wide:
                continue
            option, _, condition = unit.partition("@")
            base = "base" + (f"@{condition}" if condition else "")
            if how == "saved":
                if base not in wide:
                    continue
                values = (wide[base] - wide[unit]).iloc[kept]
            else:
                values = wide[unit].iloc[kept]
            values = values.dropna()
            if not len(values):
                continue
            rows.append(
                {"option": option, "condition": condition or "normal", "measure": measure,
                 "measure_label": label, "draws": len(values), "p5": values.quantile(0.05),
                 "p50": values.median(), "p95": values.quantile(0.95),
                 "share_positive": float((values > 0).mean())}
            )  # fmt: skip
    return pd.DataFrame(rows)


def _first_shares(values: np.ndarray) -> np.ndarray:
    """Per draw (row), 1/k to each of the k columns within the tie of the best."""
    best = values.max(axis=1, keepdims=True)
    tied = values >= best - tie_vehicle_hours
    return tied / tied.sum(axis=1, keepdims=True)


def _summarise(saved: pd.DataFrame, roads: list[scenarios.Option]) -> pd.DataFrame:
    values = saved.to_numpy()
    n = len(values)
    first = _first_shares(values).mean(axis=0)
    in_group = np.zeros(len(roads))
    groups = pd.Series([o.group for o in roads])
    for _, members in groups.groupby(groups).groups.items():
        cols = list(members)
        in_group[cols] = _first_shares(values[:, cols]).mean(axis=0)
    rows = []
    for j, option in enumerate(roads):
        x = values[:, j]
        p5, p50, p95 = np.percentile(x, [5, 50, 95])
        sd = float(x.std(ddof=1)) if n > 1 else 0.0
        p = float(first[j])
        rows.append(
            {
                "group": option.group,
                "option": option.id,
                "title_zh": option.title_zh,
                "title_en": option.title_en,
                "mean": float(x.mean()),
                # one draw says nothing of the spread of its mean
                "se_mean": sd / math.sqrt(n) if n > 1 else math.nan,
                "sd": sd,
                "p5": float(p5),
                "p50": float(p50),
                "p95": float(p95),
                "share_saving": float((x > 0).mean()),
                "p_rank_first": p,
                "se_p_rank_first": math.sqrt(max(p * (1 - p), 0.0) / n),
                "p_first_in_group": float(in_group[j]),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["p_rank_first", "mean"], ascending=False, kind="stable").reset_index(
        drop=True
    )


# The tables and notes of a run live in their own module, which imports this one; they are
# part of this module's API too, looked up at call time so either module may be imported first.


def markdown(mc: MonteCarlo) -> str:
    """The Markdown section of a run (see :func:`sanqu_geo.sensitivity_report.markdown`)."""
    from sanqu_geo import sensitivity_report

    return sensitivity_report.markdown(mc)


def write_outputs(mc: MonteCarlo, out_dir: str | Path, **options: Any) -> list[Path]:
    """Add a run to a comparison folder (see :func:`sanqu_geo.sensitivity_report.write_outputs`,
    which takes the same options)."""
    from sanqu_geo import sensitivity_report

    return sensitivity_report.write_outputs(mc, out_dir, **options)
