"""What counts as text a user may name things with, on every backend and every terminal.

Names, labels and tags are stored (PostgreSQL refuses a NUL byte in text and JSON), printed in
tables (an ESC byte would drive the terminal) and encoded as UTF-8 (a byte that is not valid
UTF-8 on the command line reaches Python as a lone surrogate that cannot be encoded). So text
must be valid Unicode without control characters, and no longer than the column that keeps it.
"""

import unicodedata

from vocabulary.errors import InputError, excerpt

NAME_LENGTH = 200
"""The longest run name (and tag) stored; every backend keeps this many characters."""
TEXT_LENGTH = 5_000
"""The longest free text (a scenario's description) accepted."""


def text_problem(value: str, max_length: int, lines: bool = False) -> str | None:
    """What is wrong with ``value`` as a name or text, or None if nothing is.

    Args:
        value: the text.
        max_length: the most characters allowed.
        lines: allow line breaks and tabs (free text such as a description), not only one line.
    """
    if len(value) > max_length:
        return f"at most {max_length} characters, got {len(value)}"
    allowed = "\n\t" if lines else ""
    for char in value:
        if unicodedata.category(char) in ("Cc", "Cs") and char not in allowed:
            found = (
                "a byte that is not UTF-8"
                if unicodedata.category(char) == "Cs"
                else f"control character {char!r}"
            )
            kind = "text" if lines else "text on one line"
            return f"must be printable {kind} without control characters; got {found}"
    return None


def check_name(value: str, what: str, max_length: int = NAME_LENGTH) -> str:
    """``value`` if it is a valid one-line name; else an :class:`InputError` naming ``what``."""
    if not isinstance(value, str):
        raise InputError(f"{what}: expected text, got {type(value).__name__}")
    if not value.strip():
        raise InputError(f"{what}: must not be empty")
    problem = text_problem(value, max_length)
    if problem:
        raise InputError(f"{what} {excerpt(value)}: {problem}")
    return value


def printable(value: str) -> str:
    """``value`` with control characters shown as ``?``: safe to print whatever is stored."""
    return "".join("?" if unicodedata.category(char) in ("Cc", "Cs") else char for char in value)
