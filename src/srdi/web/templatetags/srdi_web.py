"""Template filters for the web pages: unknown values, money in 万元, tier badges, message colours.

Load with ``{% load srdi_web %}``. Filters only format; they never query the database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template

from srdi.domain.money import format_wan
from srdi.domain.reference import ECOSYSTEMS
from srdi.domain.size_class import SIZE_LABELS
from srdi.web.labels import TIER_BADGES, TIER_SHORT

register = template.Library()

UNKNOWN = "未知"

MESSAGE_CLASSES = {"error": "danger", "debug": "secondary"}


@register.filter
def or_unknown(value: Any) -> Any:
    """The value, or “未知” when it is ``None`` or empty (0 stays 0)."""
    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, date):
        return value.isoformat()
    return value


@register.filter
def yes_no_unknown(value: bool | None) -> str:
    """是 / 否 / 未知."""
    if value is None:
        return UNKNOWN
    return "是" if value else "否"


@register.filter
def wan(fen: int | None) -> str:
    """Fen as 万元 (``format_wan``); “未知” when unknown."""
    return UNKNOWN if fen is None else format_wan(fen)


@register.filter
def tier_label(code: str | None) -> str:
    """Full Chinese name of a tier code (the certification tiers beyond the ladder, e.g. 科技型中小企业, too)."""
    from srdi.web.vocabulary import tier_name

    return tier_name(code)


@register.filter
def tier_short(code: str | None) -> str:
    """Short Chinese name of a tier code, for badges."""
    return TIER_SHORT.get(code or "", code or "")


@register.filter
def tier_badge(code: str | None) -> str:
    """CSS class of a tier badge."""
    return TIER_BADGES.get(code or "", "tier-none")


@register.filter
def ecosystem_label(code: str | None) -> str:
    """Chinese name of an ecosystem code, “未知” when none is recorded (null means unknown)."""
    return ECOSYSTEMS.get(code, code) if code else UNKNOWN


@register.filter
def size_label(code: str | None) -> str:
    """Chinese name of a size class, “未知” when not classified."""
    return SIZE_LABELS.get(code or "", UNKNOWN) if code else UNKNOWN


@register.filter
def alert_class(tags: str) -> str:
    """Bootstrap alert colour for a Django message level tag."""
    tag = (tags or "info").split()[-1]
    return MESSAGE_CLASSES.get(tag, tag)


@register.filter(name="label")
def vocabulary_label(code: Any, concern: str) -> str:
    """The Chinese label of a stored code (``{{ case.state|label:"case_state" }}``; ``srdi.web.vocabulary``)."""
    from srdi.web.vocabulary import label

    return label(concern, code)


@register.filter
def readable(value: Any) -> Any:
    """A recorded value with known codes shown as their labels (``srdi.web.vocabulary.readable``)."""
    from srdi.web.vocabulary import readable as readable_value

    return readable_value(value)
