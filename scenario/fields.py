"""The building blocks of every input: checked months, names, shares, keyed mappings, limits.

Each input type of the scenario package is a pydantic model built from these, so a value is
validated once, where it enters, with an error naming the field and the allowed values.
"""

import math
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from vocabulary.calendar import parse_month
from vocabulary.errors import excerpt
from vocabulary.regions import SEGMENTS
from vocabulary.text import NAME_LENGTH, TEXT_LENGTH, text_problem

MAX_NUMBER = 1e15
"""The largest magnitude of any number in a scenario: 25 times the default monthly demand.

Larger inputs (or ``inf``, ``nan``) only overflow the model's arithmetic, so they are refused.
"""
LABEL_LENGTH = 100
"""The longest provider name or policy label: what the history tables keep of them."""


def _check_month(text: str) -> str:
    parse_month(text)
    return text


Month = Annotated[str, AfterValidator(_check_month)]


def text_field(max_length: int, lines: bool = False) -> AfterValidator:
    """A validator that a string is printable text of at most ``max_length`` characters."""

    def check(value: str) -> str:
        problem = text_problem(value, max_length, lines)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1), text_field(NAME_LENGTH)]
Label = Annotated[str, Field(min_length=1), text_field(LABEL_LENGTH)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class KeysExactly(AfterValidator):
    """A validator that a mapping has exactly the given keys (regions, segments, ...).

    It keeps its keys, so that ``--set`` can name them when one is misspelt.
    """

    def __init__(self, allowed: tuple[str, ...]) -> None:
        def check(mapping: dict[str, Any]) -> dict[str, Any]:
            if set(mapping) != set(allowed):
                raise ValueError(
                    f"keys must be exactly {', '.join(allowed)}; "
                    f"got {', '.join(str(key) for key in mapping)}"
                )
            return {key: mapping[key] for key in allowed}

        super().__init__(check)
        object.__setattr__(self, "allowed", allowed)


def keys_exactly(allowed: tuple[str, ...]) -> KeysExactly:
    """A validator that a mapping has exactly the keys ``allowed``."""
    return KeysExactly(allowed)


def fixed_keys(metadata: Iterable[Any]) -> tuple[str, ...] | None:
    """The keys a mapping must have, from its field's metadata; None if any key may be added."""
    for item in metadata:
        if isinstance(item, KeysExactly):
            return item.allowed
    return None


BySegment = Annotated[dict[str, float], keys_exactly(SEGMENTS)]
BySegmentShare = Annotated[dict[str, Share], keys_exactly(SEGMENTS)]
ByYear = dict[int, Annotated[float, Field(ge=-0.5, le=2.0)]]


class Section(BaseModel):
    """A block of inputs: unknown keys refused, frozen, defaults validated, no inf or nan."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


def first_bad_value(data: Any) -> str | None:
    """Where ``data`` holds a number or text no scenario may hold, and why; None if nowhere.

    Walks plain mappings and lists without recursion (a settings file has few values, see
    :mod:`scenario.settings_files`); validated sections are checked by their own fields.
    """
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, dict):
            pending.extend((f"{path}.{key}".lstrip("."), item) for key, item in value.items())
        elif isinstance(value, list | tuple):
            pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_NUMBER:
                return (
                    f"{path}: expected a finite number from {-MAX_NUMBER:g} to "
                    f"{MAX_NUMBER:g} (got {excerpt(value)})"
                )
        elif isinstance(value, str):
            problem = text_problem(value, TEXT_LENGTH, lines=True)
            if problem:
                return f"{path}: {problem}"
    return None
