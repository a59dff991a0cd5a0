"""What a sweep's worker process runs: tasks simulated in memory, sent back as rows to store.

A worker builds each run's rows and digest itself (:mod:`runs.history_rows`), in parallel with
the other workers, so the coordinating process only inserts them. In calibration mode (a task
with targets to measure) it measures the run itself and sends back only the measurements. This
module imports the model, the task type and the targets' measuring, and nothing of the store,
the coordinator or the command line, so that a worker process starts quickly: a pool unpickles
``simulate_batch`` from here and nothing else.
"""

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import mesa
import numba
import numpy as np

import simulator
from experiments.run_tables import RunTables
from experiments.sweep import Task
from experiments.validation import evaluate
from runs.history_rows import DIGEST_VERSION, HistoryDigest, HistoryRows
from simulator.metrics import StepRecord
from simulator.model import TokenMarket

ORPHAN_CHECK_SECONDS = 1.0
"""How often a pool worker checks that its coordinator is still alive."""


def software_versions() -> dict[str, str]:
    """Versions a run records, so a replay can tell whether the software changed.

    ``digest`` is the form of the run's digest (see :mod:`runs.history_rows`).
    """
    return {
        "digest": str(DIGEST_VERSION),
        "package": simulator.__version__,
        "python": sys.version.split()[0],
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "sqlalchemy": version("sqlalchemy"),
    }


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back for one task: its rows and digest, and any error.

    ``history`` holds the steps simulated (all of them, or those before ``error``); in
    calibration mode (``task.measure``) it is empty, the digest is empty, and ``measured``
    holds the targets' rows instead.
    """

    task: Task
    history: HistoryRows
    digest: str
    """The digest of ``history``, in the form ``versions["digest"]`` names."""
    versions: dict[str, str]
    error: str | None = None
    seconds: float = 0.0
    """Seconds the worker spent simulating the task and building its rows and digest."""
    measured: list[dict[str, Any]] | None = None
    """Calibration mode: one row per target of ``task.measure``, as
    :func:`experiments.validation.evaluate` gives them for this run alone."""


def simulate(task: Task, numba_threads: int | None = None) -> TaskResult:
    """Simulate ``task`` in memory; an error becomes part of the result, never an exception.

    Args:
        task: the run to simulate.
        numba_threads: the number of threads for the numba kernels; 1 when several workers
            share the cores, so they do not oversubscribe them. None keeps numba's default.
    """
    start = time.perf_counter()
    if numba_threads is not None:
        numba.set_num_threads(numba_threads)
    versions = software_versions()
    digest = HistoryDigest(DIGEST_VERSION)
    history = HistoryRows()
    records: list[StepRecord] = []
    measured = None
    error = None
    try:
        model = TokenMarket(task.scenario, seed=task.seed)
        while model.running:
            model.step()
            if task.measure:
                records.append(model.last_record)
            else:
                digest.add(model.last_record, history)
        if task.measure:
            measured = evaluate(task.measure, [RunTables.from_records(records)])
    except Exception as failure:  # noqa: BLE001 - a failed run is data, not the sweep's end
        error = f"{type(failure).__name__}: {failure}"
    seconds = time.perf_counter() - start
    return TaskResult(
        task, history, "" if task.measure else digest.digest, versions, error, seconds, measured
    )


def simulate_batch(tasks: Sequence[Task], numba_threads: int | None = None) -> list[TaskResult]:
    """:func:`simulate` each of ``tasks`` in turn: one round trip to a worker for several runs."""
    return [simulate(task, numba_threads) for task in tasks]


def start_worker(coordinator: int) -> None:
    """Set up a pool worker: Ctrl-C is the coordinator's to handle, and its death is ours.

    The coordinator stops the sweep cleanly on Ctrl-C, so workers ignore it; SIGTERM ends a
    worker at once, even one forked from a coordinator that handles SIGTERM itself. A coordinator
    killed outright (SIGKILL) cannot shut its pool down; a worker left behind would wait
    forever to hand over its result, so it exits as soon as its parent is gone.

    The objects the worker holds now (the imported model, numba, scipy, pandas: hundreds of
    thousands) live as long as it does, so the garbage collector is told to leave them out
    (``gc.freeze``): otherwise every full collection, one every few runs, walks them all, about
    90 ms a time at 20,000 developers, more than half a run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    gc.freeze()

    def exit_when_orphaned() -> None:
        while os.getppid() == coordinator:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=exit_when_orphaned, name="exit-when-orphaned", daemon=True).start()
