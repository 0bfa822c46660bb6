"""Tables → exchange-format profile dicts and event payloads, exactly as the database export writes them.

``to_profiles`` mirrors ``srdi.db.mapping.build_profile``: unknown values are left out, dates are ISO
strings, decimals are normalised strings ("0.12", not "0.120000000"), a list is present when it is known
(possibly empty; ``platform_scores`` as a mapping by year, v1.1), and ``events`` is present only when there are
some. ``event_payloads`` gives each event
row's exchange-format object; the database loader stores these as ``Event.payload``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, get_args

import polars as pl

from srdi.domain.exchange import (
    BrandListingEvent,
    DigitalTransformationEvent,
    LoanEvent,
    RecognitionEvent,
    RelocationEvent,
    SceneAwardEvent,
    TechRenovationEvent,
    TechTransactionEvent,
)
from srdi.domain.tables import FIGURES, Tables

_GROUPS = {"ip_": "ip", "mp_": "main_product", "q_": "quality", "c_": "compliance"}
_SKIP = {
    "eid",
    "uscc",
    "titles_known",
    "awards_known",
    "contests_known",
    "equity_known",
    "certifications_known",
    "ip_items_known",
    "platform_scores_known",
    "data_updates_known",
    "sanctions_known",
}
LISTS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # profile list → (table, known flag, item fields)
    "titles": ("titles", "titles_known", ("kind", "valid_from", "valid_to")),
    "awards": ("awards", "awards_known", ("level", "kind", "rank", "date")),
    "contests": ("contests", "contests_known", ("kind", "group", "date")),
    "equity_financing": ("equity", "equity_known", ("date", "amount_fen", "qualified_investor")),
    "certifications": (
        "certifications",
        "certifications_known",
        ("tier", "recognized_on", "expires_on", "revoked_on"),
    ),
    # v1.1
    "ip_items": (
        "ip_items",
        "ip_items_known",
        ("kind", "granted_on", "expires_on", "transferred_in", "holder_rank", "applied_with_benefit"),
    ),
    "platform_scores": ("scores", "platform_scores_known", ("year", "score")),
    "data_updates": ("data_updates", "data_updates_known", ("year", "updated_on")),
    "sanctions": ("sanctions", "sanctions_known", ("kind", "date")),
}
# Lists the exchange format writes as a mapping by year (``"platform_scores": {"2026": "58.5"}``).
KEYED_LISTS = {"platform_scores": ("year", "score")}
EVENT_MODELS = (
    RecognitionEvent,
    RelocationEvent,
    TechRenovationEvent,
    DigitalTransformationEvent,
    LoanEvent,
    BrandListingEvent,
    SceneAwardEvent,
    TechTransactionEvent,
)
KEY_FIELDS = {"project_id", "loan_id", "scene_id"}
# event kind → its exchange-format fields after "kind", in model order
EVENT_FIELDS: dict[str, tuple[str, ...]] = {
    get_args(m.model_fields["kind"].annotation)[0]: tuple(f for f in m.model_fields if f != "kind")
    for m in EVENT_MODELS
}


def json_value(value: Any) -> Any:
    """A column value as exchange-format JSON data."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value


def profile_path(column: str) -> tuple[str, ...]:
    """Where an enterprise column sits in a profile (``ip_class1`` → ``("ip", "class1")``)."""
    for prefix, group in _GROUPS.items():
        if column.startswith(prefix):
            return (group, column[len(prefix) :])
    return (column,)


def event_payloads(events: pl.DataFrame) -> list[dict[str, Any]]:
    """The exchange-format object of each event row (only the kind's fields, unknowns left out)."""
    if events.height == 0:
        return []
    # Decimals as normalised text, dates as ISO text, computed column-wise.
    prepared = events.with_columns(
        [pl.col(c).cast(pl.String) for c, t in events.schema.items() if t == pl.Date]
        + [_decimal_text(c) for c, t in events.schema.items() if isinstance(t, pl.Decimal)]
    )
    names = prepared.columns
    out = []
    for row in prepared.iter_rows():
        data = dict(zip(names, row, strict=True))
        kind = data["kind"]
        payload: dict[str, Any] = {"kind": kind}
        for f in EVENT_FIELDS[kind]:
            value = data["key"] if f in KEY_FIELDS else data.get(f)
            if value is not None:
                payload[f] = value
        out.append(payload)
    return out


def _decimal_text(column: str) -> pl.Expr:
    """Decimal → text without trailing zeros ("0.028000000" → "0.028", "1.000" → "1")."""
    text = pl.col(column).cast(pl.String)
    stripped = (
        pl.when(text.str.contains(".", literal=True))
        .then(text.str.replace(r"0+$", "").str.replace(r"\.$", ""))
        .otherwise(text)
    )
    return stripped.alias(column)


def _list_value(name: str, fields: tuple[str, ...], rows: list[dict[str, Any]]) -> Any:
    """A known list as the profile writes it: items with their stated fields, or a mapping by year."""
    if name in KEYED_LISTS:
        key, value = KEYED_LISTS[name]
        return {str(r[key]): json_value(r[value]) for r in rows}
    return [{f: json_value(r[f]) for f in fields if r[f] is not None} for r in rows]


def to_profiles(tables: Tables, limit: int | None = None) -> list[dict[str, Any]]:
    """Exchange-format profiles of the first ``limit`` enterprises (all when None), in table order."""
    ents = tables.enterprises if limit is None else tables.enterprises.head(limit)
    if limit is not None:
        tables = tables.take(ents["eid"].to_list())
    children: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for _, (table, _, _) in LISTS.items():
        grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in getattr(tables, table).iter_rows(named=True):
            grouped[row["eid"]].append(row)
        children[table] = grouped
    years: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in tables.years.sort("eid", "year").iter_rows(named=True):
        years[row["eid"]].append(row)
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    ordered = tables.events.sort("eid", "seq")
    for eid, payload in zip(ordered["eid"].to_list(), event_payloads(ordered), strict=True):
        events[eid].append(payload)

    profiles = []
    for ent in ents.iter_rows(named=True):
        eid = ent["eid"]
        profile: dict[str, Any] = {"uscc": ent["uscc"]}
        for col, value in ent.items():
            if col in _SKIP or value is None or value == "":
                continue
            path = profile_path(col)
            node = profile
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = json_value(value)
        if years.get(eid):
            profile["financials"] = {
                str(y["year"]): {f: y[f] for f in FIGURES if y[f] is not None} for y in years[eid]
            }
        for name, (table, flag, fields) in LISTS.items():
            if ent[flag]:
                profile[name] = _list_value(name, fields, children[table].get(eid, []))
        if events.get(eid):
            profile["events"] = events[eid]
        profiles.append(profile)
    return profiles
