"""Sweep of generated corridor variants: the exact fast evaluation against recomputing each one.

Run from the repository root:

    python benchmarks/bench_corridors.py            # 200 variants, 1,000 x 1,000 OD
    python benchmarks/bench_corridors.py --quick    # 20 variants, 200 x 200 OD

The graph is the largest real OpenStreetMap extract in ../shared/reference (central Harbin).
Each variant is a straight expressway through 2-4 interchanges drawn from a pool of 40 nodes.
"Recompute" splices the variant into a new graph (``scenarios.apply``) and runs the OD on it
with the same engine; "fast" uses ``engine.corridor_od`` from the base OD and the distances to
and from the anchors. Recomputation is timed on a sample of variants and scaled per variant
(each recomputation is independent); the sample is also checked for equality.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, Point

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sanqu_geo import engine, network, scenarios  # noqa: E402


def _variants(G, count: int, seed: int) -> list[scenarios.Corridor]:
    rng = random.Random(seed)
    nodes = list(G.nodes)
    pool = rng.sample(nodes, 40)
    out = []
    for k in range(count):
        stops = rng.sample(pool, rng.randint(2, 4))
        points = [Point(G.nodes[n]["x"], G.nodes[n]["y"]) for n in stops]
        points.sort(key=lambda p: (p.x, p.y))
        out.append(
            scenarios.Corridor(
                id=f"v{k}",
                title_zh=f"方案{k}",
                title_en=f"variant {k}",
                kind="expressway",
                geometry=LineString([p.coords[0] for p in points]),
                interchanges=tuple(points),
                design_speed_kph=rng.choice([80.0, 100.0, 120.0]),
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 variants, 200 x 200 OD")
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    args = parser.parse_args()
    path = args.reference / "osm" / "harbin-core.osm.pbf"
    if not path.is_file():
        print(f"skipped: {path} not found (the reference data live in ../shared/reference)")
        return 0
    count, size, sample = (20, 200, 5) if args.quick else (200, 1000, 10)
    warnings.simplefilter("ignore", engine.UnreachableWarning)

    G = network.load_network(path, use_cache=False)
    rng = random.Random(1)
    nodes = list(G.nodes)
    origins = rng.sample(nodes, size)
    destinations = rng.sample(nodes, size)
    variants = _variants(G, count, seed=2)

    t0 = time.perf_counter()
    base = engine.od_matrix(G, origins, destinations)
    base_s = time.perf_counter() - t0

    checked = variants[:: max(1, count // sample)][:sample]
    keep = {c.id for c in checked}  # keep only the results that are checked: 8 MB each
    cache: dict = {}
    fast_times = []
    fast_results = {}
    for corridor in variants:
        t = time.perf_counter()
        plan = scenarios.plan_splice(G, [corridor])
        result = engine.corridor_od(
            G,
            list(plan.new_nodes),
            plan.new_edges,
            plan.anchors,
            origins,
            destinations,
            base_od=base,
            anchor_cache=cache,
        )
        fast_times.append(time.perf_counter() - t)
        if corridor.id in keep:
            fast_results[corridor.id] = result
        del result

    full_times = []
    worst = 0.0
    for corridor in checked:
        t = time.perf_counter()
        H = scenarios.apply(G, [corridor])
        full = engine.od_matrix(H, origins, destinations)
        full_times.append(time.perf_counter() - t)
        with np.errstate(invalid="ignore"):
            diff = np.abs(full.to_numpy() - fast_results[corridor.id].to_numpy())
        diff[np.isinf(full.to_numpy()) & np.isinf(fast_results[corridor.id].to_numpy())] = 0
        worst = max(worst, float(np.nanmax(diff)))

    fast_total = sum(fast_times)
    full_each = statistics.median(full_times)
    full_total = full_each * count
    print(f"# Corridor sweep: {count} variants, OD {size} x {size}")
    print(
        f"graph: {G.graph['source']} — {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges; "
        f"cores: {os.cpu_count()}; engine processes: {engine.processes or os.cpu_count()}"
    )
    print()
    print(f"| method | per variant (median) | {count}-variant sweep | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| recompute each scenario (apply + OD), scaled from {len(checked)} variants | "
        f"{full_each:.3f} s | {full_total:.1f} s | 1.0× |"
    )
    print(
        f"| fast exact evaluation (engine.corridor_od) | {statistics.median(fast_times):.4f} s | "
        f"{fast_total:.1f} s | {full_total / fast_total:.0f}× |"
    )
    print(
        f"| fast, including the one-off base OD ({base_s:.1f} s) | | {fast_total + base_s:.1f} s | "
        f"{full_total / (fast_total + base_s):.0f}× |"
    )
    print()
    print(f"largest difference fast vs recomputed on the checked variants: {worst:.2e} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
