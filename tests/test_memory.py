"""A population too big for the memory available is refused up front, in one line.

Without the check, ``--developers 5000000`` under a memory limit ran until NumPy could not
allocate and ended in "unexpected MemoryError". The estimate must cover what a run takes, and
every command that builds models must ask before it builds one.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sim_cli import sim
from test_bad_input import assert_one_line_error

from experiments import memory, sweep_executors
from interfaces import api
from scenario.overrides import resolve_scenario

GB = 10**9


@pytest.fixture
def little_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine has 0.1 GB to give (and no other limit)."""
    monkeypatch.setattr(memory, "_system_available", lambda: GB // 10)
    monkeypatch.setattr(memory, "_cgroup_left", lambda: None)
    monkeypatch.setattr(memory, "_address_space_left", lambda: None)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--developers", "1000000", "--steps", "1"],
        ["sweep", "--developers", "1000000", "--steps", "1", "--seeds", "2", "--workers", "1"],
        ["validate", "--developers", "1000000", "--seeds", "1"],
        ["calibrate", "--developers", "1000000", "--trials", "1", "--seeds", "1"],
    ],
    ids=lambda args: args[0],
)
@pytest.mark.usefixtures("little_memory")
def test_a_run_too_big_for_memory_is_refused_before_anything_is_stored(
    args: list[str], tmp_path: Path
) -> None:
    """One line naming the population, what it needs and what there is; no store is created."""
    db = tmp_path / "runs.db"
    assert_one_line_error(
        sim(*args, "--db", str(db), "--out", str(tmp_path / "c.toml"))
        if args[0] == "calibrate"
        else sim(*args, "--db", str(db)),
        "--developers 1,000,000",
        "0.1 GB is available",
        "developers fit",
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("little_memory")
def test_runs_at_once_share_the_memory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers whose runs each fit but not both at once: fewer workers is the way out."""
    monkeypatch.setattr(sweep_executors, "cores", lambda: 2)  # two workers even on one core
    per_developer = memory.run_bytes(resolve_scenario(developers=1000)) / 1000
    fits_once = int(0.06 * GB / per_developer)
    result = sim(
        "sweep",
        "--developers",
        str(fits_once),
        "--steps",
        "1",
        "--seeds",
        "2",
        "--workers",
        "2",
        "--db",
        str(tmp_path / "runs.db"),
    )
    assert_one_line_error(result, "2 runs at once", "fewer --workers")
    assert list(tmp_path.iterdir()) == []


def test_a_replay_too_big_for_memory_here_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stored elsewhere is replayed only if it fits here."""
    db = str(tmp_path / "runs.db")
    assert sim("run", "--developers", "2000", "--steps", "1", "--db", db).exit_code == 0
    monkeypatch.setattr(memory, "_system_available", lambda: 1000)
    replayed = sim("replay", "1", "--db", db)
    assert replayed.exit_code == 2
    assert replayed.stderr.strip().startswith("Error: --developers 2,000: a run needs")
    assert len(api.open_store(db).runs()) == 1


MEASURE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from scenario.overrides import resolve_scenario
    from simulator.model import TokenMarket

    def peak() -> int:  # this process's own peak (ru_maxrss would count the parent's at fork)
        status = Path("/proc/self/status").read_text().splitlines()
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))

    scenario = resolve_scenario(developers=int(sys.argv[1]), steps=2)
    TokenMarket(resolve_scenario(developers=1000, steps=2), seed=1).step()  # compiles it all
    base = peak()
    model = TokenMarket(scenario, seed=1)
    model.step()
    model.step()
    print(json.dumps(peak() - base))
    """
)


def test_the_estimate_covers_what_a_run_takes_without_doubling_it() -> None:
    """A model of 400,000 developers, built and stepped, grows within the estimate (and half it)."""
    developers = 400_000
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(developers)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    grown = json.loads(done.stdout)
    estimate = memory.run_bytes(resolve_scenario(developers=developers))
    assert estimate / 2 < grown < estimate, (grown, estimate)
