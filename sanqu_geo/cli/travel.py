"""``sanqu-geo od``, ``route`` and ``isochrones``: travel times between places."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import (
    CongestedOpt,
    DaskOpt,
    OsmFileOpt,
    ProfileOpt,
    ProfilesFileOpt,
    SanquCommand,
    app,
    console,
    dask_runner,
    esc,
    load_travel_graph,
    print_table,
    print_wide_table,
    progress_bar,
)
from sanqu_geo.i18n import _


def _vector_out(out: Path | None) -> None:
    """A bad --out for a map layer fails before the work."""
    from sanqu_geo.errors import DataSourceError

    if out is not None and out.suffix.lower() not in {".geojson", ".json", ".gpkg"}:
        raise DataSourceError(
            f"{out}: unknown format {out.suffix or '(none)'}; use .geojson or .gpkg"
        )
    if out is not None and out.is_dir():
        raise DataSourceError(f"{out}: is a folder; give a file name ending .geojson or .gpkg")


def _write_vector(frame, out: Path) -> None:
    """Write a route or isochrone layer atomically to the .gpkg or .geojson --out."""
    from sanqu_geo._atomic import atomic_path

    with atomic_path(out) as tmp:
        frame.to_file(
            tmp,
            driver="GPKG" if out.suffix.lower() == ".gpkg" else "GeoJSON",
            engine="pyogrio",
            layer=out.stem,
        )
    console.print(_("[green]wrote[/green]") + f" {esc(out)}")


def _say_resolved(place) -> None:
    """Say which place a name shared by a zone and a facility was taken to mean."""
    if "resolved" in place.attrs:
        console.print(f"[dim]{esc(place.attrs['resolved'])}[/dim]")


@app.command("od", cls=SanquCommand)
def od_command(
    from_: Annotated[
        str, typer.Option("--from", help="zones, facilities, all, or a file of places.")
    ] = "zones",
    to: Annotated[
        str, typer.Option("--to", help="zones, facilities, all, or a file of places.")
    ] = "facilities",
    profile: ProfileOpt = "car",
    osm_file: OsmFileOpt = None,
    profiles_file: ProfilesFileOpt = None,
    congested: CongestedOpt = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write minutes to .csv, .xlsx, .parquet or .md."),
    ] = None,
    dask: DaskOpt = None,
) -> None:
    """Travel times in minutes between places (zones, facilities or your own points).

    Example: sanqu-geo od --from zones --to facilities --profile car_peak --out od.xlsx

    Large matrices on Dask, streamed to Parquet (origin, destination, minutes):
    sanqu-geo od --from towns.csv --to towns.csv --out od.parquet --dask tcp://HOST:8786
    """
    from sanqu_geo import tables, travel

    if out is not None:
        tables.table_format(out)  # a bad --out fails before the work, not after
    if dask is not None and (out is None or out.suffix.lower() != ".parquet"):
        raise typer.BadParameter(
            "--dask streams the matrix in row blocks to Parquet: give --out FILE.parquet"
        )
    if dask is not None:
        from sanqu_geo import scaleout

        scaleout.parse_address(dask)  # a malformed address fails before the work
    G = load_travel_graph(osm_file, profile, profiles_file, congested=congested)
    origins, destinations = travel.load_places(from_), travel.load_places(to)
    if dask is not None:
        with dask_runner(dask) as runner, progress_bar("OD 出行时间 (Dask)") as bar:
            task = bar.add_task("od", total=len(origins))
            scaleout.place_od_to_parquet(
                G,
                origins,
                destinations,
                out,
                runner=runner,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        console.print(
            f"network 路网: {G.graph['source']} · profile 方案: {G.graph['profile']} · "
            f"{len(origins):,} × {len(destinations):,} pairs, minutes 分钟"
        )
        console.print(
            _("[green]wrote[/green]") + f" {out} (long form: origin, destination, minutes)"
        )
        return
    with progress_bar("OD 出行时间") as bar:
        task = bar.add_task("od", total=None)
        seconds = travel.place_od(
            G,
            origins,
            destinations,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    # a name shared by two places (内陆港: a facility and a zone) must not repeat a label
    table = tables.minutes_table(
        seconds, travel.table_labels(origins), travel.table_labels(destinations)
    )
    console.print(
        _("network 路网: {source} · profile 方案: {profile} · minutes 分钟").format(
            source=esc(G.graph["source"]), profile=esc(G.graph["profile"])
        )
    )
    print_wide_table(table)
    if out is not None:
        tables.write_table(table, out, sheet="OD minutes")
        console.print(_("[green]wrote[/green]") + f" {esc(out)}")


@app.command("route", cls=SanquCommand)
def route_command(
    from_: Annotated[
        str, typer.Option("--from", help="Facility or zone: id, Chinese or English name.")
    ],
    to: Annotated[str, typer.Option("--to", help="Facility or zone: id, Chinese or English name.")],
    profile: ProfileOpt = "car",
    osm_file: OsmFileOpt = None,
    profiles_file: ProfilesFileOpt = None,
    congested: CongestedOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the route line to .geojson or .gpkg.")
    ] = None,
) -> None:
    """The fastest route between two places, with its time, length and roads.

    Example: sanqu-geo route --from 哈尔滨站 --to airport --congested
    """
    from sanqu_geo import travel

    _vector_out(out)
    a, b = travel.find_place(from_), travel.find_place(to)
    for place in (a, b):
        _say_resolved(place)
    G = load_travel_graph(osm_file, profile, profiles_file, congested=congested)
    found, conn_a, conn_b = travel.place_route(G, a, b)
    minutes = (found.travel_time + conn_a + conn_b) / 60
    label_a = f"{a['name_zh'].iloc[0]} {a['name_en'].iloc[0]}"
    label_b = f"{b['name_zh'].iloc[0]} {b['name_en'].iloc[0]}"
    console.print(esc(f"{label_a} → {label_b}"))
    console.print(
        f"  {minutes:.1f} min 分钟 · {found.length / 1000:.1f} km 公里 "
        f"(connectors 接驳 {(conn_a + conn_b) / 60:.1f} min) · {esc(G.graph['source'])} · "
        f"{esc(G.graph['profile'])}"
    )
    names = []
    for u, v, k in found.edges:
        name = G.edges[u, v, k].get("name") or G.edges[u, v, k].get("ref") or ""
        name = "/".join(name) if isinstance(name, list) else str(name)
        if name and (not names or names[-1] != name):
            names.append(name)
    if names:
        console.print("  " + _("via 途经:") + " " + esc(" → ".join(names)))
    if out is not None:
        import geopandas as gpd

        frame = gpd.GeoDataFrame(
            {
                "from_id": [a["id"].iloc[0]],
                "to_id": [b["id"].iloc[0]],
                "minutes": [round(minutes, 2)],
                "length_km": [round(found.length / 1000, 3)],
                "profile": [G.graph["profile"]],
                "network": [G.graph["source"]],
            },
            geometry=[found.geometry],
            crs="EPSG:4326",
        )
        _write_vector(frame, out)


@app.command("isochrones", cls=SanquCommand)
def isochrones_command(
    from_: Annotated[
        str, typer.Option("--from", help="Facility or zone: id, Chinese or English name.")
    ],
    minutes: Annotated[
        str, typer.Option("--minutes", help="Thresholds, e.g. 15,30,45,60.")
    ] = "15,30,45,60",
    profile: ProfileOpt = "car",
    osm_file: OsmFileOpt = None,
    profiles_file: ProfilesFileOpt = None,
    congested: CongestedOpt = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write polygons to .geojson or .gpkg.")
    ] = None,
) -> None:
    """Areas reachable from a place within each number of minutes.

    Example: sanqu-geo isochrones --from airport --minutes 15,30,45,60 --out airport.geojson
    """
    from sanqu_geo import travel
    from sanqu_geo.errors import SanquGeoError, SettingsError

    try:
        thresholds = travel.check_minutes([float(m) for m in minutes.split(",") if m.strip()])
    except (ValueError, SanquGeoError):
        raise SettingsError(
            f"--minutes {minutes!r}: give positive numbers of minutes separated by commas, "
            "e.g. 15,30,45,60"
        ) from None
    _vector_out(out)
    place = travel.find_place(from_)
    _say_resolved(place)
    G = load_travel_graph(osm_file, profile, profiles_file, congested=congested)
    iso = travel.place_isochrones(G, place, thresholds)
    iso["profile"] = G.graph["profile"]
    iso["network"] = G.graph["source"]
    table = Table(
        title=esc(f"{place['name_zh'].iloc[0]} {place['name_en'].iloc[0]} · {G.graph['profile']}")
    )
    table.add_column(_("minutes 分钟"), justify="right")
    table.add_column(_("area km² 面积"), justify="right")
    for row in iso.itertuples():
        table.add_row(f"{row.minutes:g}", f"{row.area_km2:,.1f}")
    print_table(table)
    if out is not None:
        _write_vector(iso, out)
