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

__all__ = ["app", "main", "run"]


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
        _say_error("error:", f"{exc.format_message()} (see `{where} --help`)")
        return exc.exit_code
    except typer.Abort:
        _say_error("aborted:", "nothing was replaced")
        return 1
    except SanquGeoError as exc:
        if state["debug"]:
            raise
        _say_error("error:", str(exc))
        return 2
    except KeyboardInterrupt:
        _say_error("interrupted:", "nothing was replaced")
        return 130
    except Exception as exc:
        if state["debug"]:
            raise
        _say_error(
            "internal error:",
            f"{type(exc).__name__}: {exc} (run again with --debug for the traceback, and report it)",
        )
        return 1
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
