"""How a sweep's runs reach the store: row for row as ``sim run``, whole or not at all.

A sweep's worker builds each run's rows and digest; the coordinator writes the whole run in one
transaction. These tests check what users rely on: the stored rows are exactly those ``sim run``
stores for the same scenario and seed, a run that fails while being written leaves nothing
behind and its task runs again, and tasks sent to a worker several at a time each come back as
their own run.
"""

from collections.abc import Iterator, Sequence
from dataclasses import replace

from backends import Backend

from experiments.runner import execute, store_simulated
from experiments.sweep import Task, make_spec
from experiments.sweep_coordinator import run_sweep
from experiments.sweep_executors import Executor, LocalPool, batches
from experiments.sweep_worker import TaskResult, simulate
from runs.history_rows import Table
from runs.schema import HISTORY_TABLES
from runs.store import MAX_PARAMETERS, RunStore
from runs.sweeps import open_sweep
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario


def test_a_sweep_run_is_stored_row_for_row_as_sim_run_stores_it(backend: Backend) -> None:
    """Same scenario and seed: the same rows in every history table, NULLs included, and digest.

    Weekly steps of the strict scenario have policy events and product rows, so every table is
    compared.
    """
    scenario = resolve_scenario(
        load_scenario("strict"), developers=600, steps=30, step_length="week"
    )
    store = RunStore(backend.url)
    plain = execute(scenario, 5, store)
    result = simulate(Task(point=0, replicate=0, arm="main", seed=5, scenario=scenario))
    run_id, status = store_simulated(store, result, name="from a worker")

    assert status == "finished"
    stored = backend.run_history(run_id)
    assert stored == backend.run_history(plain.run_id)
    assert all(stored[table] for table in HISTORY_TABLES), "a table has no rows to compare"
    ((digest, steps),) = backend.query("SELECT digest, steps_done FROM runs WHERE id = ?", run_id)
    assert (digest, steps) == (plain.digest, plain.steps)


def test_history_rows_are_stored_as_sent_in_order_however_many_fit_in_one_insert(
    backend: Backend,
) -> None:
    """Each table's rows come back in insertion order, value for value, NULLs included.

    Several rows go in one insert statement: these tables have more rows than one statement
    takes (:data:`runs.store.MAX_PARAMETERS`) and a remainder, so both kinds of statement run.
    """
    scenario = resolve_scenario(load_scenario("strict"), developers=2000, steps=12)
    result = simulate(Task(point=0, replicate=0, arm="main", seed=3, scenario=scenario))
    run_id, _ = store_simulated(RunStore(backend.url), result, name="many to a statement")

    for table, sent in (
        ("provider_steps", result.history.providers),
        ("segment_steps", result.history.segments),
        ("product_steps", result.history.products),
    ):
        per_statement = MAX_PARAMETERS // len(sent.columns)
        assert len(sent.rows) > per_statement and len(sent.rows) % per_statement, table
        names = ", ".join(sent.columns)
        stored = backend.query(f"SELECT {names} FROM {table} WHERE run_id = ? ORDER BY id", run_id)
        assert [tuple(row) for row in stored] == sent.rows, table


class BrokenWrite(Executor):
    """An in-process executor whose results' product rows name a column the table lacks."""

    description = "in-process, with rows the store refuses"
    workers = 1

    def run(self, tasks: Sequence[Task], stop) -> Iterator[TaskResult]:
        """Simulate each task here and spoil its product rows' columns."""
        for task in tasks:
            result = simulate(task)
            products = result.history.products
            spoiled = Table((*products.columns[:-1], "no_such_column"), products.rows)
            yield replace(result, history=replace(result.history, products=spoiled))

    def close(self) -> None:
        """Nothing to release."""


def test_a_run_that_fails_while_being_stored_leaves_nothing_and_runs_again(
    backend: Backend,
) -> None:
    """A write failing after some tables' rows went in leaves none of the run; it runs again.

    The restarted sweep runs the task to a finished run.
    """
    main = resolve_scenario(policies=["smuggling"], developers=500, steps=6)
    spec = make_spec(
        name="broken", scenario=main.model_dump(mode="json"), seeds=1, seed_root=1, grid={}
    )
    store = RunStore(backend.url)
    points = spec.points()
    sweep = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
    try:
        run_sweep(store, sweep, spec.tasks(points), BrokenWrite())
    except ValueError as error:
        assert "no_such_column" in str(error)
    else:
        raise AssertionError("the spoiled rows were stored")
    assert backend.query("SELECT count(*) FROM runs") == [(0,)]
    assert backend.query("SELECT count(*) FROM sweep_runs") == [(0,)]
    for table in HISTORY_TABLES:
        assert backend.query(f"SELECT count(*) FROM {table}") == [(0,)], table

    again = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
    with LocalPool(workers=1) as pool:
        report = run_sweep(store, again, spec.tasks(points), pool)
    assert (report.status, report.finished) == ("finished", 1)
    assert backend.query("SELECT status, steps_done FROM runs") == [("finished", 6)]


def test_tasks_sent_several_at_a_time_each_come_back_as_their_own_run() -> None:
    """A worker given batches of tasks returns one result per task, each its own seed's run."""
    scenario = resolve_scenario(developers=100, steps=2)
    tasks = [
        Task(point=0, replicate=r, arm="main", seed=r + 1, scenario=scenario) for r in range(24)
    ]
    assert len(batches(tasks, 1)) < len(tasks), "the tasks would not be batched"
    with LocalPool(workers=1) as pool:
        results = list(pool.run(tasks, lambda: False))
    assert sorted(result.task.seed for result in results) == [task.seed for task in tasks]
    assert all(result.error is None for result in results)
    alone = {task.seed: simulate(task).digest for task in tasks}
    assert {result.task.seed: result.digest for result in results} == alone
    assert len(set(alone.values())) == len(tasks)
