"""The road graph: the embedded trunk network, OpenStreetMap files and Overpass, with a cache.

Every graph is an osmnx-compatible ``networkx.MultiDiGraph`` (node ``x``/``y``; edge
``length`` in metres, ``highway``, ``speed_kph``, ``travel_time`` in seconds, ``geometry``;
graph ``crs`` and ``source``). This module never draws and never computes travel times
between places.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString

from sanqu_geo import _osm, capacity, citynet, junctions, settings, speeds
from sanqu_geo._atomic import atomic_path
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.errors import NetworkError, SanquGeoError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "CACHE_VERSION",
    "EMBEDDED_NETWORKS",
    "OSM_MAX_BYTES",
    "add_street_count",
    "apply_truck_bans",
    "build_key",
    "cache_path",
    "city_graph",
    "default_network",
    "file_digest",
    "fingerprint",
    "layers_key",
    "load_network",
    "network_summary",
    "parse_bbox",
    "settings_key",
    "trunk_graph",
]

_GEOD = Geod(ellps="WGS84")
TRUNK_FILE = "roads/trunk.geojson"
CITY_FOLDER = "roads/harbin"

#: Names of the embedded networks: the city's (OSM core + trunk) and the trunk sketch.
EMBEDDED_NETWORKS: tuple[str, ...] = ("harbin", "trunk")

#: Largest OpenStreetMap file read (bytes): the extract of all China is about 1.3 GB as PBF; a
#: city's or a province's is far smaller.
OSM_MAX_BYTES: int = 2048 * MB

#: Layout of every cache file in the user folder (networks, assignments); raising it makes the
#: caches of older layouts miss instead of being read.
CACHE_VERSION: int = 2


def _line_length_m(line: LineString) -> float:
    return float(_GEOD.geometry_length(line))


def trunk_graph() -> nx.MultiDiGraph:
    """Build the graph of the embedded trunk network (no speeds yet).

    Every vertex is a node, so facilities snap to the nearest point of the drawn road; roads
    meet only where they share a vertex (a junction). Roads that cross without one (a
    flyover, an expressway passing over a street) are not connected.

    Returns
    -------
    networkx.MultiDiGraph
        Nodes with ``x``, ``y``; edges with ``length``, ``highway``, ``name``, ``name_en``,
        ``ref``, ``oneway``, ``lanes``, ``maxspeed``, ``bridge``, ``accuracy``, ``geometry``.
    """
    with data_file(TRUNK_FILE).open(encoding="utf-8") as fh:
        features = json.load(fh)["features"]
    G = graph_from_lines(features, source="embedded trunk network (indicative)")
    # osmnx expects an integer ``osmid``; authored roads get negative ones, by road id order
    ids = {
        r: -(i + 1) for i, r in enumerate(sorted({d["road_id"] for *_, d in G.edges(data=True)}))
    }
    for _, _, d in G.edges(data=True):
        d["osmid"] = ids[d["road_id"]]
    G.graph["network"] = "trunk"
    return G


_CITY: list[nx.MultiDiGraph] = []


def city_graph() -> nx.MultiDiGraph:
    """The embedded city network ``harbin`` (no speeds yet), read once per process.

    OpenStreetMap's drivable streets of the urban core (© OpenStreetMap contributors, ODbL)
    joined to the indicative trunk network outside it; derived by
    ``tools/build_city_network.py`` into ``data/roads/harbin/``.

    Returns
    -------
    networkx.MultiDiGraph
        A fresh copy: nodes with ``x``, ``y``, ``street_count``; edges with ``osmid``,
        ``highway``, ``name``, ``ref``, ``lanes``, ``maxspeed``, ``oneway``, ``length``,
        ``geometry`` and ``source`` (``osm``, ``trunk`` or ``stitch``).
    """
    if not _CITY:
        nodes = data_file(f"{CITY_FOLDER}/{citynet.NODES_FILE}")
        _CITY.append(citynet.read_graph(nodes.parent))
    return _CITY[0].copy()


def graph_from_lines(
    features: list[dict[str, Any]], *, source: str, every_vertex: bool = True
) -> nx.MultiDiGraph:
    """Build a road graph from GeoJSON-like line features sharing vertices at junctions.

    Parameters
    ----------
    features : list of dict
        GeoJSON features (LineString or MultiLineString) with road properties.
    source : str
        Stored as the graph's ``source`` attribute.
    every_vertex : bool
        Make every vertex a node (else only junctions and ends).

    Returns
    -------
    networkx.MultiDiGraph
        The graph (without speeds), CRS EPSG:4326.
    """
    lines: list[tuple[list[tuple[float, float]], dict[str, Any]]] = []
    for feature in features:
        geom = shapely.geometry.shape(feature["geometry"])
        parts = geom.geoms if geom.geom_type == "MultiLineString" else [geom]
        for part in parts:
            coords = [(round(x, 7), round(y, 7)) for x, y in part.coords]
            lines.append((coords, feature.get("properties") or {}))
    uses: dict[tuple[float, float], int] = {}
    for coords, _ in lines:
        for i, c in enumerate(coords):
            # an end counts twice so it is always a node
            uses[c] = uses.get(c, 0) + (2 if every_vertex or i in (0, len(coords) - 1) else 1)
    node_coords = sorted(c for c, n in uses.items() if n >= 2)
    node_id = {c: i + 1 for i, c in enumerate(node_coords)}
    G = nx.MultiDiGraph(crs=settings.default_crs, source=source)
    for c, i in node_id.items():
        G.add_node(i, x=c[0], y=c[1])
    for coords, props in lines:
        start = 0
        for j in range(1, len(coords)):
            if coords[j] in node_id:
                piece = LineString(coords[start : j + 1])
                u, v = node_id[coords[start]], node_id[coords[j]]
                if u != v:
                    _add_road_edge(G, u, v, piece, props)
                start = j
    return G


def _add_road_edge(
    G: nx.MultiDiGraph, u: int, v: int, piece: LineString, props: dict[str, Any]
) -> None:
    attrs = {
        "road_id": props.get("id", ""),
        "name": props.get("name_zh", ""),
        "name_en": props.get("name_en", ""),
        "ref": props.get("ref", ""),
        "highway": props.get("highway", "road"),
        "lanes": props.get("lanes"),
        "maxspeed": props.get("maxspeed"),
        "bridge": bool(props.get("bridge", False)),
        "accuracy": props.get("accuracy", ""),
        "length": _line_length_m(piece),
    }
    oneway = bool(props.get("oneway", False))
    G.add_edge(u, v, **attrs, oneway=oneway, reversed=False, geometry=piece)
    if not oneway:
        G.add_edge(v, u, **attrs, oneway=False, reversed=True, geometry=piece.reverse())


def parse_bbox(bbox: str | tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Read a bounding box ``west,south,east,north`` in WGS-84 degrees and check its order.

    Parameters
    ----------
    bbox : str or tuple
        ``"126.5,45.65,126.8,45.85"`` or a 4-tuple.

    Returns
    -------
    tuple of float
        ``(west, south, east, north)``.

    Raises
    ------
    NetworkError
        When it is not four numbers, or west ≥ east, or south ≥ north, or out of range.
    """
    if isinstance(bbox, str):
        parts = [p for p in re.split(r"[,\s]+", bbox.strip()) if p]
        try:
            values = tuple(float(p) for p in parts)
        except ValueError:
            values = ()
    else:
        values = tuple(float(v) for v in bbox)
    if len(values) != 4:
        msg = f"bbox {bbox!r} must be four numbers: west,south,east,north (e.g. 126.5,45.65,126.8,45.85)"
        raise NetworkError(msg)
    west, south, east, north = values
    if not (
        -180 <= west <= 180 and -180 <= east <= 180 and -90 <= south <= 90 and -90 <= north <= 90
    ):
        msg = f"bbox {bbox!r} is out of range for longitude/latitude; give west,south,east,north in degrees"
        raise NetworkError(msg)
    if west >= east or south >= north:
        msg = (
            f"bbox {bbox!r} is in the wrong order: give west,south,east,north "
            f"(west < east, south < north), e.g. 126.5,45.65,126.8,45.85"
        )
        raise NetworkError(msg)
    return values  # type: ignore[return-value]


def _source_key(source: str | Path | tuple, network_type: str | None) -> tuple[str, str]:
    """Return (kind, cache key) of a network source."""
    if isinstance(source, tuple):
        bbox = parse_bbox(source)
        text = "bbox:" + ",".join(f"{v:.6f}" for v in bbox)
        ident = f"{text}|{network_type}|{_versions()}"
        return "bbox", hashlib.sha1(ident.encode()).hexdigest()[:16]
    text = str(source)
    if text in EMBEDDED_NETWORKS:
        return text, text
    path = Path(text)
    lowered = path.name.lower()
    if path.exists() or lowered.endswith(_osm.XML_SUFFIXES + _osm.PBF_SUFFIXES):
        check_input_file(path, what="OpenStreetMap file", max_bytes=OSM_MAX_BYTES)
        # the content, not the name or the modification time: a file edited in place (its
        # time put back or not) is another network
        ident = f"file:{path.name}|{file_digest(path)}|{network_type}|{_versions()}"
        return "file", hashlib.sha1(ident.encode()).hexdigest()[:16]
    if re.fullmatch(r"[-\d.,\s]+", text) and text.count(",") == 3:
        bbox = parse_bbox(text)
        return _source_key(bbox, network_type)
    ident = f"place:{text.strip().lower()}|{network_type}|{_versions()}"
    return "place", hashlib.sha1(ident.encode()).hexdigest()[:16]


def _versions() -> str:
    import sanqu_geo

    return f"{sanqu_geo.__version__}/{CACHE_VERSION}"


#: Content hashes of files by (path, device, inode, size, mtime, ctime): a file is read again
#: only when one of them changes (writing a file always moves its ctime, even when its mtime is
#: put back).
_CONTENT_HASHES: dict[tuple, str] = {}


def file_digest(path: str | Path) -> str:
    """A hash of a file's content, read again only when the file's status changes.

    Parameters
    ----------
    path : path-like
        A regular file.

    Returns
    -------
    str
        SHA-1 of the bytes (hex).
    """
    p = Path(path)
    st = p.stat()
    stamp = (str(p.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    digest = _CONTENT_HASHES.get(stamp)
    if digest is None:
        h = hashlib.sha1()
        with p.open("rb") as fh:
            for block in iter(lambda: fh.read(MB), b""):
                h.update(block)
        digest = h.hexdigest()
        if len(_CONTENT_HASHES) >= 256:
            _CONTENT_HASHES.clear()
        _CONTENT_HASHES[stamp] = digest
    return digest


def _setting_text(value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=True, default=repr)
    except (TypeError, ValueError):  # keys json cannot sort or write
        return repr(value)


def settings_key() -> str:
    """A hash of every value of :mod:`sanqu_geo.settings`, as they are now.

    Speeds, junction delay, capacities, profiles, the VDF and its parameters: a run reads many
    of them, and a setting changed in a notebook (or a profiles file loaded) must never serve a
    run built before. Every public value is hashed, so a new setting is never left out.

    Returns
    -------
    str
    """
    h = hashlib.sha1()
    for name, value in sorted(vars(settings).items()):
        if name.startswith("_") or callable(value) or isinstance(value, type(settings)):
            continue
        h.update(f"{name}={_setting_text(value)}\n".encode())
    return h.hexdigest()[:20]


def layers_key() -> str:
    """A hash of every layer a run may read: the user's imported files and the embedded ones.

    Truck bans, facilities and gates (where zones join the roads), zones: each by its content.

    Returns
    -------
    str
    """
    from sanqu_geo import layers

    h = hashlib.sha1()
    folder = settings.get_home_folder() / "layers"
    stored = sorted(folder.iterdir()) if folder.is_dir() else []
    for path in stored:
        if path.is_file() and not path.name.startswith("."):
            h.update(f"imported {path.name} {file_digest(path)}\n".encode())
    for name, spec in sorted(layers.LAYERS.items()):
        path = data_file(spec.file)
        if path.is_file():
            h.update(f"embedded {name} {file_digest(path)}\n".encode())
    return h.hexdigest()[:20]


def build_key(source: str | Path | tuple | None = None) -> str:
    """A hash of what a network-based run is built from, besides its demand and options.

    The network source's content (:func:`fingerprint`), every setting (:func:`settings_key`),
    every layer (:func:`layers_key`), the version of sanqu-geo and of its cache layout. Run
    caches keyed by it never serve a run built from other inputs.

    Parameters
    ----------
    source : str, path or tuple, optional
        As for :func:`load_network` (default :data:`settings.default_network`).

    Returns
    -------
    str
    """
    text = "|".join([_versions(), fingerprint(source), settings_key(), layers_key()])
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def default_network() -> str:
    """The network in use when none is named: :data:`settings.default_network` (which the
    ``SANQU_GEO_NETWORK`` environment variable and ``sanqu-geo --network`` set), checked.

    Returns
    -------
    str
        ``harbin`` or ``trunk``.

    Raises
    ------
    NetworkError
        When it names no embedded network.
    """
    name = str(settings.default_network)
    if name not in EMBEDDED_NETWORKS:
        msg = (
            f"default network {name!r} (SANQU_GEO_NETWORK or settings.default_network) is not "
            f"an embedded network: use {' or '.join(EMBEDDED_NETWORKS)}; an OpenStreetMap file "
            "goes with --osm-file"
        )
        raise NetworkError(msg)
    return name


_FINGERPRINTS: dict[str, str] = {}


def fingerprint(source: str | Path | tuple | None = None) -> str:
    """A short hash of what a network is built from, for run caches keyed by content.

    Parameters
    ----------
    source : str, path or tuple, optional
        As for :func:`load_network` (default :data:`settings.default_network`).

    Returns
    -------
    str
        For the embedded networks, a hash of their data files (so a new release of the data
        never serves an old cached run); for an OpenStreetMap file, a hash of its content; for
        Overpass, its cache key.
    """
    if source is None:
        source = default_network()
    kind, key = _source_key(source, "drive")
    if kind not in EMBEDDED_NETWORKS:
        return f"{kind}-{key}"
    if kind not in _FINGERPRINTS:
        if kind == "harbin":
            folder = data_file(f"{CITY_FOLDER}/{citynet.NODES_FILE}").parent
            files = [folder / citynet.NODES_FILE, folder / citynet.EDGES_FILE]
        else:
            files = [data_file(TRUNK_FILE)]
        digest = hashlib.sha1()
        for file in files:
            digest.update(file.read_bytes())
        _FINGERPRINTS[kind] = f"{kind}-{digest.hexdigest()[:16]}"
    return _FINGERPRINTS[kind]


def cache_path(source: str | Path | tuple, *, network_type: str | None = "drive") -> Path:
    """Return the GraphML file where the graph of ``source`` is cached (before speeds).

    Parameters
    ----------
    source : str, path or tuple
        As for :func:`load_network`.
    network_type : str or None
        osmnx network type.

    Returns
    -------
    pathlib.Path
        Under ``$SANQU_GEO_HOME/cache/networks``.
    """
    kind, key = _source_key(source, network_type)
    return settings.get_home_folder() / "cache" / "networks" / f"{kind}-{key}.graphml"


def load_network(
    source: str | Path | tuple[float, float, float, float] | None = None,
    *,
    profile: str = "car",
    network_type: str | None = "drive",
    use_cache: bool = True,
    truck_bans: gpd.GeoDataFrame | None = None,
) -> nx.MultiDiGraph:
    """Load a road graph with travel times for one profile.

    Parameters
    ----------
    source : str, path or tuple, optional
        ``"harbin"`` (the default, :data:`settings.default_network`: the embedded city network,
        OSM core + trunk roads, offline), ``"trunk"`` (the embedded trunk sketch, for quick
        runs); a path to an OSM file (``.osm``,
        ``.osm.xml``, ``.osm.bz2``, ``.osm.pbf``); a place name for Overpass (e.g.
        ``"Harbin, China"``); or a bbox ``(west, south, east, north)`` / ``"w,s,e,n"`` for
        Overpass. Overpass results are cached, so a second run is offline.
    profile : str
        Travel-time profile: ``car``, ``car_peak``, ``truck``, ``winter`` or one loaded from a
        profiles file.
    network_type : str or None
        osmnx network type selecting the ways of OSM data (``None``: every way in the file).
    use_cache : bool
        Read and write the GraphML cache for OSM files and Overpass.
    truck_bans : geopandas.GeoDataFrame, optional
        Polygons where trucks may not drive, for profiles with ``respect_bans`` (default:
        the ``truck_bans`` layer — empty unless a user imported one, as no ban is published
        in the embedded facts).

    Returns
    -------
    networkx.MultiDiGraph
        With edge ``speed_kph``, ``travel_time``, ``capacity`` (PCU/h in the edge's
        direction, see :mod:`sanqu_geo.capacity`) and ``lanes_dir``, and graph attributes ``source``,
        ``profile`` and ``crs``.

    Raises
    ------
    NetworkError, DataSourceError, SettingsError
        On a bad source, an empty network or an unknown profile.
    """
    speeds.get_profile(profile)  # fail fast on an unknown profile
    if source is None:
        source = default_network()
    kind, _ = _source_key(source, network_type)
    if kind == "trunk":
        G = trunk_graph()
    elif kind == "harbin":
        G = city_graph()
    else:
        G = _cached_osm_graph(source, kind, network_type=network_type, use_cache=use_cache)
    if len(G) == 0 or G.number_of_edges() == 0:
        msg = f"the network from {G.graph.get('source', source)} is empty"
        raise NetworkError(msg)
    add_street_count(G)
    junctions.add_junction_delay(G)
    speeds.add_speeds(G, profile=profile)
    capacity.add_capacities(G)
    if speeds.get_profile(profile).get("respect_bans"):
        if truck_bans is None:
            from sanqu_geo import layers

            truck_bans = layers.load_layer("truck_bans", located_only=True)
        if len(truck_bans):
            G = apply_truck_bans(G, truck_bans)
            G.graph["truck_bans"] = len(truck_bans)
    return G


def add_street_count(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Set osmnx's ``street_count`` on every node that lacks it (streets meeting there).

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph; modified in place.

    Returns
    -------
    networkx.MultiDiGraph
        The same graph.
    """
    if all("street_count" in d for _, d in G.nodes(data=True)):
        return G
    import osmnx as ox

    nx.set_node_attributes(G, ox.stats.count_streets_per_node(G), name="street_count")
    return G


def _cached_osm_graph(
    source: Any, kind: str, *, network_type: str | None, use_cache: bool
) -> nx.MultiDiGraph:
    import osmnx as ox

    path = cache_path(source, network_type=network_type)
    if use_cache and path.is_file():
        try:
            G = ox.load_graphml(path)
        except Exception as exc:  # a truncated or foreign file: XML, key or value errors
            logger.warning("ignoring the unreadable network cache %s (%s); rebuilding", path, exc)
        else:
            if len(G) and G.number_of_edges():
                logger.info("network from cache %s", path)
                return G
            logger.warning("ignoring the empty network cache %s; rebuilding", path)
    if kind == "file":
        G, report = _osm.graph_from_osm_file(Path(str(source)), network_type=network_type)
        G.graph["source"] = f"OpenStreetMap file {Path(str(source)).name}"
        G.graph["trimmed"] = str(report)
    else:
        G = _overpass_graph(source, kind, network_type=network_type)
    _strip_for_graphml(G)
    if use_cache:
        try:
            with atomic_path(path) as tmp:
                ox.save_graphml(G, tmp)
        except (OSError, SanquGeoError) as exc:  # a cache is never worth failing the run
            logger.warning("cannot write the network cache %s (%s)", path, exc)
        else:
            # read back, so a first run gets the same attribute types as later ones
            G = ox.load_graphml(path)
    return G


def _overpass_graph(source: Any, kind: str, *, network_type: str | None) -> nx.MultiDiGraph:
    import osmnx as ox

    ox.settings.requests_timeout = max(1, round(settings.download_timeout_s))  # Overpass: whole s
    network = network_type or "all"
    try:
        if kind == "bbox":
            bbox = parse_bbox(source)
            G = ox.graph_from_bbox(bbox, network_type=network)
            label = "bbox " + ",".join(f"{v:g}" for v in bbox)
        else:
            G = ox.graph_from_place(str(source), network_type=network)
            label = f"place {source}"
    except (ConnectionError, OSError) as exc:
        msg = (
            f"cannot reach Overpass for {source!r} ({exc}); work offline with the embedded "
            "network (source='harbin' or 'trunk') or an OSM file (--osm-file)"
        )
        raise NetworkError(msg) from exc
    except Exception as exc:  # osmnx raises its own InsufficientResponseError etc.
        msg = f"Overpass gave no usable network for {source!r}: {exc}"
        raise NetworkError(msg) from exc
    G.graph["source"] = f"OpenStreetMap via Overpass, {label}"
    return G


def _strip_for_graphml(G: nx.MultiDiGraph) -> None:
    """Drop attributes GraphML cannot round-trip (speeds are recomputed per profile)."""
    for _, _, data in G.edges(data=True):
        data.pop("speed_kph", None)
        data.pop("travel_time", None)
        for key in ("capacity", "capacity_source", "lanes_dir"):
            data.pop(key, None)


def apply_truck_bans(G: nx.MultiDiGraph, bans: gpd.GeoDataFrame) -> nx.MultiDiGraph:
    """Return a copy of ``G`` without the edges whose midpoint lies in a truck-ban polygon.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph in WGS-84.
    bans : geopandas.GeoDataFrame
        Ban polygons.

    Returns
    -------
    networkx.MultiDiGraph
        A new graph; the input is unchanged.
    """
    area = shapely.union_all(bans.to_crs(settings.default_crs).geometry.to_numpy())
    H = G.copy()
    edges = list(H.edges(keys=True, data=True))
    mids = []
    for u, v, _, data in edges:
        geom = data.get("geometry")
        if geom is None:
            geom = LineString(
                [(H.nodes[u]["x"], H.nodes[u]["y"]), (H.nodes[v]["x"], H.nodes[v]["y"])]
            )
        mids.append(geom.interpolate(0.5, normalized=True))
    inside = shapely.contains(area, np.array(mids, dtype=object))
    H.remove_edges_from([(u, v, k) for (u, v, k, _), ban in zip(edges, inside, strict=True) if ban])
    logger.info("truck bans removed %d of %d edges", int(inside.sum()), len(edges))
    return H


def network_summary(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Describe a road graph: size, kilometres by class, connectivity and origin.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.

    Returns
    -------
    dict
        ``source``, ``profile``, ``nodes``, ``edges``, ``km_by_class``, ``km_total``,
        ``weak_components``, ``strong_components``, ``largest_strong_share``, and
        ``capacity`` (see :func:`sanqu_geo.capacity.capacity_summary`), ``lanes_osm_share``
        (share of edges whose lanes come from an OSM ``lanes`` tag), ``signalised_junctions``
        and ``km_by_source`` (``osm``, ``trunk``, ``stitch`` on the city network).
    """
    km = speeds.km_by_class(G)
    lanes_osm = sum(1 for *_, d in G.edges(data=True) if capacity.parse_lanes(d.get("lanes")))
    by_source = speeds.km_by(G, lambda d: str(d.get("source", "")))
    strong = list(nx.strongly_connected_components(G)) if len(G) else []
    return {
        "source": G.graph.get("source", "unknown"),
        "profile": G.graph.get("profile", ""),
        "nodes": G.number_of_nodes(),
        "edges": G.number_of_edges(),
        "km_by_class": km,
        "km_total": sum(km.values()),
        "weak_components": nx.number_weakly_connected_components(G) if len(G) else 0,
        "strong_components": len(strong),
        "largest_strong_share": (max(len(c) for c in strong) / len(G)) if strong else 0.0,
        "capacity": capacity.capacity_summary(G),
        "lanes_osm_share": lanes_osm / G.number_of_edges() if G.number_of_edges() else 0.0,
        "signalised_junctions": int(G.graph.get("signalised_junctions", 0)),
        "km_by_source": by_source,
    }
