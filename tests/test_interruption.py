"""Runs stopped part-way by a real signal: what they leave in the store.

Each test starts a real ``sim run`` process (400 months, 2,000 developers: far longer than the
test waits), watches its database with plain SQL until three months are committed, then sends
SIGINT (Ctrl-C), SIGTERM (a scheduler or ``kill``) or SIGKILL (the OOM killer, a power cut).
Whatever the signal, every committed month must stay readable and consistent, and the run must
never look finished. On both backends: a SQLite file and a PostgreSQL database.
"""

import json
import signal
import subprocess
import sys
import time

import pytest
from backends import Backend

from scenario.scenario import Scenario

SIM = [sys.executable, "-c", "from interfaces.cli import main; main()"]
STEPS = 400
PROVIDERS = len(Scenario().providers)  # the default roster, its hosts included
WAIT_S = 60


def _default_sigint() -> None:
    """Undo an inherited 'ignore SIGINT' in the child.

    pytest started as a background job of a non-interactive shell passes SIGINT on as ignored;
    Python only turns SIGINT into KeyboardInterrupt if it starts with the default disposition,
    as it does when run from a terminal.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_run(backend: Backend) -> subprocess.Popen:
    """A long `sim run` writing to the backend's database."""
    return subprocess.Popen(
        [
            *SIM,
            "run",
            "--steps",
            str(STEPS),
            "--developers",
            "2000",
            "--seed",
            "5",
            "--db",
            backend.url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=backend.folder,
        preexec_fn=_default_sigint,
    )


def wait_for_steps(process: subprocess.Popen, backend: Backend, at_least: int = 3) -> int:
    """Poll the database (never creating it) until the run has ``at_least`` steps done."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out, err = process.communicate()
            pytest.fail(f"sim run ended early with {process.returncode}: {out!r} {err!r}")
        if "runs" in backend.tables():  # created with the schema, in one transaction
            row = backend.query("SELECT steps_done FROM runs")
            if row and row[0][0] >= at_least:
                return row[0][0]
        time.sleep(0.02)
    process.kill()
    process.communicate()
    pytest.fail(f"run did not reach {at_least} steps in {WAIT_S} s")


def stop(process: subprocess.Popen, signum: int) -> tuple[int, str, str]:
    """Send ``signum``, reap the process, return its exit code, stdout and stderr."""
    process.send_signal(signum)
    try:
        out, err = process.communicate(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"sim run ignored signal {signum}: {out!r} {err!r}")
    return process.returncode, out, err


def stored_run(backend: Backend, run_id: int | None = None) -> dict:
    """A run (the only one unless ``run_id`` is given) and its committed history.

    Read with plain SQL; a SQLite file's integrity is checked first.
    """
    if backend.name == "sqlite":
        assert backend.query("PRAGMA integrity_check") == [("ok",)]
    if run_id is None:
        ((run_id,),) = backend.query("SELECT id FROM runs")
    ((status, done, planned, finished_at, digest),) = backend.query(
        "SELECT status, steps_done, steps_planned, finished_at, digest FROM runs WHERE id = ?",
        run_id,
    )
    market = backend.query(
        "SELECT step, month, tokens_total, cn_share FROM market_steps "
        "WHERE run_id = ? ORDER BY step",
        run_id,
    )
    providers = backend.query(
        "SELECT step, count(*) FROM provider_steps WHERE run_id = ? GROUP BY step ORDER BY step",
        run_id,
    )
    ((segments,),) = backend.query(
        "SELECT count(DISTINCT step) FROM segment_steps WHERE run_id = ?", run_id
    )
    return {
        "id": run_id,
        "status": status,
        "steps_done": done,
        "steps_planned": planned,
        "finished_at": finished_at,
        "digest": digest,
        "market": market,
        "providers": providers,
        "segment_steps": segments,
    }


def assert_history_intact(run: dict) -> None:
    """Every committed step is whole, and there are as many as the run says it has done.

    Each step has a market row, all providers' rows and segment rows; the market rows count
    what the run says it has done, with no gap and no extra step.
    """
    done = run["steps_done"]
    assert 3 <= done < run["steps_planned"], run
    assert [row[0] for row in run["market"]] == list(range(done))
    assert all(row[1] and row[2] is not None and row[2] > 0 for row in run["market"])
    assert run["providers"] == [(step, PROVIDERS) for step in range(done)]
    assert run["segment_steps"] == done


def listed_status(backend: Backend) -> tuple[str, int]:
    """Status and steps of the run as a separate `sim runs list --json` process reports them."""
    done = subprocess.run(
        [*SIM, "runs", "list", "--json", "--db", backend.url],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    return row["status"], row["steps_done"]


@pytest.mark.parametrize(
    ("signum", "name"),
    [(signal.SIGINT, "SIGINT"), (signal.SIGTERM, "SIGTERM")],
    ids=["SIGINT", "SIGTERM"],
)
def test_sigint_and_sigterm_mark_run_interrupted_and_keep_steps(
    backend: Backend, signum: int, name: str
) -> None:
    """SIGINT and SIGTERM mark the run interrupted and keep its committed steps.

    Ctrl-C and `kill` are the normal ways to stop a long run. The process must exit at once
    (130 for Ctrl-C, 143 for SIGTERM), say in one message what happened, keep every month it
    committed readable, and record the run as 'interrupted' (with a finish time and no digest),
    never 'finished', so that a partial history is not mistaken for a complete one.
    """
    process = start_run(backend)
    wait_for_steps(process, backend)
    code, out, err = stop(process, signum)

    assert code == 128 + signum, (code, err)  # the shell's convention: 130 and 143
    assert "Traceback" not in err, err
    assert f"interrupted by {name}" in err, err
    assert out == ""

    run = stored_run(backend)
    assert run["status"] == "interrupted"
    assert run["finished_at"] is not None
    assert run["digest"] is None
    assert_history_intact(run)
    assert listed_status(backend) == ("interrupted", run["steps_done"])


def test_sigkill_leaves_committed_steps_and_listing_reports_interrupted(backend: Backend) -> None:
    """After SIGKILL the committed steps stay readable and listings say 'interrupted'.

    SIGKILL cannot be caught: the stored status stays 'running'. The committed months must
    still be readable (each step is one transaction, which SQLite's WAL or PostgreSQL keeps or
    rolls back whole), and `sim runs list` must see that the process is gone and report the
    run as 'interrupted', not as running forever. The store must also remain usable for the
    next run.
    """
    process = start_run(backend)
    wait_for_steps(process, backend)
    code, out, err = stop(process, signal.SIGKILL)
    assert code == -signal.SIGKILL

    run = stored_run(backend)
    assert run["status"] == "running"
    assert run["finished_at"] is None and run["digest"] is None
    assert_history_intact(run)
    assert listed_status(backend) == ("interrupted", run["steps_done"])

    # The killed run does not poison the store: a new run completes beside it.
    done = subprocess.run(
        [*SIM, "run", "--developers", "500", "--steps", "3", "--json", "--db", backend.url],
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "finished"
    assert backend.query("SELECT count(*) FROM runs") == [(2,)]
    assert stored_run(backend, run["id"]) == run
