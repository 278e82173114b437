"""Reading the project's TOML files (scenarios, profiles, map recipes) with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo.errors import SanquGeoError

#: Largest TOML file read (bytes): scenarios, profiles and parameters are kilobytes.
max_toml_bytes: int = 16 * MB


def read_toml(path: Path, *, what: str, error: type[SanquGeoError]) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into one line that names the file.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    what : str
        What the file is, for the message ("scenario file", "profiles file", …).
    error : type
        Exception raised on syntax or encoding errors.

    Returns
    -------
    dict
        The parsed document.
    """
    check_input_file(path, what=what, max_bytes=max_toml_bytes)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: not valid TOML ({exc})"
        raise error(msg) from exc
    except UnicodeDecodeError as exc:
        msg = f"{path}: not a UTF-8 text file"
        raise error(msg) from exc


def check_keys(table: Any, allowed: set[str], where: str, *, error: type[SanquGeoError]) -> None:
    """Reject a table that is not a table or has fields outside ``allowed``."""
    if not isinstance(table, dict):
        msg = f"{where}: must be a table"
        raise error(msg)
    unknown = sorted(set(table) - allowed)
    if unknown:
        msg = (
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
        raise error(msg)
