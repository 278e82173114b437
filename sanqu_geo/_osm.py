"""Reading OpenStreetMap files for the road graph: XML (plain or bz2) and PBF.

XML is read with the standard library, PBF with pyosmium. Ways are filtered with osmnx's own
network-type filter, references to nodes missing from a clipped extract are trimmed, and the
result is handed to osmnx as clean OSM XML so the graph is built exactly as osmnx builds it.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import logging
import math
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx

from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.errors import DataSourceError, NetworkError

logger = logging.getLogger(__name__)

XML_SUFFIXES = (".osm", ".osm.xml", ".xml", ".osm.bz2", ".xml.bz2", ".osm.gz")
PBF_SUFFIXES = (".osm.pbf", ".pbf")

#: Largest OpenStreetMap file (bytes): a city's extract is tens to hundreds of megabytes, a
#: province's PBF about a gigabyte (as ``sanqu_geo.network.OSM_MAX_BYTES``).
max_osm_bytes: int = 2048 * MB


@dataclasses.dataclass
class OsmData:
    """Nodes and ways read from a file: ``nodes[id] = (lon, lat)``, ways as (id, refs, tags)."""

    nodes: dict[int, tuple[float, float]]
    ways: list[tuple[int, list[int], dict[str, str]]]
    #: Nodes dropped for impossible coordinates (NaN, infinite, beyond ±90° / ±180°).
    rejected: set[int] = dataclasses.field(default_factory=set)
    #: Node ids given more than once at different places (the first position is kept).
    duplicates: int = 0


@dataclasses.dataclass
class TrimReport:
    """What trimming a clipped extract did."""

    missing_refs: int = 0
    rejected_refs: int = 0
    ways_trimmed: int = 0
    ways_split: int = 0
    ways_dropped: int = 0

    def __str__(self) -> str:
        bad = (
            f" and {self.rejected_refs} to nodes with impossible coordinates"
            if self.rejected_refs
            else ""
        )
        return (
            f"{self.missing_refs} references to nodes outside the extract{bad} removed from "
            f"{self.ways_trimmed} ways ({self.ways_split} split at a gap, "
            f"{self.ways_dropped} dropped with fewer than 2 nodes left)"
        )


def osm_format(path: Path) -> str:
    """Return ``"xml"`` or ``"pbf"`` from a file name, or raise a clear error."""
    name = path.name.lower()
    if name.endswith(PBF_SUFFIXES):
        return "pbf"
    if name.endswith(XML_SUFFIXES):
        return "xml"
    msg = f"{path}: not an OpenStreetMap file name; use .osm, .osm.xml, .osm.bz2 or .osm.pbf"
    raise DataSourceError(msg)


def read_osm(path: Path) -> OsmData:
    """Read the nodes and ways of an OSM XML or PBF file.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    OsmData
        Every node's position and every way's node references and tags.

    Raises
    ------
    DataSourceError
        Missing, empty or corrupt file; a pipe, a device or a folder; a file over
        :data:`max_osm_bytes`.
    """
    check_input_file(
        path, what="OpenStreetMap file", max_bytes=max_osm_bytes, hint="check the path"
    )
    if path.stat().st_size == 0:
        msg = f"{path}: the OpenStreetMap file is empty; download the extract again"
        raise DataSourceError(msg)
    kind = osm_format(path)
    try:
        data = _read_pbf(path) if kind == "pbf" else _read_xml(path)
    except DataSourceError:
        raise
    except Exception as exc:  # parser errors of ElementTree, bz2, osmium have no common base
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = (
            f"{path}: cannot read this OpenStreetMap file ({first}); it may be truncated or corrupt"
        )
        raise DataSourceError(msg) from exc
    if not data.ways:
        msg = f"{path}: the file holds no ways; it is not a road extract"
        raise DataSourceError(msg)
    return data


def _open_xml(path: Path):
    name = path.name.lower()
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    return path.open("rb")


def _add_node(data: OsmData, node_id: int, lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        data.rejected.add(node_id)
        return
    if node_id in data.nodes:
        if data.nodes[node_id] != (lon, lat):
            data.duplicates += 1
        return
    data.nodes[node_id] = (lon, lat)


def _read_xml(path: Path) -> OsmData:
    data = OsmData({}, [])
    ways = data.ways
    with _open_xml(path) as fh:
        for _, elem in ET.iterparse(fh, events=("end",)):
            if elem.tag == "node":
                _add_node(data, int(elem.get("id")), float(elem.get("lon")), float(elem.get("lat")))
                elem.clear()
            elif elem.tag == "way":
                refs = [int(nd.get("ref")) for nd in elem.iter("nd")]
                tags = {t.get("k"): t.get("v") for t in elem.iter("tag")}
                ways.append((int(elem.get("id")), refs, tags))
                elem.clear()
            elif elem.tag == "relation":
                elem.clear()
    data.rejected -= set(data.nodes)
    return data


def _read_pbf(path: Path) -> OsmData:
    # pyosmium (BSD-2-Clause) is the maintained binding of libosmium, the reference PBF
    # reader; pyrosm is unmaintained for current Python and returns GeoDataFrames, not ids.
    try:
        import osmium
    except ImportError as exc:  # pragma: no cover - osmium is a dependency
        msg = "reading .osm.pbf needs the 'osmium' package: pip install osmium"
        raise DataSourceError(msg) from exc
    data = OsmData({}, [])
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            if obj.location.valid():
                _add_node(data, obj.id, obj.location.lon, obj.location.lat)
            else:
                data.rejected.add(obj.id)
        elif obj.is_way():
            data.ways.append((obj.id, [n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags}))
    data.rejected -= set(data.nodes)
    return data


_CLAUSE = re.compile(r'\[\s*"([^"]+)"\s*(?:(!~|~|!=|=)\s*"([^"]*)")?\s*\]')


def overpass_filter(expression: str) -> Callable[[dict[str, str]], bool]:
    """Turn an Overpass tag filter (as osmnx builds them) into a predicate on a way's tags.

    Parameters
    ----------
    expression : str
        E.g. ``'["highway"]["area"!~"yes"]["highway"!~"footway|path"]'``.

    Returns
    -------
    callable
        ``predicate(tags) -> bool`` with Overpass semantics: ``["k"]`` needs the key,
        ``["k"~"re"]`` needs a matching value, ``["k"!~"re"]`` passes when the key is absent
        or does not match.
    """
    clauses = []
    for key, op, value in _CLAUSE.findall(expression):
        clauses.append((key, op, re.compile(value) if op in {"~", "!~"} else value))

    def predicate(tags: dict[str, str]) -> bool:
        for key, op, value in clauses:
            present = key in tags
            if not op:
                ok = present
            elif op == "~":
                ok = present and value.search(tags[key]) is not None
            elif op == "!~":
                ok = not present or value.search(tags[key]) is None
            elif op == "=":
                ok = present and tags[key] == value
            else:
                ok = not present or tags[key] != value
            if not ok:
                return False
        return True

    return predicate


def network_filter(network_type: str | None) -> Callable[[dict[str, str]], bool]:
    """Return the way predicate of an osmnx network type (``None``: keep every way)."""
    if network_type is None:
        return lambda tags: True
    # osmnx keeps its network-type definitions in this function; using it keeps the file
    # path and the Overpass path of sanqu-geo selecting exactly the same ways.
    from osmnx import _overpass

    try:
        return overpass_filter(_overpass._get_network_filter(network_type))
    except ValueError as exc:
        msg = f"unknown network type {network_type!r}: use drive, drive_service, walk, bike or all"
        raise NetworkError(msg) from exc


def select_and_trim(
    data: OsmData, keep: Callable[[dict[str, str]], bool]
) -> tuple[OsmData, TrimReport]:
    """Keep the ways ``keep`` accepts, cutting references to nodes absent from the file.

    A way that leaves the extract and comes back is split into its runs of present nodes;
    runs shorter than two nodes are dropped.

    Parameters
    ----------
    data : OsmData
        What :func:`read_osm` returned.
    keep : callable
        Predicate on a way's tags.

    Returns
    -------
    (OsmData, TrimReport)
        The selected ways with only the nodes they use, and what trimming did.
    """
    report = TrimReport()
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    used: set[int] = set()
    for way_id, refs, tags in data.ways:
        if not keep(tags):
            continue
        runs: list[list[int]] = [[]]
        missing = rejected = 0
        for ref in refs:
            if ref in data.nodes:
                runs[-1].append(ref)
            else:
                if ref in data.rejected:
                    rejected += 1
                else:
                    missing += 1
                if runs[-1]:
                    runs.append([])
        runs = [r for r in runs if len(r) >= 2]
        if missing or rejected:
            report.missing_refs += missing
            report.rejected_refs += rejected
            report.ways_trimmed += 1
            if len(runs) > 1:
                report.ways_split += 1
            if not runs:
                report.ways_dropped += 1
        for i, run in enumerate(runs):
            # Extra parts of a split way keep the way's tags under a negative id, so osmnx
            # does not merge them back into one path.
            ways.append((way_id if i == 0 else -(way_id * 100 + i), run, tags))
            used.update(run)
    nodes = {n: data.nodes[n] for n in sorted(used)}
    return OsmData(nodes, ways), report


def write_osm_xml(data: OsmData, path: Path) -> None:
    """Write nodes and ways as minimal OSM XML that osmnx's reader accepts."""
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="sanqu-geo">\n'
        )
        for node_id, (lon, lat) in data.nodes.items():
            fh.write(f'<node id="{node_id}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        for way_id, refs, tags in data.ways:
            fh.write(f'<way id="{way_id}">')
            fh.write("".join(f'<nd ref="{r}"/>' for r in refs))
            fh.write(
                "".join(
                    f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())
                )
            )
            fh.write("</way>\n")
        fh.write("</osm>\n")


def graph_from_osm_file(
    path: Path, *, network_type: str | None = "drive", retain_all: bool = False
) -> tuple[nx.MultiDiGraph, TrimReport]:
    """Build an osmnx graph from an OSM file of any supported format.

    Parameters
    ----------
    path : pathlib.Path
        ``.osm``, ``.osm.xml``, ``.osm.bz2`` or ``.osm.pbf``.
    network_type : str or None
        osmnx network type whose filter selects the ways (``None``: every way, as
        ``osmnx.graph_from_xml`` reads a file).
    retain_all : bool
        Keep every component instead of the largest weakly connected one.

    Returns
    -------
    (networkx.MultiDiGraph, TrimReport)
        The simplified graph and what trimming did.
    """
    import osmnx as ox

    data = read_osm(path)
    if data.rejected or data.duplicates:
        logger.warning(
            "%s: %d nodes with impossible coordinates (NaN, infinite or beyond ±90°/±180°) "
            "dropped; %d node ids given twice at different places keep their first position",
            path.name,
            len(data.rejected),
            data.duplicates,
        )
    selected, report = select_and_trim(data, network_filter(network_type))
    if report.missing_refs:
        logger.warning("%s: clipped extract: %s", path.name, report)
    elif report.rejected_refs:
        logger.warning("%s: %s", path.name, report)
    if not selected.ways:
        msg = f"{path}: no ways left after selecting the {network_type} network; is it a road extract?"
        raise NetworkError(msg)
    with tempfile.TemporaryDirectory(prefix="sanqu-osm-") as tmp:
        xml_path = Path(tmp) / "selected.osm"
        write_osm_xml(selected, xml_path)
        try:
            G = ox.graph_from_xml(xml_path, simplify=True, retain_all=retain_all)
        except ValueError as exc:
            msg = f"{path}: osmnx could not build a graph ({exc})"
            raise NetworkError(msg) from exc
    if len(G) == 0:
        msg = f"{path}: the {network_type} network is empty after filtering"
        raise NetworkError(msg)
    return G, report
