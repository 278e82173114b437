"""The register: status workbooks read as Excel shows them, snapshots kept whole and in order.

Hostile workbooks (hidden stale sheets, an understated ``<dimension>``, merged cells, formulas
without a saved value, a repeated column, Excel's 1900 and 1904 date systems, control
characters in notes), inputs that are not files (a pipe, ``/dev/zero``, a zip bomb), the
public API given wrong types, snapshots numbered past 999, snapshots of earlier versions, and
kills at each step of keeping a snapshot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from faults3 import REPO, Case, Fault
from sanqu_geo import register
from sanqu_geo.errors import SanquGeoError

SHEET = "状态 Status"
HEADER = ["编号 Task", "任务 Title", "期限 Deadline", "状态 Status", "进展说明 Note", "日期 Date"]
#: The day every test snapshot stands for, and the day its rows were reported.
SNAP_DAY = dt.date(2025, 11, 20)
ROW_DAY = dt.date(2025, 11, 3)


# --------------------------------------------------------------------------- helpers


def _book(
    path: Path,
    reports: dict[int, tuple[Any, Any, Any]],
    *,
    sheet: str = SHEET,
    header: list[str] | None = None,
    cells: dict[str, Any] | None = None,
    merges: tuple[str, ...] = (),
    before: list[tuple[str, str, dict[int, str]]] = (),
    epoch: Any = None,
) -> Path:
    """A status workbook with the 40 tasks, ``reports`` filled in (task -> status, note, day).

    ``before`` adds sheets in front of it: (title, state, {task: status}).
    """
    wb = Workbook()
    if epoch is not None:
        wb.epoch = epoch
    first = wb.active
    for title, state, stale in before:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        ws.append(HEADER)
        for task in range(1, 41):
            ws.append([task, f"t{task}", "", stale.get(task), "旧 stale", ROW_DAY])
    ws = first
    wb.move_sheet(ws, offset=len(before))
    ws.title = sheet
    ws.append(header or HEADER)
    for task in range(1, 41):
        status, note, day = reports.get(task, (None, None, None))
        ws.append([task, f"任务 {task}", "近期", status, note, day])
    for row in ws.iter_rows(min_row=2, min_col=6, max_col=6):
        row[0].number_format = "yyyy-mm-dd"
    for ref, value in (cells or {}).items():
        ws[ref] = value
    for ref in merges:
        ws.merge_cells(ref)
    wb.active = len(before)
    wb.save(path)
    return path


def _edit(path: Path, part: str, fix: Callable[[str], str]) -> Path:
    """Rewrite one XML part of an xlsx file in place."""
    with zipfile.ZipFile(path) as z:
        items = [(info, z.read(info.filename)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            if info.filename == part:
                new = fix(data.decode("utf-8"))
                assert new != data.decode("utf-8"), f"no edit made in {part}"
                data = new.encode("utf-8")
            z.writestr(info.filename, data)
    return path


@contextlib.contextmanager
def _home(ws: Path, name: str) -> Iterator[Path]:
    """A user folder of one case's own (the campaign's user folder is left alone)."""
    home = ws / "homes" / name
    home.mkdir(parents=True, exist_ok=True)
    old = os.environ.get("SANQU_GEO_HOME")
    os.environ["SANQU_GEO_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("SANQU_GEO_HOME", None)
        else:
            os.environ["SANQU_GEO_HOME"] = old


def _in_home(ws: Path, name: str, fn: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        with _home(ws, name):
            return fn()

    return run


def _old_snapshot(folder: Path, stem: str, day: str, rows: list[dict[str, Any]]) -> Path:
    """A snapshot as the first versions wrote it (no version field, indent 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.json"
    payload = {"date": day, "imported": f"{day}T09:00:00", "source": "q.xlsx", "rows": rows}
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _row(task: int, status: str, note: str = "", day: str = "2025-11-02") -> dict[str, Any]:
    return {"task": task, "status": status, "note": note, "date": day}


def _reads(ws: Path, name: str, path: Path) -> dict[int, dict[str, Any]]:
    """Import ``path`` into a fresh user folder; the kept rows by task."""
    with _home(ws, name):
        snap = register.import_status(path, date=SNAP_DAY)
        return {int(r["task"]): r for r in snap.rows}


def _expect_rows(got: dict[int, dict[str, Any]], want: dict[int, str], what: str) -> None:
    statuses = {t: r["status"] for t, r in got.items()}
    if statuses != want:
        missing = sorted(set(want) - set(statuses))
        raise Fault("silent", f"{what}: read {statuses} (missing {missing}), expected {want}")


def _run_killed(ws: Path, home: Path, patch: str, book: Path) -> subprocess.CompletedProcess:
    script = (
        "import datetime as dt, os, signal\n"
        "def die(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        f"{patch}\n"
        "from sanqu_geo import register\n"
        f"register.import_status({str(book)!r}, date=dt.date(2025, 11, 20))\n"
    )
    env = {**os.environ, "SANQU_GEO_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ws, capture_output=True, timeout=60
    )


def _kill_case(ws: Path, name: str, patch: str, *, new_allowed: bool) -> Callable[[], None]:
    """Import once, then import again killed at ``patch``: old or new, never a mix or junk."""
    first = _book(
        ws / f"{name}-q3.xlsx", {5: ("推进中", "q3", ROW_DAY), 6: ("推进中", "", ROW_DAY)}
    )
    second = _book(
        ws / f"{name}-q4.xlsx", {5: ("已完成", "q4", ROW_DAY), 7: ("滞后", "q4", ROW_DAY)}
    )

    def check() -> None:
        with _home(ws, name) as home:
            register.import_status(first, date=dt.date(2025, 11, 10))
            old = register.status_as_of(SNAP_DAY)[["status", "note"]].copy()
            proc = _run_killed(ws, home, patch, second)
            if proc.returncode != -9:
                err = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
                raise Fault("failed", f"the import was not killed (exit {proc.returncode}) {err}")
            try:
                now = register.status_as_of(SNAP_DAY)[["status", "note"]]
            except SanquGeoError as exc:
                raise Fault("lost", f"after the kill the register cannot be read: {exc}") from exc
            is_old = now.equals(old)
            is_new = (
                now.at[5, "status"] == "已完成"
                and now.at[7, "status"] == "滞后"
                and now.at[6, "status"] == "推进中"
            )
            if not (is_old or (new_allowed and is_new)):
                raise Fault("lost", f"after the kill the register is neither old nor new: {now}")
            # the next import works and leaves no leftovers of the killed one
            register.import_status(second, date=SNAP_DAY)
            folder = register.snapshots_folder()
            names = sorted(p.name for p in folder.iterdir())
            junk = [n for n in names if not re.fullmatch(r"status-\d{4}-\d\d-\d\d-\d{3,}\.json", n)]
            if junk:
                raise Fault("lost", f"leftovers of the killed import stay in {folder}: {junk}")
            last = register.status_as_of(SNAP_DAY)
            assert last.at[5, "status"] == "已完成" and last.at[6, "status"] == "推进中"

    return check


# --------------------------------------------------------------------------- cases


def cases(ws: Path) -> list[Case]:
    """The register area of the second campaign."""
    good_reports = {3: ("推进中", "试点中", ROW_DAY), 36: ("滞后", "附属工程未完", ROW_DAY)}
    good = _book(ws / "good.xlsx", good_reports)
    out: list[Case] = []
    add = out.append

    # ---------------------------------------------------------------- not a file to read
    fifo = ws / "fifo.xlsx"
    os.mkfifo(fifo)
    add(
        Case(
            "a FIFO as the status workbook",
            args=["register", "import", fifo],
            needle="fifo.xlsx",
            subprocess=True,
            timeout=20,
        )
    )
    zero = ws / "zero.xlsx"
    zero.symlink_to("/dev/zero")
    add(
        Case(
            "a symlink to /dev/zero as the status workbook",
            args=["register", "import", zero],
            needle="zero.xlsx",
            subprocess=True,
            timeout=20,
        )
    )
    folder = ws / "folder.xlsx"
    folder.mkdir()
    add(Case("a folder as the workbook", args=["register", "import", folder], needle="folder.xlsx"))
    add(
        Case(
            "a missing workbook",
            args=["register", "import", ws / "missing.xlsx"],
            needle="missing.xlsx",
        )
    )
    huge = ws / "huge.xlsx"
    with huge.open("wb") as fh:
        fh.truncate(300 * 2**20)  # sparse: 300 MB on paper, nothing on disk
    add(
        Case(
            "a 300 MB workbook",
            args=["register", "import", huge],
            needle="huge.xlsx",
            subprocess=True,
            timeout=20,
        )
    )
    text = ws / "text.xlsx"
    text.write_text("编号,状态\n1,推进中\n", encoding="utf-8")
    add(Case("a CSV named .xlsx", args=["register", "import", text], needle="text.xlsx"))
    bomb = _book(ws / "bomb.xlsx", {})
    with zipfile.ZipFile(bomb) as z:
        items = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items:
            if name != "xl/worksheets/sheet1.xml":
                z.writestr(name, data)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            sheet = dict(items)["xl/worksheets/sheet1.xml"].decode()
            head, _, tail = sheet.partition("</sheetData>")
            fh.write(head.encode())
            row = b"".join(
                b'<row r="%d"><c r="A%d" t="n"><v>1</v></c></row>' % (r, r) for r in range(50, 1050)
            )
            for _ in range(400):  # about 20 MB of rows, 0.2 MB compressed
                fh.write(row)
            fh.write(b"</sheetData>" + tail.encode())
    add(
        Case(
            "a zip bomb: 20 MB of sheet XML in a small file",
            args=["register", "import", bomb],
            needle="bomb.xlsx",
            subprocess=True,
            timeout=30,
        )
    )

    # ---------------------------------------------------------------- which sheet
    stale = {t: "未启动" for t in range(1, 41)}
    hidden_first = _book(
        ws / "hiddenfirst.xlsx", good_reports, sheet="Sheet1", before=[("旧 old", "hidden", stale)]
    )
    add(
        Case(
            "no sheet named 状态 Status; a hidden stale first sheet",
            args=["register", "import", hidden_first],
            needle="hiddenfirst.xlsx",
        )
    )
    hidden_named = _book(
        ws / "hiddennamed.xlsx",
        good_reports,
        sheet="状态 Status (2)",
        before=[(SHEET, "hidden", stale)],
    )
    add(
        Case(
            "the sheet named 状态 Status is hidden, another is shown",
            call=lambda: register.read_status_workbook(hidden_named, date=SNAP_DAY),
            needle="hidden",
        )
    )
    visible_named = _book(
        ws / "visiblenamed.xlsx", good_reports, before=[("旧 old", "hidden", stale)]
    )

    def reads_the_visible_named_sheet() -> None:
        got = _reads(ws, "visible", visible_named)
        _expect_rows(got, {3: "推进中", 36: "滞后"}, "hidden stale first sheet")

    add(
        Case(
            "a hidden stale first sheet, the named sheet second",
            check=reads_the_visible_named_sheet,
        )
    )

    # ---------------------------------------------------------------- what Excel shows
    dim = _book(ws / "dimension.xlsx", {n: ("推进中", "", ROW_DAY) for n in range(1, 41)})
    _edit(
        dim,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r'<dimension ref="[^"]+"', '<dimension ref="A1:F10"', x),
    )

    def understated_dimension() -> None:
        got = _reads(ws, "dimension", dim)
        _expect_rows(got, {n: "推进中" for n in range(1, 41)}, "an understated <dimension>")

    add(Case("an understated <dimension> (A1:F10) over 40 tasks", check=understated_dimension))

    merged_task = _book(
        ws / "mergedtask.xlsx",
        {1: ("推进中", "", ROW_DAY), 2: ("已完成", "", ROW_DAY)},
        merges=("A2:A3",),
    )
    add(
        Case(
            "task ids merged over two rows with two statuses",
            call=lambda: register.read_status_workbook(merged_task, date=SNAP_DAY),
            needle="A2:A3",
        )
    )
    merged_status = _book(ws / "mergedstatus.xlsx", {2: ("推进中", "", ROW_DAY)}, merges=("D3:D5",))

    def merged_status_reads_as_shown() -> None:
        # D3:D5 shows 推进中 (task 2's cell) beside tasks 2, 3 and 4
        got = _reads(ws, "mergedstatus", merged_status)
        _expect_rows(got, {2: "推进中", 3: "推进中", 4: "推进中"}, "a merged status over D3:D5")

    add(Case("a status merged over three task rows", check=merged_status_reads_as_shown))
    merged_across = _book(ws / "mergedacross.xlsx", {4: ("推进中", "", ROW_DAY)}, merges=("D5:E5",))
    add(
        Case(
            "a status cell merged with the note beside it",
            call=lambda: register.read_status_workbook(merged_across, date=SNAP_DAY),
            needle="D5:E5",
        )
    )
    formula = _book(ws / "formula.xlsx", {2: ("推进中", "", ROW_DAY)}, cells={"D4": '="推进中"'})
    add(
        Case(
            "a status formula without a saved value",
            args=["register", "import", formula],
            needle="D4",
        )
    )
    formula_task = _book(
        ws / "formulatask.xlsx", {5: ("推进中", "", ROW_DAY)}, cells={"A6": "=ROW()-1"}
    )
    add(
        Case(
            "a task-id formula without a saved value",
            call=lambda: register.read_status_workbook(formula_task, date=SNAP_DAY),
            needle="A6",
        )
    )
    cached = _book(ws / "cached.xlsx", {}, cells={"A8": "=ROW()-1", "D8": '="滞后"'})
    _edit(
        cached,
        "xl/worksheets/sheet1.xml",
        lambda x: x.replace(
            '<c r="A8"><f>ROW()-1</f><v />', '<c r="A8"><f>ROW()-1</f><v>7</v>'
        ).replace('<c r="D8"><f>"滞后"</f><v />', '<c r="D8" t="str"><f>"滞后"</f><v>滞后</v>'),
    )

    def cached_formulas_are_read() -> None:
        got = _reads(ws, "cached", cached)
        _expect_rows(got, {7: "滞后"}, "formulas with saved values")

    add(Case("formulas with saved values are read as shown", check=cached_formulas_are_read))
    errcell = _book(ws / "errcell.xlsx", {9: ("推进中", "x", ROW_DAY)})
    _edit(
        errcell,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(
            r'<c r="E10"[^>]*>.*?</c>', '<c r="E10" t="e"><f>#REF!+1</f><v>#REF!</v></c>', x
        ),
    )
    add(
        Case(
            "a note showing #REF!",
            call=lambda: register.read_status_workbook(errcell, date=SNAP_DAY),
            needle="E10",
        )
    )
    dup = _book(
        ws / "dupstatus.xlsx",
        {3: ("推进中", "", ROW_DAY)},
        header=[*HEADER, "状态 Status"],
        cells={"G4": "已完成"},
    )
    add(
        Case(
            "a second 状态 Status column",
            args=["register", "import", dup],
            needle="G",
        )
    )
    dup_task = _book(ws / "duptask.xlsx", {3: ("推进中", "", ROW_DAY)}, header=[*HEADER, "编号"])
    add(
        Case(
            "a second task column under its Chinese name",
            call=lambda: register.read_status_workbook(dup_task, date=SNAP_DAY),
            needle="G",
        )
    )

    # ---------------------------------------------------------------- dates
    # 60 in a date-formatted cell: Excel shows 1900-02-29, a day that never was
    serial60 = _book(ws / "serial60.xlsx", {4: ("推进中", "", 60)})
    add(
        Case(
            "Excel serial 60 (1900-02-29) as a date",
            call=lambda: register.read_status_workbook(serial60, date=SNAP_DAY),
            needle="F5",
        )
    )
    old_date = _book(ws / "olddate.xlsx", {4: ("推进中", "", dt.date(1999, 12, 31))})
    add(
        Case(
            "a date before the plan (1999-12-31)",
            args=["register", "import", old_date],
            needle="1999-12-31",
        )
    )
    mac = _book(ws / "mac.xlsx", {6: ("推进中", "", ROW_DAY)})
    # Make the workbook say 1904: the serial Excel stores now means a day 1,462 days later.
    _edit(
        mac, "xl/workbook.xml", lambda x: x.replace("<workbookPr />", '<workbookPr date1904="1" />')
    )
    with zipfile.ZipFile(mac) as z:
        serial = re.search(
            r'<c r="F7"[^>]*><v>(\d+)</v>', z.read("xl/worksheets/sheet1.xml").decode()
        )
    assert serial is not None
    new_serial = int(serial.group(1)) - 1462  # the same day in the 1904 system
    _edit(
        mac,
        "xl/worksheets/sheet1.xml",
        lambda x: re.sub(r'(<c r="F7"[^>]*><v>)\d+(</v>)', rf"\g<1>{new_serial}\g<2>", x),
    )

    def date1904_is_followed() -> None:
        got = _reads(ws, "mac", mac)
        if got.get(6, {}).get("date") != ROW_DAY.isoformat():
            raise Fault("silent", f"1904 workbook: task 6 dated {got.get(6)}, expected {ROW_DAY}")

    add(Case("the 1904 date system of a workbook", check=date1904_is_followed))
    add(
        Case(
            "--date before the plan",
            args=["register", "import", good, "--date", "2019-12-31"],
            needle="2019-12-31",
        )
    )
    add(
        Case(
            "--date 2025-02-30",
            args=["register", "import", good, "--date", "2025-02-30"],
            needle="2025-02-30",
        )
    )

    # ---------------------------------------------------------------- notes
    rlo = _book(ws / "rlo.xlsx", {8: ("推进中", "完成\u202e%05 of the work", ROW_DAY)})
    add(Case("U+202E in a note", args=["register", "import", rlo], needle="U+202E"))
    lri = _book(ws / "lri.xlsx", {8: ("推进中", "\u2066isolate", ROW_DAY)})
    add(
        Case(
            "U+2066 in a note",
            call=lambda: register.read_status_workbook(lri, date=SNAP_DAY),
            needle="U+2066",
        )
    )
    crlf = _book(ws / "crlf.xlsx", {8: ("推进中", "第一行\r\n第二行\n\n第三行", ROW_DAY)})

    def crlf_notes_are_one_line() -> None:
        got = _reads(ws, "crlf", crlf)
        note = got[8]["note"]
        if note != "第一行 第二行 第三行":
            raise Fault("silent", f"a note with line breaks is kept as {note!r}")

    add(Case("CR/LF in a note become spaces", check=crlf_notes_are_one_line))
    rlo_status = _book(ws / "rlostatus.xlsx", {8: ("推进中\u202e", "", ROW_DAY)})
    add(
        Case(
            "U+202E after a status word",
            call=lambda: register.read_status_workbook(rlo_status, date=SNAP_DAY),
            needle="row 9",
        )
    )
    half = _book(ws / "halftask.xlsx", {8: ("推进中", "", ROW_DAY)}, cells={"A9": 8.5})
    add(
        Case(
            "task 8.5",
            call=lambda: register.read_status_workbook(half, date=SNAP_DAY),
            needle="8.5",
        )
    )

    # ---------------------------------------------------------------- the public API at the door
    api: list[tuple[str, Callable[[], Any], str]] = [
        (
            "import_status(date='2025-11-20')",
            lambda: register.import_status(good, date="2025-11-20"),
            "date",
        ),
        (
            "import_status(date=20251120)",
            lambda: register.import_status(good, date=20251120),
            "date",
        ),
        (
            "import_status(date=datetime)",
            lambda: register.import_status(good, date=dt.datetime(2025, 11, 20, 9)),
            "date",
        ),
        ("import_status(None)", lambda: register.import_status(None), "path"),
        ("import_status(42)", lambda: register.import_status(42), "path"),
        (
            "read_status_workbook(date='x')",
            lambda: register.read_status_workbook(good, date="x"),
            "date",
        ),
        ("register_table('2025-11-20')", lambda: register.register_table("2025-11-20"), "as_of"),
        ("status_as_of(20251120)", lambda: register.status_as_of(20251120), "as_of"),
        (
            "changed_since_previous(datetime)",
            lambda: register.changed_since_previous(dt.datetime(2025, 11, 20)),
            "as_of",
        ),
        ("snapshots(as_of='today')", lambda: register.snapshots(as_of="today"), "as_of"),
        ("export_status(None)", lambda: register.export_status(None), "out"),
        ("export_status(as_of=1)", lambda: register.export_status(ws / "x.xlsx", as_of=1), "as_of"),
        (
            "deadline_text(deadline='2021')",
            lambda: register.deadline_text(("近期",), "2021"),
            "deadline",
        ),
        ("deadline_text(terms='近期')", lambda: register.deadline_text("近期", None), "terms"),
    ]
    for what, call, needle in api:
        add(Case(what, call=call, needle=needle))

    # ---------------------------------------------------------------- output
    mine = ws / "mine.xlsx"
    mine.write_bytes(good.read_bytes())
    add(
        Case(
            "export over an edited workbook without --force",
            args=["register", "export", "--out", mine],
            needle="mine.xlsx",
        )
    )

    # ---------------------------------------------------------------- snapshots kept
    def thousandth_sorts_after_999th() -> None:
        with _home(ws, "thousand") as home:
            folder = home / "register"
            _old_snapshot(folder, "status-2025-11-20-999", "2025-11-20", [_row(5, "推进中")])
            _old_snapshot(folder, "status-2025-11-20-1000", "2025-11-20", [_row(5, "已完成")])
            ids = list(register.snapshots()["id"])
            if ids != ["status-2025-11-20-999", "status-2025-11-20-1000"]:
                raise Fault("silent", f"snapshots listed as {ids}")
            if register.status_as_of(SNAP_DAY).at[5, "status"] != "已完成":
                raise Fault("silent", "task 5 takes its status from the 999th, not the 1,000th")
            snap = register.import_status(good, date=SNAP_DAY)
            if (
                snap.id != "status-2025-11-20-1001"
                or register.snapshots()["id"].iloc[-1] != snap.id
            ):
                raise Fault("silent", f"the next snapshot is {snap.id}, listed {ids}")

    add(
        Case(
            "the 1,000th snapshot of a day sorts after the 999th",
            check=thousandth_sorts_after_999th,
        )
    )

    def old_snapshots_load() -> None:
        with _home(ws, "old") as home:
            folder = home / "register"
            _old_snapshot(
                folder,
                "status-2025-08-25-001",
                "2025-08-25",
                [
                    _row(1, "已完成", "联席会议\n已建立", "2025-08-20"),
                    _row(6, "推进中", "\u202e选址"),
                ],
            )
            snap = register.import_status(good, date=SNAP_DAY)
            table = register.register_table(SNAP_DAY).set_index("task")
            assert list(register.snapshots()["id"]) == ["status-2025-08-25-001", snap.id]
            assert table.at[1, "status"] == "已完成" and table.at[3, "status"] == "推进中"
            assert table.at[6, "status"] == "推进中"
            notes = " ".join(table["note"])
            if "\u202e" in notes or "\n" in notes:
                raise Fault(
                    "silent", f"control characters of an old snapshot reach the table: {notes!r}"
                )
            register.export_status(ws / "homes" / "old-export.xlsx", as_of=SNAP_DAY)

    add(
        Case(
            "snapshots of earlier versions load (notes with LF and U+202E)",
            check=old_snapshots_load,
        )
    )

    for home_name, row, what in (
        ("tampered", _row(99, "推进中"), "a snapshot reporting task 99"),
        ("tampered2", _row(9, "done"), "a snapshot with an unknown status word"),
        ("tampered3", {"task": "9", "status": "推进中"}, "a snapshot row without a date"),
    ):
        folder = ws / "homes" / home_name / "register"
        _old_snapshot(folder, "status-2025-11-20-001", "2025-11-20", [row])
        add(
            Case(
                what,
                call=_in_home(ws, home_name, lambda: register.register_table(SNAP_DAY)),
                needle="status-2025-11-20-001.json",
            )
        )
    fifo_home = ws / "homes" / "fifo"
    (fifo_home / "register").mkdir(parents=True)
    os.mkfifo(fifo_home / "register" / "status-2025-11-20-001.json")
    add(
        Case(
            "a FIFO among the snapshots",
            args=["register", "show", "--as-of", "2025-11-21"],
            needle="status-2025-11-20-001.json",
            subprocess=True,
            timeout=20,
            env={"SANQU_GEO_HOME": str(fifo_home)},
        )
    )

    # ---------------------------------------------------------------- kills between writes
    add(
        Case(
            "killed while the snapshot is written",
            check=_kill_case(ws, "kill-write", "os.fsync = die", new_allowed=False),
        )
    )
    add(
        Case(
            "killed just before the snapshot is committed",
            check=_kill_case(
                ws,
                "kill-commit",
                "os.link = die; os.replace = die; os.rename = die",
                new_allowed=False,
            ),
        )
    )
    add(
        Case(
            "killed just after the snapshot is committed",
            check=_kill_case(
                ws,
                "kill-after",
                "import pathlib\n"
                "_link, _replace = os.link, os.replace\n"
                "def link(*a, **k):\n"
                "    _link(*a, **k); die()\n"
                "def replace(*a, **k):\n"
                "    _replace(*a, **k); die()\n"
                "os.link = link; os.replace = replace",
                new_allowed=True,
            ),
        )
    )
    return out
