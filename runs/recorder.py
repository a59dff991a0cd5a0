"""Writing a running model's steps to the store, and the digest of its history.

The digest is a SHA-256 over every stored market and provider row and every policy event, in
step order, with floats written exactly (``repr``). Same scenario and seed, same digest; any
change in any stored number, another digest.
"""

import hashlib
import json
import math
from typing import Any

from runs.developer_history import DeveloperRows
from runs.store import RunStore
from simulator.metrics import StepRecord


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """NaN (nothing to measure) becomes None, stored as NULL."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}


class RunRecorder:
    """Stores each step of one run as it is simulated and keeps the history's digest."""

    def __init__(self, store: RunStore, run_id: int) -> None:
        self.store = store
        self.run_id = run_id
        self._hash = hashlib.sha256()

    def write(self, record: StepRecord, developers: DeveloperRows | None = None) -> None:
        """Store one step (one transaction) and fold it into the digest.

        ``developers`` (opt-in per-developer rows) are stored with the step but not digested:
        the digest is the run's history, whichever detail was kept.
        """
        market = _clean(record.market)
        providers = [_clean(row) for row in record.providers]
        events = [{"policy": e.policy, "status": e.status} for e in record.events]
        self.store.write_step(
            self.run_id,
            record.step,
            record.month,
            market,
            providers,
            record.segments,
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
        self._hash.update(json.dumps(payload, sort_keys=True, default=repr).encode())

    @property
    def digest(self) -> str:
        """Hex digest of everything written so far."""
        return self._hash.hexdigest()
