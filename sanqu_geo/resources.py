"""Where the embedded data and map recipes live, in a checkout and in an installed wheel.

A wheel carries ``data/`` as ``sanqu_geo/_data`` and ``maps/`` as ``sanqu_geo/_recipes``; a
checkout (or an editable install) keeps them at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

from sanqu_geo.errors import DataSourceError

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    msg = (
        "the embedded data of sanqu-geo were not found (looked in "
        + ", ".join(str(c) for c in candidates)
        + "); reinstall the package with `pip install sanqu-geo` or run from a full checkout"
    )
    raise DataSourceError(msg)


def data_folder() -> Path:
    """Return the folder of the embedded data (``boundaries/``, ``roads/``, ``projects/``).

    Returns
    -------
    pathlib.Path
        An existing folder.

    Raises
    ------
    DataSourceError
        If neither the installed copy nor the checkout copy exists.
    """
    return _first_existing(_PACKAGE / "_data", _PACKAGE.parent / "data")


def recipes_folder() -> Path:
    """Return the folder of the map recipes (``*.toml``).

    Returns
    -------
    pathlib.Path
        An existing folder.
    """
    return _first_existing(_PACKAGE / "_recipes", _PACKAGE.parent / "maps")


def data_file(relative: str) -> Path:
    """Return the path of one embedded data file, e.g. ``"boundaries/zones.geojson"``.

    Parameters
    ----------
    relative : str
        Path below the data folder, with forward slashes.

    Returns
    -------
    pathlib.Path
        The file's path.

    Raises
    ------
    DataSourceError
        If the file is missing.
    """
    path = data_folder() / relative
    if not path.is_file():
        msg = (
            f"embedded data file {relative!r} is missing from {data_folder()}; reinstall sanqu-geo"
        )
        raise DataSourceError(msg)
    return path
