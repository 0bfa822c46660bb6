"""Showing times on pages: ``{{ moment|beijing }}`` → ``2026-03-02 00:30`` in Beijing time.

A builtin library (``TEMPLATES`` ``builtins`` in the settings), so every template has it without a load. The
time itself comes from ``srdi.domain.beijing_time`` (the exports use the same module); a column header or a
label says 北京时间 with ``{% beijing_label "时间" %}`` → ``时间（北京时间）``, and the page footer says once that
every time on the page is Beijing time.
"""

from __future__ import annotations

from datetime import datetime

from django import template

from srdi.domain.beijing_time import format_beijing, format_iso, labelled

register = template.Library()

NONE = ""


@register.filter
def beijing(moment: datetime | str | None, precision: str = "") -> str:
    """A stored instant as Beijing time, ``2026-03-02 00:30`` (``|beijing:"seconds"`` adds seconds).

    Empty for none, as ``|date``, so that ``|default:`` applies.
    """
    if isinstance(moment, str) and moment:  # an ISO instant kept as text (signed checkpoints)
        return format_iso(moment, seconds=precision == "seconds")
    if not isinstance(moment, datetime):
        return NONE
    return format_beijing(moment, seconds=precision == "seconds")


@register.simple_tag
def beijing_label(label: str = "时间") -> str:
    """A header or label naming Beijing time: ``时间（北京时间）``."""
    return labelled(label)
