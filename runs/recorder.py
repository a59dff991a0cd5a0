"""Writing a running model's steps to the store, and the digest of its history.

The digest is a SHA-256 over every history row of a step (market, provider, segment and product
rows and policy events), in step order, with floats written exactly (``repr``). Same scenario
and seed, same digest; any change in any stored number, another digest.

Its form has a version, stored with the run's software versions (``versions["digest"]``):

- **1** (runs stored before schema version 5, which have no ``versions["digest"]``): market and
  provider rows and policy events; segment rows left out.
- **2** (runs stored at schema versions 5 and 6): form 1 and segment rows; product rows left
  out (those versions stored none).
- **3**: every history table: form 2 and the step's product rows. A step without product rows
  adds nothing, so a run without products has the same digest in forms 2 and 3: still a
  function of every stored row, and unchanged for histories stored before products existed.

A replay computes its digest in the form of the run it replays, so the two compare whatever
version stored the first; new runs use :data:`DIGEST_VERSION`.
"""

import hashlib
import json
import math
from typing import Any

from runs.developer_history import DeveloperRows
from runs.store import RunStore
from simulator.metrics import StepRecord
from vocabulary.metrics import Level, names

_METRIC_NAMES = {level: frozenset(names(level)) for level in Level}
DIGEST_VERSION = 3
"""The form of the digest new runs get (see the module's docstring)."""
DIGEST_VERSIONS = (1, 2, 3)
"""Every form this package can compute, so runs stored by older versions can be replayed."""


def digest_version(versions: dict[str, str]) -> int:
    """The form of a stored run's digest, from its software versions; 1 if it names none."""
    return int(versions.get("digest", "1"))


def _check_complete(record: StepRecord) -> None:
    """Every row holds every metric of its level, so none is stored as NULL by omission.

    Raises:
        ValueError: naming the step, the row's level and the metrics it lacks.
    """
    rows = (
        [(Level.MARKET, record.market)]
        + [(Level.PROVIDER, row) for row in record.providers]
        + [(Level.SEGMENT, row) for row in record.segments]
        + [(Level.PRODUCT, row) for row in record.products]
    )
    for level, row in rows:
        missing = _METRIC_NAMES[level] - row.keys()
        if missing:
            raise ValueError(
                f"step {record.step}: a {level} row lacks the metrics "
                f"{', '.join(sorted(missing))} (vocabulary/metrics.py lists what "
                "every row must hold)"
            )


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """NaN (nothing to measure) becomes None, stored as NULL."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


class RunRecorder:
    """Stores each step of one run as it is simulated and keeps the history's digest."""

    def __init__(self, store: RunStore, run_id: int, version: int = DIGEST_VERSION) -> None:
        if version not in DIGEST_VERSIONS:
            raise ValueError(f"digest version {version}: this package computes {DIGEST_VERSIONS}")
        self.store = store
        self.run_id = run_id
        self.version = version
        self._hash = hashlib.sha256()

    def write(self, record: StepRecord, developers: DeveloperRows | None = None) -> None:
        """Store one step (one transaction) and fold it into the digest.

        ``developers`` (opt-in per-developer rows) are stored with the step but not digested:
        the digest is the run's history, whichever detail was kept.
        """
        _check_complete(record)
        market = _clean(record.market)
        providers = [_clean(row) for row in record.providers]
        segments = [_clean(row) for row in record.segments]
        products = [_clean(row) for row in record.products]
        events = [{"policy": e.policy, "status": e.status} for e in record.events]
        self.store.write_step(
            self.run_id,
            record.step,
            record.month,
            market,
            providers,
            segments,
            products,
            events,
            developers,
        )
        payload = {
            "step": record.step,
            "month": record.month,
            "market": market,
            "providers": providers,
            "events": events,
        }
        if self.version >= 2:
            payload["segments"] = segments
        if self.version >= 3 and products:
            payload["products"] = products
        self._hash.update(json.dumps(payload, sort_keys=True, default=repr).encode())

    @property
    def digest(self) -> str:
        """Hex digest of everything written so far."""
        return self._hash.hexdigest()
