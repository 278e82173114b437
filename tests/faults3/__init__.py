"""The second fault campaign: hostile inputs, kills between writes, hangs and stale results.

Each area of the campaign is a module ``cases_<area>.py`` here with a function
``cases(ws: Path) -> list[Case]`` that may create its input files under ``ws``. A case is one
of three kinds:

* ``args``: a command line, run in this process (or in a fresh one with ``subprocess=True``,
  for hangs and runaways, under a memory limit). It must exit with code 2 and print one line
  on stderr that contains ``needle``, with no traceback, and change nothing in the user folder
  (``SANQU_GEO_HOME``) or the workspace.
* ``call``: a call of the public API. It must raise ``expect`` (a ``SanquGeoError`` subclass by
  default) whose message contains ``needle``, and change nothing.
* ``check``: a behaviour check (a kill between writes, a cache that must miss, a table that
  must come out right). It passes when it returns; it fails with :class:`Fault` (or an
  ``AssertionError``) saying what went wrong.

Every case runs under a timeout. :func:`run_area` runs one area and returns its table;
:data:`RESULTS` collects every row, and the ``conftest`` prints the totals at the end.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sanqu_geo.errors import SanquGeoError

REPO = Path(__file__).resolve().parents[2]

#: Every area of the campaign, in the order of the totals table.
AREAS = ["manifest", "demand", "register", "hangs", "numbers", "api", "cache"]

#: Outcomes: the first two are passes.
PASS = {"clear", "ok"}
OUTCOMES = ["clear", "ok", "unclear", "internal", "silent", "lost", "hang", "failed"]

#: Every row run in this session (area, case, outcome, detail).
RESULTS: list[dict[str, Any]] = []

#: Memory limit of a case run in a fresh process (bytes).
SUBPROCESS_MEMORY = 3 * 2**30


class Fault(AssertionError):
    """A behaviour check found a defect; ``outcome`` is one of :data:`OUTCOMES`."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome


class _Timeout(BaseException):
    pass


@dataclasses.dataclass
class Case:
    """One hostile input or kill (see the module docstring)."""

    what: str
    args: list[Any] | None = None
    needle: str = ""
    call: Callable[[], Any] | None = None
    check: Callable[[], None] | None = None
    expect: type[BaseException] = SanquGeoError
    subprocess: bool = False
    timeout: float = 60.0
    env: dict[str, str] | None = None


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under the folders with its size and modification time."""
    out = {}
    for folder in folders:
        if not folder.exists():
            continue
        for path in sorted(folder.rglob("*")):
            try:
                st = path.lstat()
            except OSError:
                continue
            is_file = path.is_file() and not path.is_symlink()
            out[str(path)] = (st.st_size, st.st_mtime_ns) if is_file else (-1, 0)
    return out


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (SUBPROCESS_MEMORY, SUBPROCESS_MEMORY))
    os.setsid()


def run_cli_subprocess(
    args: list[Any], *, timeout: float, cwd: Path, env: dict[str, str] | None = None
) -> tuple[int | str, str, str]:
    """Run ``sanqu-geo args`` in a fresh process under a memory limit and a timeout.

    Returns the exit code (``"hang"`` after the timeout; the process group is killed),
    stdout and stderr.
    """
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    cmd = [sys.executable, "-c", "import sys; from sanqu_geo.cli import main; sys.exit(main())"]
    proc = subprocess.Popen(
        [*cmd, *[str(a) for a in args]],
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit_memory,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return "hang", out.decode(errors="replace"), err.decode(errors="replace")
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _judge_cli(code: int | str, err: str, needle: str) -> tuple[str, str]:
    lines = [line for line in err.splitlines() if line.strip()]
    if code == "hang":
        return "hang", "no answer before the timeout"
    if code == 0:
        return "silent", "exit 0"
    if code != 2 or "Traceback" in err or "internal error" in err:
        return "internal", f"exit {code}: {' | '.join(lines[-2:])[:300]}"
    if len(lines) != 1 or needle not in lines[0]:
        return "unclear", " | ".join(lines[:2])[:300]
    return "clear", lines[0][:300]


def run_case(case: Case, ws: Path, home: Path, capsys: Any) -> tuple[str, str]:
    """Run one case; return its outcome and a line of detail."""
    before = snapshot(home, ws)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case.timeout)
    try:
        if case.args is not None:
            if case.subprocess:
                code, _, err = run_cli_subprocess(
                    case.args, timeout=case.timeout, cwd=ws, env=case.env
                )
            else:
                from sanqu_geo.cli import main

                capsys.readouterr()
                try:
                    code = main([str(a) for a in case.args])
                except _Timeout:
                    raise
                except BaseException as exc:
                    code = f"raised {type(exc).__name__}"
                err = capsys.readouterr().err
            outcome, detail = _judge_cli(code, err, case.needle)
        elif case.call is not None:
            try:
                case.call()
            except _Timeout:
                raise
            except case.expect as exc:
                text = str(exc)
                if case.needle in text and "\n" not in text.strip():
                    outcome, detail = "clear", text[:300]
                else:
                    outcome, detail = "unclear", text[:300]
            except BaseException as exc:
                outcome, detail = "internal", f"{type(exc).__name__}: {str(exc)[:280]}"
            else:
                outcome, detail = "silent", "returned without an error"
        else:
            assert case.check is not None
            try:
                case.check()
            except _Timeout:
                raise
            except Fault as exc:
                outcome, detail = exc.outcome, str(exc)[:300]
            except AssertionError as exc:
                outcome, detail = "failed", str(exc)[:300]
            except BaseException as exc:
                outcome, detail = "internal", f"{type(exc).__name__}: {str(exc)[:280]}"
            else:
                outcome, detail = "ok", ""
    except _Timeout:
        outcome, detail = "hang", f"no answer in {case.timeout:g} s"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    if outcome == "clear" and case.check is None and snapshot(home, ws) != before:
        outcome, detail = "lost", "files changed: " + detail
    return outcome, detail


def run_area(area: str, ws: Path, home: Path, capsys: Any) -> pd.DataFrame:
    """Run every case of one area; return its rows (also added to :data:`RESULTS`)."""
    module = importlib.import_module(f"faults3.cases_{area}")
    ws.mkdir(parents=True, exist_ok=True)
    rows = []
    for case in module.cases(ws):
        outcome, detail = run_case(case, ws, home, capsys)
        rows.append({"area": area, "case": case.what, "outcome": outcome, "detail": detail})
    RESULTS.extend(rows)
    return pd.DataFrame(rows, columns=["area", "case", "outcome", "detail"])


def totals(rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Cases by area and outcome, with a total row."""
    frame = pd.DataFrame(rows, columns=["area", "case", "outcome", "detail"])
    table = pd.crosstab(frame["area"], frame["outcome"]).reindex(columns=OUTCOMES, fill_value=0)
    table = table.reindex([a for a in AREAS if a in table.index])
    table["cases"] = table[OUTCOMES].sum(axis=1)
    table.loc["total"] = table.sum()
    return table.astype(int)
