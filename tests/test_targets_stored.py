"""Targets measured on stored runs: the same as on the simulation, and honest about old runs.

On both backends: a run stored and loaded back measures exactly as the records it was stored
from (monthly and weekly); a run stored before spend was recorded (schema version 1, migrated)
says a spend target cannot be measured; the digest covers segment rows, and a run whose digest
has the older form replays to the same digest.
"""

import json

import pytest
from backends import Backend
from old_stores import VERSION_1_ROWS, migrate
from sim_cli import sim

from experiments.run_tables import RunTables
from experiments.runner import execute, store_simulated
from experiments.sweep import Task
from experiments.sweep_worker import simulate
from experiments.targets import Target, load_targets
from experiments.validation import evaluate
from runs.load import load_run
from runs.migrate import revision_of
from runs.recorder import DIGEST_VERSION
from runs.store import RunStore
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario


@pytest.mark.parametrize("step_length", ["month", "week"])
def test_a_stored_run_measures_exactly_as_the_simulation_it_stores(
    backend: Backend, step_length: str
) -> None:
    """Every packaged target reads the same value from the store as from the worker's records."""
    scenario = resolve_scenario(
        load_scenario("baseline"),
        developers=400,
        steps=29 if step_length == "month" else 126,
        step_length=step_length,
    )
    result = simulate(Task(point=0, replicate=0, arm="main", seed=4, scenario=scenario))
    assert result.error is None
    store = RunStore(backend.url)
    store_simulated(store, result, name="stored")
    targets = load_targets()
    in_memory = evaluate(targets, [RunTables.from_result(result)])
    stored = evaluate(targets, [RunTables.from_stored(load_run(store, 1))])
    assert [row["simulated_text"] for row in stored] == [row["simulated_text"] for row in in_memory]
    for a, b in zip(stored, in_memory, strict=True):
        assert a["simulated"] == pytest.approx(b["simulated"], rel=1e-12, nan_ok=True), a["id"]
        assert a["reason"] is None, a["reason"]


def test_a_run_stored_before_spend_was_recorded_cannot_be_measured_on_spend(
    backend: Backend,
) -> None:
    """A version-1 store, migrated: token shares measure, spend shares say why they cannot."""
    migrate(backend, revision_of(1))
    backend.execute(*VERSION_1_ROWS)
    # the fixture's scenario is cut short; a real one always has its start month
    backend.execute('UPDATE runs SET scenario = \'{"name": "default", "start": "2024-01"}\'')
    upgraded = sim("db", "upgrade", "--db", backend.url)
    assert upgraded.exit_code == 0, upgraded.output
    old = RunTables.from_stored(load_run(RunStore(backend.url), 1))
    band = {"target": 0.5, "low": 0.0, "high": 1.0, "window": "2024-01"}
    tokens = Target(
        id="tokens", observable="x", population="china", measure="token_share",
        providers="CN", **band,
    )  # fmt: skip
    spend = Target(
        id="spend", observable="x", population="china", measure="spend_share",
        providers="CN", **band,
    )  # fmt: skip
    measured, unmeasured = evaluate([tokens, spend], [old])
    assert measured["simulated"] == 1.0 and measured["passed"]
    assert unmeasured["simulated_text"] == "-" and not unmeasured["passed"]
    assert unmeasured["reason"] == (
        "spend_usd is not stored for runs stored before schema version 5; "
        "simulate them again to measure this target"
    )


def test_the_digest_covers_segment_rows_and_replays_in_the_stored_form(backend: Backend) -> None:
    """Form 2 digests segment rows, form 1 not; a form-1 run replays to its own digest.

    A run stored before segment rows were digested has no ``versions["digest"]``: its replay
    computes form 1 and records it, so the stored and replayed digests compare.
    """
    scenario = resolve_scenario(load_scenario("baseline"), developers=300, steps=6)
    store = RunStore(backend.url)
    new = execute(scenario, 2, store)
    old = execute(scenario, 2, store, digest_form=1)
    assert new.digest != old.digest
    assert load_run(store, new.run_id).versions["digest"] == str(DIGEST_VERSION)
    backend.execute(
        f"UPDATE runs SET versions = '{json.dumps({'package': '0.0.1'})}' WHERE id = {old.run_id}"
    )  # as a run stored before the digest had versions
    replayed = sim("replay", str(old.run_id), "--verify", "--db", backend.url, "--json")
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.stdout)
    assert report["replay_digest"] == report["stored_digest"] == old.digest
    assert report["identical"] is True
    assert report["version_changes"] == {"package": ["0.0.1", report["package_version"]]}
    again = sim("replay", str(new.run_id), "--db", backend.url, "--json")
    assert json.loads(again.stdout)["replay_digest"] == new.digest
