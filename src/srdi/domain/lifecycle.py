"""What happens to a title during its life: cancellation after missed annual updates, and data-fraud bans.

Use ``apply_lifecycle(tables, rules)`` before judging whether a certification is valid on a day (the assessment
facts, the policy engine's standing and offers all do): it returns the tables with each certification's
``revoked_on`` moved forward to the day a lifecycle rule ends it, so that every reader of ``revoked_on`` (and
``srdi.domain.certifications``) agrees. ``fraud_ban_until`` gives, per enterprise, the last day of a data-fraud
ban in force on a day (the rulebooks refuse every tier while it lasts). ``fraud_ban_spans``,
``ban_in_force`` and ``revoked_on_after`` are the same rules for one enterprise's plain rows (the scalar facts
path, ``srdi.domain.rules.scalar_facts``), held equal to the Polars functions by its differential test.

The rules (``LifecycleRules``, from the dated common parameters of the rulebooks):
- the annual data update on the cultivation platform is due on a day of each year (30 April under the 63号
  implementing rules, 31 May from 2026); a Zhejiang title of a listed tier (浙经信企业〔2026〕108号: 专精特新中小企业)
  is cancelled the day after the deadline of its second missed update within one validity period — counted
  only for deadlines under which the cancellation rule is in force. A year is missed when the enterprise's
  ``data_updates`` are known and hold no update for that year on or before its deadline (an update whose date
  is unknown counts as made on time). Without ``data_updates`` nothing is inferred: a cancellation the
  province made is recorded as ``revoked_on``.
- data fraud (``sanctions`` of kind ``data_fraud``) removes every title from its date and bars new titles for
  a number of years: a title recognised during the ban is removed from its recognition day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import polars as pl

from srdi.domain.certifications import default_expiry_expr, effective_expiry
from srdi.domain.dates import years_after
from srdi.domain.tables import Tables


@dataclass(frozen=True)
class Deadline:
    """The annual-update deadline of one year and how many misses in a validity period cancel a title."""

    year: int
    day: date
    misses_to_cancel: int  # 0: no cancellation for misses under this year's rule


@dataclass(frozen=True)
class LifecycleRules:
    """The lifecycle parameters resolved per year and the fraud ban, for judging one day: ``deadlines`` are
    the annual-update deadlines that have passed by then (a deadline still ahead is not yet missed)."""

    deadlines: tuple[Deadline, ...]
    cancellation_tiers: tuple[str, ...]
    fraud_ban_years: int
    validity_years: int = 3

    def cancels(self) -> bool:
        return bool(self.cancellation_tiers) and any(d.misses_to_cancel for d in self.deadlines)


def update_deadline(params: dict[str, Any], year: int) -> date | None:
    """The annual-update deadline of ``year`` (None when no rule sets one)."""
    text = params["annual_update_deadline"].at(date(year, 1, 1))
    if text is None:
        return None
    month, day = (int(x) for x in str(text.value).split("-"))
    return date(year, month, day)


def rules_from(params: dict[str, Any], judged_on: date, first_year: int = 2022) -> LifecycleRules:
    """Resolve the dated parameters for judging ``judged_on``: the deadlines of ``first_year`` … that have
    passed by then, and the cancellation and ban rules in force on it.

    ``params`` maps a parameter id to an object with ``at(day)`` (``srdi.domain.rules.parameters.Parameter``):
    ``annual_update_deadline`` ("MM-DD"), ``update_misses_to_cancel`` (count; 0 = none),
    ``update_cancellation_tiers`` (list), ``fraud_ban_years`` and ``title_validity_years``."""
    deadlines = []
    for year in range(first_year, judged_on.year + 1):
        due = update_deadline(params, year)
        if due is None or due >= judged_on:
            continue
        misses = params["update_misses_to_cancel"].at(due)
        deadlines.append(Deadline(year, due, int(misses.value) if misses is not None else 0))
    latest = judged_on
    tiers = params["update_cancellation_tiers"].at(latest)
    ban = params["fraud_ban_years"].at(latest)
    validity = params["title_validity_years"].at(latest)
    return LifecycleRules(
        tuple(deadlines),
        tuple(tiers.value) if tiers is not None else (),
        int(ban.value) if ban is not None else 0,
        int(validity.value) if validity is not None else 3,
    )


def fraud_bans(tables: Tables, rules: LifecycleRules) -> pl.DataFrame:
    """One row per data-fraud finding: eid, ``__fraud_from`` (its date) and ``__ban_until`` (the last day of
    its ban). Each finding has its own ban: two findings years apart are two bans, not one long one."""
    frauds = tables.sanctions.filter((pl.col("kind") == "data_fraud") & pl.col("date").is_not_null())
    years = rules.fraud_ban_years
    return frauds.select(
        "eid",
        pl.col("date").alias("__fraud_from"),
        (pl.col("date").dt.offset_by(f"{years}y") - pl.duration(days=1)).alias("__ban_until"),
    ).unique()


def fraud_ban_until(tables: Tables, rules: LifecycleRules, day: date) -> pl.DataFrame:
    """eid → ``__ban_until``: the last day of a ban in force on ``day`` (enterprises without one absent)."""
    return (
        fraud_bans(tables, rules)
        .filter((pl.col("__fraud_from") <= day) & (pl.col("__ban_until") >= day))
        .group_by("eid")
        .agg(pl.col("__ban_until").max())
    )


def _cancellations(tables: Tables, rules: LifecycleRules) -> pl.DataFrame:
    """eid, tier, recognized_on → the day the second (or n-th) missed update cancels that certification."""
    empty = pl.DataFrame(
        schema={"eid": pl.Int64, "tier": pl.String, "recognized_on": pl.Date, "__cancelled": pl.Date}
    )
    cancelling = [d for d in rules.deadlines if d.misses_to_cancel]
    if not rules.cancels() or not cancelling or tables.enterprises.height == 0:
        return empty
    known = tables.enterprises.filter(pl.col("data_updates_known").fill_null(False)).select("eid")
    if known.height == 0:
        return empty
    certs = tables.certifications.filter(
        pl.col("tier").is_in(list(rules.cancellation_tiers)) & pl.col("recognized_on").is_not_null()
    ).join(known, on="eid", how="semi")
    if certs.height == 0:
        return empty
    deadlines = pl.DataFrame(
        {
            "__year": [d.year for d in cancelling],
            "__due": [d.day for d in cancelling],
            "__misses": [d.misses_to_cancel for d in cancelling],
        },
        schema={"__year": pl.Int32, "__due": pl.Date, "__misses": pl.Int64},
    )
    expiry = pl.coalesce(
        pl.col("expires_on"), default_expiry_expr(pl.col("recognized_on"), rules.validity_years)
    )
    updates = tables.data_updates.group_by("eid", "year").agg(
        # an update of unknown date counts as on time; the earliest dated one otherwise
        pl.when(pl.col("updated_on").is_null().any())
        .then(pl.lit(date.min))
        .otherwise(pl.col("updated_on").min())
        .alias("__updated")
    )
    due = (
        certs.with_columns(expiry.alias("__expiry"))
        .join(deadlines, how="cross")
        .filter((pl.col("__due") > pl.col("recognized_on")) & (pl.col("__due") <= pl.col("__expiry")))
        .join(updates, left_on=["eid", "__year"], right_on=["eid", "year"], how="left")
        .filter(pl.col("__updated").is_null() | (pl.col("__updated") > pl.col("__due")))
        # A title listed twice (the same tier and day) misses each deadline once, not once per row.
        .unique(["eid", "tier", "recognized_on", "__due"])
        .sort("eid", "tier", "recognized_on", "__due")
        .with_columns(pl.int_range(1, pl.len() + 1).over(["eid", "tier", "recognized_on"]).alias("__miss_no"))
        .filter(pl.col("__miss_no") >= pl.col("__misses"))
    )
    return (
        due.group_by("eid", "tier", "recognized_on")
        .agg((pl.col("__due").min() + timedelta(days=1)).alias("__cancelled"))
        .select(empty.columns)
    )


def apply_lifecycle(tables: Tables, rules: LifecycleRules) -> Tables:
    """The tables with each certification's ``revoked_on`` brought forward by the lifecycle rules."""
    # Nothing to do without findings and without a known update history (an empty but known history — no
    # update ever filed — is a history: its missed deadlines count).
    knows_updates = bool(tables.enterprises.get_column("data_updates_known").fill_null(False).any())
    if tables.certifications.height == 0 or (tables.sanctions.height == 0 and not knows_updates):
        return tables
    certs = tables.certifications.with_row_index("__row")
    cancelled = _cancellations(tables, rules)
    ends: list[pl.Expr] = [pl.col("revoked_on")]
    if cancelled.height:
        certs = certs.join(cancelled, on=["eid", "tier", "recognized_on"], how="left", maintain_order="left")
        ends.append(pl.col("__cancelled"))
    bans = fraud_bans(tables, rules)
    if bans.height:
        # Per finding: a title held when the fraud happened ends on its date; one recognised during the ban
        # never starts. A title's end is the earliest any finding gives it.
        ended = (
            certs.select("__row", "eid", "recognized_on")
            .join(bans, on="eid", how="inner")
            .with_columns(
                pl.when(
                    pl.col("recognized_on").is_null() | (pl.col("recognized_on") <= pl.col("__fraud_from"))
                )
                .then(pl.col("__fraud_from"))
                .when(pl.col("recognized_on") <= pl.col("__ban_until"))
                .then(pl.col("recognized_on"))
                .alias("__fraud_end")
            )
            .group_by("__row")
            .agg(pl.col("__fraud_end").min())
        )
        certs = certs.join(ended, on="__row", how="left", maintain_order="left")
        ends.append(pl.col("__fraud_end"))
    revoked = pl.min_horizontal(ends).alias("revoked_on")
    out = certs.sort("__row").with_columns(revoked).select(tables.certifications.columns)
    return replace(tables, certifications=out)


# ---- the same rules for one enterprise's plain rows (scalar path) ------------------------------------------


def fraud_ban_spans(sanctions: Iterable[Mapping[str, Any]], rules: LifecycleRules) -> list[tuple[date, date]]:
    """``fraud_bans`` for one enterprise's sanction rows: (date of the finding, last day of its ban) each."""
    years = rules.fraud_ban_years
    return [
        (s["date"], years_after(s["date"], years) - timedelta(days=1))
        for s in sanctions
        if s["kind"] == "data_fraud" and s["date"] is not None
    ]


def ban_in_force(spans: Iterable[tuple[date, date]], day: date) -> bool:
    """Whether one of the bans covers ``day`` (``fraud_ban_until`` for one enterprise)."""
    return any(start <= day <= until for start, until in spans)


def _cancelled_on(
    certs: Sequence[Mapping[str, Any]], updates: Iterable[Mapping[str, Any]], rules: LifecycleRules
) -> dict[tuple[str, date], date]:
    """``_cancellations`` for one enterprise whose update history is known: (tier, recognized_on) → the day
    the n-th missed update cancels it (certifications with the same tier and day are one title: each deadline
    counts once, as in ``_cancellations``)."""
    cancelling = [d for d in rules.deadlines if d.misses_to_cancel]
    if not rules.cancels() or not cancelling:
        return {}
    updated: dict[int, date] = {}
    for u in updates:
        year = u["year"]
        if year is None:
            continue
        day = date.min if u["updated_on"] is None else u["updated_on"]
        updated[year] = min(updated.get(year, day), day)
    missed: dict[tuple[str, date], dict[date, int]] = {}  # per title, each missed deadline once
    for c in certs:
        recognized = c["recognized_on"]
        if recognized is None or c["tier"] not in rules.cancellation_tiers:
            continue
        expiry = effective_expiry(recognized, c["expires_on"], rules.validity_years)
        assert expiry is not None  # recognized is known
        for d in cancelling:
            if recognized < d.day <= expiry:
                made = updated.get(d.year)
                if made is None or made > d.day:
                    missed.setdefault((c["tier"], recognized), {})[d.day] = d.misses_to_cancel
    out = {}
    for key, dues in missed.items():
        reached = [day for n, (day, misses) in enumerate(sorted(dues.items()), start=1) if n >= misses]
        if reached:
            out[key] = min(reached) + timedelta(days=1)
    return out


def revoked_on_after(
    certs: Sequence[Mapping[str, Any]],
    updates: Iterable[Mapping[str, Any]],
    spans: Sequence[tuple[date, date]],
    updates_known: bool | None,
    rules: LifecycleRules,
) -> list[date | None]:
    """``apply_lifecycle`` for one enterprise: each certification row's ``revoked_on`` brought forward by a
    cancellation for missed updates (only when its update history is known) or a data-fraud ban (``spans``)."""
    cancelled = _cancelled_on(certs, updates, rules) if updates_known else {}
    out = []
    for c in certs:
        recognized = c["recognized_on"]
        ends = [c["revoked_on"]]
        if cancelled and c["tier"] is not None and recognized is not None:
            ends.append(cancelled.get((c["tier"], recognized)))
        for start, until in spans:
            if recognized is None or recognized <= start:
                ends.append(start)
            elif recognized <= until:
                ends.append(recognized)
        known = [e for e in ends if e is not None]
        out.append(min(known) if known else None)
    return out
