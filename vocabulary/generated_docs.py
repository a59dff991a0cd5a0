"""Tables generated into a document between two marker comments, and the command that writes them.

The parameter and metric references in docs/model.md are built from the code; each generator
renders its block (markers included) and this module splices it in or prints it, so both share
one way of keeping the docs current.
"""

import argparse
from collections.abc import Callable
from pathlib import Path


def splice(document: str, block: str, begin: str, end: str) -> str:
    """``document`` with the text from marker ``begin`` to marker ``end`` replaced by ``block``."""
    start, stop = document.index(begin), document.index(end) + len(end)
    return document[:start] + block + document[stop:]


def main(description: str, render: Callable[[], str], begin: str, end: str) -> None:
    """Print the rendered block, or with ``--write DOC`` rewrite it in place inside DOC."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", type=Path, help="document to update between the markers")
    args = parser.parse_args()
    if args.write:
        args.write.write_text(splice(args.write.read_text(), render(), begin, end))
    else:
        print(render())
