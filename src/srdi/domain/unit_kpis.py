"""What a responsible unit (责任单位) reports each quarter: the KPIs of the work measures and the kinds of event.

Use ``kpis_for(pack, article)`` for the KPI numbers a measure's quarterly report carries, ``EVENT_KINDS`` for the
events register (活动登记), and ``quarter_bounds`` / ``quarter_of`` for the reporting quarters. Pure data, no Django.

A KPI's ``source`` says where its number comes from, so nothing is counted twice:
- ``events``: computed from the events register — the count of events of ``event_kind`` (``measure="count"``),
  or the sum of their person-times (``"person_times"``) or enterprises reached (``"enterprises"``);
- ``report``: typed by the unit into its quarterly report (a non-negative integer).

The KPIs follow the work the measures of 杭政办函〔2023〕81号 ask of the bureau and the named 责任单位
(``src/srdi/policies/hz81/measures.yaml``): 第6条 组织揭榜挂帅; 第7条 新产品（首创场景）发布; 第8条 三年内实现小巨人
企业 ISO56005 实施试点全覆盖; 第10条 组织链主与专精特新企业对接; 第20条 卓越工程师与企业家培训; 第24条 助企服务全覆盖
（服务专员联系企业）; 第26条 专精特新企业发展大会. Every other measure with responsible units is reported by narrative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class EventKind(StrEnum):
    """A kind of event in the register (the values are stored)."""

    TRAINING = "training"
    MATCHMAKING = "matchmaking"
    LAUNCH = "launch"
    CONFERENCE = "conference"
    JIEBANG = "jiebang"
    ISO_PILOT = "iso_pilot"

    @property
    def label(self) -> str:
        return EVENT_KIND_LABELS[self]


EVENT_KIND_LABELS = {
    EventKind.TRAINING: "培训",
    EventKind.MATCHMAKING: "对接活动",
    EventKind.LAUNCH: "发布活动",
    EventKind.CONFERENCE: "大会",
    EventKind.JIEBANG: "揭榜挂帅",
    EventKind.ISO_PILOT: "ISO 56005 试点",
}


class KpiSource(StrEnum):
    EVENTS = "events"
    REPORT = "report"


@dataclass(frozen=True)
class Kpi:
    """One KPI number of a measure: its key (stored in reports), label, unit and where the number comes from."""

    key: str
    label: str
    unit: str
    source: KpiSource
    event_kind: EventKind | None = None
    measure: str = "count"  # for ``events``: "count", "person_times" or "enterprises"
    cite: str = ""


def _ev(key: str, label: str, unit: str, kind: EventKind, measure: str, cite: str) -> Kpi:
    return Kpi(key, label, unit, KpiSource.EVENTS, kind, measure, cite)


def _rep(key: str, label: str, unit: str, cite: str) -> Kpi:
    return Kpi(key, label, unit, KpiSource.REPORT, cite=cite)


# (pack, article) → the KPIs its quarterly report shows.
KPIS: dict[tuple[str, int], tuple[Kpi, ...]] = {
    ("hz81", 6): (
        _ev("jiebang_rounds", "揭榜挂帅轮次", "轮", EventKind.JIEBANG, "count", "81号第6条 组织揭榜挂帅"),
        _ev("jiebang_enterprises", "参与揭榜企业", "家", EventKind.JIEBANG, "enterprises", "81号第6条"),
    ),
    ("hz81", 7): (
        _ev("launch_events", "新产品（场景）发布活动", "场", EventKind.LAUNCH, "count", "81号第7条"),
        _ev("launch_enterprises", "参与发布企业", "家", EventKind.LAUNCH, "enterprises", "81号第7条"),
    ),
    ("hz81", 8): (
        _ev("iso_pilot_rounds", "ISO 56005 试点启动", "批", EventKind.ISO_PILOT, "count", "81号第8条"),
        _ev(
            "iso_pilot_enterprises",
            "ISO 56005 试点企业",
            "家",
            EventKind.ISO_PILOT,
            "enterprises",
            "81号第8条 小巨人企业ISO56005试点全覆盖",
        ),
    ),
    ("hz81", 10): (
        _ev("matchmaking_events", "链主对接活动", "场", EventKind.MATCHMAKING, "count", "81号第10条"),
        _ev("matchmaking_enterprises", "对接企业", "家", EventKind.MATCHMAKING, "enterprises", "81号第10条"),
    ),
    ("hz81", 20): (
        _ev("trainings", "培训场次", "场", EventKind.TRAINING, "count", "81号第20条 卓越工程师与企业家培育"),
        _ev("training_person_times", "培训人次", "人次", EventKind.TRAINING, "person_times", "81号第20条"),
    ),
    ("hz81", 24): (
        _rep("service_contact_enterprises", "服务专员联系覆盖企业", "家", "81号第24条 助企服务全覆盖"),
        _rep("service_visits", "走访服务次数", "次", "81号第24条"),
    ),
    ("hz81", 26): (
        _ev(
            "conferences", "发展大会", "场", EventKind.CONFERENCE, "count", "81号第26条 专精特新企业发展大会"
        ),
        _ev(
            "conference_person_times",
            "大会参会人次",
            "人次",
            EventKind.CONFERENCE,
            "person_times",
            "81号第26条",
        ),
    ),
}


def kpis_for(pack: str, article: int) -> tuple[Kpi, ...]:
    """The KPIs of a measure (empty: the report is a narrative only)."""
    return KPIS.get((pack, article), ())


def reported_kpis(pack: str, article: int) -> tuple[Kpi, ...]:
    """The KPIs the unit types into its report."""
    return tuple(k for k in kpis_for(pack, article) if k.source is KpiSource.REPORT)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of the quarter (1–4)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError("季度应为 1 到 4")
    if not 1 <= year <= 9998:
        raise ValueError("年度超出范围")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def quarter_of(day: date) -> tuple[int, int]:
    """(year, quarter) of a day."""
    return day.year, (day.month - 1) // 3 + 1


def last_ended_quarter(today: date) -> tuple[int, int]:
    """(year, quarter) of the last quarter that ended before ``today`` (the one whose report is due)."""
    year, quarter = quarter_of(today)
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


def quarter_label(year: int, quarter: int) -> str:
    return f"{year}年第{quarter}季度"
