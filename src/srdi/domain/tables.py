"""The columnar form of the enterprise database: one Polars table per kind of fact.

Every evaluation path — one profile from ``srdi assess``, the whole database for ``srdi screen``, a million
synthetic enterprises in a benchmark — first becomes these ``Tables`` and then runs the same column-wise
rules. Use ``tables_from_profiles`` for exchange-format profiles; the database and the demo generator produce
the same schemas directly. ``eid`` is a row key local to one ``Tables`` value. ``rows_from_profiles`` gives the
same facts as plain row dicts (``RowTables``), for the scalar path that assesses a few profiles without Polars.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import polars as pl

from srdi.domain.exchange import Profile

DEC = pl.Decimal(20, 9)

ENTERPRISE_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "uscc": pl.String,
    "name": pl.String,
    "district": pl.String,
    "industry_code": pl.String,
    "founded_on": pl.Date,
    "registered_in_zhejiang": pl.Boolean,
    "niche_since_year": pl.Int32,
    "ecosystem": pl.String,
    "ip_class1": pl.Int64,
    "ip_class1_self_developed": pl.Int64,
    "ip_class1_high_value": pl.Int64,
    "ip_class2": pl.Int64,
    "ip_invention_patents": pl.Int64,
    "mp_strategic_emerging": pl.Boolean,
    "mp_chain_role": pl.String,
    "mp_pin_field": pl.String,
    "mp_products_count": pl.Int64,
    "mp_niche_market_share": DEC,
    "mp_national_rank": pl.Int64,
    "mp_global_rank": pl.Int64,
    "mp_revenue_share": DEC,
    "mp_key_chain_field": pl.String,
    "group_has_little_giant": pl.Boolean,
    "digital_level": pl.Int32,
    "q_provincial_quality_award": pl.Boolean,
    "q_qms_certified": pl.Boolean,
    "q_own_brand": pl.Boolean,
    "q_drafted_standards": pl.Boolean,
    "rd_institution_level": pl.String,
    "info_system_core_business": pl.Boolean,
    "management_or_foreign_product_cert": pl.Boolean,
    "international_cert": pl.Boolean,
    "zj_featured_points": pl.Int32,
    "c_major_accident_3y": pl.Boolean,
    "c_dishonest": pl.Boolean,
    "c_abnormal_operation": pl.Boolean,
    "c_restricted_products": pl.Boolean,
    "c_bank_rating_ok": pl.Boolean,
    "titles_known": pl.Boolean,
    "awards_known": pl.Boolean,
    "contests_known": pl.Boolean,
    "equity_known": pl.Boolean,
    "certifications_known": pl.Boolean,
    "ip_items_known": pl.Boolean,
    "platform_scores_known": pl.Boolean,
    "data_updates_known": pl.Boolean,
    "sanctions_known": pl.Boolean,
}

YEAR_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "year": pl.Int32,
    "operating_revenue_fen": pl.Int64,
    "main_business_revenue_fen": pl.Int64,
    "rd_expense_fen": pl.Int64,
    "net_profit_fen": pl.Int64,
    "total_assets_fen": pl.Int64,
    "total_liabilities_fen": pl.Int64,
    "employees": pl.Int64,
    "rd_staff": pl.Int64,
}
FIGURES = tuple(k for k in YEAR_SCHEMA if k not in ("eid", "year"))

TITLE_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "kind": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}
AWARD_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "level": pl.String,
    "kind": pl.String,
    "rank": pl.Int64,
    "date": pl.Date,
}
CONTEST_SCHEMA: dict[str, Any] = {"eid": pl.Int64, "kind": pl.String, "group": pl.String, "date": pl.Date}
EQUITY_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "date": pl.Date,
    "amount_fen": pl.Int64,
    "qualified_investor": pl.Boolean,
}
CERT_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "tier": pl.String,
    "recognized_on": pl.Date,
    "expires_on": pl.Date,
    "revoked_on": pl.Date,
}
EVENT_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "seq": pl.Int64,
    "kind": pl.String,
    "date": pl.Date,
    "contract_date": pl.Date,
    "key": pl.String,
    "tier": pl.String,
    "industry": pl.String,
    "total_investment_fen": pl.Int64,
    "eligible_investment_since_2023_fen": pl.Int64,
    "eligible_investment_fen": pl.Int64,
    "principal_fen": pl.Int64,
    "annual_rate": DEC,
    "term_months": pl.Int64,
    "interest_paid_fen": pl.Int64,
    "guarantee_fee_rate": DEC,
    "list": pl.String,
    "year": pl.Int32,
    "amount_fen": pl.Int64,
    "passed": pl.Boolean,
}
# v1.1: IP items (2号 counts), platform quality scores by year, annual data updates, sanctions.
IP_ITEM_SCHEMA: dict[str, Any] = {
    "eid": pl.Int64,
    "kind": pl.String,
    "granted_on": pl.Date,
    "expires_on": pl.Date,
    "transferred_in": pl.Boolean,
    "holder_rank": pl.Int64,
    "applied_with_benefit": pl.Boolean,
}
SCORE_SCHEMA: dict[str, Any] = {"eid": pl.Int64, "year": pl.Int32, "score": DEC}
DATA_UPDATE_SCHEMA: dict[str, Any] = {"eid": pl.Int64, "year": pl.Int32, "updated_on": pl.Date}
SANCTION_SCHEMA: dict[str, Any] = {"eid": pl.Int64, "kind": pl.String, "date": pl.Date}

SCHEMAS = {
    "enterprises": ENTERPRISE_SCHEMA,
    "years": YEAR_SCHEMA,
    "titles": TITLE_SCHEMA,
    "awards": AWARD_SCHEMA,
    "contests": CONTEST_SCHEMA,
    "equity": EQUITY_SCHEMA,
    "certifications": CERT_SCHEMA,
    "events": EVENT_SCHEMA,
    "ip_items": IP_ITEM_SCHEMA,
    "scores": SCORE_SCHEMA,
    "data_updates": DATA_UPDATE_SCHEMA,
    "sanctions": SANCTION_SCHEMA,
}


@dataclass
class Tables:
    """All facts of a set of enterprises, one Polars table per kind."""

    enterprises: pl.DataFrame
    years: pl.DataFrame
    titles: pl.DataFrame
    awards: pl.DataFrame
    contests: pl.DataFrame
    equity: pl.DataFrame
    certifications: pl.DataFrame
    events: pl.DataFrame
    # v1.1 tables: empty unless the source has them (a v1 source has none)
    ip_items: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=IP_ITEM_SCHEMA))
    scores: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SCORE_SCHEMA))
    data_updates: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DATA_UPDATE_SCHEMA))
    sanctions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SANCTION_SCHEMA))

    def __len__(self) -> int:
        return self.enterprises.height

    @classmethod
    def empty(cls) -> Tables:
        return cls(**{name: pl.DataFrame(schema=schema) for name, schema in SCHEMAS.items()})

    def conform(self) -> Tables:
        """Cast every table to its schema (columns in schema order; missing columns become null)."""
        out = {}
        for f in fields(self):
            df: pl.DataFrame = getattr(self, f.name)
            schema = SCHEMAS[f.name]
            cols = [
                (pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t)).alias(c)
                for c, t in schema.items()
            ]
            out[f.name] = df.select(cols) if df.height or df.width else pl.DataFrame(schema=schema)
        return Tables(**out)

    def take(self, eids: Sequence[int]) -> Tables:
        """The subset of enterprises with these eids (keys unchanged)."""
        keep = pl.Series("eid", list(eids), dtype=pl.Int64)
        return Tables(
            **{
                f.name: getattr(self, f.name).filter(pl.col("eid").is_in(keep.implode()))
                for f in fields(self)
            }
        )


_ENT_PATHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("name", ("name",)),
    ("district", ("district",)),
    ("industry_code", ("industry_code",)),
    ("founded_on", ("founded_on",)),
    ("registered_in_zhejiang", ("registered_in_zhejiang",)),
    ("niche_since_year", ("niche_since_year",)),
    ("ecosystem", ("ecosystem",)),
    ("ip_class1", ("ip", "class1")),
    ("ip_class1_self_developed", ("ip", "class1_self_developed")),
    ("ip_class1_high_value", ("ip", "class1_high_value")),
    ("ip_class2", ("ip", "class2")),
    ("ip_invention_patents", ("ip", "invention_patents")),
    ("mp_strategic_emerging", ("main_product", "strategic_emerging")),
    ("mp_chain_role", ("main_product", "chain_role")),
    ("mp_pin_field", ("main_product", "pin_field")),
    ("mp_products_count", ("main_product", "products_count")),
    ("mp_niche_market_share", ("main_product", "niche_market_share")),
    ("mp_national_rank", ("main_product", "national_rank")),
    ("mp_global_rank", ("main_product", "global_rank")),
    ("mp_revenue_share", ("main_product", "revenue_share")),
    ("mp_key_chain_field", ("main_product", "key_chain_field")),
    ("group_has_little_giant", ("group_has_little_giant",)),
    ("digital_level", ("digital_level",)),
    ("q_provincial_quality_award", ("quality", "provincial_quality_award")),
    ("q_qms_certified", ("quality", "qms_certified")),
    ("q_own_brand", ("quality", "own_brand")),
    ("q_drafted_standards", ("quality", "drafted_standards")),
    ("rd_institution_level", ("rd_institution_level",)),
    ("info_system_core_business", ("info_system_core_business",)),
    ("management_or_foreign_product_cert", ("management_or_foreign_product_cert",)),
    ("international_cert", ("international_cert",)),
    ("zj_featured_points", ("zj_featured_points",)),
    ("c_major_accident_3y", ("compliance", "major_accident_3y")),
    ("c_dishonest", ("compliance", "dishonest")),
    ("c_abnormal_operation", ("compliance", "abnormal_operation")),
    ("c_restricted_products", ("compliance", "restricted_products")),
    ("c_bank_rating_ok", ("compliance", "bank_rating_ok")),
)

_EVENT_FIELDS = tuple(k for k in EVENT_SCHEMA if k not in ("eid", "seq", "key"))
_EVENT_KEY_FIELD = {
    "tech_renovation": "project_id",
    "digital_transformation": "project_id",
    "loan": "loan_id",
    "scene_award": "scene_id",
    "growth_support_selection": "selection_id",
    "growth_support_evaluation": "selection_id",
}


def _path(profile: Profile, path: tuple[str, ...]) -> Any:
    obj: Any = profile
    for key in path:
        if obj is None:
            return None
        obj = getattr(obj, key)
    return obj


@dataclass(frozen=True)
class RowTables:
    """The same facts as ``Tables``, as plain rows: one dict per row with exactly its table's schema keys.

    Use it where Polars costs more than the work (a few profiles: ``srdi.domain.rules.scalar_facts`` builds
    the facts rows from it); ``to_tables`` gives the columnar form of the same data, ``from_tables`` the rows
    of existing tables.
    """

    enterprises: list[dict[str, Any]]
    years: list[dict[str, Any]]
    titles: list[dict[str, Any]]
    awards: list[dict[str, Any]]
    contests: list[dict[str, Any]]
    equity: list[dict[str, Any]]
    certifications: list[dict[str, Any]]
    events: list[dict[str, Any]]
    ip_items: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    data_updates: list[dict[str, Any]] = field(default_factory=list)
    sanctions: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.enterprises)

    def to_tables(self) -> Tables:
        """The columnar form: one Polars table per kind, cast to its schema."""
        return Tables(**{f.name: _frame(getattr(self, f.name), SCHEMAS[f.name]) for f in fields(self)})

    @classmethod
    def from_tables(cls, tables: Tables) -> RowTables:
        """The rows of ``tables`` (each table conformed to its schema first)."""
        conformed = tables.conform()
        return cls(**{f.name: getattr(conformed, f.name).to_dicts() for f in fields(conformed)})


def _frame(rows: list[dict[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame({c: [r.get(c) for r in rows] for c in schema}, schema=schema)


def _row(schema: dict[str, Any], eid: int, data: dict[str, Any]) -> dict[str, Any]:
    """A row with exactly the schema's keys (a key the source lacks is None; extra source keys are dropped)."""
    return {c: eid if c == "eid" else data.get(c) for c in schema}


def tables_from_profiles(profiles: Sequence[Profile]) -> Tables:
    """Tables for exchange-format profiles; ``eid`` is the profile's position in the sequence."""
    return rows_from_profiles(profiles).to_tables()


def rows_from_profiles(profiles: Sequence[Profile]) -> RowTables:
    """The rows of ``tables_from_profiles(profiles)`` without building any Polars table."""
    ent_rows: list[dict[str, Any]] = []
    years: list[dict[str, Any]] = []
    lists: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in (
            "titles",
            "awards",
            "contests",
            "equity",
            "certifications",
            "ip_items",
            "scores",
            "data_updates",
            "sanctions",
        )
    }
    events: list[dict[str, Any]] = []
    # The nested models are flat: ``vars`` gives their fields as ``model_dump()`` would, without a serialiser
    # call per item (gap planning builds these rows for every plan it verifies). The rows only read them.
    for eid, p in enumerate(profiles):
        row: dict[str, Any] = {"eid": eid, "uscc": p.uscc}
        for col, path in _ENT_PATHS:
            row[col] = _path(p, path)
        row["titles_known"] = p.titles is not None
        row["awards_known"] = p.awards is not None
        row["contests_known"] = p.contests is not None
        row["equity_known"] = p.equity_financing is not None
        row["certifications_known"] = p.certifications is not None
        row["ip_items_known"] = p.ip_items is not None
        row["platform_scores_known"] = p.platform_scores is not None
        row["data_updates_known"] = p.data_updates is not None
        row["sanctions_known"] = p.sanctions is not None
        ent_rows.append(row)
        for item in p.ip_items or []:
            lists["ip_items"].append(_row(IP_ITEM_SCHEMA, eid, vars(item)))
        for year, score in (p.platform_scores or {}).items():
            lists["scores"].append({"eid": eid, "year": int(year), "score": score})
        for update in p.data_updates or []:
            lists["data_updates"].append(_row(DATA_UPDATE_SCHEMA, eid, vars(update)))
        for sanction in p.sanctions or []:
            lists["sanctions"].append(_row(SANCTION_SCHEMA, eid, vars(sanction)))
        for key, fin in (p.financials or {}).items():
            years.append(_row(YEAR_SCHEMA, eid, {"year": int(key), **vars(fin)}))
        for t in p.titles or []:
            lists["titles"].append(_row(TITLE_SCHEMA, eid, vars(t)))
        for a in p.awards or []:
            lists["awards"].append(_row(AWARD_SCHEMA, eid, vars(a)))
        for c in p.contests or []:
            lists["contests"].append(_row(CONTEST_SCHEMA, eid, vars(c)))
        for e in p.equity_financing or []:
            lists["equity"].append(_row(EQUITY_SCHEMA, eid, vars(e)))
        for cert in p.certifications or []:
            lists["certifications"].append(
                {
                    "eid": eid,
                    "tier": cert.tier,
                    "recognized_on": cert.recognized_on,
                    "expires_on": cert.expires_on,
                    "revoked_on": cert.revoked_on,
                }
            )
        for seq, ev in enumerate(p.events or []):
            data = vars(ev)
            row = {"eid": eid, "seq": seq, "key": data.get(_EVENT_KEY_FIELD.get(ev.kind, ""), None)}
            for f in _EVENT_FIELDS:
                row[f] = data.get(f)
            events.append(_row(EVENT_SCHEMA, eid, row))
    return RowTables(
        enterprises=ent_rows,
        years=years,
        titles=lists["titles"],
        awards=lists["awards"],
        contests=lists["contests"],
        equity=lists["equity"],
        certifications=lists["certifications"],
        events=events,
        ip_items=lists["ip_items"],
        scores=lists["scores"],
        data_updates=lists["data_updates"],
        sanctions=lists["sanctions"],
    )
