"""Product history: stored, digested, read back, exported, shown and deleted with its run.

Until the model sells products its step records carry none, so these tests give every lab two
products (a large one with three quarters of its tokens at twice its price, a small one with the
rest at half) by wrapping the model's ``record_step``. Storage is checked on both backends:
product rows come back exactly as recorded, the digest covers them (form 3) while runs digested
in forms 1 and 2 still verify, a schema-6 store upgrades with its runs intact, and export,
``sim runs show``, ``sim run`` and ``sim runs delete`` handle ``product_steps``.
"""

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from backends import Backend
from old_stores import VERSION_1_ROWS, migrate
from sim_cli import sim

import simulator.model
from experiments.run_tables import PRODUCT_KEYS, RunTables
from experiments.runner import execute
from interfaces import api
from runs.load import load_run
from runs.migrate import revision_of
from runs.recorder import DIGEST_VERSION, RunRecorder
from runs.schema import SCHEMA_VERSION
from runs.store import RunDescription, RunStore
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from simulator.metrics import StepRecord
from vocabulary.metrics import Level, names

SMALL = ("--developers", "300", "--steps", "3")
TIERS = (("Large", 0.75, 2.0), ("Small", 0.25, 0.5))
"""Each lab's fake products: name suffix, share of the lab's tokens, multiple of its price."""


def with_products(record: StepRecord) -> StepRecord:
    """``record`` with two products per lab, derived from its provider rows."""
    products = [
        {
            "product": f"{row['provider']} {suffix}",
            "provider": row["provider"],
            "author": row["provider"],
            "tokens": row["served"] * share,
            "tokens_global": row["served_global"] * share,
            "spend_usd": row["served"] * share * row["price"] * multiple / 1e6,
            "price": row["price"] * multiple,
        }
        for row in record.providers
        for suffix, share, multiple in TIERS
    ]
    return dataclasses.replace(record, products=products)


@pytest.fixture
def products(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the model's step records carry product rows (as the product layer will)."""
    record_step = simulator.model.record_step
    monkeypatch.setattr(
        simulator.model, "record_step", lambda **kw: with_products(record_step(**kw))
    )


def records(steps: int = 3, step_length: str = "month") -> tuple[Any, list[StepRecord]]:
    """A small baseline scenario and its step records, with products."""
    scenario = resolve_scenario(
        load_scenario("baseline"), developers=300, steps=steps, step_length=step_length
    )
    model = simulator.model.TokenMarket(scenario, seed=3)
    collected = []
    for _ in range(steps):
        model.step()
        collected.append(with_products(model.last_record))
    return scenario, collected


def store_records(store: RunStore, scenario: Any, steps: list[StepRecord], form: int) -> int:
    """Store ``steps`` as one run with a digest of ``form``; the run's id."""
    run_id = store.start_run(
        RunDescription(
            name="products",
            seed=3,
            steps=len(steps),
            scenario=scenario.model_dump(mode="json"),
            policies=[],
            versions={"digest": str(form)},
        )
    )
    recorder = RunRecorder(store, run_id, form)
    for record in steps:
        recorder.write(record)
    store.finish_run(run_id, "finished", recorder.digest)
    return run_id


@pytest.mark.parametrize("step_length", ["month", "week"])
def test_product_rows_come_back_exactly_as_recorded(backend: Backend, step_length: str) -> None:
    """load_run's product_steps and RunTables' products equal what the model recorded."""
    scenario, steps = records(steps=3 if step_length == "month" else 9, step_length=step_length)
    store = RunStore(backend.url)
    run_id = store_records(store, scenario, steps, DIGEST_VERSION)
    run = load_run(store, run_id)

    expected = pd.DataFrame([row for record in steps for row in record.products])
    stored = run.product_steps.reset_index()
    index = {"month", "week"} if step_length == "week" else {"month"}
    assert set(stored.columns) == {*index, "step", *PRODUCT_KEYS, *names(Level.PRODUCT)}
    assert len(stored) == len(expected) == 2 * len(steps[0].providers) * len(steps)
    assert stored[list(expected.columns)].to_dict("records") == expected.to_dict("records")
    assert list(stored["step"]) == [r.step for r in steps for _ in r.products]
    assert backend.query("SELECT COUNT(*) FROM product_steps WHERE run_id = ?", run_id) == [
        (len(expected),)
    ]

    from_store = RunTables.from_stored(run).products
    in_memory = RunTables.from_records(steps).products
    pd.testing.assert_frame_equal(
        from_store, in_memory, check_dtype=False, check_index_type=False, rtol=1e-12
    )
    months = sorted({record.month for record in steps})
    assert list(dict.fromkeys(in_memory.index)) == months
    assert len(in_memory) == len(months) * len(expected) // len(steps)


def test_weekly_products_average_rates_and_keep_prices() -> None:
    """A week a product is not on sale counts as zero tokens, but leaves its price alone."""
    _, steps = records(steps=5, step_length="week")
    first_month = [record for record in steps if record.month == steps[0].month]
    assert len(first_month) >= 2
    late = [
        dataclasses.replace(record, products=record.products[1:]) if i == 0 else record
        for i, record in enumerate(first_month)
    ]  # the first product launches in the second week
    monthly = RunTables.from_records(late).products
    name = first_month[1].products[0]["product"]
    row = monthly[monthly["product"] == name].iloc[0]
    on_sale = [record.products[0] for record in first_month[1:]]
    assert row["tokens"] == pytest.approx(sum(p["tokens"] for p in on_sale) / len(first_month))
    assert row["price"] == pytest.approx(sum(p["price"] for p in on_sale) / len(on_sale))


def test_the_digest_covers_product_rows_in_form_3_only(tmp_path: Path) -> None:
    """Form 3 changes when a product's number changes; forms 1 and 2 never digest products.

    A run without product rows keeps its form-2 digest in form 3, so histories stored before
    products existed digest as they did.
    """
    scenario, steps = records()
    store = RunStore(str(tmp_path / "runs.db"))
    changed = [dataclasses.replace(r, products=[dict(p) for p in r.products]) for r in steps]
    changed[-1].products[-1]["price"] *= 1.0000001
    without = [dataclasses.replace(r, products=[]) for r in steps]

    def digest(rows: list[StepRecord], form: int) -> str | None:
        return load_run(store, store_records(store, scenario, rows, form)).digest

    assert digest(steps, 3) != digest(changed, 3)
    for form in (1, 2):
        assert digest(steps, form) == digest(changed, form) == digest(without, form)
    assert digest(without, 3) == digest(without, 2) != digest(steps, 3)
    assert len({digest(steps, form) for form in (1, 2, 3)}) == 3


@pytest.mark.usefixtures("products")
@pytest.mark.parametrize("form", [2, 3])
def test_runs_with_products_replay_in_their_own_digest_form(backend: Backend, form: int) -> None:
    """A run digested in form 2 (before products) or 3 verifies against its stored digest."""
    scenario = resolve_scenario(load_scenario("baseline"), developers=300, steps=3)
    store = RunStore(backend.url)
    stored = execute(scenario, 2, store, digest_form=form)
    assert load_run(store, stored.run_id).versions["digest"] == str(form)
    assert (
        backend.query("SELECT COUNT(*) FROM product_steps WHERE run_id = ?", stored.run_id)[0][0]
        > 0
    )
    replayed = sim("replay", str(stored.run_id), "--verify", "--db", backend.url, "--json")
    assert replayed.exit_code == 0, replayed.output
    report = json.loads(replayed.stdout)
    assert report["replay_digest"] == report["stored_digest"] == stored.digest
    assert report["identical"] is True


def test_a_schema_6_store_upgrades_and_its_runs_read_without_products(backend: Backend) -> None:
    """Migration 0007 adds product_steps and leaves every row of a schema-6 store as it was."""
    migrate(backend, revision_of(6))
    backend.execute(*VERSION_1_ROWS)
    backend.execute('UPDATE runs SET scenario = \'{"name": "default", "start": "2024-01"}\'')
    before = backend.snapshot()
    assert "product_steps" not in before["rows"]

    upgraded = sim("db", "upgrade", "--db", backend.url)
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from schema version 6 to {SCHEMA_VERSION}" in upgraded.stdout
    after = backend.snapshot()
    assert after["rows"].pop("product_steps") == []
    # version 11's and 12's new tables, empty
    for table in ("posterior_fits", "posterior_draws", "posterior_proposals"):
        assert after["rows"].pop(table) == []
    before["rows"]["store_meta"] = [
        (key, str(SCHEMA_VERSION) if key == "schema_version" else value)
        for key, value in before["rows"]["store_meta"]
    ]
    before["rows"]["alembic_version"] = [(revision_of(SCHEMA_VERSION),)]
    # versions 8 and 9 added six purchase columns and the apps' tokens to provider_steps: NULL
    # for the runs stored before
    before["rows"]["provider_steps"] = [
        (*row, *(None,) * 7) for row in before["rows"]["provider_steps"]
    ]
    # version 10 added the by-author shares to market_steps and the hosted tokens to
    # segment_steps: NULL for the runs stored before
    before["rows"]["market_steps"] = [(*row, None, None) for row in before["rows"]["market_steps"]]
    before["rows"]["segment_steps"] = [(*row, None) for row in before["rows"]["segment_steps"]]
    assert after["rows"] == before["rows"]
    checked = sim("db", "check", "--db", backend.url)
    assert checked.exit_code == 0, checked.output

    run = load_run(RunStore(backend.url), 1)
    assert run.product_steps.empty
    assert list(run.product_steps.reset_index().columns) == [
        "month",
        "step",
        "product",
        "provider",
        *names(Level.PRODUCT),
        "author",
    ]
    tables = RunTables.from_stored(run)
    assert tables.products.empty
    assert list(tables.products.columns) == [*PRODUCT_KEYS, *names(Level.PRODUCT)]
    shown = sim("runs", "show", "1", "--db", backend.url)
    assert shown.exit_code == 0, shown.output
    assert "Products" not in shown.stdout and "0 product" in shown.stdout


@pytest.mark.usefixtures("products")
def test_export_delete_and_show_handle_product_rows(backend: Backend) -> None:
    """Export writes product_steps as stored; runs show ranks the last step; delete removes it."""
    ran = sim("run", *SMALL, "--seed", "1", "--db", backend.url, "--json")
    assert ran.exit_code == 0, ran.output
    run_id = json.loads(ran.stdout)["run_id"]
    stored = backend.query(
        "SELECT step, month, product, provider, tokens, tokens_global, spend_usd, price, author "
        "FROM product_steps WHERE run_id = ? ORDER BY id",
        run_id,
    )
    assert stored and {row[0] for row in stored} == {0, 1, 2}

    out = backend.folder / "export"
    exported = sim("runs", "export", str(run_id), "--out", str(out), "--db", backend.url)
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(out / f"run-{run_id}-product_steps.csv")
    assert list(frame.columns) == [
        "run_id",
        "step",
        "month",
        "product",
        "provider",
        *names(Level.PRODUCT),
        "author",
    ]
    assert [tuple(row) for row in frame.drop(columns="run_id").itertuples(index=False)] == stored

    shown = sim("runs", "show", str(run_id), "--db", backend.url)
    assert shown.exit_code == 0, shown.output
    last = [row for row in stored if row[0] == 2]
    top = sorted(last, key=lambda row: (-row[4], row[2]))[:10]
    lines = shown.stdout.split("Products:", 1)[1].splitlines()
    assert "the 10 with most tokens (2024-03)" in lines[0]
    body = [line for line in lines if any(line.startswith(r[2] + " ") for r in last)]
    assert [next(r[2] for r in last if line.startswith(r[2] + " ")) for line in body] == [
        row[2] for row in top
    ]
    provider_tokens = {p: sum(r[4] for r in last if r[3] == p) for p in {r[3] for r in last}}
    first = top[0]
    cells = body[0].split()
    scales = {"quadrillion": 1e15, "trillion": 1e12, "billion": 1e9, "million": 1e6}
    (word,) = [w for w in scales if f"tokens ({w} per month)" in shown.stdout]
    assert 1 <= first[4] / scales[word] < 1000  # the largest reads in its own scale
    assert float(cells[-3]) == pytest.approx(first[4] / scales[word], rel=1e-3)
    assert len(cells[-3].replace(".", "").lstrip("0")) == 4  # to 4 significant digits
    assert cells[-2] == f"{first[4] / provider_tokens[first[3]]:.1%}" == "75.0%"
    assert cells[-1] == f"${first[7]:,.3f}"
    as_json = json.loads(sim("runs", "show", str(run_id), "--db", backend.url, "--json").stdout)
    assert as_json["product_steps_rows"] == len(stored)
    assert [p["product"] for p in as_json["top_products"]] == [row[2] for row in top]

    deleted = sim("runs", "delete", str(run_id), "--yes", "--db", backend.url)
    assert deleted.exit_code == 0, deleted.output
    assert backend.query("SELECT COUNT(*) FROM product_steps") == [(0,)]


@pytest.mark.usefixtures("products")
def test_sim_run_prints_the_top_products_of_its_last_step(tmp_path: Path) -> None:
    """The end-of-run summary lists the ten products with most tokens in the last step."""
    ran = sim("run", *SMALL, "--db", str(tmp_path / "runs.db"))
    assert ran.exit_code == 0, ran.output
    assert "Products: the 10 with most tokens (2024-03)" in ran.stdout
    table = ran.stdout.split("Products:", 1)[1].split("Stored as run", 1)[0]
    assert "share of provider's tokens" in table and "list price ($/M tokens)" in table
    assert table.count("75.0%") + table.count("25.0%") == 10


def test_runs_print_their_products_and_older_runs_print_none(tmp_path: Path) -> None:
    """A run prints its top products; a run stored before products (no rows) prints none."""
    db = str(tmp_path / "runs.db")
    ran = sim("run", *SMALL, "--db", db)
    assert ran.exit_code == 0, ran.output
    shown = json.loads(sim("runs", "show", "1", "--db", db, "--json").stdout)
    assert len(shown["top_products"]) == 10
    assert "Products: the 10 with most tokens" in ran.stdout
    assert all(row["product"] in ran.stdout for row in shown["top_products"])
    with sqlite3.connect(tmp_path / "runs.db") as connection:  # as a schema-6 run has none
        connection.execute("DELETE FROM product_steps")
    shown = sim("runs", "show", "1", "--db", db)
    assert shown.exit_code == 0, shown.output
    assert "Products" not in shown.stdout
    assert json.loads(sim("runs", "show", "1", "--db", db, "--json").stdout)["top_products"] == []


def test_top_products_rank_by_tokens_and_share_within_the_provider() -> None:
    """Most tokens first (ties by name), at most ``limit``, share of the provider's tokens.

    Each names the lab that made it: its provider's, unless a host sells another lab's model.
    """
    rows = [
        {"product": "b", "provider": "X", "tokens": 3.0, "price": 1.0},
        {"product": "a", "provider": "X", "tokens": 3.0, "price": 2.0},
        {"product": "c", "provider": "Y", "tokens": 4.0, "price": 0.5},
        {"product": "d", "provider": "Z", "tokens": 0.0, "price": 0.1},
    ]
    top = api.top_products(rows, limit=3)
    assert list(top["product"]) == ["c", "a", "b"]
    assert list(top["provider_share"]) == [1.0, 0.5, 0.5]
    assert list(top["price"]) == [0.5, 2.0, 1.0]
    assert pd.isna(api.top_products(rows)["provider_share"].iloc[-1])
    assert api.top_products([]).empty
    assert list(top["author"]) == ["Y", "X", "X"]  # rows stored before schema 10: the seller's
    hosted = [{**rows[0], "author": "W"}, *rows[1:]]
    assert list(api.top_products(hosted, limit=3)["author"]) == ["Y", "X", "W"]
