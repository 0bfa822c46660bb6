"""The daily reminders: titles about to expire and reviews due, the annual data update, programme windows.

Use ``run_reminders(on)`` once a day (``srdi reminders``); ``dry_run=True`` says what would be sent and writes
nothing. Each reminder has a key naming its occasion (``ReminderSent.key``): a key already sent is skipped, so a
second run on the same day — or any later day while the occasion lasts — sends nothing new. Delivery goes through
``services.notify`` (the inbox) after the run's transaction commits; the run is audited as one event with the
counts per kind.

The kinds and their horizons (``on`` = the business day of the run):

- ``review_due``: a tier certification (创新型 / 专精特新 / 隐形冠军 / 小巨人) in force whose last valid day is
  at most ``EXPIRING_WITHIN_DAYS`` (90) days away — the status "即将到期" of ``domain.certifications`` — so its
  复核 is due; to the enterprise and the staff of its district.
- ``title_expiring``: a 资质称号 (e.g. 高新技术企业) whose ``valid_to`` is at most 90 days away; same recipients.
- ``data_update``: the annual data update of the cultivation platform (the deadline of the year from the
  lifecycle parameters: 31 May from 2026 in Zhejiang), from ``DATA_UPDATE_DAYS`` (30) days before it up to the
  deadline, for each enterprise holding a tier certification in force and with no update recorded for the year;
  to the enterprise, and one summary per district to its staff.
- ``window_opens`` / ``window_closes``: a programme whose application window opens or closes within
  ``WINDOW_DAYS`` (7) days (and not already closed); to city staff and to the staff of every district.
- ``target_off_track``: a target counted from the database whose target date is not yet past and whose
  projection (the cockpit's, ``programme_targets.progress``) falls short of the target value; to city staff,
  and for each district that lags behind its pro-rata share, to that district's staff with the district's
  figures. Once per target (and district) per calendar month.
- ``unit_report_late``: after the last ended quarter's report deadline (the quarter's last day,
  ``unit_reports.missing_reports``), each 责任单位 without a submitted report on one of its measures; to the
  unit's users (one reminder listing its measures; a unit without an active account is only named in the
  summary), and one summary to city staff. Once per unit and quarter.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from django.db import transaction
from django.db.models import Q

from srdi.db.models import AuditAction, Certification, DataUpdate, Programme, ReminderSent, Title, User
from srdi.domain.certifications import (
    DEFAULT_TERM_YEARS,
    EXPIRING_WITHIN_DAYS,
    anniversary,
    last_valid_day,
    period_status,
    status_on,
)
from srdi.domain.lifecycle import update_deadline
from srdi.domain.permissions import Permission, roles_with
from srdi.domain.reference import district_codes, district_name
from srdi.domain.rules.rulebook import load_library
from srdi.domain.unit_kpis import quarter_bounds, quarter_label
from srdi.services import audit
from srdi.services.notify import Message, notify
from srdi.services.programme_targets import progress, tier_label
from srdi.services.unit_reports import missing_reports

DATA_UPDATE_DAYS = 30
WINDOW_DAYS = 7


class Kind(StrEnum):
    """The kinds of reminder this module sends."""

    REVIEW_DUE = "review_due"
    TITLE_EXPIRING = "title_expiring"
    DATA_UPDATE = "data_update"
    WINDOW_OPENS = "window_opens"
    WINDOW_CLOSES = "window_closes"
    TARGET_OFF_TRACK = "target_off_track"
    UNIT_REPORT_LATE = "unit_report_late"

    @property
    def label(self) -> str:
        return {
            "review_due": "梯度认定即将到期（复核）",
            "title_expiring": "资质称号即将到期",
            "data_update": "年度数据更新",
            "window_opens": "申报即将开始",
            "window_closes": "申报即将截止",
            "target_off_track": "目标进度滞后",
            "unit_report_late": "责任单位季度报告逾期",
        }[self.value]


@dataclass(frozen=True)
class Reminder:
    """One reminder: its key (the occasion), kind and the messages it sends."""

    key: str
    kind: Kind
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class RunResult:
    """What a run found and sent: reminders due, sent now, skipped as already sent; messages per kind."""

    on: date
    dry_run: bool
    due: dict[Kind, int] = field(default_factory=dict)
    sent: dict[Kind, int] = field(default_factory=dict)
    already_sent: dict[Kind, int] = field(default_factory=dict)
    messages: dict[Kind, int] = field(default_factory=dict)
    reminders: tuple[Reminder, ...] = ()  # the reminders sent (or, in a dry run, that would be)

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())


def _to_holder(enterprise_id: int, district: str, title: str, body: str, url: str) -> tuple[Message, ...]:
    out = [Message(title, body, url, enterprise_id=enterprise_id)]
    if district:
        out.append(Message(title, body, url, district_code=district, audience="district_staff"))
    return tuple(out)


def review_due(on: date) -> Iterator[Reminder]:
    """Tier certifications in force whose last valid day is within 90 days: their review is due."""
    horizon = on + timedelta(days=EXPIRING_WITHIN_DAYS)
    # Candidates by stated expiry, or by the default term from recognition (a margin of two days either side).
    by_default = Q(
        expires_on__isnull=True,
        recognized_on__gte=anniversary(on, -DEFAULT_TERM_YEARS) - timedelta(days=2),
        recognized_on__lte=anniversary(horizon, -DEFAULT_TERM_YEARS) + timedelta(days=2),
    )
    candidates = (
        Certification.objects.filter(Q(expires_on__gte=on, expires_on__lte=horizon) | by_default)
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))
        .select_related("enterprise")
        .order_by("id")
    )
    for cert in candidates:
        if status_on(cert, on) != "expiring":
            continue
        last = last_valid_day(cert)
        ent = cert.enterprise
        title = f"{cert.get_tier_display()}认定将于{last:%Y年%m月%d日}到期，请及时申请复核"
        body = f"{ent.name or ent.uscc}（{ent.uscc}）的{cert.get_tier_display()}认定有效期至{last}，到期前请按规定申请复核。"
        yield Reminder(
            f"{Kind.REVIEW_DUE}:cert:{cert.pk}:{last}",
            Kind.REVIEW_DUE,
            _to_holder(ent.pk, ent.district_id or "", title, body, f"/enterprises/{ent.pk}/"),
        )


def title_expiring(on: date) -> Iterator[Reminder]:
    """资质称号 whose ``valid_to`` is within 90 days."""
    horizon = on + timedelta(days=EXPIRING_WITHIN_DAYS)
    rows = (
        Title.objects.filter(valid_to__gte=on, valid_to__lte=horizon)
        .select_related("enterprise")
        .order_by("id")
    )
    for row in rows:
        if period_status(row.valid_from, row.valid_to, on) != "expiring":
            continue
        ent = row.enterprise
        title = f"{row.get_kind_display()}将于{row.valid_to:%Y年%m月%d日}到期"
        body = f"{ent.name or ent.uscc}（{ent.uscc}）的{row.get_kind_display()}有效期至{row.valid_to}，请及时办理重新认定。"
        yield Reminder(
            f"{Kind.TITLE_EXPIRING}:title:{row.pk}:{row.valid_to}",
            Kind.TITLE_EXPIRING,
            _to_holder(ent.pk, ent.district_id or "", title, body, f"/enterprises/{ent.pk}/"),
        )


def data_update_deadline(year: int) -> date | None:
    """The annual data update deadline of ``year`` from the lifecycle parameters (None when no rule sets one)."""
    return update_deadline(load_library().common, year)


def data_update(on: date) -> Iterator[Reminder]:
    """Enterprises holding a tier title in force with no data update recorded for the year, before the deadline."""
    deadline = data_update_deadline(on.year)
    if deadline is None or not (deadline - timedelta(days=DATA_UPDATE_DAYS) <= on <= deadline):
        return
    updated = DataUpdate.objects.filter(year=on.year).values("enterprise_id")
    holders = (
        Certification.objects.filter(recognized_on__lte=on)
        .filter(Q(revoked_on__isnull=True) | Q(revoked_on__gt=on))
        .exclude(enterprise_id__in=updated)
        .select_related("enterprise")
        .order_by("enterprise_id", "id")
    )
    pending: dict[int, tuple[str, str, str]] = {}
    for cert in holders:
        if cert.enterprise_id in pending or status_on(cert, on) not in ("valid", "expiring"):
            continue
        ent = cert.enterprise
        pending[ent.pk] = (ent.name or ent.uscc, ent.uscc, ent.district_id or "")
    by_district: dict[str, int] = defaultdict(int)
    title = f"请于{deadline:%Y年%m月%d日}前完成{on.year}年度培育平台数据更新"
    for enterprise_id, (name, uscc, district) in pending.items():
        body = f"{name}（{uscc}）尚未完成{on.year}年度数据更新；逾期未更新将影响梯度称号的保留。"
        yield Reminder(
            f"{Kind.DATA_UPDATE}:enterprise:{enterprise_id}:{on.year}",
            Kind.DATA_UPDATE,
            (Message(title, body, f"/enterprises/{enterprise_id}/", enterprise_id=enterprise_id),),
        )
        if district:
            by_district[district] += 1
    for district, count in sorted(by_district.items()):
        yield Reminder(
            f"{Kind.DATA_UPDATE}:district:{district}:{on.year}",
            Kind.DATA_UPDATE,
            (
                Message(
                    f"{district_name(district)}有 {count} 家企业尚未完成{on.year}年度数据更新",
                    f"截止日期 {deadline}。",
                    "/enterprises/",
                    district_code=district,
                    audience="district_staff",
                ),
            ),
        )


def _to_city_and_districts(title: str, body: str, url: str) -> tuple[Message, ...]:
    return (
        Message(title, body, url, audience="city_staff"),
        *(
            Message(title, body, url, district_code=d, audience="district_staff")
            for d in sorted(district_codes())
        ),
    )


def programme_windows(on: date) -> Iterator[Reminder]:
    """Programmes whose window opens or closes within 7 days (a closed programme is left alone)."""
    horizon = on + timedelta(days=WINDOW_DAYS)
    live = Programme.objects.exclude(status=Programme.Status.CLOSED).order_by("id")
    for p in live.filter(opens_on__gte=on, opens_on__lte=horizon):
        yield Reminder(
            f"{Kind.WINDOW_OPENS}:programme:{p.pk}:{p.opens_on}",
            Kind.WINDOW_OPENS,
            _to_city_and_districts(
                f"{p.name}将于{p.opens_on:%Y年%m月%d日}开始受理",
                f"{p.name}（{p.code}）受理期 {p.opens_on} 至 {p.closes_on}。",
                f"/programmes/{p.pk}/",
            ),
        )
    for p in live.filter(closes_on__gte=on, closes_on__lte=horizon):
        yield Reminder(
            f"{Kind.WINDOW_CLOSES}:programme:{p.pk}:{p.closes_on}",
            Kind.WINDOW_CLOSES,
            _to_city_and_districts(
                f"{p.name}将于{p.closes_on:%Y年%m月%d日}截止受理",
                f"{p.name}（{p.code}）受理期 {p.opens_on} 至 {p.closes_on}。",
                f"/programmes/{p.pk}/",
            ),
        )


def targets_off_track(on: date) -> Iterator[Reminder]:
    """Targets whose projection falls short of the target at its date (target date not yet past): city staff,
    and the staff of each lagging district with its own figures; keys carry the month (once a month)."""
    month = f"{on:%Y-%m}"
    for t in progress(on).targets:
        proj = t.projection
        if not t.measured or proj is None or t.by is None or t.by < on or proj.on_track:
            continue
        url = "/cockpit/"
        title = f"{t.label}：按当前进度预计到{t.by:%Y年%m月%d日}达到 {proj.projected}，低于目标 {t.target}"
        lagging = t.lagging
        names = "、".join(d.name for d in lagging) or "无"
        body = (
            f"{t.pack_citation}：{tier_label(t.tier)}当前 {t.value}，目标 {t.target}（{t.by}）。{t.explanation}"
            f"落后区县：{names}。"
        )
        yield Reminder(
            f"{Kind.TARGET_OFF_TRACK}:{t.key}:city:{month}",
            Kind.TARGET_OFF_TRACK,
            (Message(title, body, url, audience="city_staff"),),
        )
        for d in lagging:
            if not d.code:  # enterprises without a recorded district have no district staff
                continue
            yield Reminder(
                f"{Kind.TARGET_OFF_TRACK}:{t.key}:{d.code}:{month}",
                Kind.TARGET_OFF_TRACK,
                (
                    Message(
                        f"{d.name}{t.label}进度落后：预计期末 {d.projected}，按比例应达 {d.share_of_target}",
                        f"{t.pack_citation}：{d.name}{tier_label(t.tier)}当前 {d.value}，"
                        f"{on.year - 2}年净增 {d.added_last_two_years[0]}、{on.year - 1}年净增 "
                        f"{d.added_last_two_years[1]}，预计到{t.by}达到 {d.projected}；"
                        f"按全市目标 {t.target} 和本区县现有占比应达 {d.share_of_target}。",
                        f"{url}?district={d.code}",
                        district_code=d.code,
                        audience="district_staff",
                    ),
                ),
            )


def last_ended_quarter(on: date) -> tuple[int, int]:
    """The latest quarter whose last day is before ``on`` (its reports are due by then)."""
    q = (on.month - 1) // 3 + 1
    return (on.year - 1, 4) if q == 1 else (on.year, q - 1)


def unit_reports_late(on: date) -> Iterator[Reminder]:
    """责任单位 without a submitted report on one of their measures for the last ended quarter: each unit's
    users (one reminder per unit listing the measures) and a summary to city staff; once per quarter."""
    year, quarter = last_ended_quarter(on)
    late = missing_reports(year, quarter, on)
    if not late:
        return
    label = quarter_label(year, quarter)
    deadline = quarter_bounds(year, quarter)[1]
    by_unit: dict[str, list[str]] = defaultdict(list)
    for m in late:
        by_unit[m.organisation].append(f"{m.measure.pack} 第{m.measure.article}条 {m.measure.title}")
    reporters = roles_with(Permission.UNIT_REPORT_FILE)
    users = defaultdict(list)
    for uid, org in User.objects.filter(role__in=reporters, is_active=True).values_list("id", "organisation"):
        users[(org or "").strip()].append(uid)
    url = f"/units/?year={year}&quarter={quarter}"
    for org, measures in sorted(by_unit.items()):
        if not users.get(org):  # no account yet: the city summary names it; its users hear once they exist
            continue
        title = f"{label}工作报告已逾期：尚有 {len(measures)} 项措施未提交"
        body = f"{org}：{label}的报告应在{deadline}前提交，以下措施尚未提交：" + "；".join(measures) + "。"
        yield Reminder(
            f"{Kind.UNIT_REPORT_LATE}:{org}:{year}Q{quarter}",
            Kind.UNIT_REPORT_LATE,
            tuple(Message(title, body, url, user_id=uid) for uid in users[org]),
        )
    summary = "；".join(f"{org} {len(ms)} 项" for org, ms in sorted(by_unit.items()))
    yield Reminder(
        f"{Kind.UNIT_REPORT_LATE}:city:{year}Q{quarter}",
        Kind.UNIT_REPORT_LATE,
        (
            Message(
                f"{label}责任单位报告：{len(by_unit)} 个单位共 {len(late)} 项未提交",
                f"截止 {deadline}。{summary}。",
                f"/units/overview/?year={year}&quarter={quarter}",
                audience="city_staff",
            ),
        ),
    )


def due_reminders(on: date) -> list[Reminder]:
    """Every reminder whose occasion holds on ``on`` (sent or not)."""
    return [
        *review_due(on),
        *title_expiring(on),
        *data_update(on),
        *programme_windows(on),
        *targets_off_track(on),
        *unit_reports_late(on),
    ]


def run_reminders(on: date, *, dry_run: bool = False) -> RunResult:
    """Send the reminders due on ``on`` that were not sent before; one audit event per run (none in a dry run)."""
    due = due_reminders(on)
    with transaction.atomic():
        known = set(ReminderSent.objects.filter(key__in=[r.key for r in due]).values_list("key", flat=True))
        new = [r for r in due if r.key not in known]
        if not dry_run:
            ReminderSent.objects.bulk_create(
                [ReminderSent(key=r.key, kind=r.kind, sent_on=on, recipients=len(r.messages)) for r in new]
            )
            for r in new:
                for message in r.messages:
                    notify(message)
        result = RunResult(
            on,
            dry_run,
            due=dict(Counter(r.kind for r in due)),
            sent=dict(Counter(r.kind for r in new)),
            already_sent=dict(Counter(r.kind for r in due if r.key in known)),
            messages=dict(Counter(r.kind for r in new for _ in r.messages)),
            reminders=tuple(new),
        )
        if not dry_run:
            audit.record(
                AuditAction.CREATE,
                None,
                object_type="reminders",
                object_id=str(on),
                object_repr=f"每日提醒 {on}：发送 {result.total_sent} 条",
                extra={
                    "on": str(on),
                    "sent": {str(k): v for k, v in result.sent.items()},
                    "already_sent": {str(k): v for k, v in result.already_sent.items()},
                    "messages": {str(k): v for k, v in result.messages.items()},
                },
            )
    return result
