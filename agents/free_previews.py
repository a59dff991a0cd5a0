"""Free previews: the months in which a lab's models have a free variant for routed developers.

OpenRouter lists rate-limited free variants (``:free``) of some models: for weeks after a launch
(MiniMax M2, Xiaomi's MiMo, StepFun, Tencent's Hunyuan), or for months when third-party hosts
serve a model free (DeepSeek R1 and V3 through most of 2025). Free variants carried 19% of the
top-10 tokens in Mar-May 2026 and 27% of the Chinese labs' (TARGETS v2), and they count as
tokens of the lab that made the model. When a lab had one is an input, read off the weekly
top-10 data (``docs/data/openrouter_top10_weekly.csv``): the months of the weeks whose top-10
tokens include free ones, in ``scenario/data/free_previews.csv`` (each row with its weeks
and the share of the lab's top-10 tokens the free variants carried). How much of a
developer's use a free variant covers (its rate limits) is ``choice.free_share``.

What the data cannot say: free variants before 2025-02-16 (where the weekly data start) and
those of models outside the top ten are not in the file.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from agents.data_files import read_rows
from vocabulary.calendar import parse_month
from vocabulary.errors import InputError


@dataclass(frozen=True)
class FreePreview:
    """One lab's free variants, from its first month to its last (both included).

    Attributes:
        lab: the lab whose models had the free variant (a roster name).
        first: first month index with free tokens.
        last: last month index with free tokens.
        source: where the dates come from.
    """

    lab: str
    first: int
    last: int
    source: str


def _preview(row: dict[str, str], line: int) -> FreePreview:
    """One row of the file, checked."""
    where = f"free_previews.csv line {line}"
    months = []
    for column in ("first_month", "last_month"):
        try:
            months.append(parse_month(row[column].strip()))
        except (ValueError, InputError):
            raise InputError(
                f"{where}.{column}: {row[column]!r} is not a month; expected YYYY-MM"
            ) from None
    first, last = months
    if last < first:
        raise InputError(f"{where}: last_month is before first_month")
    return FreePreview(lab=row["lab"].strip(), first=first, last=last, source=row["source"])


def load_free_previews(path: Path | None = None) -> list[FreePreview]:
    """The packaged ``scenario/data/free_previews.csv``, or the file at ``path``."""
    return read_rows("free_previews.csv", path, _preview)


class FreePreviewCalendar:
    """Which of a run's labs offer a free variant in a month.

    Labs of the file that the run's roster does not have are left out (a scenario may drop
    labs); a lab a scenario adds never offers one.

    Args:
        previews: the free previews (:func:`load_free_previews`).
        labs: the run's provider names, in index order.
    """

    def __init__(self, previews: Sequence[FreePreview], labs: Sequence[str]) -> None:
        index = {name: i for i, name in enumerate(labs)}
        kept = [p for p in previews if p.lab in index]
        self.labs = len(labs)
        self._lab = np.array([index[p.lab] for p in kept], dtype=np.int64)
        self._first = np.array([p.first for p in kept], dtype=np.int64)
        self._last = np.array([p.last for p in kept], dtype=np.int64)

    def offering(self, month: int) -> np.ndarray:
        """(P,) bool: the lab has a free variant in ``month``."""
        now = (self._first <= month) & (month <= self._last)
        return np.bincount(self._lab[now], minlength=self.labs) > 0
