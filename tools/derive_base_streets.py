"""Derive the main streets of central Harbin for the offline web base: ``data/base/streets.geojson``.

Reads an OpenStreetMap extract of central Harbin (default
``../shared/reference/osm/harbin-core.osm.pbf``, the box 126.506–126.772 E, 45.658–45.831 N)
with pyosmium, keeps the ways of the main street classes (motorway, trunk, primary, secondary
and their links; tertiary with ``--tertiary``), joins the pieces of each named street of one
class, simplifies them (Douglas–Peucker, 12 m in EPSG:4551) and rounds coordinates to 5
decimals (about 1 m). Only ``highway``, ``name`` (Chinese) and ``name:en`` are kept. The
result is a small derived product of OpenStreetMap data, © OpenStreetMap contributors,
under the ODbL; the extract itself is not copied. Output is deterministic.

Run from anywhere: ``python tools/derive_base_streets.py [--osm FILE] [--tertiary]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import osmium
import shapely
from pyproj import Transformer
from shapely.ops import linemerge

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OSM = REPO.parent / "shared" / "reference" / "osm" / "harbin-core.osm.pbf"
OUT = REPO / "data" / "base" / "streets.geojson"
CLASSES = ("motorway", "trunk", "primary", "secondary")
TOLERANCE_M = 12.0
ATTRIBUTION = "© OpenStreetMap contributors, ODbL"


class _Ways(osmium.SimpleHandler):
    def __init__(self, classes: tuple[str, ...]) -> None:
        super().__init__()
        self.classes = classes
        self.lines: dict[tuple[str, str, str], list[shapely.LineString]] = defaultdict(list)
        self.skipped = 0

    def way(self, w: osmium.osm.Way) -> None:
        highway = w.tags.get("highway", "")
        base = highway.removesuffix("_link")
        if base not in self.classes:
            return
        try:
            coords = [(n.lon, n.lat) for n in w.nodes]
        except osmium.InvalidLocationError:  # a node outside the clipped extract
            coords = [(n.lon, n.lat) for n in w.nodes if n.location.valid()]
            self.skipped += 1
        if len(coords) < 2:
            return
        key = (highway, w.tags.get("name", ""), w.tags.get("name:en", ""))
        self.lines[key].append(shapely.LineString(coords))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--tertiary", action="store_true", help="keep tertiary streets too")
    args = parser.parse_args()
    if not args.osm.is_file():
        print(f"{args.osm}: not found; pass --osm FILE (an .osm.pbf of central Harbin)")
        return 2
    classes = (*CLASSES, "tertiary") if args.tertiary else CLASSES
    handler = _Ways(classes)
    handler.apply_file(str(args.osm), locations=True)
    to_m = Transformer.from_crs("EPSG:4326", "EPSG:4551", always_xy=True)
    to_deg = Transformer.from_crs("EPSG:4551", "EPSG:4326", always_xy=True)

    def project(geom: shapely.Geometry, t: Transformer) -> shapely.Geometry:
        return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))

    features = []
    for (highway, name, name_en), pieces in sorted(handler.lines.items()):
        merged = linemerge(shapely.MultiLineString(pieces))
        parts = list(getattr(merged, "geoms", [merged]))
        for part in parts:
            simple = project(project(part, to_m).simplify(TOLERANCE_M), to_deg)
            coords = [(round(x, 5), round(y, 5)) for x, y in simple.coords]
            coords = [c for i, c in enumerate(coords) if i == 0 or c != coords[i - 1]]
            if len(coords) < 2:
                continue
            features.append(
                {
                    "type": "Feature",
                    "properties": {"highway": highway, "name_zh": name, "name_en": name_en},
                    "geometry": {"type": "LineString", "coordinates": coords},
                }
            )
    collection = {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "source": f"OpenStreetMap extract {args.osm.name}, simplified {TOLERANCE_M:g} m",
        "features": features,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    OUT.write_text(text + "\n", encoding="utf-8")
    by_class: dict[str, int] = defaultdict(int)
    for f in features:
        by_class[f["properties"]["highway"]] += 1
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} kB, {len(features)} lines)")
    for highway, count in sorted(by_class.items()):
        print(f"  {highway:<16} {count:>5}")
    if handler.skipped:
        print(f"  {handler.skipped} ways cut at the extract's edge (nodes outside dropped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
