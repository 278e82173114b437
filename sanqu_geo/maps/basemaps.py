"""Basemaps for the web map: OpenStreetMap, Gaode (GCJ-02), Tianditu, a local tile folder, none.

Says in which coordinate system each basemap's tiles are drawn, so overlays can be shifted to
match. Never draws overlays itself.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from sanqu_geo.errors import SettingsError

__all__ = ["BASEMAPS", "Basemap", "get_basemap"]

#: Environment variable holding the Tianditu (天地图) key.
TIANDITU_KEY_ENV = "TIANDITU_KEY"


@dataclasses.dataclass(frozen=True)
class Basemap:
    """A tile basemap.

    Attributes
    ----------
    name : str
        Identifier.
    title : str
        Shown in the layer control.
    tiles : tuple of str
        Tile URL templates (a second one is an annotation layer drawn over the first).
    attribution : str
        Credit shown on the map.
    crs : str
        ``wgs84`` or ``gcj02``: overlays are shifted to match a ``gcj02`` basemap.
    subdomains : str
        Leaflet subdomains for ``{s}``.
    max_zoom : int
        Largest zoom level.
    """

    name: str
    title: str
    tiles: tuple[str, ...]
    attribution: str
    crs: str = "wgs84"
    subdomains: str = "abc"
    max_zoom: int = 18


OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

BASEMAPS: dict[str, Basemap | None] = {
    "osm": Basemap(
        "osm",
        "OpenStreetMap",
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        OSM_ATTRIBUTION,
        subdomains="abc",
        max_zoom=19,
    ),
    "gaode": Basemap(
        "gaode",
        "高德地图 Gaode",
        (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        ),
        "&copy; 高德地图 AutoNavi",
        crs="gcj02",
        subdomains="1234",
    ),
    "gaode_satellite": Basemap(
        "gaode_satellite",
        "高德卫星 Gaode satellite",
        (
            "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",
            "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}",
        ),
        "&copy; 高德地图 AutoNavi",
        crs="gcj02",
        subdomains="1234",
    ),
    "tianditu": Basemap(
        "tianditu",
        "天地图 Tianditu",
        (
            "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
            "https://t{s}.tianditu.gov.cn/cva_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=cva"
            "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
        ),
        "&copy; 天地图 Tianditu",
        crs="wgs84",
        subdomains="01234567",
    ),
    "none": None,
}


def get_basemap(
    name: str, *, tiles_folder: str | None = None, tiles_ext: str = "png"
) -> Basemap | None:
    """Return a basemap by name, with its key filled in where one is needed.

    Parameters
    ----------
    name : str
        ``osm``, ``gaode``, ``gaode_satellite``, ``tianditu``, ``none`` or ``local``.
    tiles_folder : str, optional
        For ``local``: the tile folder's URL as the page will see it (relative to the page),
        holding ``{z}/{x}/{y}.png`` tiles in WGS-84 web mercator.

    Returns
    -------
    Basemap or None
        None for ``none``.

    Raises
    ------
    SettingsError
        For an unknown name, a missing Tianditu key or a ``local`` basemap without a folder.
    """
    if name == "local":
        if not tiles_folder:
            msg = "basemap 'local' needs a tile folder (--tiles DIR with {z}/{x}/{y}.png)"
            raise SettingsError(msg)
        return Basemap(
            "local",
            "本地瓦片 Local tiles",
            (tiles_folder.rstrip("/") + "/{z}/{x}/{y}." + tiles_ext,),
            "",
            subdomains="",
        )
    if name not in BASEMAPS:
        msg = f"unknown basemap {name!r}: use one of {', '.join([*BASEMAPS, 'local'])}"
        raise SettingsError(msg)
    base = BASEMAPS[name]
    if base is not None and name == "tianditu":
        key = os.environ.get(TIANDITU_KEY_ENV, "").strip()
        if not key:
            msg = (
                f"the Tianditu basemap needs a key: set the environment variable {TIANDITU_KEY_ENV} "
                "(apply for one at the Tianditu developer site), or choose --basemap osm|gaode|none"
            )
            raise SettingsError(msg)
        base = dataclasses.replace(base, tiles=tuple(t.replace("{key}", key) for t in base.tiles))
    return base


def relative_url(folder: str | os.PathLike[str], page_dir: str | os.PathLike[str]) -> str:
    """URL of a local folder relative to the page, so no absolute path ends up in the page."""
    return Path(os.path.relpath(Path(folder).resolve(), Path(page_dir).resolve())).as_posix()


def unpack_mbtiles(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> str:
    """Write the tiles of an MBTiles file as a ``{z}/{x}/{y}.<ext>`` folder a page can use.

    MBTiles (an SQLite file, the usual container of offline tiles) keeps rows in TMS order
    (y counted from the south); the folder uses the XYZ order web maps ask for. The folder is
    replaced whole, only when every tile is written.

    Parameters
    ----------
    path : path-like
        The ``.mbtiles`` file (raster tiles, PNG or JPEG).
    folder : path-like
        The tile folder to write.

    Returns
    -------
    str
        The tiles' file extension (``png`` or ``jpg``).

    Raises
    ------
    DataSourceError
        When the file is missing, not an MBTiles file, or holds vector tiles.
    """
    import sqlite3

    from sanqu_geo._atomic import atomic_folder
    from sanqu_geo.errors import DataSourceError

    source = Path(path)
    if not source.is_file():
        msg = f"tiles file {str(source)!r} not found: pass an .mbtiles file or a tile folder"
        raise DataSourceError(msg)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as db:
            meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            fmt = str(meta.get("format", "png")).casefold()
            if fmt in ("pbf", "mvt"):
                msg = (
                    f"{source.name} holds vector tiles ({fmt}): the offline page needs raster "
                    "tiles (PNG or JPEG); render them first, e.g. with a tile server"
                )
                raise DataSourceError(msg)
            ext = "jpg" if fmt in ("jpg", "jpeg") else "png"
            rows = db.execute(
                "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        msg = f"{source.name} is not an MBTiles file ({exc}); pass an .mbtiles file or a folder"
        raise DataSourceError(msg) from exc
    with atomic_folder(folder) as tmp:
        for z, x, tms_y, data in rows:
            y = (1 << int(z)) - 1 - int(tms_y)
            tile = tmp / str(z) / str(x) / f"{y}.{ext}"
            tile.parent.mkdir(parents=True, exist_ok=True)
            tile.write_bytes(data)
    return ext
