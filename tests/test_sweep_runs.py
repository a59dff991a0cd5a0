"""Sweeps end to end: stored, resumed after a kill, the same on Dask, and paired comparisons.

The sweep of the issue's acceptance list (export bans and smuggling, ``smuggling.leakage`` at
0, 0.2 and 0.5, three seeds, 24 months, 2,000 developers) is run for real: on a local process
pool, in a real ``sim sweep`` process killed with SIGKILL, and on a local Dask cluster. Results
are read back with plain SQL (``backends.Backend``), not through the package's store.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from backends import Backend, fresh_backend
from sim_cli import sim

from experiments.sweep import Task, make_spec
from experiments.sweep_analysis import welch_interval
from experiments.sweep_coordinator import run_sweep
from experiments.sweep_cost import (
    SECONDS_PER_RUN,
    SETUP_SECONDS,
    SweepStart,
    duration,
    machine_slowdown,
)
from experiments.sweep_executors import Executor, LocalPool
from experiments.sweep_worker import TaskResult, simulate
from runs.history_rows import HistoryDigest, HistoryRows
from runs.load import list_runs, open_store
from runs.recorder import RunRecorder
from runs.store import RunDescription, RunStore
from runs.sweeps import link_run, open_sweep
from scenario.overrides import resolve_scenario
from simulator.model import TokenMarket

SIM = [sys.executable, "-c", "from interfaces.cli import main; main()"]
LEAKAGE_SWEEP = (
    "--policy",
    "export_ban",
    "--policy",
    "smuggling",
    "--grid",
    "smuggling.leakage=0,0.2,0.5",
    "--seeds",
    "3",
    "--steps",
    "24",
    "--developers",
    "2000",
)
TASKS = {(point, replicate) for point in range(3) for replicate in range(3)}
WAIT_S = 300


def sweep_json(*args: str) -> dict:
    """``sim sweep ... --json``: its one JSON line (exit status 0 asserted)."""
    result = sim("sweep", *args, "--json")
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    return json.loads(line)


def sweep_rows(backend: Backend) -> list[tuple]:
    """``(sweep_id, point, replicate, arm, run status, digest, seed)`` of every linked run."""
    return backend.query(
        "SELECT s.sweep_id, s.point, s.replicate, s.arm, r.status, r.digest, r.seed "
        "FROM sweep_runs s JOIN runs r ON r.id = s.run_id ORDER BY s.point, s.replicate"
    )


def digests_by_task(backend: Backend) -> dict[tuple[int, int], str]:
    """Each finished task's digest."""
    return {
        (point, replicate): digest
        for _, point, replicate, _, status, digest, _ in sweep_rows(backend)
        if status == "finished"
    }


def test_sweep_stores_nine_finished_runs_of_one_sweep_and_running_it_again_adds_none(
    backend: Backend,
) -> None:
    """Acceptance 1: 3 values x 3 seeds = 9 finished runs, linked to one sweep; again: none.

    Running the same command again must find the same sweep (its default name comes from its
    spec) and leave the store as it was.
    """
    first = sweep_json(*LEAKAGE_SWEEP, "--workers", "2", "--db", backend.url)
    assert (first["status"], first["planned"], first["finished"], first["failed"]) == (
        "finished",
        9,
        9,
        0,
    )

    rows = sweep_rows(backend)
    assert {row[0] for row in rows} == {first["sweep_id"]}
    assert {(row[1], row[2]) for row in rows} == TASKS and len(rows) == 9
    assert {row[3] for row in rows} == {"main"} and {row[4] for row in rows} == {"finished"}
    assert backend.query("SELECT COUNT(*) FROM runs") == [(9,)]
    assert len({row[6] for row in rows}) == 3, "three seeds, shared by the three points"
    assert backend.query("SELECT name, status FROM sweeps") == [(first["name"], "finished")]
    before = backend.snapshot()["rows"]["runs"]

    again = sweep_json(*LEAKAGE_SWEEP, "--db", backend.url)
    assert (again["sweep_id"], again["already_finished"], again["finished"]) == (
        first["sweep_id"],
        9,
        0,
    )
    assert backend.snapshot()["rows"]["runs"] == before

    listed = list_runs(open_store(backend.url), sweep=first["name"], status="finished")
    assert sorted(listed.index) == sorted(row[0] for row in backend.query("SELECT id FROM runs"))


def test_sweep_killed_part_way_resumes_to_nine_finished_runs_without_duplicates(
    tmp_path: Path,
) -> None:
    """Acceptance 2: a real `sim sweep` killed with SIGKILL, then run again, ends with 9 runs.

    The coordinator and its workers are killed at once (the whole process group, as a crash
    or the OOM killer would), after some runs are stored. The resumed sweep runs only the tasks
    without a finished run; any run left half-written is marked interrupted, never finished.
    """
    with fresh_backend("sqlite", tmp_path) as backend:
        command = [*SIM, "sweep", *LEAKAGE_SWEEP, "--workers", "1", "--db", backend.url]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        deadline = time.monotonic() + WAIT_S
        finished: list = []
        while not finished and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
            if "sweep_runs" in backend.tables():
                finished = backend.query("SELECT id FROM runs WHERE status = 'finished'")
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        assert process.returncode == -signal.SIGKILL, "the sweep ended before it was killed"
        killed_at = len(backend.query("SELECT id FROM runs WHERE status = 'finished'"))
        assert 1 <= killed_at < 9
        assert backend.query("SELECT status FROM sweeps") == [("running",)]
        listed = json.loads(sim("sweep", "list", "--db", backend.url, "--json").stdout)
        assert listed[0]["status"] == "interrupted"

        resumed = sweep_json(*LEAKAGE_SWEEP, "--workers", "2", "--db", backend.url)
        assert resumed["already_finished"] == killed_at
        assert resumed["finished"] == 9 - killed_at

        rows = sweep_rows(backend)
        done = [(row[1], row[2]) for row in rows if row[4] == "finished"]
        assert sorted(done) == sorted(TASKS), "each task finished exactly once"
        assert {row[4] for row in rows} <= {"finished", "interrupted"}
        assert backend.query("SELECT status FROM sweeps") == [("finished",)]
        assert sorted(backend.query("SELECT status FROM runs")) == sorted(
            (row[4],) for row in rows
        ), "every run is linked to the sweep"


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A local Dask cluster of two single-threaded worker processes, for this module."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_dask_cluster_gives_the_digests_of_the_process_pool_and_of_plain_runs(
    tmp_path: Path, dask_address: str
) -> None:
    """Acceptance 3: the same sweep on Dask and on local processes: the same 9 digests.

    A run's history depends on its scenario and seed only; a plain `sim run` of one point
    with its seed gives the same digest too.
    """
    with (
        fresh_backend("sqlite", tmp_path / "pool") as pool,
        fresh_backend("sqlite", tmp_path / "dask") as dask,
    ):
        (tmp_path / "pool").mkdir()
        (tmp_path / "dask").mkdir()
        sweep_json(*LEAKAGE_SWEEP, "--workers", "2", "--db", pool.url)
        on_dask = sweep_json(*LEAKAGE_SWEEP, "--scheduler", dask_address, "--db", dask.url)
        assert on_dask["executor"] == f"Dask at {dask_address}"
        assert on_dask["finished"] == 9
        assert digests_by_task(dask) == digests_by_task(pool)
        assert len(set(digests_by_task(pool).values())) == 9

        (seed,) = {row[6] for row in sweep_rows(pool) if row[1:3] == (1, 2)}
        plain = sim(
            "run",
            "--policy",
            "export_ban",
            "--policy",
            "smuggling",
            "--set",
            "smuggling.leakage=0.2",
            "--steps",
            "24",
            "--developers",
            "2000",
            "--seed",
            seed,
            "--db",
            str(tmp_path / "plain.db"),
            "--json",
        )
        assert plain.exit_code == 0, plain.output
        assert json.loads(plain.stdout)["digest"] == digests_by_task(pool)[(1, 2)]


class FailingAt(Executor):
    """An in-process executor whose simulations of one point fail at step 3."""

    description = "in-process, failing"

    def __init__(self, point: int) -> None:
        self.point = point

    def run(self, tasks: Sequence[Task], stop) -> Iterator[TaskResult]:
        """Simulate each task here; the chosen point's raise after three steps."""
        for task in tasks:
            if task.point != self.point:
                yield simulate(task)
                continue
            model = TokenMarket(task.scenario, seed=task.seed)
            digest, rows = HistoryDigest(), HistoryRows()
            for _ in range(3):
                model.step()
                digest.add(model.last_record, rows)
            yield TaskResult(task, rows, digest.digest, {"package": "test"}, "RuntimeError: boom")

    def close(self) -> None:
        """Nothing to release."""


def test_failed_runs_are_stored_with_their_error_and_run_again_on_resume(tmp_path: Path) -> None:
    """A task that fails becomes a failed run with its error and steps; the others finish.

    The sweep is marked failed; resuming it runs the failed tasks again, and only them.
    """
    main = resolve_scenario(policies=["export_ban", "smuggling"], developers=1000, steps=12)
    spec = make_spec(
        name="failing",
        scenario=main.model_dump(mode="json"),
        seeds=2,
        seed_root=1,
        grid={"smuggling.leakage": [0.0, 0.5]},
    )
    store = RunStore(str(tmp_path / "runs.db"))
    points = spec.points()
    sweep = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
    report = run_sweep(store, sweep, spec.tasks(points), FailingAt(point=1))
    assert (report.status, report.finished, report.failed) == ("failed", 2, 2)

    with fresh_backend("sqlite", tmp_path) as backend:
        failed = backend.query(
            "SELECT error, steps_done, digest FROM runs r JOIN sweep_runs s "
            "ON s.run_id = r.id WHERE r.status = 'failed' AND s.point = 1"
        )
        assert failed == [("RuntimeError: boom", 3, None)] * 2
        assert backend.query("SELECT status FROM sweeps") == [("failed",)]

        again = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
        with LocalPool(workers=1) as pool:
            report = run_sweep(store, again, spec.tasks(points), pool)
        assert (report.status, report.already_finished, report.finished) == ("finished", 2, 2)
        rows = sweep_rows(backend)
        assert sorted((r[1], r[2], r[4]) for r in rows) == [
            (0, 0, "finished"),
            (0, 1, "finished"),
            (1, 0, "failed"),
            (1, 0, "finished"),
            (1, 1, "failed"),
            (1, 1, "finished"),
        ]


def test_run_left_running_by_a_killed_coordinator_is_marked_interrupted_and_run_again(
    tmp_path: Path,
) -> None:
    """A half-written run of a sweep (its coordinator died mid-write) is never counted as done."""
    main = resolve_scenario(policies=["smuggling"], developers=1000, steps=12)
    spec = make_spec(
        name="crashed",
        scenario=main.model_dump(mode="json"),
        seeds=1,
        seed_root=1,
        grid={"smuggling.leakage": [0.1]},
    )
    store = RunStore(str(tmp_path / "runs.db"))
    points = spec.points()
    sweep = open_sweep(store, spec.name, spec.model_dump(mode="json"), points)
    (task,) = spec.tasks(points)
    run_id = store.start_run(
        RunDescription(name="half", seed=task.seed, steps=12, scenario={}, policies=[], versions={})
    )
    with store.writer.begin() as connection:
        link_run(connection, sweep.id, run_id, *task.key)
    recorder = RunRecorder(store, run_id)
    model = TokenMarket(task.scenario, seed=task.seed)
    for _ in range(5):
        model.step()
        recorder.write(model.last_record)

    with LocalPool(workers=1) as pool:
        report = run_sweep(
            store,
            open_sweep(store, spec.name, spec.model_dump(mode="json"), points),
            spec.tasks(points),
            pool,
        )
    assert (report.status, report.finished) == ("finished", 1)
    with fresh_backend("sqlite", tmp_path) as backend:
        assert sorted(backend.query("SELECT steps_done, status FROM runs")) == [
            (5, "interrupted"),
            (12, "finished"),
        ]


def test_paired_differences_are_narrower_than_from_independent_seeds(tmp_path: Path) -> None:
    """Acceptance 5: `--baseline baseline` gives policy-minus-baseline intervals far tighter.

    The main arm raises smuggling leakage on the historical mix; the baseline arm is the
    historical mix, with the same seeds. The paired interval of the difference must be narrower
    than the Welch interval of the same runs taken as independent (what `sim sweep show`
    prints beside it), and than the interval from truly independent baseline runs (another
    seed root).
    """
    db = str(tmp_path / "runs.db")
    size = ("--steps", "24", "--developers", "2000", "--seeds", "4", "--db", db)
    paired = sweep_json(
        "--scenario", "baseline", "--set", "smuggling.leakage=0.6", "--baseline", "baseline", *size
    )
    assert (paired["planned"], paired["finished"]) == (8, 8)
    independent = sweep_json("--scenario", "baseline", "--seed-root", "99", *size)

    shown = sim(
        "sweep",
        "show",
        str(paired["sweep_id"]),
        "--db",
        db,
        "--json",
        "--csv",
        str(tmp_path / "paired.csv"),
    )
    assert shown.exit_code == 0, shown.output
    report = json.loads(shown.stdout)
    difference = next(row for row in report["differences"] if row["outcome"] == "cn_share_global")
    paired_half = (difference["high"] - difference["low"]) / 2
    unpaired_half = (difference["unpaired_high"] - difference["unpaired_low"]) / 2
    assert difference["pairs"] == 4
    assert difference["low"] <= difference["mean"] <= difference["high"]
    assert paired_half < unpaired_half / 2

    with fresh_backend("sqlite", tmp_path) as backend:

        def outcomes(sweep_id: int, arm: str) -> np.ndarray:
            return np.array(
                [
                    value
                    for (value,) in backend.query(
                        "SELECT m.cn_share_global FROM sweep_runs s JOIN runs r ON r.id = s.run_id "
                        "JOIN market_steps m ON m.run_id = r.id AND m.step = r.steps_done - 1 "
                        "WHERE s.sweep_id = ? AND s.arm = ? ORDER BY s.replicate",
                        sweep_id,
                        arm,
                    )
                ]
            )

        main = outcomes(paired["sweep_id"], "main")
        separate = outcomes(independent["sweep_id"], "main")
        assert difference["mean"] == pytest.approx(
            (main - outcomes(paired["sweep_id"], "baseline")).mean()
        )
        assert paired_half < welch_interval(main, separate).half_width / 2

    csv = (tmp_path / "paired.csv").read_text().splitlines()
    assert csv[0].startswith("point,arm,outcome,runs,mean,low,high")
    assert sum(line.startswith("0,difference,") for line in csv) == 4


def test_a_name_is_one_spec_and_one_running_process(tmp_path: Path) -> None:
    """Another spec under a taken name is refused, and so is a sweep another live process runs.

    Both would mix runs of different sweeps, or run the same task twice at once.
    """
    db = tmp_path / "runs.db"
    size = ("--steps", "3", "--developers", "500", "--seeds", "1", "--workers", "1")
    first = sim(
        "sweep",
        "--policy",
        "smuggling",
        "--grid",
        "smuggling.leakage=0,1",
        *size,
        "--name",
        "mine",
        "--db",
        str(db),
    )
    assert first.exit_code == 0, first.output
    with fresh_backend("sqlite", tmp_path) as backend:
        before = backend.snapshot()
        other = sim(
            "sweep",
            "--policy",
            "smuggling",
            "--grid",
            "smuggling.leakage=0,0.5",
            *size,
            "--name",
            "mine",
            "--db",
            str(db),
        )
        assert other.exit_code == 2 and other.stdout == ""
        assert "sweep name 'mine' is taken by sweep 1, which has another spec" in other.stderr
        assert backend.snapshot() == before

        backend.execute(f"UPDATE sweeps SET status = 'running', pid = {os.getppid()}")
        busy = sim("sweep", "--resume", "1", "--db", str(db))
        assert busy.exit_code == 2
        assert f"is being run by process {os.getppid()} on this host" in busy.stderr


def test_show_without_a_sweep_is_one_line(tmp_path: Path) -> None:
    """`sim sweep show` of a missing sweep: one line, exit 2; no database created if none."""
    db = tmp_path / "runs.db"
    result = sim("sweep", "show", "3", "--db", str(db))
    assert result.exit_code == 2 and result.stderr.startswith("Error: no run store in")
    assert not db.exists()
    assert sim("run", "--developers", "200", "--steps", "1", "--db", str(db)).exit_code == 0
    result = sim("sweep", "show", "3", "--db", str(db))
    assert result.exit_code == 2 and result.stderr.startswith("Error: no sweep 3")


def test_the_time_estimate_charges_every_step_not_only_every_developer_step() -> None:
    """Ten times the runs at a tenth of the developers take longer, not the same time.

    Each step costs the providers' bookkeeping whatever the population, so many small runs
    are dearer than their developer-steps say; two workers halve either.
    """
    few_large = SweepStart(
        "s", runs=10, planned=10, steps=480, developer_steps=480 * 20_000, workers=1
    )
    many_small = SweepStart(
        "s", runs=100, planned=100, steps=4_800, developer_steps=4_800 * 2_000, workers=1
    )
    assert many_small.estimated_seconds > few_large.estimated_seconds
    shared = SweepStart(
        "s", runs=100, planned=100, steps=4_800, developer_steps=4_800 * 2_000, workers=2
    )
    unshared = SETUP_SECONDS + 100 * SECONDS_PER_RUN  # start-up and the coordinator's share
    assert shared.estimated_seconds - unshared == pytest.approx(
        (many_small.estimated_seconds - unshared) / 2
    )


def test_the_time_estimate_counts_start_up_storage_and_a_busy_machine() -> None:
    """A sobol:16 sweep of 240 runs, 60 s on 2 busy cores, is not estimated "under a minute".

    Start-up and each run's hand-over count, and a machine at load 2 runs half as fast.
    """
    runs = 240
    idle = SweepStart(
        "s",
        runs=runs,
        planned=runs,
        steps=runs * 48,
        developer_steps=runs * 48 * 20_000,
        workers=2,
    )
    busy = dataclasses.replace(idle, slowdown=2.0)
    assert idle.estimated_seconds > SETUP_SECONDS + runs * SECONDS_PER_RUN + 20
    assert busy.estimated_seconds == pytest.approx(2 * idle.estimated_seconds)
    assert 45 < busy.estimated_seconds < 90  # within a factor of 1.5 of what it took
    assert duration(25) == "about 25 seconds" and duration(44) == "about 40 seconds"


def test_a_busy_machine_slows_the_estimate_by_the_load_it_adds_to(monkeypatch) -> None:
    """Other processes' load plus the workers, over the cores: each worker's share of a core."""
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.0, 0.0, 0.0))
    assert machine_slowdown(2) == pytest.approx(2.0)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert machine_slowdown(2) == 1.0


def test_a_sweep_says_how_many_runs_it_will_do_and_roughly_how_long_before_it_starts(
    tmp_path: Path,
) -> None:
    """Two points x two seeds: "4 runs to do" and an estimated time, on standard error.

    Standard output keeps only the report (here the JSON line), so scripts are not disturbed.
    """
    db = tmp_path / "runs.db"
    tiny = ("--steps", "2", "--developers", "200", "--workers", "1", "--db", str(db))
    grid = ("--policy", "smuggling", "--grid", "smuggling.leakage=0,0.5", "--seeds", "2")
    result = sim("sweep", *grid, *tiny, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["finished"] == 4
    plan = " ".join(result.stderr.split())
    assert "4 runs to do (1,600 developer-steps), estimated about" in plan
    assert "seconds" in plan and "to start and" in plan


def test_a_sweep_that_lost_a_run_is_incomplete_until_run_again(tmp_path: Path) -> None:
    """Deleting a finished sweep's run left it "finished 5/6"; the same sweep stores it again."""
    db = str(tmp_path / "runs.db")
    sweep = ("sweep", "--grid", "choice.social_weight=1,2", "--seeds", "2", "--developers", "100")
    ran = sim(*sweep, "--steps", "2", "--name", "lost", "--db", db)
    assert ran.exit_code == 0, ran.output
    assert sim("runs", "delete", "2", "--yes", "--db", db).exit_code == 0

    def listed() -> dict:
        (row,) = json.loads(sim("sweep", "list", "--json", "--db", db).stdout)
        shown = json.loads(sim("sweep", "show", "lost", "--json", "--db", db).stdout)["sweep"]
        assert shown["status"] == row["status"]
        return row

    lost = listed()
    assert (lost["status"], lost["finished_runs"], lost["planned_runs"]) == ("incomplete", 3, 4)
    assert sim(*sweep, "--steps", "2", "--name", "lost", "--db", db).exit_code == 0
    again = listed()
    assert (again["status"], again["finished_runs"]) == ("finished", 4)
