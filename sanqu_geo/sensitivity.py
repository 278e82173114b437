"""Monte-Carlo sensitivity of the congested comparison: draws of demand, capacity, PCE and the
conical volume-delay steepness.

Owns the parameter distributions (a TOML file, shipped with defaults), the draws (one
``numpy`` generator per draw, spawned from the seed, so a draw's values never depend on where
or in which order it runs), the independent units of work (one option under one draw,
solved at the comparison's gap), and the summary: per option the distribution of peak-hour
vehicle-hours saved and the probability that it ranks first. Never draws maps.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from sanqu_geo import demand, peak, resources, scenarios
from sanqu_geo._toml import check_keys, read_toml
from sanqu_geo.errors import ScenarioError, SettingsError
from sanqu_geo.scaleout import Runner

logger = logging.getLogger(__name__)

__all__ = [
    "PARAMETERS",
    "Distribution",
    "MonteCarlo",
    "draw_parameters",
    "load_distributions",
    "markdown",
    "run",
    "write_outputs",
]

#: The drawn parameters, in the order each draw's generator is used.
PARAMETERS: tuple[str, ...] = ("demand_growth", "capacity", "truck_pce", "conical_alpha")

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
        path = Path(path)
        user = read_toml(path, what="sensitivity file", error=SettingsError)
        check_keys(user, set(PARAMETERS), str(path), error=SettingsError)
        tables.update(user)
        origin.update(dict.fromkeys(user, path))
    return {
        name: _distribution(name, tables[name], f"{origin[name]} [{name}]") for name in PARAMETERS
    }


def draw_parameters(
    n: int, *, seed: int, distributions: dict[str, Distribution] | None = None
) -> pd.DataFrame:
    """Draw ``n`` parameter sets; draw ``i`` uses ``SeedSequence(seed).spawn(n)[i]``.

    A draw's values depend on the seed and its index only (not on ``n``, the order of runs,
    or the worker), so the same seed gives the same numbers with or without a cluster.

    Parameters
    ----------
    n : int
        Number of draws (>= 1).
    seed : int
        Seed (>= 0).
    distributions : dict, optional
        Default: :func:`load_distributions`.

    Returns
    -------
    pandas.DataFrame
        ``draw`` and one column per parameter.
    """
    if n < 1:
        msg = f"--sensitivity {n}: give at least 1 draw"
        raise SettingsError(msg)
    if seed < 0:
        msg = f"--seed {seed}: give a whole number >= 0"
        raise SettingsError(msg)
    distributions = distributions or load_distributions()
    rows = []
    for i, child in enumerate(np.random.SeedSequence(seed).spawn(n)):
        rng = np.random.default_rng(child)
        rows.append({"draw": i, **{p: distributions[p].sample(rng) for p in PARAMETERS}})
    return pd.DataFrame(rows)


def _variant(values: dict[str, float]) -> peak.Variant:
    return peak.Variant(**{_VARIANT_FIELD[p]: float(values[p]) for p in PARAMETERS})


# --------------------------------------------------------------------------- units of work


@dataclasses.dataclass(frozen=True)
class _Problem:
    """The base and every road option's assignment graph, and the demand: sent once."""

    options: tuple[str, ...]  # "base" first
    graphs: tuple[nx.MultiDiGraph, ...]
    centroids: tuple[dict[str, Any], ...]
    demand: demand.Demand


def _solve_unit(problem: _Problem, item: tuple[int, dict[str, float], float]) -> dict[str, float]:
    """Solve one option under one draw, as :func:`sanqu_geo.peak.solve` does; pure."""
    unit, values, gap = item
    variant = _variant(values)
    H = peak.with_variant(problem.graphs[unit], variant)  # a copy: the shared graph stays
    run = peak._solve_graph(H, problem.centroids[unit], problem.demand, variant, gap)
    hours = run.vehicle_hours()
    base = problem.options[unit] == "base"
    return {
        "car_vh": float(hours.get("car", 0.0)),
        "truck_vh": float(hours.get("truck", 0.0)),
        "relative_gap": float(run.result.relative_gap),
        "converged": bool(run.result.converged),
        # How congested the draw's city is, to hold against the published delay index.
        "delay_index": peak.delay_index(run) if base else math.nan,
    }


def road_options(scenario: scenarios.Scenario) -> tuple[list[scenarios.Option], list[str]]:
    """Options assigned as roads, and the ids of those that are not (rail only)."""
    roads, other = [], []
    for option in scenario.options:
        if any(c.kind != "rail_art" for c in option.corridors):
            roads.append(option)
        else:
            other.append(option.id)
    return roads, other


def _build_problem(
    scenario: scenarios.Scenario, source: str, d: demand.Demand
) -> tuple[_Problem, list[scenarios.Option], list[str]]:
    roads, other = road_options(scenario)
    graphs, centroids = [], []
    for option in [None, *roads]:
        H, c = peak.assignment_graph(source, option, zones=d.zones)
        graphs.append(H)
        centroids.append(c)
    problem = _Problem(("base", *(o.id for o in roads)), tuple(graphs), tuple(centroids), d)
    return problem, roads, other


# --------------------------------------------------------------------------- the run


@dataclasses.dataclass
class MonteCarlo:
    """A Monte-Carlo sensitivity run.

    Attributes
    ----------
    summary : pandas.DataFrame
        Per road option: ``mean``, ``sd``, ``p5``, ``p50``, ``p95`` of peak-hour vehicle-hours
        saved (cars + trucks), ``share_saving`` (draws with a saving > 0),
        ``p_rank_first`` and ``p_first_in_group`` (ties share), sorted by ``p_rank_first``.
    draws : pandas.DataFrame
        Per draw: the parameters, the base vehicle-hours and network delay index, and each
        option's saving.
    runs : pandas.DataFrame
        Per draw and option (base included): vehicle-hours by class and the relative gap.
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
) -> MonteCarlo:
    """Run ``n`` draws, each a full comparison: the base and every road option assigned.

    Parameters
    ----------
    n : int
        Number of draws.
    seed : int, optional
        Seed of the draws (default: fresh entropy, reported in the result).
    scenario : Scenario, optional
        Default: the plan's own.
    distributions : dict, optional
        Default: :func:`load_distributions`.
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
        Called with (units done, units) as they finish.

    Returns
    -------
    MonteCarlo
        The tables.
    """
    scenario = scenario or scenarios.load_scenario()
    distributions = distributions or load_distributions()
    seed = int(np.random.SeedSequence().entropy) if seed is None else int(seed)
    params = draw_parameters(n, seed=seed, distributions=distributions)
    gap = peak.default_gap if gap is None else gap
    d = demand_ if demand_ is not None else demand.load_demand()
    problem, roads, other = _build_problem(scenario, source or scenario.network, d)
    if not roads:
        msg = f"{scenario.path or 'the scenario'}: no road option to compare"
        raise ScenarioError(msg)
    runner = runner or Runner()
    units = len(problem.options)
    records = params[list(PARAMETERS)].to_dict("records")
    items = [(u, records[i], gap) for i in range(n) for u in range(units)]
    started = time.perf_counter()
    # On the trunk network an assignment takes tens of milliseconds: whole draws per task
    # (while there are several tasks per worker) keep the scheduling overhead small.
    if batch is None:
        batch = max(1, min(units, len(items) // (8 * runner.workers)))
    shared = runner.share(problem)
    results: dict[int, dict[str, float]] = {}
    for k, result in runner.map(
        _solve_unit, items, shared, window=len(items), batch=batch, name="sensitivity"
    ):
        results[k] = result
        if progress is not None:
            progress(len(results), len(items))
    seconds = time.perf_counter() - started
    rows = [
        {"draw": k // units, "option": problem.options[k % units], **results[k]}
        for k in range(len(items))
    ]
    runs = pd.DataFrame(rows)
    runs["vehicle_hours"] = runs["car_vh"] + runs["truck_vh"]
    worst = float(runs["relative_gap"].max())
    if not runs["converged"].all():
        logger.warning(
            "%d of %d assignments stopped short of relative gap %.0e (worst %.2g)",
            int((~runs["converged"]).sum()), len(runs), gap, worst,
        )  # fmt: skip
    wide = runs.pivot(index="draw", columns="option", values="vehicle_hours")
    saved = pd.DataFrame({o.id: wide["base"] - wide[o.id] for o in roads})
    draws = params.copy()
    draws["base_vehicle_hours"] = wide["base"].to_numpy()
    draws["base_delay_index"] = runs.loc[runs["option"] == "base", "delay_index"].to_numpy()
    for o in roads:
        draws[f"saved_{o.id}"] = saved[o.id].to_numpy()
    summary = _summarise(saved, roads)
    return MonteCarlo(
        summary=summary, draws=draws, runs=runs, seed=seed, n=n, gap=gap,
        distributions=distributions, not_scored=other, seconds=seconds,
        workers=runner.workers,
    )  # fmt: skip


def _first_shares(values: np.ndarray) -> np.ndarray:
    """Per draw (row), 1/k to each of the k columns within the tie of the best."""
    best = values.max(axis=1, keepdims=True)
    tied = values >= best - tie_vehicle_hours
    return tied / tied.sum(axis=1, keepdims=True)


def _summarise(saved: pd.DataFrame, roads: list[scenarios.Option]) -> pd.DataFrame:
    values = saved.to_numpy()
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
        rows.append(
            {
                "group": option.group,
                "option": option.id,
                "title_zh": option.title_zh,
                "title_en": option.title_en,
                "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)) if len(x) > 1 else 0.0,
                "p5": float(p5),
                "p50": float(p50),
                "p95": float(p95),
                "share_saving": float((x > 0).mean()),
                "p_rank_first": float(first[j]),
                "p_first_in_group": float(in_group[j]),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["p_rank_first", "mean"], ascending=False, kind="stable").reset_index(
        drop=True
    )


# --------------------------------------------------------------------------- outputs

HEADERS: dict[str, str] = {
    "group": "方案组 Group",
    "option": "方案 Option",
    "title_zh": "方案名称 Name (zh)",
    "title_en": "Option name (en)",
    "mean": "平均节省车小时 Mean veh·h saved",
    "sd": "标准差 SD",
    "p5": "P5 节省车小时 veh·h saved",
    "p50": "P50 节省车小时 veh·h saved",
    "p95": "P95 节省车小时 veh·h saved",
    "share_saving": "有节省的抽样比例 Share of draws saving",
    "p_rank_first": "排名第一概率 P(rank 1)",
    "p_first_in_group": "组内第一概率 P(first in group)",
    "draw": "抽样 Draw",
    "demand_growth": "需求倍数 Demand ×",
    "capacity": "通行能力倍数 Capacity ×",
    "truck_pce": "货车折算系数 Truck PCE",
    "conical_alpha": "锥形延误函数α Conical α",
    "base_vehicle_hours": "现状高峰车小时 Base peak veh·h",
    "base_delay_index": "现状路网延误指数 Base delay index",
}


def _headers(table: pd.DataFrame) -> pd.DataFrame:
    names = {}
    for c in table.columns:
        if c.startswith("saved_"):
            names[c] = f"节省车小时 veh·h saved: {c[len('saved_') :]}"
        else:
            names[c] = HEADERS.get(c, c)
    return table.rename(columns=names)


def _parameters_table(mc: MonteCarlo) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"parameter 参数": p, "distribution 分布": dist.describe(), "source 来源": dist.source}
            for p, dist in mc.distributions.items()
        ]
        + [
            {"parameter 参数": "draws 抽样数", "distribution 分布": str(mc.n), "source 来源": ""},
            {
                "parameter 参数": "seed 随机种子",
                "distribution 分布": str(mc.seed),
                "source 来源": "",
            },
            {
                "parameter 参数": "relative gap 相对间隙",
                "distribution 分布": f"{mc.gap:.0e}",
                "source 来源": "every assignment, as the comparison",
            },
        ]
    )


def markdown(mc: MonteCarlo) -> str:
    """The Markdown section of a Monte-Carlo run, for the meeting notes."""
    lines = [
        f"## 蒙特卡洛敏感性 Monte-Carlo sensitivity ({mc.n} draws 次抽样, seed {mc.seed})",
        "",
        "高峰小时节省车小时（小汽车+货车），每次抽样重新求解现状与各道路方案的均衡分配 "
        f"(relative gap ≤ {mc.gap:.0e}). Peak-hour vehicle-hours saved (cars + trucks); every "
        "draw solves the base and every road option again.",
        "",
        "| 方案 Option | 平均 Mean | P5 | P50 | P95 | 有节省 Saving | 排名第一 P(rank 1) | 组内第一 P(first in group) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in mc.summary.itertuples():
        lines.append(
            f"| {r.title_zh} {r.title_en} | {r.mean:,.1f} | {r.p5:,.1f} | {r.p50:,.1f} | "
            f"{r.p95:,.1f} | {r.share_saving:.0%} | {r.p_rank_first:.0%} | {r.p_first_in_group:.0%} |"
        )
    p5, p50, p95 = np.percentile(mc.draws["base_delay_index"], [5, 50, 95])
    cal = demand.load_parameters()["calibration"]
    low, high = cal["delay_index_low"], cal["delay_index_high"]
    lines += [
        "",
        f"现状路网延误指数 Base network delay index over the draws: P5 {p5:.2f}, P50 {p50:.2f}, "
        f"P95 {p95:.2f} (Amap published {low:g}–{high:g}: a draw outside it describes a city "
        "more, or less, congested than the one observed).",
    ]
    lines += ["", "抽样分布 Distributions drawn:", ""]
    for p, dist in mc.distributions.items():
        lines.append(f"- {p}: {dist.describe()} — {dist.source}")
    if mc.not_scored:
        lines += [
            "",
            "不按道路评分 Not scored as a road (rail): " + ", ".join(mc.not_scored) + ".",
        ]
    lines += [
        "",
        "参数分布为假设，需求为示意性质 The spreads are assumptions and the default demand is "
        "indicative: read the probabilities as how robust the ranking is, not as forecasts.",
        "",
    ]
    return "\n".join(lines)


def write_outputs(mc: MonteCarlo, out_dir: str | Path) -> list[Path]:
    """Add a Monte-Carlo run to a comparison folder: two CSVs, sheets, a Markdown section.

    ``monte_carlo.csv`` (the summary) and ``monte_carlo_draws.csv`` are written; the
    summary, the draws and the distributions become sheets of ``comparison.xlsx`` and the
    section is added to ``summary.md`` when those exist. Every file is replaced atomically.

    Parameters
    ----------
    mc : MonteCarlo
        The run.
    out_dir : path-like
        The comparison's output folder.

    Returns
    -------
    list of pathlib.Path
        The files written or updated.
    """
    from sanqu_geo._atomic import atomic_path
    from sanqu_geo.tables import rounded

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = _headers(rounded(mc.summary))
    draws = _headers(rounded(mc.draws))
    written = []
    for name, table in (("monte_carlo.csv", summary), ("monte_carlo_draws.csv", draws)):
        with atomic_path(out_dir / name) as tmp:
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        written.append(out_dir / name)
    workbook = out_dir / "comparison.xlsx"
    sheets = (
        ("蒙特卡洛 Monte Carlo", summary),
        ("抽样 Draws", draws),
        ("抽样分布 Distributions", _parameters_table(mc)),
    )
    with atomic_path(workbook) as tmp:
        mode = "a" if workbook.is_file() else "w"
        if mode == "a":
            tmp.write_bytes(workbook.read_bytes())
        kwargs = {"if_sheet_exists": "replace"} if mode == "a" else {}
        with pd.ExcelWriter(tmp, engine="openpyxl", mode=mode, **kwargs) as writer:
            for sheet, table in sheets:
                table.to_excel(writer, sheet_name=sheet[:31], index=False)
                ws = writer.sheets[sheet[:31]]
                ws.freeze_panes = "A2"
                for column in ws.columns:
                    ws.column_dimensions[column[0].column_letter].width = 18
    written.append(workbook)
    notes = out_dir / "summary.md"
    text = notes.read_text(encoding="utf-8") if notes.is_file() else ""
    marker = "## 蒙特卡洛敏感性 Monte-Carlo sensitivity"
    if marker in text:  # a re-run replaces its own section
        text = text[: text.index(marker)].rstrip("\n") + "\n"
    with atomic_path(notes) as tmp:
        tmp.write_text((text + "\n" if text else "") + markdown(mc), encoding="utf-8")
    written.append(notes)
    return written
