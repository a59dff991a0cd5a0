"""A run's history as the rows the store writes, and its digest: both built in one pass.

Kept free of the database (no SQLAlchemy) so that a sweep's worker processes build the rows and
the digest themselves, in parallel, and send the coordinating writer rows it inserts as they
are: each table's rows as tuples in one column order, NaN (nothing to measure) already None.

The digest is a SHA-256 over every history row of a step (market, provider, segment and product
rows and policy events), in step order, with every number exactly. Same scenario and seed, same
digest; any change in any stored number, another digest.

Its form has a version, stored with the run's software versions (``versions["digest"]``):

- **1** (runs stored before schema version 5, which have no ``versions["digest"]``): market and
  provider rows and policy events; segment rows left out.
- **2** (runs stored at schema versions 5 and 6): form 1 and segment rows; product rows left
  out (those versions stored none).
- **3**: every history table: form 2 and the step's product rows. A step without product rows
  adds nothing, so a run without products has the same digest in forms 2 and 3: still a
  function of every stored row, and unchanged for histories stored before products existed.

Forms 1-3 hash ``json.dumps(step, sort_keys=True)`` of the step's rows (floats as ``repr``, NaN as
null). Writing tens of thousands of floats as text took a sixth of a sweep run's time, so

- **4** hashes the same rows as form 3 as bytes, a table's columns of one kind together
  (:func:`table_bytes`): per step, the step and the month, then for each table with rows
  (market, providers, segments, products, events, in that order) its name, its row count, its
  column names and each column's kind, then its float columns (a byte per value marking nothing
  measured, NaN or None, then the values as little-endian float64), its integer columns
  (little-endian int64) and the JSON of the rest (text, truth values). Each part goes in after
  its length, so parts never run together.

A replay computes its digest in the form of the run it replays, so the two compare whatever
version stored the first; new runs use :data:`DIGEST_VERSION`.
"""

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cache
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from typing import Any

import numpy as np

from simulator.metrics import StepRecord
from vocabulary.metrics import Level, names

DIGEST_VERSION = 4
"""The form of the digest new runs get (see the module's docstring)."""
DIGEST_VERSIONS = (1, 2, 3, 4)
"""Every form this package can compute, so runs stored by older versions can be replayed."""
STEP_COLUMNS = ("step", "month")
"""The columns every history row starts with: the step and the month it starts in."""
EVENT_COLUMNS = (*STEP_COLUMNS, "policy", "status")

_METRIC_NAMES = {level: frozenset(names(level)) for level in Level}
_TABLE_NAMES = {
    Level.MARKET: "market",
    Level.PROVIDER: "providers",
    Level.SEGMENT: "segments",
    Level.PRODUCT: "products",
}
"""Each level's name in the digest's JSON."""


def digest_version(versions: dict[str, str]) -> int:
    """The form of a stored run's digest, from its software versions; 1 if it names none."""
    return int(versions.get("digest", "1"))


@dataclass
class Table:
    """One history table's rows, as tuples in the order of ``columns``.

    ``columns`` start with :data:`STEP_COLUMNS`; a value is None where the model had nothing
    to measure (NaN).
    """

    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)


@dataclass
class HistoryRows:
    """Rows of the history tables for some steps of one run, as the store inserts them."""

    market: Table = field(default_factory=Table)
    providers: Table = field(default_factory=Table)
    segments: Table = field(default_factory=Table)
    products: Table = field(default_factory=Table)
    events: Table = field(default_factory=lambda: Table(EVENT_COLUMNS))
    steps: int = 0
    """How many steps of the run these rows cover, from its first."""


def _measured(value: Any) -> Any:
    """``value`` as stored: NaN (nothing to measure) becomes None, stored as NULL."""
    return None if isinstance(value, float) and math.isnan(value) else value


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """The row with NaN as None (:func:`_measured`)."""
    return {k: _measured(v) for k, v in row.items()}


def _missing(level: Level, row: dict[str, Any]) -> set[str]:
    """The metrics of ``level`` that ``row`` lacks."""
    return set(_METRIC_NAMES[level] - row.keys())


def _incomplete(step: int, level: Level, missing: set[str]) -> ValueError:
    return ValueError(
        f"step {step}: a {level} row lacks the metrics {', '.join(sorted(missing))} "
        "(vocabulary/metrics.py lists what every row must hold)"
    )


_JSON_TEXT: dict[type, Callable[[Any], str]] = {
    float: float.__repr__,
    int: int.__repr__,
    str: encode_basestring_ascii,
}
"""How ``json.dumps`` writes a value of each of these exact types (a float only if finite)."""


def _is_float(kind: type) -> bool:
    return issubclass(kind, (float, np.floating)) or kind is type(None)


def _is_integer(kind: type) -> bool:
    return issubclass(kind, (int, np.integer)) and not issubclass(kind, (bool, np.bool_))


INT64 = (-(2**63), 2**63 - 1)
"""The integers form 4 writes as 8 bytes; others are written as JSON."""


def column_kind(values: Sequence[Any], types: AbstractSet[type]) -> str:
    """How digest form 4 writes a column: ``f``, ``i`` or ``j``.

    ``types`` are the types of ``values`` (the caller has them already). ``f``: floats, None
    or NaN where nothing was measured; ``i``: integers that fit in 64 bits; ``j``: anything
    else (text, truth values, a mix).
    """
    kind = _kind_of_types(frozenset(types))
    if kind == "i" and not (INT64[0] <= min(values) and max(values) <= INT64[1]):
        return "j"
    return kind


@cache
def _kind_of_types(types: frozenset[type]) -> str:
    """:func:`column_kind` of a column of ``types``, integers assumed to fit in 64 bits.

    A run's columns keep their types from step to step, so this is worked out once per set.
    """
    if all(map(_is_float, types)):
        return "f"
    if all(map(_is_integer, types)):
        return "i"
    return "j"


@cache
def _names_json(keys: tuple[str, ...]) -> bytes:
    """The JSON of a table's column names, as form 4 hashes it (the same every step)."""
    return json.dumps(list(keys)).encode()


def _may_hold_nan(types: AbstractSet[type]) -> bool:
    """Whether a column of values of ``types`` can hold a NaN, which :func:`_measured` changes.

    Columns of text alone (most of the JSON ones) are written as they are, without a call
    per value.
    """
    return any(issubclass(kind, float) for kind in types)


def table_bytes(keys: Sequence[str], rows: list[tuple[Any, ...]]) -> tuple[list[bytes], bool]:
    """One table's rows as digest form 4 hashes them after its name, and whether any is missing.

    The parts: its row count, the JSON of its column names, each column's kind
    (:func:`column_kind`); then the float columns, column after column, as a byte per value (1
    where nothing was measured) and the values as little-endian float64 (0 there); the integer
    columns as little-endian int64; the other columns as the JSON of their list, NaN as null.
    The flag says a float column has nothing measured somewhere (NaN or None).
    """
    columns = list(zip(*rows, strict=True))
    types = [set(map(type, column)) for column in columns]
    kinds = list(map(column_kind, columns, types))
    parts = [str(len(rows)).encode(), _names_json(tuple(keys)), "".join(kinds).encode()]
    floats = [column for column, kind in zip(columns, kinds, strict=True) if kind == "f"]
    missing = np.zeros(0, dtype=bool)
    if floats:
        block = np.array(floats, dtype="<f8")  # None becomes NaN
        missing = np.isnan(block)
        block[missing] = 0.0
        parts += [missing.astype(np.uint8).tobytes(), block.tobytes()]
    integers = [column for column, kind in zip(columns, kinds, strict=True) if kind == "i"]
    if integers:
        parts.append(np.array(integers, dtype="<i8").tobytes())
    others = [
        list(map(_measured, column)) if _may_hold_nan(kinds_of) else column
        for column, kinds_of, kind in zip(columns, types, kinds, strict=True)
        if kind == "j"
    ]
    if others:
        parts.append(json.dumps(others, default=repr).encode())
    return parts, bool(missing.any())


def _framed(part: bytes) -> bytes:
    """``part`` after its length (8 bytes, little-endian), so that parts never run together."""
    return len(part).to_bytes(8, "little") + part


def _without_nan(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` with NaN as None (:func:`_measured`)."""
    return [tuple(map(_measured, row)) for row in rows]


class _Columns:
    """One level's rows within a run: their column order (the first row's keys) and JSON.

    Every row of the level must have the first row's keys. Rows become tuples of their values
    in that order, and their JSON text (as ``json.dumps(row, sort_keys=True)`` writes it) is
    written a column at a time from those tuples, for columns of one type that JSON writes
    simply (finite floats, integers, text); anything else is left to ``json.dumps``.
    """

    def __init__(self, level: Level, step: int, first: dict[str, Any]) -> None:
        missing = _missing(level, first)
        if missing:
            raise _incomplete(step, level, missing)
        self.level = level
        self.keys = tuple(first)
        self.columns = (*STEP_COLUMNS, *self.keys)
        getter = itemgetter(*self.keys)
        self._values: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            getter if len(self.keys) > 1 else lambda row: (getter(row),)
        )
        order = sorted(range(len(self.keys)), key=self.keys.__getitem__)
        self._sorted = order
        self._template = (
            "{"
            + ", ".join(
                f"{encode_basestring_ascii(self.keys[i]).replace('%', '%%')}: %s" for i in order
            )
            + "}"
        )

    def values(self, step: int, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Each row's values in column order.

        Raises:
            ValueError: a row lacks a metric, or its columns are not the first row's.
        """
        width = len(self.keys)
        try:
            if set(map(len, rows)) != {width}:
                raise KeyError
            return list(map(self._values, rows))
        except KeyError:
            wrong = next(
                row for row in rows if len(row) != width or not row.keys() >= set(self.keys)
            )
        missing = _missing(self.level, wrong)
        if missing:
            raise _incomplete(step, self.level, missing)
        raise ValueError(
            f"step {step}: a {self.level} row has the columns {', '.join(sorted(wrong))}, "
            f"the run's other rows of its level {', '.join(sorted(self.keys))}"
        )

    def json(self, values: list[tuple[Any, ...]]) -> list[str] | None:
        """Each row's JSON text, or None if a column holds a value JSON writes otherwise."""
        columns = list(zip(*values, strict=True))
        texts = []
        for position in self._sorted:
            column = columns[position]
            kinds = set(map(type, column))
            write = _JSON_TEXT.get(kinds.pop()) if len(kinds) == 1 else None
            if write is None:
                return None
            if write is float.__repr__ and not math.isfinite(sum(column)):
                return None  # a NaN or an infinity (or a sum beyond floats: left to json)
            texts.append(list(map(write, column)))
        return list(map(self._template.__mod__, zip(*texts, strict=True)))


class HistoryDigest:
    """Turns a run's steps, in order, into store rows and folds each into the run's digest.

    Args:
        version: the form of the digest (see the module's docstring).

    Raises:
        ValueError: ``version`` is not a form this package computes.
    """

    def __init__(self, version: int = DIGEST_VERSION) -> None:
        if version not in DIGEST_VERSIONS:
            raise ValueError(f"digest version {version}: this package computes {DIGEST_VERSIONS}")
        self.version = version
        self._hash = hashlib.sha256()
        self._columns: dict[Level, _Columns] = {}

    def add(self, record: StepRecord, into: HistoryRows) -> None:
        """Append the step's rows to ``into`` and fold them into the digest.

        Raises:
            ValueError: a row lacks a metric of its level, or has other columns than the
                run's other rows of that level.
        """
        rows = {
            Level.MARKET: [record.market],
            Level.PROVIDER: record.providers,
            Level.SEGMENT: record.segments,
            Level.PRODUCT: record.products,
        }
        values = {level: self._row_values(record.step, level, r) for level, r in rows.items()}
        if self.version >= 4:
            values = self._hash_columns(record, values)
        else:
            text = self._json(record, values)
            if text is None:  # a NaN, or a value JSON writes otherwise: json.dumps itself
                text, values = self._json_dumps(record, rows)
            self._hash.update(text.encode())
        keys = (record.step, record.month)
        for level, table in (
            (Level.MARKET, into.market),
            (Level.PROVIDER, into.providers),
            (Level.SEGMENT, into.segments),
            (Level.PRODUCT, into.products),
        ):
            if values[level]:
                table.columns = self._columns[level].columns
                table.rows.extend(map(keys.__add__, values[level]))
        into.events.rows.extend((*keys, e.policy, e.status) for e in record.events)
        into.steps = record.step + 1

    def _row_values(
        self, step: int, level: Level, rows: list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        if not rows:
            return []
        columns = self._columns.get(level)
        if columns is None:
            columns = self._columns[level] = _Columns(level, step, rows[0])
        return columns.values(step, rows)

    def _hash_columns(
        self, record: StepRecord, values: dict[Level, list[tuple[Any, ...]]]
    ) -> dict[Level, list[tuple[Any, ...]]]:
        """Fold the step into the digest in form 4; its rows' tuples with NaN as None."""
        parts = [repr(record.step).encode(), str(record.month).encode()]
        cleaned = dict(values)
        for level, name in _TABLE_NAMES.items():
            if values[level]:
                table, missing = table_bytes(self._columns[level].keys, values[level])
                parts += [name.encode(), *table]
                if missing:
                    cleaned[level] = _without_nan(values[level])
        if record.events:
            events = [(e.policy, e.status) for e in record.events]
            table, _ = table_bytes(EVENT_COLUMNS[len(STEP_COLUMNS) :], events)
            parts += [b"events", *table]
        self._hash.update(b"".join(map(_framed, parts)))
        return cleaned

    def _payload(self, parts: dict[str, Any]) -> dict[str, Any]:
        """What the digest hashes of a step's ``parts``, in this digest's form.

        ``parts`` holds ``step``, ``month``, ``market``, ``providers``, ``events``, ``segments``
        and ``products`` (as values, or as their JSON text).
        """
        keep = ["step", "month", "market", "providers", "events"]
        if self.version >= 2:
            keep.append("segments")
        if self.version >= 3 and parts["products"]:
            keep.append("products")
        return {key: parts[key] for key in keep}

    def _json(self, record: StepRecord, values: dict[Level, list[tuple[Any, ...]]]) -> str | None:
        """The step's JSON text as :meth:`_json_dumps` writes it, from the rows' tuples.

        Written a column at a time (see :class:`_Columns`); None when a value needs
        ``json.dumps`` itself (a NaN, which is stored and hashed as None; any other type).
        """
        if type(record.step) is not int or type(record.month) is not str:
            return None
        tables: dict[str, Any] = {}
        for level, name in _TABLE_NAMES.items():
            if not values[level]:
                tables[name] = ""
                continue
            texts = self._columns[level].json(values[level])
            if texts is None:
                return None
            tables[name] = ", ".join(texts)
        events = json.dumps(
            [{"policy": e.policy, "status": e.status} for e in record.events],
            sort_keys=True,
            default=repr,
        )
        parts = {
            "step": int.__repr__(record.step),
            "month": encode_basestring_ascii(record.month),
            "market": tables["market"],
            "providers": f"[{tables['providers']}]",
            "events": events,
            "segments": f"[{tables['segments']}]",
            "products": f"[{tables['products']}]" if tables["products"] else "",
        }
        payload = self._payload(parts)
        return "{" + ", ".join(f'"{key}": {payload[key]}' for key in sorted(payload)) + "}"

    def _json_dumps(
        self, record: StepRecord, rows: dict[Level, list[dict[str, Any]]]
    ) -> tuple[str, dict[Level, list[tuple[Any, ...]]]]:
        """The step's JSON text and rows' tuples, NaN as None, by the digest's definition.

        ``json.dumps`` of the step's rows with NaN as None: what every form of the digest
        hashes, whatever the rows hold.
        """
        cleaned = {level: [_clean(row) for row in r] for level, r in rows.items()}
        parts: dict[str, Any] = {name: cleaned[level] for level, name in _TABLE_NAMES.items()}
        parts["market"] = cleaned[Level.MARKET][0]
        parts["step"], parts["month"] = record.step, record.month
        parts["events"] = [{"policy": e.policy, "status": e.status} for e in record.events]
        payload = self._payload(parts)
        text = json.dumps(payload, sort_keys=True, default=repr)
        values = {level: self._row_values(record.step, level, r) for level, r in cleaned.items()}
        return text, values

    @property
    def digest(self) -> str:
        """Hex digest of every step added so far."""
        return self._hash.hexdigest()
