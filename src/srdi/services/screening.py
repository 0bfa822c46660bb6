"""Whole-city screening: assess every enterprise in the database, store the results, report what changed.

Use ``run_screen`` with a ``ScreeningRequest`` (``screening_request`` validates one). It reads the database
into engine tables, runs all tiers column-wise under the rulebooks in force on the date for the purpose,
computes the six-dimension profile and class, writes one row per enterprise in bulk, and compares with the
previous run: enterprises newly eligible or no longer eligible per tier, and certifications expiring within
90 days. A review (复核) screening judges only the enterprises holding a title that expires in the chosen
period, under each rulebook's review variant (and the cohort routes that keep an older rulebook for them).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from srdi.db.models import AssessmentRun, AuditAction, Enterprise, EnterpriseAssessment, User
from srdi.domain.assessment.dimensions import DIMENSIONS, PROFILE_COLUMNS, dimension_stages, scaled
from srdi.domain.dates import judged_date_error
from srdi.domain.lifecycle import apply_lifecycle
from srdi.domain.rules.engine import assess, route_groups, summary_columns
from srdi.domain.rules.facts import certification_expiry
from srdi.domain.rules.model import PURPOSE_LABELS, PURPOSES
from srdi.domain.rules.rulebook import TIERS, load_library
from srdi.domain.tables import Tables
from srdi.services import audit
from srdi.services.checkpoints import checkpoint_after_commit
from srdi.services.facts_loader import load_tables

EXPIRY_WINDOW_DAYS = 90
LIST_CAP = 200


def default_as_of() -> date:
    """The reference date of screening, assessments and entitlements: ``SRDI_DEFAULT_AS_OF`` when the
    environment pins one, otherwise today in Asia/Shanghai, read on every call."""
    pinned = getattr(settings, "SRDI_DEFAULT_AS_OF", None)
    return date.fromisoformat(pinned) if pinned else timezone.localdate()


@dataclass(frozen=True)
class ScreeningRequest:
    """What to screen: the date judged, the purpose, and for a review the period the titles expire in."""

    as_of: date
    purpose: str = "application"
    review_from: date | None = None
    review_to: date | None = None

    @property
    def label(self) -> str:
        text = f"基准日 {self.as_of}，{PURPOSE_LABELS[self.purpose]}"
        if self.purpose == "review":
            text += f"（称号到期 {self.review_from} 至 {self.review_to}）"
        return text


def screening_request(
    as_of: date | None = None,
    purpose: str = "application",
    review_from: date | None = None,
    review_to: date | None = None,
) -> ScreeningRequest:
    """A validated request; ``ValueError`` names the field and what is wrong.

    A review without a period covers titles expiring in the year after the date judged.
    """
    day = as_of or default_as_of()
    problem = judged_date_error(day)
    if problem:
        raise ValueError(problem)
    if purpose not in PURPOSES:
        raise ValueError(f"筛查目的 {purpose!r} 无效（可选：{'、'.join(PURPOSE_LABELS.values())}）")
    if purpose == "application":
        if review_from or review_to:
            raise ValueError("到期区间只用于复核筛查")
        return ScreeningRequest(day)
    start = review_from or day
    end = review_to or (start + timedelta(days=365))
    for bound in (start, end):
        problem = judged_date_error(bound, earliest=date.min)
        if problem:
            raise ValueError(f"到期区间：{problem}")
    if end < start:
        raise ValueError(f"到期区间的结束日 {end} 早于开始日 {start}")
    return ScreeningRequest(day, purpose, start, end)


ROW_COLUMNS = [
    "run_id",
    "enterprise_id",
    "size_class",
    "is_sme",
    *[f"{t}_{k}" for t in TIERS for k in ("status", "score", "route")],
    "grade",
    "dimensions",
    "ladder",
    "next_tier",
    "next_tier_progress",
    "eligible_next",
    "seedling",
    "one_firm_one_policy",
]


def _rows(frame: pl.DataFrame, run_id: int) -> list[tuple[Any, ...]]:
    import json

    out = []
    dim_cols = [(d, f"dim:{d}|lo", f"dim:{d}|hi") for d in DIMENSIONS]
    for r in frame.iter_rows(named=True):
        dims = {d: (int(r[lo]) if r[lo] is not None and r[lo] == r[hi] else None) for d, lo, hi in dim_cols}
        out.append(
            (
                run_id,
                r["eid"],
                r["size_class"],
                r["is_sme"],
                *[r[f"{t}|{k}"] for t in TIERS for k in ("status", "score", "route")],
                r["profile:grade"],
                json.dumps(dims),
                r["class:ladder"],
                r["class:next_tier"],
                scaled(r["class:progress_x1000"], 1000),
                bool(r["class:eligible_next"]),
                bool(r["class:seedling"]),
                bool(r["class:one_firm_one_policy"]),
            )
        )
    return out


def _write(rows: list[tuple[Any, ...]], progress: Callable[[int], None] | None) -> None:
    table = EnterpriseAssessment._meta.db_table
    placeholders = ", ".join(["%s"] * len(ROW_COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(ROW_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - constants
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
            if progress:
                progress(len(rows[i : i + 5000]))


def _previous(run: AssessmentRun | None) -> pl.DataFrame | None:
    if run is None:
        return None
    cols = ["enterprise_id"] + [f"{t}_status" for t in TIERS]
    values = list(EnterpriseAssessment.objects.filter(run=run).values_list(*cols))
    return pl.DataFrame(values, schema=cols, orient="row")


def _changes(current: pl.DataFrame, previous: pl.DataFrame | None, uscc: pl.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"newly_eligible": {}, "no_longer_eligible": {}}
    if previous is None:
        return out
    joined = current.join(previous, left_on="eid", right_on="enterprise_id", how="left").join(uscc, on="eid")
    for t in TIERS:
        now = pl.col(f"{t}|status") == "eligible"
        before = pl.col(f"{t}_status") == "eligible"
        newly = joined.filter(now & ~before.fill_null(False)).get_column("uscc")
        lost = joined.filter(~now & before.fill_null(False)).get_column("uscc")
        out["newly_eligible"][t] = {"count": newly.len(), "uscc": newly.head(LIST_CAP).to_list()}
        out["no_longer_eligible"][t] = {"count": lost.len(), "uscc": lost.head(LIST_CAP).to_list()}
    return out


def expiring(
    tables_certs: pl.DataFrame,
    uscc: pl.DataFrame,
    as_of: date,
    days: int = EXPIRY_WINDOW_DAYS,
    validity_years: int = 3,
) -> list[dict[str, Any]]:
    """Certifications valid on ``as_of`` whose effective expiry falls within ``days``."""
    until = as_of + timedelta(days=days)
    expiry = certification_expiry(validity_years)
    found = (
        tables_certs.with_columns(expiry.alias("expiry"))
        .filter(
            (pl.col("recognized_on") <= as_of)
            & (pl.col("expiry") >= as_of)
            & (pl.col("expiry") <= until)
            & (pl.col("revoked_on").is_null() | (pl.col("revoked_on") > as_of))
        )
        .join(uscc, on="eid")
        .sort("expiry")
    )
    return [
        {"uscc": r["uscc"], "tier": r["tier"], "expires_on": r["expiry"].isoformat()}
        for r in found.select("uscc", "tier", "expiry").iter_rows(named=True)
    ]


def rulebooks_text(used: object, *, with_counts: bool = True) -> str:
    """A run's rulebooks of one tier as people read them: one id, or each id (with the number of enterprises
    it judged, for cohort routes)."""
    if isinstance(used, dict):
        return "；".join(f"{rb}（{n} 家）" if with_counts else str(rb) for rb, n in used.items())
    return str(used or "—")


def comparable_runs(request: ScreeningRequest | AssessmentRun) -> QuerySet[AssessmentRun]:
    """Finished runs whose results can be compared with ``request``'s: the same purpose and, for a review,
    the same expiry period (another period judges other enterprises)."""
    return AssessmentRun.objects.filter(
        finished_at__isnull=False,
        purpose=request.purpose,
        review_from=request.review_from,
        review_to=request.review_to,
    )


def expiring_in(tables: Tables, start: date, end: date, validity_years: int = 3) -> pl.DataFrame:
    """(eid, tier) of each tier title (科技型中小企业 registrations are not tier titles) whose effective expiry
    falls within [start, end] and that is not ended before it: what a review screening judges."""
    expiry = certification_expiry(validity_years)
    found = tables.certifications.with_columns(expiry.alias("expiry")).filter(
        pl.col("tier").is_in(list(TIERS))
        & (pl.col("expiry") >= start)
        & (pl.col("expiry") <= end)
        & (pl.col("revoked_on").is_null() | (pl.col("revoked_on") > pl.col("expiry")))
    )
    return found.select("eid", "tier").unique().sort("eid", "tier")


def _only_tiers_under_review(frame: pl.DataFrame, due: pl.DataFrame) -> pl.DataFrame:
    """A review run's rows with each tier the enterprise holds no expiring title of marked ``not_due``."""
    out = frame
    for tier in TIERS:
        held = due.filter(pl.col("tier") == tier).get_column("eid")
        reviewed = pl.col("eid").is_in(held.implode())
        out = out.with_columns(
            pl.when(reviewed)
            .then(pl.col(f"{tier}|status"))
            .otherwise(pl.lit("not_due"))
            .alias(f"{tier}|status"),
            *(pl.when(reviewed).then(pl.col(f"{tier}|{k}")).alias(f"{tier}|{k}") for k in ("score", "route")),
        )
    return out


def _assess_all(tables: Tables, request: ScreeningRequest) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The summary frame of every enterprise, each group judged under its cohort routes; the rulebooks used."""
    frames: list[pl.DataFrame] = []
    used: dict[str, dict[str, int]] = {}
    groups = route_groups(tables, request.as_of, request.purpose)
    for routes, eids in groups:
        part = tables if len(groups) == 1 else tables.take(eids)
        assessment = assess(
            part,
            request.as_of,
            extra=dimension_stages,
            keep=lambda c: [*summary_columns(c), *PROFILE_COLUMNS],
            purpose=request.purpose,
            routes=routes,
        )
        frames.append(assessment.frame)
        for tier, c in assessment.compiled.items():
            used.setdefault(tier, {}).setdefault(c.rulebook.id, 0)
            used[tier][c.rulebook.id] += assessment.frame.height
    frame = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    # {tier: rulebook id} when one rulebook judged everyone (the usual case), else {tier: {id: count}}.
    rulebooks = {t: next(iter(ids)) if len(ids) == 1 else ids for t, ids in used.items()}
    return frame, rulebooks


def run_screen(
    *,
    actor: User | None = None,
    as_of: date | None = None,
    request: ScreeningRequest | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> AssessmentRun:
    """Screen the whole database (or, for a review, the holders of expiring titles); returns the stored run
    with counts and changes."""
    request = request or screening_request(as_of)
    as_of = request.as_of
    started = datetime.now(UTC)
    clock = time.monotonic()
    previous_run = comparable_runs(request).order_by("-started_at").first()
    total = Enterprise.objects.count()

    def step(stage: str, total_n: int | None = None) -> Callable[[str, int], None] | None:
        return (lambda _name, n: progress(stage, n, total_n)) if progress else None

    tables = load_tables(progress=step("读取数据", None))
    # Titles as the lifecycle rules leave them (cancelled after missed updates, removed for fraud): what the
    # expiry lists and the review selection read. The assessment applies the same rules itself.
    living = apply_lifecycle(tables, load_library().lifecycle(request.as_of))
    due: pl.DataFrame | None = None
    if request.purpose == "review":
        assert request.review_from is not None and request.review_to is not None
        due = expiring_in(living, request.review_from, request.review_to)
        chosen = due.get_column("eid").unique().sort().to_list()
        tables, living = tables.take(chosen), living.take(chosen)
        total = len(tables)
    if progress:
        progress("评价", 0, total)
    frame, rulebooks = _assess_all(tables, request) if len(tables) else (None, {})
    if frame is None:
        return _empty_run(request, actor, started, clock)
    if due is not None:
        frame = _only_tiers_under_review(frame, due)
    if progress:
        progress("评价", total, total)
    uscc = tables.enterprises.select("eid", "uscc")
    changes = _changes(frame, _previous(previous_run), uscc)
    changes["expiring_within_90_days"] = expiring(living.certifications, uscc, as_of)[: LIST_CAP * 5]
    counts: dict[str, Any] = {
        t: {str(k): v for k, v in frame.group_by(f"{t}|status").len().iter_rows()} for t in TIERS
    }
    counts["grades"] = {str(k): v for k, v in frame.group_by("profile:grade").len().iter_rows()}
    counts["seedling"] = int(frame.get_column("class:seedling").sum())
    counts["one_firm_one_policy"] = int(frame.get_column("class:one_firm_one_policy").sum())
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            as_of=as_of,
            purpose=request.purpose,
            review_from=request.review_from,
            review_to=request.review_to,
            started_at=started,
            actor=actor,
            enterprises=frame.height,
            rulebooks=rulebooks,
        )
        saver = step("保存结果", frame.height)
        _write(_rows(frame, run.pk), (lambda n: saver("", n)) if saver else None)
        run.finished_at = datetime.now(UTC)
        run.duration_ms = int((time.monotonic() - clock) * 1000)
        run.counts = counts
        run.changes = changes
        run.save(update_fields=["finished_at", "duration_ms", "counts", "changes"])
        from srdi.services import screening_aggregates  # it reads comparable_runs from here

        screening_aggregates.store(run)  # the screening page's figures per district, kept with the run
        audit.record(
            AuditAction.SCREEN,
            actor,
            object_type="assessment_run",
            object_id=str(run.pk),
            object_repr=f"全市筛查（{request.label}）",
            new={
                "enterprises": frame.height,
                "duration_ms": run.duration_ms,
                "newly_eligible": {t: v["count"] for t, v in changes["newly_eligible"].items()},
            },
        )
        checkpoint_after_commit()  # sign the chain heads outside the database once the run commits
    return run


def _empty_run(
    request: ScreeningRequest, actor: User | None, started: datetime, clock: float
) -> AssessmentRun:
    """A review period in which no title expires: a finished run with no enterprises, recorded as such."""
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            as_of=request.as_of,
            purpose=request.purpose,
            review_from=request.review_from,
            review_to=request.review_to,
            started_at=started,
            finished_at=datetime.now(UTC),
            duration_ms=int((time.monotonic() - clock) * 1000),
            actor=actor,
            enterprises=0,
            counts={t: {} for t in TIERS},
            changes={"newly_eligible": {}, "no_longer_eligible": {}, "expiring_within_90_days": []},
        )
        audit.record(
            AuditAction.SCREEN,
            actor,
            object_type="assessment_run",
            object_id=str(run.pk),
            object_repr=f"全市筛查（{request.label}）：没有符合条件的企业",
            new={"enterprises": 0},
        )
    return run
