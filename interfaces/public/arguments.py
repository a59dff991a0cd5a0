"""Checking what a caller passes to the API, so that a wrong argument is one line, not a crash.

Python lets a notebook pass anything: a string where a list belongs iterates into its letters
(``policies="export_ban"`` would ask for a policy ``e``, ``tags="abc"`` store three tags), a
float or text where a number belongs fails deep inside pandas or SQLAlchemy. The calls check
such arguments here first and raise :class:`~vocabulary.errors.InputError` naming the
argument and what it takes, as the ``sim`` command's options do.
"""

from collections.abc import Iterable
from numbers import Integral
from typing import Any

from vocabulary.errors import InputError, excerpt


def listed(value: Any, argument: str, example: str) -> tuple[Any, ...]:
    """``value``, a list (or other iterable), as a tuple.

    Args:
        value: what the caller passed.
        argument: its name, for the message.
        example: a valid value, for the message (``["export_ban"]``).

    Raises:
        InputError: ``value`` is one string (its letters would be taken for the items) or
            is not iterable.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InputError(f"{argument}={excerpt(value)}: expected a list, e.g. {argument}={example}")
    return tuple(value)


def texts(value: Any, argument: str, example: str) -> tuple[str, ...]:
    """``value``, a list (or other iterable) of strings, as a tuple.

    Raises:
        InputError: as :func:`listed`, or an item is not a string.
    """
    items = listed(value, argument, example)
    for item in items:
        if not isinstance(item, str):
            raise InputError(
                f"{argument}: {excerpt(item)} is not a string; expected a list of strings, "
                f"e.g. {argument}={example}"
            )
    return items


def whole_number(value: Any, argument: str, low: int, high: int | None = None) -> int:
    """``value`` as an int, if it is a whole number from ``low`` to ``high`` (no bound: None).

    Raises:
        InputError: ``value`` is not an integer (a bool, a float, text) or is out of range.
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, Integral)
        or value < low
        or (high is not None and value > high)
    ):
        allowed = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise InputError(f"{argument}={excerpt(value)}: expected a whole number {allowed}")
    return int(value)


def run_ids(value: Any, argument: str = "run_ids") -> tuple[Any, ...]:
    """``value``, a non-empty list of run ids, as a tuple (each id is checked when read).

    Raises:
        InputError: ``value`` is not a list (one id, a string), or is empty.
    """
    ids = listed(value, argument, "[1, 2]")
    if not ids:
        raise InputError(
            f"{argument}=[]: expected at least one run id (the first is the reference), e.g. [1, 2]"
        )
    return ids
