"""Atomic writes: every output goes to a temporary name beside its target, then is renamed.

A failed run therefore never leaves half a file and never replaces a good one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sanqu_geo.errors import DataSourceError


def _unwritable(target: Path, exc: OSError) -> DataSourceError:
    reason = exc.strerror or str(exc)
    return DataSourceError(f"{target}: cannot write there ({reason}); choose another output path")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    Parameters
    ----------
    target : path-like
        The final file.
    suffix : str, optional
        Suffix of the temporary file (defaults to the target's, so format drivers that look
        at the extension still work).

    Yields
    ------
    pathlib.Path
        The temporary path to write to. It does not exist yet.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.",
            suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` whole.

    Parameters
    ----------
    target : path-like
        The final folder. An existing folder is replaced only after the new one is complete.

    Yields
    ------
    pathlib.Path
        An empty temporary folder to fill.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    # mkdtemp makes the folder private (0700); the finished folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        yield tmp
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            old.rmdir()
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text(target: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically.

    Parameters
    ----------
    target : path-like
        The file to write.
    text : str
        Its content.
    encoding : str
        Text encoding.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(target)
