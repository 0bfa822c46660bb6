"""How exchange-format fields map to database columns, in both directions.

Use ``enterprise_values`` to get the model fields a profile states (unknowns left out), and
``build_profile`` to assemble exchange-format JSON from database rows (for exports and assessment).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from srdi.domain.exchange import Profile

# (path in the profile, model field on Enterprise)
ENTERPRISE_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("uscc_override_reason",), "uscc_override_reason"),
    (("name",), "name"),
    (("district",), "district_id"),
    (("industry_code",), "industry_code"),
    (("founded_on",), "founded_on"),
    (("registered_in_zhejiang",), "registered_in_zhejiang"),
    (("niche_since_year",), "niche_since_year"),
    (("ecosystem",), "ecosystem"),
    (("ip", "class1"), "ip_class1"),
    (("ip", "class1_self_developed"), "ip_class1_self_developed"),
    (("ip", "class1_high_value"), "ip_class1_high_value"),
    (("ip", "class2"), "ip_class2"),
    (("ip", "invention_patents"), "ip_invention_patents"),
    (("main_product", "strategic_emerging"), "mp_strategic_emerging"),
    (("main_product", "chain_role"), "mp_chain_role"),
    (("main_product", "pin_field"), "mp_pin_field"),
    (("main_product", "products_count"), "mp_products_count"),
    (("main_product", "niche_market_share"), "mp_niche_market_share"),
    (("main_product", "national_rank"), "mp_national_rank"),
    (("main_product", "global_rank"), "mp_global_rank"),
    (("main_product", "revenue_share"), "mp_revenue_share"),
    (("main_product", "key_chain_field"), "mp_key_chain_field"),
    (("group_has_little_giant",), "group_has_little_giant"),
    (("digital_level",), "digital_level"),
    (("quality", "provincial_quality_award"), "q_provincial_quality_award"),
    (("quality", "qms_certified"), "q_qms_certified"),
    (("quality", "own_brand"), "q_own_brand"),
    (("quality", "drafted_standards"), "q_drafted_standards"),
    (("rd_institution_level",), "rd_institution_level"),
    (("info_system_core_business",), "info_system_core_business"),
    (("management_or_foreign_product_cert",), "management_or_foreign_product_cert"),
    (("international_cert",), "international_cert"),
    (("zj_featured_points",), "zj_featured_points"),
    (("compliance", "major_accident_3y"), "c_major_accident_3y"),
    (("compliance", "dishonest"), "c_dishonest"),
    (("compliance", "abnormal_operation"), "c_abnormal_operation"),
    (("compliance", "restricted_products"), "c_restricted_products"),
    (("compliance", "bank_rating_ok"), "c_bank_rating_ok"),
)
MODEL_FIELDS = tuple(f for _, f in ENTERPRISE_FIELDS)

YEAR_FIELDS = (
    "operating_revenue_fen",
    "main_business_revenue_fen",
    "rd_expense_fen",
    "net_profit_fen",
    "total_assets_fen",
    "total_liabilities_fen",
    "employees",
    "rd_staff",
)

# list name in the profile → (known-flag field, item fields in order)
LISTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "titles": ("titles_known", ("kind", "valid_from", "valid_to")),
    "awards": ("awards_known", ("level", "kind", "rank", "date")),
    "contests": ("contests_known", ("kind", "group", "date")),
    "equity_financing": ("equity_known", ("date", "amount_fen", "qualified_investor")),
    "certifications": (
        "certifications_known",
        ("tier", "recognized_on", "expires_on", "revoked_on", "batch", "source_document"),
    ),
    # v1.1
    "ip_items": (
        "ip_items_known",
        ("kind", "granted_on", "expires_on", "transferred_in", "holder_rank", "applied_with_benefit"),
    ),
    "platform_scores": ("platform_scores_known", ("year", "score")),
    "data_updates": ("data_updates_known", ("year", "updated_on")),
    "sanctions": ("sanctions_known", ("kind", "date")),
}
# Lists the exchange format writes as a mapping (``platform_scores``: {"2026": "58.5"}), stored as rows.
KEYED_LISTS = {"platform_scores": ("year", "score")}

EVENT_KEYS = {
    "tech_renovation": "project_id",
    "digital_transformation": "project_id",
    "loan": "loan_id",
    "scene_award": "scene_id",
    "growth_support_selection": "selection_id",
    "growth_support_evaluation": "selection_id",
}


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if obj is None:
            return None
        obj = getattr(obj, key)
    return obj


def enterprise_values(profile: Profile) -> dict[str, Any]:
    """Model field → value for every field the profile states (None = unknown, left out)."""
    out = {}
    for path, field in ENTERPRISE_FIELDS:
        value = _get(profile, path)
        if value is not None:
            out[field] = value
    return out


def list_items(profile: Profile, name: str) -> list[tuple[Any, ...]] | None:
    """A list's items as tuples in the model's field order; None when the list is unknown."""
    items = getattr(profile, name)
    if items is None:
        return None
    if name in KEYED_LISTS:
        return sorted(((int(k), v) for k, v in items.items()), key=_sort_key)
    fields = LISTS[name][1]
    return sorted((tuple(getattr(i, f) for f in fields) for i in items), key=_sort_key)


def event_rows(profile: Profile) -> list[tuple[str, date | None, str, dict[str, Any]]] | None:
    """Events as (kind, date, key, payload) tuples; None when the profile carries no ``events``."""
    if profile.events is None:
        return None
    rows = []
    for event in profile.events:
        payload = event.model_dump(mode="json", exclude_none=True)
        day = getattr(event, "date", None) or getattr(event, "contract_date", None)
        key = str(getattr(event, EVENT_KEYS.get(event.kind, "_"), "") or "")
        rows.append((event.kind, day, key, payload))
    return sorted(rows, key=lambda r: (r[0], str(r[1]), r[2], _canonical(r[3])))


def _canonical(payload: Mapping[str, Any]) -> str:
    import json

    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)


def _sort_key(item: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in item)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return value


def build_profile(
    ent: Mapping[str, Any],
    years: Sequence[Mapping[str, Any]],
    lists: Mapping[str, Sequence[Mapping[str, Any]]],
    events: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Exchange-format JSON for one enterprise from its rows (``ent`` holds model field values)."""
    profile: dict[str, Any] = {"uscc": ent["uscc"]}
    for path, field in ENTERPRISE_FIELDS:
        value = ent.get(field)
        if value is None or value == "":
            continue
        node = profile
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = _json_value(value)
    if years:
        fin = {}
        for row in sorted(years, key=lambda r: r["year"]):
            figures = {f: row[f] for f in YEAR_FIELDS if row.get(f) is not None}
            fin[str(row["year"])] = figures
        profile["financials"] = fin
    for name, (flag, fields) in LISTS.items():
        if not ent.get(flag):
            continue
        if name in KEYED_LISTS:
            key, value = KEYED_LISTS[name]
            profile[name] = {str(row[key]): _json_value(row[value]) for row in lists.get(name, [])}
            continue
        items = []
        for row in lists.get(name, []):
            item = {f: _json_value(row[f]) for f in fields if row.get(f) is not None}
            items.append(item)
        profile[name] = items
    if events:
        profile["events"] = [dict(e["payload"]) for e in events]
    return profile
