"""``sanqu-geo demand``: the zones and peak-hour OD in use; import, export and reset them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import SanquGroup, app, console, print_table

demand_app = typer.Typer(
    cls=SanquGroup,
    help="Zones and peak-hour OD matrices (car, truck): the indicative default or your own.\n\n"
    "Example: sanqu-geo demand import --od od.omx --zones zones.gpkg",
    no_args_is_help=True,
)
app.add_typer(demand_app, name="demand")


@demand_app.command("show")
def demand_show() -> None:
    """Zones, trips produced and attracted per zone, and totals by class."""
    from sanqu_geo import demand as _demand

    d = _demand.load_demand()
    console.print(f"demand 需求: {d.source}")
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
            z.id,
            str(z.name_zh),
            str(z.kind),
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


@demand_app.command("import")
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


@demand_app.command("export")
def demand_export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the OD to .csv or .omx.")],
    zones_out: Annotated[
        Path | None, typer.Option("--zones-out", help="Also write the zones (.gpkg or .geojson).")
    ] = None,
) -> None:
    """Write the demand in use (OD as CSV or OMX, and the zones).

    Example: sanqu-geo demand export --out od.omx --zones-out zones.gpkg
    """
    from sanqu_geo import demand as _demand
    from sanqu_geo._atomic import atomic_path
    from sanqu_geo.errors import DemandError

    drivers = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".json": "GeoJSON"}
    if zones_out is not None and zones_out.suffix.lower() not in drivers:
        msg = f"{zones_out}: write the zones as .gpkg or .geojson"
        raise DemandError(msg)
    d = _demand.load_demand()
    _demand.write_od(d, out)
    console.print(f"[green]wrote[/green] {out}")
    if zones_out is not None:
        driver = drivers[zones_out.suffix.lower()]
        # the layer is named, not taken from the temporary file's name
        layer = {"layer": "zones"} if driver == "GPKG" else {}
        with atomic_path(zones_out) as tmp:
            d.zones.to_file(tmp, driver=driver, engine="pyogrio", **layer)
        console.print(f"[green]wrote[/green] {zones_out}")


@demand_app.command("reset")
def demand_reset() -> None:
    """Forget your imported demand; the indicative default is used again."""
    from sanqu_geo import demand as _demand

    removed = _demand.remove_imported_demand()
    console.print("removed your demand" if removed else "no imported demand; the default is in use")


@demand_app.command("calibrate")
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
