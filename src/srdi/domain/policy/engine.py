"""Evaluating event-driven measures of every pack in force, column-wise.

Use ``entitle(tables, packs)``. Each event becomes one row per measure that pays for its kind, per pack; every
condition, the amount before and after its cap, the annual pool (贴息 10万/企业/年), the overlap resolution
(从优、就高、不重复: the most favourable payment for the same matter is kept across packs, payments already made
count) and the city/district split are columns. ``parts`` keeps each measure's own condition columns for the
explanation. Statuses: granted, not_eligible, needs_data, amount_unset, outside_policy_window, superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import polars as pl

from srdi.domain.policy.model import Amount, Condition, Measure, Pack
from srdi.domain.policy.params import ParamSet
from srdi.domain.reference import lpr_table
from srdi.domain.rules.facts import certification_valid_on
from srdi.domain.tables import Tables

I128 = pl.Int128
DEC_SCALE = 10**9
STANDARD = [
    "erow",
    "pack",
    "article",
    "measure",
    "eid",
    "uscc",
    "district",
    "seq",
    "kind",
    "event_date",
    "label",
    "in_window",
    "cond_ok",
    "cond_unset",
    "amount_state",
    "amount_raw",
    "cap_fen",
    "amount_capped",
    "overlap_group",
    "matter",
    "pool_cap",
    "pool_year",
]


@dataclass
class Entitlements:
    """The result of a run: one unified row per (pack, measure, event) plus each measure's own columns."""

    frame: pl.DataFrame
    parts: dict[str, pl.DataFrame]
    packs: tuple[Pack, ...]
    params: ParamSet
    history: pl.DataFrame = field(default_factory=lambda: pl.DataFrame())

    def measure(self, measure_id: str) -> Measure:
        pack, article = measure_id.rsplit(".", 1)
        for p in self.packs:
            if p.id == pack:
                return p.measure(int(article))
        raise KeyError(measure_id)

    def pack(self, pack_id: str) -> Pack:
        return next(p for p in self.packs if p.id == pack_id)


HISTORY_SCHEMA = {
    "eid": pl.Int64,
    "group": pl.String,
    "matter": pl.String,
    "year": pl.Int32,
    "paid_fen": pl.Int64,
    "reference": pl.String,
}


def _round_half_up(num: pl.Expr, den: int) -> pl.Expr:
    """Non-negative ``num / den`` rounded half-up, exactly (Int128)."""
    return ((num * 2 + den) // (2 * den)).cast(pl.Int64)


def _fraction(value: Any) -> tuple[int, int]:
    if isinstance(value, int):
        return value, 1
    if isinstance(value, Decimal):
        p, q = value.as_integer_ratio()
        return p, q
    raise TypeError(value)


def _event_label() -> pl.Expr:
    kind = pl.col("kind")
    d = pl.col("event_date").cast(pl.String).fill_null("?")
    return (
        pl.when(pl.col("key").is_not_null() & (pl.col("key") != ""))
        .then(pl.col("key"))
        .when(kind.is_in(["recognition", "relocation_in"]))
        .then(pl.concat_str([kind, pl.lit(":"), pl.col("tier").fill_null("?"), pl.lit(":"), d]))
        .when(kind.is_in(["brand_listing", "tech_transaction"]))
        .then(pl.concat_str([kind, pl.lit(":"), pl.col("year").cast(pl.String).fill_null("?")]))
        .otherwise(pl.concat_str([kind, pl.lit(":"), d]))
    )


def prepare_events(tables: Tables) -> pl.DataFrame:
    """Events with their effective date, a readable label and the enterprise's identity."""
    ents = tables.enterprises.select("eid", "uscc", "district", "certifications_known")
    ev = tables.events.with_columns(pl.coalesce(pl.col("date"), pl.col("contract_date")).alias("event_date"))
    ev = ev.join(ents, on="eid", how="left", maintain_order="left").with_row_index("erow")
    # The exchange format names an event's key by kind (project_id, loan_id, scene_id); rules use those names.
    return ev.with_columns(
        _event_label().alias("label"),
        pl.col("erow").cast(pl.Int64),
        *[pl.col("key").alias(name) for name in ("project_id", "loan_id", "scene_id")],
    )


def certificate_rows(tables: Tables, events: pl.DataFrame) -> pl.DataFrame:
    """Certifications plus those implied by recognition events (recognised on the event date)."""
    explicit = tables.certifications.select(
        "eid",
        "tier",
        "recognized_on",
        "expires_on",
        "revoked_on",
        pl.lit(None, dtype=pl.Int64).alias("from_erow"),
    )
    implied = events.filter(
        (pl.col("kind") == "recognition") & pl.col("tier").is_not_null() & pl.col("event_date").is_not_null()
    ).select(
        "eid",
        "tier",
        pl.col("event_date").alias("recognized_on"),
        pl.lit(None, dtype=pl.Date).alias("expires_on"),
        pl.lit(None, dtype=pl.Date).alias("revoked_on"),
        pl.col("erow").alias("from_erow"),
    )
    return pl.concat([explicit, implied], how="vertical_relaxed")


def lpr_frame() -> pl.DataFrame:
    """The 1-year LPR table in basis points, for as-of joins on contract dates."""
    rows = [(r.released_on, int(r.one_year_percent * 100)) for r in lpr_table()]
    return pl.DataFrame(rows, schema={"released_on": pl.Date, "lpr_bp": pl.Int64}, orient="row").sort(
        "released_on"
    )


class _MeasureRun:
    """Builds one measure's rows and columns."""

    def __init__(
        self, pack: Pack, measure: Measure, params: ParamSet, certs: pl.DataFrame, lpr: pl.DataFrame
    ):
        self.pack = pack
        self.m = measure
        self.params = params
        self.certs = certs
        self.lpr = lpr

    # ---- helpers -----------------------------------------------------------------------------------
    def _cert_any(self, sub: pl.DataFrame, predicate: pl.Expr, name: str) -> pl.DataFrame:
        """Kleene any over the enterprise's certifications of ``predicate`` (columns of event and cert)."""
        joined = sub.select("erow", "eid", "event_date", pl.col("tier").alias("event_tier")).join(
            self.certs, on="eid", how="inner"
        )
        agg = joined.group_by("erow").agg(predicate.any(ignore_nulls=False).alias(name))
        implied_any = joined.group_by("erow").agg(pl.col("from_erow").is_not_null().any().alias("__implied"))
        return (
            sub.join(agg, on="erow", how="left")
            .join(implied_any, on="erow", how="left")
            .with_columns(
                # A known (even empty) list decides; an unknown list can only confirm, never deny.
                pl.when(pl.col("certifications_known").fill_null(False))
                .then(pl.col(name).fill_null(False))
                .otherwise(pl.when(pl.col(name)).then(True).otherwise(None))
                .alias(name)
            )
            .drop("__implied")
        )

    def _srdi(self, sub: pl.DataFrame, name: str) -> pl.DataFrame:
        valid = certification_valid_on(pl.col("event_date")) & pl.col("tier").is_in(
            list(self.pack.srdi_tiers)
        )
        return self._cert_any(sub, valid, name)

    def condition(self, sub: pl.DataFrame, c: Condition) -> pl.DataFrame:
        name = f"cond:{c.id}"
        unset_name = f"unset:{c.id}"
        day = pl.col("event_date")
        if c.kind == "srdi_enterprise":
            sub = self._srdi(sub, name)
        elif c.kind == "holds_title":
            valid = certification_valid_on(day) & (pl.col("tier") == pl.col("event_tier"))
            sub = self._cert_any(sub, valid, name)
        elif c.kind == "first_of_tier":
            earlier = (pl.col("tier") == pl.col("event_tier")) & (pl.col("recognized_on") < day)
            sub = self._cert_any(sub, earlier, "__earlier").with_columns((~pl.col("__earlier")).alias(name))
            sub = sub.drop("__earlier")
        elif c.kind == "field_in":
            sub = sub.with_columns(pl.col(c.field).is_in(pl.lit(self._list(c.param))).alias(name))
        elif c.kind == "field_compare":
            value = self.params.expr(c.param, day, self._dtype(c.field))
            col = pl.col(c.field)
            cmp = {"ge": col >= value, "gt": col > value, "le": col <= value, "lt": col < value}[c.op]
            sub = sub.with_columns(cmp.alias(name))
        elif c.kind == "prior_year":
            sub = sub.with_columns((pl.col(c.field) == day.dt.year() - 1).alias(name))
        elif c.kind == "below_lpr":
            sub = self._below_lpr(sub, c, name, unset_name)
        else:  # pragma: no cover - standing-only kinds never reach event measures
            raise ValueError(c.kind)
        if c.only_for:
            sub = sub.with_columns(
                pl.when(pl.col("kind") == c.only_for).then(pl.col(name)).otherwise(True).alias(name)
            )
        if unset_name not in sub.columns:
            sub = sub.with_columns(pl.lit(False).alias(unset_name))
        return sub

    def _list(self, pid: str) -> list[Any]:
        constant, value = self.params.constant(pid)
        return list(value or []) if constant else list(self.params.value(pid, self.pack.window_to) or [])

    def _dtype(self, column: str) -> Any:
        return pl.Decimal(20, 9) if column in ("annual_rate", "guarantee_fee_rate") else pl.Int64

    def _below_lpr(self, sub: pl.DataFrame, c: Condition, name: str, unset_name: str) -> pl.DataFrame:
        date_field = c.date_field or "event_date"
        keyed = (
            sub.select("erow", pl.col(date_field).alias("__d"))
            .filter(pl.col("__d").is_not_null())
            .sort("__d")
        )
        found = keyed.join_asof(self.lpr, left_on="__d", right_on="released_on", strategy="backward")
        sub = sub.join(found.select("erow", "lpr_bp", "released_on"), on="erow", how="left")
        rate = (pl.col(c.field).cast(pl.Decimal(38, 9)) * DEC_SCALE).cast(I128)  # rate × 1e9
        lpr = pl.col("lpr_bp").cast(I128)  # percent × 100
        # rate ≤ LPR × (1 − d)  ⇔  rate×1e9 × 10000 × q ≤ lpr_bp × 1e9 × (q − p)
        discount = (
            self.params.value(c.param, self.pack.window_to) if self.params.constant(c.param)[0] else None
        )
        below_lpr = rate * 10_000 < lpr * DEC_SCALE
        if discount is None:
            result = pl.when(below_lpr.not_()).then(False).otherwise(None)
            unset = below_lpr.fill_null(False)
        else:
            p, q = _fraction(discount)
            result = rate * 10_000 * q <= lpr * DEC_SCALE * (q - p)
            unset = pl.lit(False)
        return sub.with_columns(result.alias(name), unset.alias(unset_name))

    # ---- amounts -----------------------------------------------------------------------------------
    def amount(self, sub: pl.DataFrame, a: Amount) -> pl.DataFrame:
        """Adds amount_state (ok/unset/missing), amount_raw, cap_fen and amount_capped."""
        day = pl.col("event_date")
        if a.kind == "fixed":
            value = self.params.expr(a.param, day, pl.Int64)
            return self._finish(sub, value, value.is_null(), pl.lit(False), pl.lit(None, dtype=pl.Int64))
        if a.kind == "by_field":
            expr: Any = pl
            for key, pid in a.params.items():
                expr = expr.when(pl.col(a.field) == key).then(self.params.expr(pid, day, pl.Int64))
            value = expr.otherwise(pl.lit(None, dtype=pl.Int64))
            unset = pl.col(a.field).is_in(list(a.params)) & value.is_null()
            return self._finish(sub, value, unset, pl.col(a.field).is_null(), pl.lit(None, dtype=pl.Int64))
        if a.kind == "ratio_of_field":
            return self._rate_times(sub, pl.col(a.field), a.param, None, None)
        if a.kind == "rate_of_base":
            match = (
                pl.col(a.switch_field).is_in(pl.lit(self._list(a.switch_param)))
                if a.switch_field
                else pl.lit(True)
            )
            sub = sub.with_columns(match.alias("__match"))
            return self._rate_times(
                sub,
                pl.col(a.base),
                a.rate_match,
                a.rate_other or None,
                (a.cap_match, a.cap_other),
                switch=a.switch_field or None,
            )
        return self._loan(sub, a)

    def _rate_value(self, pid: str | None) -> tuple[int, int] | None:
        if pid is None:
            return None
        constant, value = self.params.constant(pid)
        value = value if constant else self.params.value(pid, self.pack.window_to)
        return None if value is None else _fraction(value)

    def _cap_value(self, pid: str | None) -> int | None:
        if not pid:
            return None
        constant, value = self.params.constant(pid)
        found = value if constant else self.params.value(pid, self.pack.window_to)
        return None if found is None else int(found)

    def _rate_times(
        self,
        sub: pl.DataFrame,
        base: pl.Expr,
        rate_match: str,
        rate_other: str | None,
        caps: tuple[str, str] | None,
        switch: str | None = None,
    ) -> pl.DataFrame:
        match = pl.col("__match") if "__match" in sub.columns else pl.lit(True)
        rm, ro = self._rate_value(rate_match), self._rate_value(rate_other)
        b = base.cast(I128)

        def times(r: tuple[int, int] | None) -> pl.Expr:
            return pl.lit(None, dtype=pl.Int64) if r is None else _round_half_up(b * r[0], r[1])

        raw = pl.when(match).then(times(rm)).otherwise(times(ro))
        rate_unset = pl.when(match).then(pl.lit(rm is None)).otherwise(pl.lit(ro is None))
        cap: pl.Expr = pl.lit(None, dtype=pl.Int64)
        if caps is not None:
            cm, co = self._cap_value(caps[0]), self._cap_value(caps[1])
            cap = pl.when(match).then(pl.lit(cm, dtype=pl.Int64)).otherwise(pl.lit(co, dtype=pl.Int64))
        missing = base.is_null() | (pl.col(switch).is_null() if switch else pl.lit(False))
        out = self._finish(sub, raw, rate_unset, missing, cap)
        return out.drop("__match") if "__match" in out.columns else out

    def _loan(self, sub: pl.DataFrame, a: Amount) -> pl.DataFrame:
        r = self._rate_value(a.param)
        max_months = self._cap_value(a.max_months) or 12
        months = pl.min_horizontal(pl.col(a.months), pl.lit(max_months)).cast(I128)
        principal = pl.col(a.principal).cast(I128)
        pro_rata = (
            pl.lit(None, dtype=pl.Int64)
            if r is None
            else _round_half_up(principal * r[0] * months, r[1] * 12)
        )
        raw = pl.min_horizontal(pro_rata, pl.col(a.paid))
        missing = pl.col(a.principal).is_null() | pl.col(a.months).is_null() | pl.col(a.paid).is_null()
        sub = sub.with_columns(pro_rata.alias("pro_rata_fen"))
        return self._finish(sub, raw, pl.lit(r is None), missing, pl.lit(None, dtype=pl.Int64))

    def _finish(
        self, sub: pl.DataFrame, raw: pl.Expr, unset: pl.Expr, missing: pl.Expr, cap: pl.Expr
    ) -> pl.DataFrame:
        state = (
            pl.when(missing).then(pl.lit("missing")).when(unset).then(pl.lit("unset")).otherwise(pl.lit("ok"))
        )
        sub = sub.with_columns(
            state.alias("amount_state"),
            pl.when(missing | unset).then(None).otherwise(raw).cast(pl.Int64).alias("amount_raw"),
            cap.cast(pl.Int64).alias("cap_fen"),
        )
        return sub.with_columns(
            pl.when(pl.col("cap_fen").is_not_null())
            .then(pl.min_horizontal(pl.col("amount_raw"), pl.col("cap_fen")))
            .otherwise(pl.col("amount_raw"))
            .alias("amount_capped")
        )

    # ---- the measure ---------------------------------------------------------------------------------
    def run(self, events: pl.DataFrame) -> pl.DataFrame:
        m = self.m
        sub = events.filter(pl.col("kind").is_in(list(m.events))).with_columns(
            pl.lit(self.pack.id).alias("pack"),
            pl.lit(m.article).alias("article"),
            pl.lit(m.id).alias("measure"),
            pl.col("event_date").is_between(self.pack.window_from, self.pack.window_to).alias("in_window"),
        )
        for c in m.conditions:
            sub = self.condition(sub, c)
        cond_cols = [f"cond:{c.id}" for c in m.conditions]
        unset_cols = [f"unset:{c.id}" for c in m.conditions]
        # A condition that is undecided only because its parameter is unset does not make the row needs_data.
        decided = [
            pl.when(pl.col(u)).then(True).otherwise(pl.col(c))
            for c, u in zip(cond_cols, unset_cols, strict=True)
        ]
        sub = sub.with_columns(
            (pl.all_horizontal(decided) if decided else pl.lit(True)).alias("cond_ok"),
            (pl.any_horizontal([pl.col(u) for u in unset_cols]) if unset_cols else pl.lit(False)).alias(
                "cond_unset"
            ),
        )
        assert m.amount is not None
        sub = self.amount(sub, m.amount)
        overlap = m.overlap
        matter = (
            pl.concat_str(
                [pl.lit(overlap.group), *[pl.col(f).cast(pl.String).fill_null("?") for f in overlap.matter]],
                separator="|",
            )
            if overlap
            else pl.lit(None, dtype=pl.String)
        )
        pool_cap = (
            self.params.expr(m.annual_cap.param, pl.col("event_date"), pl.Int64)
            if m.annual_cap
            else pl.lit(None, dtype=pl.Int64)
        )
        return sub.with_columns(
            pl.lit(overlap.group if overlap else None, dtype=pl.String).alias("overlap_group"),
            matter.alias("matter"),
            pool_cap.alias("pool_cap"),
            pl.col("event_date").dt.year().cast(pl.Int32).alias("pool_year"),
        )


def _status() -> pl.Expr:
    return (
        pl.when(pl.col("in_window").is_null())
        .then(pl.lit("needs_data"))
        .when(~pl.col("in_window"))
        .then(pl.lit("outside_policy_window"))
        .when(pl.col("cond_ok").not_())
        .then(pl.lit("not_eligible"))
        .when(pl.col("cond_ok").is_null())
        .then(pl.lit("needs_data"))
        .when(pl.col("cond_unset"))
        .then(pl.lit("amount_unset"))
        .when(pl.col("amount_state") == "missing")
        .then(pl.lit("needs_data"))
        .when(pl.col("amount_state") == "unset")
        .then(pl.lit("amount_unset"))
        .otherwise(pl.lit("granted"))
    )


def _apply_pools(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """Annual per-enterprise caps: granted rows in event order share the year's cap (payments made count)."""
    pooled = pl.col("pool_cap").is_not_null() & (pl.col("status") == "granted")
    paid = pl.lit(0, dtype=pl.Int64)
    if history.height:
        used = (
            history.filter(pl.col("group").is_not_null())
            .group_by("eid", "group", "year")
            .agg(pl.col("paid_fen").sum().alias("__pool_paid"))
        )
        frame = frame.join(
            used,
            left_on=["eid", "overlap_group", "pool_year"],
            right_on=["eid", "group", "year"],
            how="left",
            maintain_order="left",
        )
        paid = pl.col("__pool_paid").fill_null(0)
    frame = frame.with_columns(paid.alias("pool_paid_before"))
    order = frame.with_columns(pl.when(pooled).then(pl.col("amount_capped")).otherwise(0).alias("__pooled"))
    order = order.sort(["pack", "eid", "pool_year", "event_date", "seq"], maintain_order=True)
    order = order.with_columns(
        (
            pl.col("__pooled").cum_sum().over(["pack", "measure", "eid", "pool_year"])
            - pl.col("__pooled")
            + pl.col("pool_paid_before")
        ).alias("pool_used_before")
    )
    allowed = pl.max_horizontal(
        pl.lit(0), pl.min_horizontal(pl.col("amount_capped"), pl.col("pool_cap") - pl.col("pool_used_before"))
    )
    order = order.with_columns(
        pl.when(pooled).then(allowed).otherwise(pl.col("amount_capped")).alias("amount_pooled"),
        pl.when(pooled).then(allowed < pl.col("amount_capped")).otherwise(False).alias("pool_applied"),
    ).with_columns(
        pl.when(pooled & (pl.col("amount_pooled") == 0))
        .then(pl.lit("not_eligible"))
        .otherwise(pl.col("status"))
        .alias("status")
    )
    drop = [c for c in ("__pooled", "__pool_paid") if c in order.columns]
    return order.drop(drop).sort("rid")


def _resolve_overlaps(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """从优、就高、不重复: per (enterprise, matter) keep the highest granted amount, top-up over payments made."""
    candidate = (pl.col("status") == "granted") & pl.col("matter").is_not_null()
    # Rank only the candidates: highest amount first; ties go to the earliest event, then pack and article order.
    order = (
        frame.filter(candidate)
        .sort(
            ["eid", "matter", "amount_pooled", "event_date", "pack_order", "article", "seq"],
            descending=[False, False, True, False, False, False, False],
            nulls_last=True,
        )
        .with_columns(pl.int_range(pl.len()).over(["eid", "matter"]).alias("__rank"))
    )
    winners = order.filter(pl.col("__rank") == 0).select(
        "eid", "matter", pl.concat_str([pl.col("measure"), pl.lit(":"), pl.col("label")]).alias("__winner")
    )
    ranked = (
        frame.join(order.select("rid", "__rank"), on="rid", how="left", maintain_order="left")
        .join(winners, on=["eid", "matter"], how="left", maintain_order="left")
        .with_columns(pl.lit(None, dtype=pl.Int64).alias("__amt"))
    )
    paid = pl.lit(0, dtype=pl.Int64)
    paid_ref = pl.lit(None, dtype=pl.String)
    if history.height:
        prior = history.group_by("eid", "matter").agg(
            pl.col("paid_fen").sum().alias("__paid"), pl.col("reference").first().alias("__paid_ref")
        )
        ranked = ranked.join(prior, on=["eid", "matter"], how="left", maintain_order="left")
        paid = pl.col("__paid").fill_null(0)
        paid_ref = pl.col("__paid_ref")
    is_winner = candidate & (pl.col("__rank") == 0)
    superseded = candidate & (pl.col("__rank") > 0)
    top_up = pl.max_horizontal(pl.lit(0), pl.col("amount_pooled") - paid)
    out = ranked.with_columns(
        paid.alias("paid_before_fen"),
        pl.when(superseded)
        .then(pl.col("__winner"))
        .when(is_winner & (top_up == 0))
        .then(pl.concat_str([pl.lit("已支付:"), paid_ref.fill_null("历史支付")]))
        .otherwise(None)
        .alias("superseded_by"),
    ).with_columns(
        pl.when(pl.col("superseded_by").is_not_null())
        .then(pl.lit("superseded"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(pl.col("status") != "granted")
        .then(None)
        .when(is_winner)
        .then(top_up)
        .otherwise(pl.col("amount_pooled"))
        .alias("amount_fen"),
    )
    out = out.with_columns(
        pl.when(pl.col("status") == "granted")
        .then(pl.col("amount_fen"))
        .when(pl.col("status").is_in(["superseded", "not_eligible", "outside_policy_window"]))
        .then(0)
        .otherwise(None)
        .cast(pl.Int64)
        .alias("amount_fen")
    )
    return out.drop("__amt", "__rank", "__winner", *[c for c in ("__paid", "__paid_ref") if c in out.columns])


def _split(frame: pl.DataFrame, params: ParamSet) -> pl.DataFrame:
    """City and district shares: district rounded half-up, city the remainder (they always add up)."""
    codes = [pid.removeprefix("fiscal_share.") for pid in params.params if pid.startswith("fiscal_share.")]
    share_p: Any = pl
    share_q: Any = pl
    defaults: Any = pl
    for code in codes:
        pid = f"fiscal_share.{code}"
        value = params.value(pid, date(2025, 1, 1))
        p, q = _fraction(value if value is not None else Decimal("0.5"))
        share_p = share_p.when(pl.col("district") == code).then(pl.lit(p, dtype=I128))
        share_q = share_q.when(pl.col("district") == code).then(pl.lit(q, dtype=I128))
        defaults = defaults.when(pl.col("district") == code).then(
            pl.lit(pid not in params.overrides and "默认" in params.params[pid].note)
        )
    p_expr = share_p.otherwise(pl.lit(1, dtype=I128)) if codes else pl.lit(1, dtype=I128)
    q_expr = share_q.otherwise(pl.lit(2, dtype=I128)) if codes else pl.lit(2, dtype=I128)
    amount = pl.col("amount_fen").cast(I128)
    district = ((amount * (q_expr - p_expr) * 2 + q_expr) // (2 * q_expr)).cast(pl.Int64)
    return frame.with_columns(district.alias("district_fen")).with_columns(
        (pl.col("amount_fen") - pl.col("district_fen")).alias("city_fen"),
        (defaults.otherwise(pl.lit(True)) if codes else pl.lit(True)).alias("share_default"),
        (p_expr.cast(pl.String) + pl.lit("/") + q_expr.cast(pl.String)).alias("city_share"),
    )


def entitle(
    tables: Tables,
    packs: Sequence[Pack],
    *,
    overrides: dict[str, Any] | None = None,
    history: pl.DataFrame | None = None,
) -> Entitlements:
    """Evaluate every event-driven measure of ``packs`` for every event in ``tables``."""
    packs = tuple(packs)
    params = ParamSet.for_run(packs, overrides)
    events = prepare_events(tables)
    certs = certificate_rows(tables, events)
    lpr = lpr_frame()
    parts: dict[str, pl.DataFrame] = {}
    for order, pack in enumerate(packs):
        for m in pack.measures:
            if not m.events:
                continue
            part = (
                _MeasureRun(pack, m, params, certs, lpr)
                .run(events)
                .with_columns(pl.lit(order).alias("pack_order"))
            )
            parts[m.id] = part.with_columns(_status().alias("status"))
    hist = history if history is not None else pl.DataFrame(schema=HISTORY_SCHEMA)
    if parts:
        unified = pl.concat(
            [p.select([*STANDARD, "pack_order", "status"]) for p in parts.values()], how="vertical_relaxed"
        )
    else:
        unified = pl.DataFrame(schema={c: pl.Null for c in [*STANDARD, "pack_order", "status"]})
    unified = unified.sort(["eid", "seq", "pack_order", "article"], maintain_order=True).with_row_index("rid")
    unified = _apply_pools(unified, hist)
    unified = _resolve_overlaps(unified, hist)
    unified = _split(unified, params)
    return Entitlements(unified, parts, packs, params, hist)
