"""Running a scenario into the store: the one path ``sim run`` and the runs of sweeps take.

The model is built before the store is touched, so bad input never leaves a trace. Each step is
stored as soon as it is simulated. Ctrl-C (SIGINT) and SIGTERM stop the run cleanly after the
step under way and mark it ``interrupted``; any other error marks it ``failed`` with the error;
SIGKILL leaves it ``running`` with a dead process, which listings report as ``interrupted``.
"""

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from experiments.sweep_worker import TaskResult, software_versions
from policies.engine import ActivePolicy
from policies.registry import build_policies
from runs.developer_history import DeveloperRows, HistoryPlan
from runs.history_rows import DIGEST_VERSION
from runs.recorder import RunRecorder
from runs.store import RunDescription, RunStore
from scenario.scenario import Scenario
from simulator.model import TokenMarket


class RunInterrupted(Exception):
    """The run was stopped by a signal; its finished steps are stored."""

    def __init__(self, run_id: int, steps_done: int, stopped_by: signal.Signals) -> None:
        super().__init__(
            f"run {run_id} interrupted by {stopped_by.name} after {steps_done} "
            "steps; its finished steps are stored"
        )
        self.run_id = run_id
        self.exit_status = 128 + stopped_by.value
        """The shell's convention: 130 after SIGINT, 143 after SIGTERM."""


@dataclass(frozen=True)
class RunResult:
    """What a finished run left behind."""

    run_id: int
    status: str
    digest: str
    steps: int
    model: TokenMarket


class _StopRequests:
    """Remembers a SIGINT or SIGTERM instead of raising inside the loop.

    An exception raised in the middle of a database write can leave SQLite's write lock held by
    a discarded connection, so the run could not even be marked interrupted. Signals are only
    noted here and acted on between steps, when nothing is being written.
    """

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None

    def note(self, signum: int, _frame: Any) -> None:
        self.signal = signal.Signals(signum)


@contextmanager
def deferred_stop_signals() -> Iterator[_StopRequests]:
    """Within the block, SIGINT and SIGTERM are only noted (``.signal``), to act on between writes.

    Outside the main thread, where Python cannot handle signals, nothing is noted.
    """
    requests = _StopRequests()
    if threading.current_thread() is not threading.main_thread():
        yield requests
        return
    previous = {sig: signal.signal(sig, requests.note) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requests
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _developer_rows(model: TokenMarket, plan: HistoryPlan) -> DeveloperRows | None:
    ids = plan.developers_at(model.last_record.step, model.developers.size)
    if ids is None:
        return None
    return ids, model.developers.provider[ids], model.developer_tokens[ids]


def _policy_rows(active: Sequence[ActivePolicy]) -> list[dict[str, Any]]:
    """Every policy of a run with its label and parameters, as the run's row keeps them."""
    return [{"name": a.policy.name, "label": a.label, **a.policy.parameters()} for a in active]


def _start_run(
    store: RunStore,
    scenario: Scenario,
    active: Sequence[ActivePolicy],
    seed: int,
    name: str | None,
    tags: Sequence[str],
    versions: dict[str, str],
) -> int:
    """Register the run with its scenario, every policy parameter and the software versions."""
    return store.start_run(
        _description(name or scenario.name, scenario, active, seed, versions, tags)
    )


def _description(
    name: str,
    scenario: Scenario,
    active: Sequence[ActivePolicy],
    seed: int,
    versions: dict[str, str],
    tags: Sequence[str],
) -> RunDescription:
    """What a run of ``scenario`` is, with every policy parameter, as its row stores it."""
    return RunDescription(
        name=name,
        seed=seed,
        steps=scenario.steps,
        scenario=scenario.model_dump(mode="json"),
        policies=_policy_rows(active),
        versions=versions,
        tags=tags,
    )


def execute(
    scenario: Scenario,
    seed: int | None,
    store: RunStore,
    name: str | None = None,
    on_step: Callable[[TokenMarket], None] | None = None,
    tags: Sequence[str] = (),
    developer_history: HistoryPlan | None = None,
    digest_form: int = DIGEST_VERSION,
) -> RunResult:
    """Simulate ``scenario`` with ``seed``, storing every step; return the finished run.

    ``tags`` are stored with the run for grouping it later (``validation`` for ``sim validate``);
    ``developer_history`` keeps per-developer rows (see :mod:`runs.developer_history`);
    ``digest_form`` is the form of its digest (a replay takes the replayed run's).

    Raises:
        RunInterrupted: after SIGINT or SIGTERM (the run is marked ``interrupted``).
    """
    model = TokenMarket(scenario, seed=seed)
    versions = {**software_versions(), "digest": str(digest_form)}
    run_id = _start_run(
        store, scenario, model.policy_engine.policies, model.seed, name, tags, versions
    )
    recorder = RunRecorder(store, run_id, digest_form)
    try:
        with deferred_stop_signals() as stop:
            while model.running and stop.signal is None:
                model.step()
                recorder.write(
                    model.last_record,
                    _developer_rows(model, developer_history) if developer_history else None,
                )
                if on_step:
                    on_step(model)
    except BaseException as error:
        store.finish_run(run_id, "failed", error=f"{type(error).__name__}: {error}")
        raise
    if stop.signal is not None:
        store.finish_run(run_id, "interrupted")
        raise RunInterrupted(run_id, model.steps, stop.signal)
    store.finish_run(run_id, "finished", digest=recorder.digest)
    return RunResult(
        run_id=run_id, status="finished", digest=recorder.digest, steps=model.steps, model=model
    )


def store_simulated(
    store: RunStore,
    result: TaskResult,
    *,
    name: str,
    tags: Sequence[str] = (),
    within: Callable[[Connection, int], None] | None = None,
) -> tuple[int, str]:
    """Store a run simulated in another process (a sweep's worker) as :func:`execute` would.

    The worker built the rows and digest exactly as :class:`RunRecorder` does, so the run and
    its digest are those of ``sim run`` with the same scenario and seed. The whole run is
    written in one transaction (:meth:`RunStore.store_run`): a writer killed half-way leaves
    no trace of it.

    Args:
        store: where to store the run.
        result: the worker's result: the task (scenario and seed), its rows, digest, software
            versions and error (the run is then ``failed``, with the steps done before it).
        name: the run's name.
        tags: labels stored with the run.
        within: called with the transaction's connection and the run's id once the run is
            registered, for rows that must commit with it (a sweep's link to the run).

    Returns:
        The run's id and status: ``finished``, or ``failed`` with the result's error.
    """
    task = result.task
    status = "finished" if result.error is None else "failed"
    run_id = store.store_run(
        _description(
            name,
            task.scenario,
            build_policies(task.scenario.policies),
            task.seed,
            result.versions,
            tags,
        ),
        history=result.history,
        status=status,
        digest=result.digest if result.error is None else None,
        error=result.error,
        within=within,
    )
    return run_id, status
