"""Quote values and paths in error messages briefly. Stdlib only.

A corrupt file can hold a megabyte-long string; an error that repeats it whole is unreadable and
can itself exhaust a terminal or a log. Messages quote at most a few dozen characters.
"""

from __future__ import annotations

from typing import Any

QUOTE = 60  # characters of a repr() kept in a message
PATH = 200  # characters of a path kept in a message (its middle is elided)


def short(value: Any) -> str:
    """``repr`` of a value, cut to :data:`QUOTE` characters (an ellipsis marks the cut).

    Args:
        value (Any): Value to quote.

    Returns:
        (str): The short repr.
    """
    text = repr(value)
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


def short_path(path: Any) -> str:
    """A path for messages, its middle elided when longer than :data:`PATH` characters.

    Args:
        path (Any): Path or string.

    Returns:
        (str): The path, whole or elided.
    """
    text = str(path)
    return text if len(text) <= PATH else f"{text[:90]}…{text[-90:]}"
