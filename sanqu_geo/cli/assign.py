"""``sanqu-geo assign``: solve a user-equilibrium assignment of a TNTP test problem."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from sanqu_geo.cli._common import ForceOpt, app, console, err_console


@app.command("assign")
def assign_command(
    tntp_dir: Annotated[
        Path,
        typer.Option("--tntp", help="Folder with a TNTP *_net.tntp and *_trips.tntp."),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for link_flows.csv and summary.json.")
    ],
    gap: Annotated[float, typer.Option("--gap", help="Target relative gap (> 0).")] = 1e-6,
    max_iterations: Annotated[
        int | None,
        typer.Option("--max-iterations", min=1, help="Stop after this many iterations (≥ 1)."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Multi-class user-equilibrium assignment of a TransportationNetworks test problem.

    Writes OUT/link_flows.csv (init_node,term_node,volume,cost: one row per link of the net
    file, in its order) and OUT/summary.json (relative_gap, objective, tstt, iterations,
    seconds). OUT must be new, empty or written by sanqu-geo before, unless --force.

    Example: sanqu-geo assign --tntp TransportationNetworks/SiouxFalls --gap 1e-6 --out sf/
    """
    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sanqu_geo import assignment, tntp
    from sanqu_geo._atomic import atomic_folder, check_output_folder

    assignment.check_gap(gap)
    check_output_folder(out, force=force)  # a bad --out fails before the work
    with console.status(f"reading {tntp_dir}"):
        problem = tntp.load_problem(tntp_dir)
    target = math.log10(1.0 / gap)
    with Progress(
        TextColumn(f"{problem.name} relative gap 相对间隙"),
        BarColumn(),
        TextColumn("{task.fields[gap]}  iteration {task.fields[iteration]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("assign", total=target, gap="—", iteration=0)

        def progress(iteration: int, rel_gap: float) -> None:
            done = min(target, max(0.0, math.log10(1.0 / rel_gap))) if rel_gap > 0 else target
            bar.update(task, completed=done, gap=f"{rel_gap:.2e}", iteration=iteration)

        result = assignment.assign_tntp(
            problem, gap=gap, max_iterations=max_iterations, progress=progress
        )
    volume = result.volumes["flow"].to_numpy()
    cost = result.class_cost["flow"]
    flows = pd.DataFrame(
        {
            "init_node": problem.links["init_node"].to_numpy(),
            "term_node": problem.links["term_node"].to_numpy(),
            "volume": volume,
            "cost": cost,
        }
    )
    summary = {
        "network": problem.name,
        "relative_gap": result.relative_gap,
        "gap_target": gap,
        "converged": result.converged,
        "objective": result.objective,
        "tstt": result.tstt,
        "aec": result.aec,
        "iterations": result.iterations,
        "seconds": result.seconds,
    }
    with atomic_folder(out, force=force) as tmp:
        flows.to_csv(tmp / "link_flows.csv", index=False, float_format="%.10g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    state = "[green]converged[/green]" if result.converged else "[yellow]not converged[/yellow]"
    console.print(
        f"{problem.name}: {state} relative gap 相对间隙 {result.relative_gap:.2e} after "
        f"{result.iterations} iterations, {result.seconds:.1f} s; objective {result.objective:,.6f}, "
        f"TSTT {result.tstt:,.3f}"
    )
    console.print(f"[green]wrote[/green] {out / 'link_flows.csv'}, {out / 'summary.json'}")
