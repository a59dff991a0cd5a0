"""Months as integers, so that schedules and lead times are plain arithmetic.

A month is stored as ``year * 12 + (month - 1)``; users see and type ``YYYY-MM``.
"""

import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> int:
    """Turn ``"2024-01"`` into a month index.

    Raises:
        ValueError: if the text is not ``YYYY-MM`` with a month from 01 to 12.
    """
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"expected a month as YYYY-MM (e.g. 2024-01), got {text!r}")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def format_month(index: int) -> str:
    """Turn a month index back into ``YYYY-MM``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def year_of(index: int) -> int:
    """Calendar year of a month index."""
    return index // 12
