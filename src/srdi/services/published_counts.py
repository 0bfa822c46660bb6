"""Official published counts entered by city staff, merged with the reference file into the baseline.

Use ``enter(user, ...)`` to record a published count (a refusal is a ``PublishedCountError`` naming the field),
``entries_in_force()`` for the latest entry of each key and ``history(entry)`` for the entries it superseded.
``programme_targets.published_baseline`` merges these with ``reference_data/hangzhou_published_counts.csv``, so
the cockpit and the targets see them everywhere. A key is (tier, year, batch, kind, district); the latest entry of
a key supersedes the earlier ones, which are kept (entries are never edited). An entry without a district
overrides the file row of the same (tier, year, batch, kind) or adds a row; an entry with a district gives that
district's figure within the row. Only city staff enter counts (``PROGRAMME_TARGETS_MANAGE``); every entry is
audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, District, PublishedCountEntry, User
from srdi.domain.permissions import Permission, Scope
from srdi.domain.reference import TIERS
from srdi.services import audit, scoping

KIND_LABELS = {
    "new": "新认定",
    "review_passed": "复核通过",
    "new_proposed": "拟认定（公示）",
    "review_proposed": "拟复核通过（公示）",
    "new_proactive_proposed": "主动发现拟认定（公示）",
}
FIRST_YEAR = 2011  # the first 专精特新 batches; nothing published before
COUNT_MAX = 1_000_000


class PublishedCountError(Exception):
    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


Key = tuple[str, int, str, str, str]  # tier, year, batch, kind, district code ("" for the city)


def key_of(e: PublishedCountEntry) -> Key:
    return (e.tier, e.year, e.batch, e.kind, e.district_id or "")


def may_enter(user: User) -> bool:
    return bool(scoping.can(user, Permission.PROGRAMME_TARGETS_MANAGE)) and user.scope is Scope.ALL


@dataclass(frozen=True)
class EntryInput:
    """What the form sends, still as text where people type it."""

    tier: str
    year: str
    batch: str
    kind: str
    district: str
    count: str
    status: str
    doc_number: str = ""
    url: str = ""
    title: str = ""


def _int(text: str, what: str, field: str) -> int:
    raw = (text or "").strip().replace(",", "")
    if not raw:
        raise PublishedCountError(f"请填写{what}", field)
    if not raw.isdigit():
        raise PublishedCountError(f"{what}应为不小于 0 的整数（单位：家）", field)
    return int(raw)


def _validate(data: EntryInput, today: date) -> dict[str, object]:
    if data.tier not in TIERS:
        raise PublishedCountError("请选择层级", "tier")
    year = _int(data.year, "年度", "year")
    if year > today.year:
        raise PublishedCountError(f"年度不能晚于今年（{today.year}）", "year")
    if year < FIRST_YEAR:
        raise PublishedCountError(f"年度不能早于 {FIRST_YEAR}", "year")
    batch = (data.batch or "").strip()
    if not batch or len(batch) > 60:
        raise PublishedCountError("请填写批次（60 字以内），如“第七批”", "batch")
    if data.kind not in KIND_LABELS:
        raise PublishedCountError("请选择类别", "kind")
    district = (data.district or "").strip()
    if district and not District.objects.filter(code=district).exists():
        raise PublishedCountError("区县不存在", "district")
    count = _int(data.count, "数量", "count")
    if count > COUNT_MAX:
        raise PublishedCountError("数量过大，请核对", "count")
    if data.status not in PublishedCountEntry.Status.values:
        raise PublishedCountError("请选择可信度", "status")
    doc, url, title = (data.doc_number or "").strip(), (data.url or "").strip(), (data.title or "").strip()
    if not (doc or url or title):
        raise PublishedCountError("请至少填写来源文件的文号、网址或标题之一", "doc_number")
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
            raise PublishedCountError("网址应以 http:// 或 https:// 开头", "url")
    if len(doc) > 100 or len(title) > 200:
        raise PublishedCountError("文号不超过 100 字、标题不超过 200 字", "doc_number")
    return {
        "tier": data.tier,
        "year": year,
        "batch": batch,
        "kind": data.kind,
        "district_id": district or None,
        "count": count,
        "status": data.status,
        "doc_number": doc,
        "url": url,
        "title": title,
    }


def enter(user: User, data: EntryInput, *, ip: str = "") -> PublishedCountEntry:
    """Record one published count; the previous entry of the same key (if any) is superseded, not changed."""
    if not may_enter(user):
        raise PublishedCountError("官方公布数由市经信局工作人员录入")
    fields = _validate(data, timezone.localdate())
    with transaction.atomic():
        previous = (
            PublishedCountEntry.objects.select_for_update()
            .filter(**{k: fields[k] for k in ("tier", "year", "batch", "kind", "district_id")})
            .order_by("-id")
            .first()
        )
        entry = PublishedCountEntry.objects.create(
            **fields, supersedes=previous, entered_by=user, entered_at=timezone.now()
        )
        audit.record(
            AuditAction.CREATE,
            user,
            object_type="published_count",
            object_id=str(entry.pk),
            object_repr=f"录入官方公布数：{TIERS.get(entry.tier, entry.tier)} {entry.year} {entry.batch} "
            f"{KIND_LABELS[entry.kind]} {entry.district_id or '全市'} = {entry.count}"[:255],
            old={"supersedes": previous.pk, "count": previous.count} if previous else None,
            new={k: v for k, v in fields.items()},
            ip_address=ip,
        )
    return entry


def entries_in_force() -> list[PublishedCountEntry]:
    """The latest entry of each key, oldest key first."""
    latest: dict[Key, PublishedCountEntry] = {}
    for e in PublishedCountEntry.objects.select_related("entered_by", "district").order_by("id"):
        latest[key_of(e)] = e
    return sorted(latest.values(), key=lambda e: e.id)


def all_entries() -> list[PublishedCountEntry]:
    """Every entry, newest first, for the history list."""
    return list(
        PublishedCountEntry.objects.select_related("entered_by", "district", "supersedes").order_by("-id")
    )


def source_text(e: PublishedCountEntry) -> str:
    """The source document as one line: 文号, title and URL, as given."""
    return "；".join(p for p in (e.doc_number, e.title, e.url) if p)


def origin_text(e: PublishedCountEntry) -> str:
    """Who entered it and when (the cockpit's "来源" column)."""
    who = e.entered_by.get_full_name() or e.entered_by.username
    when = timezone.localtime(e.entered_at).strftime("%Y-%m-%d")
    return f"录入（{who}，{when}，#{e.pk}）"
