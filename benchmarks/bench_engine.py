"""Benchmark of the travel-time engine against networkx and pandana.

Run from a clone of the repository::

    python benchmarks/bench_engine.py            # full run (15-25 minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # smoke run on a small graph (under a minute)

Two graphs: the real OpenStreetMap graph of central Harbin (``harbin-core.osm.pbf`` from the
reference folder, loaded with :func:`sanqu_geo.network.load_network`) and a generated
road-like graph of about 200,000 nodes. On each: OD matrices of 100x100, 1,000x1,000 and
5,000x200 random node pairs and isochrones of 20 origins at 15/30/45/60 minutes, timed for

* networkx: ``single_source_dijkstra_path_length`` per origin (what an osmnx user does);
  where the whole job would take long it runs on a sample of origins and is scaled per origin;
* pandana: ``Network`` (contraction hierarchy, timed separately) and ``shortest_path_lengths``;
* the engine: :func:`sanqu_geo.engine.od_matrix` (compile timed separately) in a fresh
  process per job, so its peak memory is that job's alone; :func:`sanqu_geo.engine.isochrones`.

Every OD result is checked against networkx. Progress goes to stderr; the closing table (with
the machine, the versions and the targets) to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import itertools
import json
import math
import os
import pickle
import platform
import select
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # benchmark this clone's sanqu_geo, installed or not

#: A timed measurement shorter than this is repeated three times and the median quoted.
REPEAT_UNDER_S = 30.0
#: Isochrone thresholds (minutes).
MINUTES = (15, 30, 45, 60)
#: Tolerances of the checks against networkx.
ENGINE_TOL_S = 1e-6
PANDANA_TOL_REL = 1e-3
#: Targets quoted in the closing table.
TARGET_VS_NETWORKX = 15.0
TARGET_MEMORY_GB = 1.5
GB = 1024**3
SEED = 20240611


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes of one run."""

    side: int  # the generated graph is a side x side grid (plus expressways)
    od_sizes: tuple[tuple[int, int], ...]
    iso_origins: int
    nx_budget_s: float  # networkx time per job before it is sampled and scaled
    nx_min_sample: int  # origins run at least before scaling
    iso_budget_s: float  # engine isochrone time per graph before it is sampled and scaled
    real_graph: bool


FULL = Plan(
    side=447,
    od_sizes=((100, 100), (1000, 1000), (5000, 200)),
    iso_origins=20,
    nx_budget_s=40.0,
    nx_min_sample=20,
    iso_budget_s=360.0,
    real_graph=True,
)
QUICK = Plan(
    side=141,
    od_sizes=((50, 50), (300, 300), (1000, 40)),
    iso_origins=5,
    nx_budget_s=2.0,
    nx_min_sample=5,
    iso_budget_s=8.0,
    real_graph=False,
)

_T0 = time.perf_counter()


def log(message: str) -> None:
    """Progress line on stderr with the elapsed time."""
    print(f"[{time.perf_counter() - _T0:7.1f} s] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the generated graph

#: South-west corner of the generated graph (WGS-84), metres per degree there.
_LON0, _LAT0 = 126.35, 45.55
_M_PER_DEG_LAT = 111_132.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0 + 0.25))


def road_like_graph(side: int, *, seed: int = SEED, spacing_m: float = 120.0) -> nx.MultiDiGraph:
    """A deterministic road-like graph of about ``side**2`` nodes around Harbin.

    A street grid of ``side`` x ``side`` junctions ``spacing_m`` apart, each junction moved at
    random by up to a third of the spacing; about 10% of the local street segments removed;
    every 20th row and column an arterial at 60 km/h (local streets 25–40 km/h); four
    expressways at 90 km/h on the diagonals, with their own nodes every ~400 m, joined to the
    grid only at interchanges every ~3.2 km (ramps at 40 km/h) and crossing everything else
    without a junction. Every road is two-way. Only the largest strongly connected component
    is kept.

    Returns
    -------
    networkx.MultiDiGraph
        osmnx-compatible: node ``x``/``y`` in WGS-84, edge ``length`` (m), ``speed_kph``,
        ``travel_time`` (s), ``highway``; graph ``crs``.
    """
    rng = np.random.default_rng(seed)
    n_grid = side * side
    row, col = np.divmod(np.arange(n_grid), side)
    jitter = rng.uniform(-spacing_m / 3, spacing_m / 3, size=(2, n_grid))
    xm = col * spacing_m + jitter[0]
    ym = row * spacing_m + jitter[1]

    grid = np.arange(n_grid).reshape(side, side)
    h_from, h_to = grid[:, :-1].ravel(), grid[:, 1:].ravel()
    v_from, v_to = grid[:-1, :].ravel(), grid[1:, :].ravel()
    h_art = (np.repeat(np.arange(side), side - 1) % 20) == 0  # arterial rows
    v_art = (np.tile(np.arange(side), side - 1) % 20) == 0  # arterial columns
    u = np.concatenate([h_from, v_from])
    v = np.concatenate([h_to, v_to])
    arterial = np.concatenate([h_art, v_art])
    keep = arterial | (rng.random(len(u)) >= 0.10)
    u, v, arterial = u[keep], v[keep], arterial[keep]
    speed = np.where(arterial, 60.0, rng.choice([25.0, 30.0, 40.0], size=len(u), p=[0.3, 0.5, 0.2]))
    highway = np.where(arterial, "primary", "residential").astype(object)
    curve = 1.0 + rng.exponential(0.03, size=len(u))  # streets are not quite straight

    # Expressways: own nodes along the diagonals, ramps to the grid at interchanges only.
    xs, ys = list(xm), list(ym)
    eu: list[int] = []
    ev: list[int] = []
    e_speed: list[float] = []
    e_kind: list[str] = []
    e_len: list[float] = []
    last = (side - 1) * spacing_m
    q = side // 4
    lines = [
        ((0.0, 0.0), (last, last)),
        ((0.0, last), (last, 0.0)),
        ((0.0, q * spacing_m), (last - q * spacing_m, last)),
        ((q * spacing_m, 0.0), (last, last - q * spacing_m)),
    ]
    for (x0, y0), (x1, y1) in lines:
        length = math.hypot(x1 - x0, y1 - y0)
        count = max(2, round(length / 400.0) + 1)
        ids = []
        for k, t in enumerate(np.linspace(0.0, 1.0, count)):
            node = len(xs)
            px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            xs.append(px + 15.0)  # beside the street junction it passes over
            ys.append(py)
            ids.append(node)
            if k % 8 == 0:  # interchange: ramps to the nearest grid junction
                gi = min(side - 1, max(0, round(py / spacing_m)))
                gj = min(side - 1, max(0, round(px / spacing_m)))
                g = int(grid[gi, gj])
                ramp = math.hypot(xm[g] - xs[node], ym[g] - ys[node]) + 250.0
                eu.append(node)
                ev.append(g)
                e_speed.append(40.0)
                e_kind.append("motorway_link")
                e_len.append(ramp)
        for a, b in itertools.pairwise(ids):
            eu.append(a)
            ev.append(b)
            e_speed.append(90.0)
            e_kind.append("motorway")
            e_len.append(math.hypot(xs[b] - xs[a], ys[b] - ys[a]))

    x_all, y_all = np.asarray(xs), np.asarray(ys)
    speed = np.concatenate([speed, e_speed])
    highway = np.concatenate([highway, np.asarray(e_kind, dtype=object)])
    g_len = np.hypot(xm[v] - xm[u], ym[v] - ym[u]) * curve
    length = np.concatenate([g_len, e_len])
    length = np.round(length, 3)
    u = np.concatenate([u, eu]).astype(np.int64)
    v = np.concatenate([v, ev]).astype(np.int64)
    travel_time = length / (speed / 3.6)

    # Largest connected component (every road is two-way, so it is strongly connected).
    n_all = len(x_all)
    adjacency = coo_array((np.ones(len(u)), (u, v)), shape=(n_all, n_all))
    _, label = connected_components(adjacency, directed=False)
    biggest = np.bincount(label).argmax()
    inside = label == biggest
    e_keep = inside[u] & inside[v]

    lon = _LON0 + x_all / _M_PER_DEG_LON
    lat = _LAT0 + y_all / _M_PER_DEG_LAT
    G = nx.MultiDiGraph(crs="EPSG:4326", source=f"generated road-like grid {side}x{side}")
    G.add_nodes_from(
        (int(i), {"x": float(lon[i]), "y": float(lat[i])}) for i in np.flatnonzero(inside)
    )
    edges = zip(
        u[e_keep].tolist(),
        v[e_keep].tolist(),
        length[e_keep].tolist(),
        speed[e_keep].tolist(),
        travel_time[e_keep].tolist(),
        highway[e_keep].tolist(),
        strict=True,
    )
    for a, b, ln, sp, tt, hw in edges:
        data = {"length": ln, "speed_kph": sp, "travel_time": tt, "highway": hw, "oneway": False}
        G.add_edge(a, b, 0, **data, reversed=False)
        G.add_edge(b, a, 0, **data, reversed=True)
    return G


# --------------------------------------------------------------------------- measuring


def median_time(fn: Callable[..., Any], *args: Any, repeat: int = 3) -> tuple[float, int, Any]:
    """Median wall time of ``fn`` over ``repeat`` runs (one run when it takes 30 s or more)."""
    times = []
    result = None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - t)
        if times[0] >= REPEAT_UNDER_S:
            break
    return statistics.median(times), len(times), result


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence what compiled code prints on file descriptor 1 (pandana's progress)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _proc_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, []))
    return tree


def _tree_memory(root: int) -> tuple[int, int]:
    """Summed (PSS, RSS) in bytes of a process and its descendants right now."""
    pss = rss = 0
    for pid in _proc_tree(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return pss, rss


# The engine jobs are started by a small launcher process, itself started before any graph is
# loaded: a process started directly from this one would inherit this process's resident size
# as its ru_maxrss (Linux records the old image's peak at exec), which is not the job's memory.
_LAUNCHER = """
import json, subprocess, sys
for line in sys.stdin:
    child = subprocess.Popen(json.loads(line), stdout=subprocess.DEVNULL)
    print(child.pid, flush=True)
    print(child.wait(), flush=True)
"""


class Launcher:
    """Runs commands in fresh processes started from a small process."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def run(self, argv: list[str], watch: Callable[[int], None]) -> int:
        """Run ``argv``, calling ``watch(pid)`` every 50 ms meanwhile; return the exit code."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write((json.dumps(argv) + "\n").encode())
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        buffer, lines = b"", []
        while len(lines) < 2:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    msg = "the launcher process ended"
                    raise RuntimeError(msg)
                *complete, buffer = (buffer + chunk).split(b"\n")
                lines += complete
            if len(lines) == 1:
                watch(int(lines[0]))
        return int(lines[1])

    def close(self) -> None:
        """End the launcher."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait()


def run_engine_job(
    launcher: Launcher,
    graph_file: Path,
    origins: list,
    destinations: list,
    workdir: Path,
    name: str,
) -> dict[str, Any]:
    """Time :func:`sanqu_geo.engine.od_matrix` in a fresh process and watch its memory.

    The child loads the pickled graph, compiles it (timed), runs the OD job (median of three
    when under 30 s), saves the matrix and reports its ``getrusage`` peaks. Meanwhile this
    process samples the PSS of the child and its workers every 50 ms.
    """
    job = workdir / f"{name}.job.pkl"
    out = workdir / f"{name}.out.json"
    matrix = workdir / f"{name}.npy"
    with job.open("wb") as fh:
        pickle.dump(
            {
                "graph": str(graph_file),
                "origins": origins,
                "destinations": destinations,
                "out": str(out),
                "matrix": str(matrix),
            },
            fh,
        )
    peak = {"pss": 0, "rss": 0}
    sampling = sys.platform.startswith("linux")

    def watch(pid: int) -> None:
        if sampling:
            pss, rss = _tree_memory(pid)
            peak["pss"], peak["rss"] = max(peak["pss"], pss), max(peak["rss"], rss)

    argv = [sys.executable, str(Path(__file__).resolve()), "--engine-job", str(job)]
    code = launcher.run(argv, watch)
    if code != 0:
        msg = f"engine job {name} failed with exit code {code}"
        raise RuntimeError(msg)
    report = json.loads(out.read_text())
    report["matrix"] = np.load(matrix)
    report["peak_pss"] = peak["pss"] if sampling else None
    report["peak_tree_rss"] = peak["rss"] if sampling else None
    return report


def engine_job_main(job_file: str) -> None:
    """Entry point of the fresh process of :func:`run_engine_job`."""
    import resource

    from sanqu_geo import engine

    with open(job_file, "rb") as fh:
        job = pickle.load(fh)
    with open(job["graph"], "rb") as fh:
        G = pickle.load(fh)
    graph_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t = time.perf_counter()
    engine.compile_graph(G, weight="travel_time")
    compile_s = time.perf_counter() - t
    first: list[float] = []

    def once() -> pd.DataFrame:
        t = time.perf_counter()
        df = engine.od_matrix(G, job["origins"], job["destinations"], weight="travel_time")
        if not first:
            first.append(time.perf_counter() - t)
        return df

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", engine.UnreachableWarning)
        median_s, runs, df = median_time(once)
    np.save(job["matrix"], df.to_numpy())
    workers = engine.processes or os.cpu_count() or 1
    report = {
        "compile_s": compile_s,
        "first_s": first[0],
        "median_s": median_s,
        "runs": runs,
        "graph_maxrss": graph_maxrss,
        "self_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "children_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
        "workers": workers,
    }
    Path(job["out"]).write_text(json.dumps(report))


def networkx_rows(
    G: nx.MultiDiGraph,
    origins: Sequence[Any],
    destinations: Sequence[Any],
    *,
    budget_s: float,
    min_sample: int,
    cutoff: float | None = None,
) -> tuple[float, int, np.ndarray]:
    """networkx Dijkstra per origin, as an osmnx user runs it.

    Runs the origins in order until all are done, or until ``budget_s`` has passed and at
    least ``min_sample`` origins are done; the time is then scaled to all origins.

    Returns
    -------
    (seconds for all origins, origins run, their rows of destination times)
    """
    rows = []
    t0 = time.perf_counter()
    for o in origins:
        dist = nx.single_source_dijkstra_path_length(G, o, cutoff=cutoff, weight="travel_time")
        rows.append([dist.get(d, math.inf) for d in destinations])
        if len(rows) >= min_sample and time.perf_counter() - t0 >= budget_s:
            break
    elapsed = time.perf_counter() - t0
    done = len(rows)
    return elapsed * len(origins) / done, done, np.asarray(rows, dtype=np.float64)


def deviation(values: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """Largest absolute and relative deviation, with inf equal to inf."""
    both_inf = np.isinf(values) & np.isinf(reference)
    diff = np.where(both_inf, 0.0, np.abs(values - reference))
    if not diff.size:
        return 0.0, 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(reference > 0, diff / np.where(np.isinf(reference), 1.0, reference), diff)
    return float(np.nanmax(diff)), float(np.nanmax(rel))


# --------------------------------------------------------------------------- pandana


def pandana_available() -> str | None:
    """pandana's version, or None when it is not installed."""
    try:
        import pandana
    except ImportError:
        return None
    return str(getattr(pandana, "__version__", "?"))


def pandana_network(G: nx.MultiDiGraph) -> tuple[Any, pd.Index, float, float]:
    """Export the graph to pandana (int node ids 0..n-1) and build its contraction hierarchy.

    Returns
    -------
    (network, node id → pandana id index, export seconds, preprocessing seconds)
    """
    import pandana

    t = time.perf_counter()
    index = pd.Index(list(G.nodes))
    x = pd.Series([G.nodes[n]["x"] for n in index], dtype=np.float64)
    y = pd.Series([G.nodes[n]["y"] for n in index], dtype=np.float64)
    us, vs, ws = zip(*G.edges(data="travel_time"), strict=True)
    edge_from = pd.Series(index.get_indexer(us), dtype=np.int64)
    edge_to = pd.Series(index.get_indexer(vs), dtype=np.int64)
    weights = pd.DataFrame({"travel_time": np.asarray(ws, dtype=np.float64)})
    export_s = time.perf_counter() - t
    t = time.perf_counter()
    with quiet_stdout():
        net = pandana.Network(x, y, edge_from, edge_to, weights, twoway=False)
    return net, index, export_s, time.perf_counter() - t


def pandana_od(net: Any, o_ids: np.ndarray, d_ids: np.ndarray) -> np.ndarray:
    """All origin–destination pairs as pandana's vectorised query, shaped as a matrix."""
    a = np.repeat(o_ids, len(d_ids))
    b = np.tile(d_ids, len(o_ids))
    with quiet_stdout():
        lengths = net.shortest_path_lengths(a, b, imp_name="travel_time")
    return np.asarray(lengths, dtype=np.float64).reshape(len(o_ids), len(d_ids))


# --------------------------------------------------------------------------- one graph


@dataclasses.dataclass
class Row:
    """One line of the closing table."""

    graph: str
    job: str
    nx_s: float | None = None
    nx_sampled: int | None = None  # origins run when the networkx time is scaled
    pd_query_s: float | None = None
    pd_total_s: float | None = None  # query + export + contraction hierarchy
    en_query_s: float | None = None
    en_runs: int = 0
    en_total_s: float | None = None  # compile + first query
    en_sampled: int | None = None
    mem_pss: int | None = None
    mem_upper: int | None = None
    mem_graph: int | None = None
    engine_dev: float | None = None
    pandana_dev: tuple[float, float] | None = None
    pairs_checked: int = 0
    note: str = ""


@dataclasses.dataclass
class GraphResult:
    """Everything measured on one graph."""

    name: str
    nodes: int
    edges: int
    build_s: float
    build_what: str
    rows: list[Row]
    pd_export_s: float | None = None
    pd_prep_s: float | None = None
    en_compile_s: float | None = None


def bench_graph(
    name: str,
    G: nx.MultiDiGraph,
    build_s: float,
    build_what: str,
    plan: Plan,
    workdir: Path,
    launcher: Launcher,
) -> GraphResult:
    """Run every job on one graph."""
    from sanqu_geo import engine

    result = GraphResult(name, G.number_of_nodes(), G.number_of_edges(), build_s, build_what, [])
    log(f"{name}: {result.nodes:,} nodes, {result.edges:,} edges")
    # Sample nodes from the largest strongly connected component so every pair has a path.
    core = max(nx.strongly_connected_components(G), key=len)
    pool = np.asarray(sorted(core))
    rng = np.random.default_rng(SEED)
    graph_file = workdir / f"{name}.graph.pkl"
    with graph_file.open("wb") as fh:
        pickle.dump(G, fh, protocol=pickle.HIGHEST_PROTOCOL)

    net = None
    if pandana_available():
        log(f"{name}: pandana export and contraction hierarchy")
        net, pd_index, result.pd_export_s, result.pd_prep_s = pandana_network(G)
        log(
            f"{name}: pandana ready (export {result.pd_export_s:.1f} s, CH {result.pd_prep_s:.1f} s)"
        )

    compiles = []
    for n_o, n_d in plan.od_sizes:
        job = f"OD {n_o:,}×{n_d:,}"
        row = Row(name, job)
        origins = rng.choice(pool, size=n_o, replace=False).tolist()
        destinations = rng.choice(pool, size=n_d, replace=False).tolist()

        log(f"{name}: {job}: networkx")
        row.nx_s, done, nx_rows = networkx_rows(
            G, origins, destinations, budget_s=plan.nx_budget_s, min_sample=plan.nx_min_sample
        )
        row.nx_sampled = done if done < n_o else None
        row.pairs_checked = nx_rows.size

        log(f"{name}: {job}: engine (fresh process)")
        rep = run_engine_job(
            launcher, graph_file, origins, destinations, workdir, f"{name}-{n_o}x{n_d}"
        )
        compiles.append(rep["compile_s"])
        row.en_query_s, row.en_runs = rep["median_s"], rep["runs"]
        row.en_total_s = rep["compile_s"] + rep["first_s"]
        row.mem_pss = rep["peak_pss"]
        children = rep["children_maxrss"]
        row.mem_upper = rep["self_maxrss"] + (rep["workers"] * children if children else 0)
        row.mem_graph = rep["graph_maxrss"]
        row.engine_dev = deviation(rep["matrix"][:done], nx_rows)[0]

        if net is not None:
            log(f"{name}: {job}: pandana")
            o_ids = pd_index.get_indexer(origins)
            d_ids = pd_index.get_indexer(destinations)
            row.pd_query_s, _, pd_matrix = median_time(pandana_od, net, o_ids, d_ids)
            row.pd_total_s = row.pd_query_s + result.pd_export_s + result.pd_prep_s
            row.pandana_dev = deviation(pd_matrix[:done], nx_rows)
        result.rows.append(row)
        log(
            f"{name}: {job}: networkx {row.nx_s:.2f} s, engine {row.en_query_s:.3f} s"
            + (f", pandana {row.pd_query_s:.3f} s" if row.pd_query_s is not None else "")
        )
    result.en_compile_s = statistics.median(compiles)

    # Isochrones: the engine builds the polygons; networkx only finds what is reachable.
    job = f"isochrones {plan.iso_origins}×{len(MINUTES)}"
    row = Row(name, job)
    origins = rng.choice(pool, size=plan.iso_origins, replace=False).tolist()
    log(f"{name}: {job}: networkx reachability (cutoff {max(MINUTES) * 60} s)")
    row.nx_s, done, _ = networkx_rows(
        G,
        origins,
        [],
        budget_s=plan.nx_budget_s,
        min_sample=plan.nx_min_sample,
        cutoff=max(MINUTES) * 60.0,
    )
    row.nx_sampled = done if done < len(origins) else None
    log(f"{name}: {job}: engine")
    engine.compile_graph(G, weight="travel_time")  # compiled once, as in the OD jobs
    t = time.perf_counter()
    iso = engine.isochrones(G, origins[:1], minutes=MINUTES)
    one = time.perf_counter() - t
    if one * len(origins) <= plan.iso_budget_s:
        row.en_query_s, row.en_runs, iso = median_time(
            lambda: engine.isochrones(G, origins, minutes=MINUTES)
        )
    else:
        # Too long for all origins: one call per origin until the budget is spent, scaled.
        spent, done = one, 1
        while done < len(origins) and (spent < plan.iso_budget_s or done < 2):
            t = time.perf_counter()
            iso = engine.isochrones(G, origins[done : done + 1], minutes=MINUTES)
            spent += time.perf_counter() - t
            done += 1
        row.en_query_s, row.en_runs = spent * len(origins) / done, 1
        row.en_sampled = done if done < len(origins) else None
    if len(iso) % len(MINUTES) or not (iso["area_km2"] > 0).all():
        row.note = "unexpected isochrone rows"
    result.rows.append(row)
    log(f"{name}: {job}: networkx {row.nx_s:.2f} s, engine {row.en_query_s:.2f} s")
    graph_file.unlink()
    return result


# --------------------------------------------------------------------------- the table


def _s(value: float | None) -> str:
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _gb(value: int | None) -> str:
    return "—" if value is None else f"{value / GB:.2f}"


def _x(num: float | None, den: float | None) -> str:
    if num is None or den is None or den <= 0:
        return "—"
    ratio = num / den
    return f"{ratio:,.1f}×" if ratio >= 1 else f"{ratio:.2g}×"


def header(plan: Plan, quick: bool) -> list[str]:
    """The machine, the library versions and the engine settings."""
    from importlib import metadata

    from sanqu_geo import engine

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f", {int(line.split()[1]) / 1024**2:.0f} GB RAM"
    libs = ", ".join(
        f"{d} {version(d)}"
        for d in ("sanqu-geo", "numpy", "scipy", "pandas", "networkx", "osmnx", "pandana")
    )
    workers = engine.processes or os.cpu_count() or 1
    return [
        f"sanqu_geo engine benchmark ({'quick' if quick else 'full'} run), "
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"machine: {platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
        f"os.cpu_count() = {os.cpu_count()}{mem}",
        f"python {platform.python_version()}; {libs}",
        f"engine: processes = {engine.processes} ({workers} workers for large jobs), "
        f"chunk_bytes = {engine.chunk_bytes / 1024**2:.0f} MiB",
    ]


def table(results: list[GraphResult], skipped: list[str]) -> list[str]:
    """The closing table and its notes."""
    cols = [
        "graph",
        "job",
        "networkx (s)",
        "pandana query (s)",
        "pandana incl. prep (s)",
        "engine query (s)",
        "engine incl. compile (s)",
        "engine vs networkx",
        "engine vs pandana incl. prep",
        "peak memory PSS / bound (GB)",
        "check vs networkx",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for g in results:
        prep = [
            g.name,
            "preparation",
            "none",
            "—",
            f"{_s(g.pd_prep_s)} CH + {_s(g.pd_export_s)} export" if g.pd_prep_s else "—",
            "—",
            f"{_s(g.en_compile_s)} compile",
            "",
            "",
            "",
            f"{g.nodes:,} nodes, {g.edges:,} edges; {g.build_what} {_s(g.build_s)} s",
        ]
        lines.append("| " + " | ".join(prep) + " |")
        for r in g.rows:
            nx_cell = _s(r.nx_s) + (
                f" (scaled from {r.nx_sampled} origins)" if r.nx_sampled else ""
            )
            en_cell = _s(r.en_query_s)
            if r.en_sampled:
                en_cell += f" (scaled from {r.en_sampled} origins)"
            en_cell += f" [{'median of 3' if r.en_runs >= 3 else f'{r.en_runs} run'}]"
            iso = r.job.startswith("isochrones")
            vs_nx = _x(r.nx_s, r.en_query_s)
            if not iso:
                vs_nx += f" ({_x(r.nx_s, r.en_total_s)} incl. compile)"
            checks = []
            if r.engine_dev is not None:
                ok = "ok" if r.engine_dev <= ENGINE_TOL_S else "FAIL"
                checks.append(f"engine {ok}, max |Δ| {r.engine_dev:.1e} s")
            if r.pandana_dev is not None:
                ok = "ok" if r.pandana_dev[1] <= PANDANA_TOL_REL else "beyond 1e-3"
                checks.append(
                    f"pandana {ok}, max |Δ| {r.pandana_dev[0]:.3f} s, rel {r.pandana_dev[1]:.1e}"
                )
            if r.pairs_checked:
                checks.append(f"{r.pairs_checked:,} pairs")
            cells = [
                g.name,
                r.job + (" ¹" if iso else ""),
                nx_cell,
                _s(r.pd_query_s),
                _s(r.pd_total_s),
                en_cell,
                _s(r.en_total_s) if not iso else "—",
                vs_nx,
                _x(r.pd_total_s, r.en_total_s),
                f"{_gb(r.mem_pss)} / {_gb(r.mem_upper)}" if r.mem_upper else "—",
                "; ".join(checks) or r.note or "—",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += [f"| {s} | skipped | | | | | | | | | |" for s in skipped]
    return lines


def targets(results: list[GraphResult]) -> list[str]:
    """The targets of the engine, met or not."""
    out = ["Targets:"]
    for g in results:
        od = [r for r in g.rows if r.job.startswith("OD")]
        worst = min((r.nx_s / r.en_query_s for r in od if r.nx_s and r.en_query_s), default=None)
        if worst is not None:
            mark = "met" if worst >= TARGET_VS_NETWORKX else "NOT met"
            out.append(
                f"- {g.name}: engine vs networkx >= {TARGET_VS_NETWORKX:.0f}× on every OD size: "
                f"lowest {worst:,.1f}× ({mark})"
            )
        square = [r for r in od if "1,000×1,000" in r.job]
        for r in square:
            if r.pd_total_s and r.en_total_s:
                mark = "met" if r.en_total_s < r.pd_total_s else "NOT met"
                out.append(
                    f"- {g.name}: single {r.job}, both including preparation: engine "
                    f"{_s(r.en_total_s)} s vs pandana {_s(r.pd_total_s)} s = "
                    f"{r.pd_total_s / r.en_total_s:.1f}× ({mark})"
                )
        for r in od:
            if "5,000×200" in r.job and r.mem_upper:
                pss = r.mem_pss or 0
                mark = "met" if pss and pss < TARGET_MEMORY_GB * GB else "NOT met"
                out.append(
                    f"- {g.name}: peak memory of {r.job} < {TARGET_MEMORY_GB} GB: "
                    f"{_gb(r.mem_pss)} GB PSS ({mark}); upper bound {_gb(r.mem_upper)} GB; "
                    f"the process with the graph loaded, before compiling: {_gb(r.mem_graph)} GB"
                )
    return out


NOTES = [
    "Notes:",
    "- networkx: nx.single_source_dijkstra_path_length(G, o, weight='travel_time') per origin, "
    "then the destinations' values collected. '(scaled from N origins)': the first N origins "
    "were run and the time scaled by origins/N (each origin's search is independent of the "
    "others, so the cost is linear in the number of origins).",
    "- pandana: Network(x, y, from, to, travel_time, twoway=False) then shortest_path_lengths on "
    "the repeated origins and tiled destinations. 'incl. prep' adds the export from the networkx "
    "graph and the contraction hierarchy (built on all cores) to the query; the query is timed "
    "like the engine's (median of 3 under 30 s). pandana stores each "
    "edge weight as whole milliseconds (truncated), so its times run short by up to 1 ms per "
    "edge; its deviation is reported, not failed.",
    "- engine: sanqu_geo.engine.od_matrix in a fresh process per job (graph unpickled first, "
    "not timed). 'query' is the median of 3 runs on the compiled graph (one run when it takes "
    "30 s or more); 'incl. compile' is compile_graph plus the first run, as a first call pays it.",
    "- peak memory: PSS of the engine's process and its worker processes summed, sampled every "
    "50 ms (shared pages counted once); 'bound' is ru_maxrss of the process plus workers × the "
    "largest worker's ru_maxrss, an upper bound that counts the pages the forked workers share "
    "with the parent once per process. Both include the networkx graph held by the process.",
    "- check: every pair of the origins run by networkx compared; engine must equal networkx "
    f"within {ENGINE_TOL_S:g} s, pandana is expected within {PANDANA_TOL_REL:g} relative.",
    "- ¹ isochrones: the engine's isochrones() builds the 15/30/45/60-minute polygons (cut "
    "edges, buffers, unions); the networkx column is only the reachability part "
    "(single_source_dijkstra_path_length with cutoff=3600 s per origin), no polygons. "
    "pandana is not compared there.",
]


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the closing table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (under a minute)")
    parser.add_argument(
        "--reference",
        type=Path,
        default=REPO.parent / "shared" / "reference",
        help="reference folder with osm/harbin-core.osm.pbf (default: ../shared/reference)",
    )
    parser.add_argument("--engine-job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.engine_job:
        engine_job_main(args.engine_job)
        return 0

    plan = QUICK if args.quick else FULL
    head = header(plan, args.quick)
    for line in head:
        log(line)
    if not pandana_available():
        log("pandana is not installed: its columns stay empty (pip install pandana)")
    results: list[GraphResult] = []
    skipped: list[str] = []
    launcher = Launcher()  # before any graph is loaded (see _LAUNCHER)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
            workdir = Path(tmp)
            if not plan.real_graph:
                skipped.append("harbin-core (not in --quick)")
            elif not (pbf := args.reference / "osm" / "harbin-core.osm.pbf").exists():
                skipped.append(f"harbin-core ({pbf} not found)")
                log(f"skipping the Harbin graph: {pbf} not found")
            else:
                from sanqu_geo.network import load_network

                log(f"loading {pbf}")
                t = time.perf_counter()
                G = load_network(pbf, use_cache=False)
                build_s = time.perf_counter() - t
                results.append(
                    bench_graph("harbin-core", G, build_s, "loaded in", plan, workdir, launcher)
                )
                del G
            log(f"generating the road-like graph ({plan.side}×{plan.side} grid)")
            t = time.perf_counter()
            G = road_like_graph(plan.side)
            build_s = time.perf_counter() - t
            name = f"generated-{round(G.number_of_nodes() / 1000)}k"
            results.append(bench_graph(name, G, build_s, "generated in", plan, workdir, launcher))
    finally:
        launcher.close()

    total = time.perf_counter() - _T0
    lines = [
        *head,
        "",
        *table(results, skipped),
        "",
        *targets(results),
        "",
        *NOTES,
        "",
        f"total runtime: {total / 60:.1f} min ({total:,.0f} s)",
    ]
    print("\n".join(lines), flush=True)
    failed = any(
        r.engine_dev is not None and r.engine_dev > ENGINE_TOL_S for g in results for r in g.rows
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
