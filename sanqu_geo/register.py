"""The register of the plan's 40 tasks and the office's status snapshots.

Owns the tasks (embedded ``plan/tasks.csv``), the status workbook the office edits, and the
snapshots kept in the user folder (one file per import, never overwritten), from which it
answers what is overdue and what changed since the previous meeting. It never draws maps.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from sanqu_geo import layers, settings
from sanqu_geo._atomic import atomic_path
from sanqu_geo._safe import spreadsheet_text_cells
from sanqu_geo.errors import DataSourceError, RegisterError
from sanqu_geo.resources import data_file

logger = logging.getLogger(__name__)

__all__ = [
    "AREAS",
    "COLUMNS",
    "DEADLINES",
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
    """
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


def _read_snapshot(path: Path) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Snapshot(
            id=path.stem,
            date=_dt.date.fromisoformat(data["date"]),
            imported=str(data["imported"]),
            source=str(data["source"]),
            rows=tuple(data["rows"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"status snapshot {path} cannot be read ({exc}); move it out of {path.parent}"
        raise DataSourceError(msg) from exc


def _all_snapshots() -> list[Snapshot]:
    folder = snapshots_folder()
    if not folder.is_dir():
        return []
    found = [_read_snapshot(p) for p in sorted(folder.glob("status-*.json"))]
    # file names sort by date then import sequence
    return sorted(found, key=lambda s: (s.date, s.id))


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
    """
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
    """
    as_of = as_of or _dt.date.today()
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
    """
    as_of = as_of or _dt.date.today()
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
    """
    as_of = as_of or _dt.date.today()
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


def export_status(out: str | os.PathLike[str], *, as_of: _dt.date | None = None) -> Path:
    """Write the status workbook the office edits: one row per task, prefilled.

    The status column offers a drop-down of :data:`STATUSES`; status, note and date are
    prefilled with each task's latest report as of ``as_of``.

    Parameters
    ----------
    out : path-like
        The ``.xlsx`` file (written atomically).
    as_of : datetime.date, optional
        Prefill with the status as of this day (default: today).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    out = Path(out)
    if out.suffix.casefold() != ".xlsx":
        msg = f"--out {out.name!r}: the status workbook must be an .xlsx file"
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
        return value.date()
    if isinstance(value, _dt.date):
        return value
    text = str(value).strip()
    try:
        return _dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        msg = f"{where}: date {text!r} is not a date; write it as YYYY-MM-DD"
        raise RegisterError(msg) from None


def _parse_task(value: Any, where: str) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        number = float("nan")
    if not (number == number and number.is_integer() and 1 <= number <= _N_TASKS):
        msg = f"{where}: task {value!r} is not a task of the plan (1–{_N_TASKS}); fix the number"
        raise RegisterError(msg)
    return int(number)


def _column_map(header: tuple[Any, ...], name: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = " ".join(str(cell or "").split()).casefold()
        for key, (zh, en) in COLUMNS.items():
            if text in {_header(key).casefold(), zh.casefold(), en.casefold()}:
                found.setdefault(key, i)
    missing = [k for k in _REQUIRED if k not in found]
    if missing:
        cols = ", ".join(repr(_header(k)) for k in missing)
        msg = (
            f"{name} row 1: column {cols} is missing; use the workbook from "
            "`sanqu-geo register export` (columns: " + ", ".join(_header(k) for k in COLUMNS) + ")"
        )
        raise RegisterError(msg)
    return found


def read_status_workbook(
    path: str | os.PathLike[str], *, date: _dt.date | None = None
) -> list[dict[str, Any]]:
    """Read and check a status workbook; return the rows that report a status.

    Parameters
    ----------
    path : path-like
        The ``.xlsx`` file.
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
        On the first bad row: an unknown task number or status word, a date after the
        snapshot's, a task given twice, or a missing column; the message names the row.
    DataSourceError
        When the file cannot be opened as a workbook.
    """
    from openpyxl import load_workbook

    path = Path(path)
    name = path.name
    date = date or _dt.date.today()
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError as exc:
        msg = f"{path}: no such file; give the status workbook exported by `sanqu-geo register export`"
        raise DataSourceError(msg) from exc
    except Exception as exc:  # openpyxl raises several kinds for a file that is not xlsx
        msg = f"{path}: cannot be read as an .xlsx workbook ({exc}); save it from Excel as .xlsx"
        raise DataSourceError(msg) from exc
    try:
        ws = wb[_SHEET] if _SHEET in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        cols = _column_map(tuple(header), name)
        reports: list[dict[str, Any]] = []
        seen: dict[int, int] = {}
        for number, values in enumerate(rows, start=2):

            def cell(key: str, values: tuple[Any, ...] = values) -> Any:
                i = cols.get(key)
                return values[i] if i is not None and i < len(values) else None

            if all(v is None or str(v).strip() == "" for v in values):
                continue
            where = f"{name} row {number}"
            task = _parse_task(cell("task"), where)
            status_value = cell("status")
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
                msg = (
                    f"{where}: task {task} is given again (first in row {seen[task]}); keep one row"
                )
                raise RegisterError(msg)
            seen[task] = number
            raw_date = cell("date")
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
            note = cell("note")
            reports.append(
                {
                    "task": task,
                    "status": status,
                    "note": "" if note is None else str(note).strip(),
                    "date": when.isoformat(),
                }
            )
    finally:
        wb.close()
    return reports


def _keep(folder: Path, date: _dt.date, payload: str) -> Path:
    """Write a new snapshot file under a fresh name; an existing file is never replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".status.", suffix=".json", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        for seq in range(1, 10_000):
            target = folder / f"status-{date.isoformat()}-{seq:03d}.json"
            try:
                os.link(tmp, target)  # fails if the name exists: no overwrite, no race
            except FileExistsError:
                continue
            return target
        msg = f"{folder}: too many snapshots dated {date.isoformat()}"
        raise RegisterError(msg)
    finally:
        tmp.unlink(missing_ok=True)


def import_status(path: str | os.PathLike[str], *, date: _dt.date | None = None) -> Snapshot:
    """Check a status workbook and keep it as a new snapshot; nothing changes if it is bad.

    Parameters
    ----------
    path : path-like
        The workbook (from :func:`export_status`, edited).
    date : datetime.date, optional
        The date the snapshot stands for (default: today); it may not be in the future.

    Returns
    -------
    Snapshot
        The kept snapshot.

    Raises
    ------
    RegisterError
        For a bad workbook (see :func:`read_status_workbook`) or a future ``date``.
    """
    today = _dt.date.today()
    date = date or today
    if date > today:
        msg = f"--date {date.isoformat()} is in the future (today is {today.isoformat()})"
        raise RegisterError(msg)
    rows = read_status_workbook(path, date=date)
    if not rows:
        msg = (
            f"{Path(path).name}: no row has a status; fill the column {_header('status')!r} "
            f"({', '.join(STATUSES)}) before importing"
        )
        raise RegisterError(msg)
    imported = _dt.datetime.now().replace(microsecond=0).isoformat()
    payload = json.dumps(
        {"date": date.isoformat(), "imported": imported, "source": Path(path).name, "rows": rows},
        ensure_ascii=False,
        indent=1,
    )
    target = _keep(snapshots_folder(), date, payload)
    logger.info("kept %d task statuses as %s", len(rows), target)
    return _read_snapshot(target)
