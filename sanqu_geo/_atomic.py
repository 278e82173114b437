"""Atomic writes: every output goes to a temporary name beside its target, then is renamed.

A failed run therefore never leaves half a file and never replaces a good one. Output folders
are never swapped whole: the toolkit's files move into them one by one, what else a folder
holds is left alone, and a folder that holds other files is only written into with ``force``.
Temporary files carry the writing process's id, so the leftovers of a killed run are removed
by the next run that writes beside them.

The manifest
    Each output folder lists the files the toolkit wrote there in :data:`MANIFEST`. The list
    is never trusted: a line is used only when it is a plain name inside the folder (no
    absolute path, no ``..``, ``.`` or empty part, no NUL byte, valid UTF-8), no symbolic
    link or file lies on the way from the folder to it, and it is a regular file. Other lines
    are ignored with a warning: nothing they name is ever deleted or replaced. A manifest that
    is not a regular file (a symbolic link, a folder, a pipe) or is larger than
    :data:`MANIFEST_MAX_BYTES` is refused with a :class:`~sanqu_geo.errors.DataSourceError`.

The user's files
    A file in the folder that the manifest does not list is the user's. A run that would
    replace one is refused unless ``force``; with ``force`` the replaced names are reported
    (see :func:`replaced_files`), and logged as a warning when nobody collects them.

Interrupted runs
    Before the files move into an existing folder, :data:`INCOMPLETE` is written there, naming
    the run and every file it may touch; it is removed once the new manifest is in place. A
    kill between the moves therefore leaves the folder as it was, complete, or marked. The
    next run into the folder says so, takes the marked files as the toolkit's, and clears the
    marker when it completes; :func:`interrupted` tells a reader of the folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import logging
import os
import re
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from sanqu_geo.errors import DataSourceError, SanquGeoError

__all__ = [
    "INCOMPLETE",
    "MANIFEST",
    "MANIFEST_MAX_BYTES",
    "NAME_MAX",
    "atomic_folder",
    "atomic_path",
    "check_output_folder",
    "interrupted",
    "own_files",
    "replaced_files",
    "write_text",
]

logger = logging.getLogger(__name__)

#: The file in an output folder that lists what the toolkit wrote there.
MANIFEST = ".sanqu-geo-files"

#: The marker of a run interrupted while its files moved into an existing folder.
INCOMPLETE = ".sanqu-geo-incomplete"

#: Upper bound of a manifest or marker, bytes (a folder of 100,000 map tiles lists about 3 MB).
MANIFEST_MAX_BYTES = 16 * 2**20

#: Longest file or folder name, bytes (ext4, XFS, Btrfs, APFS; NTFS counts 255 characters).
NAME_MAX = 255

# Bytes of a target's name that go into its temporary names (which add about 30 bytes).
_TMP_NAME_BYTES = 120

_RESERVED = {MANIFEST, INCOMPLETE}

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
    errno.ELOOP,
}

# The lists of replaced user's files being collected (see replaced_files).
_collectors: list[list[Path]] = []

# The manifests and markers whose ignored lines were reported (path, inode, mtime, size).
_warned: set[tuple[str, int, int, int]] = set()


def _unwritable(target: Path, exc: OSError) -> DataSourceError:
    reason = exc.strerror or str(exc)
    if exc.errno in {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}:
        fix = "free some space or choose another output path; nothing was replaced"
    else:
        fix = "choose another output path"
    return DataSourceError(f"{target}: cannot write there ({reason}); {fix}")


def _short(name: str) -> str:
    """``name`` cut to :data:`_TMP_NAME_BYTES` bytes of UTF-8 (whole characters)."""
    return os.fsencode(name)[:_TMP_NAME_BYTES].decode("utf-8", errors="ignore") or "_"


def _tmp_prefix(name: str) -> str:
    return f".{_short(name)}.tmp{os.getpid()}."


def _check_name_lengths(path: Path, shown: object) -> None:
    """Refuse a path with a part longer than :data:`NAME_MAX` bytes (``ENAMETOOLONG``)."""
    for part in path.parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            msg = (
                f"{shown}: a name in this path is {size} bytes long, more than the {NAME_MAX} "
                "a file system takes; choose a shorter name"
            )
            raise DataSourceError(msg)


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
    pattern = re.compile(rf"^\.{re.escape(_short(name))}\.tmp(\d+)\.")
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
    _check_name_lengths(Path(os.path.abspath(target)), target)
    try:
        if target.is_dir():
            raise DataSourceError(f"{target}: is a folder; give a file name")
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target.parent, target.stem)
        fd, tmp_name = tempfile.mkstemp(
            prefix=_tmp_prefix(target.stem),
            suffix=suffix if suffix is not None else target.suffix,
            dir=target.parent,
        )
    except SanquGeoError:
        raise
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


def _bad_name(name: str) -> str | None:
    """Why a manifest line is not a plain name inside the folder, or None when it is."""
    if "\x00" in name:
        return "a NUL byte"
    if name.startswith("/"):
        return "an absolute path"
    parts = name.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return "an empty, '.' or '..' part"
    if parts[-1] in _RESERVED:
        return "the folder's own list"
    if any(len(os.fsencode(part)) > NAME_MAX for part in parts):
        return "a name too long"
    return None


def _read_list(folder: Path, name: str) -> list[str] | None:
    """The plain names listed in ``folder/name`` (the manifest or the marker).

    Returns None when the file is absent. Lines that are not plain names inside the folder
    are ignored with a warning; a file that is not a regular file, or is too large, is refused.
    """
    path = folder / name
    try:
        st = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a symbolic link"
            if stat.S_ISLNK(st.st_mode)
            else "a folder"
            if stat.S_ISDIR(st.st_mode)
            else "not a regular file"
        )
        msg = (
            f"{path}: is {kind}, not the list of files sanqu-geo writes; remove it (the "
            "folder's files then count as yours), or choose another folder"
        )
        raise DataSourceError(msg)
    if st.st_size > MANIFEST_MAX_BYTES:
        msg = (
            f"{path}: {st.st_size / 2**20:,.0f} MB is more than the "
            f"{MANIFEST_MAX_BYTES / 2**20:,.0f} MB a list of sanqu-geo's files may have; "
            "remove it (the folder's files then count as yours), or choose another folder"
        )
        raise DataSourceError(msg)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MANIFEST_MAX_BYTES + 1)
    names: list[str] = []
    ignored: list[str] = []
    for raw in data.split(b"\n"):
        raw = raw.rstrip(b"\r")
        if not raw.strip() or raw.startswith(b"#"):
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            ignored.append(f"{raw[:40]!r} (not UTF-8)")
            continue
        why = _bad_name(line)
        if why is None:
            names.append(line)
        else:
            ignored.append(f"{line[:60]!r} ({why})")
    seen = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if ignored and seen not in _warned:  # once per version of the file, not per check
        _warned.add(seen)
        logger.warning(
            "%s: ignored %d line(s) that are not plain names inside the folder: %s",
            path,
            len(ignored),
            "; ".join(ignored[:3]) + ("; …" if len(ignored) > 3 else ""),
        )
    return names


def _on_the_way(folder: Path, name: str) -> str | None:
    """What lies on the way from ``folder`` to ``folder/name`` that is not a real folder."""
    current = folder
    for part in name.split("/")[:-1]:
        current = current / part
        try:
            st = current.lstat()
        except FileNotFoundError:
            return None
        if stat.S_ISLNK(st.st_mode):
            return f"{current} is a symbolic link"
        if not stat.S_ISDIR(st.st_mode):
            return f"{current} is a file, not a folder"
    return None


def _own_file(folder: Path, name: str) -> bool:
    """Whether ``folder/name`` is a regular file reached through real folders only."""
    if _bad_name(name) is not None or _on_the_way(folder, name) is not None:
        return False
    try:
        return stat.S_ISREG((folder / name).lstat().st_mode)
    except OSError:
        return False


def _toolkit_files(folder: Path) -> tuple[list[str] | None, list[str] | None, set[str]]:
    """The manifest's names, the marker's names, and those that are the toolkit's files now."""
    listed = _read_list(folder, MANIFEST)
    pending = _read_list(folder, INCOMPLETE)
    ours = {n for n in (*(listed or ()), *(pending or ())) if _own_file(folder, n)}
    return listed, pending, ours


def own_files(folder: str | os.PathLike[str]) -> set[str]:
    """The toolkit's files in an output folder: listed by it and checked (see the notes).

    Parameters
    ----------
    folder : path-like
        An output folder (need not exist).

    Returns
    -------
    set of str
        Names relative to the folder, ``/``-separated.

    Raises
    ------
    DataSourceError
        When the folder's manifest or marker is not a regular file, or is too large.
    """
    path = Path(folder)
    if not path.is_dir():
        return set()
    return _toolkit_files(path)[2]


def _users_files(folder: Path, names: Iterable[str], ours: set[str]) -> list[str]:
    """The names (to be written) that are the user's files now; refuses any way outside."""
    found = []
    for name in names:
        problem = _on_the_way(folder, name)
        if problem is not None:
            msg = (
                f"{folder}: {problem}; sanqu-geo writes only inside the folder: remove it, or "
                "choose another folder"
            )
            raise DataSourceError(msg)
        dest = folder / name
        try:
            st = dest.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(st.st_mode):
            msg = f"{dest}: is a folder where sanqu-geo writes a file; move it, or choose another folder"
            raise DataSourceError(msg)
        if name not in ours:
            found.append(name)
    return found


def _refuse_users_files(shown: object, found: list[str]) -> DataSourceError:
    listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return DataSourceError(
        f"{shown}: holds your own {listed} (not written by sanqu-geo), which this run would "
        "replace; move them away, or add --force to replace them"
    )


def interrupted(folder: str | os.PathLike[str]) -> str | None:
    """Whether a run was interrupted while moving its files into ``folder``.

    Parameters
    ----------
    folder : path-like
        An output folder.

    Returns
    -------
    str or None
        A line saying which run was interrupted (its files may mix with an earlier run's
        until a run completes), or None when the folder is complete.
    """
    marker = Path(folder) / INCOMPLETE
    if not marker.is_symlink() and not marker.is_file():
        return None
    first = ""
    with contextlib.suppress(OSError, UnicodeDecodeError):
        with open(marker, encoding="utf-8") as fh:
            first = fh.readline(300).lstrip("# ").strip()
    return (
        f"{folder}: a run was interrupted while writing here ({first or INCOMPLETE}); its files "
        "may mix with an earlier run's until a run completes"
    )


@contextlib.contextmanager
def replaced_files() -> Iterator[list[Path]]:
    """Collect the user's files that ``force`` replaced meanwhile (instead of a warning).

    Yields
    ------
    list of pathlib.Path
        Filled with each replaced file as the folders are written; a command prints it.
    """
    found: list[Path] = []
    _collectors.append(found)
    try:
        yield found
    finally:
        _collectors.remove(found)


def _report_replaced(folder: Path, names: list[str]) -> None:
    if _collectors:
        _collectors[-1].extend(folder / n for n in names)
    else:
        logger.warning("%s: replaced your own %s (force)", folder, ", ".join(names))


def _homes() -> set[Path]:
    """The user's home folder, as given and resolved (empty when there is none)."""
    try:
        home = Path.home()
        return {home, home.resolve()}
    except (RuntimeError, KeyError, OSError):
        return set()


def check_output_folder(
    target: str | os.PathLike[str],
    *,
    force: bool = False,
    beside: bool = False,
    names: Iterable[str] = (),
) -> Path:
    """Check that ``target`` may take the toolkit's files; return it as an absolute path.

    A new folder, an empty one and one the toolkit wrote before (it holds :data:`MANIFEST`)
    are fine. A folder that holds other files is refused unless ``force`` (or ``beside``);
    even then nothing but the toolkit's own files is ever replaced, except the user's files
    ``force`` allows. An existing file, the root folder and the home folder are always
    refused. A symbolic link to a folder stands for that folder.

    Parameters
    ----------
    target : path-like
        The output folder.
    force : bool
        Write into a folder that holds other files (they are kept), and replace the user's
        files of the names the toolkit writes.
    beside : bool
        Write into a folder that holds other files without ``force`` (the web maps); the
        user's files of the names written are still refused.
    names : iterable of str
        Names the run will write (relative to the folder), checked now against the user's
        files; the rest are checked when the files move in.

    Returns
    -------
    pathlib.Path
        The absolute folder path.

    Raises
    ------
    DataSourceError
        When the folder may not be written.
    """
    shown = target
    path = Path(os.path.abspath(Path(target).expanduser()))
    _check_name_lengths(path, shown)
    try:
        if path.is_symlink():
            real = Path(os.path.realpath(path))
            if not real.is_dir():
                what = "a file" if real.exists() else "nothing"
                msg = (
                    f"{shown}: is a symbolic link to {real}, which is {what}, not a folder; "
                    "give a folder"
                )
                raise DataSourceError(msg)
            path = real
        if path == Path(path.anchor):
            msg = f"{path}: is the root folder of the file system; give a sub-folder for the output"
            raise DataSourceError(msg)
        if path in _homes():
            msg = f"{path}: is your home folder; give a new sub-folder of it for the output"
            raise DataSourceError(msg)
        if path.exists() and not path.is_dir():
            raise DataSourceError(f"{shown}: is a file, not a folder; give a new or empty folder")
        if not path.is_dir():
            above = path.parent
            while not above.exists() and not above.is_symlink() and above != above.parent:
                above = above.parent
            if not above.is_dir():
                msg = f"{shown}: {above} is not a folder (a file or a broken link); give a folder"
                raise DataSourceError(msg)
            return path
        listed, pending, ours = _toolkit_files(path)
        if listed is None and pending is None and not (force or beside):
            others = [p.name for p in path.iterdir()]
            if others:
                raise DataSourceError(
                    f"{shown}: the folder holds files sanqu-geo did not write "
                    f"({', '.join(sorted(others)[:3])}{', …' if len(others) > 3 else ''}); "
                    "give a new or empty folder, or add --force to write beside them "
                    "(nothing else is deleted)"
                )
        found = _users_files(path, names, ours)
        if found and not force:
            raise _refuse_users_files(shown, found)
    except SanquGeoError:
        raise
    except OSError as exc:
        raise _unwritable(Path(str(shown)), exc) from exc
    return path


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink() and p.name not in _RESERVED
    )


def _write_list(folder: Path, name: str, names: Iterable[str], header: str) -> Path:
    path = folder / name
    path.write_text(header + "".join(f"{n}\n" for n in names), encoding="utf-8")
    return path


_MANIFEST_HEADER = "# files written by sanqu-geo; only these are replaced or removed\n"


@contextlib.contextmanager
def atomic_folder(
    target: str | os.PathLike[str],
    *,
    force: bool = False,
    beside: bool = False,
    add: bool = False,
) -> Iterator[Path]:
    """Yield a temporary folder; when it is complete, move its files into ``target``.

    A new ``target`` appears whole in one rename. Into an existing folder the new files move
    one by one (each rename is atomic) under the :data:`INCOMPLETE` marker; files the toolkit
    wrote there before and did not write again are removed (unless ``add``); nothing else in
    the folder is touched, and the user's files of the names written are replaced only with
    ``force`` (see the module's notes).

    Parameters
    ----------
    target : path-like
        The final folder (see :func:`check_output_folder`).
    force : bool
        Write into a folder that holds files the toolkit did not write (they are kept), and
        replace the user's files of the names written (reported).
    beside : bool
        Write beside other files without ``force`` (the user's files of the names written are
        still refused).
    add : bool
        Keep the toolkit's earlier files that this run does not write again (they stay in the
        manifest): for outputs added to a folder in steps.

    Yields
    ------
    pathlib.Path
        An empty temporary folder to fill.

    Raises
    ------
    DataSourceError
        When the folder may not be written, the run would replace the user's files without
        ``force``, or the disk fills up.
    """
    shown = target
    target = check_output_folder(target, force=force, beside=beside)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target.parent, target.name)
        tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target.name), dir=target.parent))
    except OSError as exc:
        raise _unwritable(Path(str(shown)), exc) from exc
    # mkdtemp makes the folder private (0700); the finished folder gets the usual permissions.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    try:
        try:
            yield tmp
            for nested in [p for p in tmp.rglob("*") if p.name in _RESERVED]:
                nested.unlink()  # the lists of sub-folders written by nested calls
            new = _files(tmp)
            if not target.exists() and not target.is_symlink():
                _write_list(tmp, MANIFEST, new, _MANIFEST_HEADER)
                os.replace(tmp, target)
                return
            _move_in(tmp, target, new, shown=shown, force=force, beside=beside, add=add)
        except SanquGeoError:
            raise
        except OSError as exc:
            if exc.errno not in _PLACE_ERRNOS:
                raise
            raise _unwritable(Path(str(shown)), exc) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _move_in(
    tmp: Path, target: Path, new: list[str], *, shown: object, force: bool, beside: bool, add: bool
) -> None:
    """Move the files of ``tmp`` into the existing ``target`` under the marker."""
    check_output_folder(target, force=force, beside=beside)  # nothing appeared meanwhile
    _, pending, ours = _toolkit_files(target)
    if pending is not None:
        logger.warning(
            "%s: an earlier run was interrupted while writing here; its files are replaced now",
            target,
        )
    replaced = _users_files(target, new, ours)
    if replaced and not force:
        raise _refuse_users_files(shown, replaced)
    written = set(new)
    stale = sorted(ours - written)
    final = sorted(written | ours) if add else new
    started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    run = f"run {os.getpid()}@{socket.gethostname()} started {started}"
    marker = _write_list(
        tmp,
        INCOMPLETE,
        sorted(written | ours),
        f"# {run}: interrupted while moving these files in, if this file is still here\n",
    )
    os.replace(marker, target / INCOMPLETE)
    for name in new:
        dest = target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / name, dest)
    if not add:
        for name in stale:
            if _own_file(target, name):
                with contextlib.suppress(FileNotFoundError):
                    (target / name).unlink()
    os.replace(_write_list(tmp, MANIFEST, final, _MANIFEST_HEADER), target / MANIFEST)
    (target / INCOMPLETE).unlink()
    if replaced:
        _report_replaced(target, replaced)


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
