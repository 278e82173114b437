"""``sanqu-geo maps build`` and ``sanqu-geo meeting-pack``: the published maps and the pack."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sanqu_geo.cli._common import (
    ForceOpt,
    SanquCommand,
    SanquGroup,
    app,
    console,
    err_console,
    esc,
    parse_day,
)
from sanqu_geo.i18n import _

maps_app = typer.Typer(
    cls=SanquGroup,
    help="Maps: publish the interactive map pages.\n\nExample: sanqu-geo maps build --offline --out maps-out/",
    no_args_is_help=True,
)
app.add_typer(maps_app, name="maps")


@maps_app.command("build", cls=SanquCommand)
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
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of the pages: zh, en or both (the interface language is the global "
            "--lang, given before the command).",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Pages that need no internet at all.", metavar="")
    ] = False,
    tiles: Annotated[
        Path | None,
        typer.Option("--tiles", help="Local tile folder {z}/{x}/{y}.png, or an .mbtiles file."),
    ] = None,
    assets: Annotated[
        Path | None,
        typer.Option("--assets", help="Folder with local copies of scripts and styles."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace your own files of the pages' names in --out (other files are "
            "always kept; pages built earlier stay).",
            metavar="",
        ),
    ] = False,
) -> None:
    """Build one HTML page per map recipe.

    The pages join the files already in --out; a file of yours with a page's name is only
    replaced with --force.

    Example: sanqu-geo maps build infrastructure --basemap gaode --out maps-out/
    """
    from sanqu_geo._atomic import check_output_folder, replaced_files
    from sanqu_geo.cli.corridors import say_replaced
    from sanqu_geo.errors import DataSourceError, SettingsError
    from sanqu_geo.maps import basemaps, interactive

    # Every option is checked before the work, which takes a while.
    if basemap is not None:
        basemaps.get_basemap(basemap, tiles_folder="tiles" if basemap == "local" else None)
    if lang is not None and lang not in {"zh", "en", "both"}:
        raise SettingsError(f"--lang {lang!r}: use zh, en or both")
    for option, folder in (("--tiles", tiles), ("--assets", assets)):
        if folder is not None and not folder.is_dir():
            raise DataSourceError(f"{option} {folder}: folder not found; check the path")
    names = recipes or ["infrastructure", "corridors"]
    loaded = [interactive.load_recipe(name) for name in names]
    pages = [f"{recipe.name}.html" for recipe in loaded]
    check_output_folder(out, force=force, beside=True, names=pages)
    corridor_data = None
    with_corridors = [r for r in loaded if "corridors" in r.layers]
    if with_corridors:
        from sanqu_geo import compare, scenarios

        options = with_corridors[0].corridors or {}
        with console.status(_("computing the corridor options for the map")):
            comparison = compare.compare(
                scenarios.load_scenario(options.get("scenario") or None), sensitivity=False
            )
            minutes = tuple(float(m) for m in options.get("minutes", compare.ISOCHRONE_MINUTES))
            corridor_data = compare.map_layers(
                comparison, profile=options.get("profile"), minutes=minutes
            )
    with console.status(_("building the maps")), replaced_files() as replaced:
        written = interactive.publish(
            names,
            out,
            basemap=basemap,
            lang=lang,
            offline=offline,
            tiles=tiles,
            assets=assets,
            corridor_data=corridor_data,
            force=force,
        )
    for page in written:
        console.print(
            _("[green]wrote[/green]") + f" {esc(page)} ({page.stat().st_size / 1e6:.2f} MB)"
        )
    say_replaced(replaced)


# ---------------------------------------------------------------------------- meeting pack


@app.command("meeting-pack", cls=SanquCommand)
def meeting_pack_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder: new, empty or an earlier pack (its files are replaced when "
            "the new ones are complete).",
        ),
    ] = Path("pack"),
    scenario: Annotated[
        Path | None, typer.Option("--scenario", help="Scenario TOML (default: the plan's options).")
    ] = None,
    paper: Annotated[str, typer.Option("--paper", help="A4 or A3.")] = "A3",
    lang: Annotated[
        str,
        typer.Option(
            "--lang",
            help="Language of the maps' labels: zh, en or both (the interface language is the "
            "global --lang, given before the command).",
        ),
    ] = "zh",
    font: Annotated[
        str | None, typer.Option("--font", help="CJK font family or file for the print maps.")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="The meeting day, YYYY-MM-DD (default: today): the register's status as of it.",
        ),
    ] = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="Add the one-at-a-time sensitivity runs (demand, capacity, truck PCE, "
            "volume-delay α): 8 more assignments of the base and every road option, about ten "
            "minutes on the city network.",
        ),
    ] = False,
    force: ForceOpt = False,
) -> None:
    """Write the joint-meeting pack: print maps, workbook, offline web maps and an index page.

    Example: sanqu-geo meeting-pack --out pack/
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from sanqu_geo import report
    from sanqu_geo._atomic import check_output_folder, replaced_files
    from sanqu_geo.cli.corridors import say_replaced
    from sanqu_geo.errors import SettingsError

    check_output_folder(out, force=force, names=report.PACK_FILES)

    if paper not in {"A4", "A3"}:
        raise SettingsError(_("--paper {paper!r}: use A4 or A3").format(paper=paper))
    if lang not in {"zh", "en", "both"}:
        raise SettingsError(f"--lang {lang!r}: use zh, en or both")
    day = parse_day(date, "--date")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(_("meeting pack"), total=len(report.STEPS))
        done = {"n": 0}

        def step(name: str) -> None:
            bar.update(task, completed=done["n"], description=_(name))
            done["n"] += 1

        with replaced_files() as replaced:
            folder = report.meeting_pack(
                out,
                scenario=scenario,
                paper=paper,
                lang=lang,
                font=font,
                date=day,
                progress=step,
                force=force,
                sensitivity=sensitivity,
                detail=lambda text: bar.update(task, description=f"{report.STEPS[0]}: {text}"),
            )
        bar.update(task, completed=len(report.STEPS))
    console.print(
        _("[green]meeting pack written[/green] to {folder}: open {index}").format(
            folder=esc(folder), index=esc(folder / "index.html")
        )
    )
    say_replaced(replaced)
