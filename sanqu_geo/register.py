"""The register of the plan's 40 tasks and the office's status snapshots.

Owns the tasks (embedded ``plan/tasks.csv``), the status workbook the office edits, and the
snapshots kept in the user folder (one file per import, never overwritten), from which it
answers what is overdue and what changed since the previous meeting. It never draws maps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sanqu_geo import layers, settings
from sanqu_geo._atomic import _remove_stale, _tmp_prefix, atomic_path
from sanqu_geo._inputs import MB, check_input_file
from sanqu_geo._safe import control_character, spreadsheet_text_cells
from sanqu_geo.errors import DataSourceError, RegisterError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "AREAS",
    "COLUMNS",
    "DEADLINES",
    "EARLIEST_DATE",
    "MAX_SNAPSHOT_BYTES",
    "MAX_WORKBOOK_BYTES",
    "MAX_WORKBOOK_UNPACKED_BYTES",
    "MAX_WORKBOOK_XML_BYTES",
    "STATUSES",
    "Snapshot",
    "changed_since_previous",
    "deadline_text",
    "export_status",
    "import_status",
    "load_tasks",
    "read_status_workbook",
    "register_table",
    "snapshots",
    "snapshots_folder",
    "status_as_of",
    "summary",
]

#: Status words the office uses, with their English meaning.
STATUSES: dict[str, str] = {
    "未启动": "not started",
    "推进中": "in progress",
    "已完成": "done",
    "滞后": "delayed",
}

#: The plan's deadline terms: the last day of the term's year (中远期 gives no year).
DEADLINES: dict[str, _dt.date | None] = {
    term: (_dt.date(year, 12, 31) if year else None) for term, year in layers.PHASES.items()
}

#: The four areas a task may concern: code -> (中文, English).
AREAS: dict[str, tuple[str, str]] = {
    "ftz": ("自贸区哈尔滨片区(新区)", "FTZ Harbin area (New Area)"),
    "cbz": ("综合保税区", "bonded zone"),
    "airport": ("临空经济区", "airport economic zone"),
    "inland_port": ("内陆港", "inland port"),
}

_TASKS_FILE = "plan/tasks.csv"
_N_TASKS = layers.PLAN_TASKS

#: Columns of the status workbook: key -> (中文, English). The header of a column is
#: "中文 English"; on import either word alone is recognised too.
COLUMNS: dict[str, tuple[str, str]] = {
    "task": ("编号", "Task"),
    "title": ("任务", "Title"),
    "deadline": ("期限", "Deadline"),
    "status": ("状态", "Status"),
    "note": ("进展说明", "Note"),
    "date": ("日期", "Date"),
}
_REQUIRED = ("task", "status", "note", "date")
_SHEET = "状态 Status"

#: Largest status workbook read, bytes (a filled-in register of 40 tasks is about 15 kB).
MAX_WORKBOOK_BYTES: int = 20 * MB
#: Largest content of a status workbook once unpacked, bytes (an .xlsx is a zip: this bounds
#: the memory a small file may claim, pictures included).
MAX_WORKBOOK_UNPACKED_BYTES: int = 64 * MB
#: Largest XML of a status workbook once unpacked, bytes (the 40 tasks with long notes take
#: well under 1 MB; this bounds the time spent parsing cells).
MAX_WORKBOOK_XML_BYTES: int = 8 * MB
#: Largest snapshot file read, bytes (a snapshot of 40 tasks is a few kB).
MAX_SNAPSHOT_BYTES: int = 4 * MB
#: No status is reported before this day: the plan dates from 2021.
EARLIEST_DATE = _dt.date(2020, 1, 1)

_SNAPSHOT_NAME = re.compile(r"status-(\d{4}-\d{2}-\d{2})-(\d{3,})\.json")
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x85\u2028\u2029]+")


# --------------------------------------------------------------------------- arguments


def _check_day(value: Any, name: str) -> _dt.date | None:
    """``value`` if it is a ``datetime.date`` or None; a clear error naming ``name`` if not."""
    if value is None or (isinstance(value, _dt.date) and not isinstance(value, _dt.datetime)):
        return value
    if isinstance(value, _dt.datetime):
        msg = f"{name}={value!r} is a datetime; give a datetime.date (e.g. {name}=value.date())"
    else:
        msg = (
            f"{name}={value!r} is a {type(value).__name__}; give a datetime.date "
            f"(e.g. {name}=datetime.date(2025, 11, 20)) or None"
        )
    raise RegisterError(msg)


def _check_path(value: Any, name: str) -> Path:
    """``value`` as a path if it is a ``str`` or path-like of ``str``; a clear error if not."""
    if isinstance(value, str | os.PathLike):
        with contextlib.suppress(TypeError):
            return Path(value)
    msg = f"{name}={value!r} is a {type(value).__name__}; give a file path (str or pathlib.Path)"
    raise RegisterError(msg)


# --------------------------------------------------------------------------- tasks


def load_tasks() -> pd.DataFrame:
    """Return the plan's 40 tasks, with whether each has a location on the map.

    Returns
    -------
    pandas.DataFrame
        One row per task, indexed 1–40 by ``task``, with ``section`` (e.g. ``三``),
        ``subsection`` (e.g. ``（三）``), ``terms`` (tuple of the deadline terms the plan gives
        the task, in order), ``term`` (the last of them), ``deadline`` (date, or None for
        中远期), ``term_source`` (where the term comes from when not the task's sub-section),
        ``areas`` (tuple of :data:`AREAS` codes), ``title_zh``, ``title_en``, ``features``
        (ids of the ``projects`` features of the task) and ``located`` (any of them drawn).

    Raises
    ------
    DataSourceError
        When the embedded task list is damaged.
    """
    path = data_file(_TASKS_FILE)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    tasks = pd.DataFrame(
        {
            "task": pd.to_numeric(raw["task"], errors="coerce").astype("Int64"),
            "section": raw["section"],
            "subsection": raw["subsection"],
            "terms": [tuple(t.split(";")) for t in raw["terms"]],
            "term_source": raw["term_source"],
            "areas": [tuple(a.split(";")) for a in raw["areas"]],
            "title_zh": raw["title_zh"],
            "title_en": raw["title_en"],
        }
    )
    problems = []
    if tasks["task"].tolist() != list(range(1, _N_TASKS + 1)):
        problems.append(f"tasks are not numbered 1–{_N_TASKS} in order")
    for row in tasks.itertuples():
        if not row.terms or not set(row.terms) <= set(DEADLINES):
            problems.append(f"task {row.task}: terms {row.terms}")
        if not row.areas or not set(row.areas) <= set(AREAS):
            problems.append(f"task {row.task}: areas {row.areas}")
    if problems:
        msg = f"{path}: damaged task list ({'; '.join(problems)}); reinstall sanqu-geo"
        raise DataSourceError(msg)
    tasks["term"] = [t[-1] for t in tasks["terms"]]
    tasks["deadline"] = [DEADLINES[t] for t in tasks["term"]]
    projects = layers.load_layer("projects")
    features: dict[int, list[str]] = {}
    located: dict[int, bool] = {}
    for pid, item, geom in zip(projects["id"], projects["item"], projects.geometry, strict=True):
        if pd.isna(item):
            continue
        features.setdefault(int(item), []).append(str(pid))
        drawn = geom is not None and not geom.is_empty
        located[int(item)] = located.get(int(item), False) or drawn
    tasks["features"] = [tuple(features.get(int(t), ())) for t in tasks["task"]]
    tasks["located"] = [located.get(int(t), False) for t in tasks["task"]]
    return tasks.set_index("task", drop=False)


def summary() -> pd.DataFrame:
    """Count the tasks by their (final) deadline term, and how many have a map location.

    Returns
    -------
    pandas.DataFrame
        One row per term in the plan's order plus a total row: ``term``, ``deadline``
        (ISO date or ``""``), ``tasks``, ``located``.
    """
    tasks = load_tasks()
    rows = []
    for term, deadline in DEADLINES.items():
        part = tasks[tasks["term"] == term]
        rows.append(
            {
                "term": term,
                "deadline": deadline.isoformat() if deadline else "",
                "tasks": len(part),
                "located": int(part["located"].sum()),
            }
        )
    rows.append(
        {
            "term": "合计 total",
            "deadline": "",
            "tasks": len(tasks),
            "located": int(tasks["located"].sum()),
        }
    )
    return pd.DataFrame(rows)


def deadline_text(terms: tuple[str, ...], deadline: _dt.date | None) -> str:
    """The deadline as a person reads it, e.g. ``近期/中期 2022-12-31`` or ``中远期 (无年份)``.

    Parameters
    ----------
    terms : tuple of str
        The task's terms.
    deadline : datetime.date or None
        Its final deadline.

    Returns
    -------
    str
        The text.

    Raises
    ------
    RegisterError
        When ``terms`` is not a sequence of the plan's terms or ``deadline`` not a date.
    """
    if (
        isinstance(terms, str)
        or not isinstance(terms, Sequence)
        or not all(isinstance(t, str) for t in terms)
    ):
        msg = f"terms={terms!r}: give a tuple of the plan's terms, e.g. ('近期', '中期')"
        raise RegisterError(msg)
    deadline = _check_day(deadline, "deadline")
    words = "/".join(terms)
    return f"{words} {deadline.isoformat()}" if deadline else f"{words} (无年份 no year)"


# --------------------------------------------------------------------------- snapshots


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """One imported status workbook.

    Attributes
    ----------
    id : str
        The snapshot's file stem, e.g. ``status-2026-11-20-001``.
    date : datetime.date
        The date the snapshot stands for (the meeting or reporting date).
    imported : str
        When it was imported (ISO timestamp, local time).
    source : str
        The workbook's file name.
    rows : tuple of dict
        ``task``, ``status``, ``note``, ``date`` (ISO) of every task it reports.
    """

    id: str
    date: _dt.date
    imported: str
    source: str
    rows: tuple[dict[str, Any], ...]


def snapshots_folder() -> Path:
    """Return the folder where status snapshots are kept (not created here).

    Returns
    -------
    pathlib.Path
        ``<home>/register`` (see :func:`sanqu_geo.settings.get_home_folder`).
    """
    return settings.get_home_folder() / "register"


def _clean_note(text: str) -> str:
    """A note on one line: line breaks and tabs become one space."""
    return _LINE_BREAKS.sub(" ", text).strip()


def _snapshot_rows(data: Any) -> tuple[dict[str, Any], ...]:
    """The rows of a snapshot's JSON, checked; a ValueError says what is wrong."""
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ValueError("no list of rows")
    out = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError(f"row {row!r} is not an object")
        task, status, note = row.get("task"), row.get("status"), row.get("note", "")
        if isinstance(task, bool) or not isinstance(task, int) or not 1 <= task <= _N_TASKS:
            raise ValueError(f"task {task!r} is not a task of the plan (1–{_N_TASKS})")
        if status not in STATUSES:
            raise ValueError(f"task {task}: status {status!r} is not one of {', '.join(STATUSES)}")
        if not isinstance(note, str):
            raise ValueError(f"task {task}: note {note!r} is not text")
        day = _dt.date.fromisoformat(str(row.get("date")))
        # earlier versions kept line breaks and direction marks in notes: read them clean
        clean = "".join(c for c in _clean_note(note) if control_character(c) is None)
        out.append({"task": task, "status": status, "note": clean, "date": day.isoformat()})
    return tuple(out)


def _read_snapshot(path: Path) -> Snapshot:
    check_input_file(path, what="status snapshot", max_bytes=MAX_SNAPSHOT_BYTES)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Snapshot(
            id=path.stem,
            date=_dt.date.fromisoformat(data["date"]),
            imported=str(data["imported"]),
            source=str(data["source"]),
            rows=_snapshot_rows(data),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"status snapshot {path} cannot be read ({exc}); move it out of {path.parent}"
        raise DataSourceError(msg) from exc


def _sequence(path: Path) -> tuple[str, int] | None:
    """The date and sequence number in a snapshot's file name, or None for another file."""
    match = _SNAPSHOT_NAME.fullmatch(path.name)
    return (match.group(1), int(match.group(2))) if match else None


def _all_snapshots() -> list[Snapshot]:
    folder = snapshots_folder()
    if not folder.is_dir():
        return []
    named = []
    for path in folder.iterdir():
        key = _sequence(path)
        if key is None:
            if path.name.startswith("status-"):
                logger.warning(
                    "%s: not a snapshot name (status-YYYY-MM-DD-NNN.json); skipped", path
                )
            continue
        named.append((key[1], path))
    found = [(_read_snapshot(path), seq) for seq, path in named]
    # by date, then import sequence as a number (the 1,000th after the 999th)
    return [snap for snap, _ in sorted(found, key=lambda item: (item[0].date, item[1]))]


def snapshots(*, as_of: _dt.date | None = None) -> pd.DataFrame:
    """List the kept snapshots, oldest first.

    Parameters
    ----------
    as_of : datetime.date, optional
        Only snapshots dated on or before this day.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``date``, ``imported``, ``source``, ``tasks`` (how many tasks it reports).

    Raises
    ------
    RegisterError
        When ``as_of`` is not a date.
    DataSourceError
        When a kept snapshot cannot be read.
    """
    as_of = _check_day(as_of, "as_of")
    kept = [s for s in _all_snapshots() if as_of is None or s.date <= as_of]
    return pd.DataFrame(
        [
            {
                "id": s.id,
                "date": s.date,
                "imported": s.imported,
                "source": s.source,
                "tasks": len(s.rows),
            }
            for s in kept
        ],
        columns=["id", "date", "imported", "source", "tasks"],
    )


def _state(kept: list[Snapshot]) -> dict[int, dict[str, Any]]:
    """Each task's latest reported status over ``kept`` (oldest first)."""
    state: dict[int, dict[str, Any]] = {}
    for snap in kept:
        for row in snap.rows:
            state[int(row["task"])] = {**row, "snapshot": snap.id}
    return state


def status_as_of(as_of: _dt.date | None = None) -> pd.DataFrame:
    """Each task's status as of a day: its latest report in a snapshot dated on or before it.

    Parameters
    ----------
    as_of : datetime.date, optional
        The day (default: today).

    Returns
    -------
    pandas.DataFrame
        Indexed by task 1–40: ``status`` (``""`` when never reported), ``note``,
        ``status_date`` (date or None) and ``snapshot`` (id or ``""``).

    Raises
    ------
    RegisterError
        When ``as_of`` is not a date.
    """
    as_of = _check_day(as_of, "as_of") or _dt.date.today()
    state = _state([s for s in _all_snapshots() if s.date <= as_of])
    rows = []
    for task in range(1, _N_TASKS + 1):
        got = state.get(task, {})
        rows.append(
            {
                "task": task,
                "status": got.get("status", ""),
                "note": got.get("note", ""),
                "status_date": _dt.date.fromisoformat(got["date"]) if got.get("date") else None,
                "snapshot": got.get("snapshot", ""),
            }
        )
    return pd.DataFrame(rows).set_index("task", drop=False)


def changed_since_previous(as_of: _dt.date | None = None) -> pd.DataFrame:
    """Tasks whose status changed with the latest snapshot (on or before ``as_of``).

    The status before is each task's state over all earlier snapshots; a task the latest
    snapshot does not report keeps its status and has not changed.

    Parameters
    ----------
    as_of : datetime.date, optional
        The day (default: today).

    Returns
    -------
    pandas.DataFrame
        ``task``, ``title_zh``, ``title_en``, ``before`` (``""`` when never reported),
        ``after``, ``note``; empty when fewer than two snapshots are kept.

    Raises
    ------
    RegisterError
        When ``as_of`` is not a date.
    """
    as_of = _check_day(as_of, "as_of") or _dt.date.today()
    kept = [s for s in _all_snapshots() if s.date <= as_of]
    columns = ["task", "title_zh", "title_en", "before", "after", "note"]
    if len(kept) < 2:
        return pd.DataFrame(columns=columns)
    before = _state(kept[:-1])
    tasks = load_tasks()
    rows = []
    for row in kept[-1].rows:
        task = int(row["task"])
        old = before.get(task, {}).get("status", "")
        if old != row["status"]:
            rows.append(
                {
                    "task": task,
                    "title_zh": tasks.at[task, "title_zh"],
                    "title_en": tasks.at[task, "title_en"],
                    "before": old,
                    "after": row["status"],
                    "note": row.get("note", ""),
                }
            )
    return pd.DataFrame(rows, columns=columns).sort_values("task").reset_index(drop=True)


def register_table(as_of: _dt.date | None = None) -> pd.DataFrame:
    """All 40 tasks with their status as of a day, overdue and changed marks.

    Parameters
    ----------
    as_of : datetime.date, optional
        The day (default: today). A task is overdue when its final deadline is before this
        day and its status is not 已完成 (a task never reported counts as not done); 中远期
        tasks have no deadline and are never overdue.

    Returns
    -------
    pandas.DataFrame
        One row per task (1–40): ``task``, ``section`` (e.g. ``三（三）``), ``title_zh``,
        ``title_en``, ``terms``, ``term``, ``deadline``, ``deadline_text``, ``areas``
        (Chinese names joined by ``、``), ``located``, ``status``, ``note``, ``status_date``,
        ``overdue``, ``changed`` (in the latest snapshot).

    Raises
    ------
    RegisterError
        When ``as_of`` is not a date.
    """
    as_of = _check_day(as_of, "as_of") or _dt.date.today()
    tasks = load_tasks()
    status = status_as_of(as_of)
    changed = set(changed_since_previous(as_of)["task"].astype(int))
    table = pd.DataFrame(
        {
            "task": tasks["task"].astype(int),
            "section": tasks["section"] + tasks["subsection"],
            "title_zh": tasks["title_zh"],
            "title_en": tasks["title_en"],
            "terms": ["/".join(t) for t in tasks["terms"]],
            "term": tasks["term"],
            "deadline": tasks["deadline"],
            "deadline_text": [
                deadline_text(t, d) for t, d in zip(tasks["terms"], tasks["deadline"], strict=True)
            ],
            "areas": ["、".join(AREAS[a][0] for a in codes) for codes in tasks["areas"]],
            "located": tasks["located"],
            "status": status["status"],
            "note": status["note"],
            "status_date": status["status_date"],
        }
    )
    table["overdue"] = [
        d is not None and d < as_of and s != "已完成"
        for d, s in zip(table["deadline"], table["status"], strict=True)
    ]
    table["changed"] = table["task"].isin(changed)
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- workbook


def _header(key: str) -> str:
    zh, en = COLUMNS[key]
    return f"{zh} {en}"


def export_status(
    out: str | os.PathLike[str], *, as_of: _dt.date | None = None, force: bool = False
) -> Path:
    """Write the status workbook the office edits: one row per task, prefilled.

    The status column offers a drop-down of :data:`STATUSES`; status, note and date are
    prefilled with each task's latest report as of ``as_of``.

    Parameters
    ----------
    out : path-like
        The ``.xlsx`` file (written atomically).
    as_of : datetime.date, optional
        Prefill with the status as of this day (default: today).
    force : bool
        Replace ``out`` if it exists (it may be a filled-in workbook not yet imported).

    Returns
    -------
    pathlib.Path
        The written file.

    Raises
    ------
    RegisterError
        When ``out`` is not an ``.xlsx`` path, exists without ``force``, or ``as_of`` is not a
        date.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    out = _check_path(out, "out")
    as_of = _check_day(as_of, "as_of")
    if out.suffix.casefold() != ".xlsx":
        msg = f"--out {out.name!r}: the status workbook must be an .xlsx file"
        raise RegisterError(msg)
    if out.is_dir():
        msg = f"--out {out}: is a folder; give the name of the .xlsx file to write"
        raise RegisterError(msg)
    if (out.exists() or out.is_symlink()) and not force:
        msg = (
            f"--out {out}: already exists (it may hold statuses not yet imported); import it "
            "first, give another name, or pass --force to replace it"
        )
        raise RegisterError(msg)
    table = register_table(as_of)
    wb = Workbook()
    ws = wb.active
    ws.title = _SHEET
    keys = list(COLUMNS)
    ws.append([_header(k) for k in keys])
    for row in table.itertuples():
        ws.append(
            [
                row.task,
                f"{row.title_zh} {row.title_en}",
                row.deadline_text,
                row.status or None,
                row.note or None,
                row.status_date,
            ]
        )
    last = len(table) + 1
    words = ",".join(STATUSES)
    dv = DataValidation(
        type="list",
        formula1=f'"{words}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="状态 Status",
        error=f"请选择 Choose one of: {words}",
        promptTitle="状态 Status",
        prompt=" / ".join(f"{zh} {en}" for zh, en in STATUSES.items()),
    )
    dv.add(f"D2:D{last}")
    ws.add_data_validation(dv)
    for cell in ws["F"][1:]:
        cell.number_format = "yyyy-mm-dd"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
    for letter, width in zip("ABCDEF", (10, 52, 26, 12, 48, 14), strict=True):
        ws.column_dimensions[letter].width = width
    for cell in ws["E"][1:]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "C2"
    spreadsheet_text_cells(ws)  # a note that starts with "=" stays text
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return out


def _parse_date(value: Any, where: str) -> _dt.date:
    if isinstance(value, _dt.datetime):
        day = value.date()
    elif isinstance(value, _dt.date):
        day = value
    else:
        text = str(value).strip()
        try:
            day = _dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
        except ValueError:
            msg = f"{where}: date {text!r} is not a date; write it as YYYY-MM-DD"
            raise RegisterError(msg) from None
    if day < EARLIEST_DATE:
        msg = (
            f"{where}: date {day.isoformat()} is before {EARLIEST_DATE.isoformat()}, earlier "
            "than the plan; give the day the status was reported as YYYY-MM-DD"
        )
        raise RegisterError(msg)
    return day


def _parse_task(value: Any, where: str) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if isinstance(value, bool) or not (
        number == number and number.is_integer() and 1 <= number <= _N_TASKS
    ):
        msg = f"{where}: task {value!r} is not a task of the plan (1–{_N_TASKS}); fix the number"
        raise RegisterError(msg)
    return int(number)


def _column_map(header: tuple[Any, ...], name: str) -> dict[str, int]:
    from openpyxl.utils import get_column_letter

    found: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        text = " ".join(str(cell or "").split()).casefold()
        for key, (zh, en) in COLUMNS.items():
            if text in {_header(key).casefold(), zh.casefold(), en.casefold()}:
                found.setdefault(key, []).append(i)
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        cols = ", ".join(repr(_header(k)) for k in missing)
        msg = (
            f"{name} row 1: column {cols} is missing; use the workbook from "
            "`sanqu-geo register export` (columns: " + ", ".join(_header(k) for k in COLUMNS) + ")"
        )
        raise RegisterError(msg)
    for key in _REQUIRED:
        if len(found[key]) > 1:
            letters = " and ".join(get_column_letter(i + 1) for i in found[key])
            msg = (
                f"{name} row 1: columns {letters} have the same header {_header(key)!r}; which "
                "one to read is unclear: delete or rename all but one"
            )
            raise RegisterError(msg)
    return {key: columns[0] for key, columns in found.items()}


def _sheet_names(wb: Any) -> str:
    return ", ".join(
        repr(ws.title) + ("" if ws.sheet_state == "visible" else f" ({ws.sheet_state})")
        for ws in wb.worksheets
    )


def _status_sheet(wb: Any, name: str) -> Any:
    """The visible sheet named :data:`_SHEET` (the one Excel shows), or a clear error."""

    def norm(title: str) -> str:
        return " ".join(title.split()).casefold()

    named = [ws for ws in wb.worksheets if norm(ws.title) == norm(_SHEET)]
    visible = [ws for ws in named if ws.sheet_state == "visible"]
    if len(visible) == 1:
        return visible[0]
    if named and not visible:
        msg = (
            f"{name}: the sheet {_SHEET!r} is hidden (sheets: {_sheet_names(wb)}); unhide it in "
            "Excel, or delete it if the statuses are on another sheet and give that one its name"
        )
    elif visible:
        msg = f"{name}: {len(visible)} sheets are named {_SHEET!r}; keep one"
    else:
        msg = (
            f"{name}: no sheet is named {_SHEET!r} (sheets: {_sheet_names(wb)}); rename the "
            "sheet holding the statuses, or use the workbook from `sanqu-geo register export`"
        )
    raise RegisterError(msg)


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _raw_cells(archive: zipfile.ZipFile, part: str) -> tuple[set[str], set[str]]:
    """Cells of a sheet's XML with a formula but no saved value, and cells holding serial 60.

    openpyxl reads a formula without a saved value as an empty cell, and serial 60 (Excel's
    1900-02-29, a day that never was) as 1900-02-28; the file itself tells them apart.
    """
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.utils.cell import coordinate_from_string

    unsaved: set[str] = set()
    sixty: set[str] = set()
    row = col = 0
    with archive.open(part) as fh:
        for event, elem in iterparse(fh, events=("start", "end")):
            if event == "start":
                if elem.tag == f"{_MAIN_NS}row":
                    row = int(elem.get("r") or row + 1)
                    col = 0
                continue
            if elem.tag != f"{_MAIN_NS}c":
                if elem.tag == f"{_MAIN_NS}row":
                    elem.clear()
                continue
            ref = elem.get("r")
            if ref:
                letters, row = coordinate_from_string(ref)
                coord = ref
                col = column_index_from_string(letters)
            else:
                col += 1
                coord = f"{get_column_letter(col)}{row}"
            value = elem.find(f"{_MAIN_NS}v")
            text = None if value is None else value.text
            if elem.find(f"{_MAIN_NS}f") is not None and not text:
                unsaved.add(coord)
            if elem.get("t", "n") == "n" and text:
                with contextlib.suppress(ValueError):
                    if 60 <= float(text) < 61:
                        sixty.add(coord)
    return unsaved, sixty


def _is_xml(name: str) -> bool:
    return name.casefold().endswith((".xml", ".rels", ".vml"))


def _open_workbook(path: Path) -> tuple[Any, set[str], set[str]]:
    """Load a status workbook whole (no trust in ``<dimension>``), with its raw cell facts."""
    from openpyxl.reader.excel import ExcelReader

    name = path.name
    check_input_file(
        path,
        what="status workbook",
        max_bytes=MAX_WORKBOOK_BYTES,
        hint="give the status workbook exported by `sanqu-geo register export`",
    )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
        for kind, size, limit in (
            ("", sum(i.file_size for i in infos), MAX_WORKBOOK_UNPACKED_BYTES),
            (
                " of XML",
                sum(i.file_size for i in infos if _is_xml(i.filename)),
                MAX_WORKBOOK_XML_BYTES,
            ),
        ):
            if size > limit:
                msg = (
                    f"{path}: unpacks to {size / MB:,.0f} MB{kind}, more than the "
                    f"{limit / MB:,.0f} MB a status workbook may have; check that this is the "
                    "right file"
                )
                raise DataSourceError(msg)
        reader = ExcelReader(path, read_only=False, data_only=True)
        reader.read()
        wb = reader.wb
        parts = {sheet.name: rel.target for sheet, rel in reader.parser.find_sheets()}
        ws = _status_sheet(wb, name)
        with zipfile.ZipFile(path) as archive:
            unsaved, sixty = _raw_cells(archive, parts[ws.title])
    except (DataSourceError, RegisterError):
        raise
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot be read as an .xlsx workbook ({first}); save it from Excel as .xlsx"
        raise DataSourceError(msg) from exc
    return ws, unsaved, sixty


def _merged_values(ws: Any, cols: dict[str, int], name: str) -> dict[tuple[int, int], Any]:
    """What Excel shows in each merged cell of a read column: the top-left cell's value.

    A merge across columns that covers a read column is refused: which column its value
    belongs to is unclear.
    """
    read = {i + 1: key for key, i in cols.items() if key in _REQUIRED}
    shown: dict[tuple[int, int], Any] = {}
    for merge in ws.merged_cells.ranges:
        covered = [c for c in range(merge.min_col, merge.max_col + 1) if c in read]
        if not covered:
            continue
        if merge.max_col > merge.min_col:
            what = " and ".join(repr(_header(read[c])) for c in covered)
            msg = (
                f"{name}: cells {merge.coord} are merged across columns, over {what}; unmerge "
                "them in Excel and give each cell its own value"
            )
            raise RegisterError(msg)
        value = ws.cell(merge.min_row, merge.min_col).value
        for r in range(merge.min_row, merge.max_row + 1):
            shown[(r, merge.min_col)] = (value, merge.coord)
    return shown


def read_status_workbook(
    path: str | os.PathLike[str], *, date: _dt.date | None = None
) -> list[dict[str, Any]]:
    """Read and check a status workbook; return the rows that report a status.

    The workbook is read as Excel shows it: the visible sheet named ``状态 Status``; every row
    (whatever range the file declares); a merged cell as the value of its top-left cell;
    formulas by their saved values; dates in the workbook's date system. A note's line
    breaks become spaces.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file (at most :data:`MAX_WORKBOOK_BYTES`).
    date : datetime.date, optional
        The snapshot's date (default: today); no row may be dated after it.

    Returns
    -------
    list of dict
        ``task``, ``status``, ``note``, ``date`` (ISO) per reported task; rows with an empty
        status are not reports and are skipped.

    Raises
    ------
    RegisterError
        On the first bad row or cell: an unknown task number or status word, a date after
        the snapshot's or before :data:`EARLIEST_DATE`, a task given twice, a formula without
        a saved value, an error value, a control or text-direction character in a note, cells
        merged across columns; or a missing, hidden or repeated sheet or column. The message
        names the row or cell.
    DataSourceError
        When the file is not a regular file, is too large, or is not an ``.xlsx`` workbook.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import WINDOWS_EPOCH

    path = _check_path(path, "path")
    date = _check_day(date, "date") or _dt.date.today()
    name = path.name
    ws, unsaved, sixty = _open_workbook(path)
    header = tuple(c.value for c in next(ws.iter_rows(min_row=1, max_row=1), ()))
    cols = _column_map(header, name)
    merged = _merged_values(ws, cols, name)
    windows_epoch = ws.parent.epoch == WINDOWS_EPOCH
    reports: list[dict[str, Any]] = []
    seen: dict[int, int] = {}
    for number in range(1, ws.max_row + 1):
        values: dict[str, Any] = {}
        for key in _REQUIRED:
            column = cols[key] + 1
            coord = f"{get_column_letter(column)}{number}"
            if (number, column) in merged:
                value, _ = merged[(number, column)]
            else:
                cell = ws.cell(number, column)
                value = cell.value
                if cell.data_type == "e":
                    msg = (
                        f"{name} cell {coord} ({_header(key)}): shows the error {value}; fix "
                        "it in Excel"
                    )
                    raise RegisterError(msg)
            if coord in unsaved:
                msg = (
                    f"{name} cell {coord} ({_header(key)}): a formula without a saved value; "
                    "open and save the file in Excel, then import it again"
                )
                raise RegisterError(msg)
            shown_as_day = isinstance(value, _dt.datetime)  # a date-formatted cell
            if key == "date" and coord in sixty and windows_epoch and shown_as_day:
                msg = (
                    f"{name} cell {coord}: Excel shows 1900-02-29, a day that never was (its "
                    "1900 leap-year bug); type the day the status was reported as YYYY-MM-DD"
                )
                raise RegisterError(msg)
            values[key] = value
        if number == 1 or all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        where = f"{name} row {number}"
        task = _parse_task(values["task"], where)
        status_value = values["status"]
        status = "" if status_value is None else str(status_value).strip()
        if not status:
            continue
        if status not in STATUSES:
            msg = (
                f"{where}: status {status!r} is not one of {', '.join(STATUSES)}; "
                "choose it from the drop-down"
            )
            raise RegisterError(msg)
        if task in seen:
            task_cell = (number, cols["task"] + 1)
            why = (
                f" (cells {merged[task_cell][1]} are merged: unmerge them and give each row "
                "its task)"
                if task_cell in merged
                else ""
            )
            msg = f"{where}: task {task} is given again (first in row {seen[task]}){why}; keep one row"
            raise RegisterError(msg)
        seen[task] = number
        raw_date = values["date"]
        when = (
            date
            if raw_date is None or str(raw_date).strip() == ""
            else _parse_date(raw_date, where)
        )
        if when > date:
            msg = (
                f"{where}: date {when.isoformat()} is in the future (after "
                f"{date.isoformat()}); give the day the status was reported"
            )
            raise RegisterError(msg)
        note = "" if values["note"] is None else _clean_note(str(values["note"]))
        if (bad := control_character(note)) is not None:
            msg = (
                f"{where}: the note holds {bad}, a control or text-direction character that "
                "can disguise what a reader sees; delete it in Excel"
            )
            raise RegisterError(msg)
        reports.append({"task": task, "status": status, "note": note, "date": when.isoformat()})
    return reports


def _keep(folder: Path, date: _dt.date, payload: str) -> Path:
    """Write a new snapshot file under a fresh name; an existing file is never replaced.

    The snapshot is written whole to a temporary file, then linked to its name in one step:
    a run killed before the link leaves the register as it was (the next run removes the
    temporary), one killed after it has kept the whole snapshot.
    """
    folder.mkdir(parents=True, exist_ok=True)
    _remove_stale(folder, "status")  # temporaries of imports that were killed
    day = date.isoformat()
    taken = [key[1] for p in folder.iterdir() if (key := _sequence(p)) and key[0] == day]
    seq = max(taken, default=0) + 1
    prefix = _tmp_prefix("status")
    fd, tmp_name = tempfile.mkstemp(prefix=prefix, suffix=".json", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        for _ in range(1_000):  # other imports may take names at the same time
            target = folder / f"status-{day}-{seq:03d}.json"
            try:
                os.link(tmp, target)  # fails if the name exists: no overwrite, no race
            except FileExistsError:
                seq += 1
                continue
            _sync_folder(folder)
            return target
        msg = f"{folder}: no free snapshot name for {day}; check the folder"
        raise RegisterError(msg)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a new name in ``folder`` durable (where the system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def import_status(path: str | os.PathLike[str], *, date: _dt.date | None = None) -> Snapshot:
    """Check a status workbook and keep it as a new snapshot; nothing changes if it is bad.

    Parameters
    ----------
    path : path-like
        The workbook (from :func:`export_status`, edited).
    date : datetime.date, optional
        The date the snapshot stands for (default: today); it may not be in the future nor
        before :data:`EARLIEST_DATE`.

    Returns
    -------
    Snapshot
        The kept snapshot.

    Raises
    ------
    RegisterError
        For a bad workbook (see :func:`read_status_workbook`) or a bad ``date``.
    DataSourceError
        When the workbook cannot be read.
    """
    path = _check_path(path, "path")
    date = _check_day(date, "date")
    today = _dt.date.today()
    date = date or today
    if date > today:
        msg = f"--date {date.isoformat()} is in the future (today is {today.isoformat()})"
        raise RegisterError(msg)
    if date < EARLIEST_DATE:
        msg = (
            f"--date {date.isoformat()} is before {EARLIEST_DATE.isoformat()}, earlier than "
            "the plan; give the day the snapshot stands for"
        )
        raise RegisterError(msg)
    rows = read_status_workbook(path, date=date)
    if not rows:
        msg = (
            f"{path.name}: no row has a status; fill the column {_header('status')!r} "
            f"({', '.join(STATUSES)}) before importing"
        )
        raise RegisterError(msg)
    imported = _dt.datetime.now().replace(microsecond=0).isoformat()
    payload = json.dumps(
        {"date": date.isoformat(), "imported": imported, "source": path.name, "rows": rows},
        ensure_ascii=False,
        indent=1,
    )
    target = _keep(snapshots_folder(), date, payload)
    logger.info("kept %d task statuses as %s", len(rows), target)
    return _read_snapshot(target)
