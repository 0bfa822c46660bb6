"""Writing validated profiles into the database: an idempotent merge that records what changed.

Use ``write_profiles`` from a service that owns the transaction (imports, the API). Stated values overwrite,
unknown values leave the stored value alone, and a supplied list (titles, certifications …) replaces the
stored list when it differs. Writing the same profiles twice changes nothing the second time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from srdi.db.mapping import (
    EVENT_KEYS,
    LISTS,
    YEAR_FIELDS,
    enterprise_values,
    event_rows,
    list_items,
)
from srdi.db.models import (
    AuditAction,
    Award,
    Certification,
    Contact,
    Contest,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    ImportBatch,
    Title,
    User,
)
from srdi.domain.exchange import Profile
from srdi.domain.size_class import classify_size, fen_to_wan_floor
from srdi.services import audit

LIST_MODELS = {
    "titles": Title,
    "awards": Award,
    "contests": Contest,
    "equity_financing": EquityFinancing,
    "certifications": Certification,
}
CHUNK = 500


@dataclass
class WriteStats:
    """What a write changed."""

    created: int = 0
    updated: int = 0
    facts_changed: int = 0
    enterprise_ids: list[int] = field(default_factory=list)


@dataclass
class Incoming:
    """A validated profile plus the optional contact person from a spreadsheet row."""

    profile: Profile
    contact: dict[str, str] | None = None


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _size_of(industry_code: str | None, years: dict[int, dict[str, Any]]) -> tuple[str | None, int | None]:
    """Size class from the latest year that has employees or revenue."""
    for year in sorted(years, reverse=True):
        row = years[year]
        if row.get("employees") is not None or row.get("operating_revenue_fen") is not None:
            result = classify_size(
                industry_code,
                row.get("employees"),
                fen_to_wan_floor(row.get("operating_revenue_fen")),
                fen_to_wan_floor(row.get("total_assets_fen")),
            )
            return result.size_class, year
    return None, None


def write_profiles(
    incoming: list[Incoming],
    *,
    actor: User | None,
    batch: ImportBatch | None,
    progress: Callable[[int], None] | None = None,
) -> WriteStats:
    """Merge profiles into the database (call inside a transaction) and audit each changed enterprise."""
    stats = WriteStats()
    by_uscc = {i.profile.uscc: i for i in incoming}
    existing: dict[str, Enterprise] = {}
    usccs = list(by_uscc)
    for part in _chunks(usccs):
        for ent in Enterprise.objects.filter(uscc__in=part):
            existing[ent.uscc] = ent

    provenance = {"source_batch": batch, "recorded_by": actor}
    changes: dict[str, dict[str, Any]] = defaultdict(dict)  # uscc → {field: [old, new]}
    to_create: list[Enterprise] = []
    to_update: list[Enterprise] = []
    update_fields: set[str] = set()
    for uscc, item in by_uscc.items():
        values = enterprise_values(item.profile)
        ent = existing.get(uscc)
        if ent is None:
            ent = Enterprise(uscc=uscc, **values, **provenance)
            for name in LISTS:
                if getattr(item.profile, name) is not None:
                    setattr(ent, LISTS[name][0], True)
            to_create.append(ent)
            changes[uscc]["_created"] = True
            continue
        dirty = False
        for name, value in values.items():
            old = getattr(ent, name)
            if old != value:
                changes[uscc][name] = [old, value]
                setattr(ent, name, value)
                update_fields.add(name)
                dirty = True
        if dirty:
            to_update.append(ent)
    Enterprise.objects.bulk_create(to_create, batch_size=CHUNK)
    if to_create and to_create[0].pk is None:  # backends without RETURNING
        for part in _chunks([e.uscc for e in to_create]):
            for ent in Enterprise.objects.filter(uscc__in=part):
                existing[ent.uscc] = ent
    for ent in to_create:
        if ent.pk is not None:
            existing[ent.uscc] = ent
    stats.created = len(to_create)

    ids = {uscc: existing[uscc].pk for uscc in by_uscc}
    id_list = list(ids.values())
    _write_years(by_uscc, ids, id_list, provenance, changes)
    _write_lists(by_uscc, ids, id_list, provenance, changes)
    _write_events(by_uscc, ids, id_list, provenance, changes)
    _write_contacts(by_uscc, ids, id_list, provenance, changes)

    # Size class follows the data: recompute for every enterprise touched.
    touched = [u for u in by_uscc if changes.get(u)]
    size_updates = _recompute_sizes([existing[u] for u in touched])
    for ent, old_size, new_size in size_updates:
        if old_size != new_size and not changes[ent.uscc].get("_created"):
            changes[ent.uscc]["size_class"] = [old_size, new_size]
    if size_updates:
        Enterprise.objects.bulk_update(
            [u[0] for u in size_updates], ["size_class", "size_year"], batch_size=CHUNK
        )

    for ent in to_update:
        for k, v in provenance.items():
            setattr(ent, k, v)
    if to_update:
        Enterprise.objects.bulk_update(
            to_update, sorted(update_fields | {"source_batch", "recorded_by"}), batch_size=CHUNK
        )
    updated_ids = {u for u, c in changes.items() if c and not c.get("_created")}
    stats.updated = len(updated_ids)
    stats.facts_changed = sum(len([k for k in c if k != "_created"]) or 1 for c in changes.values() if c)
    stats.enterprise_ids = [existing[u].pk for u in touched]

    entries = []
    for uscc in touched:
        ent = existing[uscc]
        created = changes[uscc].pop("_created", False)
        entries.append(
            audit.Entry(
                action=AuditAction.CREATE if created else AuditAction.UPDATE,
                actor=actor,
                object_type="enterprise",
                object_id=str(ent.pk),
                object_repr=f"{ent.name}（{uscc}）",
                old=None if created else {k: v[0] for k, v in changes[uscc].items()},
                new=audit.jsonable(enterprise_values(by_uscc[uscc].profile))
                if created
                else {k: v[1] for k, v in changes[uscc].items()},
                extra={"import_batch": batch.pk} if batch else None,
            )
        )
    audit.record_many(entries)
    if progress:
        progress(len(incoming))
    return stats


def _write_years(by_uscc, ids, id_list, provenance, changes) -> None:  # type: ignore[no-untyped-def]
    stored: dict[tuple[int, int], EnterpriseYear] = {}
    for part in _chunks(id_list):
        for row in EnterpriseYear.objects.filter(enterprise_id__in=part):
            stored[(row.enterprise_id, row.year)] = row
    create, update, fields_used = [], [], set()
    for uscc, item in by_uscc.items():
        for key, fin in (item.profile.financials or {}).items():
            year = int(key)
            values = {f: getattr(fin, f) for f in YEAR_FIELDS if getattr(fin, f) is not None}
            row = stored.get((ids[uscc], year))
            if row is None:
                create.append(EnterpriseYear(enterprise_id=ids[uscc], year=year, **values, **provenance))
                changes[uscc][f"financials.{year}"] = [None, "新增"]
                continue
            dirty = False
            for f, v in values.items():
                if getattr(row, f) != v:
                    changes[uscc][f"financials.{year}.{f}"] = [getattr(row, f), v]
                    setattr(row, f, v)
                    fields_used.add(f)
                    dirty = True
            if dirty:
                for k, v in provenance.items():
                    setattr(row, k, v)
                update.append(row)
    EnterpriseYear.objects.bulk_create(create, batch_size=CHUNK)
    if update:
        EnterpriseYear.objects.bulk_update(
            update, sorted(fields_used | {"source_batch", "recorded_by"}), batch_size=CHUNK
        )


def _write_lists(by_uscc, ids, id_list, provenance, changes) -> None:  # type: ignore[no-untyped-def]
    flags_update: list[Enterprise] = []
    for name, model in LIST_MODELS.items():
        flag, fields = LISTS[name]
        wanted = {u: list_items(i.profile, name) for u, i in by_uscc.items()}
        wanted = {u: v for u, v in wanted.items() if v is not None}
        if not wanted:
            continue
        stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        wanted_ids = [ids[u] for u in wanted]
        for part in _chunks(wanted_ids):
            for row in model.objects.filter(enterprise_id__in=part).values("enterprise_id", *fields):
                stored[row["enterprise_id"]].append(tuple(row[f] for f in fields))
        replace_ids, create = [], []
        known_flags = (
            dict(Enterprise.objects.filter(pk__in=wanted_ids).values_list("pk", flag))
            if len(wanted_ids) < 5000
            else _flags_in_chunks(wanted_ids, flag)
        )
        for uscc, items in wanted.items():
            eid = ids[uscc]
            current = sorted(stored.get(eid, []), key=lambda t: tuple("" if v is None else str(v) for v in t))
            if current == items and known_flags.get(eid):
                continue
            if current != items:
                changes[uscc][name] = [len(current), len(items)]
                replace_ids.append(eid)
                create.extend(
                    model(enterprise_id=eid, **dict(zip(fields, it, strict=True)), **provenance)
                    for it in items
                )
            if not known_flags.get(eid):
                ent = Enterprise(pk=eid)
                setattr(ent, flag, True)
                flags_update.append((ent, flag))  # type: ignore[arg-type]
                changes[uscc].setdefault(name, [None, len(items)])
        for part in _chunks(replace_ids):
            model.objects.filter(enterprise_id__in=part).delete()
        model.objects.bulk_create(create, batch_size=CHUNK)
    by_flag: dict[str, list[Enterprise]] = defaultdict(list)
    for ent, flag in flags_update:  # type: ignore[misc]
        by_flag[flag].append(ent)
    for flag, ents in by_flag.items():
        Enterprise.objects.bulk_update(ents, [flag], batch_size=CHUNK)


def _flags_in_chunks(ids: list[int], flag: str) -> dict[int, bool]:
    out: dict[int, bool] = {}
    for part in _chunks(ids):
        out.update(dict(Enterprise.objects.filter(pk__in=part).values_list("pk", flag)))
    return out


def _write_events(by_uscc, ids, id_list, provenance, changes) -> None:  # type: ignore[no-untyped-def]
    wanted = {u: event_rows(i.profile) for u, i in by_uscc.items()}
    wanted = {u: v for u, v in wanted.items() if v is not None}
    if not wanted:
        return
    stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for part in _chunks([ids[u] for u in wanted]):
        for row in Event.objects.filter(enterprise_id__in=part).values(
            "enterprise_id", "kind", "date", "key", "payload"
        ):
            stored[row["enterprise_id"]].append((row["kind"], row["date"], row["key"], row["payload"]))
    replace, create = [], []
    for uscc, rows in wanted.items():
        eid = ids[uscc]
        norm = sorted((r[0], str(r[1]), r[2], audit.jsonable(r[3])) for r in rows)
        cur = sorted((r[0], str(r[1]), r[2], r[3]) for r in stored.get(eid, []))
        if norm == cur:
            continue
        changes[uscc]["events"] = [len(cur), len(norm)]
        replace.append(eid)
        create.extend(
            Event(enterprise_id=eid, kind=k, date=d, key=key, payload=audit.jsonable(p), **provenance)
            for k, d, key, p in rows
        )
    for part in _chunks(replace):
        Event.objects.filter(enterprise_id__in=part).delete()
    Event.objects.bulk_create(create, batch_size=CHUNK)
    assert EVENT_KEYS  # keys are part of the stored row


def _write_contacts(by_uscc, ids, id_list, provenance, changes) -> None:  # type: ignore[no-untyped-def]
    wanted = {u: i.contact for u, i in by_uscc.items() if i.contact and i.contact.get("name")}
    if not wanted:
        return
    stored: dict[tuple[int, str], Contact] = {}
    for part in _chunks([ids[u] for u in wanted]):
        for c in Contact.objects.filter(enterprise_id__in=part):
            stored[(c.enterprise_id, c.name)] = c
    for uscc, contact in wanted.items():
        key = (ids[uscc], contact["name"])
        values = {k: contact.get(k, "") or "" for k in ("position", "phone", "id_number")}
        current = stored.get(key)
        if current is None:
            Contact.objects.create(enterprise_id=key[0], name=key[1], **values, **provenance)
            changes[uscc]["contact"] = [None, "新增联系人"]
        elif any(getattr(current, k) != v for k, v in values.items() if v):
            for k, v in values.items():
                if v:
                    setattr(current, k, v)
            current.save()
            changes[uscc]["contact"] = ["已更新", "已更新"]


def _recompute_sizes(enterprises: list[Enterprise]) -> list[tuple[Enterprise, str | None, str | None]]:
    out = []
    ids = [e.pk for e in enterprises]
    years: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for part in _chunks(ids):
        for row in EnterpriseYear.objects.filter(enterprise_id__in=part).values(
            "enterprise_id", "year", "employees", "operating_revenue_fen", "total_assets_fen"
        ):
            years[row["enterprise_id"]][row["year"]] = row
    for ent in enterprises:
        size, year = _size_of(ent.industry_code, years.get(ent.pk, {}))
        if size != ent.size_class or year != ent.size_year:
            old = ent.size_class
            ent.size_class, ent.size_year = size, year
            out.append((ent, old, size))
    return out
