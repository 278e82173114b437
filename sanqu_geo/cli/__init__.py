"""The ``sanqu-geo`` command: parses options, calls the library, formats the answer.

No logic lives here; every command has a Python function behind it. Expected errors become
one red line and exit code 2; ``--debug`` shows the traceback. One module per command group,
as rasterio's ``rio`` does; they register themselves on ``app`` when imported.
"""

from __future__ import annotations

import sys

from sanqu_geo.cli import (  # noqa: F401  (registration)
    corridors,
    demand,
    layers,
    maps,
    network,
    register,
    travel,
)
from sanqu_geo.cli._common import app, err_console, expand_bare_options, state
from sanqu_geo.errors import SanquGeoError

__all__ = ["app", "main", "run"]


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
    args = expand_bare_options(sys.argv[1:] if argv is None else list(argv))
    state["debug"] = "--debug" in args
    try:
        app(args=args, prog_name="sanqu-geo")
    except SystemExit as exc:
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except SanquGeoError as exc:
        if state["debug"]:
            raise
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    except Exception as exc:
        if state["debug"]:
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
