"""The packaged CSV inputs of ``scenario/data`` (or a user's copy of one), read row by row.

Each file has a header and one input per row; a parser checks a row and names its line in any
error, so a bad row is one clear message rather than a failure later in a run.
"""

import csv
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TextIO, TypeVar

Row = TypeVar("Row")


def read_rows(
    filename: str, path: Path | None, parse: Callable[[dict[str, str], int], Row]
) -> list[Row]:
    """``parse(row, line)`` of every row of ``scenario/data/FILENAME``, or of the file at ``path``.

    Lines count as an editor shows them: the header is line 1, the first row line 2. Rows must
    be immutable: a packaged file is parsed once per process (every run of a sweep reads it).
    """
    if path is None:
        return list(_packaged_rows(filename, parse))
    with path.open() as handle:
        return _parsed(handle, parse)


@cache
def _packaged_rows(filename: str, parse: Callable[[dict[str, str], int], Row]) -> tuple[Row, ...]:
    """The rows of the packaged ``scenario/data/FILENAME``, parsed once per process."""
    with resources.files("scenario.data").joinpath(filename).open() as handle:
        return tuple(_parsed(handle, parse))


def _parsed(handle: TextIO, parse: Callable[[dict[str, str], int], Row]) -> list[Row]:
    return [parse(row, line) for line, row in enumerate(csv.DictReader(handle), start=2)]
