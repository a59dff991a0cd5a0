"""Printing tables that never lose a number, a status or an id, at any width or in a pipe.

Rich fits a table to the terminal by wrapping cells and, when that is not enough, cutting them
with an ellipsis (``42,896…``, ``interru…``). Here only the columns a command names as text may
wrap (at spaces; a word too long for its column is folded onto the next line, never cut); every
other column keeps its whole value on one line. If the terminal is too narrow even for that,
the table is printed wider than the terminal rather than lose a character. When standard
output is not a terminal (a pipe, a file), the table is plain aligned text without a frame, one
line per row, so ``sim runs list | grep interrupted`` finds the row.

Names are data: what a user typed (a run, sweep or calibration name, a tag, a policy label, a
provider, a path) goes into a table as :func:`literal` text and into a line of our own through
``rich.markup.escape``, on a :func:`new_console`, so Rich never reads it as markup or emoji.
"""

import io
from collections.abc import Collection
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

WIDEST = 100_000
"""A width no table reaches: measuring at it gives every column its natural width."""
MOST_WORD = 40
"""A text column too narrow for its longest word is kept at least this wide."""


class _SimConsole(Console):
    """A Rich console that leaves a closed pipe (``sim runs list | head -1``) to ``sim``."""

    def on_broken_pipe(self) -> None:
        """Raise the error, for ``sim`` to end as every command does when its reader is gone.

        Rich's own way exits with status 1, unlike a Unix tool or ``sim``'s other output.
        """
        raise BrokenPipeError


def new_console(**options: Any) -> Console:
    """A Rich console for ``sim``'s output (``options`` as :class:`Console` takes them).

    Emoji codes are off: Rich would show a run named ``fix:bug:2`` with a bug in the middle, and
    no message of ours uses them.
    """
    return _SimConsole(emoji=False, **options)


def literal(text: object) -> Text:
    """User text as a table cell or title, shown exactly as typed.

    A string cell is Rich markup: ``RASA [enforcement=0.5]`` would lose its brackets,
    ``ban [/draft]`` would crash the command, and ``[link=...]`` would make a hyperlink.
    """
    return Text(str(text))


def print_table(table: Table, wrap: Collection[str] = (), console: Console | None = None) -> None:
    """Print ``table`` whole: only the columns headed ``wrap`` may wrap, nothing is cut.

    Args:
        table: the table, its rows added.
        wrap: the headers of the columns of free text (names, descriptions) that may wrap.
        console: where to print; default standard output.
    """
    out = console or new_console()
    for column in table.columns:
        column.no_wrap = str(column.header) not in wrap
        column.overflow = "fold"
    if not out.is_terminal:
        _print_plain(table, out)
        return
    natural, narrowest = _widths(out, table)
    frame = table._extra_width
    if sum(natural) + frame <= out.width:
        out.print(table)
        return
    spare = out.width - frame - sum(narrowest)
    if spare < 0:  # not even the narrowest fits: print wider than the terminal
        widths = narrowest
        out = new_console(file=out.file, width=sum(narrowest) + frame, force_terminal=True)
    else:  # text columns share the spare width in proportion to what they lack
        lacking = [most - least for most, least in zip(natural, narrowest, strict=True)]
        widths = [
            least + spare * lack // sum(lacking)
            for least, lack in zip(narrowest, lacking, strict=True)
        ]
    for index, (column, width) in enumerate(zip(table.columns, widths, strict=True)):
        column.width = width - table._get_padding_width(index)
    out.print(table)


def _print_plain(table: Table, out: Console) -> None:
    """The table as aligned columns of plain text, each row on one line, no trailing spaces."""
    table.box = None
    table.pad_edge = False
    options = out.options.update_width(WIDEST)
    width = sum(table._measure_column(out, options, c).maximum for c in table.columns)
    plain = new_console(
        file=io.StringIO(),
        width=max(width + table._extra_width, len(str(table.title or ""))),
        no_color=True,
        highlight=False,
    )
    plain.print(table)
    out.file.write("".join(line.rstrip() + "\n" for line in plain.file.getvalue().splitlines()))


def _widths(console: Console, table: Table) -> tuple[list[int], list[int]]:
    """Each column's width with padding: natural (one line per cell), and narrowest.

    The narrowest keeps whole values in the columns that do not wrap, and text at its longest
    word (at most :data:`MOST_WORD`). Rich measures a column's narrowest as its longest word
    even when it may not wrap, hence the choice per column.
    """
    options = console.options.update_width(WIDEST)
    natural, narrowest = [], []
    for index, column in enumerate(table.columns):
        measured = table._measure_column(console, options, column)
        natural.append(measured.maximum)
        padding = table._get_padding_width(index)
        narrowest.append(
            measured.maximum if column.no_wrap else min(measured.minimum, MOST_WORD + padding)
        )
    return natural, narrowest
