"""Targets and progress: each target of each policy pack with its value from the database on a day.

Use ``progress(on, district=None)`` for the cockpit and the reports: every target of every pack in force
(``targets.yaml``), and for those counted in titles (``measure: certifications``) the cumulative count on ``on``
the way the policy counts (``srdi.domain.programme.titles``), by district and by year, with the projection to the
target date (``srdi.domain.programme.projection``). ``district`` restricts every figure to one district (district
users see only theirs). Targets that the database cannot measure (events held, coverage rates…) are listed with
``measured=False``. ``published_baseline(tier)`` gives Hangzhou's published counts (``reference_data``), shown
beside the database as the baseline for years before it, each with its source.

A district's share of a city target is pro rata to its share of the city's count today; a district lags when its
projected end value is below that share (``DistrictProgress.lags``).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from typing import Any

from django.db.models import Case, Count, F, Q, When

from srdi.db.models import Certification, District, Event, Sanction
from srdi.domain.programme.projection import Projection, explain, project
from srdi.domain.programme.titles import (
    Spell,
    Tally,
    TitleRecord,
    title_spells,
)
from srdi.domain.reference import TIERS
from srdi.services.parameters import packs_in_force
from srdi.services.published_counts import entries_in_force, origin_text, source_text
from srdi.services.seedlings import pool_on

NO_DISTRICT = ""  # enterprises whose district is not recorded
NO_DISTRICT_LABEL = "区县不详"
FIRST_YEAR = 2015  # the by-year table starts at the first year with a count, and never before this


@dataclass(frozen=True)
class YearPoint:
    """One calendar year of a tier: new titles, titles that stopped counting, the net change, and the
    cumulative count on the year's last day (or on the progress day for the current year)."""

    year: int
    added: int
    removed: int
    net: int
    cumulative: int


@dataclass(frozen=True)
class DistrictProgress:
    """One district's part of a city target."""

    code: str
    name: str
    value: int
    added_last_two_years: tuple[int, int]
    projected: int
    share_of_target: int  # the target × the district's share of the city's count today (pro rata)

    @property
    def lags(self) -> bool:
        return self.projected < self.share_of_target


@dataclass(frozen=True)
class PublishedCount:
    """One published batch count (``reference_data/hangzhou_published_counts.csv``)."""

    tier: str
    year: int
    batch: str
    kind: str
    count: int
    by_district: str
    status: str
    source: str
    origin: str = ""  # where the figure comes from: "文件第N行" or "录入（who，date，#id）"
    entry_id: int | None = None  # the entry in force for the city figure, when it comes from an entry

    @property
    def adds(self) -> bool:
        """New recognitions add to a cumulative count; reviews never do; proposals are not yet decided."""
        return self.kind == "new"


@dataclass(frozen=True)
class TargetProgress:
    """One target of one pack on one day. ``measured`` is False when the database has no figure for it."""

    pack_id: str
    pack_citation: str
    group: str
    reference: str
    target_id: str
    label: str
    target: int
    unit: str
    by: date | None
    tier: str
    measured: bool
    value: int | None
    projection: Projection | None
    explanation: str
    years: tuple[YearPoint, ...]
    districts: tuple[DistrictProgress, ...]

    @property
    def key(self) -> str:
        return f"{self.pack_id}.{self.target_id}"

    @property
    def percent_done(self) -> float | None:
        return None if self.value is None or not self.target else 100.0 * self.value / self.target

    @property
    def lagging(self) -> tuple[DistrictProgress, ...]:
        return tuple(d for d in self.districts if d.lags)


@dataclass(frozen=True)
class Progress:
    """Every target on one day, for the city (``district`` empty) or one district."""

    on: date
    district: str
    targets: tuple[TargetProgress, ...]


@dataclass(frozen=True)
class TitleBook:
    """The counting periods of every enterprise in one tier, grouped by district code."""

    tier: str
    by_district: dict[str, list[tuple[Spell, ...]]]

    def all(self) -> list[tuple[Spell, ...]]:
        return [s for group in self.by_district.values() for s in group]

    def tallies(self) -> tuple[Tally, dict[str, Tally]]:
        """The city's tally and each district's (fast counts on any day)."""
        return Tally.of(self.all()), {code: Tally.of(group) for code, group in self.by_district.items()}


def title_books(tiers: Iterable[str], district: str | None = None) -> dict[str, TitleBook]:
    """Read certifications, move-ins and data-fraud sanctions and build each tier's counting periods.

    Most enterprises hold one recognised, unrevoked certification of a tier, with no move-in and no data-fraud
    sanction: their only period starts on the recognition day and never ends (``title_spells``' common case).
    Those are counted in the database, grouped by tier, district and recognition day; only the others (reviews,
    revocations, move-ins, frauds) are read row by row and go through ``title_spells``."""
    wanted = tuple(tiers)
    recognised = Certification.objects.filter(tier__in=wanted, recognized_on__isnull=False)
    moves = Event.objects.filter(kind="relocation_in", date__isnull=False)
    frauds = Sanction.objects.filter(kind="data_fraud", date__isnull=False)
    if district:
        recognised = recognised.filter(enterprise__district_id=district)
        moves = moves.filter(enterprise__district_id=district)
        frauds = frauds.filter(enterprise__district_id=district)
    # A pair (enterprise, tier) is plain when its only recognised certification is unrevoked and the enterprise
    # has neither a move-in (of any tier) nor a data-fraud sanction. An enterprise with any pair that is not
    # plain goes whole through the exact path (uncorrelated subqueries: the database hashes them once).
    reviewed_or_revoked = (
        Certification.objects.filter(tier__in=wanted, recognized_on__isnull=False)
        .values("enterprise_id", "tier")
        .annotate(n=Count("id"), revoked=Count("revoked_on"))
        .filter(Q(n__gt=1) | Q(revoked__gt=0))
        .values("enterprise_id")
    )
    special = (
        Q(enterprise_id__in=reviewed_or_revoked)
        | Q(enterprise_id__in=Event.objects.filter(kind="relocation_in").values("enterprise_id"))
        | Q(enterprise_id__in=Sanction.objects.filter(kind="data_fraud").values("enterprise_id"))
    )
    # One pass: plain pairs grouped by (tier, district, day); the others one group per enterprise and dates.
    rows = (
        recognised.annotate(special=Case(When(special, then=F("enterprise_id")), default=None))
        .values_list("tier", "enterprise__district_id", "recognized_on", "revoked_on", "special")
        .annotate(n=Count("id"))
        .order_by()
    )
    books = {t: TitleBook(t, defaultdict(list)) for t in wanted}
    records: dict[tuple[int, str], list[TitleRecord]] = defaultdict(list)
    where: dict[int, str] = {}
    for tier, dist, recognized, revoked, eid, n in rows:
        if eid is None:  # plain: one period from the recognition day, for each of the n enterprises
            books[tier].by_district[dist or NO_DISTRICT].extend([(Spell(recognized, None),)] * n)
        else:
            records[(eid, tier)].extend([TitleRecord(recognized, revoked)] * n)
            where[eid] = dist or NO_DISTRICT
    move_ins: dict[tuple[int, str], list[date]] = defaultdict(list)
    fraud_days: dict[int, list[date]] = defaultdict(list)
    if records:
        for eid, day, payload in moves.values_list("enterprise_id", "date", "payload"):
            moved_tier = str(payload.get("tier")) if isinstance(payload, dict) else ""
            if moved_tier in wanted and day is not None:
                move_ins[(eid, moved_tier)].append(day)
        for eid, fraud_day in frauds.values_list("enterprise_id", "date"):
            if fraud_day is not None:
                fraud_days[eid].append(fraud_day)
    for (eid, tier), recs in records.items():
        spells = title_spells(recs, move_ins.get((eid, tier), ()), fraud_days.get(eid, ()))
        if spells:
            books[tier].by_district[where[eid]].append(spells)
    return books


def year_points(tally: Tally, on: date) -> tuple[YearPoint, ...]:
    """The by-year table of one tally up to ``on``'s year, from its first year with a change."""
    years = [d.year for d in (tally.starts[:1] + tally.ends[:1]) if d.year <= on.year]
    if not years:
        return ()
    first = max(min(years), FIRST_YEAR)
    points = []
    for y in range(first, on.year + 1):
        end = on if y == on.year else date(y, 12, 31)
        a, r = _in_year(tally, y, end)
        points.append(YearPoint(y, a, r, a - r, tally.count_on(end)))
    return tuple(points)


def _in_year(tally: Tally, year: int, end: date) -> tuple[int, int]:
    start = date(year, 1, 1)
    return tally.added(start, end), tally.removed(start, end)


def _net_changes(tally: Tally, on: date) -> Counter[int]:
    """Net change per full year before ``on``'s year (for the projection)."""
    changes: Counter[int] = Counter()
    for y in (on.year - 2, on.year - 1):
        a, r = _in_year(tally, y, date(y, 12, 31))
        changes[y] = a - r
    return changes


def _district_names() -> dict[str, str]:
    return {**dict(District.objects.values_list("code", "name")), NO_DISTRICT: NO_DISTRICT_LABEL}


def _items(packs: Sequence[Any]) -> list[tuple[Any, str, str, dict[str, Any]]]:
    out = []
    for pack in packs:
        for group, spec in pack.targets.items():
            for item in spec.get("items", []):
                out.append((pack, group, str(spec.get("reference", "")), item))
    return out


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def progress(on: date, district: str | None = None) -> Progress:
    """Every target of every pack in force on ``on`` (see the module docstring)."""
    items = _items(packs_in_force())
    tiers = {str(i["tier"]) for _, _, _, i in items if i.get("measure") == "certifications" and i.get("tier")}
    books = title_books(sorted(tiers), district)
    names = _district_names()
    years_of: dict[str, tuple[YearPoint, ...]] = {}  # the same tier under two packs is counted once
    tallies: dict[str, tuple[Tally, dict[str, Tally]]] = {}
    results = []
    for pack, group, reference, item in items:
        tier = str(item.get("tier") or "")
        by = _as_date(item.get("by"))
        target = int(item["value"])
        base = {
            "pack_id": pack.id,
            "pack_citation": pack.citation or pack.id,
            "group": group,
            "reference": reference,
            "target_id": str(item["id"]),
            "label": str(item["label"]),
            "target": target,
            "unit": str(item.get("unit", "")),
            "by": by,
            "tier": tier,
        }
        if item.get("measure") == "seedling_pool":
            results.append(_pool_progress(base, on, by, target, district, names))
            continue
        if item.get("measure") != "certifications" or tier not in books:
            results.append(
                TargetProgress(
                    **base,
                    measured=False,
                    value=None,
                    projection=None,
                    explanation="数据库中尚无此指标的数据，本页不计算。",
                    years=(),
                    districts=(),
                )
            )
            continue
        if tier not in tallies:
            tallies[tier] = books[tier].tallies()
            years_of[tier] = year_points(tallies[tier][0], on)
        city, per_district = tallies[tier]
        value = city.count_on(on)
        proj = project(value, _net_changes(city, on), on, by or on, target)
        results.append(
            TargetProgress(
                **base,
                measured=True,
                value=value,
                projection=proj,
                explanation=explain(proj),
                years=years_of[tier],
                districts=_districts(per_district, on, by or on, target, value, names),
            )
        )
    return Progress(on, district or "", tuple(results))


def _pool_progress(
    base: dict[str, Any], on: date, by: date | None, target: int, district: str | None, names: dict[str, str]
) -> TargetProgress:
    """The seedling pool target (``measure: seedling_pool``): members in the pool on ``on``; graduates are
    counted apart (``services.seedlings``). A standing target without a date: the projection is today's value."""
    pool = pool_on(on, district)
    proj = project(pool.in_pool, {}, on, by or on, target)
    per = []
    for code, t in pool.by_district:
        share = target * t.in_pool // pool.in_pool if pool.in_pool else 0
        per.append(DistrictProgress(code, names.get(code, code), t.in_pool, (0, 0), t.in_pool, share))
    short = target - pool.in_pool
    gap = f"目标为动态保持 {target} 家以上，" + ("已达到。" if short <= 0 else f"尚差 {short} 家。")
    note = (
        f"种苗库在库 {pool.in_pool} 家，已获评小巨人（毕业）{pool.graduated} 家（毕业企业不再计入在库数）。"
    )
    return TargetProgress(
        **base,
        measured=True,
        value=pool.in_pool,
        projection=proj,
        explanation=note + gap,
        years=(),
        districts=tuple(per),
    )


def _districts(
    per_district: dict[str, Tally], on: date, by: date, target: int, city_value: int, names: dict[str, str]
) -> tuple[DistrictProgress, ...]:
    rows = []
    for code, tally in per_district.items():
        value = tally.count_on(on)
        changes = _net_changes(tally, on)
        proj = project(value, changes, on, by, target)
        share = target * value // city_value if city_value else 0
        rows.append(
            DistrictProgress(
                code,
                names.get(code, code),
                value,
                (changes[on.year - 2], changes[on.year - 1]),
                proj.projected,
                share,
            )
        )
    rows.sort(key=lambda d: (-d.value, d.code))
    return tuple(rows)


def published_baseline(tier: str | None = None) -> tuple[PublishedCount, ...]:
    """Hangzhou's published counts (all tiers, or one): the file's rows in file order, then rows only entered, each
    with its status, source and origin. Entries by city staff (``services.published_counts``) take precedence: the
    latest city-wide entry of a (tier, year, batch, kind) replaces the file's count, status and source; district
    entries replace (or add) that district's figure in ``by_district``. A key entered for districts only, with no
    city figure in the file or entered, counts the sum of its district figures (the origin says so)."""
    text = resources.files("srdi.reference_data").joinpath("hangzhou_published_counts.csv").read_text("utf-8")
    rows: dict[tuple[str, int, str, str], PublishedCount] = {}
    for line, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        key = (r["tier"], int(r["year"]), r["batch"], r["kind"])
        rows[key] = PublishedCount(
            r["tier"],
            int(r["year"]),
            r["batch"],
            r["kind"],
            int(r["hangzhou_count"]),
            r["by_district"],
            r["status"],
            r["source"],
            origin=f"文件第{line}行",
        )
    by_district: dict[tuple[str, int, str, str], list[tuple[str, int]]] = defaultdict(list)
    for e in entries_in_force():
        key = (e.tier, e.year, e.batch, e.kind)
        if e.district_id:
            by_district[key].append((e.district.name if e.district else e.district_id, e.count))
            continue
        old = rows.get(key)
        rows[key] = PublishedCount(
            e.tier,
            e.year,
            e.batch,
            e.kind,
            e.count,
            old.by_district if old else "",
            e.status,
            source_text(e),
            origin=origin_text(e) + ("，取代" + old.origin if old else ""),
            entry_id=e.pk,
        )
    for key, parts in by_district.items():
        old = rows.get(key)
        if old is None:
            rows[key] = PublishedCount(
                *key,
                sum(c for _, c in parts),
                merge_by_district("", parts),
                "SECONDARY",
                "分区县录入数",
                origin="分区县录入数之和（无全市数）",
            )
        else:
            rows[key] = replace(
                old,
                by_district=merge_by_district(old.by_district, parts),
                origin=old.origin + "；分区县数含录入",
            )
    return tuple(r for r in rows.values() if tier is None or r.tier == tier)


_TOKEN = re.compile(r"^(\D+?)(\d+)$")


def merge_by_district(text: str, parts: Iterable[tuple[str, int]]) -> str:
    """``by_district`` text ("余杭33 滨江30 …") with each entered (district name, count) replacing the token of
    that district (the token's name is the start of the district's name) or appended."""
    tokens = text.split()
    for name, count in parts:
        for i, token in enumerate(tokens):
            m = _TOKEN.match(token)
            if m and name.startswith(m.group(1)):
                tokens[i] = f"{m.group(1)}{count}"
                break
        else:
            tokens.append(f"{name}{count}")
    return " ".join(tokens)


def tier_label(tier: str) -> str:
    return TIERS.get(tier, tier)
