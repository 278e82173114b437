"""``sanqu-geo corridors``: list the corridor options and compare them."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.padding import Padding
from rich.text import Text

from sanqu_geo.cli._common import (
    DaskOpt,
    ForceOpt,
    ProfilesFileOpt,
    SanquCommand,
    SanquGroup,
    ScenarioArg,
    app,
    console,
    dask_runner,
    err_console,
    esc,
    lazy,
    progress_bar,
)
from sanqu_geo.i18n import _

_speeds = lazy("sanqu_geo.speeds")

corridors_app = typer.Typer(
    cls=SanquGroup,
    help="Corridor options: list them and compare them with the base network.\n\n"
    "Example: sanqu-geo corridors compare --out results/",
    no_args_is_help=True,
)
app.add_typer(corridors_app, name="corridors")


@corridors_app.command("list", cls=SanquCommand)
def corridors_list(scenario: ScenarioArg = None) -> None:
    """List the groups, options and corridors of a scenario.

    One block per option, Chinese first: it reads at 80 columns.
    """
    from sanqu_geo import scenarios

    sc = scenarios.load_scenario(scenario)
    console.print(Text(sc.name_zh, style="bold"), Text(sc.name_en), sep="\n", highlight=False)
    for gid, options in sc.groups.items():
        g = sc.group(gid)
        task = _("任务 {n} task").format(n=g.task) if g.task is not None else gid
        console.print()
        _say_block(f"{task} · {g.title_zh} {g.title_en}", indent=0, style="bold")
        for option in options:
            _say_block(f"{option.id}  {option.title_zh}", indent=2, style="cyan")
            _say_block(option.title_en, indent=6)
            km = sum(c.length_m for c in option.corridors) / 1000
            cost = (
                _("{yi:.1f} 亿元 (¥{bn:.2f} bn)").format(yi=option.cost / 1e8, bn=option.cost / 1e9)
                if option.cost is not None
                else _("未公布 not published")
            )
            _say_block(
                _("口径 profile {profile} · 长度 length {km:.1f} km · 投资 cost {cost}").format(
                    profile=option.profile or sc.profile, km=km, cost=cost
                ),
                indent=6,
            )
            _say_block(
                _("通道 corridors: {ids}").format(ids=", ".join(c.id for c in option.corridors)),
                indent=6,
            )
            if option.edits:
                _say_block(
                    _("改造 edits: {ids}").format(ids=", ".join(e.id for e in option.edits)),
                    indent=6,
                )
    if sc.conditions:
        console.print()
        _say_block(_("工况 Conditions"), indent=0, style="bold")
    for c in sc.conditions:
        what = (
            _("改造 edits: {ids}").format(ids=", ".join(e.id for e in c.edits))
            if c.edits
            else _("通行能力 capacity × {factor:g}").format(factor=c.capacity_factor)
        )
        off = "" if c.run else " " + _("(only with --conditions)")
        _say_block(f"{c.id}  {c.title_zh}{off}", indent=2, style="cyan")
        _say_block(c.title_en, indent=6)
        _say_block(what, indent=6)


def _say_block(text: str, *, indent: int, style: str = "") -> None:
    """One wrapped paragraph of plain text (never markup), indented by ``indent`` columns."""
    console.print(
        Padding(Text(text, style=style), (0, 0, 0, indent), expand=False), highlight=False
    )


@corridors_app.command("compare", cls=SanquCommand)
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
            help="Skip the demand/capacity/PCE/volume-delay sensitivity runs.",
            metavar="",
        ),
    ] = False,
    force: ForceOpt = False,
    sensitivity_draws: Annotated[
        int | None,
        typer.Option(
            "--sensitivity",
            min=1,
            help="Monte-Carlo draws of demand, capacity, truck PCE, conical α and the default "
            "demand's friction, generator trips and intrazonal time; each draw solves the base, "
            "and every road option when the base stays in the calibrated delay-index band "
            "(monte_carlo.csv, sheets, notes).",
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, help="Seed of the draws (default: a new one, reported)."),
    ] = None,
    sensitivity_params: Annotated[
        Path | None,
        typer.Option(
            "--sensitivity-params",
            help="TOML of the parameter distributions (default: data/projects/sensitivity.toml).",
        ),
    ] = None,
    dask: DaskOpt = None,
    conditions: Annotated[
        str | None,
        typer.Option(
            "--conditions",
            help="Conditions to solve every option of their groups in: condition ids of the "
            "scenario, comma-separated, 'all' or 'none' (default: those with run = true, the "
            "closures of 机场高速; 'winter' is defined but off).",
        ),
    ] = None,
    years: Annotated[
        str | None,
        typer.Option(
            "--years", help="Demand years, comma-separated, 2020–2035 (default: the scenario's)."
        ),
    ] = None,
    periods: Annotated[
        str | None,
        typer.Option(
            "--periods",
            metavar="PERIODS",
            help="Periods, comma-separated: am_peak, pm_peak, inter_peak (default: the scenario's).",
        ),
    ] = None,
    no_appraisal: Annotated[
        bool,
        typer.Option(
            "--no-appraisal",
            help="Only the morning-peak ranking: no per-task measures, years, periods or conditions.",
            metavar="",
        ),
    ] = False,
) -> None:
    """Compare every corridor option on the morning peak-hour assignment and rank them.

    Ranks by peak-hour vehicle-hours saved, with the demand in use (`sanqu-geo demand show`).

    Then answers each plan task's own question in every year, period and condition: one table per task, the economics and the maps in --out.

    Example: sanqu-geo corridors compare --out results/ --costs costs.csv

    Monte-Carlo on a local Dask cluster: sanqu-geo corridors compare --sensitivity 200
    --seed 1 --dask
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from sanqu_geo import compare, scenarios, sensitivity_report, tables
    from sanqu_geo._atomic import check_output_folder, replaced_files

    # A bad --out, or the user's own files of these names, fail before the work.
    names = [*tables.COMPARISON_FILES, *(sensitivity_report.FILES if sensitivity_draws else ())]
    check_output_folder(out, force=force, names=names)
    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    sc = scenarios.load_scenario(scenario)
    if profile is not None:
        _speeds.get_profile(profile)
    distributions = None
    if sensitivity_draws is None and (dask, seed, sensitivity_params) != (None, None, None):
        from sanqu_geo.errors import SettingsError

        msg = "--dask, --seed and --sensitivity-params go with --sensitivity N (the draws)"
        raise SettingsError(msg)
    if sensitivity_draws is not None:
        from sanqu_geo import scaleout, sensitivity

        sensitivity.check_draws(sensitivity_draws)  # the bound, before the work
        distributions = sensitivity.load_distributions(sensitivity_params)
        if dask is not None:
            scaleout.parse_address(dask)  # a malformed address fails before the work
    cost_table = compare.read_costs(costs, sc) if costs is not None else None
    chosen = _appraisal_choices(sc, conditions, years, periods)
    run_demand = None
    if demand is not None:
        from sanqu_geo import demand as _demand

        run_demand = _demand.demand_from_file(demand)
    with contextlib.ExitStack() as stack:
        # The cluster is reached first: a bad --dask address fails before the work.
        runner = stack.enter_context(dask_runner(dask)) if sensitivity_draws is not None else None
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=err_console, transient=True
        ) as bar:
            task = bar.add_task(_("comparing"), total=None)
            result = compare.compare(
                sc,
                demand_=run_demand,
                costs=cost_table,
                gap=gap,
                profile=profile,
                sensitivity=not no_sensitivity,
                progress=lambda text: bar.update(task, description=_("comparing") + f": {text}"),
                appraisal=not no_appraisal,
                **chosen,
            )
        monte_carlo = None
        if runner is not None:
            with progress_bar("Monte-Carlo 蒙特卡洛") as bar:
                task = bar.add_task("draws", total=None)
                monte_carlo = sensitivity.run(
                    sensitivity_draws,
                    seed=seed,
                    scenario=sc,
                    distributions=distributions,
                    demand_=run_demand,
                    gap=gap,
                    runner=runner,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )

    def maps(folder: Path) -> list[str]:
        if result.appraisal is None:
            return []
        from sanqu_geo.maps.appraisal import draw_appraisal_maps

        return draw_appraisal_maps(result, folder)

    with replaced_files() as replaced:
        files = tables.write_comparison(
            result, out, force=force, extra=maps, monte_carlo=monte_carlo
        )
    typer.echo(tables.comparison_markdown(result).split("\n## ")[0])
    if monte_carlo is not None:
        typer.echo(sensitivity.markdown(monte_carlo))
        console.print(
            f"[dim]{monte_carlo.n} draws ({monte_carlo.accepted} accepted), "
            f"{len(monte_carlo.runs)} assignments in {monte_carlo.seconds:.1f} s on "
            f"{monte_carlo.workers} worker(s)[/dim]"
        )
    console.print(
        _("[green]wrote[/green] {n} files to {out}: {names}").format(
            n=len(files), out=esc(out), names=esc(", ".join(f.name for f in files))
        )
    )
    say_replaced(replaced)


def say_replaced(replaced: list[Path]) -> None:
    """One line naming the user's files that --force replaced (none: nothing printed)."""
    if replaced:
        line = _("replaced your own files (--force): {files}").format(
            files=", ".join(str(p) for p in replaced)
        )
        err_console.print(Text(line, style="yellow"), soft_wrap=True, highlight=False)


def _appraisal_choices(sc, conditions: str | None, years: str | None, periods: str | None) -> dict:
    """The conditions, years and periods asked for, checked against the scenario and the files."""
    from sanqu_geo import forecast
    from sanqu_geo.errors import ScenarioError

    out: dict = {}
    if conditions is not None:
        known = [c.id for c in sc.conditions]
        words = [w.strip() for w in conditions.split(",") if w.strip()]
        if words == ["all"]:
            words = known
        elif words == ["none"]:
            words = []
        unknown = [w for w in words if w not in known]
        if unknown:
            msg = (
                f"--conditions: unknown condition(s) {', '.join(unknown)}; use ids of the "
                f"scenario ({', '.join(known) or 'none defined'}), 'all' or 'none'"
            )
            raise ScenarioError(msg)
        out["conditions"] = tuple(words)
    if years is not None:
        try:
            values = tuple(int(w) for w in years.split(",") if w.strip())
        except ValueError:
            msg = f"--years {years!r}: give years as numbers, e.g. 2020,2035"
            raise ScenarioError(msg) from None
        first, last = forecast.year_range()
        bad = [y for y in values if not first <= y <= last]
        if not values or bad:
            msg = f"--years {years!r}: give years between {first} and {last}, e.g. {first},{last}"
            raise ScenarioError(msg)
        out["years"] = values
    if periods is not None:
        values = tuple(w.strip() for w in periods.split(",") if w.strip())
        unknown = [p for p in values if p not in forecast.PERIODS]
        if not values or unknown:
            msg = f"--periods {periods!r}: use {', '.join(forecast.PERIODS)}"
            raise ScenarioError(msg)
        out["periods"] = values
    return out
