"""Atomic writes: every output goes to a temporary name beside its target, then is renamed.

A failed run therefore never leaves half a file and never replaces a good one. Output folders
are never swapped whole: the toolkit's files move into them one by one, what else a folder
holds is left alone, and a folder that holds other files is only written into with ``force``.
Temporary files carry the writing process's id, so the leftovers of a killed run are removed
by the next run that writes beside them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sanqu_geo.errors import DataSourceError, SanquGeoError

__all__ = ["MANIFEST", "atomic_folder", "atomic_path", "check_output_folder", "write_text"]

#: The file in an output folder that lists what the toolkit wrote there.
MANIFEST = ".sanqu-geo-files"

# Errors of the place written to (not of the program): a clear line, exit code 2.
_PLACE_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ENAMETOOLONG,
}


def _unwritable(target: Path, exc: OSError) -> DataSourceError:
    reason = exc.strerror or str(exc)
    if exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}:
        fix = "free some space or choose another output path; nothing was replaced"
    else:
        fix = "choose another output path"
    return DataSourceError(f"{target}: cannot write there ({reason}); {fix}")


def _tmp_prefix(name: str) -> str:
    return f".{name}.tmp{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, name: str) -> None:
    """Remove temporaries of ``name`` left in ``parent`` by runs that are no longer alive."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.tmp(\d+)\.")
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


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

    Raises
    ------
    DataSourceError
        When the place cannot be written (no space, read-only, a folder in the way).
    """
    target = Path(target)
    if target.is_dir():
        raise DataSourceError(f"{target}: is a folder; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target.parent, target.stem)
        fd, tmp_name = tempfile.mkstemp(
            prefix=_tmp_prefix(target.stem),
            suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except OSError as exc:
        raise _unwritable(target, exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        try:
            yield tmp
            os.replace(tmp, target)
        except OSError as exc:
            if isinstance(exc, SanquGeoError) or exc.errno not in _PLACE_ERRNOS:
                raise
            raise _unwritable(target, exc) from exc
        except Exception as exc:
            # GDAL reports a full disk or a failed write as its own errors, through pyogrio.
            if not type(exc).__module__.startswith("pyogrio"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            msg = (
                f"{target}: cannot write there ({first[:160]}); free some space or choose "
                "another output path; nothing was replaced"
            )
            raise DataSourceError(msg) from exc
    finally:
        for leftover in (tmp, *tmp.parent.glob(tmp.name + "-*")):  # SQLite journals
            with contextlib.suppress(OSError):
                leftover.unlink()


def check_output_folder(target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check that ``target`` may take the toolkit's files; return it as an absolute path.

    A new folder, an empty one and one the toolkit wrote before (it holds :data:`MANIFEST`)
    are fine. A folder that holds other files is refused unless ``force``; even then nothing
    but the toolkit's own files is ever replaced. An existing file is always refused.

    Parameters
    ----------
    target : path-like
        The output folder.
    force : bool
        Write into a folder that holds other files (they are kept).

    Returns
    -------
    pathlib.Path
        The absolute folder path.

    Raises
    ------
    DataSourceError
        When the folder may not be written.
    """
    path = Path(os.path.abspath(Path(target).expanduser()))
    if path.exists() and not path.is_dir():
        raise DataSourceError(f"{target}: is a file, not a folder; give a new or empty folder")
    if path.is_dir() and not force and not (path / MANIFEST).is_file():
        try:
            others = [p.name for p in path.iterdir()]
        except OSError as exc:
            raise _unwritable(path, exc) from exc
        if others:
            raise DataSourceError(
                f"{target}: the folder holds files sanqu-geo did not write "
                f"({', '.join(sorted(others)[:3])}{', …' if len(others) > 3 else ''}); "
                "give a new or empty folder, or add --force to write beside them "
                "(nothing else is deleted)"
            )
    return path


def _files(folder: Path) -> list[str]:
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST
    )


def _read_manifest(folder: Path) -> list[str]:
    try:
        text = (folder / MANIFEST).read_text(encoding="utf-8")
    except OSError:
        return []
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; when it is complete, move its files into ``target``.

    A new ``target`` appears whole in one rename. Into an existing folder the new files move
    one by one (each rename is atomic); files the toolkit wrote there before and did not write
    again are removed; nothing else in the folder is touched.

    Parameters
    ----------
    target : path-like
        The final folder (see :func:`check_output_folder`).
    force : bool
        Write into a folder that holds files the toolkit did not write (they are kept).

    Yields
    ------
    pathlib.Path
        An empty temporary folder to fill.

    Raises
    ------
    DataSourceError
        When the folder may not be written, or the disk fills up.
    """
    shown = target
    target = check_output_folder(target, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target.parent, target.name)
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target.name), dir=target.parent))
    except OSError as exc:
        raise _unwritable(Path(shown), exc) from exc
    # mkdtemp makes the folder private (0700); the finished folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        try:
            yield tmp
            new = _files(tmp)
            (tmp / MANIFEST).write_text(
                "# files written by sanqu-geo; only these are replaced or removed\n"
                + "".join(f"{n}\n" for n in new),
                encoding="utf-8",
            )
            if not target.exists():
                os.replace(tmp, target)
                return
            check_output_folder(target, force=force)  # nothing appeared meanwhile
            old = _read_manifest(target)
            for name in new:
                dest = target / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / name, dest)
            for name in set(old) - set(new):
                stale = target / name
                if ".." not in Path(name).parts and stale.is_file():
                    stale.unlink()
            os.replace(tmp / MANIFEST, target / MANIFEST)
        except OSError as exc:
            if isinstance(exc, SanquGeoError) or exc.errno not in _PLACE_ERRNOS:
                raise
            raise _unwritable(Path(shown), exc) from exc
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
