"""The seed policy: ``sim run`` is reproducible by default; ``--seed random`` says its seed.

Without ``--seed`` every user of the README's first command gets the same history (seed 1);
``--seed random`` draws a seed and prints it with the command that repeats the run.
"""

import json
import re
from pathlib import Path

from sim_cli import sim

TINY = ("--developers", "200", "--steps", "2")


def run_json(db: Path, *args: str) -> dict:
    """``sim run TINY ARGS --json``: its JSON line (exit status 0 asserted)."""
    result = sim("run", *TINY, *args, "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_without_seed_gives_the_same_history_every_time(tmp_path: Path) -> None:
    """Two runs without --seed: seed 1 both times, the same digest as --seed 1."""
    db = tmp_path / "runs.db"
    first, second = run_json(db), run_json(db)
    assert first["seed"] == second["seed"] == 1
    assert first["digest"] == second["digest"] == run_json(db, "--seed", "1")["digest"]


def test_random_seed_is_printed_with_how_to_repeat_the_run(tmp_path: Path) -> None:
    """``--seed random``: the summary names the seed; that seed repeats the history."""
    db = tmp_path / "runs.db"
    result = sim("run", *TINY, "--seed", "random", "--db", str(db))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    found = re.search(r"The seed (\d+) was drawn at random: `--seed (\d+)` repeats this run", text)
    assert found and found[1] == found[2], text
    drawn = json.loads(sim("runs", "show", "1", "--json", "--db", str(db)).stdout)
    assert drawn["seed"] == int(found[1])
    assert run_json(db, "--seed", found[1])["digest"] == drawn["digest"]


def test_a_seed_that_is_not_a_number_or_random_is_one_line(tmp_path: Path) -> None:
    """``--seed abc``: one line naming the allowed values, exit 2, nothing stored."""
    db = tmp_path / "runs.db"
    result = sim("run", *TINY, "--seed", "abc", "--db", str(db))
    assert result.exit_code == 2
    assert "expected a whole number from 0 to 9223372036854775807 or random" in result.stderr
    assert not db.exists()
