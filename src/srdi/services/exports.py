"""Exporting enterprises the user may see, as XLSX, CSV or exchange-format JSON (escaped, PII masked).

Use ``export_enterprises`` from every export path (page, CLI): it applies the user's scope, audits the
export, and returns the file bytes. ``profiles_from_db`` assembles profiles in bulk for any queryset,
``stored_profile`` one enterprise's.
XLSX is the format for people (Chinese headers, money in 万元 as number cells, codes stay text when the file
is opened, edited and saved); CSV is the
machine format and says so in its file name (``download_name``); JSON is the exchange format.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.db.models import QuerySet

from srdi.db.mapping import LISTS, MODEL_FIELDS, YEAR_FIELDS, build_profile
from srdi.db.models import AuditAction, Contact, Enterprise, EnterpriseYear, Event, User
from srdi.domain.masking import mask_id_number, mask_name, mask_phone
from srdi.interchange.template_xlsx import template_workbook
from srdi.interchange.writers import people_columns, people_row, profile_rows, write_csv, write_xlsx
from srdi.services import audit, scoping
from srdi.services.enterprise_writer import LIST_MODELS

# In the order offered to people: XLSX first.
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}
CHUNK = 2000
MACHINE_FORMAT = "机器交换格式"


class ExportError(ValueError):
    """The export cannot be made (bad format, no permission)."""


@dataclass
class ExportFile:
    """The export's bytes, suggested file name and content type, and how many enterprises it holds."""

    content: bytes
    filename: str
    content_type: str
    count: int


def profiles_from_db(
    queryset: QuerySet[Enterprise], *, with_contacts: bool = False
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(profile JSON, first contact) for each enterprise, read in chunks of 2,000."""
    ids = list(queryset.order_by("uscc").values_list("pk", flat=True))
    flags = [flag for flag, _ in LISTS.values()]
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        ents = {
            e["id"]: e
            for e in Enterprise.objects.filter(pk__in=part).values("id", "uscc", *MODEL_FIELDS, *flags)
        }
        years: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for y in EnterpriseYear.objects.filter(enterprise_id__in=part).values(
            "enterprise_id", "year", *YEAR_FIELDS
        ):
            years[y["enterprise_id"]].append(y)
        lists: dict[int, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for name, model in LIST_MODELS.items():
            fields = LISTS[name][1]
            for row in (
                model._default_manager.filter(enterprise_id__in=part)
                .order_by("id")
                .values("enterprise_id", *fields)
            ):
                lists[row["enterprise_id"]][name].append(row)
        events: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for ev in (
            Event.objects.filter(enterprise_id__in=part)
            .order_by("date", "id")
            .values("enterprise_id", "payload")
        ):
            events[ev["enterprise_id"]].append(ev)
        contacts: dict[int, dict[str, Any]] = {}
        if with_contacts:
            for c in (
                Contact.objects.filter(enterprise_id__in=part)
                .order_by("id")
                .values("enterprise_id", "name", "position", "phone", "id_number")
            ):
                contacts.setdefault(c["enterprise_id"], dict(c))
        for eid in part:
            ent = ents[eid]
            profile = build_profile(ent, years.get(eid, []), lists.get(eid, {}), events.get(eid))
            yield profile, contacts.get(eid)


def stored_profile(enterprise: Enterprise) -> dict[str, Any]:
    """One enterprise's profile JSON with its events, as ``profiles_from_db`` reads it."""
    profile, _ = next(profiles_from_db(Enterprise.objects.filter(pk=enterprise.pk)))
    return profile


def download_name(stem: str, file_format: str) -> str:
    """A download's file name; a CSV's name says it is the machine format (no label line inside the file)."""
    if file_format == "csv":
        return f"{stem}-{MACHINE_FORMAT}.csv"
    return f"{stem}.{file_format}"


def _masked(contact: dict[str, Any] | None) -> dict[str, str] | None:
    if not contact:
        return None
    return {
        "name": mask_name(contact.get("name")),
        "position": contact.get("position", ""),
        "phone": mask_phone(contact.get("phone")),
        "id_number": mask_id_number(contact.get("id_number")),
    }


PROGRESS_STEP = 500
T = TypeVar("T")


def counted(items: Iterable[T], total: int, progress: Callable[[int, int], None] | None) -> Iterator[T]:
    """``items`` unchanged, telling ``progress(done, total)`` every ``PROGRESS_STEP`` items and at the end."""
    done = 0
    for item in items:
        yield item
        done += 1
        if progress is not None and done % PROGRESS_STEP == 0:
            progress(done, total)
    if progress is not None:
        progress(done, max(total, done))


def export_enterprises(
    user: User | None,
    file_format: str,
    *,
    district: str | None = None,
    queryset: QuerySet[Enterprise] | None = None,
    ip: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ExportFile:
    """Export what the user may see (``user=None`` is the system itself, e.g. a CLI run by an operator);
    ``progress(done, total)`` is told every ``PROGRESS_STEP`` enterprises (a background job's progress bar)."""
    if file_format not in CONTENT_TYPES:
        raise ExportError(f"不支持的导出格式 {file_format!r}（可选 {'、'.join(CONTENT_TYPES)}）")
    if user is not None:
        verdict = scoping.can_export(user)
        if not verdict:
            raise ExportError(verdict.reason)
        base = scoping.enterprises_for(user)
    else:
        base = Enterprise.objects.all()
    qs = base if queryset is None else base.filter(pk__in=queryset.values("pk"))
    if district:
        qs = qs.filter(district_id=district)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    count = qs.count()
    if file_format == "json":
        profiles = [p for p, _ in counted(profiles_from_db(qs), count, progress)]
        content = json.dumps(profiles, ensure_ascii=False, indent=1).encode("utf-8")
    else:
        rows = (
            row
            for p, c in counted(profiles_from_db(qs, with_contacts=True), count, progress)
            for row in profile_rows(p, _masked(c))
        )
        # XLSX for people: Chinese headers, money in 万元 as number cells (the import reads both back)
        people = (people_row(row) for row in rows)
        content = write_csv(rows) if file_format == "csv" else write_xlsx(people, people_columns())
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="enterprise",
        object_repr=f"导出 {count} 家企业（{file_format}）",
        new={"format": file_format, "district": district, "count": count},
        ip_address=ip,
    )
    return ExportFile(
        content, download_name(f"srdi-enterprises-{stamp}", file_format), CONTENT_TYPES[file_format], count
    )


def import_template(file_format: str) -> ExportFile:
    """The blank import template: XLSX for people (Chinese headers, 说明, drop-downs), CSV for machines."""
    name = download_name("srdi-import-template", file_format)
    if file_format == "xlsx":
        return ExportFile(template_workbook(), name, CONTENT_TYPES["xlsx"], 0)
    if file_format == "csv":
        return ExportFile(write_csv([]), name, CONTENT_TYPES["csv"], 0)
    raise ExportError("模板格式可选 xlsx 或 csv")
