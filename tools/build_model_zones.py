"""Build the model's traffic analysis zones of Harbin's nine districts: ``zones_model``.

Reads, at build time and without copying them:

* an OpenStreetMap extract of the core (default ``../shared/reference/osm/harbin-core.osm.pbf``,
  the box 126.506–126.772 E, 45.658–45.831 N): district boundaries (admin_level 6), 街道
  polygons (admin_level 8, for names), major roads, land use, buildings and points;
* the project's own layers: ``data/roads/trunk.geojson`` (trunk sketch),
  ``data/boundaries/districts.geojson`` (label points), ``data/boundaries/river.geojson``
  (Songhua centreline) and ``data/demand/parameters.toml`` (2020 census population);

and writes ``data/boundaries/zones_model.geojson`` (WGS-84, coordinates rounded to 6
decimals, features sorted by id; the same input gives a byte-identical file).

Method (all geometry in EPSG:4551, CGCS2000 3-degree Gauss–Krüger, CM 126 E):

1. Study area: convex hull of the trunk sketch, the district points and the seats of 阿城
   and 双城, buffered by ``STUDY_BUFFER_M``.
2. District territory. Inside the OSM box: the faces of the polygonized admin_level 6
   boundary ways (the relations are clipped at the box and do not assemble as areas); each
   face takes the district its bounding ways have in common, and a face bounded by one way
   only takes the other district of that way from its neighbour across it. Outside the box:
   Voronoi cells of the district points (seats for 阿城 and 双城), built separately north
   of the Songhua (松北, 呼兰) and south of it (the others), the river centreline extended
   straight beyond its drawn ends. Indicative, not official boundaries.
3. Cells: the territories, the box edge and the main roads (OSM motorway/trunk/primary/
   secondary inside the box, the trunk sketch outside) are polygonized together. Cells
   smaller than a threshold merge into the neighbour of the same district sharing the
   longest edge (into a neighbour of another district only when the cell is under 0.5 km² with
   no neighbour of its own district); cells larger than ``MAX_KM2_BOX`` in the box, or
   outside it larger than ``max_km2_outside`` of their distance from the district's point,
   are split in two across their longer side through the centroid, repeatedly. 平房's
   Voronoi cell is capped to a disc (``TERRITORY_RADIUS_M``), the rest going to its
   neighbours.
4. External zones: a ``EXTERNAL_RADIUS_M`` disc at the far end of each trunk-sketch road
   that leaves the study area; they are cut out of the district cells.
5. Population: census total × urban share (harbin-demand-facts §1) spread by residential
   floor area inside the box and by exp(−d / ``DECAY_M``) around the district point
   outside it; the rest (rural) spread by land area. Sums match the census exactly.
6. Jobs weight: land use and points inside the box, residents outside (``JOB_*`` tables).

Every weight below is an assumption unless its comment names a source.

Run from the repository: ``python tools/build_model_zones.py [--osm FILE] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np
import osmium
import shapely
from pyproj import Transformer
from shapely import wkb
from shapely.geometry import shape
from shapely.ops import polygonize, unary_union

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OSM = REPO.parent / "shared" / "reference" / "osm" / "harbin-core.osm.pbf"
DEFAULT_OUT = REPO / "data" / "boundaries" / "zones_model.geojson"
DATA = REPO / "data"

# --------------------------------------------------------------------------- weights
# Census urban share (POPU_URB), NBS 2020 county tabulation, harbin-demand-facts §1 (H).
URBAN_SHARE = {
    "daoli": 0.933,
    "nangang": 0.980,
    "daowai": 0.914,
    "pingfang": 0.995,
    "songbei": 0.676,
    "xiangfang": 0.975,
    "hulan": 0.656,
    "acheng": 0.645,
    "shuangcheng": 0.379,
}
# District seats without an embedded label point: district seat, approximate (indicative).
SEATS = {"acheng": (126.972, 45.542), "shuangcheng": (126.312, 45.383)}
NORTH_BANK = ("songbei", "hulan")
OSM_DISTRICTS = {
    "道里区": "daoli",
    "道外区": "daowai",
    "南岗区": "nangang",
    "松北区": "songbei",
    "香坊区": "xiangfang",
}
# A small district whose Voronoi cell would be far too large keeps only a disc of this radius
# around its point; the rest goes to its neighbours' cells (assumption: 平房 is about
# 95 km², i.e. a disc of about 5.5 km).
TERRITORY_RADIUS_M = {"pingfang": 7000.0}
BOX = (126.506, 45.658, 126.772, 45.831)  # the OSM extract's clip box (reference README)

# Residential floor area (assumptions; OSM tags building:levels on < 1 % of buildings).
LEVELS_DEFAULT = {
    "apartments": 7.0,  # assumption: Harbin walk-up blocks 6–7 storeys, towers more
    "residential": 7.0,
    "dormitory": 5.0,
    "house": 2.0,
    "detached": 2.0,
    "bungalow": 1.0,
    "terrace": 2.0,
    "semidetached_house": 2.0,
    "yes": 6.0,  # building=yes counts as residential only inside residential land use
}
RESIDENTIAL_FAR_MIN = 1.0  # assumption: floor m² per m² of residential land use at least
# Outside the box: residential floor per m² of land at the district point, decaying as
# exp(-d / DECAY_M). Both assumptions; F0 sets how much of a straddling district's urban
# population lives outside the box (and cancels for districts wholly outside it).
OUTSIDE_FLOOR_AT_POINT = 1.0
DECAY_M = 3000.0
GRID_M = 250.0  # sampling step of the decay and area integrals outside the box

# Jobs weight inside the box (assumptions: typical Chinese urban employment densities).
JOB_LANDUSE_PER_M2 = {  # jobs per m² of land
    "commercial": 0.025,  # 250 jobs/ha
    "retail": 0.025,  # 250 jobs/ha
    "industrial": 0.006,  # 60 jobs/ha
    "governmental": 0.015,  # 150 jobs/ha (offices of government)
}
JOB_OFFICE_BUILDING_PER_M2 = 0.03  # building=office/commercial footprint × levels / 33 m²
JOB_POINTS = {  # jobs per mapped point or area (centroid) by tag
    ("amenity", "university"): 800.0,
    ("amenity", "college"): 300.0,
    ("amenity", "school"): 80.0,
    ("amenity", "kindergarten"): 15.0,
    ("amenity", "hospital"): 600.0,
    ("amenity", "clinic"): 20.0,
    ("amenity", "townhall"): 100.0,
    ("amenity", "police"): 40.0,
    ("amenity", "bank"): 15.0,
    ("amenity", "marketplace"): 50.0,
    ("amenity", "*"): 5.0,
    ("shop", "mall"): 300.0,
    ("shop", "supermarket"): 40.0,
    ("shop", "*"): 4.0,
    ("office", "*"): 30.0,
    ("tourism", "hotel"): 30.0,
}
JOBS_PER_RESIDENT = 0.2  # assumption: population-serving jobs per resident, every zone

# Cells (assumptions, tuned for 1–3 km² zones in the core).
MERGE_MIN_KM2_BOX = 1.2  # cells in the box smaller than this merge with a neighbour
MAX_KM2_BOX = 6.0  # cells in the box larger than this are split in two, repeatedly
SLIVER_KM2 = 0.1
STUDY_BUFFER_M = 3000.0
EXTERNAL_RADIUS_M = 300.0


def max_km2_outside(d_m: float) -> float:
    """Largest cell outside the box at ``d_m`` from the district point (assumption)."""
    return min(150.0, 4.0 + 0.8 * (d_m / 1000.0) ** 2)


def min_km2_outside(d_m: float) -> float:
    """Cells outside the box smaller than this merge with a neighbour (assumption)."""
    return min(60.0, 2.0 + 0.3 * (d_m / 1000.0) ** 2)


# The roads leaving the study area: trunk-sketch line id -> (external id, road label, name).
EXTERNALS = {
    "g1-hada-01": ("ext_g1", "G1 京哈高速", "G1 toward 双城, Changchun"),
    "g10-hadaqi-01": ("ext_g10_nw", "G10 绥满高速(哈大齐)", "G10 toward Daqing"),
    "g10-hamu-01": ("ext_g10_e", "G10 绥满高速(哈牡)", "G10 toward Mudanjiang"),
    "g1011-hatong-01": ("ext_g1011", "G1011 哈同高速", "G1011 toward Tongjiang"),
    "g1211-hahei-01": ("ext_g1211", "G1211 吉黑高速(哈黑)", "G1211 toward Heihe"),
    "hashuang-north-03": ("ext_hashuang", "哈双北线", "哈双 road toward Jilin S514"),
}

SOURCE = (
    "2020 census (NBS county tabulation, harbin-demand-facts §1) spread by OpenStreetMap land "
    "use (© OpenStreetMap contributors, ODbL) and the trunk sketch; tools/build_model_zones.py"
)

TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)
TO_DEG = Transformer.from_crs("EPSG:4551", "EPSG:4326", always_xy=True)


def to_m(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_M.transform(xy[:, 0], xy[:, 1])))


def to_deg(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(TO_DEG.transform(xy[:, 0], xy[:, 1])))


# --------------------------------------------------------------------------- OSM reading

MAJOR = ("motorway", "trunk", "primary", "secondary")
RES_BUILDINGS = frozenset(LEVELS_DEFAULT) - {"yes"}
OFFICE_BUILDINGS = frozenset({"office", "commercial"})


def _levels(tags: osmium.osm.TagList, kind: str) -> float:
    raw = tags.get("building:levels", "")
    try:
        value = float(raw.split(";")[0])
    except ValueError:
        return LEVELS_DEFAULT.get(kind, 6.0)
    return value if 0 < value < 100 else LEVELS_DEFAULT.get(kind, 6.0)


def _job_points(tags: osmium.osm.TagList) -> float:
    total = 0.0
    for key in ("amenity", "shop", "office", "tourism"):
        value = tags.get(key)
        if value is None:
            continue
        weight = JOB_POINTS.get((key, value), JOB_POINTS.get((key, "*")))
        if weight is not None:
            total = max(total, weight)
    return total


class _Relations(osmium.SimpleHandler):
    def __init__(self) -> None:
        super().__init__()
        self.way_districts: dict[int, set[str]] = defaultdict(set)

    def relation(self, r: osmium.osm.Relation) -> None:
        tags = r.tags
        if tags.get("boundary") != "administrative" or tags.get("admin_level") != "6":
            return
        district = OSM_DISTRICTS.get(tags.get("name", ""))
        if district is None:
            return
        for m in r.members:
            if m.type == "w":
                self.way_districts[m.ref].add(district)


class _Features(osmium.SimpleHandler):
    def __init__(self, admin_ways: set[int]) -> None:
        super().__init__()
        self.admin_ways = admin_ways
        self.admin_lines: dict[int, shapely.LineString] = {}
        self.roads: list[shapely.LineString] = []
        self.landuse: list[tuple[str, bytes]] = []
        self.buildings: list[tuple[str, float, bytes]] = []
        self.points: list[tuple[float, float, float]] = []  # lon, lat, jobs
        self.area_points: list[tuple[float, bytes]] = []  # jobs, area wkb
        self.streets: list[tuple[str, bytes]] = []  # admin_level 8 name, wkb
        self.wkb = osmium.geom.WKBFactory()

    def node(self, n: osmium.osm.Node) -> None:
        jobs = _job_points(n.tags)
        if jobs:
            self.points.append((n.location.lon, n.location.lat, jobs))

    def way(self, w: osmium.osm.Way) -> None:
        highway = w.tags.get("highway")
        if w.id in self.admin_ways or highway in MAJOR:
            coords = [(n.lon, n.lat) for n in w.nodes if n.location.valid()]
            if len(coords) < 2:
                return
            line = shapely.LineString(coords)
            if w.id in self.admin_ways:
                self.admin_lines[w.id] = line
            if highway in MAJOR:
                self.roads.append(line)

    def area(self, a: osmium.osm.Area) -> None:
        tags = a.tags
        landuse = tags.get("landuse")
        building = tags.get("building")
        jobs = _job_points(tags)
        admin8 = tags.get("boundary") == "administrative" and tags.get("admin_level") == "8"
        if not (landuse in ("residential", *JOB_LANDUSE_PER_M2) or building or jobs or admin8):
            return
        try:
            geom = self.wkb.create_multipolygon(a)
        except (RuntimeError, osmium.InvalidLocationError):
            return
        if landuse in ("residential", *JOB_LANDUSE_PER_M2):
            self.landuse.append((landuse, geom))
        if building:
            kind = building if building in RES_BUILDINGS or building in OFFICE_BUILDINGS else "yes"
            if building in RES_BUILDINGS or building in OFFICE_BUILDINGS or building == "yes":
                self.buildings.append((kind, _levels(tags, kind), geom))
        if jobs:
            self.area_points.append((jobs, geom))
        if admin8:
            name = tags.get("name", "").removesuffix("办事处")
            self.streets.append((name, geom))


def read_osm(path: Path) -> dict:
    rel = _Relations()
    rel.apply_file(str(path))
    feats = _Features(set(rel.way_districts))
    feats.apply_file(str(path), locations=True)

    def load(raw: bytes) -> shapely.Geometry:
        return to_m(wkb.loads(raw, hex=True))

    return {
        "admin": [(wid, rel.way_districts[wid], to_m(g)) for wid, g in feats.admin_lines.items()],
        "roads": [to_m(g) for g in feats.roads],
        "landuse": [(k, shapely.make_valid(load(g))) for k, g in feats.landuse],
        "buildings": [(k, lv, shapely.make_valid(load(g))) for k, lv, g in feats.buildings],
        "points": feats.points,
        "area_points": [(j, load(g)) for j, g in feats.area_points],
        "streets": [(n, shapely.make_valid(load(g))) for n, g in feats.streets],
    }


# --------------------------------------------------------------------------- territories


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of ``geom`` (drops the points and lines an overlay may leave)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(parts) if parts else shapely.Polygon()


def extend_line(line: shapely.LineString, length: float) -> shapely.LineString:
    """The line with its end segments prolonged straight by ``length``."""
    c = np.asarray(line.coords)
    head = c[0] + (c[0] - c[1]) / np.linalg.norm(c[0] - c[1]) * length
    tail = c[-1] + (c[-1] - c[-2]) / np.linalg.norm(c[-1] - c[-2]) * length
    return shapely.LineString(np.vstack([head, c, tail]))


def osm_district_faces(admin: list, box: shapely.Polygon) -> dict[str, shapely.Geometry]:
    """District polygons inside the box from the clipped admin_level 6 boundary ways."""
    lines = [shapely.intersection(g, box) for _, _, g in admin]
    # Ways cut at the extract's edge stop at their last node inside the box: join each
    # dangling end to the nearest point of the box edge so that the faces close.
    ends: dict[tuple[float, float], int] = defaultdict(int)
    for _, _, g in admin:
        for xy in (g.coords[0], g.coords[-1]):
            ends[xy] += 1
    for xy, count in sorted(ends.items()):
        end = shapely.Point(xy)
        if count == 1 and box.boundary.distance(end) < 1000.0:
            edge = box.boundary.interpolate(box.boundary.project(end))
            reach = extend_line(shapely.LineString([end, edge]), 50.0)  # cross the edge
            lines.append(reach)
    noded = unary_union([*lines, box.boundary])
    faces = sorted(polygonize(noded.geoms), key=lambda f: (-f.area, f.centroid.x, f.centroid.y))
    faces = [f for f in faces if f.area > 1.0]
    tree = shapely.STRtree([g.buffer(1.0) for _, _, g in admin])
    sides: list[list[tuple[int, float]]] = []
    for face in faces:
        touching = []
        for i in tree.query(face.boundary, predicate="intersects"):
            shared = face.boundary.intersection(tree.geometries[i]).length
            if shared > 20.0:
                touching.append((int(i), shared))
        sides.append(touching)
    owner: dict[int, str] = {}
    for k, touching in enumerate(sides):
        common = set.intersection(*(admin[i][1] for i, _ in touching)) if touching else set()
        if len(common) == 1:
            owner[k] = common.pop()
    changed = True
    while changed:  # a face on one way only takes the other side of its neighbour
        changed = False
        for k, touching in enumerate(sides):
            if k in owner:
                continue
            for i, _ in sorted(touching, key=lambda t: -t[1]):
                for j, other in enumerate(sides):
                    if j in owner and j != k and any(i == o for o, _ in other):
                        rest = admin[i][1] - {owner[j]}
                        if len(rest) == 1:
                            owner[k] = rest.pop()
                            changed = True
                            break
                if k in owner:
                    break
    out: dict[str, list] = defaultdict(list)
    for k, face in enumerate(faces):
        if k in owner:
            out[owner[k]].append(face)
    return {d: unary_union(parts) for d, parts in sorted(out.items())}


def territories(
    points: dict[str, shapely.Point],
    study: shapely.Polygon,
    river: shapely.LineString,
    box: shapely.Polygon,
    osm_faces: dict[str, shapely.Geometry],
) -> dict[str, shapely.Geometry]:
    long_river = extend_line(river, 200_000.0)
    sides = list(polygonize(unary_union([study.boundary, long_river]).geoms))

    def north_of_river(poly: shapely.Geometry) -> bool:
        p = poly.representative_point()
        nearest = long_river.interpolate(long_river.project(p))
        return p.y > nearest.y

    north = unary_union([s for s in sides if north_of_river(s)])
    south = unary_union([s for s in sides if not north_of_river(s)])
    terr: dict[str, shapely.Geometry] = {}
    for group, region in (
        (NORTH_BANK, north),
        (tuple(d for d in points if d not in NORTH_BANK), south),
    ):
        ids = sorted(group)
        cells = shapely.voronoi_polygons(
            shapely.MultiPoint([points[d] for d in ids]), extend_to=study.envelope.buffer(1e4)
        )
        for d in ids:
            cell = next(c for c in cells.geoms if c.contains(points[d]))
            terr[d] = cell.intersection(region)
        for d in sorted(set(ids) & set(TERRITORY_RADIUS_M)):
            disc = points[d].buffer(TERRITORY_RADIUS_M[d], quad_segs=16)
            excess = terr[d].difference(disc)
            terr[d] = terr[d].intersection(disc)
            others = [o for o in ids if o != d]
            cells = shapely.voronoi_polygons(
                shapely.MultiPoint([points[o] for o in others]),
                extend_to=study.envelope.buffer(1e4),
            )
            for o in others:
                cell = next(c for c in cells.geoms if c.contains(points[o]))
                terr[o] = unary_union([terr[o], excess.intersection(cell)])
    osm_union = unary_union(list(osm_faces.values()))
    for d in terr:
        outside = terr[d].difference(osm_union)
        terr[d] = unary_union([outside, osm_faces[d]]) if d in osm_faces else outside
    return terr


# --------------------------------------------------------------------------- cells


def merge_small(cells: list[shapely.Polygon], district: list[str], minimum: list[float]) -> list:
    """Merge cells below their minimum area into the neighbour sharing the longest edge.

    Returns groups of cell indices (each group one zone).
    """
    n = len(cells)
    tree = shapely.STRtree(cells)
    shared: list[dict[int, float]] = [dict() for _ in range(n)]
    left, right = tree.query(cells, predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        if a < b:
            length = cells[a].boundary.intersection(cells[b].boundary).length
            if length > 0.5:
                shared[a][b] = length
                shared[b][a] = length
    area = [c.area for c in cells]
    members = {i: [i] for i in range(n)}
    heap = [(area[i], i) for i in range(n)]
    heapq.heapify(heap)
    while heap:
        a_area, i = heapq.heappop(heap)
        if i not in members or a_area != area[i] or area[i] >= minimum[i]:
            continue
        nbrs = shared[i]
        if not nbrs:
            continue
        same = {j: s for j, s in nbrs.items() if district[j] == district[i]}
        pool = same or (nbrs if area[i] < SLIVER_KM2 * 1e6 * 5 else {})
        if not pool:
            continue
        j = max(sorted(pool), key=lambda k: pool[k])
        # merge i into j
        members[j].extend(members.pop(i))
        area[j] += area[i]
        minimum[j] = min(minimum[j], minimum[i]) if district[j] == district[i] else minimum[j]
        for k, s in nbrs.items():
            if k == j:
                continue
            shared[k].pop(i, None)
            shared[k][j] = shared[k].get(j, 0.0) + s
            shared[j][k] = shared[j].get(k, 0.0) + s
        shared[j].pop(i, None)
        shared[i] = {}
        heapq.heappush(heap, (area[j], j))
    return [sorted(m) for _, m in sorted(members.items())]


def bisect(poly: shapely.Polygon, limit: Callable[[shapely.Polygon], float]) -> list:
    """Split ``poly`` across its longer side until every part is below ``limit(part)`` m²."""
    if poly.area <= limit(poly):
        return [poly]
    minx, miny, maxx, maxy = poly.bounds
    c = poly.centroid
    if maxx - minx >= maxy - miny:
        halves = (
            shapely.box(minx - 1, miny - 1, c.x, maxy + 1),
            shapely.box(c.x, miny - 1, maxx + 1, maxy + 1),
        )
    else:
        halves = (
            shapely.box(minx - 1, miny - 1, maxx + 1, c.y),
            shapely.box(minx - 1, c.y, maxx + 1, maxy + 1),
        )
    parts = [
        p
        for h in halves
        for p in shapely.get_parts(poly.intersection(h))
        if p.geom_type == "Polygon" and p.area > 1.0
    ]
    big = [p for p in parts if p.area >= 2 * SLIVER_KM2 * 1e6]
    if len(big) < 2:
        return [poly]  # the cut would leave only slivers: keep the cell whole
    for small in (p for p in parts if p.area < 2 * SLIVER_KM2 * 1e6):
        k = max(range(len(big)), key=lambda i: big[i].intersection(small).length)
        joined = big[k].union(small)
        if joined.geom_type == "Polygon":
            big[k] = joined
    return [piece for p in big for piece in bisect(p, limit)]


# --------------------------------------------------------------------------- main


def load_geojson(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["features"]


def round_geom(geom: shapely.Polygon) -> shapely.Polygon:
    rounded = shapely.set_precision(geom, 1e-6)
    if rounded.geom_type != "Polygon" or not rounded.is_valid:
        rounded = shapely.make_valid(rounded)
        if rounded.geom_type != "Polygon":
            parts = [p for p in getattr(rounded, "geoms", [rounded]) if p.geom_type == "Polygon"]
            rounded = max(parts, key=lambda p: p.area)
    return shapely.orient_polygons(rounded) if hasattr(shapely, "orient_polygons") else rounded


def geometry_json(poly: shapely.Polygon) -> dict:
    rings = [poly.exterior, *poly.interiors]
    return {
        "type": "Polygon",
        "coordinates": [[[round(x, 6), round(y, 6)] for x, y in r.coords] for r in rings],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if not args.osm.is_file():
        print(f"{args.osm}: not found; pass --osm FILE (the harbin-core .osm.pbf extract)")
        return 2
    started = time.perf_counter()

    params = tomllib.loads((DATA / "demand" / "parameters.toml").read_text(encoding="utf-8"))
    census = {d["id"]: d for d in params["zones"]["district"]}
    label_points = {
        f["properties"]["id"]: f["geometry"]["coordinates"]
        for f in load_geojson(DATA / "boundaries" / "districts.geojson")
    }
    anchors_deg = {d: tuple(label_points.get(d, SEATS.get(d))) for d in sorted(census)}
    points = {d: to_m(shapely.Point(xy)) for d, xy in anchors_deg.items()}
    trunk = load_geojson(DATA / "roads" / "trunk.geojson")
    trunk_lines = {f["properties"]["id"]: to_m(shape(f["geometry"])) for f in trunk}
    river = to_m(shape(load_geojson(DATA / "boundaries" / "river.geojson")[0]["geometry"]))
    box = to_m(shapely.box(*BOX).segmentize(0.002))

    osm = read_osm(args.osm)
    study = shapely.convex_hull(
        shapely.MultiPoint(
            [
                *np.vstack([np.asarray(g.coords) for g in trunk_lines.values()]),
                *[(p.x, p.y) for p in points.values()],
            ]
        )
    ).buffer(STUDY_BUFFER_M, quad_segs=8)

    # External zones at the far ends of the roads leaving the study area.
    externals = []
    for line_id, (ext_id, road, name_en) in sorted(EXTERNALS.items(), key=lambda t: t[1][0]):
        line = trunk_lines[line_id]
        end = shapely.Point(line.coords[-1])
        externals.append((ext_id, road, name_en, end, end.buffer(EXTERNAL_RADIUS_M, quad_segs=8)))
    ext_union = unary_union([e[4] for e in externals])

    osm_faces = osm_district_faces(osm["admin"], box)
    terr = territories(points, study, river, box, osm_faces)
    terr = {d: polygonal(t.difference(ext_union)) for d, t in terr.items()}

    # Polygonize territories + roads together.
    roads_in = [shapely.intersection(r, box) for r in osm["roads"]]
    roads_out = [shapely.difference(g, box).intersection(study) for g in trunk_lines.values()]
    linework = [
        *[t.boundary for t in terr.values()],
        box.boundary.intersection(study),
        *roads_in,
        *roads_out,
    ]
    noded = unary_union([g for g in linework if not g.is_empty])
    faces = [f for f in polygonize(noded.geoms) if f.area > 1.0]
    terr_tree_ids = sorted(terr)
    cells, cell_district = [], []
    for f in faces:
        p = f.representative_point()
        owner = next((d for d in terr_tree_ids if terr[d].contains(p)), None)
        if owner is None:
            continue
        cells.append(f)
        cell_district.append(owner)
    order = sorted(
        range(len(cells)),
        key=lambda i: (
            cell_district[i],
            round(cells[i].centroid.x, 1),
            round(cells[i].centroid.y, 1),
        ),
    )
    cells = [cells[i] for i in order]
    cell_district = [cell_district[i] for i in order]
    in_box = [box.contains(c.representative_point()) for c in cells]
    minimum = [
        1e6
        * (
            MERGE_MIN_KM2_BOX
            if b
            else min_km2_outside(c.centroid.distance(points[cell_district[i]]))
        )
        for i, (b, c) in enumerate(zip(in_box, cells, strict=True))
    ]
    groups = merge_small(cells, cell_district, minimum)

    zones = []  # (district, polygon)
    for g in groups:
        poly = unary_union([cells[i] for i in g])
        d = cell_district[g[0]]
        parts = list(getattr(poly, "geoms", [poly]))
        for part in parts:
            part = shapely.Polygon(
                part.exterior, [r for r in part.interiors if shapely.Polygon(r).area > 1e4]
            )
            if box.contains(part.representative_point()):
                for piece in bisect(part, lambda q: MAX_KM2_BOX * 1e6):
                    zones.append((d, piece))
                continue

            def limit(q: shapely.Polygon, anchor: shapely.Point = points[d]) -> float:
                return 1e6 * max_km2_outside(q.centroid.distance(anchor))

            for piece in bisect(part, limit):
                zones.append((d, piece))
    dropped = [z for z in zones if z[1].area < SLIVER_KM2 * 1e6]
    zones = [z for z in zones if z[1].area >= SLIVER_KM2 * 1e6]

    # ---------------------------------------------------------------- weights per zone
    zone_polys = [z[1] for z in zones]
    ztree = shapely.STRtree(zone_polys)
    nz = len(zones)
    res_floor = np.zeros(nz)
    jobs_box = np.zeros(nz)

    def spread_area(geom: shapely.Geometry, value: float, target: np.ndarray) -> None:
        if geom.is_empty or geom.area <= 0:
            return
        for i in ztree.query(geom, predicate="intersects"):
            share = zone_polys[i].intersection(geom).area / geom.area
            target[i] += value * share

    def at_point(p: shapely.Point, value: float, target: np.ndarray) -> None:
        hits = ztree.query(p, predicate="within")
        if len(hits):
            target[int(min(hits))] += value

    res_landuse = [g for k, g in osm["landuse"] if k == "residential"]
    lu_tree = shapely.STRtree(res_landuse) if res_landuse else None
    lu_floor = [0.0] * len(res_landuse)
    loose_floor: list[tuple[shapely.Point, float]] = []
    office_floor: list[tuple[shapely.Point, float]] = []
    for kind, levels, geom in osm["buildings"]:
        if geom.is_empty:
            continue
        floor = geom.area * levels
        centre = geom.representative_point()
        if kind in OFFICE_BUILDINGS:
            office_floor.append((centre, floor))
            continue
        hits = lu_tree.query(centre, predicate="within") if lu_tree is not None else []
        if len(hits):
            lu_floor[int(min(hits))] += floor
        elif kind != "yes":
            loose_floor.append((centre, floor))
    for k, geom in enumerate(res_landuse):
        spread_area(geom, max(lu_floor[k], RESIDENTIAL_FAR_MIN * geom.area), res_floor)
    for centre, floor in loose_floor:
        at_point(centre, floor, res_floor)
    for kind, geom in osm["landuse"]:
        if kind in JOB_LANDUSE_PER_M2:
            spread_area(geom, JOB_LANDUSE_PER_M2[kind] * geom.area, jobs_box)
    for centre, floor in office_floor:
        at_point(centre, floor * JOB_OFFICE_BUILDING_PER_M2, jobs_box)
    for lon, lat, jobs in osm["points"]:
        at_point(to_m(shapely.Point(lon, lat)), jobs, jobs_box)
    for jobs, geom in osm["area_points"]:
        at_point(geom.representative_point(), jobs, jobs_box)

    # Outside the box: decay and land area on a grid.
    minx, miny, maxx, maxy = study.bounds
    xs = np.arange(minx + GRID_M / 2, maxx, GRID_M)
    ys = np.arange(miny + GRID_M / 2, maxy, GRID_M)
    gx, gy = np.meshgrid(xs, ys)
    grid = shapely.points(gx.ravel(), gy.ravel())
    outside = ~shapely.contains(box, grid)
    grid = grid[outside]
    gz, gi = ztree.query(grid, predicate="within")
    decay = np.zeros(nz)
    cell_m2 = GRID_M * GRID_M
    zdist = {d: points[d] for d in points}
    gxy = shapely.get_coordinates(grid)
    for gpos, zi in zip(gz.tolist(), gi.tolist(), strict=True):
        d = zones[zi][0]
        dist = math.hypot(gxy[gpos, 0] - zdist[d].x, gxy[gpos, 1] - zdist[d].y)
        decay[zi] += OUTSIDE_FLOOR_AT_POINT * cell_m2 * math.exp(-dist / DECAY_M)
    area_m2 = np.array([p.area for p in zone_polys])

    population = np.zeros(nz)
    for d, info in sorted(census.items()):
        idx = np.array([i for i in range(nz) if zones[i][0] == d], dtype=int)
        if not len(idx):
            raise SystemExit(f"district {d} has no zone; check its point and the study area")
        total = float(info["population"])
        urban = total * URBAN_SHARE[d]
        rural = total - urban
        w_urban = res_floor[idx] + decay[idx]
        u = urban * w_urban / w_urban.sum()
        r = rural * area_m2[idx] / area_m2[idx].sum()
        pop = u + r
        population[idx] = pop
    jobs_weight = jobs_box + JOBS_PER_RESIDENT * population

    # ---------------------------------------------------------------- naming and output
    street_tree = shapely.STRtree([g for _, g in osm["streets"]])
    street_names = [n for n, _ in osm["streets"]]
    by_district: dict[str, list[int]] = defaultdict(list)
    for i, (d, _) in enumerate(zones):
        by_district[d].append(i)
    features = []
    for d, idx in sorted(by_district.items()):
        reps = {i: zone_polys[i].representative_point() for i in idx}
        idx.sort(key=lambda i: (-round(reps[i].y, -2), round(reps[i].x, -2), i))
        names = {}
        for i in idx:
            hits = street_tree.query(reps[i], predicate="within")
            names[i] = street_names[int(min(hits))] if len(hits) else ""
        count = defaultdict(int)
        seen = defaultdict(int)
        for i in idx:
            count[names[i]] += 1
        # Exact census sums: round, then give the rounding residue to the largest zone.
        pops = {i: round(float(population[i]), 3) for i in idx}
        big = max(idx, key=lambda i: (pops[i], -i))
        pops[big] = round(pops[big] + float(census[d]["population"]) - sum(pops.values()), 3)
        zh = census[d]["name_zh"].removesuffix("区")
        en = census[d]["name_en"].removesuffix(" District")
        for n, i in enumerate(idx, start=1):
            street = names[i]
            seen[street] += 1
            if street:
                label = street if count[street] == 1 else f"{street}{seen[street]}"
            else:
                label = f"{zh}{n:02d}"
            is_box = box.contains(reps[i])
            note = (
                "urban population by OSM residential floor area"
                if is_box
                else f"urban population by exp(-d/{DECAY_M / 1000:g} km) around the "
                + ("district seat (approximate)" if d in SEATS else "district label point")
            )
            features.append(
                {
                    "id": f"{d}_{n:02d}",
                    "name_zh": label,
                    "name_en": f"{en} {n:02d}",
                    "district": d,
                    "kind": "urban" if is_box else "outer",
                    "population": pops[i],
                    "jobs_weight": round(float(jobs_weight[i]), 3),
                    "residential_m2": round(float(res_floor[i]), 1),
                    "area_km2": round(float(area_m2[i]) / 1e6, 4),
                    "geom": zone_polys[i],
                    "note": note + "; territory indicative (OSM admin boundaries in the box, "
                    "Voronoi of district points outside)",
                }
            )
    total_jobs = sum(f["jobs_weight"] for f in features)
    for f in features:
        f["jobs_share"] = f["jobs_weight"] / total_jobs
    for ext_id, road, name_en, _end, disc in externals:
        features.append(
            {
                "id": ext_id,
                "name_zh": f"对外出口 {road}",
                "name_en": f"External: {name_en}",
                "district": "",
                "kind": "external",
                "road": road,
                "population": 0.0,
                "jobs_weight": 0.0,
                "jobs_share": 0.0,
                "residential_m2": 0.0,
                "area_km2": round(disc.area / 1e6, 4),
                "geom": disc,
                "note": "cordon point at the far end of the trunk sketch's line; the road "
                "continues beyond the study area",
            }
        )
    out_features = []
    for f in sorted(features, key=lambda f: f["id"]):
        geom = round_geom(to_deg(f.pop("geom")))
        props = {
            "id": f["id"],
            "name_zh": f["name_zh"],
            "name_en": f["name_en"],
            "district": f["district"],
            "kind": f["kind"],
            "road": f.get("road", ""),
            "population": f["population"],
            "jobs_weight": f["jobs_weight"],
            "jobs_share": f["jobs_share"],
            "residential_m2": f["residential_m2"],
            "area_km2": f["area_km2"],
            "accuracy": "indicative",
            "source": SOURCE,
            "note": f["note"],
        }
        out_features.append(
            {"type": "Feature", "properties": props, "geometry": geometry_json(geom)}
        )
    collection = {
        "type": "FeatureCollection",
        "name": "zones_model",
        "attribution": "© OpenStreetMap contributors, ODbL (land use, district boundaries, roads in the core box)",
        "features": out_features,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    tmp.replace(args.out)

    # ---------------------------------------------------------------- summary
    elapsed = time.perf_counter() - started
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB) in {elapsed:.1f} s")
    print(f"OSM district faces found in the box: {', '.join(sorted(osm_faces))}")
    print(
        f"{'district':<12} {'zones':>5} {'population':>12} {'census':>10} {'km² min':>8} {'median':>7} {'max':>7} {'jobs %':>7}"
    )
    for d in sorted(census):
        fs = [f for f in out_features if f["properties"]["district"] == d]
        areas = sorted(f["properties"]["area_km2"] for f in fs)
        pop = sum(f["properties"]["population"] for f in fs)
        js = sum(f["properties"]["jobs_share"] for f in fs)
        print(
            f"{d:<12} {len(fs):>5} {pop:>12.3f} {census[d]['population']:>10} "
            f"{areas[0]:>8.2f} {areas[len(areas) // 2]:>7.2f} {areas[-1]:>7.1f} {100 * js:>6.1f}%"
        )
    ext = [f["properties"]["id"] for f in out_features if f["properties"]["kind"] == "external"]
    print(
        f"internal zones: {len(out_features) - len(ext)}; externals ({len(ext)}): {', '.join(ext)}"
    )
    print(
        f"jobs inside the box {jobs_box.sum():,.0f} (weight units); slivers dropped: {len(dropped)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
