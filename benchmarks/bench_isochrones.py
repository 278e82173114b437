"""Isochrone polygons: the engine against the way the osmnx examples build them.

Run from the repository root:

    python benchmarks/bench_isochrones.py [--origins 20]

On the largest real OpenStreetMap extract in ../shared/reference (central Harbin), for random
origins at 15, 30, 45 and 60 minutes. The osmnx way (its isochrone example notebook): for each
origin and threshold, ``networkx.ego_graph(G, origin, radius, distance="travel_time")``, then
the reached nodes buffered 50 m and the reached edges buffered 25 m, united (in EPSG:4551).
The engine: ``sanqu_geo.engine.isochrones`` (reachable road pieces with partial edges cut
exactly, buffered 200 m, holes filled, nested). Both produce polygons; the table prints the
median time per origin (all four thresholds) and the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import shapely
from shapely.geometry import LineString, Point

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sanqu_geo import engine, network  # noqa: E402

MINUTES = (15, 30, 45, 60)


def osmnx_example_isochrones(G: nx.MultiDiGraph, origin, minutes=MINUTES) -> list:
    """Isochrones as the osmnx example notebook makes them (nodes 50 m, edges 25 m)."""
    polys = []
    for m in minutes:
        sub = nx.ego_graph(G, origin, radius=m * 60, distance="travel_time")
        points = [Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
        lines = [
            d.get("geometry")
            or LineString(
                [(sub.nodes[u]["x"], sub.nodes[u]["y"]), (sub.nodes[v]["x"], sub.nodes[v]["y"])]
            )
            for u, v, d in sub.edges(data=True)
        ]
        nodes = gpd.GeoSeries(points, crs=4326).to_crs("EPSG:4551").buffer(50)
        edges = gpd.GeoSeries(lines, crs=4326).to_crs("EPSG:4551").buffer(25)
        polys.append(shapely.union_all(list(nodes) + list(edges)))
    return polys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=20)
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "reference")
    args = parser.parse_args()
    path = args.reference / "osm" / "harbin-core.osm.pbf"
    if not path.is_file():
        print(f"skipped: {path} not found (the reference data live in ../shared/reference)")
        return 0
    G = network.load_network(path, use_cache=False)
    largest = max(nx.strongly_connected_components(G), key=len)
    origins = random.Random(5).sample(sorted(largest), args.origins)
    engine.isochrones(G, origins[:1], MINUTES)  # compile and cache edge geometries once
    osmnx_times, engine_times = [], []
    for origin in origins:
        t = time.perf_counter()
        osmnx_example_isochrones(G, origin)
        osmnx_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        engine.isochrones(G, [origin], MINUTES)
        engine_times.append(time.perf_counter() - t)
    a, b = statistics.median(osmnx_times), statistics.median(engine_times)
    print(f"# Isochrones, {len(origins)} origins x {len(MINUTES)} thresholds")
    print(f"graph: {G.graph['source']} — {G.number_of_nodes():,} nodes; cores: {os.cpu_count()}")
    print()
    print("| method | per origin (median) | 20 origins | ratio |")
    print("|---|---:|---:|---:|")
    print(
        f"| osmnx example (ego_graph + node/edge buffers) | {a:.2f} s | {sum(osmnx_times):.1f} s | 1.0× |"
    )
    print(f"| engine.isochrones | {b:.2f} s | {sum(engine_times):.1f} s | {a / b:.1f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
