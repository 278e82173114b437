"""The ``hangs`` area: inputs that block or eat memory, waits without an end, counts without a bound.

Every user-supplied file of the layers, scenarios, sensitivity parameters, profiles, OpenStreetMap
extracts and traffic counts is given as a pipe (FIFO), a link to ``/dev/zero``, a folder, an empty
file and a (sparse) file far over its size limit: each is refused in one line naming it, before it
is read. A ``--dask`` address where something that is not a Dask scheduler listens (a silent
server, an HTTP server, a server that talks first) or where nothing listens fails within a stated
time; malformed addresses and worker counts are refused, as are Monte-Carlo draws and ODME
iterations beyond their stated bounds. An Overpass download behind a proxy that never answers
gives up in time.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
from scipy import sparse

from faults3 import REPO, Case, Fault, _judge_cli, _limit_memory

#: Seconds a hang case may take (a fresh process starts in about a second).
HANG = 15.0
#: Seconds from a command's start to its refusal of a --dask address: the stated wait
#: (``scaleout.connect_timeout_s``, 5 s) plus the command's own start while all the fresh
#: processes of this area share the cores.
DASK_LIMIT = 30.0

TNTP = REPO.parent / "shared" / "reference" / "tntp" / "SiouxFalls"


# ------------------------------------------------------------------ servers that are not Dask


def _serve(kind: str) -> int:
    """A TCP server on localhost in a daemon thread; returns its port.

    ``silent`` accepts and never says a word; ``http`` answers every request as a web server;
    ``banner`` talks first, as an SSH server does.
    """
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def answer(conn: socket.socket) -> None:
        try:
            if kind == "banner":
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
            elif kind == "http":
                conn.settimeout(30)
                conn.recv(4096)
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n"
                    b"<html></html>"
                )
        except OSError:
            pass

    def loop() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # kept open: the peer waits for ever unless it has a timeout
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return server.getsockname()[1]


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ------------------------------------------------------------------ input files


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no room on disk (reads as zeros)."""
    path.touch()
    os.truncate(path, size)
    return path


def _shapefile_with_fifo_dbf(folder: Path) -> Path:
    """A real shapefile of the zones whose ``.dbf`` is a pipe."""
    from sanqu_geo import layers

    folder.mkdir()
    shp = folder / "zones.shp"
    layers.load_layer("zones").to_file(shp, driver="ESRI Shapefile", engine="pyogrio")
    (folder / "zones.dbf").unlink()
    _fifo(folder / "zones.dbf")
    return shp


# ------------------------------------------------------------------ fresh processes

#: Seconds a fresh process started with the cases may take, all of them running at once on
#: a few cores (each alone answers in a few seconds; one blocked on a pipe never does).
BACKGROUND_LIMIT = 75.0

_LAUNCH_CLI = (
    "import sys, time\n"
    "from sanqu_geo.cli import main\n"
    "started = time.monotonic()\n"
    "code = main(sys.argv[1:])\n"
    "print(f'ELAPSED {time.monotonic() - started:.2f}')\n"
    "sys.exit(code)\n"
)


def _api_script(code: str) -> str:
    return (
        "import sys\nfrom sanqu_geo.errors import SanquGeoError\ntry:\n"
        + textwrap.indent(textwrap.dedent(code), "    ")
        + "\nexcept SanquGeoError as exc:\n    print('CLEAR', type(exc).__name__, exc)\n"
        "    sys.exit(2)\nprint('RETURNED')\n"
    )


class _Background:
    """A command started in a fresh process (memory limit, own process group) when the cases
    are made, so that the slow starts overlap; its case waits for it and judges it."""

    def __init__(self, script: str, args: list, cwd: Path, env: dict[str, str] | None = None):
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.update(env or {})
        self.out, self.err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, *[str(a) for a in args]],
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=self.out,
            stderr=self.err,
            preexec_fn=_limit_memory,
        )
        atexit.register(self.kill)

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def wait(self) -> tuple[int | str, str, str]:
        """Exit code (``"hang"`` when still running at :data:`BACKGROUND_LIMIT`), out, err."""
        left = self.started + BACKGROUND_LIMIT - time.monotonic()
        try:
            code: int | str = self.proc.wait(timeout=max(left, 0.1))
        except subprocess.TimeoutExpired:
            self.kill()
            code = "hang"
        texts = []
        for f in (self.out, self.err):
            f.seek(0)
            texts.append(f.read().decode(errors="replace"))
            f.close()
        return code, texts[0], texts[1]


def _cli_case(
    what: str, args: list, needle: str, ws: Path, *, limit: float | None = None, env=None
) -> Case:
    """A command line run in a fresh process: exit 2, one line naming ``needle``, nothing
    written; with ``limit``, within that many seconds of the command's start."""
    job = _Background(_LAUNCH_CLI, args, ws, env)

    def check() -> None:
        code, out, err = job.wait()
        outcome, detail = _judge_cli(code, err, needle)
        if outcome != "clear":
            raise Fault(outcome, detail)
        elapsed = [float(x.split()[1]) for x in out.splitlines() if x.startswith("ELAPSED ")]
        if limit is not None and elapsed and elapsed[0] > limit:
            raise Fault("hang", f"answered after {elapsed[0]:.1f} s (> {limit:g} s): {detail}")
        written = [
            a for a in args if isinstance(a, Path) and a.name.startswith("out") and a.exists()
        ]
        if written:
            raise Fault("lost", f"wrote {written[0]}")

    return Case(what, check=check, timeout=BACKGROUND_LIMIT + 5)


def _api_case(what: str, code: str, needle: str, ws: Path) -> Case:
    """A call of the public API in a fresh process: it must raise a clear SanquGeoError."""
    job = _Background(_api_script(code), [], ws)

    def check() -> None:
        status, out, err = job.wait()
        text = out.strip()
        if status == "hang":
            raise Fault("hang", f"no answer in {BACKGROUND_LIMIT:g} s")
        if status == 0 and "RETURNED" in text:
            raise Fault("silent", "returned without an error")
        if status != 2:
            last = err.strip().splitlines()[-1:] or ["(nothing)"]
            raise Fault("internal", f"exit {status}: {last[0][:280]}")
        if needle not in text or len(text.splitlines()) != 1:
            raise Fault("unclear", text[:300])

    return Case(what, check=check, timeout=BACKGROUND_LIMIT + 5)


def _overpass_behind_dead_proxy(port: int) -> None:
    """A download behind a proxy that accepts and never answers gives up within the setting."""
    from sanqu_geo import network, settings
    from sanqu_geo.errors import NetworkError

    proxy = f"http://127.0.0.1:{port}"
    names = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy")
    saved = {k: os.environ.get(k) for k in names}
    old = settings.download_timeout_s
    started = time.monotonic()
    try:
        os.environ.update(
            {k: (proxy if "proxy" in k.lower() and "no" not in k.lower() else "") for k in names}
        )
        settings.download_timeout_s = 2.0
        network.load_network("Nowhere 无此地, Heilongjiang", use_cache=False)
    except NetworkError as exc:
        if "Nowhere" not in str(exc) or "\n" in str(exc).strip():
            raise Fault("unclear", str(exc)[:300]) from None
    else:
        raise Fault("silent", "a network came back through a dead proxy")
    finally:
        settings.download_timeout_s = old
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    elapsed = time.monotonic() - started
    if elapsed > 10:
        raise Fault("hang", f"gave up after {elapsed:.1f} s with a 2 s download timeout")


def _odme_estimate(max_iterations: int | None = None, inner_iterations: int | None = None):
    from sanqu_geo import odme

    P = sparse.csr_matrix(np.array([[1.0], [1.0]]))

    def assign(g: np.ndarray):
        return np.array([g.sum()]), P

    return odme.estimate(
        np.array([10.0, 20.0]),
        np.array([45.0]),
        assign,
        max_iterations=max_iterations,
        inner_iterations=inner_iterations,
        tolerance=0.0,
    )


# ------------------------------------------------------------------ the cases


def cases(ws: Path) -> list[Case]:
    from sanqu_geo import _osm, counts, layers, scaleout, scenarios
    from sanqu_geo.errors import ClusterError

    inp = ws / "in"
    inp.mkdir()
    silent, http, banner = _serve("silent"), _serve("http"), _serve("banner")
    closed = _closed_port()
    out = ws / "out_cmp"
    compare = ["corridors", "compare", "--out", out]
    counts_csv = inp / "sioux_counts.csv"
    counts_csv.write_text("init_node,term_node,count\n1,2,4500\n3,4,3800\n", encoding="utf-8")

    def cli(what: str, args: list, needle: str, **kw) -> Case:
        return _cli_case(what, args, needle, ws, **kw)

    cs: list[Case] = []
    add = cs.append

    # --- layers import: GeoJSON, CSV, a shapefile's parts
    f = _fifo(inp / "fifo.geojson")
    add(cli("layers import: a FIFO", ["layers", "import", f, "--as", "zones"], "fifo.geojson"))
    f = _zero(inp / "zero.csv")
    add(
        cli(
            "layers import: a CSV linked to /dev/zero",
            ["layers", "import", f, "--as", "facilities"],
            "zero.csv",
        )
    )
    f = _shapefile_with_fifo_dbf(inp / "shp")
    add(
        cli(
            "layers import: a shapefile whose .dbf is a FIFO",
            ["layers", "import", f, "--as", "zones"],
            "zones.dbf",
        )
    )
    f = _folder(inp / "folder.geojson")
    add(Case("layers import: a folder", ["layers", "import", f, "--as", "zones"], "folder.geojson"))
    f = _empty(inp / "empty.gpkg")
    add(
        Case("layers import: a 0-byte file", ["layers", "import", f, "--as", "zones"], "empty.gpkg")
    )
    f = _sparse(inp / "huge.gpkg", layers.max_layer_bytes + 2**20)
    add(
        Case(
            "layers.read_vector_file (API): a file over the limit",
            call=lambda f=f: layers.read_vector_file(f),
            needle="huge.gpkg",
        )
    )
    f = _sparse(inp / "huge.csv", layers.max_layer_csv_bytes + 2**20)
    add(
        Case(
            "layers.import_layer (API): a CSV over the limit",
            call=lambda f=f: layers.import_layer(f, "facilities"),
            needle="huge.csv",
        )
    )

    # --- scenario TOML
    f = _fifo(inp / "fifo_scenario.toml")
    add(cli("scenario: a FIFO", ["corridors", "compare", f, "--out", out], "fifo_scenario.toml"))
    f = _zero(inp / "zero_scenario.toml")
    add(cli("scenario: a link to /dev/zero", ["corridors", "list", f], "zero_scenario.toml"))
    f = _folder(inp / "folder_scenario.toml")
    add(
        Case(
            "scenario: a folder", ["corridors", "compare", f, "--out", out], "folder_scenario.toml"
        )
    )
    f = _sparse(inp / "huge_scenario.toml", scenarios.max_scenario_bytes + 2**20)
    add(Case("scenario: a file over the limit", ["corridors", "list", f], "huge_scenario.toml"))
    add(Case(
        "scenarios.load_scenario (API): a FIFO",
        call=lambda: scenarios.load_scenario(inp / "fifo_scenario.toml"),
        needle="fifo_scenario.toml", timeout=HANG,
    ))  # fmt: skip

    # --- sensitivity parameters TOML
    sens = [*compare, "--sensitivity", "2", "--sensitivity-params"]
    f = _fifo(inp / "fifo_sens.toml")
    add(cli("--sensitivity-params: a FIFO", [*sens, f], "fifo_sens.toml"))
    f = _zero(inp / "zero_sens.toml")
    add(cli("--sensitivity-params: a link to /dev/zero", [*sens, f], "zero_sens.toml"))
    f = _sparse(inp / "huge_sens.toml", 64 * 2**20)
    add(Case("--sensitivity-params: 64 MB over the limit", [*sens, f], "huge_sens.toml"))

    # --- profiles TOML
    f = _fifo(inp / "fifo_profiles.toml")
    add(cli("--profiles: a FIFO", ["network", "info", "--profiles", f], "fifo_profiles.toml"))
    f = _zero(inp / "zero_profiles.toml")
    add(
        cli(
            "--profiles: a link to /dev/zero",
            ["network", "info", "--profiles", f],
            "zero_profiles.toml",
        )
    )
    f = _sparse(inp / "huge_profiles.toml", 64 * 2**20)
    add(
        Case(
            "--profiles: 64 MB over the limit",
            ["network", "info", "--profiles", f],
            "huge_profiles.toml",
        )
    )

    # --- OpenStreetMap files
    f = _fifo(inp / "fifo.osm")
    add(cli("--osm-file: a FIFO", ["network", "info", "--osm-file", f], "fifo.osm"))
    f = _zero(inp / "zero.osm.pbf")
    add(
        cli("--osm-file: a link to /dev/zero", ["network", "info", "--osm-file", f], "zero.osm.pbf")
    )
    f = _folder(inp / "folder.osm")
    add(Case("--osm-file: a folder", ["network", "info", "--osm-file", f], "folder.osm"))
    f = _empty(inp / "empty.osm")
    add(Case("--osm-file: a 0-byte file", ["network", "info", "--osm-file", f], "empty.osm"))
    f = _sparse(inp / "huge.osm.bz2", _osm.max_osm_bytes + 2**20)
    add(
        Case(
            "_osm.read_osm (API): a file over the limit",
            call=lambda f=f: _osm.read_osm(f),
            needle="huge.osm.bz2",
        )
    )
    add(
        Case(
            "_osm.read_osm (API): a FIFO",
            call=lambda: _osm.read_osm(inp / "fifo.osm"),
            needle="fifo.osm",
            timeout=HANG,
        )
    )

    # --- traffic counts
    f = _fifo(inp / "fifo_counts.csv")
    add(
        cli(
            "demand estimate --counts: a FIFO",
            ["demand", "estimate", "--counts", f],
            "fifo_counts.csv",
        )
    )
    f = _zero(inp / "zero_counts.csv")
    add(
        cli(
            "demand estimate --counts: a link to /dev/zero",
            ["demand", "estimate", "--counts", f],
            "zero_counts.csv",
        )
    )
    f = _sparse(inp / "huge_counts.csv", counts.max_counts_bytes + 2**20)
    add(
        Case(
            "counts.read_counts (API): a file over the limit",
            call=lambda f=f: counts.read_counts(f, None),
            needle="huge_counts.csv",
        )
    )
    add(
        Case(
            "counts.read_counts (API): a folder",
            call=lambda: counts.read_counts(inp / "folder.osm", None),
            needle="folder.osm",
        )
    )

    # --- counts of workers, draws and iterations
    add(
        cli(
            "--dask local:999 (a runaway of worker processes)",
            [*compare, "--sensitivity", "2", "--dask", "local:999"],
            "local:999",
        )
    )
    add(
        Case(
            "scaleout.parse_address (API): local:999",
            call=lambda: scaleout.parse_address("local:999"),
            needle="999",
            timeout=5,
        )
    )
    for bad in (
        "local:²",
        "local:0",
        "local:-1",
        "local:1.5",
        "local:",
        "local:99999999999999999999",
    ):
        add(Case(f"--dask {bad}", [*compare, "--sensitivity", "2", "--dask", bad], bad, timeout=20))
    for bad in (
        "tcp://host:notaport",
        "tcp://:8786",
        "ftp://x",
        "tcp://127.0.0.1:70000",
        "tcp://",
        "http://127.0.0.1:8786",
    ):
        add(Case(f"--dask {bad}", [*compare, "--sensitivity", "2", "--dask", bad], bad, timeout=20))
    add(
        cli(
            "--sensitivity 1000000000 is refused up front",
            [*compare, "--sensitivity", "1000000000"],
            "1000000000",
            limit=DASK_LIMIT,
        )
    )
    add(_api_case(
        "sensitivity.draw_parameters (API): 10⁹ draws",
        "from sanqu_geo import sensitivity\nsensitivity.draw_parameters(10**9, seed=1)",
        "1000000000", ws,
    ))  # fmt: skip
    add(
        Case(
            "odme.estimate (API): 10⁹ iterations",
            call=lambda: _odme_estimate(max_iterations=10**9),
            needle="1000000000",
            timeout=10,
        )
    )
    add(
        Case(
            "odme.estimate (API): 10⁹ inner iterations",
            call=lambda: _odme_estimate(inner_iterations=10**9),
            needle="1000000000",
            timeout=10,
        )
    )
    add(cli(
        "odme --max-iterations 1000000000",
        ["odme", "--tntp", TNTP, "--counts", counts_csv, "--out", ws / "out_est", "--max-iterations", "1000000000"],
        "1000000000",
    ))  # fmt: skip

    # --- waits: --dask addresses where no scheduler answers, Overpass behind a dead proxy
    add(cli(
        "--dask at a silent server fails in time",
        [*compare, "--sensitivity", "2", "--dask", f"tcp://127.0.0.1:{silent}"], f"127.0.0.1:{silent}",
        limit=DASK_LIMIT,
    ))  # fmt: skip
    add(cli(
        "--dask where nothing listens fails in time",
        ["od", "--out", ws / "out_od.parquet", "--dask", f"tcp://127.0.0.1:{closed}"], f"127.0.0.1:{closed}",
        limit=DASK_LIMIT,
    ))  # fmt: skip
    for kind, port in (
        ("an HTTP server", http),
        ("a server that talks first", banner),
        ("a silent server", silent),
    ):
        add(Case(
            f"scaleout.connect (API) at {kind}",
            call=lambda port=port: scaleout.connect(f"tcp://127.0.0.1:{port}", timeout=2).__enter__(),
            needle=f"127.0.0.1:{port}", expect=ClusterError, timeout=10,
        ))  # fmt: skip
    add(Case(
        "scaleout.connect (API) at a silent ws:// server",
        call=lambda: scaleout.connect(f"ws://127.0.0.1:{silent}", timeout=2).__enter__(),
        needle=f"127.0.0.1:{silent}", expect=ClusterError, timeout=15,
    ))  # fmt: skip
    add(
        Case(
            "scaleout.connect (API): a timeout of nan",
            call=lambda: scaleout.connect("tcp://127.0.0.1:8786", timeout=float("nan")).__enter__(),
            needle="nan",
            timeout=5,
        )
    )
    add(
        Case(
            "Overpass behind a proxy that never answers gives up in time",
            check=lambda: _overpass_behind_dead_proxy(silent),
            timeout=20,
        )
    )
    return cs
