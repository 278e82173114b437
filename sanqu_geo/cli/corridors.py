"""``sanqu-geo corridors``: list the corridor options and compare them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo import speeds as _speeds
from sanqu_geo.cli._common import (
    ForceOpt,
    ProfilesFileOpt,
    ScenarioArg,
    app,
    console,
    err_console,
    esc,
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
    table = Table(title=esc(f"{sc.name_zh} · {sc.name_en}"))
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
            esc(option.group),
            esc(option.id),
            esc(option.title_zh),
            esc(option.profile or sc.profile),
            esc(", ".join(c.id for c in option.corridors)),
            f"{sum(c.length_m for c in option.corridors) / 1000:.1f}",
            f"{option.cost / 1e8:.1f}" if option.cost is not None else "not published 未公布",
        )
    print_table(table)


@corridors_app.command("compare")
def corridors_compare(
    scenario: ScenarioArg = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output folder for CSV, XLSX and Markdown (new, empty or earlier)."
        ),
    ] = Path("corridors"),
    costs: Annotated[
        Path | None,
        typer.Option(
            "--costs", help="CSV of option,cost_yi_yuan[,source]: your costs (亿元) per option."
        ),
    ] = None,
    demand: Annotated[
        Path | None,
        typer.Option(
            "--demand",
            help="OD for this run only: .csv (origin,destination,class,trips) or .omx on the "
            "zones in use (default: the demand in use, see `sanqu-geo demand show`).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option("--profile", help="Profile of the free-flow key-link table (secondary)."),
    ] = None,
    gap: Annotated[
        float, typer.Option("--gap", help="Relative gap every assignment must reach.")
    ] = 1e-6,
    profiles_file: ProfilesFileOpt = None,
    no_sensitivity: Annotated[
        bool,
        typer.Option(
            "--no-sensitivity",
            help="Skip the demand/capacity/PCE/BPR sensitivity runs.",
            metavar="",
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Compare every corridor option on the morning peak-hour assignment and rank them.

    Ranks by peak-hour vehicle-hours saved, with the demand in use (`sanqu-geo demand show`).

    Example: sanqu-geo corridors compare --out results/ --costs costs.csv
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from sanqu_geo import compare, scenarios, tables
    from sanqu_geo._atomic import check_output_folder

    check_output_folder(out, force=force)  # a bad --out fails before the work
    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    sc = scenarios.load_scenario(scenario)
    if profile is not None:
        _speeds.get_profile(profile)
    cost_table = compare.read_costs(costs, sc) if costs is not None else None
    run_demand = None
    if demand is not None:
        from sanqu_geo import demand as _demand

        run_demand = _demand.demand_from_file(demand)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True
    ) as bar:
        task = bar.add_task("comparing", total=None)
        result = compare.compare(
            sc,
            demand_=run_demand,
            costs=cost_table,
            gap=gap,
            profile=profile,
            sensitivity=not no_sensitivity,
            progress=lambda text: bar.update(task, description=f"comparing: {text}"),
        )
    files = tables.write_comparison(result, out, force=force)
    typer.echo(tables.comparison_markdown(result).split("\n## ")[0])
    console.print(
        f"[green]wrote[/green] {len(files)} files to {esc(out)}: "
        + esc(", ".join(f.name for f in files))
    )
