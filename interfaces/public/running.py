"""Simulating one run and storing it, or simulating a stored run again.

A run is simulated step by step in this process and each step is stored as it is simulated, so
a run stopped early keeps its steps. The seed is an input like the scenario: without one a run
uses :data:`DEFAULT_SEED`, as ``sim run`` does, so the same call gives every user the same
history; a random seed is drawn only when asked for (:data:`RANDOM_SEED`), and is then in the
result and the store. Replaying belongs here because it is the same simulation, from a stored
run's scenario and seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from interfaces.public.arguments import texts
from interfaces.public.databases import existing_store
from interfaces.public.scenarios import chosen_scenario, default_run_name
from runs.load import StoredRun
from runs.load import load_run as read_run
from runs.store import RunStore, StoreError
from scenario.scenario import Scenario
from vocabulary.errors import InputError

if TYPE_CHECKING:
    from experiments.replay import Difference
    from simulator.metrics import StepRecord
    from simulator.model import TokenMarket

__all__ = [  # what interfaces.api offers from here
    "DEFAULT_SEED",
    "MAX_SEED",
    "RANDOM_SEED",
    "Replay",
    "RunResult",
    "replay",
    "run",
    "run_whole",
    "SavedRun",
    "version_changes",
]

DEFAULT_SEED = 1
"""The seed of a run when none is given (``run``, ``sim run``, the dashboard's first run), so
that the same call gives every user the same history."""
RANDOM_SEED = "random"
"""What ``seed`` (and ``sim run --seed``) takes to draw a seed at random instead; the drawn
seed is in :attr:`RunResult.seed` and stored with the run."""
MAX_SEED = 2**63 - 1
"""The largest seed: the store keeps seeds as 64-bit signed numbers."""


def model_seed(seed: int | str) -> int | None:
    """The seed to give the model: ``seed`` checked, or None (the model draws one) for random.

    Raises:
        InputError: ``seed`` is neither a whole number from 0 to :data:`MAX_SEED` nor
            :data:`RANDOM_SEED`.
    """
    if seed == RANDOM_SEED:
        return None
    if isinstance(seed, bool) or not isinstance(seed, Integral) or not 0 <= seed <= MAX_SEED:
        raise InputError(
            f"seed {seed!r}: expected a whole number from 0 to {MAX_SEED} or {RANDOM_SEED!r} "
            f"(to draw one) [default: {DEFAULT_SEED}]"
        )
    return int(seed)


@dataclass(frozen=True)
class RunResult:
    """A run just simulated and stored.

    Attributes:
        run_id: its id in the store (:func:`~interfaces.public.stored_runs.load_run` reads
            it back).
        status: ``finished``.
        digest: a hash of its stored history: the same scenario and seed give the same digest.
        steps: the steps simulated.
        seed: the seed of all its randomness (the one drawn, for ``seed="random"``).
        db: the store's URL, password masked.
        model: the Mesa model as the run left it (``model.last_record``, ``model.developers``).
    """

    run_id: int
    status: str
    digest: str
    steps: int
    seed: int
    db: str
    model: TokenMarket


def step_callback(
    on_step: Callable[[StepRecord], None] | None,
) -> Callable[[Any], None] | None:
    """The runner's per-step callback (which gets the model) for one that takes the record."""
    if on_step is None:
        return None
    return lambda model: on_step(model.last_record)


def run_result(store: RunStore, ran: Any) -> RunResult:
    """The :class:`RunResult` of a run the experiments layer simulated into ``store``."""
    return RunResult(
        ran.run_id, ran.status, ran.digest, ran.steps, ran.model.seed, store.masked_url, ran.model
    )


def run(
    scenario_or_preset: Scenario | str | Path | None = None,
    *,
    seed: int | Literal["random"] = DEFAULT_SEED,
    name: str | None = None,
    tags: Sequence[str] = (),
    developer_history: str | None = None,
    db: str | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
    **options: Any,
) -> RunResult:
    """Simulate a scenario step by step and store every step as it is simulated.

    Args:
        scenario_or_preset: a scenario, or what :func:`~interfaces.public.scenarios.scenario`
            takes as its first argument.
        seed: seed of all randomness; the same scenario and seed give the same history. The
            default is 1, as for ``sim run``, so the same call gives everyone the same run;
            ``"random"`` draws a seed (as ``sim run --seed random``), which the result's
            ``seed`` then holds.
        name: the run's name [default: :func:`~interfaces.public.scenarios.default_run_name`].
        tags: labels stored with the run, for grouping runs later.
        developer_history: also store per-developer rows: ``all``, ``every:K``, ``sample:F``
            or both (``every:12,sample:0.01``).
        db: the run store (created if missing).
        on_step: called with each step's record (``.month``, ``.date``, ``.market``) once
            it is stored.
        **options: :func:`~interfaces.public.scenarios.scenario`'s keyword arguments
            (``policies``, ``settings``, ``steps``, ``developers``, ``start``, ``step_length``).

    Returns:
        Where the run is stored, its digest and seed, and the model as it ended.

    Raises:
        InputError: bad scenario, options, seed, tags or ``developer_history``, or a run too
            big for the memory available (nothing is stored).
        StoreError: the store cannot be opened.
        RunInterrupted: SIGINT or SIGTERM stopped it (its steps so far are stored).
    """
    from experiments.memory import check_memory
    from experiments.runner import execute
    from runs.developer_history import HistoryPlan

    chosen = chosen_scenario(scenario_or_preset, options)
    drawn_or_given = model_seed(seed)
    tags = texts(tags, "tags", '["pilot"]')
    check_memory([chosen])
    plan = HistoryPlan.parse(developer_history) if developer_history else None
    store = RunStore(db)
    ran = execute(
        chosen,
        drawn_or_given,
        store,
        name=name or default_run_name(chosen),
        on_step=step_callback(on_step),
        tags=tags,
        developer_history=plan,
    )
    return run_result(store, ran)


@dataclass(frozen=True)
class Replay:
    """A stored run simulated again from its scenario and seed.

    Attributes:
        stored: the run that was replayed.
        run: the replay, stored as a new run named ``replay of run N``.
        verified: whether the histories were compared.
        difference: the first place the two histories part (``.describe()``), None if they
            are identical or were not compared.
    """

    stored: StoredRun
    run: RunResult
    verified: bool
    difference: Difference | None

    @property
    def identical(self) -> bool | None:
        """Whether every market and provider value repeated exactly; None if not verified."""
        return self.difference is None if self.verified else None


def replay(
    stored_run: int | StoredRun,
    *,
    verify: bool = False,
    db: str | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
) -> Replay:
    """Re-run a stored run from its stored scenario and seed, into a new run of the store.

    Args:
        stored_run: the run, or its id.
        verify: compare the new history with the stored one, value by value.
        db: the run store holding it.
        on_step: called with each step's record.

    Returns:
        Both runs and, with ``verify``, the first difference (None: reproduced bit for bit).

    Raises:
        StoreError: no such run, or this package no longer accepts its stored scenario.
        InputError: the run is too big for the memory available here (nothing is stored).
        RunInterrupted: SIGINT or SIGTERM stopped the replay.
    """
    return replay_in(existing_store(db), stored_run, verify=verify, on_step=on_step)


def replay_in(
    store: RunStore,
    stored_run: int | StoredRun,
    *,
    verify: bool = False,
    on_step: Callable[[StepRecord], None] | None = None,
) -> Replay:
    """:func:`replay` into an open store (what ``Store.replay`` does)."""
    from experiments.memory import check_memory
    from experiments.replay import first_difference
    from experiments.replay import replay as rerun

    stored = stored_run if isinstance(stored_run, StoredRun) else read_run(store, stored_run)
    check_memory([stored.scenario])
    result = run_result(store, rerun(store, stored, on_step=step_callback(on_step)))
    difference = first_difference(store, stored.id, result.run_id) if verify else None
    return Replay(stored, result, verify, difference)


def version_changes(stored_run: StoredRun) -> dict[str, tuple[str, str]]:
    """Software whose version differs between a stored run and now: name -> (then, now).

    ``package`` is token-market-sim itself; a change can explain a replay that differs.
    """
    from experiments.replay import version_changes as changes

    return changes(stored_run)


@dataclass(frozen=True)
class SavedRun:
    """A run stored whole by :func:`run_whole`: its id, status and digest (as ``sim run``'s)."""

    run_id: int
    status: str
    digest: str


def run_whole(
    scenario: Scenario,
    *,
    seed: int,
    name: str,
    tags: Sequence[str] = (),
    db: str | None = None,
) -> SavedRun:
    """Simulate a scenario in memory, then store the whole run in one transaction.

    The rows and digest are built as ``sim run`` builds them, so the run is the one
    :func:`run` would store with the same scenario and seed. Unlike :func:`run`, which stores
    each step as it goes, nothing is written until the run is complete: a store that another
    process keeps locked past SQLite's busy timeout gets nothing of it, not a run left
    ``running`` half-way. For a page or a service that must either store a run or say it did
    not (the dashboard's "Save run").

    Args:
        scenario: the run's scenario.
        seed: its seed.
        name: its name.
        tags: labels stored with it.
        db: the run store (created if missing).

    Raises:
        StoreError: the store cannot be opened or written; nothing of the run was stored.
    """
    from sqlalchemy.exc import DBAPIError

    from experiments.runner import store_simulated
    from experiments.sweep import Task
    from experiments.sweep_worker import simulate

    store = RunStore(db)  # opened first: a store that cannot be written costs no simulation
    result = simulate(Task(0, 0, "main", seed, scenario))
    try:
        run_id, status = store_simulated(store, result, name=name, tags=tags)
    except DBAPIError as error:
        raise StoreError(
            f"cannot write to {store.masked_url}: {store.reason(error)}; nothing was stored"
        ) from None
    return SavedRun(run_id, status, result.digest)
