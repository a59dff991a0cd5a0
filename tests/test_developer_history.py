"""Per-developer history is opt-in, thinned as asked, and written completely on both backends."""

import json
import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from interfaces import api
from interfaces.cli import cli
from runs.developer_history import HistoryPlan
from vocabulary.errors import InputError


def run_cli(backend, *args: str):
    """A small seeded `sim run --json` into the backend; its JSON result."""
    result = CliRunner().invoke(
        cli,
        [
            "run",
            "--developers",
            "600",
            "--steps",
            "6",
            "--seed",
            "2",
            "--db",
            backend.url,
            "--json",
            *args,
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_developer_rows_are_not_stored_unless_asked(backend) -> None:
    """Aggregates are the default: a plain run stores no per-developer rows."""
    run_cli(backend)
    assert backend.query("SELECT COUNT(*) FROM developer_steps") == [(0,)]


def test_every_and_sample_thin_the_developer_rows(backend) -> None:
    """every:2,sample:0.1 keeps steps 0, 2, 4 and every 10th developer: 3 x 60 rows.

    Each row is a provider index of the roster and the tokens that developer was served.
    """
    result = run_cli(backend, "--developer-history", "every:2,sample:0.1")
    rows = backend.query(
        "SELECT step, developer, provider, tokens FROM developer_steps "
        "WHERE run_id = ? ORDER BY step, developer",
        result["run_id"],
    )
    assert len(rows) == 3 * 60
    assert sorted({step for step, *_ in rows}) == [0, 2, 4]
    assert sorted({developer for _, developer, *_ in rows}) == list(range(0, 600, 10))
    assert all(0 <= provider < 12 and tokens >= 0 for _, _, provider, tokens in rows)


def test_developer_tokens_add_up_to_the_stored_segment_tokens(backend) -> None:
    """With every developer kept, a step's developer tokens sum to its segment tokens."""
    result = run_cli(backend, "--developer-history", "all")
    per_developer = backend.query(
        "SELECT step, SUM(tokens) FROM developer_steps "
        "WHERE run_id = ? GROUP BY step ORDER BY step",
        result["run_id"],
    )
    per_segment = backend.query(
        "SELECT step, SUM(tokens) FROM segment_steps WHERE run_id = ? GROUP BY step ORDER BY step",
        result["run_id"],
    )
    assert [s for s, _ in per_developer] == [s for s, _ in per_segment] == list(range(6))
    for (_, mine), (_, theirs) in zip(per_developer, per_segment, strict=True):
        assert mine == pytest.approx(theirs, rel=1e-9)


@pytest.mark.parametrize("text", ["sometimes", "every:0", "sample:0", "sample:2", "every:x"])
def test_bad_history_plans_name_the_allowed_forms(text: str) -> None:
    """A malformed plan is a one-line input error listing what is allowed."""
    with pytest.raises(InputError, match="every:K"):
        HistoryPlan.parse(text)


def test_deleting_a_run_deletes_its_developer_rows(backend) -> None:
    """`sim runs delete` takes the run's developer rows with it, and no one else's."""
    kept = run_cli(backend, "--developer-history", "sample:0.5")
    doomed = run_cli(backend, "--developer-history", "sample:0.5")
    result = CliRunner().invoke(
        cli, ["runs", "delete", str(doomed["run_id"]), "--yes", "--db", backend.url]
    )
    assert result.exit_code == 0, result.output
    assert backend.query("SELECT DISTINCT run_id FROM developer_steps") == [(kept["run_id"],)]


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_developer_rows_come_back_from_show_export_and_the_api(
    backend, tmp_path, file_format: str
) -> None:
    """What --developer-history stored, the tool gives back: counted, exported and loaded."""
    run_id = run_cli(backend, "--developer-history", "every:2,sample:0.1")["run_id"]
    stored = backend.query(
        "SELECT run_id, step, developer, provider, tokens FROM developer_steps "
        "WHERE run_id = ? ORDER BY step, developer",
        run_id,
    )
    assert len(stored) == 3 * 60
    runner = CliRunner()
    show = runner.invoke(cli, ["runs", "show", str(run_id), "--db", backend.url, "--json"])
    assert json.loads(show.output)["developer_steps_rows"] == len(stored)
    text = runner.invoke(cli, ["runs", "show", str(run_id), "--db", backend.url])
    assert f"{len(stored)} developer" in text.output

    out = tmp_path / "export"
    export = ["runs", "export", str(run_id), "--format", file_format, "--out", str(out)]
    result = runner.invoke(cli, [*export, "--db", backend.url])
    assert result.exit_code == 0, result.output
    path = out / f"run-{run_id}-developer_steps.{file_format}"
    exported = pd.read_csv(path) if file_format == "csv" else pd.read_parquet(path)
    assert list(exported.columns) == ["run_id", "step", "developer", "provider", "tokens"]
    assert list(exported.itertuples(index=False, name=None)) == stored

    loaded = api.load_run(run_id, db=backend.url).table("developer_steps")
    assert [str(month) for month in loaded.index.unique()] == ["2024-01", "2024-03", "2024-05"]
    assert list(loaded.itertuples(index=False, name=None)) == [row[1:] for row in stored]


def test_a_full_disk_while_writing_developer_rows_is_one_line_exit_2(tmp_path) -> None:
    """Disk full under ``--developer-history`` reads as it does without: one line, exit 2.

    The rows go through the driver's bulk path, not SQLAlchemy; its error used to surface as
    "unexpected OperationalError (a bug)". A trigger stands in for the full disk: SQLite
    refuses the first developer row with the message a full disk gives.
    """
    db = tmp_path / "runs.db"
    made = CliRunner().invoke(cli, ["run", "--developers", "200", "--steps", "1", "--db", str(db)])
    assert made.exit_code == 0, made.output
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TRIGGER full_disk BEFORE INSERT ON developer_steps "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    args = ["run", "--developers", "200", "--steps", "2", "--developer-history", "all"]
    result = CliRunner().invoke(cli, [*args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: the database cannot be used as it is: database or disk is full"
    )
    assert "bug" not in result.output
