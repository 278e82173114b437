"""Checks of an input file before it is read: it exists, is a regular file, and is not huge.

A pipe, a device (``/dev/zero``), a socket or a folder given where a file is expected would
block or run until memory is gone; a file far larger than any real input of its kind is
refused before it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sanqu_geo.errors import DataSourceError

__all__ = ["MB", "check_input_file"]

MB = 2**20

#: Default upper bound of an input file, bytes (any kind without its own limit).
default_max_bytes: int = 512 * MB


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"


def check_input_file(
    path: str | os.PathLike[str],
    *,
    what: str = "input",
    max_bytes: int | None = None,
    hint: str = "",
) -> Path:
    """Check that ``path`` is an existing regular file of at most ``max_bytes``; return it.

    Symbolic links are followed (a link to a regular file is fine; a link to ``/dev/zero``
    is not).

    Parameters
    ----------
    path : path-like
        The file to read.
    what : str
        What the file is, for the message (``"status workbook"``, ``"OD table"``).
    max_bytes : int, optional
        Upper bound of its size (default :data:`default_max_bytes`).
    hint : str
        What to do instead, added to the message of a missing file.

    Returns
    -------
    pathlib.Path
        ``path`` as a path.

    Raises
    ------
    DataSourceError
        When the file is missing, is not a regular file, or is larger than the limit.
    """
    p = Path(path)
    limit = default_max_bytes if max_bytes is None else max_bytes
    try:
        st = p.stat()
    except FileNotFoundError:
        extra = f"; {hint}" if hint else "; check the path"
        raise DataSourceError(f"{path}: {what} not found{extra}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataSourceError(f"{path}: cannot read the {what} ({reason})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise DataSourceError(f"{path}: is a folder, not a file; give the path of the {what}")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a pipe"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise DataSourceError(
            f"{path}: is {kind}, not a regular file; save the {what} to a file on disk and give its path"
        )
    if st.st_size > limit:
        raise DataSourceError(
            f"{path}: {_size(st.st_size)} is more than the {_size(limit)} limit for the {what}; "
            "check that this is the right file"
        )
    return p
