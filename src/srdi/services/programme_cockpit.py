"""The cockpit's figures as tables: the one source of the page, its charts and its XLSX downloads.

Use ``cockpit(on, district)`` (``district`` None: the city; a code: that district only — the caller decides
which the user may see). It joins ``programme_targets.progress`` and ``programme_pipeline.pipeline`` and lays
them out as ``Table`` objects (targets, districts, years, pipeline, seedling pool, published baseline with the
origin of each figure), so that what the page shows and what a download contains are the same rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction

from srdi.db.models import District, PublishedCountEntry
from srdi.services.programme_pipeline import Pipeline, pipeline
from srdi.services.programme_targets import Progress, TargetProgress, progress, published_baseline, tier_label
from srdi.services.programme_version import data_versions
from srdi.services.seedlings import POOL_TARGET_ID, PoolCount, pool_on

CACHE_FORMAT = "v3"  # change when the cached classes change shape
CACHE_SECONDS = 3600
_MISSING = object()
KIND_LABELS = {
    "new": "新认定",
    "review_passed": "复核通过",
    "new_proposed": "拟认定（公示）",
    "review_proposed": "拟复核通过（公示）",
    "new_proactive_proposed": "主动发现拟认定（公示）",
}


@dataclass(frozen=True)
class Table:
    """One exportable table: a key for its download, a Chinese title, column headers and rows."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    # Columns quoted as their source wrote them (a published count's 来源 note, often English): shown
    # verbatim, marked ``data-verbatim`` on the page.
    verbatim_columns: frozenset[int] = frozenset()

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass(frozen=True)
class Cockpit:
    on: date
    district: str  # "" for the city
    progress: Progress
    pipeline: Pipeline | None
    tables: tuple[Table, ...]
    pool: PoolCount | None = None  # the 小巨人 seedling pool on ``on`` (same district restriction)
    pool_target: int = 0  # the pool target of the packs in force (0 when none)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    @property
    def measured(self) -> tuple[TargetProgress, ...]:
        return tuple(t for t in self.progress.targets if t.measured)


def _pct(t: TargetProgress) -> str:
    p = t.percent_done
    return "" if p is None else f"{p:.1f}%"


def _targets_table(p: Progress) -> Table:
    rows = []
    for t in p.targets:
        proj = t.projection
        rows.append(
            (
                t.pack_citation,
                t.label,
                tier_label(t.tier) if t.tier else "",
                t.value,
                t.target,
                t.unit,
                _pct(t),
                t.by.isoformat() if t.by else "",
                proj.projected if proj else None,
                ("是" if proj.on_track else "否") if proj else "",
                len(t.lagging) if t.measured else None,
                t.explanation,
            )
        )
    return Table(
        "targets",
        "目标进度",
        (
            "政策",
            "目标",
            "层级",
            "当前值",
            "目标值",
            "单位",
            "完成率",
            "目标日期",
            "预计期末值",
            "按期完成",
            "落后区县数",
            "说明",
        ),
        tuple(rows),
    )


def _districts_table(p: Progress) -> Table:
    rows = []
    for t in p.targets:
        for d in t.districts:
            rows.append(
                (
                    t.pack_citation,
                    t.label,
                    d.name,
                    d.code,
                    d.value,
                    d.added_last_two_years[0],
                    d.added_last_two_years[1],
                    d.projected,
                    d.share_of_target,
                    "是" if d.lags else "否",
                )
            )
    y = p.on.year
    return Table(
        "districts",
        "分区县进度",
        (
            "政策",
            "目标",
            "区县",
            "区划代码",
            "当前值",
            f"{y - 2}年净增",
            f"{y - 1}年净增",
            "预计期末值",
            "按比例应达",
            "落后",
        ),
        tuple(rows),
    )


def _years_table(p: Progress) -> Table:
    rows = []
    seen: set[str] = set()
    for t in p.targets:
        if not t.measured or t.tier in seen:
            continue
        seen.add(t.tier)
        for point in t.years:
            rows.append(
                (tier_label(t.tier), point.year, point.added, point.removed, point.net, point.cumulative)
            )
    return Table(
        "years", "分年度累计", ("层级", "年度", "新增", "撤销/取消", "净增", "年末累计"), tuple(rows)
    )


def _pipeline_table(pipe: Pipeline | None) -> Table:
    rows = []
    if pipe is not None:
        for t in pipe.tiers:
            rows.append((t.label, "合计", "", t.total))
            rows.extend((t.label, d.name, d.code, d.count) for d in t.districts)
    return Table(
        "pipeline", "培育梯队（符合条件尚未获评）", ("层级", "区县", "区划代码", "企业数"), tuple(rows)
    )


_STATUS_LABELS = dict(PublishedCountEntry.Status.choices)
_STATUS_QUALIFIERS = {"derived": "推算"}


def _status_text(status: str) -> str:
    """A count's reliability for people: “二手来源”, “二手来源（推算）” for the file's “SECONDARY derived”."""
    code, _, rest = status.partition(" ")
    text = _STATUS_LABELS.get(code, code)
    qualifier = _STATUS_QUALIFIERS.get(rest.strip(), rest.strip())
    return f"{text}（{qualifier}）" if qualifier else text


def _baseline_table() -> Table:
    rows = tuple(
        (
            tier_label(r.tier),
            r.year,
            r.batch,
            KIND_LABELS.get(r.kind, r.kind),
            r.count,
            "是" if r.adds else "否",
            r.by_district.replace("unknown", "区县不详"),
            _status_text(r.status),
            r.source,
            r.origin,
        )
        for r in published_baseline()
    )
    return Table(
        "baseline",
        "官方公布数（基数）",
        ("层级", "年度", "批次", "类别", "杭州数", "计入累计", "分区县", "可信度", "来源", "数据出处"),
        rows,
        verbatim_columns=frozenset({8}),
    )


def _pool_table(pool: PoolCount, target: int, names: dict[str, str]) -> Table:
    rows: list[tuple[Any, ...]] = [("合计", "", pool.in_pool, pool.graduated, target or None)]
    rows.extend(
        (names.get(code, code or "区县不详"), code, t.in_pool, t.graduated, None)
        for code, t in pool.by_district
    )
    return Table(
        "seedlings",
        "小巨人种苗库",
        ("区县", "区划代码", "在库企业数", "已获评小巨人（毕业）", "目标（家以上）"),
        tuple(rows),
    )


def cockpit(on: date, district: str | None = None) -> Cockpit:
    """Every figure of the cockpit on ``on`` for the city (``district`` None) or one district.

    Cached per part (Django's cache, one hour): the target progress and the seedling pool under a key with the
    title part of ``programme_version.data_versions()``, the pipeline under one with its pipeline part. Any write
    to the rows a part reads changes its key, so a cached cockpit is never stale, and a new screening recomputes
    only the pipeline. Without a fingerprint (neither PostgreSQL nor SQLite) it is computed every time."""
    versions = data_versions()
    if versions is None:
        return compute_cockpit(on, district)
    scope = district or "city"
    prog = _cached(
        f"progress:{on.isoformat()}:{scope}", versions.titles, Progress, lambda: progress(on, district)
    )
    pipe = _cached(f"pipeline:{scope}", versions.pipeline, (Pipeline, type(None)), lambda: pipeline(district))
    # the pool reads the pool's spells, titles (graduation) and districts: all in the title part
    pool = _cached(
        f"pool:{on.isoformat()}:{scope}", versions.titles, PoolCount, lambda: pool_on(on, district)
    )
    return _assemble(on, district, prog, pipe, pool)


def _cached(name: str, version: str, kind: Any, compute: Callable[[], Any]) -> Any:
    digest = hashlib.sha256(version.encode()).hexdigest()[:32]
    key = f"srdi:cockpit:{CACHE_FORMAT}:{name}:{digest}"
    found = cache.get(key, _MISSING)
    if isinstance(found, kind):
        return found
    with _without_jit():
        fresh = compute()
    cache.set(key, fresh, CACHE_SECONDS)
    return fresh


@contextmanager
def _without_jit() -> Iterator[None]:
    """On PostgreSQL, JIT compilation off for this transaction (``SET LOCAL jit = off``): the cockpit's queries
    pass the JIT cost threshold, and compiling took longer (about 0.9 s at 100,000 enterprises) than running them
    (about 0.2 s)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def compute_cockpit(on: date, district: str | None = None) -> Cockpit:
    """The cockpit computed from the database now (no cache)."""
    with _without_jit():
        prog = progress(on, district)
        pipe = pipeline(district)
        pool = pool_on(on, district)
    return _assemble(on, district, prog, pipe, pool)


def _assemble(
    on: date, district: str | None, prog: Progress, pipe: Pipeline | None, pool: PoolCount
) -> Cockpit:
    target = next((t.target for t in prog.targets if t.target_id == POOL_TARGET_ID), 0)
    names = dict(District.objects.values_list("code", "name"))
    tables = (
        _targets_table(prog),
        _districts_table(prog),
        _years_table(prog),
        _pipeline_table(pipe),
        _pool_table(pool, target, names),
        _baseline_table(),
    )
    return Cockpit(on, district or "", prog, pipe, tables, pool, target)
