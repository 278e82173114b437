"""``sanqu-geo corridors``: list the corridor options and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo import speeds as _speeds
from sanqu_geo.cli._common import (
    ProfilesFileOpt,
    ScenarioArg,
    app,
    console,
    err_console,
    print_table,
)

corridors_app = typer.Typer(
    help="Corridor options: list them and compare them with the base network.\n\n"
    "Example: sanqu-geo corridors compare --out results/",
    no_args_is_help=True,
)
app.add_typer(corridors_app, name="corridors")


@corridors_app.command("list")
def corridors_list(scenario: ScenarioArg = None) -> None:
    """List the groups, options and corridors of a scenario."""
    from sanqu_geo import scenarios

    sc = scenarios.load_scenario(scenario)
    table = Table(title=f"{sc.name_zh} · {sc.name_en}")
    for column in (
        "group 组",
        "option 方案",
        "名称",
        "profile",
        "corridors 通道",
        "km",
        "cost 亿元",
    ):
        table.add_column(column)
    for option in sc.options:
        table.add_row(
            option.group,
            option.id,
            option.title_zh,
            option.profile or sc.profile,
            ", ".join(c.id for c in option.corridors),
            f"{sum(c.length_m for c in option.corridors) / 1000:.1f}",
            f"{option.cost / 1e8:.1f}" if option.cost is not None else "not published 未公布",
        )
    print_table(table)


@corridors_app.command("compare")
def corridors_compare(
    scenario: ScenarioArg = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for CSV, XLSX and Markdown.")
    ] = Path("corridors"),
    profile: Annotated[
        str | None, typer.Option("--profile", help="Override every option's profile.")
    ] = None,
    demand: Annotated[
        Path | None,
        typer.Option("--demand", help="CSV of origin,destination,trips_per_day (place ids)."),
    ] = None,
    profiles_file: ProfilesFileOpt = None,
    no_sensitivity: Annotated[
        bool, typer.Option("--no-sensitivity", help="Skip the ±20 % speed runs.")
    ] = False,
) -> None:
    """Compare every corridor option with the base network and rank them.

    Example: sanqu-geo corridors compare data/projects/scenarios.toml --out results/
    """
    import pandas as pd
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from sanqu_geo import compare, scenarios, tables
    from sanqu_geo.errors import DataSourceError

    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    if profile is not None:
        _speeds.get_profile(profile)
    sc = scenarios.load_scenario(scenario)
    trips = None
    if demand is not None:
        if not demand.is_file():
            raise DataSourceError(f"{demand}: demand file not found")
        trips = pd.read_csv(demand, encoding="utf-8-sig")
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True
    ) as bar:
        task = bar.add_task("comparing", total=None)
        result = compare.compare(
            sc,
            profile=profile,
            demand=trips,
            sensitivity=not no_sensitivity,
            progress=lambda text: bar.update(task, description=f"comparing: {text}"),
        )
    files = tables.write_comparison(result, out)
    typer.echo(tables.comparison_markdown(result).split("\n## ")[0])
    console.print(
        f"[green]wrote[/green] {len(files)} files to {out}: " + ", ".join(f.name for f in files)
    )
