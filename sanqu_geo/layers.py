"""The layers of the 三区一港: schemas, the embedded defaults, users' own files, validation.

Every layer is a GeoDataFrame in WGS-84 (EPSG:4326) at rest. A user's imported layer, once
stored, replaces the embedded one everywhere. This module never routes and never draws.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.validation import explain_validity, make_valid

from sanqu_geo import crs as _crs
from sanqu_geo import settings
from sanqu_geo._atomic import atomic_path
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._safe import control_character, spreadsheet_safe_frame, unescape
from sanqu_geo.errors import CRSError, DataSourceError, LayerError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "ACCURACY_VALUES",
    "LAYERS",
    "PHASES",
    "PLACE_ROLES",
    "LayerSpec",
    "ValidationIssue",
    "export_layer",
    "import_layer",
    "layer_origin",
    "load_layer",
    "place_roles",
    "read_vector_file",
    "remove_imported_layer",
    "role_issues",
    "validate_layer",
]

#: Accuracy marks of a feature, from least to most reliable.
ACCURACY_VALUES: tuple[str, ...] = ("indicative", "surveyed", "official")

#: The plan's deadline terms and their years, as the plan gives them: 近期 = end of 2021,
#: 中期 = end of 2022, 远期 = 2025, 中远期 = no year, 长远期 = 2035.
PHASES: dict[str, int | None] = {
    "近期": 2021,
    "中期": 2022,
    "远期": 2025,
    "中远期": None,
    "长远期": 2035,
}

#: Number of tasks of the plan (the projects' ``item`` is the plan's task number).
PLAN_TASKS = 40

#: Required fields whose value may be null: a project that is not a plan task has no task
#: number and no phase.
_MAY_BE_EMPTY = frozenset({("projects", "item"), ("projects", "phase")})

_POLYGONAL = frozenset({"Polygon", "MultiPolygon"})
_POINT = frozenset({"Point"})
_ANY = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
)
_LINEAR = frozenset({"LineString", "MultiLineString"})


@dataclasses.dataclass(frozen=True)
class LayerSpec:
    """The schema of one layer.

    Attributes
    ----------
    name : str
        The layer's name, as typed on the command line.
    file : str
        The embedded file, relative to the data folder.
    title_zh, title_en : str
        Human titles.
    geometry_types : frozenset of str
        Allowed geometry types.
    required : tuple of str
        Fields every feature must have (besides ``geometry``).
    optional : dict
        Fields filled with a default when a user's file lacks them.
    """

    name: str
    file: str
    title_zh: str
    title_en: str
    geometry_types: frozenset[str]
    required: tuple[str, ...]
    optional: dict[str, Any] = dataclasses.field(default_factory=dict)


_COMMON_OPTIONAL: dict[str, Any] = {"name_en": "", "note": ""}
_SHORT_NAMES: dict[str, Any] = {"short_zh": "", "short_en": ""}

#: Every layer sanqu-geo knows, by name.
LAYERS: dict[str, LayerSpec] = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "zones",
            "boundaries/zones.geojson",
            "三区一港区域",
            "Zones of the three areas and the inland port",
            _POLYGONAL,
            ("id", "name_zh", "accuracy", "source"),
            {
                **_COMMON_OPTIONAL,
                **_SHORT_NAMES,
                "kind": "",
                "group": "",
                "area_km2_published": None,
                "role": "",
            },
        ),
        LayerSpec(
            "facilities",
            "boundaries/facilities.geojson",
            "主要设施",
            "Facilities",
            _POINT,
            ("id", "name_zh", "accuracy", "source"),
            {
                **_COMMON_OPTIONAL,
                **_SHORT_NAMES,
                "kind": "",
                "zone": "",
                "status": "existing",
                "location_known": True,
                "role": "",
            },
        ),
        LayerSpec(
            "projects",
            "projects/projects.geojson",
            "基础设施互联互通项目",
            "Infrastructure and platform projects of the plan",
            _ANY,
            ("id", "item", "title_zh", "phase", "status", "accuracy", "source"),
            {
                "subsection": "",
                "title_en": "",
                "note": "",
                "kind": "",
                "target_year": None,
                "lead_unit": "",
                "design_speed_kph": None,
                "lanes": None,
                "length_km_published": None,
            },
        ),
        LayerSpec(
            "river",
            "boundaries/river.geojson",
            "松花江",
            "Songhua River",
            _LINEAR | _POLYGONAL,
            ("id", "name_zh", "accuracy", "source"),
            dict(_COMMON_OPTIONAL),
        ),
        LayerSpec(
            "truck_bans",
            "boundaries/truck_bans.geojson",
            "货车禁行区",
            "Truck-ban areas (used by the truck profile)",
            _POLYGONAL,
            ("id", "accuracy", "source"),
            {"name_zh": "", "name_en": "", "note": "", "hours": ""},
        ),
        LayerSpec(
            "districts",
            "boundaries/districts.geojson",
            "行政区",
            "Districts",
            _POINT | _POLYGONAL,
            ("id", "name_zh", "accuracy", "source"),
            dict(_COMMON_OPTIONAL),
        ),
        LayerSpec(
            "zones_model",
            "boundaries/zones_model.geojson",
            "交通小区",
            "Traffic analysis zones of the model",
            _POINT | _POLYGONAL,
            ("id", "name_zh", "accuracy", "source"),
            {
                **_COMMON_OPTIONAL,
                "district": "",
                "kind": "",
                "population": None,
                "jobs_weight": None,
                "jobs_share": None,
            },
        ),
    )
}

#: The places the main jobs (corridor comparison, meeting pack) need, by role: role ->
#: (layer, id of the embedded place, 中文, English). An imported facilities or zones layer
#: names them in a ``role`` column; without one, a place with the embedded id takes the role.
PLACE_ROLES: dict[str, tuple[str, str, str, str]] = {
    "airport": ("facilities", "airport", "机场", "the airport"),
    "container_centre": (
        "facilities",
        "container_station",
        "集装箱中心站",
        "the container centre station",
    ),
    "inland_port": ("facilities", "inland_port_hub", "内陆港", "the inland port"),
    "rail_station": ("facilities", "harbin_west", "哈尔滨西站", "the rail station (Harbin West)"),
    "bonded_zone": ("zones", "cbz_phase1", "综合保税区", "the comprehensive bonded zone"),
    "ftz": ("zones", "ftz_harbin", "自贸区哈尔滨片区", "the FTZ Harbin area"),
    "new_area": ("zones", "new_area_jiangbei", "哈尔滨新区", "the Harbin New Area"),
}

#: Fields people read: no control or direction-override characters allowed.
_TEXT_FIELDS = ("id", "name_zh", "name_en", "short_zh", "short_en", "title_zh", "title_en", "role")

_LON_NAMES = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_NAMES = ("lat", "latitude", "y", "纬度")
_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom")


@dataclasses.dataclass(frozen=True)
class ValidationIssue:
    """One problem found in a layer.

    Attributes
    ----------
    layer : str
        Layer name.
    feature : str
        The feature's id (or its row number when it has none).
    field : str
        The field concerned (``geometry`` for geometry problems).
    message : str
        What is wrong and how to fix it.
    """

    layer: str
    feature: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.layer}: feature {self.feature}: {self.field}: {self.message}"


def _spec(name: str) -> LayerSpec:
    try:
        return LAYERS[name]
    except KeyError:
        msg = f"unknown layer {name!r}: use one of {', '.join(LAYERS)}"
        raise LayerError(msg) from None


def _imported_path(name: str) -> Path:
    return settings.get_home_folder() / "layers" / f"{name}.gpkg"


def layer_origin(name: str) -> str:
    """Say where ``load_layer(name)`` takes the layer from.

    Parameters
    ----------
    name : str
        Layer name, one of :data:`LAYERS`.

    Returns
    -------
    str
        ``"imported"`` when a user's layer is stored, else ``"embedded"``.
    """
    _spec(name)
    return "imported" if _imported_path(name).is_file() else "embedded"


def load_layer(
    name: str, *, embedded: bool = False, located_only: bool = False
) -> gpd.GeoDataFrame:
    """Return a layer as a GeoDataFrame in WGS-84.

    Parameters
    ----------
    name : str
        Layer name, one of :data:`LAYERS` (``zones``, ``facilities``, ``projects``, ``river``,
        ``districts``).
    embedded : bool
        Return the embedded layer even when the user imported one.
    located_only : bool
        Drop features whose geometry is unknown (null), such as a planned facility whose site
        is not yet published.

    Returns
    -------
    geopandas.GeoDataFrame
        The features, with every field of the layer's schema, CRS EPSG:4326.

    Raises
    ------
    LayerError
        If the name is unknown.
    """
    spec = _spec(name)
    path = _imported_path(name)
    if not embedded and path.is_file():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio's errors have no common base
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            msg = (
                f"{path}: the stored {name} layer cannot be read ({first}); run "
                f"`sanqu-geo layers reset {name}` and import your file again"
            )
            raise LayerError(msg) from exc
        gdf.attrs["origin"] = f"imported ({path.name})"
    else:
        gdf = _read_geojson(data_file(spec.file))
        gdf.attrs["origin"] = "embedded"
    gdf = _fill_optional(gdf, spec)
    if name == "projects":
        # Task numbers and years are whole numbers; null where a feature is not a plan task.
        for field in ("item", "target_year"):
            gdf[field] = pd.to_numeric(gdf[field], errors="coerce").round().astype("Int64")
    if located_only:
        gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].copy()
    gdf.attrs["layer"] = name
    return gdf


def _read_geojson(path: Path) -> gpd.GeoDataFrame:
    """Read a GeoJSON file keeping null geometries and property types as written.

    A file read before and unchanged since (same size and modification time) is not parsed
    again: a meeting pack asks for the same small layers a few hundred times.
    """
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    cached = _GEOJSON_CACHE.get(key)
    if cached is None:
        cached = _parse_geojson(path)
        if len(_GEOJSON_CACHE) >= 32:
            _GEOJSON_CACHE.clear()
        _GEOJSON_CACHE[key] = cached
    return cached.copy()


#: Parsed GeoJSON files by (path, modification time, size); callers get copies.
_GEOJSON_CACHE: dict[tuple[str, int, int], gpd.GeoDataFrame] = {}


def _parse_geojson(path: Path) -> gpd.GeoDataFrame:
    with path.open(encoding="utf-8") as fh:
        collection = json.load(fh)
    features = collection.get("features", [])
    rows = [dict(f.get("properties") or {}) for f in features]
    geoms = [shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features]
    frame = pd.DataFrame(rows)
    if frame.empty:
        frame = pd.DataFrame(
            {
                "id": pd.Series(dtype=str),
                "accuracy": pd.Series(dtype=str),
                "source": pd.Series(dtype=str),
            }
        )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=settings.default_crs))


def _fill_optional(gdf: gpd.GeoDataFrame, spec: LayerSpec) -> gpd.GeoDataFrame:
    for field, default in spec.optional.items():
        if field not in gdf.columns:
            gdf[field] = default
    return gdf


def validate_layer(gdf: gpd.GeoDataFrame, name: str) -> list[ValidationIssue]:
    """Check a layer against its schema.

    Checks the required fields, unique ids, accuracy marks, phases, geometry types, empty and
    invalid geometries (saying whether ``make_valid`` would fix them) and that every vertex
    lies near Harbin in WGS-84.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, in WGS-84.
    name : str
        Its layer name, which selects the schema.

    Returns
    -------
    list of ValidationIssue
        Empty when the layer is valid.
    """
    spec = _spec(name)
    issues: list[ValidationIssue] = []

    def add(feature: str, field: str, message: str) -> None:
        issues.append(ValidationIssue(name, feature, field, message))

    missing = [f for f in spec.required if f not in gdf.columns]
    for field in missing:
        add("*", field, f"required field {field!r} is missing from the layer; add the column")
    ids = _feature_ids(gdf)
    for field in spec.required:
        if field in missing or (name, field) in _MAY_BE_EMPTY:
            continue
        empty = gdf[field].isna() | (gdf[field].astype(str).str.strip() == "")
        for i in np.flatnonzero(empty.to_numpy()):
            add(ids[i], field, f"required field {field!r} is empty")
    if "id" in gdf.columns:
        dup = gdf["id"].astype(str).duplicated(keep=False)
        for value in sorted(set(gdf.loc[dup, "id"].astype(str))):
            add(value, "id", "id is used by more than one feature; ids must be unique")
    if "accuracy" in gdf.columns:
        bad = ~gdf["accuracy"].isin(ACCURACY_VALUES) & gdf["accuracy"].notna()
        for i in np.flatnonzero(bad.to_numpy()):
            add(
                ids[i],
                "accuracy",
                f"{gdf['accuracy'].iloc[i]!r} is not one of {', '.join(ACCURACY_VALUES)}",
            )
    for field in _TEXT_FIELDS:
        if field not in gdf.columns:
            continue
        for i, value in enumerate(gdf[field].tolist()):
            if isinstance(value, str) and (bad := control_character(value)) is not None:
                add(ids[i], field, f"holds the control character {bad}; remove it")
    if name == "projects" and "phase" in gdf.columns:
        bad = ~gdf["phase"].isin(list(PHASES)) & gdf["phase"].notna()
        for i in np.flatnonzero(bad.to_numpy()):
            add(ids[i], "phase", f"{gdf['phase'].iloc[i]!r} is not one of {', '.join(PHASES)}")
    if name == "projects" and "item" in gdf.columns:
        numbers = pd.to_numeric(gdf["item"], errors="coerce")
        bad = (numbers.isna() & gdf["item"].notna()) | ~(
            numbers.isna() | (numbers.between(1, PLAN_TASKS) & (numbers % 1 == 0))
        )
        for i in np.flatnonzero(bad.to_numpy()):
            add(
                ids[i],
                "item",
                f"{gdf['item'].iloc[i]} is not a task number of the plan (1–{PLAN_TASKS}); "
                "leave it empty for a feature that is not a plan task",
            )
    issues.extend(_geometry_issues(gdf, spec, ids))
    return issues


def place_roles(places: pd.DataFrame) -> tuple[dict[str, str], list[ValidationIssue]]:
    """Find the place of each role of :data:`PLACE_ROLES` among located places.

    A place takes a role from its ``role`` column; a role no place names falls back to the
    place with the embedded id. Places without a location cannot take a role.

    Parameters
    ----------
    places : pandas.DataFrame
        Located facilities and zones with ``id`` (and ``role`` when the layers carry it).

    Returns
    -------
    roles : dict
        Role -> place id, for the roles found.
    issues : list of ValidationIssue
        One per role missing or given to more than one place, saying how to fix it.
    """
    found: dict[str, str] = {}
    issues: list[ValidationIssue] = []
    ids = places["id"].astype(str)
    named = (
        places["role"].fillna("").astype(str).str.strip()
        if "role" in places.columns
        else pd.Series("", index=places.index)
    )
    for role, (layer, default, zh, en) in PLACE_ROLES.items():
        holders = list(ids[named == role])
        if len(holders) > 1:
            issues.append(
                ValidationIssue(
                    layer,
                    ", ".join(holders[:4]),
                    "role",
                    f"role {role!r} is given to more than one place; give it to one",
                )
            )
        elif holders:
            found[role] = holders[0]
        elif (ids == default).any():
            found[role] = default
        else:
            issues.append(
                ValidationIssue(
                    layer,
                    "*",
                    "role",
                    f"no located place has role {role!r} ({zh}, {en}), which corridor "
                    f"comparisons and the meeting pack need; add a 'role' column to the {layer} "
                    f"layer and set it to {role!r} for that place, then import it again",
                )
            )
    return found, issues


def role_issues() -> list[ValidationIssue]:
    """Problems of the current facilities and zones layers for the main jobs (see :func:`place_roles`)."""
    parts = [load_layer(name, located_only=True) for name in ("facilities", "zones")]
    frame = pd.concat([pd.DataFrame(p.drop(columns="geometry")) for p in parts], ignore_index=True)
    return place_roles(frame)[1]


def _feature_ids(gdf: gpd.GeoDataFrame) -> list[str]:
    if "id" in gdf.columns:
        return [
            str(v) if v is not None and str(v).strip() and str(v) != "nan" else f"#{i + 1}"
            for i, v in enumerate(gdf["id"].tolist())
        ]
    return [f"#{i + 1}" for i in range(len(gdf))]


def _geometry_issues(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, ids: list[str]
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    if gdf.crs is None:
        issues.append(
            ValidationIssue(
                spec.name, "*", "geometry", "the layer has no CRS; name it (e.g. --crs wgs84)"
            )
        )
        return issues
    for i, geom in enumerate(gdf.geometry):
        if geom is None:
            continue  # location unknown: allowed, reported by `layers show`
        fid = ids[i]
        if geom.is_empty:
            issues.append(
                ValidationIssue(
                    spec.name,
                    fid,
                    "geometry",
                    "geometry is empty; give it a shape or drop the feature",
                )
            )
            continue
        if geom.geom_type not in spec.geometry_types:
            allowed = ", ".join(sorted(spec.geometry_types))
            issues.append(
                ValidationIssue(
                    spec.name,
                    fid,
                    "geometry",
                    f"geometry type {geom.geom_type} is not allowed here (use {allowed})",
                )
            )
            continue
        if not geom.is_valid:
            reason = explain_validity(geom)
            fixed = make_valid(geom)
            fixable = (not fixed.is_empty) and fixed.geom_type in spec.geometry_types
            hint = (
                "make_valid would fix it (run `sanqu-geo layers import ... --make-valid`)"
                if fixable
                else "make_valid would not give a usable shape; redraw it"
            )
            issues.append(
                ValidationIssue(spec.name, fid, "geometry", f"invalid geometry ({reason}); {hint}")
            )
    located = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if len(located):
        try:
            _crs.check_geodataframe(
                gpd.GeoDataFrame(geometry=located.to_crs(settings.default_crs)), name=spec.name
            )
        except CRSError as exc:
            issues.append(ValidationIssue(spec.name, "*", "geometry", str(exc)))
    return issues


#: Largest GIS file a layer is imported from (bytes): a city's parcels or a province's roads
#: as a GeoPackage or shapefile are a few hundred megabytes.
max_layer_bytes: int = 2048 * MB

#: Largest CSV file a layer is imported from (bytes): read whole into memory.
max_layer_csv_bytes: int = 512 * MB

#: Files GDAL opens beside the one named, by the named file's suffix: the parts of a
#: shapefile or a MapInfo table, and SQLite's journal files beside a GeoPackage.
_SIDECARS: dict[str, tuple[str, ...]] = {
    ".shp": (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj", ".shp.xml"),
    ".tab": (".dat", ".map", ".id", ".ind"),
    ".mif": (".mid",),
    ".gpkg": ("-wal", "-shm", "-journal"),
}


def _check_vector_source(path: Path, *, csv: bool) -> None:
    """Refuse a pipe, a device, a folder or a huge file, and the same among its side files.

    A File Geodatabase (a ``.gdb`` folder) is read as a folder: each file in it is checked.
    """
    limit = max_layer_csv_bytes if csv else max_layer_bytes
    if path.suffix.lower() == ".gdb" and path.is_dir():
        total = 0
        for part in sorted(path.iterdir()):
            total += (
                check_input_file(part, what="File Geodatabase part", max_bytes=limit).stat().st_size
            )
        if total > limit:
            msg = (
                f"{path}: {total / MB:,.0f} MB is more than the {limit / MB:,.0f} MB a layer "
                "file may have; check that this is the right geodatabase"
            )
            raise DataSourceError(msg)
        return
    check_input_file(path, what="layer file", max_bytes=limit)
    name = path.name.lower()
    for suffix, sides in _SIDECARS.items():
        if not name.endswith(suffix):
            continue
        if suffix == ".gpkg":  # zones.gpkg-wal
            wanted = {(path.name + side).lower() for side in sides}
        else:  # zones.shp -> zones.dbf
            stem = path.name[: -len(suffix)]
            wanted = {(stem + side).lower() for side in sides}
        for sibling in path.parent.iterdir():
            if sibling.name.lower() in wanted and sibling.name != path.name:
                check_input_file(sibling, what=f"part of {path.name}", max_bytes=limit)


def read_vector_file(
    path: str | Path, *, crs: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read any vector file pyogrio reads, or a CSV with lon/lat (or WKT) columns, into WGS-84.

    Parameters
    ----------
    path : path-like
        GeoPackage, Shapefile, GeoJSON, KML, … or CSV.
    crs : str, optional
        The file's CRS when the file does not say it, or to override it: ``wgs84``,
        ``gcj02``, ``bd09``, ``cgcs2000`` or an EPSG code. CSV files without it are read as
        WGS-84.
    layer : str, optional
        The layer inside a multi-layer file (GeoPackage, KML).

    Returns
    -------
    geopandas.GeoDataFrame
        The features in EPSG:4326.

    Raises
    ------
    DataSourceError
        Missing, empty or unreadable file; a pipe, a device or a folder (other than a ``.gdb``
        File Geodatabase), or one of them among a shapefile's parts; a file over
        :data:`max_layer_bytes` (:data:`max_layer_csv_bytes` for CSV); a CSV without
        coordinate columns.
    CRSError
        Unknown CRS name; coordinates far from Harbin or swapped.
    """
    path = Path(path)
    is_csv = path.suffix.lower() in {".csv", ".txt"}
    _check_vector_source(path, csv=is_csv)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: the file is empty; export the layer again"
        raise DataSourceError(msg)
    source_crs = _crs.parse_crs(crs) if crs is not None else None
    if is_csv:
        gdf = _read_csv(path)
        declared = None
    else:
        gdf = _read_ogr(path, layer=layer)
        declared = gdf.crs
    if len(gdf) == 0:
        msg = f"{path}: the file holds no features; export the layer again"
        raise DataSourceError(msg)
    _check_finite(gdf, path)
    if source_crs is None:
        if declared is None:
            if path.suffix.lower() not in {".csv", ".txt"}:
                msg = f"{path}: the file does not say its CRS; name it with --crs (wgs84, gcj02, bd09, cgcs2000 or EPSG:xxxx)"
                raise CRSError(msg)
            source_crs = "wgs84"
        else:
            source_crs = declared
    gdf = gdf.set_crs(None, allow_override=True) if gdf.crs is not None else gdf
    result = _crs.to_wgs84(_with_crs_for_transform(gdf, source_crs), source_crs)
    located = result.geometry[~(result.geometry.isna() | result.geometry.is_empty)]
    if len(located):
        _crs.check_geodataframe(
            gpd.GeoDataFrame(geometry=located, crs=settings.default_crs), name=str(path)
        )
    return result


def _check_finite(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Refuse geometries with NaN or infinite coordinates, naming the features."""
    geoms = gdf.geometry.to_numpy()
    present = np.array([g is not None for g in geoms], dtype=bool)
    if not present.any():
        return
    coords, index = shapely.get_coordinates(geoms[present], return_index=True)
    bad_rows = np.unique(index[~np.isfinite(coords).all(axis=1)])
    if bad_rows.size:
        rows = np.flatnonzero(present)[bad_rows]
        ids = _feature_ids(gdf)
        shown = ", ".join(ids[i] for i in rows[:5])
        msg = (
            f"{path}: feature(s) {shown} have coordinates that are not numbers (NaN or "
            "infinite); fix them, or give no geometry for an unknown location"
        )
        raise DataSourceError(msg)


def _with_crs_for_transform(gdf: gpd.GeoDataFrame, source_crs: Any) -> gpd.GeoDataFrame:
    if isinstance(source_crs, str):  # wgs84 / gcj02 / bd09 are handled as lon/lat
        return gdf.set_crs(settings.default_crs, allow_override=True)
    return gdf.set_crs(source_crs, allow_override=True)


def _read_ogr(path: Path, *, layer: str | None) -> gpd.GeoDataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return gpd.read_file(path, engine="pyogrio", layer=layer)
    except Exception as exc:  # pyogrio raises DataSourceError, FieldError, … without a common base
        msg = (
            f"{path}: not a GIS file that can be read ({str(exc).splitlines()[0]}); "
            "use GeoPackage, Shapefile, GeoJSON, KML or a CSV with lon/lat columns"
        )
        raise DataSourceError(msg) from exc


def _read_csv(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError:
        frame = pd.read_csv(path, encoding="gb18030")
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        msg = f"{path}: not a readable CSV table ({exc}); save it as CSV (UTF-8) from Excel"
        raise DataSourceError(msg) from exc
    for column in frame.columns:  # text a spreadsheet-safe export marked with an apostrophe
        if pd.api.types.is_string_dtype(frame[column]) or frame[column].dtype == object:
            frame[column] = frame[column].map(unescape)
    columns = {c.strip().lower(): c for c in frame.columns}
    lon = next((columns[n] for n in _LON_NAMES if n in columns), None)
    lat = next((columns[n] for n in _LAT_NAMES if n in columns), None)
    if lon is not None and lat is not None:
        try:
            x = pd.to_numeric(frame[lon], errors="raise").to_numpy(float)
            y = pd.to_numeric(frame[lat], errors="raise").to_numpy(float)
        except (ValueError, TypeError) as exc:
            msg = f"{path}: columns {lon!r}/{lat!r} hold values that are not numbers; fix the rows"
            raise DataSourceError(msg) from exc
        blank = np.isnan(x) & np.isnan(y)  # both empty: the location is not known
        bad = ~blank & ~(np.isfinite(x) & np.isfinite(y))
        if bad.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:5])
            msg = (
                f"{path}: row(s) {rows} have one coordinate empty or not finite in "
                f"{lon!r}/{lat!r}; give both (or leave both empty for an unknown location)"
            )
            raise DataSourceError(msg)
        _crs.check_lonlat(x, y, name=str(path))
        geometry = [None if b else shapely.Point(a, c) for a, c, b in zip(x, y, blank, strict=True)]
        return gpd.GeoDataFrame(
            frame.drop(columns=[lon, lat]), geometry=gpd.GeoSeries(geometry, index=frame.index)
        )
    wkt = next((columns[n] for n in _WKT_NAMES if n in columns), None)
    if wkt is not None:
        try:
            geometry = shapely.from_wkt(frame[wkt].astype(str).to_numpy())
        except shapely.errors.GEOSException as exc:
            msg = f"{path}: column {wkt!r} does not hold WKT geometries ({exc})"
            raise DataSourceError(msg) from exc
        return gpd.GeoDataFrame(frame.drop(columns=[wkt]), geometry=geometry)
    msg = (
        f"{path}: no coordinate columns found (columns: {', '.join(map(str, frame.columns))}); "
        "name them lon and lat (or longitude/latitude, x/y, 经度/纬度), or give a WKT column"
    )
    raise DataSourceError(msg)


def import_layer(
    path: str | Path,
    name: str,
    *,
    crs: str | None = None,
    accuracy: str = "official",
    source: str | None = None,
    fix_invalid: bool = False,
    source_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a user's file, validate it as layer ``name`` and store it in place of the embedded one.

    Parameters
    ----------
    path : path-like
        The user's file (any format :func:`read_vector_file` reads).
    name : str
        The layer it replaces, one of :data:`LAYERS`.
    crs : str, optional
        The file's CRS when it does not say it, or to override it (``gcj02`` for Amap data,
        ``bd09`` for Baidu data).
    accuracy : str
        Accuracy mark for features that have none.
    source : str, optional
        Source note for features that have none (default: the file's name).
    fix_invalid : bool
        Repair invalid geometries with ``make_valid`` instead of rejecting them.
    source_layer : str, optional
        Layer inside a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        The stored layer.

    Raises
    ------
    LayerError
        If the layer fails validation; the message lists every problem.
    """
    spec = _spec(name)
    if accuracy not in ACCURACY_VALUES:
        msg = f"accuracy {accuracy!r} is not one of {', '.join(ACCURACY_VALUES)}"
        raise LayerError(msg)
    gdf = read_vector_file(path, crs=crs, layer=source_layer)
    path = Path(path)
    if "accuracy" not in gdf.columns:
        gdf["accuracy"] = accuracy
    else:
        gdf["accuracy"] = gdf["accuracy"].fillna(accuracy)
    if "source" not in gdf.columns:
        gdf["source"] = source or path.name
    if fix_invalid:
        invalid = ~gdf.geometry.isna() & ~gdf.geometry.is_valid
        gdf.loc[invalid, "geometry"] = gdf.geometry[invalid].apply(make_valid)
        if invalid.any():
            logger.info("repaired %d invalid geometries with make_valid", int(invalid.sum()))
    gdf = _fill_optional(gdf, spec)
    issues = validate_layer(gdf, name)
    if issues:
        shown = "; ".join(str(i) for i in issues[:10])
        more = f" (and {len(issues) - 10} more)" if len(issues) > 10 else ""
        msg = f"{path}: cannot import as layer {name!r}: {shown}{more}"
        raise LayerError(msg)
    target = _imported_path(name)
    with atomic_path(target) as tmp:
        gdf.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
    logger.info("stored %d features as layer %s in %s", len(gdf), name, target)
    gdf.attrs["origin"] = f"imported ({target.name})"
    return gdf


def remove_imported_layer(name: str) -> bool:
    """Forget a user's imported layer so the embedded one is used again.

    Parameters
    ----------
    name : str
        Layer name.

    Returns
    -------
    bool
        Whether an imported layer was removed.
    """
    _spec(name)
    path = _imported_path(name)
    if path.is_file():
        path.unlink()
        return True
    return False


_EXPORT_DRIVERS = {"gpkg": "GPKG", "geojson": "GeoJSON", "shp": "ESRI Shapefile", "csv": "CSV"}


def export_layer(name: str, out: str | Path, *, fmt: str | None = None, crs: str = "wgs84") -> Path:
    """Write a layer to a file, atomically, in the requested format and CRS.

    Parameters
    ----------
    name : str
        Layer name.
    out : path-like
        Output file (for ``shp`` the ``.shp``; its sidecar files are written beside it).
    fmt : {"gpkg", "geojson", "shp", "csv"}, optional
        Format; by default taken from the file's extension.
    crs : str
        Output CRS: ``wgs84``, ``gcj02``, ``bd09``, ``cgcs2000`` or an EPSG code. CSV files get
        ``lon``/``lat`` columns for points and a ``wkt`` column otherwise.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    out = Path(out)
    fmt = (fmt or out.suffix.lstrip(".")).lower()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in _EXPORT_DRIVERS:
        msg = f"export format {fmt!r} is unknown: use one of {', '.join(_EXPORT_DRIVERS)}"
        raise LayerError(msg)
    gdf = load_layer(name)
    target = _crs.parse_crs(crs)
    converted = _crs.from_wgs84(gdf, target)
    if fmt == "csv":
        frame = pd.DataFrame(converted.drop(columns="geometry"))
        geoms = converted.geometry
        if all(g is None or g.geom_type == "Point" for g in geoms):
            frame["lon"] = [g.x if g is not None else math.nan for g in geoms]
            frame["lat"] = [g.y if g is not None else math.nan for g in geoms]
        else:
            frame["wkt"] = [g.wkt if g is not None else "" for g in geoms]
        with atomic_path(out) as tmp:
            spreadsheet_safe_frame(frame).to_csv(tmp, index=False, encoding="utf-8-sig")
        return out
    if isinstance(target, str) and target != "wgs84":
        # GCJ-02 and BD-09 have no EPSG code: the file is labelled WGS-84 lon/lat by format
        # necessity; the caller asked for shifted coordinates knowingly.
        logger.warning(
            "%s coordinates written with a WGS-84 label: no CRS code exists for them", target
        )
    if fmt == "shp":
        tmpdir = Path(
            tempfile.mkdtemp(prefix=".export.", dir=out.parent if out.parent.exists() else None)
        )
        try:
            converted.to_file(
                tmpdir / out.name, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8"
            )
            for part in sorted(tmpdir.iterdir()):
                final = out.with_suffix(part.suffix)
                with atomic_path(final) as tmp:
                    shutil.copyfile(part, tmp)
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
        return out
    with atomic_path(out) as tmp:
        converted.to_file(
            tmp,
            driver=_EXPORT_DRIVERS[fmt],
            engine="pyogrio",
            layer=name if fmt == "gpkg" else out.stem,  # never the temporary file's name
        )
    return out
