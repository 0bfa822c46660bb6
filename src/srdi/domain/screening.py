"""Screening one partition of enterprises, and adding partitions up into the whole run's totals.

Use ``screen_partition(tables, judgement)`` on the tables of one enterprise range (any source: the database,
Parquet files, generated data): it applies the lifecycle rules, picks a review's enterprises, assesses every
tier under its cohort routes with the size class and six-dimension profile, and returns a
``PartitionOutcome``. ``changes_in`` compares a partition with the previous run's statuses of the same range.
``ScreeningTotals`` adds outcomes up. Every enterprise is judged on its own facts alone, so partitions can run
in any order or in parallel: counts are sums, the rulebooks used are counted per partition, and the capped
lists (newly eligible, no longer eligible, expiring) keep a defined order — by enterprise id, by expiry date —
so that the merged totals equal a one-pass run's whatever the partition size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from srdi.domain.assessment.dimensions import PROFILE_COLUMNS, dimension_stages
from srdi.domain.lifecycle import apply_lifecycle
from srdi.domain.rules.engine import assess, route_groups, summary_columns
from srdi.domain.rules.facts import certification_expiry
from srdi.domain.rules.rulebook import TIERS, load_library
from srdi.domain.tables import Tables

EXPIRY_WINDOW_DAYS = 90
LIST_CAP = 200
EXPIRING_CAP = LIST_CAP * 5


@dataclass(frozen=True)
class Judgement:
    """What a screening judges: the date, the purpose, and for a review the period the titles expire in."""

    as_of: date
    purpose: str = "application"
    review_from: date | None = None
    review_to: date | None = None


@dataclass
class PartitionOutcome:
    """One partition's results: the summary frame (sorted by ``eid``), the judged enterprises' USCCs, the
    rulebooks used (tier → id → enterprises), the first expiring titles, and how many enterprises it held."""

    frame: pl.DataFrame
    uscc: pl.DataFrame
    rulebooks: dict[str, dict[str, int]]
    expiring: pl.DataFrame
    scanned: int

    @property
    def judged(self) -> int:
        return self.frame.height


@dataclass(frozen=True)
class TierChanges:
    """One tier's newly / no longer eligible enterprises of a partition: counts and the first (eid, uscc)."""

    newly: int
    lost: int
    newly_first: pl.DataFrame
    lost_first: pl.DataFrame


def expiring_titles(
    certifications: pl.DataFrame,
    uscc: pl.DataFrame,
    as_of: date,
    days: int = EXPIRY_WINDOW_DAYS,
    validity_years: int = 3,
) -> pl.DataFrame:
    """(uscc, tier, expiry) of the certifications valid on ``as_of`` whose effective expiry falls within
    ``days``, ordered by expiry, then USCC and tier (a defined order, so that capped lists merge exactly)."""
    until = as_of + timedelta(days=days)
    expiry = certification_expiry(validity_years)
    return (
        certifications.with_columns(expiry.alias("expiry"))
        .filter(
            (pl.col("recognized_on") <= as_of)
            & (pl.col("expiry") >= as_of)
            & (pl.col("expiry") <= until)
            & (pl.col("revoked_on").is_null() | (pl.col("revoked_on") > as_of))
        )
        .join(uscc, on="eid")
        .select("uscc", "tier", "expiry")
        .sort("expiry", "uscc", "tier")
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


def _assess_all(tables: Tables, judgement: Judgement) -> tuple[pl.DataFrame, dict[str, dict[str, int]]]:
    """The summary frame of every enterprise, each group judged under its cohort routes; the rulebooks used."""
    frames: list[pl.DataFrame] = []
    used: dict[str, dict[str, int]] = {}
    groups = route_groups(tables, judgement.as_of, judgement.purpose)
    for routes, eids in groups:
        part = tables if len(groups) == 1 else tables.take(eids)
        assessment = assess(
            part,
            judgement.as_of,
            extra=dimension_stages,
            keep=lambda c: [*summary_columns(c), *PROFILE_COLUMNS],
            purpose=judgement.purpose,
            routes=routes,
        )
        frames.append(assessment.frame)
        for tier, c in assessment.compiled.items():
            used.setdefault(tier, {}).setdefault(c.rulebook.id, 0)
            used[tier][c.rulebook.id] += assessment.frame.height
    frame = pl.concat(frames, how="vertical_relaxed") if len(frames) > 1 else frames[0]
    return frame.sort("eid"), used


def screen_partition(
    tables: Tables, judgement: Judgement, *, expiring_cap: int = EXPIRING_CAP
) -> PartitionOutcome:
    """Screen the enterprises of ``tables`` (one partition, or all of them)."""
    scanned = len(tables)
    # Titles as the lifecycle rules leave them (cancelled after missed updates, removed for fraud): what the
    # expiry lists and the review selection read. The assessment applies the same rules itself.
    living = apply_lifecycle(tables, load_library().lifecycle(judgement.as_of))
    due: pl.DataFrame | None = None
    if judgement.purpose == "review":
        assert judgement.review_from is not None and judgement.review_to is not None
        due = expiring_in(living, judgement.review_from, judgement.review_to)
        chosen = due.get_column("eid").unique().sort().to_list()
        tables, living = tables.take(chosen), living.take(chosen)
    uscc = tables.enterprises.select("eid", "uscc")
    if not len(tables):
        empty = pl.DataFrame(schema={"eid": pl.Int64})
        return PartitionOutcome(
            empty, uscc, {}, expiring_titles(living.certifications, uscc, judgement.as_of), 0
        )
    frame, used = _assess_all(tables, judgement)
    if due is not None:
        frame = _only_tiers_under_review(frame, due)
    expiring = expiring_titles(living.certifications, uscc, judgement.as_of).head(expiring_cap)
    return PartitionOutcome(frame, uscc, used, expiring, scanned)


def changes_in(
    outcome: PartitionOutcome, previous: pl.DataFrame | None, cap: int = LIST_CAP
) -> dict[str, TierChanges]:
    """Per tier, the partition's enterprises eligible now and not before, and before and not now (by eid)."""
    if previous is None:
        return {}
    joined = (
        outcome.frame.select("eid", *(f"{t}|status" for t in TIERS))
        .join(previous, left_on="eid", right_on="enterprise_id", how="left")
        .join(outcome.uscc, on="eid")
        .sort("eid")
    )
    out = {}
    for t in TIERS:
        now = pl.col(f"{t}|status") == "eligible"
        before = (pl.col(f"{t}_status") == "eligible").fill_null(False)
        newly = joined.filter(now & ~before).select("eid", "uscc")
        lost = joined.filter(~now & before).select("eid", "uscc")
        out[t] = TierChanges(newly.height, lost.height, newly.head(cap), lost.head(cap))
    return out


def _counts_of(frame: pl.DataFrame, column: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame.group_by(column).len().iter_rows()}


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


@dataclass
class ScreeningTotals:
    """The whole run's counts, rulebooks used, changes and expiring titles, added up partition by partition."""

    compared: bool = False
    enterprises: int = 0
    scanned: int = 0
    partitions: int = 0
    status: dict[str, dict[str, int]] = field(default_factory=lambda: {t: {} for t in TIERS})
    grades: dict[str, int] = field(default_factory=dict)
    seedling: int = 0
    one_firm_one_policy: int = 0
    used: dict[str, dict[str, int]] = field(default_factory=dict)
    newly: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    newly_first: dict[str, pl.DataFrame] = field(default_factory=dict)
    lost_first: dict[str, pl.DataFrame] = field(default_factory=dict)
    expiring: pl.DataFrame | None = None

    def add(self, outcome: PartitionOutcome, changes: dict[str, TierChanges]) -> None:
        self.partitions += 1
        self.scanned += outcome.scanned
        self.enterprises += outcome.judged
        expiring = outcome.expiring
        if self.expiring is not None:
            expiring = pl.concat([self.expiring, expiring]).sort("expiry", "uscc", "tier")
        self.expiring = expiring.head(EXPIRING_CAP)
        if not outcome.judged:
            return
        frame = outcome.frame
        for t in TIERS:
            _add(self.status[t], _counts_of(frame, f"{t}|status"))
        _add(self.grades, _counts_of(frame, "profile:grade"))
        self.seedling += int(frame.get_column("class:seedling").sum())
        self.one_firm_one_policy += int(frame.get_column("class:one_firm_one_policy").sum())
        for tier, ids in outcome.rulebooks.items():
            _add(self.used.setdefault(tier, {}), ids)
        for t, c in changes.items():
            self.newly[t] = self.newly.get(t, 0) + c.newly
            self.lost[t] = self.lost.get(t, 0) + c.lost
            for kept, part in ((self.newly_first, c.newly_first), (self.lost_first, c.lost_first)):
                kept[t] = pl.concat([kept[t], part]).sort("eid").head(LIST_CAP) if t in kept else part

    def rulebooks(self) -> dict[str, Any]:
        """{tier: rulebook id} when one rulebook judged everyone (the usual case), else {tier: {id: count}}."""
        return {t: next(iter(ids)) if len(ids) == 1 else ids for t, ids in self.used.items()}

    def counts(self) -> dict[str, Any]:
        out: dict[str, Any] = {t: dict(self.status[t]) for t in TIERS}
        out["grades"] = dict(self.grades)
        out["seedling"] = self.seedling
        out["one_firm_one_policy"] = self.one_firm_one_policy
        return out

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {"newly_eligible": {}, "no_longer_eligible": {}}
        if self.compared:
            for t in TIERS:
                for key, count, first in (
                    ("newly_eligible", self.newly, self.newly_first),
                    ("no_longer_eligible", self.lost, self.lost_first),
                ):
                    found = first.get(t)
                    out[key][t] = {
                        "count": count.get(t, 0),
                        "uscc": found.get_column("uscc").to_list() if found is not None else [],
                    }
        expiring = self.expiring if self.expiring is not None else pl.DataFrame()
        out["expiring_within_90_days"] = [
            {"uscc": r["uscc"], "tier": r["tier"], "expires_on": r["expiry"].isoformat()}
            for r in expiring.iter_rows(named=True)
        ]
        return out
