"""The one kind of error users cause, and how pydantic's errors become one readable line."""

from pydantic import ValidationError


class InputError(ValueError):
    """Bad input from the user: shown as one line, exit status 2, nothing stored is touched."""


def describe_validation_error(error: ValidationError, prefix: str = "") -> str:
    """One line for the first problem pydantic found: where, what is wrong, what was given."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"].removeprefix("Value error, ")  # pydantic's wording for our checks
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    elif "input" in first and first["type"] != "missing" and not isinstance(first["input"], dict):
        message += f" (got {first['input']!r})"
    return f"{location}: {message}" if location else message
