"""End-to-end behaviour of the ``sim`` command: what it prints and what it stores.

Runs are tiny (500 developers, 6 months). Every storage test runs on both backends, each time in
a fresh database of its own (the ``backend`` fixture: a SQLite file, a PostgreSQL database), so
nothing here depends on ``$SIM_DB`` or on a ``runs.db`` in the working folder. Stored results
are read back with plain SQL through the driver, not with the package's own store, so that a
bug in the store cannot hide itself. Bad input has its own module, ``test_bad_input.py``.
"""

import json

from backends import Backend
from sim_cli import sim

from scenario.policy_params import SmugglingParams
from scenario.scenario import Scenario

SMALL = ("--developers", "500", "--steps", "6")
STEPS = 6
PROVIDERS = len(Scenario().providers)  # the default roster, its hosts included


def run_json(backend: Backend, *args: str) -> dict:
    """``sim run ... --json`` on the backend's database; the single JSON line it printed."""
    result = sim("run", *SMALL, "--db", backend.url, "--json", *args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"expected one line on stdout, got {result.stdout!r}"
    return json.loads(lines[0])


# ---- a run, and what it stores --------------------------------------------------------------


def test_run_json_prints_one_line_and_stores_full_history(backend: Backend) -> None:
    """`sim run --json` prints one JSON line, and the run it reports is fully stored.

    It is the machine interface (scripts, sweeps, CI): it must print exactly one parseable line,
    and the run it reports must really be in the database with every step's market, provider,
    segment and policy-event rows; otherwise results cannot be reproduced or analysed.
    """
    out = run_json(backend, "--policy", "export_ban", "--seed", "1")

    assert out["status"] == "finished"
    assert out["steps"] == STEPS
    assert isinstance(out["run_id"], int)
    assert len(out["digest"]) == 64 and int(out["digest"], 16) >= 0
    assert out["policies"] == ["export_ban"]
    final = out["final"]
    assert final["month"] == "2024-06"
    assert 0.0 <= final["cn_share"] <= 1.0
    assert final["tokens_total"] > 0

    (run,) = backend.query(
        "SELECT id, status, steps_done, steps_planned, digest, seed, finished_at FROM runs"
    )
    assert run[:6] == (out["run_id"], "finished", STEPS, STEPS, out["digest"], "1")
    assert run[6] is not None
    steps = [
        row[0]
        for row in backend.query(
            "SELECT step FROM market_steps WHERE run_id = ? ORDER BY step", out["run_id"]
        )
    ]
    assert steps == list(range(STEPS))
    assert backend.query(
        "SELECT count(*), count(DISTINCT provider) FROM provider_steps WHERE run_id = ?",
        out["run_id"],
    ) == [(STEPS * PROVIDERS, PROVIDERS)]
    assert (
        backend.query("SELECT count(*) FROM segment_steps WHERE run_id = ?", out["run_id"])[0][0]
        > 0
    )
    assert (
        backend.query("SELECT count(*) FROM policy_events WHERE run_id = ?", out["run_id"])[0][0]
        > 0
    )
    # The printed final metrics are the stored last step, not something computed apart.
    (last,) = backend.query(
        "SELECT month, cn_share, tokens_total FROM market_steps WHERE run_id = ? AND step = ?",
        out["run_id"],
        STEPS - 1,
    )
    assert last == (final["month"], final["cn_share"], final["tokens_total"])


def test_same_seed_same_digest_other_seed_other_digest(backend: Backend) -> None:
    """The same seed gives the same digest; another seed gives another.

    The digest is how a run is shown to be reproducible: the same scenario and seed must give
    the same history (and digest) even in a store that already has runs, and another seed must
    give another one, or the digest proves nothing.
    """
    first = run_json(backend, "--policy", "export_ban", "--seed", "1")
    again = run_json(backend, "--policy", "export_ban", "--seed", "1")
    other = run_json(backend, "--policy", "export_ban", "--seed", "2")

    assert first["run_id"] != again["run_id"]
    assert first["digest"] == again["digest"]
    assert first["final"] == again["final"]
    assert other["digest"] != first["digest"]
    stored = dict(backend.query("SELECT id, digest FROM runs"))
    assert stored == {
        first["run_id"]: first["digest"],
        again["run_id"]: again["digest"],
        other["run_id"]: other["digest"],
    }


def test_policy_schedule_with_override_is_stored_and_shown(backend: Backend) -> None:
    """The policy schedule, with its --set override, is stored and shown.

    A run is only interpretable if the store records which policies ran with which parameters:
    all three enabled policies, in order, with the --set override applied
    (smuggling.leakage=0.5, not the default), both in the table and in `sim runs show`.
    """
    out = run_json(
        backend,
        "--policy",
        "export_ban",
        "--policy",
        "remote_access",
        "--policy",
        "smuggling",
        "--set",
        "smuggling.leakage=0.5",
        "--seed",
        "3",
    )
    assert out["policies"] == ["export_ban", "remote_access", "smuggling"]

    (raw,) = backend.query("SELECT policies FROM runs WHERE id = ?", out["run_id"])[0]
    policies = json.loads(raw)
    assert [p["name"] for p in policies] == ["export_ban", "remote_access", "smuggling"]
    smuggling = policies[2]
    assert smuggling["leakage"] == 0.5
    # The override is scoped to smuggling: remote_access has its own, untouched leakage.
    assert policies[1]["leakage"] != 0.5

    shown = sim("runs", "show", str(out["run_id"]), "--db", backend.url, "--json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert record["policies"] == policies
    assert record["status"] == "finished"


def test_runs_list_and_show_report_stored_runs(backend: Backend) -> None:
    """`sim runs list` and `sim runs show` report the stored runs.

    They are how users find their results again: both must succeed, newest first, with ids,
    statuses, digests and row counts that match the store.
    """
    a = run_json(backend, "--policy", "export_ban", "--seed", "1")
    b = run_json(backend, "--seed", "2")

    listed = sim("runs", "list", "--db", backend.url, "--json")
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [b["run_id"], a["run_id"]]
    assert [r["status"] for r in rows] == ["finished", "finished"]
    assert rows[1]["digest"] == a["digest"] and rows[1]["policies"] == ["export_ban"]
    assert rows[0]["policies"] == []
    assert all(r["steps_done"] == r["steps_planned"] == STEPS for r in rows)

    limited = sim("runs", "list", "--db", backend.url, "--json", "--limit", "1")
    assert [r["id"] for r in json.loads(limited.stdout)] == [b["run_id"]]

    shown = sim("runs", "show", str(a["run_id"]), "--db", backend.url, "--json")
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert record["id"] == a["run_id"] and record["digest"] == a["digest"]
    assert record["seed"] == 1
    assert record["market_steps_rows"] == STEPS
    assert record["provider_steps_rows"] == STEPS * PROVIDERS
    assert record["segment_steps_rows"] > 0 and record["policy_events_rows"] > 0
    assert record["last_market"]["month"] == a["final"]["month"]

    # The human-readable forms work too.
    text_list = sim("runs", "list", "--db", backend.url)
    assert text_list.exit_code == 0, text_list.output
    assert "finished" in text_list.stdout
    text_show = sim("runs", "show", str(a["run_id"]), "--db", backend.url)
    assert text_show.exit_code == 0, text_show.output
    assert f"Run {a['run_id']}" in text_show.stdout and "export_ban" in text_show.stdout


def test_policies_explains_the_confidence_letter_that_ends_a_source() -> None:
    """A meaning ending "(Netskope ..., M)" is followed by what H, M and L stand for."""
    result = sim("policies")
    assert result.exit_code == 0, result.output
    assert ", M)" in result.stdout
    assert "H, M or L after a source is its confidence" in result.stdout


def test_policies_lists_policies_with_parameters() -> None:
    """`sim policies` lists the policies with their parameters.

    It is the only place users learn what --policy and --set accept: the three core policies
    must be listed with their parameters (e.g. smuggling's leakage).
    """
    result = sim("policies", "--json")
    assert result.exit_code == 0, result.output
    listing = {entry["name"]: entry for entry in json.loads(result.stdout)}
    for name in ("export_ban", "remote_access", "smuggling"):
        assert name in listing
        assert listing[name]["summary"]
        assert listing[name]["parameters"], f"{name} lists no parameters"
    leakage = {p["name"]: p for p in listing["smuggling"]["parameters"]}["leakage"]
    assert leakage["default"] == SmugglingParams.model_fields["leakage"].default

    text = sim("policies")
    assert text.exit_code == 0, text.output
    for word in ("export_ban", "remote_access", "smuggling", "leakage", "tiers"):
        assert word in text.stdout


def test_no_output_shows_the_database_password(postgres: Backend) -> None:
    """Every command shows a database URL with its password masked.

    Shared servers are reached with a password in the URL, and terminal output ends up in logs,
    notebooks and bug reports.
    """
    outputs = [
        run_json(postgres, "--seed", "1"),
        sim("run", *SMALL, "--seed", "2", "--db", postgres.url).output,
        sim("runs", "list", "--db", postgres.url).output,
        sim("runs", "list", "--db", postgres.url, "--json").output,
        sim("runs", "show", "1", "--db", postgres.url).output,
        sim("runs", "show", "1", "--db", postgres.url, "--json").output,
        sim("db", "upgrade", "--db", postgres.url).output,
    ]
    assert outputs[0]["db"].startswith("postgresql+psycopg://") and ":***@" in outputs[0]["db"]
    assert json.loads(outputs[5])["db"] == outputs[0]["db"]
    for output in (json.dumps(outputs[0]), *outputs[1:]):
        assert postgres.password not in output
    assert ":***@" in outputs[4] and ":***@" in outputs[6]
