"""`sim db check`: every problem of a damaged store, one line each, and nothing changed."""

from pathlib import Path

import pytest
from backends import Backend, per_backend
from sim_cli import sim
from test_bad_input import assert_one_line_error

from runs.schema import SCHEMA_VERSION

SMALL = ("--developers", "300", "--steps", "3")

# (statements, the line they must cause), per backend: what a person or program outside sim
# could do to a store.
SQLITE_DAMAGE = [
    pytest.param(
        ["UPDATE runs SET scenario = '{bad' WHERE id = 1"],
        "runs.scenario: 1 row holds something that is not valid JSON (run 1)",
        id="corrupt-json",
    ),
    pytest.param(
        ["UPDATE runs SET created_at = 'abc' WHERE id = 2"],
        "runs.created_at: 1 row holds something that is not a time (run 2)",
        id="text-in-datetime",
    ),
    pytest.param(
        ["UPDATE market_steps SET cn_share = 'abc' WHERE run_id = 1"],
        "market_steps.cn_share: 3 rows hold something that is not a number (run 1)",
        id="text-in-float",
    ),
    pytest.param(["DROP TABLE market_steps"], "market_steps: table is missing", id="dropped-table"),
    pytest.param(
        ["ALTER TABLE runs DROP COLUMN tags"], "runs.tags: column is missing", id="dropped-column"
    ),
    pytest.param(
        ["UPDATE runs SET versions = '[]' WHERE id = 2"],
        "run 2: cannot be read",
        id="json-of-the-wrong-shape",
    ),
]
POSTGRES_DAMAGE = [
    pytest.param(
        ["DROP TABLE market_steps CASCADE"], "market_steps: table is missing", id="dropped-table"
    ),
    pytest.param(
        ["ALTER TABLE runs DROP COLUMN tags"], "runs.tags: column is missing", id="dropped-column"
    ),
    pytest.param(
        ["ALTER TABLE market_steps ALTER COLUMN cn_share TYPE text"],
        "market_steps.cn_share: column holds text, expected numbers",
        id="text-column",
    ),
    pytest.param(
        [
            "ALTER TABLE runs ALTER COLUMN created_at DROP NOT NULL",
            "UPDATE runs SET created_at = NULL WHERE id = 2",
        ],
        "runs.created_at: 1 row is empty (run 2)",
        id="null-where-required",
    ),
    pytest.param(
        ["UPDATE runs SET versions = '[]' WHERE id = 2"],
        "run 2: cannot be read",
        id="json-of-the-wrong-shape",
    ),
]


@pytest.fixture
def seeded(backend: Backend) -> Backend:
    """The backend's fresh database holding two finished runs."""
    for seed in ("1", "2"):
        result = sim("run", *SMALL, "--seed", seed, "--db", backend.url)
        assert result.exit_code == 0, result.output
    return backend


def check(store: Backend) -> tuple[int, list[str]]:
    """``sim db check``'s exit status and its lines on standard output; the store unchanged."""
    before = store.snapshot()
    result = sim("db", "check", "--db", store.url)
    assert store.snapshot() == before
    assert "Traceback" not in result.output
    if store.password:
        assert store.password not in result.output
    return result.exit_code, result.stdout.splitlines()


def test_sound_store_has_no_problems(seeded: Backend) -> None:
    """A store written only by sim checks clean: one line saying so, exit 0."""
    status, lines = check(seeded)
    assert status == 0
    assert len(lines) == 1 and lines[0].endswith("no problems found.")


@pytest.mark.parametrize(
    ("backend", "statements", "expected"),
    per_backend({"sqlite": SQLITE_DAMAGE, "postgresql": POSTGRES_DAMAGE}),
    indirect=["backend"],
)
def test_each_damage_is_one_line_naming_it(
    seeded: Backend, statements: list[str], expected: str
) -> None:
    """A table, column, type or value changed outside sim is reported, and the status is 1."""
    seeded.execute(*statements)
    status, lines = check(seeded)
    assert status == 1
    assert [line for line in lines if line.startswith(expected)], lines


def test_every_problem_is_reported_at_once(seeded: Backend) -> None:
    """Several kinds of damage together give one line each, not only the first."""
    cases = SQLITE_DAMAGE if seeded.name == "sqlite" else POSTGRES_DAMAGE
    wanted = [case for case in cases if case.id in ("dropped-table", "dropped-column")]
    for case in wanted:
        seeded.execute(*case.values[0])
    status, lines = check(seeded)
    assert status == 1 and len(lines) == len(wanted)
    for case in wanted:
        assert case.values[1] in lines


def test_older_schema_version_is_reported(seeded: Backend) -> None:
    """A store whose version says it is older is one problem, pointing at `sim db upgrade`."""
    seeded.execute("UPDATE alembic_version SET version_num = '3'")
    status, lines = check(seeded)
    assert status == 1
    assert lines == [
        f"schema version: 3, older than this package's {SCHEMA_VERSION}: "
        "`sim db upgrade` migrates it"
    ]


def test_no_store_is_an_input_error(tmp_path: Path) -> None:
    """Checking where there is no store is exit 2, and creates nothing."""
    missing = tmp_path / "none.db"
    assert_one_line_error(sim("db", "check", "--db", str(missing)), "no run store")
    assert not missing.exists()


@pytest.mark.parametrize(
    ("revision", "problem", "remedy"),
    [
        (
            f"{SCHEMA_VERSION + 1:04d}",
            f"{SCHEMA_VERSION + 1}, newer than this package's {SCHEMA_VERSION}",
            "upgrade token-market-sim to read it",
        ),
        ("9f3c2a", "'9f3c2a', not one this package knows", "upgrade token-market-sim if a newer"),
        ("3", "older than this package's", "back it up, then run `sim db upgrade`"),
    ],
    ids=["newer", "unknown", "older"],
)
def test_a_schema_of_another_version_is_not_damage(
    seeded: Backend, revision: str, problem: str, remedy: str
) -> None:
    """Another version's store: its last line says which package or store to upgrade.

    It is not damage, so restoring a backup (which would lose the runs the other version
    stored) is advised only where it may be: for a revision no version of the package has.
    """
    seeded.execute(f"UPDATE alembic_version SET version_num = '{revision}'")
    result = sim("db", "check", "--db", seeded.url)
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1 and problem in result.stdout
    (advice,) = result.stderr.splitlines()
    assert remedy in advice
    assert ("restore it from a backup" in advice) == (revision == "9f3c2a")
