"""``sanqu-geo demand``: the zones and peak-hour OD in use; import, export and reset them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import (
    BARE_OPTION_VALUES,
    SanquCommand,
    SanquGroup,
    app,
    console,
    esc,
    print_table,
)
from sanqu_geo.cli.odme import OdmeFactorOpt, OdmeGapOpt, OdmeIterationsOpt
from sanqu_geo.i18n import _

#: A bare ``--template`` writes the template here.
TEMPLATE_FILE = "counts_template.csv"
BARE_OPTION_VALUES.setdefault("--template", TEMPLATE_FILE)

demand_app = typer.Typer(
    cls=SanquGroup,
    help="Zones and peak-hour OD matrices (car, truck): the indicative default or your own.\n\n"
    "Example: sanqu-geo demand import --od od.omx --zones zones.gpkg",
    no_args_is_help=True,
)
app.add_typer(demand_app, name="demand")


@demand_app.command("show", cls=SanquCommand)
def demand_show() -> None:
    """Zones, trips produced and attracted per zone, and totals by class."""
    from sanqu_geo import demand as _demand

    d = _demand.load_demand()
    console.print(f"demand 需求: {esc(d.source)}")
    console.print(
        "morning peak hour 早高峰小时, vehicles per hour 辆/小时 · "
        + " · ".join(f"{c} {v:,.0f}" for c, v in d.totals().items())
        + f" · day = peak × {d.expansion_factor:g} (全日扩样系数)"
    )
    table = Table(title="zones 交通小区")
    for column in (
        "id",
        "名称",
        "kind",
        "population 人口",
        "car out 出发",
        "car in 到达",
        "truck out",
        "truck in",
    ):
        table.add_column(column, justify="left" if column in ("id", "名称", "kind") else "right")
    car, truck = d.matrix("car"), d.matrix("truck")
    for z in d.zones.itertuples():
        pop = "" if z.population != z.population else f"{z.population:,.0f}"
        table.add_row(
            esc(z.id),
            esc(z.name_zh),
            esc(z.kind),
            pop,
            f"{car.loc[z.id].sum():,.0f}",
            f"{car[z.id].sum():,.0f}",
            f"{truck.loc[z.id].sum():,.0f}",
            f"{truck[z.id].sum():,.0f}",
        )
    print_table(table)
    if d.source.startswith("indicative"):
        console.print(
            "[yellow]indicative 示意:[/yellow] generated from 2020 census population and "
            "assumed rates (data/demand/parameters.toml); replace it with "
            "`sanqu-geo demand import --od FILE`."
        )


@demand_app.command("import", cls=SanquCommand)
def demand_import(
    od: Annotated[
        Path, typer.Option("--od", help="OD file: .csv (origin,destination,class,trips) or .omx.")
    ],
    zones: Annotated[
        Path | None,
        typer.Option("--zones", help="Your zones: GeoPackage, Shapefile, GeoJSON, KML, CSV …"),
    ] = None,
    id_column: Annotated[str, typer.Option("--id-column", help="Zone id column.")] = "id",
    crs: Annotated[
        str | None, typer.Option("--crs", help="CRS of the zones file: wgs84, gcj02, bd09, EPSG:…")
    ] = None,
) -> None:
    """Replace the default demand with your OD matrices (vehicles per peak hour).

    Example: sanqu-geo demand import --od od.csv --zones zones.gpkg
    """
    from sanqu_geo import demand as _demand

    d = _demand.import_demand(od, zones_path=zones, id_column=id_column, crs=crs)
    console.print(
        f"[green]imported[/green] {len(d.zones)} zones, "
        + ", ".join(f"{c} {v:,.0f} veh/h" for c, v in d.totals().items())
        + " · used by every congested run from now on (`sanqu-geo demand reset` to undo)"
    )


@demand_app.command("export", cls=SanquCommand)
def demand_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the OD to .csv or .omx.")],
    zones_out: Annotated[
        Path | None, typer.Option("--zones-out", help="Also write the zones (.gpkg or .geojson).")
    ] = None,
) -> None:
    """Write the demand in use (OD as CSV or OMX, and the zones).

    In the CSV, text a spreadsheet would run as a formula (=1+1) starts with an apostrophe;
    `sanqu-geo demand import` reads it back as it was.

    Example: sanqu-geo demand export --out od.omx --zones-out zones.gpkg
    """
    from sanqu_geo import demand as _demand
    from sanqu_geo._atomic import atomic_path
    from sanqu_geo.errors import DemandError

    drivers = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
    _demand.check_od_suffix(out)  # a wrong name fails before the demand is built
    if zones_out is not None and zones_out.suffix.lower() not in drivers:
        msg = f"{zones_out}: write the zones as .gpkg or .geojson"
        raise DemandError(msg)
    d = _demand.load_demand()
    _demand.write_od(d, out)
    console.print(_("[green]wrote[/green]") + f" {esc(out)}")
    if zones_out is not None:
        driver = drivers[zones_out.suffix.lower()]
        # the layer is named, not taken from the temporary file's name
        layer = {"layer": "zones"} if driver == "GPKG" else {}
        with atomic_path(zones_out) as tmp:
            d.zones.to_file(tmp, driver=driver, engine="pyogrio", **layer)
        console.print(_("[green]wrote[/green]") + f" {esc(zones_out)}")


@demand_app.command("reset", cls=SanquCommand)
def demand_reset() -> None:
    """Undo the demand in use: an estimate's prior comes back, else the default.

    After `demand estimate`, its prior is in use again (your imported demand, or the default);
    a second reset returns to the default. Otherwise your imported demand is forgotten.
    """
    from sanqu_geo import demand as _demand

    outcome = _demand.reset_demand()
    if outcome == "prior":
        d = _demand.load_demand(compute_default=False)
        console.print(f"restored the prior demand: {esc(d.source)}")
    elif outcome == "default":
        console.print("removed your demand; the indicative default is in use")
    else:
        console.print("no imported demand; the default is in use")


@demand_app.command("estimate", cls=SanquCommand)
def demand_estimate(
    counts_file: Annotated[
        Path | None,
        typer.Option(
            "--counts",
            help="CSV of traffic counts: road_id+direction or from_lon,from_lat,to_lon,to_lat; "
            "class (car/truck/all=PCU), period (am_peak), count per hour[, weight, label].",
        ),
    ] = None,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help=f"Write a counts template (default {TEMPLATE_FILE}) with rows on real roads "
            "of the network, and stop.",
        ),
    ] = None,
    gap: OdmeGapOpt = 1e-4,
    max_iterations: OdmeIterationsOpt = None,
    max_factor: OdmeFactorOpt = None,
) -> None:
    """Adjust the car and truck OD in use to traffic counts (Spiess 1990 gradient method).

    The estimate becomes the demand in use; `sanqu-geo demand reset` brings the prior back.

    Counts are of the morning peak hour (am_peak): vehicles per hour, PCU per hour for all.

    Example: sanqu-geo demand estimate --counts counts.csv (--template counts.csv writes one)
    """
    from sanqu_geo import assignment, counts, peak
    from sanqu_geo import demand as _demand

    name = _demand.network_name()
    if template is not None:
        d = _demand.load_demand(network=name)
        H, _centroids = peak.assignment_graph(name, None, zones=d.zones)
        counts.write_template(template, H)
        console.print(
            _("[green]wrote[/green]") + f" {esc(template)} (fill in the counts, then --counts)"
        )
        return
    if counts_file is None:
        raise typer.BadParameter("give --counts FILE (or --template to write one)")
    assignment.check_gap(gap)
    if max_factor is not None and not max_factor > 1:
        raise typer.BadParameter(f"--max-factor must be > 1 (e.g. 5), got {max_factor:g}")
    d = _demand.load_demand(network=name)
    console.print(f"prior 先验: {esc(d.source)}")
    H, centroids = peak.assignment_graph(name, None, zones=d.zones)
    table = counts.read_counts(counts_file, H)
    console.print(f"{len(table)} counts read from {esc(counts_file)}; network {esc(name)}")
    estimate, table, summary = counts.estimate_demand(
        d,
        table,
        H,
        centroids,
        gap=gap,
        max_iterations=max_iterations,
        max_factor=max_factor,
        progress=lambda line: console.print(f"  {line}"),
    )
    _demand.store_estimate(estimate, d)

    grid = Table(title="counts 观测流量 (per hour 每小时)")
    for column in (
        "where 位置",
        "class",
        "count",
        "before 先验",
        "after 估计",
        "GEH before",
        "GEH after",
    ):
        grid.add_column(column, justify="left" if column in ("where 位置", "class") else "right")
    for r in table.to_dict("records"):
        where = r["label"] or (
            f"{r['road_id']} {r['direction']}"
            if r["road_id"]
            else f"{r['from_lon']:.4f},{r['from_lat']:.4f}→{r['to_lon']:.4f},{r['to_lat']:.4f}"
        )
        grid.add_row(
            esc(where),
            r["class"],
            f"{r['count']:,.0f}",
            f"{r['before']:,.0f}",
            f"{r['after']:,.0f}",
            f"{r['geh_before']:.1f}",
            f"{r['geh_after']:.1f}",
        )
    print_table(grid)
    summary_table = Table(title="demand estimate 需求估计")
    summary_table.add_column("")
    summary_table.add_column("prior 先验", justify="right")
    summary_table.add_column("estimate 估计", justify="right")
    summary_table.add_row(
        "counts with GEH < 5", f"{summary['geh5_before']:.0%}", f"{summary['geh5_after']:.0%}"
    )
    for cls in ("car", "truck"):
        summary_table.add_row(
            f"{cls} veh/h",
            f"{summary['totals_before'][cls]:,.0f}",
            f"{summary['totals_after'][cls]:,.0f}",
        )
    print_table(summary_table)
    state = "converged" if summary["converged"] else "[yellow]stopped at the limit[/yellow]"
    console.print(
        f"{summary['changed_cells']} of {summary['cells']} OD cells changed by more than 1 %, "
        f"{summary['cells_at_bound']} at the ×{summary['max_factor']:g} bound; "
        f"{summary['iterations']} iterations ({summary['assignments']} assignments, {state}), "
        f"{summary['seconds']:.1f} s"
    )
    console.print(
        "[green]the estimate is the demand in use[/green] · `sanqu-geo demand reset` brings "
        "the prior back"
    )


@demand_app.command("calibrate", cls=SanquCommand)
def demand_calibrate(
    target: Annotated[
        float | None,
        typer.Option("--target", help="Delay index wanted (default: middle of the Amap range)."),
    ] = None,
) -> None:
    """Calibrate the default car trip rate to the Amap delay index, and compare the base hour.

    Bisects car_trips_per_resident until the base peak assignment's network delay index
    (congested ÷ free-flow vehicle-hours) meets the target, then sets the base hour of the
    demand in use against the published figures (airport expressway, Songhua bridges).

    Example: sanqu-geo demand calibrate
    """
    from sanqu_geo import demand as _demand
    from sanqu_geo import peak

    steps = peak.calibrate(target=target)
    table = Table(title="calibration 标定 (default demand)")
    for column in ("car trips/resident 人均", "car veh/h", "truck veh/h", "delay index", "gap"):
        table.add_column(column, justify="right")
    for r in steps.itertuples():
        table.add_row(
            f"{r.rate:.5f}",
            f"{r.car_trips:,.0f}",
            f"{r.truck_trips:,.0f}",
            f"{r.delay_index:.3f}",
            f"{r.relative_gap:.1e}",
        )
    print_table(table)
    d = _demand.load_demand()
    comparison = peak.calibration_table(peak.solve(demand_=d), d.expansion_factor)
    table = Table(title=f"base peak hour 现状高峰 · {d.source}")
    for column in ("measure 指标", "model 模型", "published 公布", "source 来源"):
        table.add_column(column)
    for r in comparison.itertuples():
        table.add_row(r.measure, r.model, r.published, r.source)
    print_table(table)
    console.print(
        f"the parameters file uses car_trips_per_resident = "
        f"{_demand.load_parameters()['generation']['car_trips_per_resident']}"
    )
