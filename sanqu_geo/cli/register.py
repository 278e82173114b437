"""``sanqu-geo register``: the plan's 40 tasks, the status workbook and its snapshots."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import (
    SanquCommand,
    SanquGroup,
    app,
    console,
    esc,
    lazy,
    parse_day,
    print_table,
)

_register = lazy("sanqu_geo.register")

register_app = typer.Typer(
    cls=SanquGroup,
    help=(
        "The register of the plan's 40 tasks and their status for the joint meeting.\n\n"
        "Example: sanqu-geo register export --out status.xlsx; edit it; "
        "sanqu-geo register import status.xlsx; sanqu-geo register show"
    ),
    no_args_is_help=True,
)
app.add_typer(register_app, name="register")


@register_app.command("tasks", cls=SanquCommand)
def register_tasks() -> None:
    """List the 40 tasks: section, deadline, areas, location on the map."""
    table = _register.register_table()
    out = Table(title="方案任务 The plan's tasks")
    for column in (
        "编号 Task",
        "章节 Section",
        "任务 Title",
        "期限 Deadline",
        "区域 Areas",
        "定位 Map",
    ):
        out.add_column(column)
    for row in table.itertuples():
        out.add_row(
            str(row.task),
            esc(row.section),
            esc(f"{row.title_zh} {row.title_en}"),
            esc(row.deadline_text),
            esc(row.areas),
            "✓" if row.located else "—",
        )
    print_table(out)
    _print_summary()


def _print_summary() -> None:
    out = Table(title="按期限 Tasks per deadline term")
    for column in ("期限 Term", "截止 Deadline", "任务 Tasks", "已定位 Located"):
        out.add_column(column)
    for row in _register.summary().itertuples():
        total = row.Index == len(_register.DEADLINES)
        deadline = row.deadline or ("" if total else "无 none")
        out.add_row(row.term, deadline, str(row.tasks), str(row.located))
    print_table(out)


@register_app.command("export", cls=SanquCommand)
def register_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="The .xlsx workbook to write.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Prefill the status as of YYYY-MM-DD.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace the workbook if it exists (edits not yet imported are lost)."
        ),
    ] = False,
) -> None:
    """Write the status workbook the office edits (status drop-down, note, date).

    Example: sanqu-geo register export --out status.xlsx
    """
    existed = out.is_file()
    path = _register.export_status(out, as_of=parse_day(as_of, "--as-of"), force=force)
    console.print(f"[green]{'replaced' if existed else 'wrote'}[/green] {esc(path)}")


@register_app.command("import", cls=SanquCommand)
def register_import(
    file: Annotated[Path, typer.Argument(help="The edited status workbook (.xlsx).")],
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="The day the snapshot stands for, YYYY-MM-DD (default: today)."
        ),
    ] = None,
) -> None:
    """Check a status workbook and keep it as a new snapshot (earlier ones are kept too).

    Example: sanqu-geo register import status.xlsx --date 2026-11-20
    """
    snap = _register.import_status(file, date=parse_day(date, "--date"))
    console.print(
        f"[green]kept[/green] {len(snap.rows)} task statuses dated {snap.date.isoformat()} "
        f"as {esc(snap.id)} in {esc(_register.snapshots_folder())}"
    )


@register_app.command("show", cls=SanquCommand)
def register_show(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The meeting day, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Show the overdue tasks and what changed since the previous snapshot."""
    day = parse_day(as_of, "--as-of") or _dt.date.today()
    kept = _register.snapshots(as_of=day)
    console.print(
        f"as of {day.isoformat()}: {len(kept)} snapshot(s)"
        + (f", latest {esc(kept['id'].iloc[-1])}" if len(kept) else " (none imported yet)")
    )
    _print_summary()
    table = _register.register_table(day)
    overdue = table[table["overdue"]]
    out = Table(title=f"逾期 Overdue: {len(overdue)} task(s) past their deadline and not 已完成")
    for column in ("编号 Task", "任务 Title", "期限 Deadline", "状态 Status", "日期 Date"):
        out.add_column(column)
    for row in overdue.itertuples():
        out.add_row(
            str(row.task),
            esc(f"{row.title_zh} {row.title_en}"),
            esc(row.deadline_text),
            esc(row.status or "未报告 not reported"),
            row.status_date.isoformat() if row.status_date else "",
        )
    print_table(out)
    if len(kept) < 2:
        console.print("changed since the previous snapshot: no previous snapshot")
        return
    changed = _register.changed_since_previous(day)
    out = Table(title=f"较上次变化 Changed since the previous snapshot: {len(changed)} task(s)")
    for column in ("编号 Task", "任务 Title", "之前 Before", "现在 Now", "进展 Note"):
        out.add_column(column)
    for row in changed.itertuples():
        out.add_row(
            str(row.task),
            esc(f"{row.title_zh} {row.title_en}"),
            esc(row.before or "未报告 not reported"),
            esc(row.after),
            esc(row.note),
        )
    print_table(out)
