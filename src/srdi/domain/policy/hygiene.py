"""Pack and rulebook hygiene: what is in force on a day, and what is missing, doubtful, untested or about to end.

Use ``check(packs, library, day, programmes=, cases=)`` for the whole report behind ``srdi policy check`` and the
政策包体检 page: one ``SourceReport`` per policy pack and per tier rulebook (plus the rulebooks' common parameters),
each with its window, its status and typed ``Finding``s. ``pack_window_state`` is the one place that decides a
pack's status (the catalogue's 有效 / 已到期 / 未生效 / 有效期待公布 badge reads it), ``expiry_warnings`` the
catalogue's short expiry notes, and ``measure_parameter_ids`` / ``money_parameter_ids`` which parameters a
measure reads and which of them decide an amount.

Statuses: ``draft`` — not yet in force, or its window is declared but not set (hz25 while
``hz25.window.from``/``to`` are unset); ``in_force``; ``expired``. A pack's parameters are judged on the day
asked, clamped to its window (a pack not yet in force is judged on its first day, an expired one on its last),
so an expired pack still shows what it lacked and a draft pack what it will lack.

Severities: **BLOCKING** — a pack in force, or declared with its window unset, lacks a value that moves money
(unit fen, ratio, date, bands or mapping, a window end) which a money measure needs to compute an amount, and
that measure has a programme (申报批次) that is not closed: the programme cannot pay. **WARNING** — any other
unset money parameter of such a pack, an unset rulebook parameter in force, a value or reference marked
UNCONFIRMED, a parameter whose value in force ends within the horizon (90 days) with nothing after it, a pack or
rulebook whose window ends within the horizon. **INFO** — everything else: values from secondary sources, parts
of the text not found, measures without a YAML case, and every finding of an expired pack or rulebook.
Nothing here reads the database: the service passes in the packs in force and the open programmes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any

from srdi.domain.policy.model import Measure, Pack
from srdi.domain.policy.params import ParamSet
from srdi.domain.rules.model import Rulebook
from srdi.domain.rules.parameters import STATUSES, Parameter
from srdi.domain.rules.rulebook import Library

HORIZON_DAYS = 90
UNCONFIRMED_MARK = "UNCONFIRMED"
COMMON_ID = "rulebooks.common"


class Status(Enum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return {"draft": "草案/未生效", "in_force": "有效", "expired": "已到期"}[self.value]


class Severity(Enum):
    BLOCKING = "blocking"
    WARNING = "warning"
    INFO = "info"

    @property
    def label(self) -> str:
        return {"blocking": "阻断", "warning": "警告", "info": "提示"}[self.value]

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Kind(Enum):
    UNSET_PARAMETER = "unset_parameter"
    UNCONFIRMED = "unconfirmed"
    SECONDARY = "secondary"
    UNKNOWN_ITEM = "unknown_item"
    NO_CASES = "no_cases"
    PARAMETER_ENDS = "parameter_ends"
    WINDOW_ENDS = "window_ends"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    Kind.UNSET_PARAMETER: "参数未设定",
    Kind.UNCONFIRMED: "尚待确认",
    Kind.SECONDARY: "二手来源",
    Kind.UNKNOWN_ITEM: "尚未查得",
    Kind.NO_CASES: "缺少规则用例",
    Kind.PARAMETER_ENDS: "参数即将到期",
    Kind.WINDOW_ENDS: "有效期即将届满",
}


@dataclass(frozen=True)
class OpenProgramme:
    """A programme (申报批次) that is not closed: the measure it runs must be able to pay."""

    code: str
    name: str
    pack: str
    article: int

    @property
    def measure_id(self) -> str:
        return f"{self.pack}.{self.article}"


@dataclass(frozen=True)
class WindowState:
    """A pack's or rulebook's window and its status on ``day`` (ends None while unset or open-ended)."""

    day: date
    start: date | None
    end: date | None
    status: Status
    window_unset: bool = False  # declared by parameters that are not set yet (hz25)
    not_before: date | None = None  # a pack whose start is unset does not begin before its adoption

    @property
    def days_left(self) -> int | None:
        return None if self.end is None or self.day > self.end else (self.end - self.day).days

    @property
    def days_past(self) -> int | None:
        return None if self.end is None or self.day <= self.end else (self.day - self.end).days

    @property
    def active(self) -> bool:
        """In force, or declared with its window unset and already adopted: what it lacks matters now."""
        return self.status is Status.IN_FORCE or (self.window_unset and self.status is Status.DRAFT)

    def text(self) -> str:
        pending = "待公布" if self.window_unset else None
        return f"{self.start or pending or '—'} 至 {self.end or pending or '长期'}"


@dataclass(frozen=True)
class Finding:
    """One thing to fix or watch, with the parameter or measure it concerns and the programmes it blocks."""

    source: str
    kind: Kind
    severity: Severity
    message: str
    parameter: str = ""
    measure: str = ""
    programmes: tuple[str, ...] = ()
    until: date | None = None  # the day a value or a window ends (expiry findings)

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind.value,
            "severity": self.severity.value,
            "message": self.message,
            "parameter": self.parameter or None,
            "measure": self.measure or None,
            "programmes": list(self.programmes),
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class SourceReport:
    """One pack or rulebook: what it is, its window on the day, and its findings (most severe first)."""

    id: str
    kind: str  # pack | rulebook | common
    name: str
    window: WindowState
    findings: tuple[Finding, ...]

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def counts(self) -> dict[Severity, int]:
        return {s: self.count(s) for s in Severity}

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "status": self.window.status.value,
            "window_unset": self.window.window_unset,
            "window": {
                "from": self.window.start.isoformat() if self.window.start else None,
                "to": self.window.end.isoformat() if self.window.end else None,
            },
            "counts": {s.value: n for s, n in self.counts.items()},
            "findings": [f.as_json() for f in self.findings],
        }


@dataclass(frozen=True)
class Report:
    day: date
    horizon_days: int
    sources: tuple[SourceReport, ...] = field(default_factory=tuple)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.sources for f in s.findings]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.BLOCKING]

    @property
    def ok(self) -> bool:
        return not self.blocking

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.day.isoformat(),
            "horizon_days": self.horizon_days,
            "ok": self.ok,
            "counts": {s.value: sum(x.count(s) for x in self.sources) for s in Severity},
            "sources": [s.as_json() for s in self.sources],
        }


# ---- windows ---------------------------------------------------------------------------------------------


def pack_window(pack: Pack) -> tuple[date | None, date | None]:
    """The pack's window as it stands (its dates, or its window parameters' values; None while unset)."""
    return ParamSet.for_run((pack,)).window(pack)


def pack_window_state(pack: Pack, day: date) -> WindowState:
    """Draft (before its start, or before adoption while the start is unset, or adopted with its window unset),
    in force, or expired (after a known end)."""
    start, end = pack_window(pack)
    unset = pack.window_by_parameters and (start is None or end is None)
    if end is not None and day > end:
        status = Status.EXPIRED
    elif pack.in_window(day, (start, end)):
        status = Status.IN_FORCE
    else:
        status = Status.DRAFT
    not_yet = (start is not None and day < start) or (start is None and day < pack.issued)
    return WindowState(day, start, end, status, window_unset=unset and not not_yet, not_before=pack.issued)


def rulebook_window_state(rb: Rulebook, day: date) -> WindowState:
    """Draft before its validity starts; in force on its validity or a transition (a cohort's included);
    expired after its last day."""
    end = rb.last_day()
    if day < rb.valid_from:
        status = Status.DRAFT
    elif rb.valid_on(day) or any(t.covers(day, p) for t in rb.transitions for p in t.purposes):
        status = Status.IN_FORCE
    else:
        status = Status.EXPIRED
    return WindowState(day, rb.valid_from, end, status)


def pack_judged_on(pack: Pack, day: date) -> date:
    """The day a pack's parameters are judged for ``day``: the day itself, within the pack's window."""
    return _judged_on(pack_window_state(pack, day), pack.issued)


def parameter_day(pack: Pack, pid: str, day: date) -> date:
    """The day a pack's parameter is judged: a window end as on the adoption (``ParamSet.window`` reads it
    there), any other parameter on ``pack_judged_on``."""
    return pack.issued if pid in pack.window_params else pack_judged_on(pack, day)


def _judged_on(state: WindowState, fallback_start: date) -> date:
    """The day a source's values are judged: the day asked, within the window (its first or last day)."""
    day = state.day
    start = state.start or fallback_start
    if day < start:
        return start
    if state.end is not None and day > state.end:
        return state.end
    return day


def expiry_warnings(packs: tuple[Pack, ...], today: date, days: int = 60) -> list[str]:
    """Short notes for packs in force whose window ends within ``days`` of ``today`` (the end day included)."""
    out = []
    for p in packs:
        state = pack_window_state(p, today)
        left = state.days_left
        if state.status is Status.IN_FORCE and left is not None and left <= days:
            out.append(f"政策包 {p.id}（{p.document}）将于 {state.end} 到期，剩余 {left} 天")
    return out


# ---- which parameters a measure needs ----------------------------------------------------------------------


def measure_parameter_ids(pack: Pack, m: Measure) -> list[str]:
    """Every parameter a measure uses (amount, conditions, standing, caps, quotas, and its own ``<id>.*``)."""
    ids: set[str] = set(money_parameter_ids(pack, m, with_window=False))
    if m.selection_quota:
        ids.update(p for p in (m.selection_quota.param, m.selection_quota.period) if p)
    if m.annual_quota:
        ids.add(m.annual_quota)
    if m.standing:
        ids.update(c.param for c in m.standing.conditions if c.param)
        ids.update(m.standing.amount_params)
        ids.update(c.param for c in m.standing.parts if c.param)
    ids.update(pid for pid in pack.parameters if pid.startswith(f"{m.id}."))
    return [pid for pid in pack.parameters if pid in ids]


# Units whose values are amounts, rates, caps, shares, dates or tables.
MONEY_UNITS = frozenset({"fen", "ratio", "date", "bands", "mapping"})


def moves_money(pack: Pack, pid: str, param: Parameter) -> bool:
    """Whether a change to the parameter can change how much is paid: a money unit (amount, rate, cap, share, date,
    table), a window end of the pack, a fiscal share, or any parameter a money measure reads — who qualifies for
    it, its quotas, periods and terms (``hz81.3.tiers``, ``hz81.7.scenes_per_year``, ``hz81.17.max_term_months``).
    Such a change is approved only by a holder of ``parameter.approve``, and ``srdi policy check`` weighs it."""
    if param.unit in MONEY_UNITS or pid in pack.window_params or pid.startswith("fiscal_share."):
        return True
    return any(m.is_money and pid in measure_parameter_ids(pack, m) for m in pack.measures)


def money_parameter_ids(pack: Pack, m: Measure, *, with_window: bool = True) -> list[str]:
    """The parameters without which the measure cannot compute an amount: its amount, its event conditions, its
    annual pool, the amounts of a money standing measure paid without events, and the pack's window ends."""
    ids: set[str] = set()
    if m.amount:
        ids.update(m.amount.parameter_ids())
    ids.update(c.param for c in m.conditions if c.param)
    if m.annual_cap:
        ids.add(m.annual_cap.param)
    if m.standing and m.amount is None and m.standing.outcome == "money":
        ids.update(m.standing.amount_params)
    if with_window and m.is_money:
        ids.update(p for p in pack.window_params if p)
    return [pid for pid in pack.parameters if pid in ids]


def unset_on(param: Parameter, day: date) -> bool:
    """No value in force on ``day`` (no period covers it, or the period's value is not published)."""
    resolved = param.at(day)
    return resolved is None or resolved.value is None


def case_cites(tests: str, m: Measure) -> bool:
    """Whether a YAML case's ``tests`` text names the measure: its reference (``若干措施（一）``), or — for a
    measure cited by article (``第9条``) — that article among the ``第N条`` it lists (``81号 第9条、第22条``)."""
    if m.reference in tests:
        return True
    if m.label == f"第{m.article}条":
        return m.article in {int(a) for a in re.findall(r"第(\d+)条", tests)}
    return False


# ---- the check ----------------------------------------------------------------------------------------------


def doubt(param: Parameter, day: date) -> Kind | None:
    """UNCONFIRMED (status ``unconfirmed``, or its label, reference or note says UNCONFIRMED) or SECONDARY, for
    the value in force on ``day`` (a value the bureau approved is official); None when neither."""
    resolved = param.at(day)
    resolved_status = resolved.status if resolved is not None else param.status
    text = f"{param.label} {param.reference} {param.note}"
    if resolved_status == "unconfirmed" or UNCONFIRMED_MARK in text:
        return Kind.UNCONFIRMED
    if resolved_status == "secondary":
        return Kind.SECONDARY
    return None


def _ends_soon(param: Parameter, day: date, horizon: int) -> date | None:
    """The end of the value in force on ``day`` when it ends within ``horizon`` days with nothing after it."""
    resolved = param.at(day)
    if resolved is None or resolved.value is None or resolved.effective_to is None:
        return None
    end = resolved.effective_to
    if (end - day).days > horizon or param.at(end + timedelta(days=1)) is not None:
        return None
    return end


UnsetSeverity = Callable[[str, Parameter], tuple[Severity, tuple[str, ...]]]


def _parameter_findings(
    source: str,
    params: Iterable[tuple[str, Parameter]],
    on: date,
    state: WindowState,
    horizon: int,
    unset_severity: UnsetSeverity,
    measure_of: Mapping[str, str],
) -> list[Finding]:
    """Unset, doubtful and expiring parameters; ``unset_severity(pid, param)`` gives an unset one's severity
    and the programmes it blocks."""
    out: list[Finding] = []
    live = state.status is not Status.EXPIRED
    for pid, param in params:
        measure = measure_of.get(pid, "")
        if unset_on(param, on):
            severity, blocked = unset_severity(pid, param)
            extra = f"，阻断申报批次 {'、'.join(blocked)}" if blocked else ""
            status = STATUSES.get(param.status, param.status)
            out.append(
                Finding(
                    source,
                    Kind.UNSET_PARAMETER,
                    severity,
                    f"{pid}（{param.label}）在 {on} 没有取值（{status}；出处：{param.reference}）{extra}",
                    parameter=pid,
                    measure=measure,
                    programmes=blocked,
                )
            )
            continue
        kind = doubt(param, on)
        if kind is Kind.UNCONFIRMED:
            out.append(
                Finding(
                    source,
                    kind,
                    Severity.WARNING if live else Severity.INFO,
                    f"{pid}（{param.label}）的取值或出处尚待确认：{param.reference}"
                    + (f"；{param.note}" if param.note else ""),
                    parameter=pid,
                    measure=measure,
                )
            )
        elif kind is Kind.SECONDARY:
            out.append(
                Finding(
                    source,
                    kind,
                    Severity.INFO,
                    f"{pid}（{param.label}）取自二手来源，待核对原文：{param.reference}",
                    parameter=pid,
                    measure=measure,
                )
            )
        end = _ends_soon(param, on, horizon) if live else None
        if end is not None:
            out.append(
                Finding(
                    source,
                    Kind.PARAMETER_ENDS,
                    Severity.WARNING,
                    f"{pid}（{param.label}）的现行取值于 {end} 到期（剩余 {(end - on).days} 天），其后没有取值",
                    parameter=pid,
                    measure=measure,
                    until=end,
                )
            )
    return out


def _window_ends(source: str, name: str, state: WindowState, horizon: int) -> list[Finding]:
    left = state.days_left
    if state.status is not Status.IN_FORCE or left is None or left > horizon:
        return []
    return [
        Finding(
            source,
            Kind.WINDOW_ENDS,
            Severity.WARNING,
            f"{name} 的有效期于 {state.end} 届满（剩余 {left} 天）",
            until=state.end,
        )
    ]


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    # stable: within a severity and kind, the order the pack or rulebook declares its parameters and measures
    return tuple(sorted(findings, key=lambda f: (f.severity.rank, list(Kind).index(f.kind))))


def pack_report(
    pack: Pack,
    day: date,
    *,
    programmes: Iterable[OpenProgramme] = (),
    cases: Iterable[str] | None = None,
    horizon: int = HORIZON_DAYS,
) -> SourceReport:
    """One pack's window, status and findings (``cases``: the ``tests`` texts of its YAML cases; None skips the
    case check, e.g. for a pack without a case folder of its own)."""
    state = pack_window_state(pack, day)
    on = pack_judged_on(pack, day)
    name = f"{pack.document}《{pack.title}》" if pack.document_known else f"《{pack.title}》"
    programmes = [p for p in programmes if p.pack == pack.id]
    money_of: dict[str, list[Measure]] = {}
    measure_of: dict[str, str] = {}
    for m in pack.measures:
        for pid in measure_parameter_ids(pack, m):
            measure_of.setdefault(pid, m.id)
        if m.is_money:
            for pid in money_parameter_ids(pack, m):
                money_of.setdefault(pid, []).append(m)
    window_pids = {p for p in pack.window_params if p}

    def unset_severity(pid: str, param: Parameter) -> tuple[Severity, tuple[str, ...]]:
        if not state.active or not moves_money(pack, pid, param):
            return Severity.INFO, ()
        needing = {m.id for m in money_of.get(pid, [])}
        blocked = tuple(sorted(p.code for p in programmes if p.measure_id in needing))
        return (Severity.BLOCKING, blocked) if blocked else (Severity.WARNING, ())

    params = [(pid, p) for pid, p in pack.parameters.items() if not pid.startswith("fiscal_share.")]
    # A window end is read as on the day of adoption (``ParamSet.window``): judge those parameters there.
    findings = _parameter_findings(
        pack.id,
        [(pid, p) for pid, p in params if pid not in window_pids],
        on,
        state,
        horizon,
        unset_severity,
        measure_of,
    )
    findings += _parameter_findings(
        pack.id,
        [(pid, p) for pid, p in params if pid in window_pids],
        parameter_day(pack, next(iter(window_pids), ""), day),
        state,
        horizon,
        unset_severity,
        {pid: "" for pid in window_pids},
    )
    findings += _window_ends(pack.id, name, state, horizon)
    info = Severity.INFO
    if pack.source_status != "official":
        status = STATUSES.get(pack.source_status, pack.source_status)
        findings.append(
            Finding(pack.id, Kind.SECONDARY, info, f"政策文本来源：{status}（{'；'.join(pack.sources)}）")
        )
    for u in pack.unknown:
        findings.append(Finding(pack.id, Kind.UNKNOWN_ITEM, info, f"尚未查得：{u.item}。{u.note}".strip()))
    if cases is not None:
        texts = list(cases)
        for m in pack.measures:
            if not any(case_cites(t, m) for t in texts):
                findings.append(
                    Finding(
                        pack.id,
                        Kind.NO_CASES,
                        info,
                        f"{m.label}（{m.title}）没有引用它的 YAML 规则用例（policies/{pack.id}/cases/）",
                        measure=m.id,
                    )
                )
    return SourceReport(pack.id, "pack", name, state, _sorted(findings))


def rulebook_report(
    rb: Rulebook, day: date, common: Mapping[str, Parameter], horizon: int = HORIZON_DAYS
) -> SourceReport:
    """One tier rulebook: its validity (transitions included), its own parameters, doubtful checks and
    transitions, and its end within the horizon."""
    state = rulebook_window_state(rb, day)
    on = _judged_on(state, rb.valid_from)
    live = state.status is not Status.EXPIRED

    def unset_severity(pid: str, param: Parameter) -> tuple[Severity, tuple[str, ...]]:
        return (Severity.WARNING if state.status is Status.IN_FORCE else Severity.INFO), ()

    own = [(pid, p) for pid, p in rb.parameters.items() if pid not in common]
    findings = _parameter_findings(rb.id, own, on, state, horizon, unset_severity, {})
    findings += _window_ends(rb.id, f"规则库 {rb.id}", state, horizon)
    for t in rb.transitions:
        if t.status in ("secondary", "unconfirmed"):
            findings.append(
                Finding(
                    rb.id,
                    Kind.UNCONFIRMED if t.status == "unconfirmed" else Kind.SECONDARY,
                    Severity.WARNING if t.status == "unconfirmed" and live else Severity.INFO,
                    f"过渡期 {t.start} 至 {t.end or '长期'}（{STATUSES[t.status]}）：{t.reference}",
                )
            )
    for c in (*rb.checks, *rb.manual):
        if UNCONFIRMED_MARK in f"{c.label} {c.reference} {c.note}":
            findings.append(
                Finding(
                    rb.id,
                    Kind.UNCONFIRMED,
                    Severity.WARNING if live else Severity.INFO,
                    f"条件“{c.label}”尚待确认：{c.reference}",
                )
            )
    return SourceReport(rb.id, "rulebook", f"{rb.title}（{rb.document}）", state, _sorted(findings))


def common_report(common: Mapping[str, Parameter], day: date, horizon: int = HORIZON_DAYS) -> SourceReport:
    """The rulebooks' shared parameters (band boundaries, title validity, lifecycle rules)."""
    state = WindowState(day, None, None, Status.IN_FORCE)
    findings = _parameter_findings(
        COMMON_ID, common.items(), day, state, horizon, lambda pid, p: (Severity.WARNING, ()), {}
    )
    return SourceReport(
        COMMON_ID, "common", "规则库公共参数（rulebooks/common.yaml）", state, _sorted(findings)
    )


def check(
    packs: tuple[Pack, ...],
    library: Library | None,
    day: date,
    *,
    programmes: Iterable[OpenProgramme] = (),
    cases: Mapping[str, Iterable[str]] | None = None,
    horizon: int = HORIZON_DAYS,
) -> Report:
    """Every pack (as in force, with approved changes), then every rulebook, judged on ``day``."""
    programmes = tuple(programmes)
    cases = cases or {}
    sources = [
        pack_report(p, day, programmes=programmes, cases=cases.get(p.id), horizon=horizon) for p in packs
    ]
    if library is not None:
        sources += [rulebook_report(rb, day, library.common, horizon) for rb in library.rulebooks]
        sources.append(common_report(library.common, day, horizon))
    return Report(day, horizon, tuple(sources))
