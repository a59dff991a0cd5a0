"""Writing a running model's steps to the store as they are simulated, with the run's digest.

``sim run`` stores each step in its own transaction, so a run that dies keeps every step it
finished. The rows and the digest (its forms: :mod:`runs.history_rows`) are built exactly as a
sweep's worker builds them, so both give a run the same rows and digest.
"""

from runs.developer_history import DeveloperRows
from runs.history_rows import DIGEST_VERSION, HistoryDigest, HistoryRows
from runs.store import RunStore
from simulator.metrics import StepRecord


class RunRecorder:
    """Stores each step of one run as it is simulated and keeps the history's digest.

    Raises:
        ValueError: ``version`` is not a digest form this package computes.
    """

    def __init__(self, store: RunStore, run_id: int, version: int = DIGEST_VERSION) -> None:
        self.store = store
        self.run_id = run_id
        self._digest = HistoryDigest(version)

    def write(self, record: StepRecord, developers: DeveloperRows | None = None) -> None:
        """Store one step (one transaction) and fold it into the digest.

        ``developers`` (opt-in per-developer rows) are stored with the step but not digested:
        the digest is the run's history, whichever detail was kept.
        """
        rows = HistoryRows()
        self._digest.add(record, rows)
        self.store.write_rows(self.run_id, rows, developers)

    @property
    def digest(self) -> str:
        """Hex digest of everything written so far."""
        return self._digest.digest
