"""Naming what does not exist: the nearest valid names, so a typo's error shows the fix."""

from collections.abc import Iterable
from difflib import get_close_matches

NEAREST = 5
"""How many of the nearest valid names an error lists when there are too many to list all."""
LIST_ALL = 30
"""Lists this long or shorter are given whole."""


def nearest(name: str, valid: Iterable[str]) -> list[str]:
    """The valid names closest to ``name`` (difflib's ratio), best first; may be empty."""
    return get_close_matches(name, list(valid), n=NEAREST, cutoff=0.5)


def unknown_name(name: str, valid: Iterable[str], what: str, place: str = "") -> str:
    """``no WHAT named NAME in PLACE``, with the nearest valid names, or all when they are few."""
    options = list(valid)
    close = nearest(name, options)
    if len(options) <= LIST_ALL:
        listing = f"valid: {', '.join(options) or 'none'}"
        if close:
            listing = f"nearest: {', '.join(close)}; {listing}"
    elif close:
        listing = f"nearest: {', '.join(close)} ({len(options)} in all)"
    else:
        listing = f"{len(options)} in all, e.g. {', '.join(options[:NEAREST])}"
    where = f" in {place}" if place else ""
    return f"no {what} named {name!r}{where}; {listing}"
