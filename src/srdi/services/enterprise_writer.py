"""Writing validated profiles into the database: an idempotent merge that records what changed.

Use ``write_profiles`` from a service that owns the transaction (imports, the API). Stated values overwrite,
unknown values leave the stored value alone, and a supplied list (titles, certifications …) replaces the
stored list when it differs. Writing the same profiles twice changes nothing the second time.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from django.db import connections, models, router, transaction
from django.utils import timezone

from srdi.db.fields import keyed_hash
from srdi.db.mapping import LISTS, MODEL_FIELDS, YEAR_FIELDS, enterprise_values, event_rows, list_items
from srdi.db.models import (
    AuditAction,
    Award,
    Certification,
    Contact,
    Contest,
    DataUpdate,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    ImportBatch,
    IpItem,
    PlatformScore,
    Sanction,
    Title,
    User,
)
from srdi.domain.exchange import Profile
from srdi.domain.size_class import classify_size, fen_to_wan_floor
from srdi.services import audit

LIST_MODELS: dict[str, type[models.Model]] = {
    "titles": Title,
    "awards": Award,
    "contests": Contest,
    "equity_financing": EquityFinancing,
    "certifications": Certification,
    "ip_items": IpItem,
    "platform_scores": PlatformScore,
    "data_updates": DataUpdate,
    "sanctions": Sanction,
}
CHUNK = 500
LOOKUP_CHUNK = 2000  # ids per ``IN (…)`` read: fewer queries, well under SQLite's variable limit
AUDIT_CHUNK = 2000
INSERT_BUFFER = 4 * CHUNK  # model instances built before they are inserted (bounds memory on big imports)


@dataclass
class WriteStats:
    """What a write changed."""

    created: int = 0
    updated: int = 0
    facts_changed: int = 0
    enterprise_ids: list[int] = field(default_factory=list)


EventRow = tuple[str, date | None, str, dict[str, Any]]


@dataclass(frozen=True)
class Incoming:
    """A validated profile in the compact form the writer needs, plus the optional contact person.

    Build it with ``Incoming.of(profile)``. The pydantic profile itself is not kept: across 30,000 enterprises
    with their list items it is most of an import's memory, while these values and tuples are a third of it.
    """

    uscc: str
    name: str | None
    district: str | None
    values: dict[str, Any]  # model field → stated value (``enterprise_values``)
    years: dict[int, dict[str, Any]]  # year → its stated figures (unknown ones left out)
    lists: dict[str, list[tuple[Any, ...]] | None]  # list name → items in model field order; None = unknown
    events: list[EventRow] | None
    contact: dict[str, str] | None = None

    @classmethod
    def of(cls, profile: Profile, contact: dict[str, str] | None = None) -> Incoming:
        years = {
            int(year): {f: v for f in YEAR_FIELDS if (v := getattr(fin, f)) is not None}
            for year, fin in (profile.financials or {}).items()
        }
        return cls(
            uscc=profile.uscc,
            name=profile.name,
            district=profile.district,
            values=enterprise_values(profile),
            years=years,
            lists={name: list_items(profile, name) for name in LIST_MODELS},
            events=event_rows(profile),
            contact=contact,
        )


@dataclass
class _Write:
    """State shared by the steps of one write."""

    by_uscc: dict[str, Incoming]
    provenance: dict[str, Any]
    dry: bool = False  # compare only: every step notes what it would change and writes nothing
    ids: dict[str, int] = field(default_factory=dict)
    changes: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    created: set[int] = field(default_factory=set)  # ids of enterprises new in this write: nothing stored yet

    def note(self, uscc: str, key: str, old: Any, new: Any) -> None:
        self.changes[uscc][key] = [old, new]

    def settle_ids(self, ids: dict[str, int]) -> None:
        self.ids = ids
        self.created = {ids[u] for u in self.by_uscc if self.changes[u].get("_created")}

    def stored_ids(self, ids: Iterable[int]) -> list[int]:
        """The ids that may have stored rows (an enterprise created in this write has none to read)."""
        return [i for i in ids if i not in self.created]


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _manager(model: type[models.Model]) -> models.Manager[Any]:
    return model._default_manager


def _insert(model: type[models.Model], objs: list[Any]) -> None:
    """Insert new rows like ``bulk_create`` does, as one prepared ``INSERT`` run by ``executemany``.

    ``bulk_create`` compiles SQL for every value of every row; at 100,000 enterprise-years that compilation is
    most of an import's time. Here the rows get the same columns and the same values: each field's
    ``pre_save`` (``auto_now`` …) and ``get_db_prep_save``, as ``bulk_create`` applies them. The objects are
    marked saved, but their primary keys are not read back (the caller reads them when it needs them). What
    this path does not cover (a preset or non-automatic primary key, a database default, a field with its own
    SQL placeholder) goes to ``bulk_create``.
    """
    if not objs:
        return
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, models.AutoField)]
    if (
        not isinstance(opts.pk, models.AutoField)
        or any(hasattr(f, "get_placeholder") or f.db_default is not models.NOT_PROVIDED for f in fields)
        or any(obj._is_pk_set() for obj in objs)
    ):
        _manager(model).bulk_create(objs, batch_size=CHUNK)
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - table and column names from the model
        quote(opts.db_table), columns, ", ".join(["%s"] * len(fields))
    )
    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        for part in _chunks(objs, INSERT_BUFFER):
            for obj in part:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
            cursor.executemany(
                sql, [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in part]
            )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias


@dataclass(frozen=True)
class FieldChange:
    """One stored value an import would change: the field's path, the old and the new value."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class PlannedChange:
    """What writing one profile would do to its enterprise."""

    uscc: str
    created: bool
    changes: tuple[FieldChange, ...]


def plan_profiles(incoming: list[Incoming]) -> list[PlannedChange]:
    """What ``write_profiles`` would change, found by the same comparisons, without writing anything.

    Only enterprises that would change are listed; the derived size class is not (it follows the figures).
    """
    w = _Write({i.uscc: i for i in incoming}, {}, dry=True)
    existing = _load_enterprises(list(w.by_uscc))
    _write_enterprises(w, existing)
    # New enterprises get ids no stored row can have.
    w.settle_ids({u: existing[u].pk if u in existing else -n for n, u in enumerate(w.by_uscc, start=1)})
    _write_years(w)
    _write_lists(w)
    _write_events(w)
    _write_contacts(w)
    planned = []
    for uscc in w.by_uscc:
        changes = w.changes.get(uscc)
        if not changes:
            continue
        created = bool(changes.pop("_created", False))
        fields = tuple(FieldChange(k, v[0], v[1]) for k, v in changes.items())
        planned.append(PlannedChange(uscc, created, fields))
    return planned


# Field types whose Python values the database drivers take as they are (no conversion per value).
_PLAIN_FIELDS = (
    models.CharField,
    models.IntegerField,
    models.BooleanField,
    models.TextField,
    models.ForeignKey,
)


def _constant(field: models.Field[Any, Any], constants: dict[str, Any], now: datetime) -> Any:
    """The value a column gets in every inserted row: a provenance value, ``auto_now`` time or the default."""
    for key in (field.name, field.attname):
        if key in constants:
            value = constants[key]
            return value.pk if isinstance(value, models.Model) else value
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now if isinstance(field, models.DateTimeField) else timezone.localdate(now)
    return field.get_default() if field.has_default() else None


def _insert_rows(
    model: type[models.Model],
    names: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    constants: dict[str, Any],
) -> None:
    """Insert rows given as plain values (``names`` are field names or attnames, e.g. ``enterprise_id``).

    The columns not named get one value for all rows (``constants`` by field name, ``auto_now`` times, defaults),
    prepared once; named values of plain types go to the driver as they are, others through the field's
    ``get_db_prep_save``. No model instance is built: at 500,000 list items that is most of an import's time.
    """
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.generated and not isinstance(f, models.AutoField)]
    if not isinstance(opts.pk, models.AutoField) or any(
        hasattr(f, "get_placeholder")
        or f.db_default is not models.NOT_PROVIDED
        or getattr(f, "derived", False)
        for f in fields
    ):
        _insert(model, [model(**dict(zip(names, row, strict=True)), **constants) for row in rows])
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    position = {name: i for i, name in enumerate(names)}
    now = timezone.now()
    # Per column: (index in the row, field when the value needs preparing) or (-1, the prepared constant).
    plan: list[tuple[int, Any]] = []
    for f in fields:
        index = position.get(f.attname, position.get(f.name))
        if index is None:
            plan.append((-1, f.get_db_prep_save(_constant(f, constants, now), connection)))
        else:
            plain = isinstance(f, _PLAIN_FIELDS) and not getattr(f, "sealed", False)
            plan.append((index, None if plain else f))
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - table and column names from the model
        quote(opts.db_table), columns, ", ".join(["%s"] * len(fields))
    )

    def prepared(row: tuple[Any, ...]) -> list[Any]:
        out = []
        for index, how in plan:
            if index < 0:
                out.append(how)
            elif how is None or row[index] is None:
                out.append(row[index])
            else:
                out.append(how.get_db_prep_save(row[index], connection))
        return out

    with transaction.atomic(using=alias, savepoint=False), connection.cursor() as cursor:
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(prepared(row))
            if len(batch) >= INSERT_BUFFER:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def write_profiles(
    incoming: list[Incoming],
    *,
    actor: User | None,
    batch: ImportBatch | None,
    progress: Callable[[int], None] | None = None,
) -> WriteStats:
    """Merge profiles into the database (call inside a transaction) and audit each changed enterprise."""
    w = _Write({i.uscc: i for i in incoming}, {"source_batch": batch, "recorded_by": actor})
    existing = _load_enterprises(list(w.by_uscc))
    created, _ = _write_enterprises(w, existing)
    w.settle_ids({uscc: existing[uscc].pk for uscc in w.by_uscc})
    _write_years(w)
    _write_lists(w)
    _write_events(w)
    _write_contacts(w)
    touched = [u for u in w.by_uscc if w.changes.get(u)]
    _write_sizes(w, [existing[u] for u in touched])
    stats = WriteStats(
        created=len(created),
        updated=len({u for u in touched if not w.changes[u].get("_created")}),
        facts_changed=sum(len([k for k in c if k != "_created"]) or 1 for c in w.changes.values() if c),
        enterprise_ids=[existing[u].pk for u in touched],
    )
    # In chunks: one call per 2,000 events extends the same hash chain in the same order, but never holds the
    # events of a 30,000-enterprise import in memory at once.
    entries = _audit_entries(w, existing, touched, actor, batch)
    while part := list(islice(entries, AUDIT_CHUNK)):
        audit.record_many(part)
    if progress:
        progress(len(incoming))
    return stats


def _load_enterprises(usccs: list[str]) -> dict[str, Enterprise]:
    out: dict[str, Enterprise] = {}
    for part in _chunks(usccs):
        for ent in Enterprise.objects.filter(uscc__in=part):
            out[ent.uscc] = ent
    return out


def _default(model: type[models.Model], name: str) -> Any:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field.get_default()


def _write_enterprises(
    w: _Write, existing: dict[str, Enterprise]
) -> tuple[list[Enterprise], list[Enterprise]]:
    to_create: list[Enterprise] = []
    rows: list[tuple[Any, ...]] = []
    to_update: list[Enterprise] = []
    fields: set[str] = set()
    defaults = {f: _default(Enterprise, f) for f in MODEL_FIELDS}
    for uscc, item in w.by_uscc.items():
        values = item.values
        found = existing.get(uscc)
        if found is None:
            if w.dry:  # only noted: a new enterprise's fields are all new
                w.changes[uscc]["_created"] = True
                continue
            to_create.append(Enterprise(uscc=uscc, **values))
            rows.append(
                (
                    uscc,
                    *(values.get(f, defaults[f]) for f in MODEL_FIELDS),
                    *(item.lists[name] is not None for name in LISTS),
                )
            )
            w.changes[uscc]["_created"] = True
            continue
        dirty = False
        for name, value in values.items():
            old = getattr(found, name)
            if old != value:
                w.note(uscc, name, old, value)
                setattr(found, name, value)
                fields.add(name)
                dirty = True
        if dirty:
            for k, v in w.provenance.items():
                setattr(found, k, v)
            to_update.append(found)
    if w.dry:
        return to_create, to_update
    flags = tuple(flag for flag, _ in LISTS.values())
    _insert_rows(Enterprise, ("uscc", *MODEL_FIELDS, *flags), rows, w.provenance)
    ids: dict[str, int] = {}
    for part in _chunks([e.uscc for e in to_create], LOOKUP_CHUNK):
        ids.update(Enterprise.objects.filter(uscc__in=part).values_list("uscc", "pk"))
    for ent in to_create:
        ent.pk = ids[ent.uscc]
    existing.update({e.uscc: e for e in to_create})
    if to_update:
        Enterprise.objects.bulk_update(to_update, sorted(fields | set(w.provenance)), batch_size=CHUNK)
    return to_create, to_update


def _write_years(w: _Write) -> None:
    # Stored rows are read as plain values (no model instances: a no-op re-import of 100,000 rows compares
    # them only); a row that changes becomes a partial instance for ``bulk_update`` of the changed fields.
    stored: dict[tuple[int, int], dict[str, Any]] = {}
    for part in _chunks(w.stored_ids(w.ids.values()), LOOKUP_CHUNK):
        for row in EnterpriseYear.objects.filter(enterprise_id__in=part).values(
            "id", "enterprise_id", "year", *YEAR_FIELDS
        ):
            stored[(row["enterprise_id"], row["year"])] = row
    create: list[tuple[Any, ...]] = []
    update: list[EnterpriseYear] = []
    fields: set[str] = set()
    for uscc, item in w.by_uscc.items():
        for year, values in item.years.items():
            found = stored.get((w.ids[uscc], year))
            if found is None:
                w.note(uscc, f"financials.{year}", None, values if w.dry else "新增")
                if not w.dry:
                    create.append((w.ids[uscc], year, *(values.get(f) for f in YEAR_FIELDS)))
                continue
            changed = {f: v for f, v in values.items() if found[f] != v}
            if changed:
                row = EnterpriseYear(id=found["id"], enterprise_id=found["enterprise_id"], year=year)
                for f, v in changed.items():
                    w.note(uscc, f"financials.{year}.{f}", found[f], v)
                    setattr(row, f, v)
                    fields.add(f)
                for k, v in w.provenance.items():
                    setattr(row, k, v)
                update.append(row)
    if w.dry:
        return
    _insert_rows(EnterpriseYear, ("enterprise_id", "year", *YEAR_FIELDS), create, w.provenance)
    if update:
        EnterpriseYear.objects.bulk_update(update, sorted(fields | set(w.provenance)), batch_size=CHUNK)


def _sort_key(item: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in item)


def _known_flags(ids: list[int], flag: str) -> dict[int, bool]:
    out: dict[int, bool] = {}
    for part in _chunks(ids, LOOKUP_CHUNK):
        out.update(dict(Enterprise.objects.filter(pk__in=part).values_list("pk", flag)))
    return out


def _write_lists(w: _Write) -> None:
    flag_updates: dict[str, list[Enterprise]] = defaultdict(list)
    for name, model in LIST_MODELS.items():
        flag, fields = LISTS[name]
        wanted: dict[str, list[tuple[Any, ...]]] = {}
        for uscc, item in w.by_uscc.items():
            items = item.lists[name]
            if items is not None:
                wanted[uscc] = items
        if not wanted:
            continue
        wanted_ids = w.stored_ids(w.ids[u] for u in wanted)
        stored: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for part in _chunks(wanted_ids, LOOKUP_CHUNK):
            for row in _manager(model).filter(enterprise_id__in=part).values("enterprise_id", *fields):
                stored[row["enterprise_id"]].append(tuple(row[f] for f in fields))
        known = _known_flags(wanted_ids, flag)
        if not w.dry:  # created with the flag set for every list it states
            known.update(dict.fromkeys(w.created, True))
        replace: list[int] = []
        create: list[tuple[int, list[tuple[Any, ...]]]] = []
        for uscc, items in wanted.items():
            eid = w.ids[uscc]
            current = sorted(stored.get(eid, []), key=_sort_key)
            if current != items:
                w.note(uscc, name, len(current), len(items))
                replace.append(eid)
                create.append((eid, items))
            if not known.get(eid):
                w.changes[uscc].setdefault(name, [None, len(items)])
                if not w.dry:
                    ent = Enterprise(pk=eid)
                    setattr(ent, flag, True)
                    flag_updates[flag].append(ent)
        if w.dry:
            continue
        for part in _chunks(replace):
            _manager(model).filter(enterprise_id__in=part).delete()
        _insert_items(model, fields, create, w.provenance)
    if w.dry:
        return
    for flag, ents in flag_updates.items():
        Enterprise.objects.bulk_update(ents, [flag], batch_size=CHUNK)


def _insert_items(
    model: type[models.Model],
    fields: tuple[str, ...],
    items: list[tuple[int, list[tuple[Any, ...]]]],
    provenance: dict[str, Any],
) -> None:
    """Insert list items in order (one row per item, its enterprise first)."""
    rows = ((eid, *item) for eid, its in items for item in its)
    _insert_rows(model, ("enterprise_id", *fields), rows, provenance)


def _write_events(w: _Write) -> None:
    wanted: dict[str, list[EventRow]] = {}
    for uscc, item in w.by_uscc.items():
        rows = item.events
        if rows is not None:
            wanted[uscc] = rows
    if not wanted:
        return
    stored: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for part in _chunks(w.stored_ids(w.ids[u] for u in wanted), LOOKUP_CHUNK):
        for row in Event.objects.filter(enterprise_id__in=part).values(
            "enterprise_id", "kind", "date", "key", "payload"
        ):
            stored[row["enterprise_id"]].append(
                _event_key(row["kind"], row["date"], row["key"], row["payload"])
            )
    replace: list[int] = []
    create: list[Event] = []
    for uscc, rows in wanted.items():
        eid = w.ids[uscc]
        new = sorted(_event_key(k, d, key, audit.jsonable(p)) for k, d, key, p in rows)
        current = sorted(stored.get(eid, []))
        if new == current:
            continue
        w.note(uscc, "events", len(current), len(new))
        if w.dry:
            continue
        replace.append(eid)
        create.extend(
            Event(enterprise_id=eid, kind=k, date=d, key=key, payload=audit.jsonable(p), **w.provenance)
            for k, d, key, p in rows
        )
    for part in _chunks(replace):
        Event.objects.filter(enterprise_id__in=part).delete()
    _insert(Event, create)


def _event_key(kind: str, day: Any, key: str, payload: Any) -> tuple[str, str, str, str]:
    return kind, str(day), key, json.dumps(payload, sort_keys=True, ensure_ascii=False)


def _write_contacts(w: _Write) -> None:
    """One contact per enterprise, matched by name; phone and ID number compared by their keyed hashes (the
    stored ciphertexts are never compared, nor decrypted). An unchanged contact is not written."""
    wanted = {u: i.contact for u, i in w.by_uscc.items() if i.contact and i.contact.get("name")}
    if not wanted:
        return
    stored: dict[tuple[int, str], dict[str, Any]] = {}
    for part in _chunks(w.stored_ids(w.ids[u] for u in wanted), LOOKUP_CHUNK):
        for c in Contact.objects.filter(enterprise_id__in=part).values(
            "id", "enterprise_id", "name", "position", "phone_hash", "id_number_hash"
        ):
            stored[(c["enterprise_id"], c["name"])] = dict(c)
    create: list[Contact] = []
    changed: dict[int, dict[str, str]] = {}
    for uscc, contact in wanted.items():
        key = (w.ids[uscc], contact["name"])
        values = {k: contact.get(k, "") or "" for k in ("position", "phone", "id_number")}
        current = stored.get(key)
        if current is None:
            create.append(Contact(enterprise_id=key[0], name=key[1], **values, **w.provenance))
            w.note(uscc, "contact", None, "新增联系人")
            continue
        new = {k: v for k, v in values.items() if v and not _same_contact_value(current, k, v)}
        if new:
            w.note(uscc, "contact", "已更新", "已更新")
            changed[current["id"]] = new
    if w.dry:
        return
    for part in _chunks(list(changed), LOOKUP_CHUNK):
        for obj in Contact.objects.filter(pk__in=part):
            for k, v in changed[obj.pk].items():
                setattr(obj, k, v)
            for k, v in w.provenance.items():
                setattr(obj, k, v)
            obj.save()
    _insert(Contact, create)


def _same_contact_value(stored: dict[str, Any], name: str, value: str) -> bool:
    if name == "position":
        return bool(stored["position"] == value)
    return bool(stored[f"{name}_hash"] == keyed_hash(name, value))


def size_of(industry_code: str | None, years: dict[int, dict[str, Any]]) -> tuple[str | None, int | None]:
    """Size class (300号) from the latest year that has employees or revenue, and that year."""
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


def _write_sizes(w: _Write, enterprises: list[Enterprise]) -> None:
    years: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for part in _chunks([e.pk for e in enterprises]):
        for row in EnterpriseYear.objects.filter(enterprise_id__in=part).values(
            "enterprise_id", "year", "employees", "operating_revenue_fen", "total_assets_fen"
        ):
            years[row["enterprise_id"]][row["year"]] = dict(row)
    changed = []
    for ent in enterprises:
        size, year = size_of(ent.industry_code, years.get(ent.pk, {}))
        if size != ent.size_class or year != ent.size_year:
            if size != ent.size_class and not w.changes[ent.uscc].get("_created"):
                w.note(ent.uscc, "size_class", ent.size_class, size)
            ent.size_class, ent.size_year = size, year
            changed.append(ent)
    # A few distinct (class, year) pairs cover every enterprise: one UPDATE … WHERE id IN (…) per pair and
    # chunk is far cheaper than bulk_update's CASE expression with a branch per row.
    groups: dict[tuple[str | None, int | None], list[int]] = defaultdict(list)
    for ent in changed:
        groups[(ent.size_class, ent.size_year)].append(ent.pk)
    for (size, year), ids in groups.items():
        for part in _chunks(ids):
            Enterprise.objects.filter(pk__in=part).update(size_class=size, size_year=year)


def _audit_entries(
    w: _Write,
    existing: dict[str, Enterprise],
    touched: Iterable[str],
    actor: User | None,
    batch: ImportBatch | None,
) -> Iterator[audit.Entry]:
    for uscc in touched:
        ent = existing[uscc]
        created = w.changes[uscc].pop("_created", False)
        yield audit.Entry(
            action=AuditAction.CREATE if created else AuditAction.UPDATE,
            actor=actor,
            object_type="enterprise",
            object_id=str(ent.pk),
            object_repr=f"{ent.name}（{uscc}）",
            old=None if created else {k: v[0] for k, v in w.changes[uscc].items()},
            new=audit.jsonable(w.by_uscc[uscc].values)
            if created
            else {k: v[1] for k, v in w.changes[uscc].items()},
            extra={"import_batch": batch.pk} if batch else None,
        )
