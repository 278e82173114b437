"""The ``sanqu-geo`` command: parses options, calls the library, formats the answer.

No logic lives here; every command has a Python function behind it. Expected errors become
one red line and exit code 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from sanqu_geo import __version__
from sanqu_geo import layers as _layers
from sanqu_geo import network as _network
from sanqu_geo import speeds as _speeds
from sanqu_geo.errors import SanquGeoError

app = typer.Typer(
    name="sanqu-geo",
    help=(
        "Planning toolkit for Harbin's 三区一港: layers, road network, travel times, maps.\n\n"
        "Example: sanqu-geo meeting-pack --out pack/"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
layers_app = typer.Typer(
    help="The layers: zones, facilities, projects, river, districts, truck_bans.\n\nExample: sanqu-geo layers show zones",
    no_args_is_help=True,
)
app.add_typer(layers_app, name="layers")
network_app = typer.Typer(
    help="The road network: build it from the embedded trunk roads or OpenStreetMap, and describe it.\n\n"
    "Example: sanqu-geo network info --osm-file harbin.osm.pbf",
    no_args_is_help=True,
)
app.add_typer(network_app, name="network")
corridors_app = typer.Typer(
    help="Corridor options: list them and compare them with the base network.\n\n"
    "Example: sanqu-geo corridors compare --out results/",
    no_args_is_help=True,
)
app.add_typer(corridors_app, name="corridors")
maps_app = typer.Typer(
    help="Maps: publish the interactive map pages.\n\nExample: sanqu-geo maps build --offline --out maps-out/",
    no_args_is_help=True,
)
app.add_typer(maps_app, name="maps")

console = Console()
err_console = Console(stderr=True)

_state = {"debug": False}


def _print_table(table: Table) -> None:
    # Piped or captured output is not wrapped to 80 columns: tables stay one row per feature.
    (console if console.is_terminal else Console(width=220)).print(table)


def _version(value: bool) -> None:
    if value:
        console.print(f"sanqu-geo {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output.")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _state["debug"] = debug
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    root = logging.getLogger("sanqu_geo")
    root.setLevel(level)
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        root.addHandler(RichHandler(console=err_console, show_time=False, show_path=False))


# ---------------------------------------------------------------------------- layers


@layers_app.command("list")
def layers_list() -> None:
    """List the layers, their feature counts and where each comes from."""
    table = Table(title="图层 Layers")
    for column in ("name", "图层", "title", "features", "located", "origin"):
        table.add_column(column)
    for name, spec in _layers.LAYERS.items():
        gdf = _layers.load_layer(name)
        located = int((~(gdf.geometry.isna() | gdf.geometry.is_empty)).sum())
        table.add_row(
            name, spec.title_zh, spec.title_en, str(len(gdf)), str(located), gdf.attrs["origin"]
        )
    _print_table(table)


@layers_app.command("show")
def layers_show(
    name: Annotated[str, typer.Argument(help="Layer name, e.g. zones.")],
) -> None:
    """Show the features of one layer."""
    gdf = _layers.load_layer(name)
    table = Table(title=f"{name} ({gdf.attrs['origin']})")
    shown = [
        c
        for c in (
            "id",
            "item",
            "name_zh",
            "title_zh",
            "name_en",
            "title_en",
            "kind",
            "phase",
            "status",
            "accuracy",
        )
        if c in gdf.columns
    ]
    for column in [*shown, "geometry"]:
        table.add_column(column)
    for (_, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True):
        gtext = "unknown location" if geom is None else geom.geom_type
        table.add_row(*[("" if row[c] is None else str(row[c])) for c in shown], gtext)
    _print_table(table)


@layers_app.command("validate")
def layers_validate(
    names: Annotated[
        list[str] | None, typer.Argument(help="Layers to check (default: all).")
    ] = None,
) -> None:
    """Validate layers against their schemas; exit code 2 when any problem is found."""
    problems = 0
    for name in names or list(_layers.LAYERS):
        gdf = _layers.load_layer(name)
        issues = _layers.validate_layer(gdf, name)
        problems += len(issues)
        if issues:
            for issue in issues:
                err_console.print(f"[red]{issue}[/red]")
        else:
            console.print(f"[green]ok[/green] {name}: {len(gdf)} features ({gdf.attrs['origin']})")
    if problems:
        err_console.print(f"[red]{problems} problem(s) found[/red]")
        raise typer.Exit(code=2)


@layers_app.command("import")
def layers_import(
    file: Annotated[
        Path, typer.Argument(help="GeoPackage, Shapefile, GeoJSON, KML or CSV (lon/lat).")
    ],
    as_: Annotated[
        str, typer.Option("--as", help="The layer it replaces: zones, facilities, projects, …")
    ],
    crs: Annotated[
        str | None, typer.Option(help="The file's CRS: wgs84, gcj02, bd09, cgcs2000 or EPSG:xxxx.")
    ] = None,
    accuracy: Annotated[
        str, typer.Option(help="Accuracy of features that have none.")
    ] = "official",
    make_valid: Annotated[
        bool, typer.Option("--make-valid", help="Repair invalid geometries.")
    ] = False,
    layer: Annotated[str | None, typer.Option(help="Layer inside a multi-layer file.")] = None,
) -> None:
    """Import a user's file in place of an embedded layer.

    Example: sanqu-geo layers import zones.gpkg --as zones --crs gcj02
    """
    gdf = _layers.import_layer(
        file, as_, crs=crs, accuracy=accuracy, fix_invalid=make_valid, source_layer=layer
    )
    console.print(f"[green]imported[/green] {len(gdf)} features from {file} as layer {as_}")


@layers_app.command("reset")
def layers_reset(name: Annotated[str, typer.Argument(help="Layer name.")]) -> None:
    """Forget an imported layer and use the embedded one again."""
    removed = _layers.remove_imported_layer(name)
    console.print(
        f"{name}: {'imported layer removed' if removed else 'already the embedded layer'}"
    )


@layers_app.command("export")
def layers_export(
    name: Annotated[str, typer.Argument(help="Layer name.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file.")],
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="gpkg, geojson, shp or csv (default: from --out)."),
    ] = None,
    crs: Annotated[
        str, typer.Option(help="Output CRS: wgs84, gcj02, bd09, cgcs2000 or EPSG:xxxx.")
    ] = "wgs84",
) -> None:
    """Export a layer to a file.

    Example: sanqu-geo layers export zones --format gpkg --out zones.gpkg --crs EPSG:4551
    """
    path = _layers.export_layer(name, out, fmt=fmt, crs=crs)
    console.print(f"[green]wrote[/green] {path}")


# ---------------------------------------------------------------------------- network

OsmFileOpt = Annotated[
    Path | None,
    typer.Option("--osm-file", help="OpenStreetMap file: .osm, .osm.xml, .osm.bz2 or .osm.pbf."),
]
PlaceOpt = Annotated[
    str | None, typer.Option("--place", help="Place name for Overpass (online; cached).")
]
BboxOpt = Annotated[
    str | None,
    typer.Option("--bbox", help="west,south,east,north in degrees for Overpass (online; cached)."),
]
ProfileOpt = Annotated[
    str, typer.Option("--profile", help="car, car_peak, truck, winter, or one from --profiles.")
]
ProfilesFileOpt = Annotated[
    Path | None, typer.Option("--profiles", help="TOML file that defines or overrides profiles.")
]


def _network_source(osm_file: Path | None, place: str | None, bbox: str | None) -> str | tuple:
    given = [v for v in (osm_file, place, bbox) if v is not None]
    if len(given) > 1:
        raise typer.BadParameter("give only one of --osm-file, --place, --bbox")
    if osm_file is not None:
        return str(osm_file)
    if bbox is not None:
        return _network.parse_bbox(bbox)
    return place if place is not None else "trunk"


def _load(osm_file, place, bbox, profile, profiles_file, *, use_cache: bool = True):
    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    source = _network_source(osm_file, place, bbox)
    with console.status(
        f"loading the road network ({source if source != 'trunk' else 'embedded trunk'})"
    ):
        return _network.load_network(source, profile=profile, use_cache=use_cache), source


@network_app.command("build")
def network_build(
    osm_file: OsmFileOpt = None,
    place: PlaceOpt = None,
    bbox: BboxOpt = None,
    profile: ProfileOpt = "car",
    profiles_file: ProfilesFileOpt = None,
) -> None:
    """Build the road graph and write it to the cache (GraphML).

    Example: sanqu-geo network build --osm-file harbin-core.osm.pbf --profile truck
    """
    import osmnx as ox

    from sanqu_geo._atomic import atomic_path

    G, source = _load(osm_file, place, bbox, profile, profiles_file)
    path = _network.cache_path(source) if source != "trunk" else _network.cache_path("trunk")
    path = path.with_name(path.stem + f"-{profile}.graphml")
    with atomic_path(path) as tmp:
        ox.save_graphml(G, tmp)
    console.print(
        f"[green]built[/green] {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges -> {path}"
    )


@network_app.command("info")
def network_info(
    osm_file: OsmFileOpt = None,
    place: PlaceOpt = None,
    bbox: BboxOpt = None,
    profile: ProfileOpt = "car",
    profiles_file: ProfilesFileOpt = None,
) -> None:
    """Print nodes, edges, km by road class, connected components and the source."""
    G, _ = _load(osm_file, place, bbox, profile, profiles_file)
    summary = _network.network_summary(G)
    console.print(f"source 来源: {summary['source']}")
    console.print(f"profile 方案: {summary['profile']}")
    console.print(f"nodes 节点: {summary['nodes']:,}   edges 路段: {summary['edges']:,}")
    console.print(
        f"weakly connected components 弱连通分量: {summary['weak_components']}   "
        f"strongly connected 强连通分量: {summary['strong_components']} "
        f"(largest holds {summary['largest_strong_share']:.1%} of nodes)"
    )
    table = Table(title="km by road class 各等级道路里程")
    table.add_column("highway")
    table.add_column("km", justify="right")
    for cls, km in summary["km_by_class"].items():
        table.add_row(cls, f"{km:,.1f}")
    table.add_row("total 合计", f"{summary['km_total']:,.1f}")
    _print_table(table)


@network_app.command("access")
def network_access(
    places: Annotated[
        str, typer.Option("--places", help="zones, facilities, all, or a file of places.")
    ] = "all",
    osm_file: OsmFileOpt = None,
    profile: ProfileOpt = "car",
) -> None:
    """Show where each place joins the network: access node, snapping distance, connector time."""
    from sanqu_geo import travel

    G, _ = _load(osm_file, None, None, profile, None)
    frame = travel.load_places(places)
    table_data = travel.access_table(G, frame).merge(frame[["id", "short_zh", "short_en"]], on="id")
    table = Table(title=f"access 接入 · {G.graph['source']}")
    for column in (
        "id",
        "名称",
        "name",
        "node 节点",
        "method 方式",
        "distance m 距离",
        "connector s 接驳",
    ):
        table.add_column(column)
    for r in table_data.itertuples():
        table.add_row(
            r.id,
            r.short_zh,
            r.short_en,
            str(r.node),
            r.method,
            f"{r.distance_m:,.0f}",
            f"{r.connector_s:,.0f}",
        )
    _print_table(table)


# ---------------------------------------------------------------------------- travel times


def _progress_bar(description: str):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(description),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


@app.command("od")
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
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write minutes to .csv, .xlsx, .parquet or .md."),
    ] = None,
) -> None:
    """Travel times in minutes between places (zones, facilities or your own points).

    Example: sanqu-geo od --from zones --to facilities --profile car_peak --out od.xlsx
    """
    from sanqu_geo import tables, travel

    if out is not None:
        tables.table_format(out)  # a bad --out fails before the work, not after
    G, _ = _load(osm_file, None, None, profile, profiles_file)
    origins, destinations = travel.load_places(from_), travel.load_places(to)
    with _progress_bar("OD 出行时间") as bar:
        task = bar.add_task("od", total=None)
        seconds = travel.place_od(
            G,
            origins,
            destinations,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    table = tables.minutes_table(seconds, origins, destinations)
    console.print(f"network 路网: {G.graph['source']} · profile 方案: {profile} · minutes 分钟")
    _print_table(_rich_table(table))
    if out is not None:
        tables.write_table(table, out, sheet="OD minutes")
        console.print(f"[green]wrote[/green] {out}")


def _rich_table(frame) -> Table:
    import math

    table = Table(show_lines=False)
    table.add_column(str(frame.index.name or ""))
    for column in frame.columns:
        table.add_column(str(column), justify="right")
    for idx, row in frame.iterrows():
        cells = [
            "∞"
            if isinstance(v, float) and math.isinf(v)
            else (f"{v:.1f}" if isinstance(v, float) else str(v))
            for v in row
        ]
        table.add_row(str(idx), *cells)
    return table


@app.command("route")
def route_command(
    from_: Annotated[
        str, typer.Option("--from", help="Facility or zone: id, Chinese or English name.")
    ],
    to: Annotated[str, typer.Option("--to", help="Facility or zone: id, Chinese or English name.")],
    profile: ProfileOpt = "car",
    osm_file: OsmFileOpt = None,
    profiles_file: ProfilesFileOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the route line to .geojson or .gpkg.")
    ] = None,
) -> None:
    """The fastest route between two places, with its time, length and roads.

    Example: sanqu-geo route --from 哈尔滨西站 --to airport
    """
    from sanqu_geo import travel

    a, b = travel.find_place(from_), travel.find_place(to)
    G, _ = _load(osm_file, None, None, profile, profiles_file)
    found, conn_a, conn_b = travel.place_route(G, a, b)
    minutes = (found.travel_time + conn_a + conn_b) / 60
    label_a = f"{a['name_zh'].iloc[0]} {a['name_en'].iloc[0]}"
    label_b = f"{b['name_zh'].iloc[0]} {b['name_en'].iloc[0]}"
    console.print(f"{label_a} → {label_b}")
    console.print(
        f"  {minutes:.1f} min 分钟 · {found.length / 1000:.1f} km 公里 "
        f"(connectors 接驳 {(conn_a + conn_b) / 60:.1f} min) · {G.graph['source']} · {profile}"
    )
    names = []
    for u, v, k in found.edges:
        name = G.edges[u, v, k].get("name") or G.edges[u, v, k].get("ref") or ""
        name = "/".join(name) if isinstance(name, list) else str(name)
        if name and (not names or names[-1] != name):
            names.append(name)
    if names:
        console.print("  via 途经: " + " → ".join(names))
    if out is not None:
        import geopandas as gpd

        from sanqu_geo._atomic import atomic_path

        frame = gpd.GeoDataFrame(
            {
                "from_id": [a["id"].iloc[0]],
                "to_id": [b["id"].iloc[0]],
                "minutes": [round(minutes, 2)],
                "length_km": [round(found.length / 1000, 3)],
                "profile": [profile],
                "network": [G.graph["source"]],
            },
            geometry=[found.geometry],
            crs="EPSG:4326",
        )
        with atomic_path(out) as tmp:
            frame.to_file(
                tmp, driver="GPKG" if out.suffix.lower() == ".gpkg" else "GeoJSON", engine="pyogrio"
            )
        console.print(f"[green]wrote[/green] {out}")


@app.command("isochrones")
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
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write polygons to .geojson or .gpkg.")
    ] = None,
) -> None:
    """Areas reachable from a place within each number of minutes.

    Example: sanqu-geo isochrones --from airport --minutes 15,30,45,60 --out airport.geojson
    """
    from sanqu_geo import travel
    from sanqu_geo._atomic import atomic_path

    try:
        thresholds = [float(m) for m in minutes.split(",") if m.strip()]
    except ValueError:
        raise typer.BadParameter(
            f"--minutes {minutes!r}: give numbers separated by commas, e.g. 15,30,45,60"
        ) from None
    place = travel.find_place(from_)
    G, _ = _load(osm_file, None, None, profile, profiles_file)
    iso = travel.place_isochrones(G, place, thresholds)
    iso["profile"] = profile
    iso["network"] = G.graph["source"]
    table = Table(title=f"{place['name_zh'].iloc[0]} {place['name_en'].iloc[0]} · {profile}")
    table.add_column("minutes 分钟", justify="right")
    table.add_column("area km² 面积", justify="right")
    for row in iso.itertuples():
        table.add_row(f"{row.minutes:g}", f"{row.area_km2:,.1f}")
    _print_table(table)
    if out is not None:
        with atomic_path(out) as tmp:
            iso.to_file(
                tmp, driver="GPKG" if out.suffix.lower() == ".gpkg" else "GeoJSON", engine="pyogrio"
            )
        console.print(f"[green]wrote[/green] {out}")


# ---------------------------------------------------------------------------- corridors

ScenarioArg = Annotated[
    Path | None, typer.Argument(help="Scenario TOML file (default: the plan's own options).")
]


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
            f"{option.cost / 1e8:.1f}",
        )
    _print_table(table)


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


# ---------------------------------------------------------------------------- maps


@maps_app.command("build")
def maps_build(
    recipes: Annotated[
        list[str] | None,
        typer.Argument(help="Recipe names or TOML files (default: infrastructure corridors)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder for the HTML pages.")
    ] = Path("maps-out"),
    basemap: Annotated[
        str | None, typer.Option("--basemap", help="osm, gaode, gaode_satellite, tianditu, none.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="zh, en or both.")] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Pages that need no internet at all.")
    ] = False,
    tiles: Annotated[
        Path | None, typer.Option("--tiles", help="Local tile folder {z}/{x}/{y}.png.")
    ] = None,
    assets: Annotated[
        Path | None,
        typer.Option("--assets", help="Folder with local copies of scripts and styles."),
    ] = None,
) -> None:
    """Build one HTML page per map recipe.

    Example: sanqu-geo maps build infrastructure --basemap gaode --out maps-out/
    """
    from sanqu_geo.maps import interactive

    names = recipes or ["infrastructure", "corridors"]
    corridor_data = None
    with_corridors = [r for r in map(interactive.load_recipe, names) if "corridors" in r.layers]
    if with_corridors:
        from sanqu_geo import compare, scenarios

        options = with_corridors[0].corridors or {}
        with console.status("computing the corridor options for the map"):
            comparison = compare.compare(
                scenarios.load_scenario(options.get("scenario") or None),
                profile=options.get("profile"),
                isochrones=False,
                sensitivity=False,
            )
            minutes = tuple(float(m) for m in options.get("minutes", compare.ISOCHRONE_MINUTES))
            corridor_data = compare.map_layers(comparison, minutes=minutes)
    with console.status("building the maps"):
        pages = interactive.publish(
            names,
            out,
            basemap=basemap,
            lang=lang,
            offline=offline,
            tiles=tiles,
            assets=assets,
            corridor_data=corridor_data,
        )
    for page in pages:
        console.print(f"[green]wrote[/green] {page} ({page.stat().st_size / 1e6:.2f} MB)")


# ---------------------------------------------------------------------------- meeting pack


@app.command("meeting-pack")
def meeting_pack_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (replaced when complete).")
    ] = Path("pack"),
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario TOML (default: the plan's options).")
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="A4 or A3.")] = "A3",
    lang: Annotated[str, typer.Option("--lang", help="Print-map labels: zh, en or both.")] = "zh",
    font: Annotated[
        str | None, typer.Option("--font", help="CJK font family or file for the print maps.")
    ] = None,
) -> None:
    """Write the joint-meeting pack: print maps, workbook, offline web maps and an index page.

    Example: sanqu-geo meeting-pack --out pack/
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sanqu_geo import report
    from sanqu_geo.errors import SettingsError

    if paper not in {"A4", "A3"}:
        raise SettingsError(f"--paper {paper!r}: use A4 or A3")
    if lang not in {"zh", "en", "both"}:
        raise SettingsError(f"--lang {lang!r}: use zh, en or both")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("meeting pack", total=len(report.STEPS))
        done = {"n": 0}

        def step(name: str) -> None:
            bar.update(task, completed=done["n"], description=name)
            done["n"] += 1

        folder = report.meeting_pack(
            out, scenario=scenario, paper=paper, lang=lang, font=font, progress=step
        )
        bar.update(task, completed=len(report.STEPS))
    console.print(f"[green]meeting pack written[/green] to {folder}: open {folder / 'index.html'}")


# ---------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return its exit code.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 2 on a usage error or an expected error, 1 on an unexpected one.
    """
    args = sys.argv[1:] if argv is None else argv
    _state["debug"] = "--debug" in args
    try:
        app(args=args, prog_name="sanqu-geo")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except SanquGeoError as exc:
        if _state["debug"]:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:
        if _state["debug"]:
            raise
        err_console.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(run again with --debug for the traceback, and report it)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
