"""Independent units of work on a Dask cluster (``dask.distributed``), or in this process.

Owns connecting to a cluster (a local one, or a scheduler by its address), sending the data
the tasks share to every worker once, running pure tasks with a bounded number in flight, and
the place-to-place OD streamed to Parquet in row blocks. Never decides what a task computes:
the callers (:mod:`sanqu_geo.sensitivity`, the CLI) pass plain functions.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra

from sanqu_geo import engine, travel
from sanqu_geo.errors import ClusterError, DataSourceError, SettingsError

logger = logging.getLogger(__name__)

__all__ = [
    "Runner",
    "connect",
    "max_local_workers",
    "parse_address",
    "place_od_to_parquet",
]

#: Seconds to wait for a scheduler to answer before giving up.
connect_timeout_s: float = 5.0

#: Seconds added to :data:`connect_timeout_s` for the client to finish its handshake.
connect_grace_s: float = 5.0

#: Longest wait for a scheduler that may be asked for (seconds).
max_connect_timeout_s: float = 600.0

#: Local worker processes per core, at most (``local:N``): more only share the cores and
#: multiply the memory of the data every worker holds.
local_workers_per_core: int = 4

#: Local worker processes, at most, whatever the number of cores.
local_workers_limit: int = 64

#: Tasks kept in flight per worker: enough to hide scheduling latency, few enough that the
#: results waiting on the workers (OD blocks) stay bounded.
tasks_per_worker: int = 4

#: Times a task that raised is tried again (a worker that dies is handled by the scheduler,
#: which moves its tasks to the others).
task_retries: int = 2


def max_local_workers() -> int:
    """Upper bound of ``local:N``: :data:`local_workers_per_core` per core, at most
    :data:`local_workers_limit`.

    Returns
    -------
    int
        The largest number of worker processes a local cluster may start on this machine.
    """
    return max(1, min(local_workers_limit, local_workers_per_core * (os.cpu_count() or 1)))


def parse_address(value: str) -> tuple[str, int | None]:
    """Check a ``--dask`` value: ``local``, ``local:N`` or a scheduler address.

    Parameters
    ----------
    value : str
        ``local`` (one worker per core), ``local:N`` (N worker processes, at most
        :func:`max_local_workers`), or an address such as ``tcp://10.0.0.5:8786``
        (``tls://``, ``ws://``, ``wss://`` and ``inproc://`` too; the port, 1–65535, may be
        left out).

    Returns
    -------
    (str, int or None)
        ``("local", workers)`` or ``(address, None)``.

    Raises
    ------
    SettingsError
        For anything else (one line saying what is accepted).
    """
    if not isinstance(value, str):
        msg = f"--dask {value!r}: give the address as text (`local`, `local:N` or tcp://HOST:8786)"
        raise SettingsError(msg)
    text = value.strip()
    if text == "local":
        return "local", None
    if text.startswith("local:"):
        count = text.partition(":")[2]
        bound = max_local_workers()
        if _ASCII_DIGITS.fullmatch(count) and int(count) > 0:
            if int(count) > bound:
                msg = (
                    f"--dask {value}: at most {bound} local worker processes on this machine "
                    f"({local_workers_per_core} per core, {os.cpu_count() or 1} cores, at most "
                    f"{local_workers_limit}); give local:{bound} or fewer, or a scheduler address "
                    "for a larger cluster"
                )
                raise SettingsError(msg)
            return "local", int(count)
        msg = (
            f"--dask {value}: N in local:N is the number of worker processes, a whole number "
            f"from 1 to {bound}"
        )
        raise SettingsError(msg)
    scheme, sep, rest = text.partition("://")
    if sep and scheme in _SCHEMES and rest:
        if scheme == "inproc":
            return text, None
        problem = _address_problem(rest)
        if problem is None:
            return text, None
        msg = f"--dask {value}: {problem}; give a scheduler address such as tcp://HOST:8786"
        raise SettingsError(msg)
    msg = (
        f"--dask {value!r}: give `local`, `local:N` (N worker processes) or a scheduler "
        f"address such as tcp://HOST:8786 ({', '.join(s + '://' for s in _SCHEMES)}); "
        "put a bare --dask last on the command line"
    )
    raise SettingsError(msg)


_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")
_ASCII_DIGITS = re.compile(r"[0-9]{1,9}")
_HOST = re.compile(r"[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]")


def _address_problem(rest: str) -> str | None:
    """What is wrong with ``HOST[:PORT]`` of a scheduler address, or None."""
    if "/" in rest or "?" in rest or "@" in rest:
        return "the address is HOST:PORT, with no path, query or user"
    if rest.startswith("["):  # [IPv6]:port
        host, _, tail = rest.partition("]")
        host += "]"
        port = tail[1:] if tail.startswith(":") else None
        if tail and not tail.startswith(":"):
            return "write an IPv6 address as [ADDRESS]:PORT"
    elif rest.count(":") > 1:
        return "write an IPv6 address as [ADDRESS]:PORT"
    else:
        host, colon, port_text = rest.partition(":")
        port = port_text if colon else None
    if not host or not _HOST.fullmatch(host):
        return f"the host {host!r} is missing or not a host name"
    if port is not None:
        if not _ASCII_DIGITS.fullmatch(port) or not 1 <= int(port) <= 65535:
            return f"the port {port!r} is not a number from 1 to 65535"
    return None


def _host_port(address: str) -> tuple[str, int]:
    """Host and port of a checked ``tcp://`` address (Dask's default port 8786)."""
    rest = address.partition("://")[2]
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        return host, int(tail[1:]) if tail else 8786
    host, _, port = rest.partition(":")
    return host, int(port) if port else 8786


def _probe(address: str, timeout: float) -> None:
    """Check that a Dask scheduler talks at a ``tcp://`` address, within ``timeout`` seconds.

    A Dask server sends its handshake as soon as a connection is accepted: eight bytes giving
    the size of a small message. A server that says nothing, or something else (a web or SSH
    server), is refused here, before Dask would wait for ever or read a huge size.
    """
    import socket
    import struct

    host, port = _host_port(address)
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        msg = (
            f"--dask {address}: no Dask scheduler answered within {timeout:g} s ({reason}); "
            "start one with `dask scheduler` (and workers with `dask worker ADDRESS`) or check "
            "the address"
        )
        raise ClusterError(msg) from None
    header = b""
    try:
        with sock:
            while len(header) < 8:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left)
                chunk = sock.recv(8 - len(header))
                if not chunk:
                    break
                header += chunk
    except OSError:  # TimeoutError too
        pass
    if len(header) < 8:
        msg = (
            f"--dask {address}: something listens there but no Dask scheduler answered within "
            f"{timeout:g} s; check the address and port (a scheduler listens on 8786 by default)"
        )
        raise ClusterError(msg)
    (size,) = struct.unpack("<Q", header)
    if not 0 < size <= _HANDSHAKE_BYTES:
        msg = (
            f"--dask {address}: the server there is not a Dask scheduler (it does not speak "
            "Dask's protocol); check the address and port (a scheduler listens on 8786 by "
            "default, its dashboard on 8787)"
        )
        raise ClusterError(msg)


#: Largest first message a Dask scheduler sends (its handshake is a few hundred bytes).
_HANDSHAKE_BYTES = 1 << 20


def _client_within(where: str, timeout: float) -> Any:
    """``distributed.Client(where)``, given up after ``timeout`` seconds (plus a grace).

    Dask's own timeout covers opening the connection, not a peer that accepts it and then
    says nothing; the client is made in a helper thread so that the wait has an end.
    """
    import threading

    from distributed import Client

    box: dict[str, Any] = {}

    def make() -> None:
        try:
            box["client"] = Client(where, timeout=f"{timeout}s")
        except BaseException as exc:  # handed to the caller
            box["error"] = exc

    helper = threading.Thread(target=make, name="sanqu-geo-dask-connect", daemon=True)
    helper.start()
    helper.join(timeout + connect_grace_s)
    if helper.is_alive() or isinstance(box.get("error"), (OSError, TimeoutError)):
        msg = (
            f"--dask {where}: no Dask scheduler answered within {timeout:g} s; start one with "
            "`dask scheduler` (and workers with `dask worker ADDRESS`) or check the address"
        )
        raise ClusterError(msg) from box.get("error")
    if "error" in box:
        exc = box["error"]
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        msg = f"--dask {where}: cannot connect to the Dask scheduler ({first}); check the address"
        raise ClusterError(msg) from exc
    return box["client"]


@contextlib.contextmanager
def connect(
    address: str = "local", *, timeout: float | None = None
) -> Iterator[Any]:  # distributed.Client
    """Open a Dask client: a new local cluster, or an existing scheduler.

    A local cluster has one single-threaded worker process per core (or ``local:N``, at most
    :func:`max_local_workers`), its scheduler's web server on any free port, and is closed on
    exit; an existing cluster is left running. Waiting for a scheduler has an end: a
    ``tcp://`` address is first checked to answer as a Dask scheduler does, and the client
    gives up after ``timeout`` seconds (plus :data:`connect_grace_s`).

    Parameters
    ----------
    address : str
        See :func:`parse_address`.
    timeout : float, optional
        Seconds to wait for a scheduler (default :data:`connect_timeout_s`; > 0).

    Yields
    ------
    distributed.Client
        The connected client.

    Raises
    ------
    SettingsError
        For a malformed address, too many local workers, or a bad timeout.
    ClusterError
        When no Dask scheduler answers at the address within the timeout.
    """
    where, workers = parse_address(address)
    timeout = connect_timeout_s if timeout is None else timeout
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, (int, float))
        or not math.isfinite(timeout)
        or not 0 < timeout <= max_connect_timeout_s
    ):
        msg = (
            f"timeout {timeout!r}: give seconds, more than 0 and at most {max_connect_timeout_s:g}"
        )
        raise SettingsError(msg)
    if where == "local":
        from distributed import Client, LocalCluster

        n = workers or os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: never clashes with a running cluster
                silence_logs=logging.CRITICAL,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    if where.startswith("tcp://"):
        _probe(where, timeout)
    client = _client_within(where, timeout)
    with client:
        yield client


@dataclasses.dataclass
class Runner:
    """Runs one function over many independent items, on a Dask client or in this process.

    The data every task shares (a graph, the demand) are given once as ``shared``: they are
    scattered to every worker (``broadcast=True``) and passed to each task by reference.
    Tasks must be pure: the same item gives the same result wherever and however often it
    runs, so a task the scheduler re-runs after a worker died changes nothing.

    Attributes
    ----------
    client : distributed.Client or None
        None runs every task here, in order.
    """

    client: Any = None

    @property
    def workers(self) -> int:
        """Number of workers (1 without a client)."""
        if self.client is None:
            return 1
        return max(1, len(self.client.nthreads()))

    def share(self, data: Any) -> Any:
        """Send ``data`` to every worker once; returns what to pass to :meth:`map`."""
        if self.client is None:
            return data
        # In a list, so that a tuple or a dict travels as one object, not one per element.
        return self.client.scatter([data], broadcast=True, hash=False)[0]

    def map(
        self,
        func: Callable[..., Any],
        items: Sequence[Any],
        *shared: Any,
        ordered: bool = False,
        window: int | None = None,
        batch: int = 1,
        name: str = "sanqu-geo",
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(i, func(*shared, items[i]))`` for every item, each exactly once.

        Parameters
        ----------
        func : callable
            A pure, module-level function (workers import it by name).
        items : sequence
            One argument per task (small: numbers, slices, tuples).
        *shared
            What :meth:`share` returned, passed first to every task.
        ordered : bool
            Yield in the order of ``items`` (results that finish early wait, at most
            ``window`` of them) rather than as they finish.
        window : int, optional
            Items in flight plus results held back for order, at most (default
            :data:`tasks_per_worker` tasks per worker).
        batch : int
            Consecutive items per task on a cluster: fewer, longer tasks when each item takes
            only milliseconds and the scheduler's few milliseconds per task would show.

        Yields
        ------
        (int, object)
            The item's index and its result.
        """
        if self.client is None:
            for i, item in enumerate(items):
                yield i, func(*shared, item)
            return
        if batch > 1:
            groups = [(func, tuple(items[i : i + batch])) for i in range(0, len(items), batch)]
            tasks = None if window is None else max(1, math.ceil(window / batch))
            for g, results in self.map(
                _in_batch, groups, *shared, ordered=ordered, window=tasks, name=name
            ):
                for j, result in enumerate(results):
                    yield g * batch + j, result
            return
        from distributed import as_completed

        window = window or tasks_per_worker * self.workers
        run = f"{name}-{uuid.uuid4().hex[:12]}"
        pending = iter(enumerate(items))
        index_of: dict[Any, int] = {}

        def submit() -> Any | None:
            nxt = next(pending, None)
            if nxt is None:
                return None
            i, item = nxt
            future = self.client.submit(
                func, *shared, item, key=f"{run}-{i}", pure=False, retries=task_retries
            )
            index_of[future.key] = i
            return future

        first = [f for f in (submit() for _ in range(window)) if f is not None]
        waiting: dict[int, Any] = {}
        next_out = 0
        # Results come back in batches with their futures (fewer round trips); a task's own
        # error is raised here after its retries.
        stream = as_completed(first, with_results=True, raise_errors=True)
        again: dict[int, int] = {}
        for future, result in _lost_workers_as_errors(stream):
            i = index_of.pop(future.key)
            future.release()
            if isinstance(result, BaseException):
                # cancelled with the worker that held it: run the same item again
                again[i] = again.get(i, 0) + 1
                if again[i] > task_retries + 1:
                    msg = f"task {i} of {name} was cancelled {again[i]} times; check the cluster"
                    raise ClusterError(msg)
                retry = self.client.submit(
                    func, *shared, items[i], key=f"{run}-{i}-again{again[i]}", pure=False,
                    retries=task_retries,
                )  # fmt: skip
                index_of[retry.key] = i
                stream.add(retry)
                continue
            ready = [(i, result)]
            if ordered:
                waiting[i] = result
                ready = []
                while next_out in waiting:
                    ready.append((next_out, waiting.pop(next_out)))
                    next_out += 1
            # Results held back for order count against the window: memory stays bounded
            # even while an early task is re-run after its worker died.
            while len(index_of) + len(waiting) < window:
                more = submit()
                if more is None:
                    break
                stream.add(more)
            yield from ready


def _in_batch(*args: Any) -> list[Any]:
    *shared, (func, items) = args
    return [func(*shared, item) for item in items]


def _lost_workers_as_errors(stream: Iterable[Any]) -> Iterator[Any]:
    from distributed import KilledWorker
    from distributed.comm import CommClosedError

    try:
        yield from stream
    except KilledWorker as exc:
        msg = (
            f"Dask task {exc.task} was on workers that died again and again (out of memory? see "
            "the workers' logs); give the workers more memory or lower "
            "sanqu_geo.engine.chunk_bytes"
        )
        raise ClusterError(msg) from exc
    except CommClosedError as exc:
        msg = f"the Dask scheduler was lost during the run ({exc}); run again"
        raise ClusterError(msg) from exc


# --------------------------------------------------------------------------- OD on the workers


def _reduce_block(
    node_rows: np.ndarray,
    cost_a: np.ndarray,
    starts_a: np.ndarray,
    cost_b: np.ndarray,
    order_b: np.ndarray,
    starts_b: np.ndarray,
) -> np.ndarray:
    """Best access pair per place pair: connector + network + connector, minimised."""
    full = cost_a[:, None] + node_rows + cost_b[None, :]
    by_origin = np.minimum.reduceat(full, starts_a, axis=0)
    return np.minimum.reduceat(by_origin[:, order_b], starts_b, axis=1)


@dataclasses.dataclass(frozen=True)
class _PlaceOD:
    """Everything an OD block task needs, sent to the workers once."""

    matrix: csr_array
    zero_limit: float  # costs at or below this are zero-weight paths (see CompiledGraph.exact)
    a_pos: np.ndarray  # access rows of the origins, grouped by origin in origin order
    a_cost: np.ndarray
    a_first: np.ndarray  # first access row of each origin (len = origins + 1)
    b_pos: np.ndarray
    b_cost: np.ndarray
    b_order: np.ndarray
    b_starts: np.ndarray
    same: np.ndarray  # (origin index, destination index) pairs of one place: time 0
    scale: float


def _place_od_block(problem: _PlaceOD, rows: tuple[int, int]) -> np.ndarray:
    start, stop = rows
    lo, hi = int(problem.a_first[start]), int(problem.a_first[stop])
    sources = problem.a_pos[lo:hi]
    unique, inverse = np.unique(sources, return_inverse=True)
    dist = dijkstra(problem.matrix, directed=True, indices=unique)[:, problem.b_pos]
    dist[dist <= problem.zero_limit] = 0.0  # as the engine's od_matrix: exact zero paths
    node_rows = dist[inverse]
    starts_a = problem.a_first[start:stop] - lo
    block = _reduce_block(
        node_rows, problem.a_cost[lo:hi], starts_a, problem.b_cost, problem.b_order,
        problem.b_starts,
    )  # fmt: skip
    inside = (problem.same[:, 0] >= start) & (problem.same[:, 0] < stop)
    block[problem.same[inside, 0] - start, problem.same[inside, 1]] = 0.0
    return block * problem.scale


def _place_problem(
    G: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    weight: str,
    scale: float,
) -> _PlaceOD:
    compiled = engine.compile_graph(G, weight=weight)
    a = travel.access_table(G, origins)
    b = travel.access_table(G, destinations)
    origin_ids = [str(i) for i in origins["id"]]
    dest_ids = [str(i) for i in destinations["id"]]
    connector = "connector_s" if weight == "travel_time" else "distance_m"
    a_place = a["id"].astype(str).to_numpy()
    b_place = b["id"].astype(str).to_numpy()
    for ids, place, what in ((origin_ids, a_place, "origin"), (dest_ids, b_place, "destination")):
        missing = sorted(set(ids) - set(place))
        if missing:
            msg = f"{what} places without a way onto the network: {', '.join(missing[:5])}"
            raise DataSourceError(msg)
    rank_a = {pid: i for i, pid in enumerate(origin_ids)}
    rank_b = {pid: i for i, pid in enumerate(dest_ids)}
    order_a = np.argsort([rank_a[p] for p in a_place], kind="stable")
    counts_a = np.bincount([rank_a[p] for p in a_place], minlength=len(origin_ids))
    order_b = np.argsort([rank_b[p] for p in b_place], kind="stable")
    counts_b = np.bincount([rank_b[p] for p in b_place], minlength=len(dest_ids))
    same = np.array(
        [(rank_a[p], rank_b[p]) for p in origin_ids if p in rank_b], dtype=np.int64
    ).reshape(-1, 2)
    return _PlaceOD(
        matrix=compiled.forward,
        # The bound CompiledGraph.exact uses; sent alone (not the graph's reverse matrix).
        zero_limit=compiled.n * engine._ZERO if compiled.zero_edges else -1.0,
        a_pos=compiled.positions(list(a["node"].iloc[order_a]), what="origin"),
        a_cost=a[connector].to_numpy(dtype=float)[order_a],
        a_first=np.concatenate([[0], np.cumsum(counts_a)]),
        b_pos=compiled.positions(list(b["node"]), what="destination"),
        b_cost=b[connector].to_numpy(dtype=float),
        b_order=order_b,
        b_starts=np.concatenate([[0], np.cumsum(counts_b)[:-1]]),
        same=same,
        scale=scale,
    )


def place_od_to_parquet(
    G: nx.MultiDiGraph,
    origins: gpd.GeoDataFrame,
    destinations: gpd.GeoDataFrame,
    path: str | Path,
    *,
    runner: Runner | None = None,
    weight: str = "travel_time",
    column: str = "minutes",
    block_rows: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Stream the OD between places to Parquet, row blocks computed on the workers.

    The graph is compiled here and its arrays sent to every worker once; each task computes
    the shortest paths from one block of origins' access nodes and reduces them to places
    (best access pair with connectors, as :func:`sanqu_geo.travel.place_od`). Blocks are
    written by :func:`sanqu_geo.engine.write_od_blocks` in origin order as they complete, so
    the file is the same with any number of workers, a re-run block is written once, and at
    most a few blocks per worker are held at a time.

    Parameters
    ----------
    G : networkx.MultiDiGraph
        Road graph.
    origins, destinations : geopandas.GeoDataFrame
        Places with ``id`` (see :func:`sanqu_geo.travel.load_places`).
    path : path-like
        Output ``.parquet`` (long form: ``origin``, ``destination``, ``column``).
    runner : Runner, optional
        Where to run (default: here).
    weight : str
        ``travel_time`` or ``length``.
    column : str
        Name of the value column; ``minutes`` divides seconds by 60.
    block_rows : int, optional
        Origins per task (default: bounded by :data:`sanqu_geo.engine.chunk_bytes`, and small
        enough for four blocks per worker).
    progress : callable, optional
        Called with (origins written, origins) after each block.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    runner = runner or Runner()
    scale = 1 / 60 if column == "minutes" and weight == "travel_time" else 1.0
    problem = _place_problem(G, origins, destinations, weight, scale)
    n = len(origins)
    if block_rows is None:
        access = max(1.0, len(problem.a_pos) / max(n, 1))
        by_memory = int(engine.chunk_bytes // (8 * problem.matrix.shape[0] * access))
        by_balance = math.ceil(n / (tasks_per_worker * runner.workers))
        block_rows = max(1, min(by_memory, by_balance))
    slices = [(s, min(s + block_rows, n)) for s in range(0, n, block_rows)]
    shared = runner.share(problem)

    def blocks() -> Iterable[tuple[slice, np.ndarray]]:
        for i, block in runner.map(_place_od_block, slices, shared, ordered=True, name="od"):
            start, stop = slices[i]
            if progress is not None:
                progress(stop, n)
            yield slice(start, stop), block

    return engine.write_od_blocks(
        blocks(), [str(i) for i in origins["id"]], [str(i) for i in destinations["id"]], path,
        column=column,
    )  # fmt: skip
