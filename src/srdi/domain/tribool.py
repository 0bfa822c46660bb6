"""Three-valued (Kleene) logic for rules where an input may be unknown.

``True``/``False`` are decided outcomes; ``None`` means "cannot tell yet". ``tri_all`` is false as soon as
one part is false, even when others are unknown — a failed condition decides; ``tri_any`` is true as soon as
one part is true.
"""

from __future__ import annotations

from collections.abc import Iterable

Tri = bool | None


def tri_all(values: Iterable[Tri]) -> Tri:
    """Kleene AND."""
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def tri_any(values: Iterable[Tri]) -> Tri:
    """Kleene OR."""
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def tri_not(value: Tri) -> Tri:
    """Kleene NOT."""
    return None if value is None else not value
