"""Output folders: the manifest never trusted, the user's files never replaced unasked, kills
between the moves marked, Monte-Carlo outputs in the manifest, names too long for the disk.

Every check builds its own folder under ``ws``; the folders of ``args`` and ``call`` cases are
built when the cases are made, so the runner sees that a refusal changes nothing.
"""

from __future__ import annotations

import contextlib
import errno
import io
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from faults3 import REPO, Case, Fault
from sanqu_geo._atomic import MANIFEST

#: The marker an interrupted move into an existing folder leaves (see ``sanqu_geo._atomic``).
MARKER = ".sanqu-geo-incomplete"

VICTIM_TEXT = "a planner's own file, outside the output folder"
USER_TEXT = "the planner's own text"

_cache: dict[str, Any] = {}

COMPARE = ["corridors", "compare", "--no-sensitivity", "--no-appraisal"]


# ------------------------------------------------------------------------------ helpers


def _comparison() -> Any:
    """A comparison of the plan's options (no appraisal: fast), computed once."""
    if "comparison" not in _cache:
        from sanqu_geo import compare

        _cache["comparison"] = compare.compare(sensitivity=False, appraisal=False)
    return _cache["comparison"]


def _write(out: Path, **kwargs: Any) -> list[Path]:
    from sanqu_geo import tables

    return tables.write_comparison(_comparison(), out, **kwargs)


def _listed(out: Path) -> list[str]:
    text = (out / MANIFEST).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _put(path: Path, text: str = USER_TEXT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _victim(ws: Path, tag: str) -> Path:
    """A file outside every output folder that a hostile manifest names."""
    return _put(ws / f"outside-{tag}" / "victim.txt", VICTIM_TEXT)


def _kept(path: Path, text: str) -> None:
    if path.is_symlink() or not path.is_file():
        raise Fault("lost", f"{path} was deleted")
    if path.read_text(encoding="utf-8") != text:
        raise Fault("lost", f"{path} was overwritten")


def _append_manifest(out: Path, data: bytes) -> None:
    with open(out / MANIFEST, "ab") as fh:
        fh.write(data)


def _earlier_run(out: Path) -> list[str]:
    """An earlier comparison in ``out``; returns the names it wrote."""
    _write(out)
    return _listed(out)


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def _cli(args: list[Any]) -> tuple[int, str, str]:
    from sanqu_geo.cli import main

    with _captured() as (out, err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _warnings() -> Iterator[list[str]]:
    """Messages logged at WARNING or above by sanqu_geo meanwhile."""
    seen: list[str] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = _Keep(logging.WARNING)
    logger = logging.getLogger("sanqu_geo")
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def _hostile_manifest_check(
    ws: Path, tag: str, line: Callable[[Path, Path], bytes], *, full: bool
) -> Callable:
    """A check: an earlier run's folder whose manifest gains ``line``; a re-run deletes
    nothing outside the folder (and nothing that is not the toolkit's), and completes.
    ``full``: the comparison's own writer; else the folder writer all outputs use (fast)."""

    def check() -> None:
        out = ws / f"m-{tag}"
        victim = _victim(ws, tag)
        if full:
            _earlier_run(out)
        else:
            _fill(out, ["summary.md", "a.csv"], "old")
        _append_manifest(out, line(out, victim))
        try:
            if full:
                _write(out)
            else:
                _fill(out, ["summary.md"], "new")
        finally:
            _kept(victim, VICTIM_TEXT)
        if not (out / "summary.md").is_file() or "summary.md" not in _listed(out):
            raise Fault("failed", "the re-run did not complete")

    return check


def _folder_for_call(ws: Path, tag: str) -> Path:
    """An earlier run's folder (the folder writer all outputs use)."""
    out = ws / f"c-{tag}"
    _fill(out, ["summary.md", "comparison.xlsx", "summary.csv"], "old")
    return out


# ------------------------------------------------------------------ kills between moves

_KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from sanqu_geo import _atomic
out, n, what = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
names = sys.argv[4].split(",")
real = getattr(os, what)
count = [0]
def dying(*a, **k):
    if count[0] >= n:
        os.kill(os.getpid(), signal.SIGKILL)
    count[0] += 1
    return real(*a, **k)
with _atomic.atomic_folder(out) as tmp:
    for name in names:
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("new " + name, encoding="utf-8")
    setattr(os, what, dying)
"""

OLD = ["a.csv", "b.csv", "sub/c.csv", "old-only.csv"]
NEW = ["a.csv", "b.csv", "sub/c.csv", "new-only.csv", "sub/d.csv"]


def _fill(out: Path, names: list[str], word: str) -> None:
    from sanqu_geo import _atomic

    with _atomic.atomic_folder(out) as tmp:
        for name in names:
            _put(tmp / name, f"{word} {name}")


def _state(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in {MANIFEST, MARKER}
    }


def _killed(out: Path, n: int, what: str) -> int:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_SCRIPT, str(out), str(n), what, ",".join(NEW)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if proc.returncode not in (0, -9):
        raise Fault("internal", f"the killed run failed otherwise: {proc.stderr[-300:]}")
    return proc.returncode


def _kill_check(ws: Path, what: str, tries: range) -> Callable:
    """Kill the run at every ``os.<what>`` call in ``tries``; the folder is old, new or marked,
    the user's file is kept, and the next run completes, clears the marker and says so."""

    def check() -> None:
        old_state = {n: f"old {n}" for n in OLD} | {"notes.txt": USER_TEXT}
        new_state = {n: f"new {n}" for n in NEW} | {"notes.txt": USER_TEXT}
        killed_at = 0
        for n in tries:
            out = ws / f"kill-{what}-{n}"
            _fill(out, OLD, "old")
            _put(out / "notes.txt")
            code = _killed(out, n, what)
            if code == 0:
                continue
            killed_at += 1
            state = _state(out)
            if (out / "notes.txt").read_text(encoding="utf-8") != USER_TEXT:
                raise Fault("lost", f"kill at {what} #{n}: the user's notes.txt changed")
            marked = (out / MARKER).is_file()
            if not marked and state not in (old_state, new_state):
                raise Fault(
                    "silent", f"kill at {what} #{n}: the folder mixes two runs, unmarked: {state}"
                )
            if state == new_state and not marked and sorted(_listed(out)) != sorted(NEW):
                raise Fault("silent", f"kill at {what} #{n}: new files, old manifest")
            with _warnings() as said:
                _fill(out, ["a.csv", "third.csv"], "third")
            if marked and not any("interrupted" in s for s in said):
                raise Fault("silent", f"kill at {what} #{n}: the next run did not say so")
            expected = {"a.csv": "third a.csv", "third.csv": "third third.csv"}
            if _state(out) != expected | {"notes.txt": USER_TEXT} or (out / MARKER).exists():
                raise Fault("silent", f"kill at {what} #{n}: the next run left {_state(out)}")
        if killed_at == 0:
            raise Fault("failed", f"no kill happened at os.{what}")

    return check


def _killed_first_run_check(ws: Path) -> None:
    """Killed while moving into an existing empty folder: no manifest yet; the next run
    (without --force) must still take the folder, and a reader sees the marker meanwhile."""
    from sanqu_geo import _atomic

    for n in (2, 3):
        out = ws / f"kill-first-{n}"
        out.mkdir()
        if _killed(out, n, "replace") != -9:
            raise Fault("failed", "the run was not killed")
        if not (out / MARKER).is_file():
            raise Fault("silent", f"kill #{n}: a half-filled folder without a marker")
        _atomic.check_output_folder(out)  # not refused: these are the toolkit's files
        _fill(out, ["a.csv"], "next")
        if _state(out) != {"a.csv": "next a.csv"} or (out / MARKER).exists():
            raise Fault("silent", f"kill #{n}: the next run left {_state(out)}")


# ------------------------------------------------------------------------- Monte-Carlo


def _monte_carlo(title: str = "二通道", source: str = "assumption") -> Any:
    """A small Monte-Carlo result with the shape :func:`sensitivity.run` gives."""
    import numpy as np

    from sanqu_geo import sensitivity

    dists = {
        name: sensitivity.Distribution(d.kind, d.values, source)
        for name, d in sensitivity.load_distributions().items()
    }
    summary = pd.DataFrame(
        {
            "group": ["second_passage", "freight"],
            "option": ["second_passage_ph1", "freight_ring"],
            "title_zh": [title, "货运环线"],
            "title_en": ["@SUM(1+1)", "+freight ring"],
            "mean": [120.0, 80.0],
            "se_mean": [10.0, 8.0],
            "sd": [14.1, 11.3],
            "p5": [100.0, 60.0],
            "p50": [120.0, 80.0],
            "p95": [140.0, 100.0],
            "share_saving": [1.0, 1.0],
            "p_rank_first": [1.0, 0.0],
            "se_p_rank_first": [0.0, 0.0],
            "p_first_in_group": [1.0, 1.0],
        }
    )
    draws = pd.DataFrame(
        {
            "draw": [0, 1],
            "demand_growth": [1.0, 1.1],
            "base_vehicle_hours": [3800.0, 3900.0],
            "base_delay_index": [1.5, 1.6],
            "accepted": [True, True],
            "rejection": ["", ""],
            "saved_second_passage_ph1": [110.0, 130.0],
            "saved_freight_ring": [72.0, 88.0],
        }
    )
    return sensitivity.MonteCarlo(
        summary=summary,
        draws=draws,
        runs=pd.DataFrame(),
        seed=1,
        n=2,
        gap=1e-6,
        distributions=dists,
        not_scored=["-rail"],
        band=(1.4, 1.9),
        accepted=2,
        rejected={sensitivity.BELOW: 0, sensitivity.ABOVE: 0},
        structural="applied",
        measures=pd.DataFrame(
            {
                "option": ["=1+1"],
                "condition": ["normal"],
                "measure": ["vehicle_hours"],
                "measure_label": ["-2+3"],
                "draws": [2],
                "p5": [1.0],
                "p50": [2.0],
                "p95": [3.0],
                "share_positive": [np.float64(1.0)],
            }
        ),
    )


def _mc_in_manifest(ws: Path) -> None:
    out = ws / "mc-manifest"
    _write(out, monte_carlo=_monte_carlo())
    listed = _listed(out)
    missing = [n for n in ("monte_carlo.csv", "monte_carlo_draws.csv") if n not in listed]
    if missing:
        raise Fault("silent", f"Monte-Carlo outputs outside the manifest: {missing}")
    _write(out)  # a later comparison without Monte-Carlo
    if (out / "monte_carlo.csv").exists():
        raise Fault("silent", "a later comparison left a stale monte_carlo.csv")
    if "蒙特卡洛" in (out / "summary.md").read_text(encoding="utf-8"):
        raise Fault("silent", "a later comparison kept the old Monte-Carlo section")


def _mc_added_later(ws: Path) -> None:
    from sanqu_geo import sensitivity

    out = ws / "mc-added"
    _earlier_run(out)
    sensitivity.write_outputs(_monte_carlo(), out)
    if "monte_carlo.csv" not in _listed(out):
        raise Fault("silent", "write_outputs left monte_carlo.csv outside the manifest")
    _write(out)
    if (out / "monte_carlo.csv").exists():
        raise Fault("silent", "a later comparison left a stale monte_carlo.csv")


def _live_formulas(path: Path) -> list[str]:
    """Text cells of a CSV file a spreadsheet would run as formulas."""
    table = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    found = []
    for value in [*table.columns, *table.to_numpy().ravel()]:
        try:
            float(value)
        except ValueError:
            if value.startswith(("=", "+", "-", "@", "\t", "\r")):
                found.append(value)
    return found


def _mc_escaped(ws: Path) -> None:
    import openpyxl

    out = ws / "mc-escaped"
    title = '=HYPERLINK("http://x","y")'
    _write(out, monte_carlo=_monte_carlo(title=title, source="=cmd|x"))
    for name in ("monte_carlo.csv", "monte_carlo_draws.csv", "monte_carlo_measures.csv"):
        live = _live_formulas(out / name)
        if live:
            raise Fault("silent", f"{name} holds formula text unescaped: {live[:3]}")
    shown = pd.read_csv(out / "monte_carlo.csv", encoding="utf-8-sig", dtype=str)
    if "'" + title not in shown.to_numpy().ravel():
        raise Fault("silent", "monte_carlo.csv lost the option's name")
    book = openpyxl.load_workbook(out / "comparison.xlsx")
    for ws_ in book.worksheets:
        for row in ws_.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise Fault("silent", f"{ws_.title}!{cell.coordinate} is a formula")


# ----------------------------------------------------------------------------- maps


def _mbtiles(path: Path) -> Path:
    import io as _io

    from PIL import Image

    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
        buf = _io.BytesIO()
        Image.new("RGB", (8, 8), (200, 10, 10)).save(buf, format="PNG")
        db.execute("INSERT INTO tiles VALUES (10, 872, 659, ?)", (buf.getvalue(),))
    db.close()
    return path


def _maps_force_check(ws: Path) -> None:
    out = ws / "maps-force"
    page = _put(out / "infrastructure.html")
    notes = _put(out / "notes.txt")
    code, stdout, err = _cli(
        ["maps", "build", "infrastructure", "--offline", "--out", out, "--force"]
    )
    if code != 0:
        raise Fault("failed", f"exit {code}: {err.strip()[-300:]}")
    if USER_TEXT in page.read_text(encoding="utf-8"):
        raise Fault("failed", "--force did not replace the page")
    _kept(notes, USER_TEXT)
    said = [
        ln for ln in (stdout + err).splitlines() if "infrastructure.html" in ln and "replac" in ln
    ]
    if len(said) != 1:
        raise Fault("silent", "--force replaced the user's infrastructure.html without a line")


def _maps_beside_check(ws: Path) -> None:
    from sanqu_geo.maps import interactive

    out = ws / "maps-beside"
    notes = _put(out / "notes.txt")
    recipe = _put(ws / "mine.toml", '[map]\nlayers = ["zones"]\n')
    code, _, err = _cli(["maps", "build", "infrastructure", "--offline", "--out", out])
    if code != 0:
        raise Fault("failed", f"maps build beside a user's file: exit {code}: {err.strip()}")
    interactive.publish([recipe], out, offline=True)
    _kept(notes, USER_TEXT)
    if not (out / "infrastructure.html").is_file() or not (out / "mine.html").is_file():
        raise Fault("lost", "a later map build removed an earlier page")
    listed = _listed(out)
    if "notes.txt" in listed or not {"infrastructure.html", "mine.html"} <= set(listed):
        raise Fault("silent", f"the maps folder's manifest is wrong: {listed}")


def _maps_user_page_api(out: Path) -> Callable:
    def call() -> None:
        from sanqu_geo.maps import interactive

        interactive.publish(["infrastructure"], out, offline=True)

    return call


# ------------------------------------------------------------------------------- cases


def _compare_force_check(ws: Path) -> None:
    out = ws / "force-user"
    summary = _put(out / "summary.md")
    ranking = _put(out / "ranking.csv", "rank,option\n1,mine\n")
    code, stdout, err = _cli([*COMPARE, "--out", out, "--force"])
    if code != 0:
        raise Fault("failed", f"exit {code}: {err.strip()[-300:]}")
    if USER_TEXT in summary.read_text(encoding="utf-8"):
        raise Fault("failed", "--force did not write summary.md")
    _kept(ranking, "rank,option\n1,mine\n")
    said = [ln for ln in (stdout + err).splitlines() if "summary.md" in ln and "replac" in ln]
    if len(said) != 1:
        raise Fault("silent", "--force replaced the user's summary.md without a line saying so")
    if "ranking.csv" in said[0] or "ranking.csv" in _listed(out):
        raise Fault("silent", "ranking.csv (not replaced) is named as replaced or listed")


def _symlink_out_check(ws: Path) -> None:
    real = ws / "real-results"
    real.mkdir()
    link = ws / "results-link"
    link.symlink_to(real, target_is_directory=True)
    _write(link)
    _fill(link, ["summary.md"], "again")  # into the existing folder, through the link
    if not link.is_symlink():
        raise Fault("lost", "--out, a symlink to a folder, was replaced by a folder")
    if not (real / "summary.md").is_file() or "summary.md" not in _listed(real):
        raise Fault("failed", "nothing written into the linked folder")


def _long_folder_check(ws: Path) -> None:
    out = ws / ("y" * 250)
    _write(out)
    _fill(out, ["summary.md"], "again")  # into the existing folder: temporary names beside it
    if "summary.md" not in _listed(out):
        raise Fault("failed", "a 250-character folder name was not written")


def _long_file_check(ws: Path) -> None:
    from sanqu_geo import tables

    path = ws / ("t" * 245 + ".csv")
    tables.write_table(pd.DataFrame({"a": [1]}), path)
    tables.write_table(pd.DataFrame({"a": [2]}), path)
    if pd.read_csv(path, encoding="utf-8-sig")["a"].tolist() != [2]:
        raise Fault("failed", "a 249-character file name was not written")


def _hostile_marker_check(ws: Path) -> None:
    out = ws / "marker-hostile"
    victim = _victim(ws, "marker")
    _fill(out, ["summary.md"], "old")
    (out / MARKER).write_bytes(
        b"# hostile\n../outside-marker/victim.txt\n" + str(victim).encode() + b"\n"
    )
    with _warnings():
        _fill(out, ["summary.md"], "new")
    _kept(victim, VICTIM_TEXT)
    if (out / MARKER).exists():
        raise Fault("silent", "a complete run left the marker")


def _readonly_call(out: Path) -> Callable:
    def call() -> None:
        import tempfile
        from unittest import mock

        def refuse(*_a: Any, **_k: Any) -> str:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))

        with mock.patch.object(tempfile, "mkdtemp", refuse):
            _write(out)

    return call


def _check_folder(target: str, *, force: bool) -> Callable:
    def call() -> None:
        from sanqu_geo._atomic import check_output_folder

        check_output_folder(target, force=force)

    return call


def cases(ws: Path) -> list[Case]:
    """The cases of the area (folders of args/call cases are built here)."""
    from sanqu_geo import sensitivity, tables

    home = str(Path.home())
    long_name = "x" * 300
    cases: list[Case] = []

    # 1. The manifest is never trusted: no delete outside the folder, nor of what is not a file.
    def rel(line: str) -> Callable[[Path, Path], bytes]:
        return lambda out, victim: (line + "\n").encode()

    def absolute(out: Path, victim: Path) -> bytes:
        return f"{victim}\n".encode()

    def symlinked(out: Path, victim: Path) -> bytes:
        (out / "link").symlink_to(victim.parent, target_is_directory=True)
        return b"link/victim.txt\n"

    def link_file(out: Path, victim: Path) -> bytes:
        (out / "ln.csv").symlink_to(victim)
        return b"ln.csv\n"

    def folder(out: Path, victim: Path) -> bytes:
        # a sub-folder named in the manifest, holding the planner's file: not a file to delete
        (out / "sub").symlink_to(victim.parent, target_is_directory=True)
        return b"sub\nsub/\n"

    def nul(out: Path, victim: Path) -> bytes:
        return b"summary.md\x00../outside-nul/victim.txt\n..//outside-nul/victim.txt\n./\n\n"

    def not_utf8(out: Path, victim: Path) -> bytes:
        return b"\xff\xfe../outside-latin/victim.txt\n" + "../outside-latin/victim.txt\n".encode(
            "utf-16"
        )

    for tag, what, line, full in (
        ("dotdot", "manifest line ../victim.txt", rel("../outside-dotdot/victim.txt"), False),
        ("abs", "manifest line with an absolute path", absolute, True),
        (
            "updown",
            "manifest line a/../../victim.txt",
            rel("a/../../outside-updown/victim.txt"),
            False,
        ),
        ("symdir", "manifest name under a symlinked sub-folder", symlinked, True),
        ("symfile", "manifest name that is a symlink to a file outside", link_file, False),
        ("folder", "manifest names a linked sub-folder, and sub/", folder, False),
        ("nul", "manifest with NUL bytes and empty parts", nul, False),
        ("latin", "manifest lines that are not UTF-8", not_utf8, False),
    ):
        check = _hostile_manifest_check(ws, tag, line, full=full)
        cases.append(Case(what, check=check, timeout=30))

    sym = _folder_for_call(ws, "symlink-manifest")
    outside_list = _put(ws / "outside-list" / "list.txt", "summary.md\n../outside-list/list.txt\n")
    (sym / MANIFEST).unlink()
    (sym / MANIFEST).symlink_to(outside_list)
    cases.append(Case("manifest is a symlink", call=lambda: _write(sym), needle=MANIFEST))

    fold = _folder_for_call(ws, "folder-manifest")
    (fold / MANIFEST).unlink()
    (fold / MANIFEST).mkdir()
    cases.append(Case("manifest is a folder", call=lambda: _write(fold), needle=MANIFEST))

    huge = _folder_for_call(ws, "huge-manifest")
    with open(huge / MANIFEST, "ab") as fh:
        fh.truncate(40 * 2**20)  # sparse: 40 MB of NUL bytes
    cases.append(Case("manifest of 40 MB", call=lambda: _write(huge), needle=MANIFEST, timeout=20))

    fifo = _folder_for_call(ws, "fifo-manifest")
    (fifo / MANIFEST).unlink()
    os.mkfifo(fifo / MANIFEST)
    cases.append(Case("manifest is a FIFO", call=lambda: _write(fifo), needle=MANIFEST, timeout=15))

    # 2. The user's file of a name the toolkit writes is never replaced without --force.
    mine = ws / "user-summary-cli"
    _earlier_run(mine)
    (mine / MANIFEST).write_text(
        "".join(f"{n}\n" for n in _listed(mine) if n != "summary.md"), encoding="utf-8"
    )
    _put(mine / "summary.md")
    cases.append(
        Case(
            "compare onto the user's summary.md in an earlier run's folder",
            args=[*COMPARE, "--out", mine],
            needle="summary.md",
        )
    )
    api = ws / "user-summary-api"
    _earlier_run(api)
    (api / MANIFEST).write_text(
        "".join(f"{n}\n" for n in _listed(api) if n != "summary.md"), encoding="utf-8"
    )
    _put(api / "summary.md")
    cases.append(
        Case(
            "write_comparison onto the user's summary.md",
            call=lambda: _write(api),
            needle="summary.md",
        )
    )
    cases.append(
        Case(
            "--force replaces the user's summary.md, keeps ranking.csv, says so",
            check=lambda: _compare_force_check(ws),
        )
    )
    maps_user = ws / "maps-user"
    _put(maps_user / "corridors.html")
    cases.append(
        Case(
            "maps build onto the user's corridors.html",
            args=["maps", "build", "--offline", "--out", maps_user],
            needle="corridors.html",
        )
    )
    maps_api = ws / "maps-api"
    _put(maps_api / "infrastructure.html")
    cases.append(
        Case(
            "publish onto the user's infrastructure.html",
            call=_maps_user_page_api(maps_api),
            needle="infrastructure.html",
        )
    )
    cases.append(
        Case("maps build --force replaces and says so", check=lambda: _maps_force_check(ws))
    )
    cases.append(
        Case(
            "maps build beside the user's files keeps them and earlier pages",
            check=lambda: _maps_beside_check(ws),
        )
    )
    pack = ws / "pack-user"
    pack.mkdir()
    (pack / MANIFEST).write_text("# files written by sanqu-geo\n", encoding="utf-8")
    _put(pack / "index.html")
    cases.append(
        Case(
            "meeting-pack onto the user's index.html in an earlier pack folder",
            args=["meeting-pack", "--out", pack],
            needle="index.html",
            timeout=30,
        )
    )
    tiles_out = ws / "tiles-symlink"
    tiles_out.mkdir()
    (ws / "outside-tiles").mkdir()
    (tiles_out / "tiles").symlink_to(ws / "outside-tiles", target_is_directory=True)
    mbtiles = _mbtiles(ws / "city.mbtiles")

    def publish_tiles() -> None:
        from sanqu_geo.maps import interactive

        interactive.publish(["infrastructure"], tiles_out, offline=True, tiles=mbtiles)

    cases.append(
        Case("tiles into a sub-folder that is a symlink", call=publish_tiles, needle="tiles")
    )
    mc_user = ws / "mc-user"
    _put(mc_user / "summary.md")
    cases.append(
        Case(
            "Monte-Carlo outputs onto the user's summary.md",
            call=lambda: sensitivity.write_outputs(_monte_carlo(), mc_user),
            needle="summary.md",
        )
    )

    # 3. Kills between the moves: old, new or marked; the next run clears the marker.
    cases.append(
        Case(
            "kill at every move into an existing folder",
            check=_kill_check(ws, "replace", range(0, 9)),
            timeout=45,
        )
    )
    cases.append(
        Case(
            "kill while the stale files are removed",
            check=_kill_check(ws, "unlink", range(0, 3)),
            timeout=30,
        )
    )
    cases.append(
        Case(
            "kill in the first run into an empty folder",
            check=lambda: _killed_first_run_check(ws),
            timeout=30,
        )
    )
    cases.append(
        Case("hostile marker lines are not trusted", check=lambda: _hostile_marker_check(ws))
    )
    marker_link = _folder_for_call(ws, "marker-link")
    (marker_link / MARKER).symlink_to(_put(ws / "outside-ml" / "list.txt", "summary.md\n"))
    cases.append(Case("marker is a symlink", call=lambda: _write(marker_link), needle=MARKER))

    # 4. Monte-Carlo outputs: in the manifest, escaped.
    cases.append(Case("Monte-Carlo outputs in the manifest", check=lambda: _mc_in_manifest(ws)))
    cases.append(
        Case("Monte-Carlo outputs added later join the manifest", check=lambda: _mc_added_later(ws))
    )
    cases.append(Case("Monte-Carlo text cells escaped", check=lambda: _mc_escaped(ws)))

    # 5. Names too long, odd --out targets.
    cases.append(
        Case(
            "compare --out of 300 characters", args=[*COMPARE, "--out", long_name], needle=long_name
        )
    )
    cases.append(
        Case(
            "compare --out under a parent of 300 characters",
            args=[*COMPARE, "--out", ws / long_name / "r"],
            needle=long_name,
        )
    )
    cases.append(
        Case(
            "maps build --out of 300 characters",
            args=["maps", "build", "infrastructure", "--out", long_name],
            needle=long_name,
        )
    )
    cases.append(
        Case(
            "meeting-pack --out of 300 characters",
            args=["meeting-pack", "--out", long_name],
            needle=long_name,
        )
    )
    long_csv = "t" * 300 + ".csv"
    cases.append(
        Case(
            "a table file name of 300 characters",
            call=lambda: tables.write_table(pd.DataFrame({"a": [1]}), ws / long_csv),
            needle=long_csv,
        )
    )
    cases.append(
        Case("a folder name of 250 characters works", check=lambda: _long_folder_check(ws))
    )
    cases.append(Case("a file name of 249 characters works", check=lambda: _long_file_check(ws)))
    cases.append(
        Case("--out a symlink to a folder writes into it", check=lambda: _symlink_out_check(ws))
    )
    (ws / "dangling").symlink_to(ws / "no-such-folder")
    cases.append(
        Case("--out a broken symlink", args=[*COMPARE, "--out", ws / "dangling"], needle="dangling")
    )
    cases.append(Case("--out /", args=[*COMPARE, "--out", "/"], needle="/: is the root"))
    cases.append(
        Case(
            "the root folder with force",
            call=_check_folder("/", force=True),
            needle="/: is the root",
        )
    )
    cases.append(Case("--out ~", args=[*COMPARE, "--out", "~"], needle=home))
    cases.append(
        Case("the home folder with force", call=_check_folder("~", force=True), needle=home)
    )
    (ws / "ro-parent").mkdir()  # a folder on a read-only disk: no new name can go in
    cases.append(
        Case(
            "--out inside a read-only folder",
            call=_readonly_call(ws / "ro-parent" / "new"),
            needle="ro-parent",
        )
    )
    return cases
