"""``sanqu-geo layers``: list, show, validate, import, export and reset layers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sanqu_geo.cli._common import (
    SanquCommand,
    SanquGroup,
    app,
    console,
    err_console,
    esc,
    lazy,
    print_table,
)
from sanqu_geo.errors import SanquGeoError
from sanqu_geo.i18n import _

_layers = lazy("sanqu_geo.layers")

layers_app = typer.Typer(
    cls=SanquGroup,
    help="The layers: zones, facilities, projects, river, districts, truck_bans.\n\nExample: sanqu-geo layers show zones",
    no_args_is_help=True,
)
app.add_typer(layers_app, name="layers")


@layers_app.command("list", cls=SanquCommand)
def layers_list() -> None:
    """List the layers, their feature counts and where each comes from."""
    table = Table(title=_("图层 Layers"))
    for column in ("name", "图层", "title", "features", "located", "origin"):
        table.add_column(_(column))
    for name, spec in _layers.LAYERS.items():
        gdf = _layers.load_layer(name)
        located = int((~(gdf.geometry.isna() | gdf.geometry.is_empty)).sum())
        table.add_row(
            name,
            spec.title_zh,
            spec.title_en,
            str(len(gdf)),
            str(located),
            esc(gdf.attrs["origin"]),
        )
    print_table(table)


@layers_app.command("show", cls=SanquCommand)
def layers_show(
    name: Annotated[str, typer.Argument(help="Layer name, e.g. zones.")],
) -> None:
    """Show the features of one layer."""
    gdf = _layers.load_layer(name)
    table = Table(title=esc(f"{name} ({gdf.attrs['origin']})"))
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
    for (_index, row), geom in zip(gdf.iterrows(), gdf.geometry, strict=True):
        gtext = _("unknown location") if geom is None else geom.geom_type
        table.add_row(*[("" if row[c] is None else esc(row[c])) for c in shown], gtext)
    print_table(table)


@layers_app.command("validate", cls=SanquCommand)
def layers_validate(
    names: Annotated[
        list[str] | None, typer.Argument(help="Layers to check (default: all).")
    ] = None,
) -> None:
    """Validate layers against their schemas; exit code 2 when any problem is found."""
    problems = 0
    names = names or list(_layers.LAYERS)
    for name in names:
        gdf = _layers.load_layer(name)
        issues = _layers.validate_layer(gdf, name)
        problems += len(issues)
        if issues:
            for issue in issues:
                err_console.print(f"[red]{esc(issue)}[/red]")
        else:
            console.print(
                _("[green]ok[/green] {name}: {n} features ({origin})").format(
                    name=esc(name), n=len(gdf), origin=esc(gdf.attrs["origin"])
                )
            )
    if {"facilities", "zones"} & set(names):
        # What corridor comparisons and the meeting pack need of the place layers.
        try:
            roles = _layers.role_issues()
        except SanquGeoError as exc:
            roles = [str(exc)]
        for issue in roles:
            err_console.print(f"[red]{esc(issue)}[/red]")
        problems += len(roles)
        if not roles:
            console.print(
                _("[green]ok[/green] the key places of the main jobs:")
                + " "
                + ", ".join(_layers.PLACE_ROLES)
            )
    if problems:
        err_console.print(_("[red]{n} problem(s) found[/red]").format(n=problems))
        raise typer.Exit(code=2)


@layers_app.command("import", cls=SanquCommand)
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
        bool, typer.Option("--make-valid", help="Repair invalid geometries.", metavar="")
    ] = False,
    layer: Annotated[str | None, typer.Option(help="Layer inside a multi-layer file.")] = None,
) -> None:
    """Import a user's file in place of an embedded layer.

    Example: sanqu-geo layers import zones.gpkg --as zones --crs gcj02
    """
    gdf = _layers.import_layer(
        file, as_, crs=crs, accuracy=accuracy, fix_invalid=make_valid, source_layer=layer
    )
    console.print(
        _("[green]imported[/green] {n} features from {file} as layer {layer}").format(
            n=len(gdf), file=esc(file), layer=esc(as_)
        )
    )


@layers_app.command("reset", cls=SanquCommand)
def layers_reset(name: Annotated[str, typer.Argument(help="Layer name.")]) -> None:
    """Forget an imported layer and use the embedded one again."""
    removed = _layers.remove_imported_layer(name)
    said = _("imported layer removed") if removed else _("already the embedded layer")
    console.print(f"{esc(name)}: {said}")


@layers_app.command("export", cls=SanquCommand)
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
    console.print(_("[green]wrote[/green]") + f" {esc(path)}")
