"""Derive the embedded city road network ``harbin`` into ``data/roads/harbin/``.

The network is OpenStreetMap's drivable streets of the urban core (the extract
``../shared/reference/osm/harbin-core.osm.pbf``, box 126.506–126.772 E, 45.658–45.831 N),
joined to the embedded trunk network (``data/roads/trunk.geojson``, authored from published
facts) outside that box:

1. the OSM core is read with the drive filter of osmnx (every class a car may use, with OSM
   ``lanes``, ``oneway``, ``maxspeed``, ``junction``, ``bridge``, ``tunnel``) and simplified
   as osmnx does; nodes tagged ``highway=traffic_signals`` keep the tag;
2. the trunk roads are cut at the box: what lies inside is taken from OSM, what lies outside
   is kept, with the published G1 widening (harbin-demand-facts §4) as its lane count;
3. each trunk road is stitched where it crosses the box edge to OSM within 3 km, each
   direction on its own (the way in where an OSM road of its kind starts or passes, the way
   out where one ends or passes: the two carriageways of a divided road), the same road
   preferred, by a straight one-way link of its class;
4. the largest strongly connected part is kept (every node reaches every other), and osmnx's
   ``street_count`` is set on every node.

Run from the repository: ``python tools/build_city_network.py`` (about 15 s). The output is a
derived database of OpenStreetMap: © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sanqu_geo import _osm, capacity, citynet, network, speeds  # noqa: E402

#: The clip box of the OSM extract (its README).
BOX = (126.506130, 45.657920, 126.771862, 45.830905)
#: Largest stitching distance (m) from where a trunk road meets the box to an OSM node.
STITCH_MAX_M = 3000.0
#: OSM classes a trunk-network class may be stitched to, in order of preference.
STITCH_CLASSES = {
    "motorway": ("motorway", "trunk"),
    "trunk": ("trunk", "motorway", "primary"),
    "primary": ("primary", "trunk", "secondary"),
    "secondary": ("secondary", "primary", "tertiary"),
}
#: Lanes (both directions) given to trunk roads outside the box where a fact supports them:
#: 京哈高速 Harbin – 拉林河 widening from 4 to 8 lanes announced 2018 (harbin-demand-facts §4,
#: M); taken as built, which is an assumption (no completion date was found).
LANES_BY_REF = {
    "G1": (8, "8 lanes: widening 4→8 announced 2018 (harbin-demand-facts §4), assumed built")
}

#: Road classes by importance: a merged edge's first class is its most important.
CLASS_ORDER = {c: i for i, c in enumerate((
    "motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link", "trunk_link",
    "primary_link", "secondary_link", "tertiary_link", "unclassified", "residential",
    "living_street", "road", "service"))}  # fmt: skip

SOURCE = (
    "Harbin city network: OpenStreetMap streets of the urban core (© OpenStreetMap "
    "contributors, ODbL) joined to the indicative trunk network outside it"
)
_GEOD = Geod(ellps="WGS84")
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)

logging.basicConfig(level=logging.WARNING, format="%(message)s")


def signal_nodes(path: Path) -> set[int]:
    """Ids of the OSM nodes tagged ``highway=traffic_signals``."""

    class Handler(osmium.SimpleHandler):
        def __init__(self) -> None:
            super().__init__()
            self.ids: set[int] = set()

        def node(self, n) -> None:
            if n.tags.get("highway") == "traffic_signals":
                self.ids.add(int(n.id))

    h = Handler()
    h.apply_file(str(path))
    return h.ids


def osm_core(path: Path) -> nx.MultiDiGraph:
    """The drivable OSM graph of the core, every edge with a geometry and ``source=osm``."""
    G, report = _osm.graph_from_osm_file(path, network_type="drive", retain_all=True)
    print(f"OSM core: {len(G):,} nodes, {G.number_of_edges():,} edges; clipped: {report}")
    signals = signal_nodes(path)
    tagged = 0
    for n in G.nodes:
        if n in signals:
            G.nodes[n]["highway"] = "traffic_signals"
            tagged += 1
    print(f"traffic signals tagged in OSM: {len(signals)}, of them graph nodes: {tagged}")
    for u, v, _, d in G.edges(keys=True, data=True):
        # osmnx joins the values of merged ways into lists in no fixed order: sort them, the
        # most important road class first, so the file is the same at every run
        for key, value in list(d.items()):
            if isinstance(value, list):
                if key == "highway":
                    d[key] = sorted(set(value), key=lambda h: (CLASS_ORDER.get(h, 99), h))
                else:
                    d[key] = sorted(set(value), key=str)
        if "geometry" not in d:
            d["geometry"] = LineString(
                [(G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"])]
            )
        d["source"] = "osm"
    return G


def trunk_outside(clip: shapely.Polygon) -> tuple[nx.MultiDiGraph, list[tuple], list[dict]]:
    """The trunk network's roads outside the box, as a graph with negative node ids.

    Returns the graph, the points where a road meets the box (lon, lat, properties), and the
    features kept.
    """
    with (ROOT / "data" / "roads" / "trunk.geojson").open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    kept: list[dict] = []
    crossings: list[tuple] = []
    edge_of_box = clip.boundary
    for index, feature in enumerate(features):
        geom = shapely.geometry.shape(feature["geometry"])
        outside = geom.difference(clip)
        if outside.is_empty:
            continue
        props = dict(feature["properties"])
        props["osmid"] = -(index + 1)
        ref = props.get("ref") or ""
        if ref in LANES_BY_REF and props.get("lanes") is None:
            props["lanes"], props["lanes_note"] = LANES_BY_REF[ref]
        parts = outside.geoms if outside.geom_type == "MultiLineString" else [outside]
        for part in parts:
            if part.length == 0:
                continue
            kept.append(
                {"type": "Feature", "properties": props, "geometry": part.__geo_interface__}
            )
            for end in (part.coords[0], part.coords[-1]):
                if edge_of_box.distance(shapely.Point(end)) < 1e-7:
                    crossings.append((round(end[0], 7), round(end[1], 7), props))
    T = network.graph_from_lines(kept, source="trunk outside the core")
    T = nx.relabel_nodes(T, {n: -int(n) for n in T.nodes})
    osmid = {f["properties"]["id"]: f["properties"]["osmid"] for f in kept}
    for _, _, d in T.edges(data=True):
        d["source"] = "trunk"
        d["osmid"] = osmid[d["road_id"]]
    return T, crossings, kept


def core_name(name: str) -> str:
    """A road name without the city, brackets and generic endings, for matching the sketch's
    names to OSM's (哈尔滨机场高速公路 → 机场高速, 机场路(老机场路) → 机场路)."""
    name = name.split("(")[0].split("(")[0].split(" - ")[0].strip()
    if name.startswith("哈尔滨") and len(name) > 5:
        name = name[3:]
    for ending in ("公路", "高速公路"):
        if name.endswith(ending) and len(name) > len(ending) + 1:
            name = name[: -len(ending)] + ("高速" if ending == "高速公路" else "")
    return name


def _named(name: str, ref: str, words: set[str]) -> bool:
    return any(
        (name and (name in core_name(w) or core_name(w) in name) and len(core_name(w)) >= 2)
        or (ref and ref == w)
        for w in words
    )


def stitch(G: nx.MultiDiGraph, T: nx.MultiDiGraph, crossings: list[tuple]) -> list[dict]:
    """Join each trunk road end on the box edge to OSM, each direction on its own.

    A road that OSM draws as two one-way carriageways is clipped at the box into an inbound
    carriageway that starts there and an outbound one that ends there. The way in (trunk end →
    OSM) joins the nearest node where an OSM road of the trunk road's kind starts or passes
    (an edge leaves it), the way out (OSM → trunk end) the nearest node where one ends or passes
    (an edge enters it); a node where the carriageway of that direction begins or ends at the
    clip (no edge of the kind on the other side) is preferred, and so is the same road (same ref,
    or the same name once the city and generic endings are dropped).
    """
    node_at = {(round(d["x"], 7), round(d["y"], 7)): n for n, d in T.nodes(data=True)}
    tails: dict[str, dict[int, set[str]]] = {}
    heads: dict[str, dict[int, set[str]]] = {}
    for u, v, d in G.edges(data=True):
        if d.get("source") != "osm":
            continue
        cls = speeds._first_class(d.get("highway"))
        words = set(capacity._names(d)) | set(capacity._names({"name": d.get("ref")}))
        tails.setdefault(cls, {}).setdefault(u, set()).update(words)
        heads.setdefault(cls, {}).setdefault(v, set()).update(words)
    xy = {n: _TO_M.transform(d["x"], d["y"]) for n, d in G.nodes(data=True) if n > 0}
    done = []
    for lon, lat, props in crossings:
        tnode = node_at[(lon, lat)]
        cls = str(props.get("highway"))
        name = core_name(str(props.get("name_zh") or ""))
        ref = str(props.get("ref") or "")
        px, py = _TO_M.transform(lon, lat)
        oneway = bool(props.get("oneway", False))
        directions = [("in", tails, heads)] + ([] if oneway else [("out", heads, tails)])
        for direction, usable, other in directions:
            best = None
            for rank, osm_cls in enumerate(STITCH_CLASSES.get(cls, (cls,))):
                for n, words in usable.get(osm_cls, {}).items():
                    x, y = xy[n]
                    dist = float(np.hypot(x - px, y - py))
                    if dist > STITCH_MAX_M:
                        continue
                    named = _named(name, ref, words)
                    clipped = n not in other.get(osm_cls, {})
                    score = (dist * (0.35 if named else 1.0) * (0.6 if clipped else 1.0)
                             * (1.0 + 0.5 * rank))  # fmt: skip
                    if best is None or score < best[0]:
                        best = (score, n, dist, osm_cls, named)
            if best is None:
                print(f"  ! {props.get('id')} {props.get('name_zh')} ({direction}): no OSM road "
                      "within 3 km; not stitched")  # fmt: skip
                continue
            _, onode, dist, osm_cls, named = best
            a, b = (tnode, onode) if direction == "in" else (onode, tnode)
            line = LineString(
                [(G.nodes[a]["x"], G.nodes[a]["y"]), (G.nodes[b]["x"], G.nodes[b]["y"])]
            )
            G.add_edge(
                a, b, osmid=props["osmid"], highway=cls, name=props.get("name_zh", ""), ref=ref,
                lanes=props.get("lanes"), maxspeed=props.get("maxspeed"), source="stitch",
                accuracy="indicative", length=max(float(_GEOD.geometry_length(line)), 1.0),
                oneway=True, reversed=False, geometry=line,
            )  # fmt: skip
            done.append(
                {"road": props.get("id"), "name": props.get("name_zh"), "dir": direction,
                 "to_class": osm_cls, "named": named, "m": round(dist)}
            )  # fmt: skip
    return done


def build(osm_path: Path) -> nx.MultiDiGraph:
    """The city network (before speeds), as written to ``data/roads/harbin/``."""
    clip = box(*BOX)
    G = osm_core(osm_path)
    T, crossings, _ = trunk_outside(clip)
    print(f"trunk outside the box: {len(T)} nodes, {T.number_of_edges()} edges, "
          f"{len(crossings)} crossings of the box edge")  # fmt: skip
    G = nx.compose(G, T)
    for row in stitch(G, T, crossings):
        print(f"  stitched {row['road']:<24} {row['name']:<14} {row['dir']:<3} OSM "
              f"{row['to_class']:<9} {'same road' if row['named'] else 'nearest':<9} "
              f"{row['m']:>5} m")  # fmt: skip
    strong = max(nx.strongly_connected_components(G), key=len)
    dropped = len(G) - len(strong)
    G = G.subgraph(strong).copy()
    print(f"largest strongly connected part: {len(G):,} nodes ({dropped:,} dropped)")
    import osmnx as ox

    counts = ox.stats.count_streets_per_node(G)
    nx.set_node_attributes(G, counts, name="street_count")
    G.graph.clear()
    G.graph.update(crs="EPSG:4326", source=SOURCE, network="harbin",
                   credit="© OpenStreetMap contributors, ODbL",
                   core_box=",".join(f"{v:.6f}" for v in BOX))  # fmt: skip
    # deterministic order: nodes and edges sorted
    H = nx.MultiDiGraph(**G.graph)
    H.add_nodes_from(sorted(G.nodes(data=True), key=lambda t: t[0]))
    H.add_edges_from(sorted(G.edges(keys=True, data=True), key=lambda t: (t[0], t[1], t[2])))
    return H


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--osm",
        type=Path,
        default=ROOT.parent / "shared" / "reference" / "osm" / "harbin-core.osm.pbf",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "roads" / "harbin")
    args = parser.parse_args(argv)
    if not args.osm.is_file():
        print(f"{args.osm}: OpenStreetMap extract not found; give it with --osm", file=sys.stderr)
        return 2
    G = build(args.osm)
    citynet.write_graph(G, args.out)
    km = Counter()
    lanes_osm = 0
    for _, _, d in G.edges(data=True):
        km[speeds._first_class(d.get("highway"))] += d["length"] / 1000
        lanes_osm += d.get("source") == "osm" and d.get("lanes") is not None
    print(f"written {args.out}: {len(G):,} nodes, {G.number_of_edges():,} edges; "
          f"OSM lanes on {lanes_osm:,} edges")  # fmt: skip
    for cls, value in km.most_common():
        print(f"  {cls:<16} {value:8.1f} km")
    return 0


if __name__ == "__main__":
    sys.exit(main())
