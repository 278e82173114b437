"""Coordinate conversions: WGS-84 ⇄ GCJ-02 ⇄ BD-09, CGCS2000, pyproj CRSs and the metric CRS.

Also the sanity checks on longitude/latitude (range, swapped columns, distance from Harbin).
This module converts data in memory only; it never reads or writes files.
"""

from __future__ import annotations

import functools
import logging
import math
import numbers
from collections.abc import Callable
from typing import Any, TypeAlias, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import ArrayLike

from sanqu_geo import settings
from sanqu_geo.errors import CRSError

__all__ = [
    "HARBIN_CENTRE",
    "area_km2",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "check_geodataframe",
    "check_lonlat",
    "detect_gcj02_offset",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "length_m",
    "parse_crs",
    "to_metric",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

#: A CRS as users name it: "gcj02", "bd09", "wgs84", "cgcs2000", "EPSG:4551", 4551, a pyproj.CRS.
CRSLike: TypeAlias = str | int | pyproj.CRS
#: A coordinate, or an array of them: python floats in give python floats out.
FloatOrArray: TypeAlias = float | np.ndarray
GeoObject = TypeVar("GeoObject", shapely.Geometry, gpd.GeoSeries, gpd.GeoDataFrame)

#: Harbin centre (longitude, latitude) in WGS-84, the reference of the "far from Harbin" check.
HARBIN_CENTRE: tuple[float, float] = (126.63, 45.75)

# GCJ-02 ("Mars coordinates") is WGS-84 plus an obfuscating offset computed on the Krasovsky
# 1940 ellipsoid; these are the constants of the published "eviltransform" formulas.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
# BD-09 rotates and scales GCJ-02 slightly around the origin, then shifts it.
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006
# The rough box outside which GCJ-02 equals WGS-84 (the test every public implementation uses).
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# The inverses are iterated until the forward transform of the estimate reproduces the input
# to this many degrees (1e-9° is about 0.1 mm); they converge in 3–5 steps.
_TOLERANCE_DEG = 1e-9
_MAX_ITERATIONS = 30
_EARTH_RADIUS_KM = 6371.0088
_WGS84 = "EPSG:4326"

_GCJ02_NAMES = ("gcj02", "gcj-02", "gcj", "mars")
_BD09_NAMES = ("bd09", "bd-09", "baidu")
_WGS84_NAMES = ("wgs84", "wgs-84", "epsg:4326", "4326")
_CGCS2000_NAMES = ("cgcs2000", "epsg:4490", "4490")
_ACCEPTED = "wgs84, gcj02, bd09, cgcs2000, or an EPSG code such as EPSG:4551"


# ---------------------------------------------------------------------------------------------
# Point conversions (numpy, element-wise)
# ---------------------------------------------------------------------------------------------


def _as_lonlat_arrays(
    lon: ArrayLike, lat: ArrayLike, *, check_range: bool = True
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Return float arrays of ``lon`` and ``lat`` and whether both were scalars.

    With ``check_range``, values other than NaN must be finite longitudes within ±180° and
    latitudes within ±90°.
    """
    if lon is None or lat is None:
        msg = f"longitude and latitude must be numbers or arrays of numbers, got {lon!r}, {lat!r}"
        raise CRSError(msg)
    try:
        lon_arr = np.asarray(lon, dtype=np.float64)
        lat_arr = np.asarray(lat, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"longitude and latitude must be numbers or arrays of numbers: {err}"
        raise CRSError(msg) from err
    if lon_arr.shape != lat_arr.shape:
        msg = (
            f"longitude and latitude have different shapes: lon {lon_arr.shape}, "
            f"lat {lat_arr.shape}; pass one value of each per point"
        )
        raise CRSError(msg)
    if check_range:
        with np.errstate(invalid="ignore"):
            bad = (np.abs(lon_arr) > 180.0) | (np.abs(lat_arr) > 90.0)
        if bad.any():
            i = np.flatnonzero(bad.ravel())[0]
            msg = (
                f"{int(bad.sum())} point(s) out of range, e.g. lon {lon_arr.ravel()[i]:.6g}, lat "
                f"{lat_arr.ravel()[i]:.6g}: longitude must lie within ±180°, latitude within "
                "±90°; projected metres must be converted with to_wgs84(gdf, 'EPSG:4551')"
            )
            raise CRSError(msg)
    return lon_arr, lat_arr, lon_arr.ndim == 0


def _result(lon: np.ndarray, lat: np.ndarray, scalar: bool) -> tuple[FloatOrArray, FloatOrArray]:
    if scalar:
        return float(lon), float(lat)
    return lon, lat


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (
        (lon < _CHINA_LON[0])
        | (lon > _CHINA_LON[1])
        | (lat < _CHINA_LAT[0])
        | (lat > _CHINA_LAT[1])
    )


def _gcj02_delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84 in degrees at WGS-84 point(s) ``lon``, ``lat``, China or not."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    shared = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += shared
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += shared
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _invert(
    forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    target_lon: np.ndarray,
    target_lat: np.ndarray,
    start_lon: np.ndarray,
    start_lat: np.ndarray,
    label: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from ``start``.

    Both offsets vary slowly with position (their derivatives stay below about 0.03), so each
    plain step ``estimate -= forward(estimate) - target`` shrinks the error at least thirtyfold;
    four steps reach about 1e-13° anywhere in China.
    """
    lon, lat = start_lon.copy(), start_lat.copy()
    error = np.inf
    for _ in range(_MAX_ITERATIONS):
        fwd_lon, fwd_lat = forward(lon, lat)
        err_lon = fwd_lon - target_lon
        err_lat = fwd_lat - target_lat
        lon -= err_lon
        lat -= err_lat
        finite = np.isfinite(err_lon) & np.isfinite(err_lat)
        if not finite.any():
            return lon, lat
        error = max(np.abs(err_lon[finite]).max(), np.abs(err_lat[finite]).max())
        if error < _TOLERANCE_DEG:
            return lon, lat
    logger.warning("%s did not converge: largest residual %.3g degrees", label, error)
    return lon, lat


def _gcj02_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _gcj02_delta(lon, lat)
    return lon + dlon, lat + dlat


def _bd09_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd09_inverse_closed_form(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS-84 longitude/latitude to GCJ-02 (Amap, Tencent, most Chinese POI data).

    Outside China (the usual rough box lon 72.004–137.8347, lat 0.8293–55.8271) GCJ-02 equals
    WGS-84 and the point is returned unchanged.

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude and latitude in degrees, of the same shape. NaN gives NaN.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02 degrees: python floats for scalar input, otherwise numpy
        arrays of the input shape.

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    dlon, dlat = _gcj02_delta(lon_arr, lat_arr)
    outside = _out_of_china(lon_arr, lat_arr)
    out_lon = np.where(outside, lon_arr, lon_arr + dlon)
    out_lat = np.where(outside, lat_arr, lat_arr + dlat)
    return _result(out_lon, out_lat, scalar)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude to WGS-84, exactly inverting :func:`wgs84_to_gcj02`.

    The inverse has no closed form; it is iterated until the forward conversion of the result
    reproduces the input to 1e-9° (about 0.1 mm). The one-step approximation found in many
    libraries is off by up to a few metres.

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees, of the same shape. NaN gives NaN.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS-84 degrees, floats for scalars, arrays of the input shape
        otherwise. Points outside China are returned unchanged.

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    out_lon, out_lat = lon_arr.copy(), lat_arr.copy()
    inside = ~_out_of_china(lon_arr, lat_arr)
    if inside.any():
        glon, glat = lon_arr[inside], lat_arr[inside]
        dlon, dlat = _gcj02_delta(glon, glat)
        out_lon[inside], out_lat[inside] = _invert(
            _gcj02_forward, glon, glat, glon - dlon, glat - dlat, "GCJ-02 → WGS-84"
        )
    return _result(out_lon, out_lat, scalar)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu Maps).

    Parameters
    ----------
    lon, lat : float or array_like
        GCJ-02 longitude and latitude in degrees, of the same shape. NaN gives NaN.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09 degrees, floats for scalars, arrays of the input shape
        otherwise. Unlike GCJ-02, BD-09 applies everywhere (Baidu shifts every point).

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    return _result(*_bd09_forward(lon_arr, lat_arr), scalar)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 longitude/latitude to GCJ-02, exactly inverting :func:`gcj02_to_bd09`.

    Starts from the published closed-form inverse (which is off by up to about a metre) and
    iterates until the forward conversion reproduces the input to 1e-9°.

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees, of the same shape. NaN gives NaN.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02 degrees, floats for scalars, arrays of the input shape
        otherwise.

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    start_lon, start_lat = _bd09_inverse_closed_form(lon_arr, lat_arr)
    out = _invert(_bd09_forward, lon_arr, lat_arr, start_lon, start_lat, "BD-09 → GCJ-02")
    return _result(*out, scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert WGS-84 longitude/latitude to BD-09 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        WGS-84 longitude and latitude in degrees, of the same shape.

    Returns
    -------
    tuple
        ``(lon, lat)`` in BD-09 degrees, floats for scalars, arrays otherwise.

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    return _result(*gcj02_to_bd09(*wgs84_to_gcj02(lon_arr, lat_arr)), scalar)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatOrArray, FloatOrArray]:
    """Convert BD-09 longitude/latitude to WGS-84 (through GCJ-02).

    Parameters
    ----------
    lon, lat : float or array_like
        BD-09 longitude and latitude in degrees, of the same shape.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS-84 degrees, floats for scalars, arrays otherwise.

    Raises
    ------
    CRSError
        If ``lon`` and ``lat`` differ in shape or are not numeric.
    """
    lon_arr, lat_arr, scalar = _as_lonlat_arrays(lon, lat)
    return _result(*gcj02_to_wgs84(*bd09_to_gcj02(lon_arr, lat_arr)), scalar)


# ---------------------------------------------------------------------------------------------
# CRS names
# ---------------------------------------------------------------------------------------------


def _is_wgs84_like(crs: pyproj.CRS) -> bool:
    """Whether ``crs`` is WGS-84 or CGCS2000 longitude/latitude (in either axis order)."""
    return crs.equals(_WGS84, ignore_axis_order=True) or crs.equals(
        settings.cgcs2000_crs, ignore_axis_order=True
    )


def parse_crs(name: CRSLike) -> str | pyproj.CRS:
    """Normalise a CRS as users name it.

    Parameters
    ----------
    name : str, int or pyproj.CRS
        Case-insensitive names and aliases: ``"gcj02"`` (``"gcj-02"``, ``"gcj"``, ``"mars"``),
        ``"bd09"`` (``"bd-09"``, ``"baidu"``), ``"wgs84"`` (``"wgs-84"``, ``"epsg:4326"``,
        ``"4326"``), ``"cgcs2000"`` (``"epsg:4490"``, ``"4490"``); or anything pyproj accepts
        (``"EPSG:4551"``, an EPSG code as an int, a WKT string, a :class:`pyproj.CRS`).

    Returns
    -------
    str or pyproj.CRS
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` for the longitude/latitude systems (CGCS2000
        and any CRS equal to WGS-84 or CGCS2000 give ``"wgs84"``: CGCS2000 and WGS-84 differ
        by a few centimetres, far below the accuracy of any planning data), otherwise the
        :class:`pyproj.CRS`.

    Raises
    ------
    CRSError
        If the name is neither an accepted alias nor a CRS pyproj can parse.
    """
    if isinstance(name, str):
        key = name.strip().lower()
        if key in _GCJ02_NAMES:
            return "gcj02"
        if key in _BD09_NAMES:
            return "bd09"
        if key in _WGS84_NAMES or key in _CGCS2000_NAMES or key == settings.cgcs2000_crs.lower():
            return "wgs84"
        if not key:
            msg = f"empty CRS name: use one of {_ACCEPTED}"
            raise CRSError(msg)
    if isinstance(name, pyproj.CRS):
        crs = name
    elif isinstance(name, bool) or not isinstance(name, (str, int)):
        msg = f"unknown CRS {name!r} of type {type(name).__name__}: use one of {_ACCEPTED}"
        raise CRSError(msg)
    else:
        try:
            crs = pyproj.CRS.from_user_input(name)
        except pyproj.exceptions.CRSError as err:
            msg = f"unknown CRS {name!r}: use one of {_ACCEPTED}"
            raise CRSError(msg) from err
    if _is_wgs84_like(crs):
        return "wgs84"
    return crs


# ---------------------------------------------------------------------------------------------
# Geometries, GeoSeries and GeoDataFrames
# ---------------------------------------------------------------------------------------------

_LonLatFunction = Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]

_TO_WGS84: dict[str, _LonLatFunction] = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84: dict[str, _LonLatFunction] = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


@functools.lru_cache(maxsize=32)
def _transformer(source: pyproj.CRS | str, target: pyproj.CRS | str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(source, target, always_xy=True)


def _transform_geometries(geometries: Any, function: _LonLatFunction) -> Any:
    """Apply ``function(x, y) -> (x, y)`` to every vertex at once; Z values pass through."""

    def apply(coords: np.ndarray) -> np.ndarray:
        out = coords.copy()
        x, y = function(coords[:, 0], coords[:, 1])
        out[:, 0] = x
        out[:, 1] = y
        return out

    return shapely.transform(geometries, apply, include_z=None)


def _pyproj_function(source: pyproj.CRS | str, target: pyproj.CRS | str) -> _LonLatFunction:
    return _transformer(source, target).transform


def _crs_text(crs: pyproj.CRS | None) -> str:
    if crs is None:
        return "none"
    authority = crs.to_authority()
    return ":".join(authority) if authority else crs.name


def _check_kind(obj: Any, function: str) -> None:
    if not isinstance(obj, (shapely.Geometry, gpd.GeoSeries, gpd.GeoDataFrame)):
        msg = (
            f"{function} expects a shapely geometry, a GeoSeries or a GeoDataFrame, "
            f"got {type(obj).__name__}"
        )
        raise CRSError(msg)


def _with_geometries(
    frame: gpd.GeoSeries | gpd.GeoDataFrame, geometries: np.ndarray, crs: str
) -> gpd.GeoSeries | gpd.GeoDataFrame:
    """A copy of ``frame`` with its (active) geometries replaced and labelled ``crs``."""
    series = gpd.GeoSeries(geometries, index=frame.index, crs=crs)
    if isinstance(frame, gpd.GeoSeries):
        series.name = frame.name
        return series
    out = frame.copy()
    out[frame.geometry.name] = series
    return out.set_crs(crs, allow_override=True)


def to_wgs84(obj: GeoObject, source_crs: CRSLike | None = None) -> GeoObject:
    """Convert a geometry, GeoSeries or GeoDataFrame to WGS-84 longitude/latitude.

    Parameters
    ----------
    obj : shapely.Geometry, geopandas.GeoSeries or geopandas.GeoDataFrame
        Data in ``source_crs``; any geometry type, including collections and empty ones.
        Only the active geometry column of a GeoDataFrame is converted.
    source_crs : str, int or pyproj.CRS, optional
        CRS of ``obj``, as accepted by :func:`parse_crs`: ``"gcj02"``, ``"bd09"``, ``"wgs84"``,
        ``"cgcs2000"`` or a pyproj CRS such as ``"EPSG:4551"``. CGCS2000 (EPSG:4490) is taken
        as WGS-84 unchanged: the two differ by a few centimetres, far below the accuracy of
        planning data. Defaults to ``obj.crs`` for a GeoSeries or GeoDataFrame. A GCJ-02 or
        BD-09 frame may be labelled EPSG:4326 (lon/lat), as such files usually are.

    Returns
    -------
    same type as ``obj``
        A new object in WGS-84; a GeoSeries or GeoDataFrame is labelled EPSG:4326. Vertex
        counts are unchanged.

    Raises
    ------
    CRSError
        If the CRS is unknown or missing, or contradicts the CRS ``obj`` is labelled with.
    """
    _check_kind(obj, "to_wgs84")
    frame_crs = getattr(obj, "crs", None)
    if source_crs is None:
        if frame_crs is None:
            msg = (
                "to_wgs84: no source CRS: pass source_crs (e.g. 'gcj02' or 'EPSG:4551') "
                "or set it on the data with gdf.set_crs(...)"
            )
            raise CRSError(msg)
        source_crs = frame_crs
    source = parse_crs(source_crs)
    logger.debug("to_wgs84 from %s", source)

    if isinstance(source, pyproj.CRS):
        if isinstance(obj, shapely.Geometry):
            return _transform_geometries(obj, _pyproj_function(source, _WGS84))
        if frame_crs is not None and not frame_crs.equals(source):
            _raise_conflict(frame_crs, source_crs)
        return obj.set_crs(source, allow_override=True).to_crs(_WGS84)

    if frame_crs is not None and not _is_wgs84_like(frame_crs):
        _raise_conflict(frame_crs, source_crs)
    if source == "wgs84":
        if isinstance(obj, shapely.Geometry):
            return obj
        return obj.set_crs(_WGS84, allow_override=True)
    function = _TO_WGS84[source]
    if isinstance(obj, shapely.Geometry):
        return _transform_geometries(obj, function)
    return _with_geometries(obj, _transform_geometries(obj.geometry.to_numpy(), function), _WGS84)


def _raise_conflict(frame_crs: pyproj.CRS, source_crs: CRSLike) -> None:
    msg = (
        f"the data are labelled {_crs_text(frame_crs)} but source_crs is {source_crs!r}; "
        "if the label is wrong, fix it with gdf.set_crs(..., allow_override=True), otherwise "
        "drop source_crs"
    )
    raise CRSError(msg)


def from_wgs84(obj: GeoObject, target_crs: CRSLike) -> GeoObject:
    """Convert WGS-84 data to another CRS, e.g. GCJ-02 to draw on an Amap (Gaode) basemap.

    Parameters
    ----------
    obj : shapely.Geometry, geopandas.GeoSeries or geopandas.GeoDataFrame
        Data in WGS-84. A frame without a CRS is taken as WGS-84; a frame labelled with
        another CRS is first converted from that CRS.
    target_crs : str, int or pyproj.CRS
        As accepted by :func:`parse_crs`.

    Returns
    -------
    same type as ``obj``
        A new object in ``target_crs``. PROJ knows no GCJ-02 or BD-09, so a frame shifted into
        them keeps the label EPSG:4326: that is what web maps expect of overlays drawn on such
        basemaps. Use the result for drawing only, never store it as data.

    Raises
    ------
    CRSError
        If ``target_crs`` is unknown.
    """
    _check_kind(obj, "from_wgs84")
    target = parse_crs(target_crs)
    logger.debug("from_wgs84 to %s", target)
    if isinstance(obj, shapely.Geometry):
        if isinstance(target, pyproj.CRS):
            return _transform_geometries(obj, _pyproj_function(_WGS84, target))
        if target == "wgs84":
            return obj
        return _transform_geometries(obj, _FROM_WGS84[target])

    frame = obj.set_crs(_WGS84) if obj.crs is None else obj
    if isinstance(target, pyproj.CRS):
        return frame.to_crs(target)
    frame = frame.to_crs(_WGS84)
    if target == "wgs84":
        return frame
    geometries = _transform_geometries(frame.geometry.to_numpy(), _FROM_WGS84[target])
    return _with_geometries(frame, geometries, _WGS84)


def to_metric(obj: GeoObject) -> GeoObject:
    """Project data to the metric CRS ``settings.metric_crs`` (EPSG:4551 by default).

    Parameters
    ----------
    obj : shapely.Geometry, geopandas.GeoSeries or geopandas.GeoDataFrame
        A geometry in ``settings.default_crs`` (WGS-84), or a frame with its CRS set.

    Returns
    -------
    same type as ``obj``
        A new object with coordinates in metres.

    Raises
    ------
    CRSError
        If a GeoSeries or GeoDataFrame has no CRS.
    """
    _check_kind(obj, "to_metric")
    if isinstance(obj, shapely.Geometry):
        return _transform_geometries(
            obj, _pyproj_function(settings.default_crs, settings.metric_crs)
        )
    if obj.crs is None:
        msg = (
            "to_metric: the data have no CRS; set it first, e.g. gdf.set_crs('EPSG:4326'), "
            "or convert with to_wgs84(gdf, 'gcj02')"
        )
        raise CRSError(msg)
    return obj.to_crs(settings.metric_crs)


def area_km2(obj: shapely.Geometry | gpd.GeoSeries | gpd.GeoDataFrame) -> float | pd.Series:
    """Area in square kilometres, measured in ``settings.metric_crs``.

    Parameters
    ----------
    obj : shapely.Geometry, geopandas.GeoSeries or geopandas.GeoDataFrame
        A WGS-84 geometry, or a frame with its CRS set.

    Returns
    -------
    float or pandas.Series
        The area (km²) of a geometry, or a Series named ``area_km2`` aligned with the rows.
    """
    metric = to_metric(obj)
    if isinstance(metric, shapely.Geometry):
        return float(metric.area) / 1e6
    return pd.Series(metric.area.to_numpy() / 1e6, index=obj.index, name="area_km2")


def length_m(obj: shapely.Geometry | gpd.GeoSeries | gpd.GeoDataFrame) -> float | pd.Series:
    """Length in metres (perimeter for polygons), measured in ``settings.metric_crs``.

    Parameters
    ----------
    obj : shapely.Geometry, geopandas.GeoSeries or geopandas.GeoDataFrame
        A WGS-84 geometry, or a frame with its CRS set.

    Returns
    -------
    float or pandas.Series
        The length (m) of a geometry, or a Series named ``length_m`` aligned with the rows.
    """
    metric = to_metric(obj)
    if isinstance(metric, shapely.Geometry):
        return float(metric.length)
    return pd.Series(metric.length.to_numpy(), index=obj.index, name="length_m")


# ---------------------------------------------------------------------------------------------
# Sanity checks
# ---------------------------------------------------------------------------------------------


def _distance_km(lon: ArrayLike, lat: ArrayLike, lon0: float, lat0: float) -> np.ndarray:
    """Great-circle (haversine) distance in km from ``(lon0, lat0)``."""
    phi1, phi2 = np.radians(lat), math.radians(lat0)
    dphi = phi2 - phi1
    dlmb = math.radians(lon0) - np.radians(lon)
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * math.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _in_bbox(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lon_min, lat_min, lon_max, lat_max = settings.harbin_bbox
    return (lon >= lon_min) & (lon <= lon_max) & (lat >= lat_min) & (lat <= lat_max)


def check_lonlat(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    name: str = "input",
    max_distance_km: float = 300,
) -> None:
    """Check that longitude/latitude look like points in and around Harbin.

    NaN values are ignored. Catches the three usual mistakes, in this order: columns swapped
    (lat, lon), values out of range (metres given as degrees), and data far from Harbin
    (a wrong or missing CRS).

    Parameters
    ----------
    lon, lat : float or array_like
        Longitudes and latitudes in degrees, of the same shape.
    name : str
        What the data are, for the messages (a layer or file name).
    max_distance_km : float
        Largest accepted distance (km) from the median point to the Harbin centre.

    Raises
    ------
    CRSError
        Naming the problem, an example value and the fix.
    """
    if not (
        isinstance(max_distance_km, numbers.Real)
        and not isinstance(max_distance_km, bool)
        and max_distance_km > 0
    ):
        msg = f"max_distance_km must be a positive number of kilometres, got {max_distance_km!r}"
        raise CRSError(msg)
    lon_arr, lat_arr, _ = _as_lonlat_arrays(lon, lat, check_range=False)
    lon_arr, lat_arr = lon_arr.ravel(), lat_arr.ravel()
    keep = ~(np.isnan(lon_arr) | np.isnan(lat_arr))
    lon_arr, lat_arr = lon_arr[keep], lat_arr[keep]
    if lon_arr.size == 0:
        logger.debug("%s: no coordinates to check", name)
        return

    swapped = _in_bbox(lat_arr, lon_arr)
    if swapped.mean() > 0.5 and not _in_bbox(lon_arr, lat_arr).any():
        example = float(np.median(lat_arr))
        msg = (
            f"{name}: coordinates look swapped (lat, lon) — latitude {example:.1f} is "
            "impossible, and the points fall in Harbin with the columns exchanged; swap the "
            "columns or pass lon first"
        )
        raise CRSError(msg)

    bad = ~((np.abs(lon_arr) <= 180.0) & (np.abs(lat_arr) <= 90.0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (
            f"{name}: {int(bad.sum())} of {lon_arr.size} points are out of range "
            f"(longitude must lie within ±180°, latitude within ±90°), e.g. lon "
            f"{lon_arr[i]:.6g}, lat {lat_arr[i]:.6g}; these look like projected coordinates "
            "(metres): name their CRS, e.g. EPSG:4551, so they are converted"
        )
        raise CRSError(msg)

    centre_lon, centre_lat = HARBIN_CENTRE
    med_lon, med_lat = float(np.median(lon_arr)), float(np.median(lat_arr))
    distance = float(_distance_km(med_lon, med_lat, centre_lon, centre_lat))
    if distance > max_distance_km:
        msg = (
            f"{name}: the data lie far from Harbin: their median point (lon {med_lon:.4f}, "
            f"lat {med_lat:.4f}) is {distance:.0f} km from the Harbin centre (lon "
            f"{centre_lon}, lat {centre_lat}), more than {max_distance_km:g} km; check the CRS: "
            "a projected CRS such as EPSG:4551 must be named, and lon/lat must be WGS-84, "
            "GCJ-02 or BD-09"
        )
        raise CRSError(msg)
    far = _distance_km(lon_arr, lat_arr, centre_lon, centre_lat) > max_distance_km
    if far.any():
        logger.warning(
            "%s: %d of %d points lie more than %g km from Harbin",
            name,
            int(far.sum()),
            lon_arr.size,
            max_distance_km,
        )


def check_geodataframe(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    name: str = "layer",
    max_distance_km: float = 300,
) -> None:
    """Check a WGS-84 layer: CRS set, and every vertex passes :func:`check_lonlat`.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        The layer, labelled WGS-84 (or CGCS2000).
    name : str
        Layer or file name, for the messages.
    max_distance_km : float
        Largest accepted distance (km) from the median vertex to the Harbin centre.

    Raises
    ------
    CRSError
        If ``gdf`` is not a GeoDataFrame or GeoSeries, the CRS is missing or not WGS-84, or the
        coordinates fail :func:`check_lonlat`.
    """
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"{name}: check_geodataframe expects a GeoDataFrame or GeoSeries, got {type(gdf).__name__}"
        raise CRSError(msg)
    if gdf.crs is None:
        msg = (
            f"{name}: no CRS set; say which CRS the coordinates are in, e.g. `--crs gcj02` "
            "on the command line, or gdf.set_crs('EPSG:4326') in Python"
        )
        raise CRSError(msg)
    if not _is_wgs84_like(gdf.crs):
        msg = (
            f"{name}: expected WGS-84 longitude/latitude, got {_crs_text(gdf.crs)}; convert "
            "first with to_wgs84(gdf, gdf.crs)"
        )
        raise CRSError(msg)
    coords = shapely.get_coordinates(gdf.geometry.to_numpy())
    check_lonlat(coords[:, 0], coords[:, 1], name=name, max_distance_km=max_distance_km)


def _point_lonlat(points: Any, label: str) -> np.ndarray:
    if isinstance(points, (gpd.GeoSeries, gpd.GeoDataFrame)):
        geometries = points.geometry.to_numpy()
        if not (shapely.get_type_id(geometries) == shapely.GeometryType.POINT).all():
            msg = f"detect_gcj02_offset: {label} must hold Point geometries only"
            raise CRSError(msg)
        return shapely.get_coordinates(geometries)
    try:
        coords = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        coords = np.empty(0)
    if coords.ndim != 2 or coords.shape[1] != 2:
        msg = (
            f"detect_gcj02_offset: {label} must be an (N, 2) array of lon, lat; got {coords.shape}"
        )
        raise CRSError(msg)
    return coords


def detect_gcj02_offset(
    points: Any,
    reference: Any,
    *,
    tolerance_m: float = 100.0,
) -> bool:
    """Whether points labelled WGS-84 carry the GCJ-02 offset, judged against known points.

    Compares the median displacement of ``points`` from ``reference`` (the same places, matched
    by position, known in WGS-84) with the GCJ-02 offset there (about 520 m in Harbin).

    Parameters
    ----------
    points : GeoSeries, GeoDataFrame of points, or array_like of shape (N, 2)
        The suspect longitude/latitude.
    reference : same kinds as ``points``
        The same places in true WGS-84, in the same order.
    tolerance_m : float
        How close (m) the median displacement must be to the GCJ-02 offset.

    Returns
    -------
    bool
        True when the points look like GCJ-02 labelled as WGS-84.

    Raises
    ------
    CRSError
        If the two sets differ in size or are not lon/lat points, or ``tolerance_m`` is not a
        number of metres >= 0.
    """
    ok = isinstance(tolerance_m, numbers.Real) and not isinstance(tolerance_m, bool)
    if not (ok and math.isfinite(tolerance_m) and tolerance_m >= 0):
        msg = (
            f"detect_gcj02_offset: tolerance_m must be a number of metres >= 0, got {tolerance_m!r}"
        )
        raise CRSError(msg)
    pts = _point_lonlat(points, "points")
    ref = _point_lonlat(reference, "reference")
    if pts.shape != ref.shape or len(pts) == 0:
        msg = (
            f"detect_gcj02_offset: points and reference must be non-empty and of the same "
            f"size; got {len(pts)} and {len(ref)}"
        )
        raise CRSError(msg)
    gcj_lon, gcj_lat = wgs84_to_gcj02(ref[:, 0], ref[:, 1])
    metres_per_deg = math.pi / 180.0 * _EARTH_RADIUS_KM * 1000.0
    scale = np.cos(np.radians(ref[:, 1]))
    seen = np.column_stack(((pts[:, 0] - ref[:, 0]) * scale, pts[:, 1] - ref[:, 1]))
    expected = np.column_stack(((gcj_lon - ref[:, 0]) * scale, gcj_lat - ref[:, 1]))
    miss = float(np.nanmedian(np.hypot(*(seen - expected).T))) * metres_per_deg
    shift = float(np.nanmedian(np.hypot(*seen.T))) * metres_per_deg
    logger.debug("GCJ-02 offset check: shift %.1f m, miss %.1f m", shift, miss)
    return miss <= tolerance_m and miss < shift
