"""``sanqu-geo assign``: solve a TNTP test problem at user equilibrium, or write one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sanqu_geo.cli._common import ForceOpt, SanquCommand, app, console, err_console, esc
from sanqu_geo.i18n import _

if TYPE_CHECKING:
    from sanqu_geo.tntp import TntpProblem


#: The relative gaps ``--gap`` accepts: below 1e-14 is under the rounding of the link costs
#: (the solve would run to its iteration limit); above 0.5 is no equilibrium at all.
GAP_RANGE: tuple[float, float] = (1e-14, 0.5)

#: Most iterations ``--max-iterations`` accepts (the default limit is 2,000).
MAX_ITERATIONS: int = 100_000


def _check_factor(value: float | None, option: str, unit: str) -> None:
    from sanqu_geo.tntp import MAX_WEIGHT

    if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_WEIGHT):
        raise typer.BadParameter(
            f"{value:g}; give a finite number >= 0 and at most {MAX_WEIGHT:g} (minutes per {unit})",
            param_hint=f"'{option}'",
        )


def _check_gap(gap: float) -> None:
    low, high = GAP_RANGE
    if not (math.isfinite(gap) and low <= gap <= high):
        raise typer.BadParameter(
            f"{gap:g}; gap must be a positive number from {low:g} to {high:g} (e.g. 1e-6)",
            param_hint="'--gap'",
        )


def _same_folder(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


@app.command("assign", cls=SanquCommand)
def assign_command(
    tntp_dir: Annotated[
        Path | None,
        typer.Option(
            "--tntp",
            help="Folder with a TNTP net file (*_net.tntp) and trips file (*_trips.tntp).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Folder for link_flows.csv and summary.json (solves --tntp)."
        ),
    ] = None,
    export_tntp: Annotated[
        Path | None,
        typer.Option(
            "--export-tntp",
            help="Write TNTP files here: the --tntp problem, or without --tntp the model's "
            "road network (--network) and demand as one problem in PCU (no solve).",
        ),
    ] = None,
    gap: Annotated[
        float, typer.Option("--gap", help="Target relative gap (1e-14 to 0.5; default 1e-6).")
    ] = 1e-6,
    max_iterations: Annotated[
        int | None,
        typer.Option(
            "--max-iterations",
            min=1,
            max=MAX_ITERATIONS,
            help="Stop after this many iterations (1 to 100,000; default 2,000).",
        ),
    ] = None,
    toll_factor: Annotated[
        float | None,
        typer.Option(
            "--toll-factor",
            help="Minutes per toll unit added to the free-flow time (0 to 1000; default: the net "
            "file's or the network's published weight, e.g. 0.02 for ChicagoSketch, else 0).",
        ),
    ] = None,
    distance_factor: Annotated[
        float | None,
        typer.Option(
            "--distance-factor",
            help="Minutes per length unit added to the free-flow time (0 to 1000; default as "
            "--toll-factor, 0.04 for ChicagoSketch).",
        ),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """User-equilibrium assignment of a TransportationNetworks (TNTP) problem, or TNTP export.

    With --tntp and --out: writes OUT/link_flows.csv (init_node,term_node,volume,cost: one row
    per link of the net file, in its order) and OUT/summary.json (relative_gap, objective,
    tstt, iterations, seconds, the generalized-cost weights used).

    With --export-tntp: writes the --tntp problem again, or without --tntp the model in use
    (the --network road network with its centroids, the demand's car and truck classes summed
    in PCU; class-specific free-flow times and bans are left out) as <name>_net.tntp,
    <name>_trips.tntp, one <name>_trips_<class>.tntp per class and zones.csv (TNTP zone
    number, zone id, graph node). OUT and the export folder must be new, empty or written by
    sanqu-geo before, unless --force.

    Example: sanqu-geo assign --tntp TransportationNetworks/SiouxFalls --gap 1e-6 --out sf/

    Example: sanqu-geo --network trunk assign --export-tntp trunk-tntp/
    """
    if tntp_dir is None and export_tntp is None:
        raise typer.BadParameter(
            "give --tntp DIR (a TNTP problem to solve with --out, or to write again with "
            "--export-tntp) or --export-tntp DIR (the model's network and demand as TNTP), "
            "or both",
            param_hint="'--tntp' / '--export-tntp'",
        )
    if tntp_dir is None:
        if out is not None:
            raise typer.BadParameter(
                "--out holds the solution of a --tntp problem; to solve the exported problem, "
                "run `sanqu-geo assign --tntp EXPORT_DIR --out DIR` after the export"
            )
        weights = (("--toll-factor", toll_factor), ("--distance-factor", distance_factor))
        given = [option for option, value in weights if value is not None]
        if given:
            raise typer.BadParameter(
                "the toll and distance weights go with a --tntp problem; the model's export "
                "has no tolls (leave the option out, or add --tntp DIR)",
                param_hint=" / ".join(f"'{o}'" for o in given),
            )
    elif out is None and export_tntp is None:
        raise typer.BadParameter(
            "--tntp needs --out DIR (the folder for link_flows.csv and summary.json) or "
            "--export-tntp DIR (to write the problem again)"
        )
    _check_gap(gap)
    _check_factor(toll_factor, "--toll-factor", "toll unit")
    _check_factor(distance_factor, "--distance-factor", "length unit")
    if out is not None and export_tntp is not None and _same_folder(out, export_tntp):
        raise typer.BadParameter(
            f"--out and --export-tntp are the same folder ({out}); give two folders"
        )
    if tntp_dir is not None and export_tntp is not None and _same_folder(tntp_dir, export_tntp):
        raise typer.BadParameter(
            f"--export-tntp {export_tntp} is the --tntp folder; give another folder (the "
            "files read would be replaced)"
        )

    from sanqu_geo import assignment, tntp
    from sanqu_geo._atomic import atomic_folder, check_output_folder

    if out is not None:
        assignment.check_gap(gap)
        check_output_folder(out, force=force)  # a bad folder fails before the work
    if export_tntp is not None:
        check_output_folder(export_tntp, force=force)

    if tntp_dir is None:  # the model in use, written and not solved
        if export_tntp is not None:
            _export_model(export_tntp, force=force)
        return

    with console.status(f"reading {esc(tntp_dir)}"):
        problem = tntp.load_problem(
            tntp_dir, toll_factor=toll_factor, distance_factor=distance_factor
        )
    if export_tntp is not None:
        with atomic_folder(export_tntp, force=force) as tmp:
            written = tntp.write_problem(problem, tmp)
        names = ", ".join(esc(export_tntp / p.name) for p in written)
        console.print(_("[green]wrote[/green]") + f" {names}")
    if out is not None:
        _solve(problem, out, gap=gap, max_iterations=max_iterations, force=force)


def _solve(
    problem: TntpProblem, out: Path, *, gap: float, max_iterations: int | None, force: bool
) -> None:
    """Solve a TNTP problem; write OUT/link_flows.csv and OUT/summary.json."""
    import pandas as pd
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sanqu_geo import assignment
    from sanqu_geo._atomic import atomic_folder

    target = math.log10(1.0 / gap)
    with Progress(
        TextColumn(f"{esc(problem.name)} relative gap 相对间隙"),
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
    flows = pd.DataFrame(
        {
            "init_node": problem.links["init_node"].to_numpy(),
            "term_node": problem.links["term_node"].to_numpy(),
            "volume": result.volumes["flow"].to_numpy(),
            "cost": result.class_cost["flow"],
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
        "vdf": problem.vdf,
        "toll_factor": problem.toll_factor,
        "distance_factor": problem.distance_factor,
    }
    with atomic_folder(out, force=force) as tmp:
        flows.to_csv(tmp / "link_flows.csv", index=False, float_format="%.10g")
        (tmp / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    state = "[green]converged[/green]" if result.converged else "[yellow]not converged[/yellow]"
    console.print(
        f"{esc(problem.name)}: {state} relative gap 相对间隙 {result.relative_gap:.2e} after "
        f"{result.iterations} iterations, {result.seconds:.1f} s; objective {result.objective:,.6f}, "
        f"TSTT {result.tstt:,.3f}"
    )
    console.print(
        _("[green]wrote[/green]") + f" {esc(out / 'link_flows.csv')}, {esc(out / 'summary.json')}"
    )


def _export_model(folder: Path, *, force: bool) -> None:
    """Write the model in use (network, centroids, demand classes) as one TNTP problem."""
    import pandas as pd

    from sanqu_geo import demand, peak, settings, tntp
    from sanqu_geo._atomic import atomic_folder

    source = demand.network_name(None)
    with console.status(f"building the {esc(source)} assignment graph and demand"):
        d = demand.load_demand(network=source)
        H, centroids = peak.assignment_graph(source, None, zones=d.zones)
        classes = peak.demand_classes(d, centroids)
        problem, class_trips = tntp.from_model(
            H, classes, centroids=centroids, vdf=settings.peak_vdf, name=source
        )
    zones = pd.DataFrame(
        {
            "zone": range(1, len(centroids) + 1),
            "id": list(centroids),
            "node": list(centroids.values()),
        }
    )
    described = " ".join(str(d.source).replace("<", "(").replace(">", ")").split())
    with atomic_folder(folder, force=force) as tmp:
        written = tntp.write_problem(
            problem,
            tmp,
            extra_trips=class_trips,
            metadata={"SOURCE": f"sanqu-geo {source} base network; demand: {described}"},
        )
        zones.to_csv(tmp / "zones.csv", index=False)
        names = [p.name for p in written] + ["zones.csv"]
    pcu = float(problem.od["trips"].sum() + problem.intrazonal["trips"].sum())
    by_class = ", ".join(
        f"{c.name} {float(c.od['trips'].sum()):,.0f} veh/h × {c.pce:g}" for c in classes
    )
    console.print(
        f"{esc(source)}: {problem.zones} zones, {len(problem.links)} links, {pcu:,.1f} PCU/h "
        f"({esc(by_class)}); {esc(problem.vdf)} volume-delay function"
    )
    console.print(
        "[yellow]one class in PCU:[/yellow] the classes' own free-flow times and bans are left "
        f"out (see the ~ lines of {esc(problem.name)}_net.tntp)"
    )
    console.print(_("[green]wrote[/green]") + f" {', '.join(esc(folder / n) for n in names)}")
