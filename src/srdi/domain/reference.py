"""Reference tables shipped as versioned CSV files: districts, ecosystems, the "296X" clusters, the 1-year LPR.

Use ``districts()`` / ``district_name()`` for the 13 Hangzhou codes, ``ECOSYSTEMS`` for the five industrial
ecosystems of 81号, ``clusters_296x()`` for the city's "296X" advanced-manufacturing clusters (the focus of the
2025-12-28 successor policy), and ``lpr_on(date)`` for the 1-year LPR in force on a date. The files live in
``srdi/reference_data`` and can be updated without a code change.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path


def read_reference_csv(name: str) -> list[dict[str, str]]:
    """Rows of a reference CSV as dicts (header → cell text)."""
    text = resources.files("srdi.reference_data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@dataclass(frozen=True)
class District:
    """A county-level division of 杭州市."""

    code: str
    name: str
    kind: str


@cache
def districts() -> tuple[District, ...]:
    """The 13 county-level divisions of Hangzhou (criteria.md §8.3)."""
    return tuple(
        District(r["code"], r["name"], r["kind"]) for r in read_reference_csv("hangzhou_districts.csv")
    )


@cache
def district_codes() -> frozenset[str]:
    """The set of valid district codes."""
    return frozenset(d.code for d in districts())


def district_name(code: str | None) -> str:
    """Chinese name of a district code, or the code itself when unknown."""
    for d in districts():
        if d.code == code:
            return d.name
    return code or "—"


ECOSYSTEMS: dict[str, str] = {
    "smart_iot": "智能物联",
    "biomedicine": "生物医药",
    "high_end_equipment": "高端装备",
    "new_materials": "新材料",
    "green_energy": "绿色能源",
}

TIERS: dict[str, str] = {
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "省级专精特新中小企业",
    "hidden_champion": "省隐形冠军企业",
    "little_giant": "国家级专精特新“小巨人”企业",
}

# What a certification may record: the tiers, and (v1.1) a 科技型中小企业 registration, which 2号 第三十条 counts as a
# tier-1 title beside 创新型中小企业. Not a rung of the ladder (``TIERS``).
CERT_TIERS: dict[str, str] = {**TIERS, "tech_sme": "科技型中小企业（入库登记）"}


@dataclass(frozen=True)
class Cluster:
    """One of Hangzhou's "296X" advanced-manufacturing clusters (市"296X"先进制造业集群)."""

    code: str
    name: str
    tier: str  # trillion (万亿级) | hundred_billion (千亿级) | future (未来产业, the named "6" of "6+X")
    tier_label: str
    status: str  # how the row was read: SECONDARY (see reference_data/README.md)
    source: str


CLUSTER_TIERS = ("trillion", "hundred_billion", "future")


@cache
def clusters_296x() -> tuple[Cluster, ...]:
    """The "296X" clusters: 2 万亿级, 9 千亿级 and the six named 未来产业 (the "X" is open and has no row)."""
    out = []
    previous_source = ""
    for r in read_reference_csv("hangzhou_296x_clusters.csv"):
        if r["tier"] not in CLUSTER_TIERS:
            raise ValueError(f"296X 集群 {r['code']} 的层级 {r['tier']!r} 不在 {CLUSTER_TIERS} 中")
        source = previous_source if r["source"] == "同上" else r["source"]
        previous_source = source
        out.append(Cluster(r["code"], r["name"], r["tier"], r["tier_label"], r["status"], source))
    return tuple(out)


def cluster_name(code: str | None) -> str:
    """Chinese name of a "296X" cluster code, or the code itself when unknown."""
    for c in clusters_296x():
        if c.code == code:
            return c.name
    return code or "—"


# Ladder position, lowest first; used to show an enterprise's highest valid title.
TIER_RANK: dict[str, int] = {"innovative_sme": 1, "srdi_sme": 2, "hidden_champion": 3, "little_giant": 4}


@dataclass(frozen=True)
class LprRelease:
    """One LPR release: the 1-year rate in force from ``released_on`` until the next release."""

    released_on: date
    one_year_percent: Decimal
    version: str = ""  # the approved parameter change that added it (``PV12``); "" for the CSV file


@cache
def _lpr_table_default() -> tuple[LprRelease, ...]:
    return parse_lpr_rows(read_reference_csv("lpr_1y.csv"))


def parse_lpr_rows(rows: list[dict[str, str]]) -> tuple[LprRelease, ...]:
    """Parse LPR CSV rows, sorted by release date; refuses duplicate dates."""
    releases = sorted(
        (LprRelease(date.fromisoformat(r["release_date"]), Decimal(r["lpr_1y_percent"])) for r in rows),
        key=lambda r: r.released_on,
    )
    seen = set()
    for r in releases:
        if r.released_on in seen:
            raise ValueError(f"LPR 表中发布日期重复: {r.released_on}")
        seen.add(r.released_on)
    return tuple(releases)


_lpr_override: tuple[LprRelease, ...] | None = None


def use_lpr_file(path: Path | None) -> None:
    """Use another LPR CSV (same columns) instead of the shipped one; ``None`` restores the default."""
    global _lpr_override
    if path is None:
        _lpr_override = None
        return
    with path.open(encoding="utf-8") as fh:
        _lpr_override = parse_lpr_rows(list(csv.DictReader(fh)))


# Releases approved in the product (``srdi lpr propose`` → a second person approves), laid over the table above;
# set by ``srdi.services.lpr`` from the database before the product evaluates anything.
_lpr_approved: tuple[LprRelease, ...] = ()


def use_lpr_releases(releases: tuple[LprRelease, ...]) -> None:
    """Lay approved releases over the file table: a release on a date the file has replaces the file's row."""
    global _lpr_approved
    _lpr_approved = tuple(releases)


def lpr_file_table() -> tuple[LprRelease, ...]:
    """The releases of the CSV file in use (the shipped one, or a local one from ``use_lpr_file``)."""
    return _lpr_override if _lpr_override is not None else _lpr_table_default()


def lpr_table() -> tuple[LprRelease, ...]:
    """The LPR releases in use, oldest first: the file table with the approved releases laid over it."""
    base = lpr_file_table()
    if not _lpr_approved:
        return base
    merged = {r.released_on: r for r in base}
    merged.update((r.released_on, r) for r in _lpr_approved)
    return tuple(merged[day] for day in sorted(merged))


def lpr_on(day: date) -> LprRelease | None:
    """The 1-year LPR in force on ``day``: the latest release on or before it (None before the first)."""
    found = None
    for release in lpr_table():
        if release.released_on <= day:
            found = release
        else:
            break
    return found
