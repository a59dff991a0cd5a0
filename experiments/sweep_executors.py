"""Running a sweep's tasks: on a local process pool, or on a Dask distributed cluster.

Executors only run tasks; they never touch the store. A worker simulates each task wholly in
memory (:mod:`experiments.sweep_worker`) and sends back its rows and digest (or the error that
stopped it), a few tasks per round trip; the coordinating process
(:mod:`experiments.sweep_coordinator`) writes them, so one process writes to the database
whatever runs the simulations, SQLite and PostgreSQL alike, and workers on other machines need
no access to it. A run's history depends on its scenario and seed alone, so it is
the same on any executor and any number of workers.
"""

import gc
import ipaddress
import logging
import multiprocessing
import multiprocessing.context
import os
import socket
import struct
import sys
import threading
import time
import types
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures
from contextlib import contextmanager
from numbers import Integral
from typing import Any

import numba

from experiments.sweep import Task
from experiments.sweep_worker import TaskResult, simulate_batch, software_versions, start_worker
from runs.history_rows import HistoryRows
from vocabulary.errors import InputError, excerpt

SCHEDULER_SCHEMES = ("tcp", "tls")
"""The protocols ``--scheduler`` may use."""
CONNECT_SECONDS = 10.0
"""The most seconds to wait for a scheduler to answer."""
HANDSHAKE_HEADER = struct.Struct("<Q")
"""How a Dask message starts: its length, 8 bytes little-endian."""
MAX_HANDSHAKE_BYTES = 1 << 20
"""A Dask handshake is tens of bytes; a length beyond this means the peer is not Dask."""
POLL_SECONDS = 0.2
"""How often a waiting executor checks whether the coordinator was asked to stop."""
BATCHES_PER_WORKER = 2
"""A batch holds at most 1 / this of the tasks left per worker, so that batches shrink to
single runs towards the end, the workers finish together and a stop request waits for little
work."""
MAX_BATCH = 4
"""The most runs sent to a worker in one round trip (each future is one batch)."""
LOG = logging.getLogger("experiments")
"""Where an executor says what it did differently from what was asked (fewer workers)."""


def batches(tasks: Sequence[Task], workers: int) -> list[list[Task]]:
    """``tasks`` in order, cut into batches of up to :data:`MAX_BATCH` for ``workers``.

    A batch is one round trip to a worker (fewer pickles, queue hand-offs and wake-ups per
    run). Each batch is at most the tasks left after it, shared out among the workers, over
    :data:`BATCHES_PER_WORKER`: the last ones are single runs, so that no worker is left with
    several runs to do while the others have nothing.
    """
    cut, start = [], 0
    while start < len(tasks):
        size = max(1, min(MAX_BATCH, (len(tasks) - start) // (workers * BATCHES_PER_WORKER)))
        cut.append(list(tasks[start : start + size]))
        start += size
    return cut


class Executor(ABC):
    """Runs tasks and yields their results as they complete; ``with`` closes it at the end."""

    description: str
    """A few words for messages: ``2 local processes``, ``Dask at tcp://...``."""
    workers: int | None
    """How many tasks run at once; None when unknown (a Dask cluster's workers come and go)."""

    @abstractmethod
    def run(self, tasks: Sequence[Task], stop: Callable[[], bool]) -> Iterator[TaskResult]:
        """Results of ``tasks`` in completion order; cancels the rest once ``stop()`` is true."""

    @abstractmethod
    def close(self) -> None:
        """Release the workers."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _lost(task: Task, error: BaseException) -> TaskResult:
    """The result of a task whose worker died or could not be reached."""
    versions = software_versions()
    return TaskResult(task, HistoryRows(), "", versions, f"{type(error).__name__}: {error}")


def _results(
    pending: dict[Any, list[Task]],
    stop: Callable[[], bool],
    wait: Callable[[dict[Any, list[Task]]], Iterable[Any]],
    cancel: Callable[[list[Any]], object],
) -> Iterator[TaskResult]:
    """The results of the ``pending`` batches as they complete, until all are in or ``stop()``.

    Only waiting and cancelling differ between executors: ``wait`` returns some finished
    futures (or none, after about :data:`POLL_SECONDS`, so that ``stop`` is checked often);
    ``cancel`` cancels the futures still pending when the loop ends, stopped, interrupted or
    closed early by the consumer.
    """
    frozen = _freeze_existing_objects()
    try:
        while pending and not stop():
            for future in wait(pending):
                batch = pending.pop(future)
                try:
                    results = future.result()
                except Exception as error:  # noqa: BLE001 - a killed worker, KilledWorker
                    results = [_lost(task, error) for task in batch]
                for result in results:
                    if stop():  # a batch's later runs are not stored after a stop request
                        return
                    yield result
    finally:
        if frozen:
            gc.unfreeze()
        if pending:
            cancel(list(pending))


def _freeze_existing_objects() -> bool:
    """Keep this process's objects out of garbage collection while results come in.

    Each result is tens of thousands of new objects (its rows), which set off full collections,
    and each walks everything the process holds (the model, SQLAlchemy, a notebook's data)
    for nothing. Objects made from here on are collected as usual; whatever existed is
    collected again once :func:`gc.unfreeze` runs, at the end of the results. False (nothing
    done) if something else froze objects already: unfreezing would release them too.
    """
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def start_method() -> str:
    """How a local pool starts its workers: ``fork`` where that is safe, else ``spawn``.

    A forked worker starts at once with everything this process has imported, where a spawned
    one imports the model again (about a second on each core, a seventh of a 64-run sweep on
    two). Forking is safe on Linux while this process runs one thread (a lock held by another
    thread would stay held in the child) and has not started numba's threads: GNU OpenMP, the
    threading layer numba usually picks, aborts a child forked after it ran. A notebook that
    simulated in-process, or a process with other threads, gets ``spawn`` (whose workers do
    not run a script's main code again: :func:`main_module_hidden`).
    """
    if not sys.platform.startswith("linux") or threading.active_count() > 1:
        return "spawn"
    try:
        numba.threading_layer()  # raises until numba's threads have started
    except ValueError:
        return "fork"
    return "spawn"


_MAIN_SWAP = threading.Lock()
"""Held while :func:`main_module_hidden` has ``__main__`` swapped, so that two threads starting
processes at once cannot leave the stand-in behind."""


@contextmanager
def main_module_hidden() -> Iterator[None]:
    """Within it, a spawned process does not run the parent's main script or module again.

    A spawned child is a new interpreter which, before it runs its target, imports the parent's
    ``__main__`` again as ``__mp_main__`` (:mod:`multiprocessing.spawn` sends it
    ``__main__.__spec__``'s name, else ``__main__.__file__``), so that functions defined there
    can be unpickled. A script without ``if __name__ == "__main__":`` would then run again in
    every worker: its runs simulated and stored again, and its own call to a pool refused
    (``RuntimeError``, then ``BrokenProcessPool`` here). Our workers run this package's
    functions only and need nothing of the user's script, so while this context is open
    ``sys.modules["__main__"]`` is an empty module, as in an interactive session, where the
    children import nothing; the user's module object is untouched and put back at once.
    """
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is None:
                del sys.modules["__main__"]
            else:
                sys.modules["__main__"] = main


class _SpawnedProcess(multiprocessing.context.SpawnProcess):
    """A spawned process started with the parent's ``__main__`` hidden from it."""

    @staticmethod
    def _Popen(process_obj: Any) -> Any:  # noqa: N802 - the name multiprocessing calls
        with main_module_hidden():
            return multiprocessing.context.SpawnProcess._Popen(process_obj)


class SpawnContext(multiprocessing.context.SpawnContext):
    """Python's ``spawn`` start method, but the children never run the parent's main script.

    See :func:`main_module_hidden`: whichever thread starts a worker and whenever the pool
    starts it, so that a user's script needs no ``if __name__ == "__main__":`` guard.
    """

    Process = _SpawnedProcess


def pool_context(method: str) -> multiprocessing.context.BaseContext:
    """The multiprocessing context of a local pool starting its workers with ``method``."""
    return SpawnContext() if method == "spawn" else multiprocessing.get_context(method)


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which a container may narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def local_workers(asked: int | None, runs: int | None = None) -> int:
    """How many local processes to start: ``asked``, but no more than the cores or the runs.

    More processes than cores only share the cores, and more than runs have nothing to do;
    each costs memory and a start (a fork of this process, or a new interpreter). An ask that
    is lowered is said in one line on the ``experiments`` logger (standard error, unless the
    program routes logging elsewhere), since the user asked for something else.

    Args:
        asked: the processes asked for; None for as many as the cores (and runs) allow.
        runs: the most runs that will be simulated at once; None if not known.

    Raises:
        InputError: ``asked`` is not a whole number from 1.
    """
    whole = isinstance(asked, Integral) and not isinstance(asked, bool)
    if asked is not None and not (whole and asked >= 1):
        raise InputError(f"--workers {excerpt(asked)}: expected a whole number of at least 1")
    have = cores()
    limit = min(have, max(1, runs)) if runs is not None else have
    if asked is None or asked <= limit:
        return asked or limit
    why = [] if runs is None else [f"{runs} run{'s' if runs != 1 else ''}"]
    why.append(f"{have} core{'s' if have != 1 else ''}")
    LOG.warning("--workers %d: using %d (%s)", asked, limit, ", ".join(why))
    return limit


class LocalPool(Executor):
    """A pool of local processes, started at once (see :func:`start_method` for how).

    Spawned workers do not run the caller's main script again (:class:`SpawnContext`), so a
    script calling a sweep, validation or calibration needs no ``__main__`` guard.

    Args:
        workers: number of processes asked for; default the number of cores. No more are
            started than there are cores, or ``runs`` (see :func:`local_workers`).
        runs: the most runs the pool will simulate at once, if known.
    """

    def __init__(self, workers: int | None = None, runs: int | None = None) -> None:
        self.workers = local_workers(workers, runs)
        self.description = f"{self.workers} local process{'es' if self.workers > 1 else ''}"
        self.start_method = start_method()
        self._pool = futures.ProcessPoolExecutor(
            self.workers,
            mp_context=pool_context(self.start_method),
            initializer=start_worker,
            initargs=(os.getpid(),),
        )
        # A forking pool forks every worker at its first task: now, while this process still
        # has one thread (a progress bar's thread may start before the sweep's first task).
        self._pool.submit(os.getpid)

    def run(self, tasks: Sequence[Task], stop: Callable[[], bool]) -> Iterator[TaskResult]:
        """See :class:`Executor`."""
        threads = 1 if self.workers > 1 else None
        pending = {
            self._pool.submit(simulate_batch, batch, threads): batch
            for batch in batches(tasks, self.workers)
        }

        def wait(running: dict[Any, list[Task]]) -> set[Any]:
            return futures.wait(running, POLL_SECONDS, futures.FIRST_COMPLETED).done

        def cancel(left: list[Any]) -> None:
            for future in left:
                future.cancel()

        yield from _results(pending, stop, wait, cancel)

    def close(self) -> None:
        """See :class:`Executor`."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Executor):
    """An existing Dask distributed cluster, reached through its scheduler.

    Each task runs numba single-threaded: Dask already runs one task per worker thread.
    Dask's protocol unpickles what the scheduler sends, so only a trusted scheduler may be
    used: see :func:`check_scheduler`. A plain ``tcp://`` scheduler is first asked for the
    start of its handshake (:func:`probe_scheduler`), so that a port answering anything else
    ends in one line at once instead of in a huge allocation or a hang.

    Args:
        address: the scheduler's address, e.g. ``tcp://127.0.0.1:8786``.
        insecure: allow a remote scheduler without TLS (see :func:`check_scheduler`).
        connect_timeout: the most seconds to wait for the scheduler.

    Raises:
        InputError: the address is not allowed, or no Dask scheduler answers there in time.
    """

    def __init__(
        self, address: str, insecure: bool = False, connect_timeout: float = CONNECT_SECONDS
    ) -> None:
        scheme, host, port = check_scheduler(address, insecure)
        self.description = f"Dask at {address}"
        self.workers = None
        if scheme == "tcp":
            probe_scheduler(address, host, port, connect_timeout)
        else:
            _require_tls_settings(address)
        from experiments.dask_client import connect  # Dask is slow to import: only when used

        try:
            self._client = connect(address, connect_timeout)
        except (OSError, ValueError, TypeError, RuntimeError) as error:
            raise InputError(
                f"--scheduler {address}: cannot reach a Dask scheduler there ({_first_line(error)})"
            ) from None

    def run(self, tasks: Sequence[Task], stop: Callable[[], bool]) -> Iterator[TaskResult]:
        """See :class:`Executor`."""
        workers = max(1, sum(self._client.nthreads().values()))
        sent = batches(tasks, workers)
        submitted = self._client.map(simulate_batch, sent, numba_threads=1, pure=False)
        pending: dict[Any, list[Task]] = dict(zip(submitted, sent, strict=True))

        def wait(running: dict[Any, list[Task]]) -> list[Any]:
            done = [future for future in running if future.done()]
            if not done:
                time.sleep(POLL_SECONDS)
            return done

        yield from _results(pending, stop, wait, self._client.cancel)

    def close(self) -> None:
        """See :class:`Executor`."""
        self._client.close()


def open_executor(
    workers: int | None,
    scheduler: str | None,
    insecure_scheduler: bool = False,
    runs: int | None = None,
) -> Executor:
    """The executor the options ask for: Dask with a scheduler, else a local pool.

    A local pool has no more processes than the cores and ``runs``, the most runs it will
    simulate at once (see :func:`local_workers`).
    """
    if scheduler is not None:
        return DaskCluster(scheduler, insecure_scheduler)
    return LocalPool(workers, runs)


def check_scheduler(address: str, insecure: bool = False) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of a scheduler address this program may connect to.

    Allowed: ``tcp://`` (or a bare ``HOST:PORT``) on a loopback address; ``tls://`` anywhere,
    with Dask's TLS settings (``distributed.comm.tls`` in Dask's configuration) proving the
    scheduler is the one meant; ``tcp://`` to another machine only with ``insecure``, since
    whoever answers there, or can tamper with the network on the way, can run code here.
    Nothing is resolved or connected to.

    Raises:
        InputError: the address is malformed, of another protocol, or remote without TLS.
    """
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, _, port_text = rest.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if (
        scheme not in SCHEDULER_SCHEMES
        or not host
        or not port_text.isdecimal()
        or not 1 <= int(port_text) <= 65535
        or "/" in host
    ):
        raise InputError(
            f"--scheduler {excerpt(address)}: expected tcp://HOST:PORT or "
            "tls://HOST:PORT with a port from 1 to 65535, e.g. "
            "tcp://127.0.0.1:8786"
        )
    if scheme == "tcp" and not insecure and not _loopback(host):
        raise InputError(
            f"--scheduler {address}: a scheduler on another machine without TLS "
            "can run any code on this one (Dask unpickles what it sends); use "
            "tls:// with Dask's TLS settings, or pass --insecure-scheduler if you "
            "trust that machine and the network to it"
        )
    return scheme, host, int(port_text)


def probe_scheduler(address: str, host: str, port: int, timeout: float) -> None:
    """Check that a Dask scheduler answers at ``host:port``, reading 8 bytes and nothing more.

    A Dask scheduler greets a new connection with a handshake whose first 8 bytes give its
    (small) length. Anything else (silence, a web server, random bytes) is refused here,
    before Dask's own client would read, allocate or unpickle what it is sent.

    Raises:
        InputError: nothing listens there, nothing answers within ``timeout`` seconds, or the
            answer is not a Dask handshake.
    """

    def refuse(reason: str) -> InputError:
        return InputError(f"--scheduler {address}: no Dask scheduler there ({reason})")

    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            greeting = b""
            while len(greeting) < HANDSHAKE_HEADER.size:
                chunk = connection.recv(HANDSHAKE_HEADER.size - len(greeting))
                if not chunk:
                    raise refuse("it closed the connection without a handshake")
                greeting += chunk
    except TimeoutError:
        raise refuse(f"no handshake within {timeout:g} s") from None
    except OSError as error:
        raise refuse(error.strerror or _first_line(error)) from None
    (length,) = HANDSHAKE_HEADER.unpack(greeting)
    if not 0 < length <= MAX_HANDSHAKE_BYTES:
        raise refuse("it answered something that is not a Dask handshake")


def _require_tls_settings(address: str) -> None:
    """Refuse ``tls://`` unless Dask's configuration can prove the scheduler's identity.

    That takes the certificate authority (``distributed.comm.tls.ca-file``): without it, TLS
    would encrypt but not authenticate.
    """
    import dask.config  # light, unlike distributed

    if not dask.config.get("distributed.comm.tls.ca-file", None):
        raise InputError(
            f"--scheduler {address}: tls:// needs Dask's TLS settings "
            "(distributed.comm.tls.ca-file, and the client's certificate and key "
            "under distributed.comm.tls.client) in Dask's configuration"
        )


def _loopback(host: str) -> bool:
    """Whether ``host`` is this machine: ``localhost``, 127.0.0.0/8 or ::1 (never resolved)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _first_line(error: BaseException) -> str:
    return (str(error).strip() or type(error).__name__).splitlines()[0]
