"""Whole-city screening: assess every enterprise in the database, store the results, report what changed.

Use ``run_screen`` with a ``ScreeningRequest`` (``screening_request`` validates one). It splits the
enterprises into id ranges (``partition_size``, screened in ``workers`` processes: ``screening_partitions``),
reads each range into engine tables, runs all tiers column-wise under the rulebooks in force on the date for
the purpose, computes the six-dimension profile and class (``srdi.domain.screening``), writes one row per
enterprise in bulk, and compares with the previous run: enterprises newly eligible or no longer eligible
per tier, and certifications expiring within 90 days. A review (复核) screening judges only the enterprises
holding a title that expires in the chosen period, under each rulebook's review variant (and the cohort
routes that keep an older rulebook for them).
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
from srdi.domain.assessment.dimensions import DIMENSIONS
from srdi.domain.dates import judged_date_error
from srdi.domain.rules.model import PURPOSE_LABELS, PURPOSES
from srdi.domain.rules.rulebook import TIERS
from srdi.domain.screening import Judgement, PartitionOutcome, ScreeningTotals, changes_in
from srdi.services import audit
from srdi.services.checkpoints import checkpoint_after_commit
from srdi.services.screening_partitions import DEFAULT_PARTITION_SIZE, partition_ranges, screen_ranges


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


def _dimensions_json() -> pl.Expr:
    """The six-dimension index of a row as the JSON text ``json.dumps`` writes for
    ``{dimension: points or None}`` (points only where the lower and upper bounds agree)."""
    parts: list[pl.Expr] = []
    for i, d in enumerate(DIMENSIONS):
        lo, hi = pl.col(f"dim:{d}|lo"), pl.col(f"dim:{d}|hi")
        value = pl.when(lo.is_not_null() & (lo == hi)).then(lo.cast(pl.Int64).cast(pl.String))
        parts += [pl.lit(("{" if i == 0 else ", ") + f'"{d}": '), value.fill_null(pl.lit("null"))]
    return pl.concat_str([*parts, pl.lit("}")])


def _rows(frame: pl.DataFrame, run_id: int) -> list[tuple[Any, ...]]:
    """One tuple per enterprise in ``ROW_COLUMNS`` order, built column-wise."""
    # progress / 1000 as Python divides it: a literal divisor would be turned into a product by the reciprocal
    # (941 → 0.9410000000000001), a column of 1000.0 is divided element by element.
    per_one = pl.Series([1000.0]).new_from_index(0, frame.height)
    return frame.select(
        pl.lit(run_id, dtype=pl.Int64).alias("run_id"),
        pl.col("eid"),
        pl.col("size_class"),
        pl.col("is_sme"),
        *[pl.col(f"{t}|{k}") for t in TIERS for k in ("status", "score", "route")],
        pl.col("profile:grade"),
        _dimensions_json().alias("dimensions"),
        pl.col("class:ladder"),
        pl.col("class:next_tier"),
        (pl.col("class:progress_x1000").cast(pl.Float64) / per_one).alias("next_tier_progress"),
        *[
            pl.col(c).fill_null(False).cast(pl.Boolean)
            for c in ("class:eligible_next", "class:seedling", "class:one_firm_one_policy")
        ],
    ).rows()


def _write(rows: list[tuple[Any, ...]], progress: Callable[[int], None] | None) -> None:
    table = EnterpriseAssessment._meta.db_table
    placeholders = ", ".join(["%s"] * len(ROW_COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(ROW_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608 - constants
    with connection.cursor() as cursor:
        for i in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[i : i + 5000])
            if progress:
                progress(len(rows[i : i + 5000]))


def _previous(run: AssessmentRun | None, first: int, last: int) -> pl.DataFrame | None:
    """The statuses of a previous run's enterprises with ids in [first, last]."""
    if run is None:
        return None
    cols = ["enterprise_id"] + [f"{t}_status" for t in TIERS]
    rows = EnterpriseAssessment.objects.filter(run=run, enterprise__id__range=(first, last)).values_list(
        *cols
    )
    return pl.DataFrame(
        list(rows), schema={c: pl.Int64 if c == "enterprise_id" else pl.String for c in cols}, orient="row"
    )


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


PARTITIONS_STAGE = "分区"
ENTERPRISES_STAGE = "企业"


def run_screen(
    *,
    actor: User | None = None,
    as_of: date | None = None,
    request: ScreeningRequest | None = None,
    progress: Callable[[str, int, int | None], None] | None = None,
    partition_size: int = DEFAULT_PARTITION_SIZE,
    workers: int = 1,
) -> AssessmentRun:
    """Screen the whole database (or, for a review, the holders of expiring titles); returns the stored run
    with counts and changes.

    The enterprises are screened by id ranges of ``partition_size`` (read, assessed and written one range at
    a time, in ``workers`` processes when more than one), so memory holds a few partitions whatever the size
    of the database; the stored results and totals are the same whatever the partition size. ``progress``
    receives ("分区", partitions done, partitions) and ("企业", enterprises done, enterprises)."""
    request = request or screening_request(as_of)
    judgement = Judgement(request.as_of, request.purpose, request.review_from, request.review_to)
    started = datetime.now(UTC)
    clock = time.monotonic()
    previous_run = comparable_runs(request).order_by("-started_at").first()
    total = Enterprise.objects.count()
    ranges = partition_ranges(partition_size)
    if progress:
        progress(PARTITIONS_STAGE, 0, len(ranges))
        progress(ENTERPRISES_STAGE, 0, total)
    totals = ScreeningTotals(compared=previous_run is not None)
    with transaction.atomic():
        run = AssessmentRun.objects.create(
            as_of=request.as_of,
            purpose=request.purpose,
            review_from=request.review_from,
            review_to=request.review_to,
            started_at=started,
            actor=actor,
        )
        for (first, last), outcome in zip(ranges, screen_ranges(ranges, judgement, workers), strict=True):
            totals.add(outcome, changes_in(outcome, _previous(previous_run, first, last)))
            done_before = totals.scanned - outcome.scanned

            def saved(n: int, _o: PartitionOutcome = outcome, _base: int = done_before) -> None:
                assert progress is not None
                share = _o.scanned * n // max(_o.judged, 1)
                progress(ENTERPRISES_STAGE, min(_base + share, _base + _o.scanned), total)

            if outcome.judged:
                _write(_rows(outcome.frame, run.pk), saved if progress else None)
            if progress:
                progress(ENTERPRISES_STAGE, totals.scanned, total)
                progress(PARTITIONS_STAGE, totals.partitions, len(ranges))
            del outcome
        if not totals.enterprises:
            run.delete()
            return _empty_run(request, actor, started, clock)
        run.enterprises = totals.enterprises
        run.rulebooks = totals.rulebooks()
        run.finished_at = datetime.now(UTC)
        run.duration_ms = int((time.monotonic() - clock) * 1000)
        run.counts = totals.counts()
        changes = totals.changes()
        run.changes = changes
        run.save(
            update_fields=["enterprises", "rulebooks", "finished_at", "duration_ms", "counts", "changes"]
        )
        from srdi.services import screening_aggregates  # it reads comparable_runs from here

        screening_aggregates.store(run)  # the screening page's figures per district, kept with the run
        audit.record(
            AuditAction.SCREEN,
            actor,
            object_type="assessment_run",
            object_id=str(run.pk),
            object_repr=f"全市筛查（{request.label}）",
            new={
                "enterprises": totals.enterprises,
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
