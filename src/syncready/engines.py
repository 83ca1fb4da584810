"""Where batch jobs run: a local pool of processes, or a Ray cluster.

Both engines have one face: :meth:`Engine.run` takes a picklable function and a list of
items, runs ``function(item)`` for each with at most ``jobs`` running at once, and yields a
:class:`Finished` per item as it finishes (in finishing order). The caller keeps the one
consuming loop (progress, result files, catalog); the engine only runs work.

Conventions
-----------
- ``jobs`` is how many items run at once: processes for :class:`ProcessEngine`, one-CPU
  Ray tasks for :class:`RayEngine`. None means one per core (of this machine, or of the
  cluster's CPUs when joining one).
- A job that dies without an answer (a crashed worker process, a lost Ray node) is reported
  as that item's ``error``; the other items go on.
- Clean-up is certain: close the iterator (``contextlib.closing``) and pending work is
  cancelled, the pool shut down, and a local Ray instance started here stopped, also after an
  exception or Ctrl-C.
- Ray is an extra (``pip install 'syncready[ray]'``), imported only by :class:`RayEngine`.
  Its workers import this package themselves: on a cluster every node needs it installed,
  and the items must carry paths that every node can open (see ``docs/batch.md``).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import UsageError

ENGINES = ("process", "ray")
RAY_MISSING = "the Ray engine needs Ray: pip install 'syncready[ray]'"
CONNECT_TIMEOUT_S = 5.0  # how long to wait for a Ray head to accept a connection and answer
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # + an empty SETTINGS frame
LOCAL_OBJECT_STORE_BYTES = 128 * 2**20  # results are small JSON documents; keep shared memory modest
# The thread pools of numpy/scipy's BLAS (OpenMP, OpenBLAS, MKL), sized by these at import.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

T = TypeVar("T")


@dataclass
class Finished(Generic[T]):
    """One item's outcome: the function's return value, or why the engine got none."""

    item: T
    value: Any = None
    error: str | None = None


class ProcessEngine:
    """Items run in ``spawn``-started worker processes of this machine (numba's threads and
    forked processes do not mix); each process runs one item at a time to completion.

    Each process's numeric libraries get ``cores // processes`` threads (at least one), as Ray
    does for its one-CPU tasks: a BLAS pool per process as wide as the machine makes the
    processes fight for the cores (a variable the user set is left as it is).
    """

    name = "process"

    def __init__(self, jobs: int | None = None):
        self.jobs = jobs

    def run(self, function: Callable[[T], Any], items: list[T]) -> Iterator[Finished[T]]:
        """Yield each item's :class:`Finished` as its process returns."""
        if not items:
            return
        workers = max(1, min(self.jobs or os.cpu_count() or 1, len(items)))
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            # CPython's pool starts a process per submit until it has them all: inside the block
            with _child_threads(max(1, (os.cpu_count() or 1) // workers)):
                futures: dict[Future, T] = {pool.submit(function, item): item for item in items}
            for future in as_completed(futures):
                try:
                    yield Finished(futures[future], future.result())
                except Exception as exc:  # noqa: BLE001 - a dead worker fails its item, not the batch
                    yield Finished(futures[future], error=f"worker process failed: {type(exc).__name__}: {exc}")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class RayEngine:
    """Items run as one-CPU Ray tasks, at most ``jobs`` at once.

    ``address`` None starts a private local instance with ``jobs`` CPUs (stopped when the run
    ends); ``"auto"`` joins the cluster running on this machine, ``HOST:PORT`` (or
    ``ray://HOST:PORT`` for Ray Client) joins that one (the driver disconnects at the end; the
    cluster stays). When Ray is already initialised in this process (a test, a notebook), that
    session is used and left running (``address`` is still checked). Ray's own log lines stay
    off the terminal.

    Raises
    ------
    UsageError
        Ray is not installed, or ``address`` is malformed or cannot be reached (checked here,
        before any work: Ray itself waits minutes on an address where nothing answers).
    """

    name = "ray"

    def __init__(self, jobs: int | None = None, address: str | None = None):
        if address is not None:
            _token_auth_when_available()  # before Ray is imported: it reads the mode then
        try:
            import ray
        except ImportError:
            raise UsageError(RAY_MISSING) from None
        self.ray = ray
        self.jobs = jobs
        self.address = address
        if address is not None:
            _check_reachable(address)

    def run(self, function: Callable[[T], Any], items: list[T]) -> Iterator[Finished[T]]:
        """Yield each item's :class:`Finished` as its task returns."""
        if not items:
            return
        ray = self.ray
        started = self._connect()
        pending: dict[Any, T] = {}
        try:
            remote = ray.remote(num_cpus=1, max_retries=0)(function)
            cap = max(1, self.jobs or int(ray.cluster_resources().get("CPU", 1)))
            queue = iter(items)
            for item in queue:
                pending[remote.remote(item)] = item
                if len(pending) >= cap:
                    break
            while pending:
                [ref], _ = ray.wait(list(pending), num_returns=1)
                item = pending.pop(ref)
                try:
                    yield Finished(item, ray.get(ref))
                except Exception as exc:  # noqa: BLE001 - a lost worker or node fails its item only
                    yield Finished(item, error=f"Ray task failed: {type(exc).__name__}: {_first_line(exc)}")
                following = next(queue, None)
                if following is not None:
                    pending[remote.remote(following)] = following
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()

    def _connect(self) -> bool:
        """Start or join Ray unless this process already is; whether it was done here."""
        ray = self.ray
        if ray.is_initialized():
            return False
        quiet = {"log_to_driver": False, "logging_level": logging.ERROR, "configure_logging": True}
        if self.address is None:
            ray.init(num_cpus=self.jobs or os.cpu_count() or 1, include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
        else:
            try:
                ray.init(address=self.address, **quiet)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise UsageError(f"cannot join the Ray cluster at {self.address}: {_first_line(exc)} (a cluster with "
                                 "token authentication needs its token here: RAY_AUTH_TOKEN or ~/.ray/auth_token)") from None
        return True


def make(engine: str, *, jobs: int | None = None, address: str | None = None) -> ProcessEngine | RayEngine:
    """The engine named ``engine`` (one of :data:`ENGINES`).

    Raises
    ------
    UsageError
        An unknown name, ``address`` given to the process engine, or (see :class:`RayEngine`)
        Ray missing or its address unreachable.
    """
    if engine == "process":
        if address is not None:
            raise UsageError("--address is for --engine ray (the process engine runs on this machine)")
        return ProcessEngine(jobs)
    if engine == "ray":
        return RayEngine(jobs, address)
    raise UsageError(f"unknown engine {engine!r}; engines are {', '.join(ENGINES)}")


@contextlib.contextmanager
def _child_threads(count: int) -> Iterator[None]:
    """Within the block, processes started from here size their BLAS thread pools to ``count``."""
    added = [name for name in THREAD_VARIABLES if name not in os.environ]
    os.environ.update({name: str(count) for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _check_reachable(address: str) -> None:
    """Raise UsageError unless a gRPC server (Ray's GCS or Ray Client) answers at ``address``:
    it must accept a TCP connection and answer the HTTP/2 preface with a SETTINGS frame within
    :data:`CONNECT_TIMEOUT_S` (Ray itself waits minutes on a port that is not Ray's)."""
    if address == "auto":
        from ray._private.services import canonicalize_bootstrap_address_or_die

        try:
            address = canonicalize_bootstrap_address_or_die("auto")
        except (ConnectionError, ValueError) as exc:
            raise UsageError(f"--address auto: no Ray cluster runs on this machine ({_first_line(exc)})") from None
    hostport = address.removeprefix("ray://")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"--address {address}: expected HOST:PORT (the head's GCS port, 6379 by default) or auto")
    try:
        connection = socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        raise UsageError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None
    with connection:
        try:
            connection.sendall(HTTP2_PREFACE)
            answer = connection.recv(9)
        except OSError:  # silent (timed out) or hung up: not a gRPC server either
            answer = b""
    if len(answer) < 9 or answer[3] != 0x04:  # a gRPC server's first frame is SETTINGS (type 4)
        raise UsageError(f"{address} answers, but not as a Ray cluster (no gRPC server there); "
                         "give the head's GCS port, 6379 by default")


def _token_auth_when_available() -> None:
    """Join with token authentication when a token is at hand and the user chose no mode.

    ``ray start --head`` (Ray 2.60 here) turns token authentication on when
    ``~/.ray/auth_token`` holds a token, but a driver sends it only with ``RAY_AUTH_MODE=token``;
    without it, joining fails with a bare "Failed to connect". A token-mode driver still joins
    a cluster that has authentication off. Sets ``RAY_AUTH_MODE`` in this process's environment;
    Ray reads it when it is imported, so this must run first.
    """
    if "RAY_AUTH_MODE" in os.environ:
        return
    token_file = Path(os.environ.get("RAY_AUTH_TOKEN_PATH", Path.home() / ".ray" / "auth_token"))
    if os.environ.get("RAY_AUTH_TOKEN") or token_file.is_file():
        os.environ["RAY_AUTH_MODE"] = "token"


def _first_line(exc: BaseException) -> str:
    """An exception's message, first line only (Ray's carry whole remote tracebacks)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
