"""Months as integers, so that schedules and lead times are plain arithmetic.

A month is stored as ``year * 12 + (month - 1)``; users see and type ``YYYY-MM``. Months
are accepted from :data:`FIRST_YEAR` to :data:`LAST_YEAR`: any run that starts in that range
ends (2,600 steps at most, 216 years of months) well inside what dates and the stored
``YYYY-MM`` columns can hold.
"""

import re
from collections.abc import Mapping

import numpy as np

from vocabulary.errors import excerpt

_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
FIRST_YEAR = 1900
"""The earliest year a month may be in."""
LAST_YEAR = 2200
"""The latest year a month may be in."""
MAX_STEPS = 2600
"""The most steps a run may have."""
LAST_RUN_YEAR = (LAST_YEAR * 12 + 11 + MAX_STEPS - 1) // 12
"""The latest year a run may reach: :data:`MAX_STEPS` months from :data:`LAST_YEAR`'s last
month. A month a stored run has is looked up in this range, wider than the one a run starts in."""


def parse_month(text: str, last_year: int = LAST_YEAR) -> int:
    """Turn ``"2024-01"`` into a month index.

    Args:
        text: the month, ``YYYY-MM``.
        last_year: the latest year accepted; :data:`LAST_RUN_YEAR` for a month looked up in
            stored runs.

    Raises:
        ValueError: if the text is not ``YYYY-MM`` with a month from 01 to 12 and a year
            from :data:`FIRST_YEAR` to ``last_year``.
    """
    match = _MONTH.match(text.strip()) if isinstance(text, str) else None
    if (
        not match
        or not 1 <= int(match.group(2)) <= 12
        or not FIRST_YEAR <= int(match.group(1)) <= last_year
    ):
        raise ValueError(
            f"expected a month as YYYY-MM from {FIRST_YEAR}-01 to {last_year}-12 "
            f"(e.g. 2024-01), got {excerpt(text)}"
        )
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def format_month(index: int) -> str:
    """Turn a month index back into ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_of(index: int) -> int:
    """Calendar year of a month index."""
    return index // 12


class DatedPath:
    """A quantity given at some months: linear between them, constant before and after.

    Scenario inputs that change gradually (the share of developers who program, the API share
    of China's tokens) are given as ``{"YYYY-MM": value}``; this reads them at any month index.
    """

    def __init__(self, points: Mapping[str, float]) -> None:
        path = sorted((parse_month(month), value) for month, value in points.items())
        self._months = np.array([month for month, _ in path], dtype=float)
        self._values = np.array([value for _, value in path], dtype=float)

    def at(self, month: int) -> float:
        """The value at ``month`` (a month index)."""
        return float(np.interp(month, self._months, self._values))
