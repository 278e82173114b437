"""The ``sanqu-geo`` command: parses options, calls the library, formats the answer.

No logic lives here; every command has a Python function behind it. Expected errors become
one red line and exit code 2; ``--debug`` shows the traceback. One module per command group,
as rasterio's ``rio`` does; they register themselves on ``app`` when imported.
"""

from __future__ import annotations

import sys

import typer
from rich.text import Text

try:  # Typer ≥ 0.20 carries its own copy of Click
    from typer._click import ClickException
    from typer._click.exceptions import NoArgsIsHelpError
except ImportError:  # pragma: no cover
    from click import ClickException
    from click.exceptions import NoArgsIsHelpError

from sanqu_geo.cli import (  # noqa: F401  (registration)
    assign,
    corridors,
    demand,
    layers,
    maps,
    model,
    network,
    odme,
    register,
    travel,
)
from sanqu_geo.cli._common import app, err_console, expand_bare_options, state
from sanqu_geo.errors import SanquGeoError
from sanqu_geo.i18n import _, set_language, translate_error

__all__ = ["app", "interface_language", "main", "run"]


#: Global options that take a value, skipped when looking for ``--lang`` before the command.
_VALUED_GLOBAL_OPTIONS: frozenset[str] = frozenset({"--network", "--lang"})


def interface_language(args: list[str]) -> str | None:
    """The ``--lang`` given before the command (the interface language), if any.

    ``--lang`` after the command is that command's own option (the language of the maps).
    """
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--" or not arg.startswith("-"):
            return None  # the command: later options are its own
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
        if arg == "--lang":
            return args[i + 1] if i + 1 < len(args) else None
        i += 2 if arg in _VALUED_GLOBAL_OPTIONS else 1
    return None


def _say_error(label: str, text: str) -> None:
    """Print one error line; user text is never read as markup, and this never raises."""
    line = " ".join(str(text).split())
    try:
        err_console.print(Text(label, style="red"), Text(line), highlight=False, soft_wrap=True)
    except Exception:
        try:
            sys.stderr.write(f"{label} {line}\n")
        except Exception:
            pass


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
    args = expand_bare_options(list(sys.argv[1:] if argv is None else argv))
    if "--debug" in args[1:] and "--" not in args[: args.index("--debug")]:
        # --debug is a global option; it is also accepted after the subcommand.
        args.remove("--debug")
        args.insert(0, "--debug")
    state["debug"] = "--debug" in args
    lang = interface_language(args)
    set_language(lang if lang in ("zh", "en") else None)  # a bad value is refused by the option
    try:
        code = app(args=args, prog_name="sanqu-geo", standalone_mode=False)
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        return 2
    except ClickException as exc:
        # Usage errors too are one line: what is wrong, and where the help is.
        where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "sanqu-geo"
        _say_error(
            _("error:"),
            _("{message} (see `{where} --help`)").format(
                message=translate_error(exc.format_message()), where=where
            ),
        )
        return exc.exit_code
    except typer.Abort:
        _say_error(_("aborted:"), _("nothing was replaced"))
        return 1
    except SanquGeoError as exc:
        if state["debug"]:
            raise
        _say_error(_("error:"), translate_error(str(exc)))
        return 2
    except KeyboardInterrupt:
        _say_error(_("interrupted:"), _("nothing was replaced"))
        return 130
    except Exception as exc:
        if state["debug"]:
            raise
        _say_error(
            _("internal error:"),
            _("{kind}: {message} (run again with --debug for the traceback, and report it)").format(
                kind=type(exc).__name__, message=exc
            ),
        )
        return 1
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
