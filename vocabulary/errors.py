"""The one kind of error users cause, and how pydantic's errors become one readable line."""

import reprlib

from pydantic import ValidationError

EXCERPT_CHARS = 60
"""The most characters of a value an error message quotes."""


class InputError(ValueError):
    """Bad input from the user: shown as one line, exit status 2, nothing stored is touched."""


def describe_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line for the first problem pydantic found: where, what is wrong, what was given."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"].removeprefix("Value error, ")  # pydantic's wording for our checks
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    elif (
        "input" in first
        and first["type"] != "missing"
        and "got " not in message
        and not isinstance(first["input"], dict)
    ):
        message += f" (got {excerpt(first['input'])})"
    return f"{location}: {message}" if location else message


def excerpt(value: object) -> str:
    """``repr(value)`` cut to a short excerpt: a hostile value must not make a huge message."""
    short = reprlib.Repr()  # reprlib's limits: it never builds the whole repr of a big value
    short.maxstring = short.maxother = EXCERPT_CHARS
    short.maxlevel = 2
    text = short.repr(value)
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 3] + "..."
