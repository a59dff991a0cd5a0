"""One list of metrics: the model emits exactly it, and the store, validator and docs follow it.

A metric the model records but the list lacks would fail to store; one the list has but the
model no longer records would be stored as NULL without anyone noticing. Both fail here.
"""

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import Float, Integer, Table, func, select

from experiments.sweep_analysis import check_outcome
from interfaces.formatting import SUMMARY_ROWS
from runs.recorder import RunRecorder
from runs.schema import ADDED_LATER, MarketStep, ProductStep, ProviderStep, SegmentStep
from runs.store import RunDescription, RunStore
from simulator.metrics import StepRecord
from simulator.model import TokenMarket
from vocabulary.errors import InputError
from vocabulary.metric_docs import render
from vocabulary.metrics import MARKET_METRICS, METRICS, Level, Unit, names

TABLES: dict[Level, Table] = {
    Level.MARKET: MarketStep.__table__,
    Level.PROVIDER: ProviderStep.__table__,
    Level.SEGMENT: SegmentStep.__table__,
    Level.PRODUCT: ProductStep.__table__,
}
STORE_KEYS = {"id", "run_id", "step", "month"}
"""Columns the store adds to every history row; the model's rows carry the rest."""


def key_columns(level: Level) -> set[str]:
    """The columns of a level's table that identify a row (provider, region...), not metrics."""
    return {c.name for c in TABLES[level].columns} - STORE_KEYS - set(names(level))


@pytest.fixture(scope="module")
def records() -> list[StepRecord]:
    """Three steps of a small seeded model."""
    model = TokenMarket(developers=500, steps=3, seed=1)
    collected = []
    for _ in range(3):
        model.step()
        collected.append(model.last_record)
    return collected


def test_the_model_emits_every_listed_metric_and_no_other(records: list[StepRecord]) -> None:
    """Each market, provider, segment and product row holds exactly its metrics and row keys."""
    assert all(record.segments for record in records)
    for record in records:
        assert set(record.market) == set(names(Level.MARKET))
        rows = (
            [(Level.PROVIDER, row) for row in record.providers]
            + [(Level.SEGMENT, row) for row in record.segments]
            + [(Level.PRODUCT, row) for row in record.products]
        )
        for level, row in rows:
            assert set(row) == set(names(level)) | key_columns(level), level


@pytest.mark.parametrize("level", list(Level))
def test_each_history_table_has_the_listed_metric_columns_in_order(level: Level) -> None:
    """After its key columns, a table has one column per metric of its level, in list order.

    Market metrics may be NULL (nothing to measure); provider and segment metrics may not, and
    their developer counts are integers. A key column a later schema version added comes after
    the metrics, where its migration put it (``product_steps.author``, version 10).
    """
    added_keys = {Level.PRODUCT: {"author"}}.get(level, set())
    columns = [c for c in TABLES[level].columns if c.name not in added_keys]
    metric_columns = columns[len(columns) - len(METRICS[level]) :]
    assert [c.name for c in metric_columns] == list(names(level))
    assert not {c.name for c in columns[: len(columns) - len(METRICS[level])]} & set(names(level))
    for column, metric in zip(metric_columns, METRICS[level], strict=True):
        assert column.nullable is (level is Level.MARKET or (level, column.name) in ADDED_LATER)
        whole = metric.unit is Unit.DEVELOPERS and level is not Level.MARKET
        assert isinstance(column.type, Integer if whole else Float), column.name


def test_sweep_outcomes_accept_exactly_the_market_metrics() -> None:
    """Every market metric can be a sweep outcome; a provider-only metric cannot."""
    for metric in MARKET_METRICS:
        check_outcome(metric.name)
    provider_only = next(n for n in names(Level.PROVIDER) if n not in names(Level.MARKET))
    with pytest.raises(InputError, match="not a market metric"):
        check_outcome(provider_only)


def test_the_metric_reference_in_docs_is_current() -> None:
    """docs/model.md lists every metric with its label, unit and meaning, as the list has them.

    Regenerate it with `python -m vocabulary.metric_docs --write docs/model.md`.
    """
    table = render()
    for level, metrics in METRICS.items():
        for m in metrics:
            assert f"| `{m.name}` | {m.label} | {m.unit} | {m.meaning} |" in table, level
    document = (Path(__file__).parents[1] / "docs" / "model.md").read_text()
    assert table in document


def test_a_step_missing_a_metric_is_refused_not_stored_as_null(
    records: list[StepRecord], tmp_path: Path
) -> None:
    """A row without one of its level's metrics stops the run with an error naming it."""
    store = RunStore(str(tmp_path / "runs.db"))
    run_id = store.start_run(
        RunDescription(name="gap", seed=1, steps=3, scenario={}, policies=[], versions={})
    )
    recorder = RunRecorder(store, run_id)
    first = records[0]
    market = {k: v for k, v in first.market.items() if k != "price_cn"}
    providers = [{k: v for k, v in row.items() if k != "cash"} for row in first.providers]
    for broken, missing in (
        (dataclasses.replace(first, market=market), "price_cn"),
        (dataclasses.replace(first, providers=providers), "cash"),
    ):
        with pytest.raises(ValueError, match=f"step 0: a .* row lacks the metrics {missing}"):
            recorder.write(broken)
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(MarketStep)) == 0


def test_the_summary_s_compute_rows_add_up_to_their_total(small_model: TokenMarket) -> None:
    """The "of which" rows under Chinese compute list every channel, so they sum to the total."""
    names_shown = [name for _, name, _ in SUMMARY_ROWS]
    parts = names_shown[names_shown.index("compute_cn") + 1 :]
    parts = [name for name in parts if name.startswith("compute_cn_")]
    small_model.step()
    market = small_model.last_record.market
    assert sum(market[name] for name in parts) == pytest.approx(market["compute_cn"])
    assert market["compute_cn_legal"] > 0  # the row that was missing carries compute


@pytest.mark.parametrize("level", list(Level))
def test_every_metric_has_one_label_of_its_own(level: Level) -> None:
    """Each metric has a label, and no two metrics of a table share one."""
    labels = [m.label for m in METRICS[level]]
    assert all(labels), [m.name for m in METRICS[level] if not m.label]
    assert len(set(labels)) == len(labels)


def test_every_table_and_chart_names_a_metric_by_its_label() -> None:
    """Run summary, compare, sweep show, plots and the dashboard say the metric list's label.

    One quantity, one name: "CN share, global" in one place and "Chinese share of all tokens"
    (another metric) in the next is what made readers mix them up.
    """
    from interfaces.cli.sweep import OUTCOME_LABELS
    from interfaces.dashboard.charts import share_figure
    from interfaces.plot import QUANTITIES, SHARE_TITLE

    labels = {m.name: m.label for m in MARKET_METRICS}
    label = labels["cn_share_global"]
    assert label == "Chinese share, developers outside China"
    assert labels["cn_share"] == "Chinese share, all developers"
    for shown, name, _ in SUMMARY_ROWS:
        assert shown.startswith(labels[name])
    for name, (header, _) in OUTCOME_LABELS.items():
        assert header.replace(",\n", ", ").startswith(labels[name])
    assert all(q.title == labels[q.column] for q in QUANTITIES)
    assert SHARE_TITLE == label
    assert share_figure([]).axes[0].get_title(loc="left") == label
    assert label in render()
