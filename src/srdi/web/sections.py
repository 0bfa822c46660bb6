"""The sections of the enterprise page, in display order: each a template plus a function building its data.

To add a section (assessment, entitlements …) write ``templates/web/enterprise/_<key>.html`` and append a
``Section`` to ``ENTERPRISE_SECTIONS``; the page includes every section whose ``visible`` accepts the viewer.
A section's builder receives a ``PageContext`` and returns the variables its template uses (as ``data``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from srdi.db.models import Enterprise, User
from srdi.domain import choice_labels
from srdi.domain.money import format_wan
from srdi.services import scoping
from srdi.services.assessments import lifecycle_ends
from srdi.services.exports import stored_profile
from srdi.web import display
from srdi.web.assessment_display import assessment_view


@dataclass(frozen=True)
class PageContext:
    """What every section may use: the enterprise (already scope-checked), the viewer and the day."""

    enterprise: Enterprise
    user: User
    day: date
    reveal: bool = False
    as_of: date | None = None  # the date the assessment judges (None: the default reference date)
    purpose: str = "application"
    judged_error: str = ""  # why the requested date or purpose was not used

    @cached_property
    def stored_profile(self) -> dict[str, Any]:
        """The enterprise's profile as stored, read once for the sections that judge it (assessment, policy)."""
        return stored_profile(self.enterprise)


def _always(user: User) -> bool:
    return True


@dataclass(frozen=True)
class Section:
    """One part of the enterprise page."""

    key: str
    title: str
    template: str
    build: Callable[[PageContext], dict[str, Any]]
    visible: Callable[[User], bool] = _always


@dataclass(frozen=True)
class RenderedSection:
    """A section with its data, ready for ``{% include section.template with data=section.data %}``."""

    key: str
    title: str
    template: str
    data: dict[str, Any]


def _profile(ctx: PageContext) -> dict[str, Any]:
    return {"groups": display.profile_groups(ctx.enterprise)}


def _years(ctx: PageContext) -> dict[str, Any]:
    return {"table": display.year_table(list(ctx.enterprise.years.all()))}


def _timeline(ctx: PageContext) -> dict[str, Any]:
    e = ctx.enterprise
    certs = list(e.certifications.all())
    titles = list(e.titles.all())
    return {
        "entries": display.timeline(certs, titles, ctx.day, lifecycle_ends(e, ctx.day)),
        "day": ctx.day,
        "certifications_unknown": not e.certifications_known and not certs,
        "titles_unknown": not e.titles_known and not titles,
    }


def _achievements(ctx: PageContext) -> dict[str, Any]:
    e = ctx.enterprise
    awards = [
        {
            "level": display.label_of(choice_labels.AWARD_LEVELS, a.level),
            "kind": display.label_of(choice_labels.AWARD_KINDS, a.kind),
            "rank": a.rank,
            "date": a.date,
        }
        for a in e.awards.all()
    ]
    contests = [
        {
            "kind": display.label_of(choice_labels.CONTEST_KINDS, c.kind),
            "group": display.label_of(choice_labels.CONTEST_GROUPS, c.group),
            "date": c.date,
        }
        for c in e.contests.all()
    ]
    equity = [
        {
            "date": f.date,
            "amount": format_wan(f.amount_fen) if f.amount_fen is not None else display.UNKNOWN,
            "qualified": f.qualified_investor,
        }
        for f in e.equity_financings.all()
    ]
    return {
        "awards": awards,
        "awards_unknown": not e.awards_known and not awards,
        "contests": contests,
        "contests_unknown": not e.contests_known and not contests,
        "equity": equity,
        "equity_unknown": not e.equity_known and not equity,
    }


def _contacts(ctx: PageContext) -> dict[str, Any]:
    can_reveal = bool(scoping.can_reveal_personal_data(ctx.user))
    contacts = list(ctx.enterprise.contacts.all())
    return {
        "contacts": display.contact_rows(contacts, reveal=ctx.reveal and can_reveal),
        "revealed": ctx.reveal and can_reveal,
        "can_reveal": can_reveal and bool(contacts),
    }


def _assessment(ctx: PageContext) -> dict[str, Any]:
    data = assessment_view(ctx.enterprise, as_of=ctx.as_of, purpose=ctx.purpose, stored=ctx.stored_profile)
    data["judged_error"] = ctx.judged_error
    return data


def _provenance(ctx: PageContext) -> dict[str, Any]:
    e = ctx.enterprise
    return {"batch": e.source_batch, "recorded_by": e.recorded_by, "recorded_at": e.recorded_at}


ENTERPRISE_SECTIONS: list[Section] = [
    Section("profile", "企业画像", "web/enterprise/_profile.html", _profile),
    Section("years", "年度经营数据", "web/enterprise/_years.html", _years),
    Section("timeline", "梯度认定与资质称号", "web/enterprise/_timeline.html", _timeline),
    Section("assessment", "梯度评价与培育诊断", "web/enterprise/_assessment.html", _assessment),
    # Sections owned by other modules are inserted here: entitlements (policy) and cases (money).
    Section("achievements", "获奖、赛事与股权融资", "web/enterprise/_achievements.html", _achievements),
    Section("contacts", "联系人", "web/enterprise/_contacts.html", _contacts),
    Section("provenance", "数据来源", "web/enterprise/_provenance.html", _provenance),
]


def all_sections() -> list[Section]:
    """The page's sections: the core ones, then the policy and money sections after the assessment."""
    from srdi.web import sections_money, sections_policy

    core = list(ENTERPRISE_SECTIONS)
    at = next(i for i, s in enumerate(core) if s.key == "assessment") + 1
    return core[:at] + sections_policy.SECTIONS + sections_money.SECTIONS + core[at:]


def render_sections(ctx: PageContext) -> list[RenderedSection]:
    """Every visible section with its data."""
    return [
        RenderedSection(s.key, s.title, s.template, s.build(ctx))
        for s in all_sections()
        if s.visible(ctx.user)
    ]
