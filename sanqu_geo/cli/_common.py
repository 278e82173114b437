"""What the command groups share: the app, the consoles, common options and helpers."""

from __future__ import annotations

import datetime as _dt
import inspect
import logging
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from typer import rich_utils
from typer.core import TyperCommand, TyperGroup

from sanqu_geo import __version__
from sanqu_geo.i18n import _, language, set_language


class _LazyModule:
    """A module imported on first use, so that ``sanqu-geo assign`` never loads the GIS stack."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        return getattr(importlib.import_module(self._name), attr)


def lazy(name: str) -> Any:
    """Return a stand-in for module ``name`` that imports it when an attribute is read."""
    return _LazyModule(name)


_network = lazy("sanqu_geo.network")
_speeds = lazy("sanqu_geo.speeds")


class _Localised:
    """Help and usage in the interface language (shared by commands and groups)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _localise_command(self)
        _localise_help_labels()
        super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _write_usage(self, ctx, formatter)


class SanquGroup(_Localised, TyperGroup):
    """A command group whose help speaks the interface language and shows no ``<bool>`` type.

    Typer builds the Click commands anew on every run, so their help texts are put into the
    interface language as each command is looked up.
    """

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _plain_flags([*self.params, option])
        _localise_params([option])
        return option

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not hasattr(command, "commands"):  # a command, not a group
            _plain_flags([*command.params, command.get_help_option(ctx)])
        if command is not None:
            _localise_command(command)
        return command


class SanquCommand(_Localised, TyperCommand):
    """A command whose help and usage line speak the interface language."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _localise_params([option])
        return option


def _write_usage(command: Any, ctx: Any, formatter: Any) -> None:
    pieces = command.collect_usage_pieces(ctx)
    prefix = _("Usage:")
    formatter.write_usage(
        ctx.command_path, " ".join(pieces), prefix=prefix if prefix.endswith("：") else prefix + " "
    )


def localise_help(text: str | None) -> str | None:
    """A help text in the interface language, paragraph by paragraph.

    Paragraphs missing from the catalogue stay English, except an ``Example:`` line, whose
    command is the same in both languages.
    """
    if not text or language() == "en":
        return text
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        said = _(paragraph)
        if said is paragraph and paragraph.startswith("Example: "):
            said = _("Example: {command}").format(command=paragraph.removeprefix("Example: "))
        paragraphs.append(said)
    return "\n\n".join(paragraphs)


def _localise_params(params: list[Any]) -> None:
    for param in params:
        if getattr(param, "help", None):
            param.help = localise_help(param.help)


def _localise_command(command: Any) -> None:
    command.help = localise_help(command.help)
    command.short_help = localise_help(command.short_help)
    _localise_params(command.params)


def _localise_help_labels() -> None:
    """Panel titles and the default/required marks of Typer's help, in the interface language."""
    rich_utils.ARGUMENTS_PANEL_TITLE = _("Arguments")
    rich_utils.OPTIONS_PANEL_TITLE = _("Options")
    rich_utils.COMMANDS_PANEL_TITLE = _("Commands")
    rich_utils.DEFAULT_STRING = _("[default: {}]")
    rich_utils.REQUIRED_LONG_STRING = _("[required]")


def _plain_flags(params: list[Any]) -> None:
    """On/off flags take no value: their help shows none (Typer vendors its own click)."""
    for param in params:
        if getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.metavar = ""


app = typer.Typer(
    cls=SanquGroup,
    name="sanqu-geo",
    help=(
        "Planning toolkit for Harbin's 三区一港: layers, road network, travel times, maps.\n\n"
        "Example: sanqu-geo meeting-pack --out pack/"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err_console = Console(stderr=True)

state = {"debug": False}


def esc(value: object) -> str:
    """Text from a user or a file, safe to print: never read as Rich markup."""
    return escape(str(value))


def print_table(table: Table) -> None:
    # Piped or captured output is not wrapped to 80 columns: tables stay one row per feature.
    (console if console.is_terminal else Console(width=220)).print(table)


def print_wide_table(frame) -> None:
    """A table of many number columns, split into blocks of columns that fit the terminal.

    Columns are numbered; the key under each block names them, so each column is only as
    wide as its numbers.
    """
    width = console.width if console.is_terminal else 220
    label_width = max((len(str(i)) for i in frame.index), default=8)
    label_width = min(max(label_width, 8), 28)
    # a number column takes 7 characters with its padding and border
    per_block = max(1, (width - label_width - 4) // 7)
    columns = list(frame.columns)
    out = console if console.is_terminal else Console(width=width)
    for start in range(0, len(columns), per_block):
        block = columns[start : start + per_block]
        table = Table(show_lines=False, pad_edge=False, padding=(0, 1))
        table.add_column(esc(frame.index.name or ""), max_width=label_width, overflow="fold")
        for n in range(start + 1, start + len(block) + 1):
            table.add_column(str(n), justify="right", no_wrap=True)
        for idx, row in frame[block].iterrows():
            table.add_row(esc(idx), *(_minutes_cell(v) for v in row))
        out.print(table)
        key = "  ".join(f"{n} {esc(c)}" for n, c in enumerate(block, start=start + 1))
        out.print(f"[dim]{key}[/dim]")


def _minutes_cell(value: Any) -> str:
    """Minutes by the one rounding rule of maps and workbook; ∞ for an unreachable pair."""
    from sanqu_geo.maps import style

    if isinstance(value, float):
        return "∞" if math.isinf(value) else style.format_minutes(value)
    return esc(value)


def _interface_language(value: str | None) -> str | None:
    """Switch the interface language as soon as the global ``--lang`` is read."""
    if value is not None:
        if value not in ("zh", "en"):
            raise typer.BadParameter(
                _("--lang {value!r}: use zh (Chinese) or en (English)").format(value=value)
            )
        set_language(value)
    return value


def _version(value: bool) -> None:
    if value:
        console.print(f"sanqu-geo {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of errors.", metavar="")
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="More log output.", metavar="")
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.", metavar="")] = False,
    network: Annotated[
        str | None,
        typer.Option(
            "--network",
            help="Embedded road network of every command: harbin (the city network: "
            "OpenStreetMap core + trunk roads; default) or trunk (the sketch, for quick runs).",
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            metavar="[zh|en]",
            callback=_interface_language,
            is_eager=True,
            help="Language of the interface: zh or en (default: from LC_ALL, LC_MESSAGES or "
            "LANG). Give it before the command; after meeting-pack or maps build, --lang is "
            "the language of the maps.",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version.", metavar=""
        ),
    ] = False,
) -> None:
    state["debug"] = debug
    from sanqu_geo import settings as _settings

    if network is not None and network not in _network.EMBEDDED_NETWORKS:
        raise typer.BadParameter(
            _(
                "--network {network!r}: use one of {names} "
                "(an OpenStreetMap file goes with --osm-file)"
            ).format(network=network, names=", ".join(_network.EMBEDDED_NETWORKS))
        )
    if network is not None:
        _settings.default_network = network
    level = (
        logging.ERROR
        if quiet
        else (logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING)
    )
    root = logging.getLogger("sanqu_geo")
    root.setLevel(level)
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        root.addHandler(RichHandler(console=err_console, show_time=False, show_path=False))


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


def network_source(osm_file: Path | None, place: str | None, bbox: str | None) -> str | tuple:
    given = [v for v in (osm_file, place, bbox) if v is not None]
    if len(given) > 1:
        raise typer.BadParameter(_("give only one of --osm-file, --place, --bbox"))
    if osm_file is not None:
        return str(osm_file)
    if bbox is not None:
        return _network.parse_bbox(bbox)
    if place is not None:
        return place
    return _network.default_network()


def load_graph(osm_file, place, bbox, profile, profiles_file, *, use_cache: bool = True):
    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    source = network_source(osm_file, place, bbox)
    with console.status(_("loading the road network 路网 ({source})").format(source=esc(source))):
        return _network.load_network(source, profile=profile, use_cache=use_cache), source


def parse_day(value: str | None, option: str) -> _dt.date | None:
    """The day an option gives as YYYY-MM-DD (None when not given); one clear line if not."""
    if value is None:
        return None
    try:
        return _dt.date.fromisoformat(value.strip())
    except ValueError:
        from sanqu_geo.errors import SettingsError

        msg = _("{option} {value!r} is not a date; write it as YYYY-MM-DD").format(
            option=option, value=value
        )
        raise SettingsError(msg) from None


def progress_bar(description: str):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(description),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )


CongestedOpt = Annotated[
    bool,
    typer.Option(
        "--congested",
        help="Congested times of the morning peak hour: the base equilibrium assignment of the "
        "demand in use (cached; profile car or truck).",
    ),
]


def load_travel_graph(osm_file, profile, profiles_file, *, congested: bool = False):
    """The graph for od/route/isochrones: free flow of a profile, or the congested peak."""
    if not congested:
        return load_graph(osm_file, None, None, profile, profiles_file)[0]
    from sanqu_geo import peak

    if profiles_file is not None:
        _speeds.load_profiles(profiles_file)
    source = network_source(osm_file, None, None)
    with console.status(_("congested peak hour 高峰拥堵 (equilibrium assignment, cached)")):
        G = peak.congested_travel_graph(str(source), profile=profile)
    console.print(f"[dim]{esc(G.graph['congested'])}[/dim]")
    return G


ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Write into a folder that holds other files (they are kept; only the toolkit's "
        "own files are replaced).",
    ),
]

ScenarioArg = Annotated[
    Path | None, typer.Argument(help="Scenario TOML file (default: the plan's own options).")
]


DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="[local|local:N|tcp://HOST:8786]",
        help="Run the independent tasks on Dask: a bare --dask (put it last) or `local` starts "
        "one worker process per core, `local:N` N of them; an address uses that cluster.",
    ),
]


#: Options that may be given bare, and the value they then take. Click (and Typer) have no
#: optional option values, so :func:`expand_bare_options` fills them in before parsing: a
#: bare option is one that ends the command line or is followed by another option.
BARE_OPTION_VALUES: dict[str, str] = {"--dask": "local"}


def expand_bare_options(args: list[str]) -> list[str]:
    """Give a bare ``--dask`` its default value (``local``); other arguments are unchanged."""
    out: list[str] = []
    for i, arg in enumerate(args):
        out.append(arg)
        if arg == "--":
            return out + args[i + 1 :]
        if arg in BARE_OPTION_VALUES and (i + 1 == len(args) or args[i + 1].startswith("-")):
            out.append(BARE_OPTION_VALUES[arg])
    return out


def dask_runner(dask: str | None):
    """A context giving the :class:`~sanqu_geo.scaleout.Runner` for ``--dask`` (or none)."""
    import contextlib

    from sanqu_geo import scaleout

    if dask is None:
        return contextlib.nullcontext(scaleout.Runner())

    @contextlib.contextmanager
    def opened():
        scaleout.parse_address(dask)  # a malformed value fails before a cluster starts
        with contextlib.ExitStack() as stack:
            with err_console.status(f"connecting to Dask ({dask})"):
                client = stack.enter_context(scaleout.connect(dask))
            runner = scaleout.Runner(client)
            err_console.print(
                f"[dim]Dask: {runner.workers} workers, scheduler {client.scheduler.address}[/dim]",
                highlight=False,
            )
            yield runner

    return opened()
