"""Many processes on one database at the same moment: the schema made once, no row lost or mixed.

Sweeps and shared lab databases mean several ``sim`` processes open, migrate and write the same
store at once. Each test starts real processes, lets them import everything, and only then
releases them together (they wait on their standard input), so that they really do collide.
On both backends: a SQLite file (WAL, busy timeout, ``BEGIN IMMEDIATE``) and a PostgreSQL
database (advisory lock for schema changes).
"""

import json
import subprocess
import sys

from backends import Backend
from click.testing import CliRunner
from old_stores import VERSION_1_ROWS, migrate

from interfaces.cli import cli
from runs.migrate import revision_of
from runs.schema import SCHEMA_VERSION
from scenario.scenario import Scenario

WAIT_S = 120
TABLES = {
    "alembic_version",
    "store_meta",
    "runs",
    "market_steps",
    "provider_steps",
    "segment_steps",
    "product_steps",
    "policy_events",
}
RUN = ("run", "--developers", "1000", "--steps", "12", "--json")

# Each imports what it needs, says it is ready, waits for standard input to close, then acts.
OPEN_STORE = (
    "import sys; from runs.store import RunStore; print('ready', flush=True); "
    "sys.stdin.read(); RunStore(sys.argv[1]); print('opened')"
)
UPGRADE_STORE = (
    "import sys; from runs.store import RunStore; print('ready', flush=True); "
    "sys.stdin.read(); "
    "print(RunStore(sys.argv[1], create=False, upgrade=True).upgraded_from)"
)
SIM = (
    "import sys; from interfaces.cli import main; print('ready', flush=True); "
    "sys.stdin.read(); main()"
)


def released_together(
    backend: Backend, code: str, argvs: list[list[str]]
) -> list[tuple[int, str, str]]:
    """Start one process per argv running ``code``, release them at once, and wait for all.

    Returns each process's exit status, standard output (after its 'ready' line) and error.
    """
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=backend.folder,
        )
        for argv in argvs
    ]
    try:
        for process in processes:
            assert process.stdout.readline() == "ready\n", process.communicate()
        for process in processes:
            process.stdin.close()
        results = []
        for process in processes:
            process.stdin = None
            out, err = process.communicate(timeout=WAIT_S)
            results.append((process.returncode, out, err))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_many_processes_opening_a_fresh_database_create_its_schema_once(backend: Backend) -> None:
    """Eight processes open one empty database at the same moment; none fails.

    Exactly one of them creates the schema: the others wait for it and find it made (two
    creators would collide on the tables or leave two version rows).
    """
    results = released_together(backend, OPEN_STORE, [[backend.url]] * 8)
    assert [(code, out) for code, out, _ in results] == [(0, "opened\n")] * 8, results
    assert TABLES <= backend.tables()
    assert backend.query("SELECT version_num FROM alembic_version") == [
        (revision_of(SCHEMA_VERSION),)
    ]
    assert backend.query("SELECT key, value FROM store_meta") == [
        ("schema_version", str(SCHEMA_VERSION))
    ]


def test_concurrent_upgrades_migrate_an_old_database_once(backend: Backend) -> None:
    """Four upgrades at once of a version-1 store: one migrates it, three find it done."""
    migrate(backend, revision_of(1))
    backend.execute(*VERSION_1_ROWS)
    results = released_together(backend, UPGRADE_STORE, [[backend.url]] * 4)
    assert [code for code, _, _ in results] == [0] * 4, results
    assert sorted(out for _, out, _ in results) == ["1\n", "None\n", "None\n", "None\n"]
    assert backend.query("SELECT version_num FROM alembic_version") == [
        (revision_of(SCHEMA_VERSION),)
    ]
    assert backend.query("SELECT count(*) FROM market_steps") == [(2,)]


def test_four_concurrent_writers_lose_no_rows_and_mix_none_up(backend: Backend) -> None:
    """Four runs written at once hold exactly the rows and digest of the same seeds run alone.

    Four `sim run` processes write to one fresh database at the same time (racing to create it
    too). The lone runs go into the same database afterwards, one at a time, so the comparison is
    row for row: a lost, duplicated or misattributed row in any table shows.
    """
    seeds = ["11", "12", "13", "14"]
    results = released_together(
        backend, SIM, [[*RUN, "--seed", seed, "--db", backend.url] for seed in seeds]
    )
    assert [code for code, _, _ in results] == [0] * 4, results
    together = [json.loads(out) for _, out, _ in results]
    assert len({run["run_id"] for run in together}) == 4

    for seed, run in zip(seeds, together, strict=True):
        alone = CliRunner().invoke(cli, [*RUN, "--seed", seed, "--db", backend.url])
        assert alone.exit_code == 0, alone.output
        alone = json.loads(alone.stdout)
        assert run["status"] == alone["status"] == "finished"
        assert run["digest"] == alone["digest"], seed
        stored = backend.run_history(run["run_id"])
        assert stored == backend.run_history(alone["run_id"]), seed
        assert len(stored["market_steps"]) == 12 and len(stored["provider_steps"]) == 12 * len(
            Scenario().providers
        )
        ((steps_done, digest),) = backend.query(
            "SELECT steps_done, digest FROM runs WHERE id = ?", run["run_id"]
        )
        assert (steps_done, digest) == (12, run["digest"])
    assert backend.query("SELECT count(*), count(DISTINCT run_id) FROM market_steps") == [(96, 8)]
