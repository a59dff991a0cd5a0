"""The digest is exactly its documented definition, whatever a step's rows hold.

Runs stored by earlier versions are replayed and compared by digest, so the bytes hashed must
never change: forms 1-3 hash ``json.dumps`` of each step's rows, NaN as None, keys sorted; form
4 hashes them column by column as bytes (runs.history_rows). The store's rows must hold the
same values, NaN as None.
"""

import hashlib
import json
import math
import struct
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from policies.engine import PolicyEvent
from runs.history_rows import DIGEST_VERSIONS, HistoryDigest, HistoryRows
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from simulator.metrics import StepRecord
from simulator.model import TokenMarket


def reference_digest(records: list[StepRecord], version: int) -> str:
    """The digest as defined (and as computed before the rows were built for the store)."""
    if version >= 4:
        return reference_column_digest(records)

    def clean(row: dict[str, Any]) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}

    digest = hashlib.sha256()
    for record in records:
        products = [clean(row) for row in record.products]
        payload = {
            "step": record.step,
            "month": record.month,
            "market": clean(record.market),
            "providers": [clean(row) for row in record.providers],
            "events": [{"policy": e.policy, "status": e.status} for e in record.events],
        }
        if version >= 2:
            payload["segments"] = [clean(row) for row in record.segments]
        if version >= 3 and products:
            payload["products"] = products
        digest.update(json.dumps(payload, sort_keys=True, default=repr).encode())
    return digest.hexdigest()


def reference_column_digest(records: list[StepRecord]) -> str:
    """Form 4, written out value by value: each step's tables, a kind of column at a time."""

    def kind(values: list[Any]) -> str:
        if all(v is None or isinstance(v, (float, np.floating)) for v in values):
            return "f"
        integers = all(
            isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in values
        )
        return "i" if integers and all(-(2**63) <= v < 2**63 for v in values) else "j"

    def table(rows: list[dict[str, Any]]) -> list[bytes]:
        keys = list(rows[0])
        columns = [[row[key] for row in rows] for key in keys]
        kinds = [kind(column) for column in columns]
        parts = [str(len(rows)).encode(), json.dumps(keys).encode(), "".join(kinds).encode()]
        floats = [
            [None if v is None or math.isnan(v) else float(v) for v in column]
            for column, k in zip(columns, kinds, strict=True)
            if k == "f"
        ]
        if floats:
            flat = [v for column in floats for v in column]
            parts.append(bytes(int(v is None) for v in flat))
            parts.append(struct.pack(f"<{len(flat)}d", *(0.0 if v is None else v for v in flat)))
        integers = [int(v) for c, k in zip(columns, kinds, strict=True) if k == "i" for v in c]
        if integers:
            parts.append(struct.pack(f"<{len(integers)}q", *integers))
        others = [
            [None if isinstance(v, float) and math.isnan(v) else v for v in column]
            for column, k in zip(columns, kinds, strict=True)
            if k == "j"
        ]
        if others:
            parts.append(json.dumps(others, default=repr).encode())
        return parts

    digest = hashlib.sha256()
    for record in records:
        parts = [repr(record.step).encode(), record.month.encode()]
        events = [{"policy": e.policy, "status": e.status} for e in record.events]
        for name, rows in (
            ("market", [record.market]),
            ("providers", record.providers),
            ("segments", record.segments),
            ("products", record.products),
            ("events", events),
        ):
            if rows:
                parts += [name.encode(), *table(rows)]
        digest.update(b"".join(len(part).to_bytes(8, "little") + part for part in parts))
    return digest.hexdigest()


def simulated(scenario: str, step_length: str) -> list[StepRecord]:
    """Eight steps of a packaged scenario's records."""
    model = TokenMarket(
        resolve_scenario(load_scenario(scenario), developers=300, steps=8, step_length=step_length),
        seed=2,
    )
    records = []
    while model.running:
        model.step()
        records.append(model.last_record)
    return records


def spoiled(records: list[StepRecord]) -> list[StepRecord]:
    """The records with values JSON writes in every special way.

    NaN alone in a column of floats, infinities, None, bools, numpy numbers, escaped and
    non-ASCII text, and a % sign.
    """
    first, second, third, *rest = records
    market = dict(first.market)
    market[next(k for k, v in market.items() if isinstance(v, float))] = math.nan
    segments = [dict(row) for row in second.segments]
    segments[0]["developers"] = np.int64(3)
    events = [PolicyEvent(month=second.month, policy="ban", status='on "now" — 100%')]
    providers = [dict(row) for row in third.providers]
    numeric = [k for k, v in providers[0].items() if isinstance(v, float)]
    providers[0]["provider"] = 'Zhìpǔ "GLM" 100% \\ \n'
    providers[0][numeric[0]] = math.inf
    providers[1][numeric[0]] = -math.inf
    providers[1][numeric[1]] = None
    providers[2][numeric[1]] = np.float64(0.1)
    providers[3][numeric[2]] = True
    return [
        replace(first, market=market),
        replace(second, segments=segments, events=events),
        replace(third, providers=providers),
        *rest,
    ]


@pytest.mark.parametrize(
    "records",
    [
        pytest.param(lambda: simulated("strict", "week"), id="strict-weekly"),
        pytest.param(lambda: simulated("baseline", "month"), id="baseline-monthly"),
        pytest.param(lambda: spoiled(simulated("baseline", "month")), id="special-values"),
    ],
)
@pytest.mark.parametrize("version", DIGEST_VERSIONS)
def test_the_digest_is_its_definition_and_the_rows_are_the_records(records, version: int) -> None:
    """Every form of the digest, on plain runs and on rows of every kind of value."""
    records = records()
    digest, rows = HistoryDigest(version), HistoryRows()
    for record in records:
        digest.add(record, rows)
    assert digest.digest == reference_digest(records, version)

    market = [dict(zip(rows.market.columns, row, strict=True)) for row in rows.market.rows]
    assert len(market) == len(records)
    for record, row in zip(records, market, strict=True):
        assert (row["step"], row["month"]) == (record.step, record.month)
        for key, value in record.market.items():
            is_nan = isinstance(value, float) and math.isnan(value)
            assert row[key] is None if is_nan else row[key] == value, key
    assert len(rows.segments.rows) == sum(len(record.segments) for record in records)
    assert len(rows.events.rows) == sum(len(record.events) for record in records)
