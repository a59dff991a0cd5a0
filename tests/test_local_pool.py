"""How a sweep's local pool starts its workers and shares out the runs.

A pool forks its workers when that is safe (the worker then starts at once, with the model
already imported) and spawns them otherwise; either way a run's digest is the one of the same
task simulated in-process. Work goes out in batches that shrink to single runs at the end, so
no worker is left with several runs while the others wait.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from test_bad_input import SIM

from experiments.sweep import Task
from experiments.sweep_executors import MAX_BATCH, batches
from scenario.overrides import resolve_scenario

FRESH_PROCESS = textwrap.dedent(
    """
    import json, threading
    from experiments.sweep import Task
    from experiments.sweep_executors import LocalPool, start_method
    from experiments.sweep_worker import simulate
    from scenario.overrides import resolve_scenario

    scenario = resolve_scenario(developers=300, steps=3)
    tasks = [Task(0, r, "main", r + 1, scenario) for r in range(4)]
    out = {"fresh": start_method()}
    waiting = threading.Event()
    other = threading.Thread(target=waiting.wait)
    other.start()
    out["with another thread"] = start_method()
    waiting.set()
    other.join()
    with LocalPool(workers=2) as pool:
        out["pool"] = pool.start_method
        out["pooled"] = {r.task.seed: r.digest for r in pool.run(tasks, lambda: False)}
    out["in process"] = {t.seed: simulate(t).digest for t in tasks}
    out["after numba ran here"] = start_method()
    print(json.dumps(out))
    """
)


def test_a_fresh_process_forks_its_workers_and_spawns_once_forking_is_unsafe() -> None:
    """Fork in a fresh single-threaded process; spawn beside another thread or numba's threads.

    Forked workers give each task the digest it has in-process.
    """
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    assert (out["fresh"], out["pool"]) == ("fork", "fork")
    assert out["with another thread"] == "spawn"
    assert out["after numba ran here"] == "spawn"
    assert out["pooled"] == out["in process"]
    assert len(set(out["pooled"].values())) == 4


UNGUARDED_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from experiments.sweep import Task
    from experiments.sweep_executors import LocalPool
    from experiments.sweep_worker import simulate
    from scenario.overrides import resolve_scenario

    print("the script ran", flush=True)
    scenario = resolve_scenario(developers=300, steps=3)
    tasks = [Task(0, r, "main", r + 1, scenario) for r in range(4)]
    in_process = {t.seed: simulate(t).digest for t in tasks}  # numba's threads start here
    with LocalPool(workers=2) as pool:
        out = {"pool": pool.start_method}
        out["same"] = {r.task.seed: r.digest for r in pool.run(tasks, lambda: False)} == in_process
    out["main kept"] = sys.modules["__main__"].__dict__ is globals()
    print(json.dumps(out))
    """
)


def test_spawned_workers_do_not_run_a_script_without_a_main_guard_again(tmp_path: Path) -> None:
    """A script with no ``if __name__ == "__main__":`` runs once, though its pool spawns.

    Spawned workers would import the script again (running it, and its pool, in each worker);
    they start without it, give each task its in-process digest, and ``__main__`` stays the
    script's.
    """
    script = tmp_path / "script.py"
    script.write_text(UNGUARDED_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("the script ran") == 1, done.stdout
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "pool": "spawn",
        "same": True,
        "main kept": True,
    }


def test_batches_keep_every_task_once_in_order_and_end_in_single_runs() -> None:
    """Batches are at most MAX_BATCH runs, cover the tasks in order, and the last are single."""
    scenario = resolve_scenario(developers=100, steps=1)
    tasks = [Task(0, r, "main", r + 1, scenario) for r in range(64)]
    cut = batches(tasks, 2)
    assert [task for batch in cut for task in batch] == tasks
    sizes = [len(batch) for batch in cut]
    assert max(sizes) == MAX_BATCH
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-4:] == [1, 1, 1, 1]


ASKING_TOO_MANY = textwrap.dedent(
    """
    import json
    from pathlib import Path
    from experiments.sweep_executors import LocalPool

    def children() -> int:
        tasks = Path("/proc/self/task").iterdir()
        return sum(len((task / "children").read_text().split()) for task in tasks)

    with LocalPool(workers=8, runs=2) as pool:
        out = {"method": pool.start_method, "workers": pool.workers, "started": children()}
        print(json.dumps(out))
    """
)


def _lowered(asked: int, runs: int) -> tuple[int, str]:
    """The workers a pool should start for ``asked`` and ``runs``, and the line saying so."""
    cores = len(os.sched_getaffinity(0))
    used = min(asked, runs, cores)
    plural = "s" if cores != 1 else ""
    return used, f"--workers {asked}: using {used} ({runs} runs, {cores} core{plural})"


def test_a_pool_starts_no_more_workers_than_runs_or_cores_and_says_so() -> None:
    """Eight workers asked for two runs: a fresh process forks at most two, and says why."""
    done = subprocess.run(
        [sys.executable, "-c", ASKING_TOO_MANY], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.splitlines()[-1])
    used, line = _lowered(8, 2)
    assert out == {"method": "fork", "workers": used, "started": used}
    assert done.stderr.splitlines() == [line]


def test_sim_sweep_with_4096_workers_for_two_runs_uses_at_most_two(tmp_path: Path) -> None:
    """The hostile round's ``--workers 4096`` on two runs: one line says how many it used."""
    done = subprocess.run(
        [
            *SIM,
            "sweep",
            "--grid",
            "choice.social_weight=1,2",
            "--seeds",
            "1",
            "--developers",
            "200",
            "--steps",
            "2",
            "--workers",
            "4096",
            "--json",
            "--db",
            str(tmp_path / "runs.db"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    used, line = _lowered(4096, 2)
    assert done.stderr.splitlines()[0] == line
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["executor"] == f"{used} local process{'es' if used > 1 else ''}"
    assert report["finished"] == 2
