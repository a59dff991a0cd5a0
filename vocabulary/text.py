"""What counts as text a user may name things with, on every backend and every terminal.

Names, labels and tags are stored (PostgreSQL refuses a NUL byte in text and JSON), printed in
tables (an ESC byte would drive the terminal) and encoded as UTF-8 (a byte that is not valid
UTF-8 on the command line reaches Python as a lone surrogate that cannot be encoded). So text
must be valid Unicode without control characters, and no longer than the column that keeps it.

Written into a CSV, the same text must not become a spreadsheet formula: see
:func:`spreadsheet_safe`.
"""

import re
import unicodedata
from typing import TYPE_CHECKING, Any

from vocabulary.errors import InputError, excerpt

if TYPE_CHECKING:
    import pandas as pd

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


FORMULA_START = re.compile(r"[=+\-@\t\r]")
"""What a spreadsheet reads as the start of a formula (OWASP's list, "CSV Injection")."""
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
"""A number written as text (``-0.5``, ``+1e3``): a spreadsheet reads it as the number."""


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet shows as written and never evaluates.

    Text that starts like a formula (``=HYPERLINK(...)``, ``@SUM(1+1)``, ``-2+3``) gets a
    leading ``'``, as OWASP recommends: opening the file must not run or fetch anything. Numbers,
    and text that is a plain number, stay as they are, so ``-0.5`` is still a number.
    """
    if isinstance(value, str) and FORMULA_START.match(value) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of ``frame`` to write as CSV: its headers and text cells as :func:`spreadsheet_cell`.

    Only text (and mixed) columns are looked at, so numeric columns keep their dtype and cost
    nothing. JSON and parquet keep the raw values: only a CSV is opened by spreadsheets.
    """
    safe = frame.rename(columns=spreadsheet_cell)
    for column in safe.select_dtypes(include=["object", "string"]).columns:
        safe[column] = safe[column].map(spreadsheet_cell)
    return safe
