"""What the screening page shows, always limited to the viewer's scope: counts, changes, candidates, exports.

Every query here starts from the stored rows of one ``AssessmentRun`` restricted to
``scoping.enterprises_for(user)`` (through ``services.enterprises.search``), so a district's staff see and
export their district only, whatever the filters say; counts and changes are recomputed from those rows
rather than read from the run's city-wide totals. ``can_view_screening`` / ``can_run_screening`` decide who
may open the page and who may start a whole-city run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Case, F, Q, QuerySet, Value, When

from srdi.db.models import AssessmentRun, Enterprise, EnterpriseAssessment, User
from srdi.db.models.assessments import TIER_FIELDS
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import ECOSYSTEMS, TIERS
from srdi.domain.verdict import Verdict, deny
from srdi.services import enterprises, scoping, screening_aggregates
from srdi.services.scoping import sees_all_districts
from srdi.web.forms import ScreeningFilterForm
from srdi.web.labels import TIER_SHORT
from srdi.web.vocabulary import tier_name

STATUSES = {"eligible": "符合", "needs_data": "需补充数据", "ineligible": "不符合"}
NOT_DUE_LABEL = "不在本次复核范围"  # review runs: no title of the tier expiring in the period
STATUS_COLORS = {"eligible": "#1f8a4c", "needs_data": "#e0a800", "ineligible": "#aab2c0"}
COHORTS = {"eligible_next": "符合下一层级", "seedling": "苗子企业", "one_firm_one_policy": "一企一策"}
GRADES = ("A", "B", "C", "D")
EXPIRING_SHOWN = 100


def can_view_screening(user: User) -> Verdict:
    """City staff and auditors (whole city) and district staff (their district) use the screening page."""
    verdict = scoping.can(user, Permission.SCREENING_VIEW)
    if verdict and user.scope is Scope.DISTRICT and not user.district_id:
        return deny("账号未设置所属区县", "no_district")
    return verdict


def can_run_screening(user: User) -> Verdict:
    """Only city staff and administrators start a whole-city screening."""
    return scoping.can(user, Permission.SCREENING_RUN)


previous_run = screening_aggregates.previous_run
_was_eligible = screening_aggregates.was_eligible


def _change_filter(
    qs: QuerySet[EnterpriseAssessment], run: AssessmentRun, change: str
) -> QuerySet[EnterpriseAssessment]:
    kind, _, tier = change.partition(":")
    if tier not in TIERS:
        return qs
    previous = previous_run(run)
    if previous is None:
        return qs.none()
    was = _was_eligible(previous, tier)
    now = Q(**{f"{tier}_status": "eligible"})
    if kind == "newly":
        return qs.filter(now).exclude(was)
    return qs.filter(was).exclude(now)


def scoped_rows(user: User, run: AssessmentRun, **filters: Any) -> QuerySet[EnterpriseAssessment]:
    """The run's rows for enterprises the user may read (``filters`` as in ``enterprises.search``)."""
    visible = enterprises.search(user, **filters).order_by()
    return EnterpriseAssessment.objects.filter(run=run, enterprise__in=visible.values("pk"))


@dataclass
class ScreeningSearch:
    """The bound filter form and the filtered, ordered rows."""

    form: ScreeningFilterForm
    queryset: QuerySet[EnterpriseAssessment]

    @property
    def active(self) -> bool:
        return bool(self.form.is_bound and any(self.form.cleaned_data.get(k) for k in self.form.fields))


def search_rows(user: User, run: AssessmentRun, params: Mapping[str, Any]) -> ScreeningSearch:
    """Rows in scope matching ``params``; an invalid filter value is ignored (the form says why)."""
    form = ScreeningFilterForm(params or None, show_district=sees_all_districts(user))
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
    qs = scoped_rows(
        user,
        run,
        q=data.get("q") or None,
        district=data.get("district") or None,
        ecosystem=data.get("ecosystem") or None,
    )
    tier, status = data.get("tier"), data.get("status")
    if tier and status:
        qs = qs.filter(**{f"{tier}_status": status})
    elif status:  # any tier with that conclusion
        any_tier = Q()
        for t in TIER_FIELDS:
            any_tier |= Q(**{f"{t}_status": status})
        qs = qs.filter(any_tier)
    if data.get("cohort") in COHORTS:
        qs = qs.filter(**{data["cohort"]: True})
    grade = data.get("grade")
    if grade == "none":
        qs = qs.filter(grade__isnull=True)
    elif grade:
        qs = qs.filter(grade=grade)
    if data.get("change"):
        qs = _change_filter(qs, run, data["change"])
    ordering: list[Any] = []
    if tier:  # that tier's eligible first, then needs-data, then the rest; higher scores first
        rank = Case(
            When(**{f"{tier}_status": "eligible"}, then=Value(0)),
            When(**{f"{tier}_status": "needs_data"}, then=Value(1)),
            default=Value(2),
        )
        ordering += [rank.asc(), F(f"{tier}_score").desc(nulls_last=True)]
    ordering += [F("grade").asc(nulls_last=True), "enterprise__name", "enterprise__uscc"]
    qs = qs.select_related("enterprise", "enterprise__district").order_by(*ordering)
    return ScreeningSearch(form, qs)


def page_window(
    rows: QuerySet[EnterpriseAssessment], counts: Mapping[str, Any], bottom: int, top: int
) -> QuerySet[EnterpriseAssessment]:
    """``rows[bottom:top]`` of the unfiltered, default-ordered rows (grade, then name and USCC), read from one
    grade's rows when the window lies within one grade (``counts`` are those rows' figures): the same rows,
    but the database sorts one grade (at 100,000 enterprises 5,000–34,000 rows) instead of all of them."""
    grades = [(g["grade"], int(g["count"])) for g in counts["grades"]]
    sizes = [*grades, (None, int(counts["total"]) - sum(n for _, n in grades))]
    start = 0
    for grade, size in sizes:
        if start <= bottom and top <= start + size:
            one = rows.filter(grade__isnull=True) if grade is None else rows.filter(grade=grade)
            return one[bottom - start : top - start]
        start += size
    return rows[bottom:top]


def status_counts(rows: QuerySet[EnterpriseAssessment]) -> dict[str, Any]:
    """Per tier and status, per grade, per cohort: the number of rows (one query)."""
    return _format_counts(rows.order_by().aggregate(**screening_aggregates.aggregate_expressions()))


def _stored_district(user: User) -> str | None:
    """Which stored figures are the user's scope: ``ALL``, a district, or None (count live)."""
    if sees_all_districts(user) and user.can(Permission.ENTERPRISE_READ):
        return screening_aggregates.ALL
    if user.scope is Scope.DISTRICT and user.district_id and user.can(Permission.ENTERPRISE_READ):
        return str(user.district_id)
    return None


def scope_counts(user: User, run: AssessmentRun) -> dict[str, Any]:
    """``status_counts`` of the user's scope: from the figures stored with the run (city, district)."""
    district = _stored_district(user)
    if district is None:
        return status_counts(scoped_rows(user, run))
    return _format_counts(screening_aggregates.counts_for(run, district))


def _format_counts(raw: Mapping[str, int]) -> dict[str, Any]:
    return {
        "total": raw["total"],
        "tiers": [
            {
                "code": t,
                "label": TIERS[t],
                "short": TIER_SHORT[t],
                **{s: raw[f"{t}:{s}"] for s in STATUSES},
            }
            for t in TIER_FIELDS
        ],
        "grades": [{"grade": g, "count": raw[f"grade:{g}"]} for g in GRADES],
        "cohorts": [{"code": c, "label": label, "count": raw[f"cohort:{c}"]} for c, label in COHORTS.items()],
    }


def tier_chart(counts: dict[str, Any], base_url: str) -> dict[str, Any]:
    """Stacked bars per tier (符合 / 需补充数据 / 不符合), each bar linking to the filtered table."""
    tiers = counts["tiers"]
    return {
        "labels": [t["short"] for t in tiers],
        "series": [
            {
                "name": label,
                "color": STATUS_COLORS[s],
                "values": [t[s] for t in tiers],
                "links": [f"{base_url}?tier={t['code']}&status={s}#candidates" for t in tiers],
            }
            for s, label in STATUSES.items()
        ],
    }


def changes(user: User, run: AssessmentRun) -> dict[str, Any] | None:
    """Per tier, how many enterprises in scope became / stopped being eligible since the previous run."""
    previous = previous_run(run)
    if previous is None:
        return None
    district = _stored_district(user)
    if district is not None:
        raw = screening_aggregates.counts_for(run, district)
    else:
        rows = scoped_rows(user, run).annotate(**screening_aggregates.change_annotations(previous))
        raw = rows.order_by().aggregate(**screening_aggregates.change_expressions())
    return {
        "previous": previous,
        "tiers": [
            {"code": t, "label": TIERS[t], "newly": raw[f"newly:{t}"], "lost": raw[f"lost:{t}"]}
            for t in TIER_FIELDS
        ],
    }


def expiring(user: User, run: AssessmentRun) -> dict[str, Any]:
    """Certifications expiring within 90 days of the run's reference date, for enterprises in scope."""
    listed = run.changes.get("expiring_within_90_days") or []
    usccs = {item.get("uscc") for item in listed}
    visible = {
        e.uscc: e
        for e in scoping.enterprises_for(user)
        .filter(uscc__in=usccs)
        .select_related("district")
        .only("pk", "uscc", "name", "district__name")
    }
    items = [
        {
            "enterprise": visible[item["uscc"]],
            "tier": item.get("tier"),
            "tier_label": tier_name(item.get("tier")),
            "expires_on": item.get("expires_on"),
        }
        for item in listed
        if item.get("uscc") in visible
    ]
    return {"items": items[:EXPIRING_SHOWN], "count": len(items), "shown": min(len(items), EXPIRING_SHOWN)}


# ---- table ----------------------------------------------------------------------------------------------

TIER_COLUMNS = {
    "innovative_sme": "创新型",
    "srdi_sme": "专精特新",
    "hidden_champion": "隐形冠军",
    "little_giant": "小巨人",
}
STATUS_CLASSES = {
    "eligible": "st-eligible",
    "ineligible": "st-ineligible",
    "needs_data": "st-needs-data",
    "not_due": "st-not-due",
}
STATUS_SHORT = {"eligible": "符合", "ineligible": "不符合", "needs_data": "待补数据", "not_due": "—"}


def table_row(row: EnterpriseAssessment) -> dict[str, Any]:
    """One line of the candidates table."""
    tiers = []
    for t in TIER_FIELDS:
        status = getattr(row, f"{t}_status")
        tiers.append(
            {
                "code": t,
                "status": status,
                "label": STATUS_SHORT.get(status, status),
                "title": f"{TIERS[t]}：{NOT_DUE_LABEL if status == 'not_due' else STATUSES.get(status, status)}",
                "class": STATUS_CLASSES.get(status, ""),
                "score": getattr(row, f"{t}_score"),
            }
        )
    cohorts = [{"code": code, "label": label} for code, label in COHORTS.items() if getattr(row, code)]
    return {"enterprise": row.enterprise, "tiers": tiers, "grade": row.grade, "cohorts": cohorts}


# ---- export --------------------------------------------------------------------------------------------

DIMENSION_COLUMNS = {
    "zhuan": "专",
    "jing": "精",
    "te": "特",
    "xin": "新",
    "lian": "链",
    "pin": "品",
}
EXPORT_COLUMNS = [
    "统一社会信用代码",
    "企业名称",
    "区县",
    "产业生态圈",
    *[f"{TIERS[t]}{suffix}" for t in TIER_FIELDS for suffix in ("·结论", "·得分", "·路径")],
    "综合等级",
    *[f"六维指数·{label}" for label in DIMENSION_COLUMNS.values()],
    "梯度位置",
    "下一层级",
    "下一层级条件满足比例",
    "符合下一层级",
    "苗子企业",
    "一企一策",
    "评价基准日",
]
ROUTES = {"score": "评分/一般性条件", "direct": "直通条件"}
LADDER = {"none": "无有效梯度称号", **TIERS}


def export_row(row: EnterpriseAssessment, as_of: date) -> dict[str, Any]:
    """One exported line, Chinese headers; unknown values stay empty (never 0); the reference day a date cell."""
    e: Enterprise = row.enterprise
    out: dict[str, Any] = {
        "统一社会信用代码": e.uscc,
        "企业名称": e.name,
        "区县": e.district.name if e.district else None,
        "产业生态圈": ECOSYSTEMS.get(e.ecosystem or "") if e.ecosystem else None,
        "综合等级": row.grade,
        "梯度位置": LADDER.get(row.ladder or "", row.ladder) if row.ladder else None,
        "下一层级": TIERS.get(row.next_tier or "", row.next_tier) if row.next_tier else None,
        "下一层级条件满足比例": (
            f"{round(row.next_tier_progress * 100)}%" if row.next_tier_progress is not None else None
        ),
        "符合下一层级": row.eligible_next,
        "苗子企业": row.seedling,
        "一企一策": row.one_firm_one_policy,
        "评价基准日": as_of,
    }
    for t in TIER_FIELDS:
        out[f"{TIERS[t]}·结论"] = STATUSES.get(getattr(row, f"{t}_status"), getattr(row, f"{t}_status"))
        out[f"{TIERS[t]}·得分"] = getattr(row, f"{t}_score")
        route = getattr(row, f"{t}_route")
        out[f"{TIERS[t]}·路径"] = ROUTES.get(route, route) if route else None
    dims = row.dimensions or {}
    for key, label in DIMENSION_COLUMNS.items():
        out[f"六维指数·{label}"] = dims.get(key)
    return out


def export_rows(rows: QuerySet[EnterpriseAssessment], run: AssessmentRun) -> Iterator[dict[str, Any]]:
    """Every filtered row as an export line, read in chunks."""
    for row in rows.iterator(chunk_size=2000):
        yield export_row(row, run.as_of)
