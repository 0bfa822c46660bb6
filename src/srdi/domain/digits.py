"""Reading numbers typed into forms, query strings and labels: ASCII digits only, of a size a database id holds.

Use ``is_digits`` instead of ``str.isdigit`` (which also accepts "²" or "١", which ``int()`` then refuses or
reads differently) and ``id_from`` for an id given as text.
"""

from __future__ import annotations

MAX_ID_DIGITS = 18  # below 2^63 − 1, the largest 64-bit primary key


def is_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits 0–9."""
    return text.isascii() and text.isdigit()


def id_from(text: str | None) -> int | None:
    """A positive id written as ASCII digits (at most 18 of them), else None."""
    if not text or not is_digits(text) or len(text) > MAX_ID_DIGITS:
        return None
    value = int(text)
    return value if value > 0 else None
