"""``sanqu-geo odme``: adjust the demand of a TNTP test problem to link counts (Spiess 1990)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanqu_geo.cli._common import ForceOpt, SanquCommand, app, console, esc, print_table
from sanqu_geo.i18n import _

#: The options of the ODME commands (``odme`` here and ``demand estimate``).
OdmeGapOpt = Annotated[float, typer.Option("--gap", help="Relative gap of every assignment (> 0).")]
OdmeIterationsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-iterations",
        min=1,
        help="Assignments of adjusted matrices before stopping (≥ 1; default 10).",
    ),
]
OdmeFactorOpt = Annotated[
    float | None,
    typer.Option(
        "--max-factor",
        help="Each OD cell stays within prior ÷ F and prior × F (> 1; default 5).",
    ),
]


@app.command("odme", cls=SanquCommand)
def odme_command(
    tntp_dir: Annotated[
        Path,
        typer.Option("--tntp", help="Folder with a TNTP *_net.tntp and *_trips.tntp (the prior)."),
    ],
    counts_file: Annotated[
        Path,
        typer.Option(
            "--counts",
            help="CSV with the header init_node,term_node,count[,weight]: one row per counted "
            "link, vehicles per hour.",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for <name>_trips.tntp and odme_counts.csv."),
    ],
    gap: OdmeGapOpt = 1e-4,
    max_iterations: OdmeIterationsOpt = None,
    max_factor: OdmeFactorOpt = None,
    force: ForceOpt = False,
) -> None:
    """OD matrix estimation from link counts at user equilibrium (Spiess 1990).

    Writes OUT/<name>_trips.tntp (the estimated OD, TNTP trips format) and OUT/odme_counts.csv
    (init_node,term_node,count,weight,before,after,geh_before,geh_after: modelled flows with
    the prior and with the estimate). OUT must be new, empty or written by sanqu-geo before,
    unless --force. The TNTP demand is read as hourly trips.

    Example: sanqu-geo odme --tntp TransportationNetworks/SiouxFalls --counts counts.csv --out est/
    """
    from rich.table import Table

    from sanqu_geo import assignment, odme, tntp
    from sanqu_geo._atomic import atomic_folder, check_output_folder

    assignment.check_gap(gap)
    if max_factor is not None and not max_factor > 1:
        raise typer.BadParameter(f"--max-factor must be > 1 (e.g. 5), got {max_factor:g}")
    check_output_folder(out, force=force)  # a bad --out fails before the work
    with console.status(f"reading {esc(tntp_dir)}"):
        problem = tntp.load_problem(tntp_dir)
        counts = tntp.read_counts(counts_file, links=problem.links)
    with console.status(f"{esc(problem.name)}: adjusting the OD to {len(counts)} counts 调整OD"):
        od, table, summary = odme.odme_tntp(
            problem, counts, gap=gap, max_iterations=max_iterations, max_factor=max_factor
        )
    name = f"{problem.name}_trips.tntp"
    with atomic_folder(out, force=force) as tmp:
        tntp.write_trips(od, tmp / name, zones=problem.zones)
        table.to_csv(tmp / "odme_counts.csv", index=False, float_format="%.10g")

    grid = Table(title=f"ODME {esc(problem.name)}", show_header=True)
    grid.add_column("")
    grid.add_column("prior 先验", justify="right")
    grid.add_column("estimate 估计", justify="right")
    grid.add_row(
        "counts with GEH < 5",
        f"{summary['geh5_before']:.1%}",
        f"{summary['geh5_after']:.1%}",
    )
    grid.add_row(
        "objective Z",
        f"{summary['objective_before']:,.0f}",
        f"{summary['objective_after']:,.0f}",
    )
    grid.add_row(
        "total trips 总出行",
        f"{summary['total_before']:,.1f}",
        f"{summary['total_after']:,.1f}",
    )
    print_table(grid)
    state = "converged" if summary["converged"] else "[yellow]stopped at the limit[/yellow]"
    console.print(
        f"{summary['counts']} counts, {summary['cells']} OD cells: {summary['changed_cells']} "
        f"changed by more than 1 %, {summary['cells_at_bound']} at the ×{summary['max_factor']:g} "
        f"bound; {summary['iterations']} iterations ({summary['assignments']} assignments, "
        f"{state}), {summary['seconds']:.1f} s"
    )
    console.print(_("[green]wrote[/green]") + f" {esc(out / name)}, {esc(out / 'odme_counts.csv')}")
