"""Evaluating event-driven measures of every pack in force, column-wise.

Use ``entitle(tables, packs)``. Each event becomes one row per measure that pays for its kind, per pack; every
condition, the amount before and after its cap, the annual pool (贴息 10万/企业/年), the overlap resolution
(从优、就高、不重复: the most favourable payment for the same matter is kept across packs, payments already made
count) and the city/district split are columns. ``parts`` keeps each measure's own condition columns for the
explanation. Statuses: granted, not_eligible, needs_data, amount_unset, window_unset, outside_policy_window,
superseded.

A pack's window is two dates or two ``date`` parameters (``ParamSet.window``): while an end that decides a row
is unset, the row is ``window_unset`` (the pack pays nothing yet; ``amount_fen`` null), which comes before every
condition, like ``outside_policy_window``. A measure with a ``selection_quota`` (措施（二）: at most N enterprises
selected a year) counts the eligible selections of the run in date order; selections beyond the N-th enterprise of
a calendar year, and the later tranches of those selections, are ``not_eligible``.

Before anything is judged, the title lifecycle (cancellation after missed annual updates, data-fraud bans) is
applied to the certifications (``with_lifecycle``), so that "holds a valid title" means the same here as in the
tier assessment.

Every parameter is read on the row's own event date (the contract date for a loan): ``ParamSet`` turns it into
a per-row column over its few dated periods, so rates, caps, lists, thresholds and fiscal shares all follow a
change of value inside the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import polars as pl

from srdi.domain.certifications import anniversary
from srdi.domain.lifecycle import apply_lifecycle
from srdi.domain.policy.model import Amount, Condition, Measure, Pack
from srdi.domain.policy.params import I128, ParamSet
from srdi.domain.reference import lpr_table
from srdi.domain.rules.facts import certification_valid_on
from srdi.domain.rules.rulebook import load_library
from srdi.domain.tables import Tables

DEC_SCALE = 10**9
# the exchange format's names for an event's key
KEY_FIELDS = ("project_id", "loan_id", "scene_id", "selection_id")
SELECTION = "growth_support_selection"
GROWTH_KINDS = (SELECTION, "growth_support_evaluation")
KEYED_KINDS = ("tech_renovation", "digital_transformation", "loan", "scene_award", *GROWTH_KINDS)
# The columns every measure's part has, with their types, that make the unified frame (a run in which no measure
# has an event of its kinds still has these columns: ``entitle`` builds them from here).
STANDARD_SCHEMA: dict[str, Any] = {
    "erow": pl.Int64,
    "pack": pl.String,
    "article": pl.Int32,
    "measure": pl.String,
    "eid": pl.Int64,
    "uscc": pl.String,
    "district": pl.String,
    "seq": pl.Int64,
    "kind": pl.String,
    "event_date": pl.Date,
    "label": pl.String,
    "in_window": pl.Boolean,
    "cond_ok": pl.Boolean,
    "cond_unset": pl.Boolean,
    "amount_state": pl.String,
    "amount_raw": pl.Int64,
    "cap_fen": pl.Int64,
    "amount_capped": pl.Int64,
    "overlap_group": pl.String,
    "matter": pl.String,
    "pool_cap": pl.Int64,
    "pool_year": pl.Int32,
    "window_unset": pl.Boolean,
    "pack_order": pl.Int32,
    "status": pl.String,
}


@dataclass
class Entitlements:
    """The result of a run: one unified row per (pack, measure, event) plus each measure's own columns (a
    measure none of whose event kinds occurs in the run has no rows and no part)."""

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


# Payments already made. ``year`` is the pool year of the matter paid for (the calendar year of its event date,
# for a loan the contract year); the engine attributes the payments of a matter present in the run to that
# row's pool year whatever ``year`` says, and uses ``year`` for matters that are not in the run.
HISTORY_SCHEMA = {
    "eid": pl.Int64,
    "group": pl.String,
    "matter": pl.String,
    "year": pl.Int32,
    "paid_fen": pl.Int64,
    "reference": pl.String,
}


def _round_half_up(num: pl.Expr, den: int | pl.Expr) -> pl.Expr:
    """Non-negative ``num / den`` rounded half-up, exactly (Int128); ``den`` may be a per-row column."""
    return ((num * 2 + den) // (2 * den)).cast(pl.Int64)


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
    """Events with their effective date, a readable label and the enterprise's identity.

    An event of a keyed kind without its key (no ``project_id`` …) is its own matter: its label is
    ``<kind>:<date>``, and the second, third … such event of the same kind and date of one enterprise get
    ``#2``, ``#3`` (in event order), so two unnamed projects are two matters. The label of the first stays what it
    always was, and a keyed event's label is its key, so stored matters do not move.
    """
    ents = tables.enterprises.select("eid", "uscc", "district", "certifications_known")
    ev = tables.events.with_columns(pl.coalesce(pl.col("date"), pl.col("contract_date")).alias("event_date"))
    ev = ev.join(ents, on="eid", how="left", maintain_order="left").with_row_index("erow")
    unkeyed = pl.col("kind").is_in(list(KEYED_KINDS)) & (pl.col("key").is_null() | (pl.col("key") == ""))
    ev = ev.with_columns(_event_label().alias("label"), pl.col("erow").cast(pl.Int64))
    nth = (
        ev.filter(unkeyed)
        .select("erow", pl.col("seq").rank("ordinal").over(["eid", "kind", "event_date"]).alias("__nth"))
        .filter(pl.col("__nth") > 1)
    )
    if nth.height:
        ev = ev.join(nth, on="erow", how="left", maintain_order="left").with_columns(
            pl.when(pl.col("__nth").is_not_null())
            .then(pl.concat_str([pl.col("label"), pl.lit("#"), pl.col("__nth").cast(pl.String)]))
            .otherwise(pl.col("label"))
            .alias("label")
        )
        ev = ev.drop("__nth")
    ev = _with_selection_date(ev)
    # The exchange format names an event's key by kind (project_id, loan_id, scene_id, selection_id); rules use
    # those names.
    return ev.with_columns(*[pl.col("key").alias(name) for name in KEY_FIELDS])


def _with_selection_date(ev: pl.DataFrame) -> pl.DataFrame:
    """``selection_date``: for a 措施（二） event, the date of its selection (the selection's own date; for an
    evaluation, the earliest selection of the same enterprise with the same ``selection_id``; null when the run
    has none). Null for every other kind."""
    keyed = pl.col("key").is_not_null() & (pl.col("key") != "")
    selections = (
        ev.filter((pl.col("kind") == SELECTION) & keyed & pl.col("event_date").is_not_null())
        .group_by("eid", "key")
        .agg(pl.col("event_date").min().alias("__selected"))
    )
    ev = ev.join(selections, on=["eid", "key"], how="left", maintain_order="left")
    return ev.with_columns(
        pl.when(pl.col("kind") == SELECTION)
        .then(pl.col("event_date"))
        .when(pl.col("kind").is_in(list(GROWTH_KINDS)))
        .then(pl.col("__selected"))
        .otherwise(None)
        .alias("selection_date")
    ).drop("__selected")


def with_lifecycle(tables: Tables, day: date | None = None) -> Tables:
    """The tables with the title lifecycle applied (``srdi.domain.lifecycle.apply_lifecycle``: cancellations after
    missed annual updates, data-fraud bans) as it stands on ``day`` — by default the latest event's date, the
    last day a run judges (without events there is nothing to judge and the tables are returned as they are)."""
    if day is None:
        latest = tables.events.select(pl.coalesce(pl.col("date"), pl.col("contract_date")).max()).item()
        if not isinstance(latest, date):
            return tables
        day = latest
    return apply_lifecycle(tables, load_library().lifecycle(day))


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
    """The 1-year LPR table in basis points, for as-of joins on contract dates (with the version of a release
    approved in the product, "" for the CSV file)."""
    rows = [(r.released_on, int(r.one_year_percent * 100), r.version) for r in lpr_table()]
    schema = {"released_on": pl.Date, "lpr_bp": pl.Int64, "lpr_version": pl.Utf8}
    return pl.DataFrame(rows, schema=schema, orient="row").sort("released_on")


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
        self.window = params.window(pack)

    # ---- helpers -----------------------------------------------------------------------------------
    def _cert_any(
        self, sub: pl.DataFrame, predicate: pl.Expr, name: str, day: str = "event_date"
    ) -> pl.DataFrame:
        """Kleene any over the enterprise's certifications of ``predicate`` (columns of event and cert; the day
        the condition is judged on is ``__day``: the event date, or the column ``day``)."""
        joined = sub.select(
            "erow", "eid", "event_date", pl.col(day).alias("__day"), pl.col("tier").alias("event_tier")
        ).join(self.certs, on="eid", how="inner")
        agg = joined.group_by("erow").agg(predicate.any(ignore_nulls=False).alias(name))
        return sub.join(agg, on="erow", how="left").with_columns(
            # A known (even empty) list decides; an unknown list can only confirm, never deny.
            pl.when(pl.col("certifications_known").fill_null(False))
            .then(pl.col(name).fill_null(False))
            .otherwise(pl.when(pl.col(name)).then(True).otherwise(None))
            .alias(name)
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
        elif c.kind == "holds_tier":
            # a valid title of a tier in the list, on the event date or on the date in ``date_field``
            column = c.date_field or "event_date"
            on = pl.col("__day")
            valid = certification_valid_on(on) & self.params.contains(c.param, on, pl.col("tier")).fill_null(
                False
            )
            sub = self._cert_any(sub, valid, name, column).with_columns(
                pl.when(pl.col(column).is_null()).then(None).otherwise(pl.col(name)).alias(name),
                (pl.col(column).is_not_null() & self.params.known(c.param, pl.col(column)).not_()).alias(
                    unset_name
                ),
            )
        elif c.kind == "field_true":
            sub = sub.with_columns(pl.col(c.field).cast(pl.Boolean).alias(name))
        elif c.kind == "first_of_tier":
            earlier = (pl.col("tier") == pl.col("event_tier")) & (pl.col("recognized_on") < day)
            sub = self._cert_any(sub, earlier, "__earlier").with_columns((~pl.col("__earlier")).alias(name))
            sub = sub.drop("__earlier")
        elif c.kind == "field_in":
            day = pl.col(c.date_field) if c.date_field else day
            sub = sub.with_columns(
                self.params.contains(c.param, day, pl.col(c.field)).alias(name),
                self.params.known(c.param, day).not_().alias(unset_name),
            )
        elif c.kind == "field_compare":
            day = pl.col(c.date_field) if c.date_field else day
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
        if unset_name not in sub.columns:
            sub = sub.with_columns(pl.lit(False).alias(unset_name))
        if c.only_for:
            applies = pl.col("kind") == c.only_for
            sub = sub.with_columns(
                pl.when(applies).then(pl.col(name)).otherwise(True).alias(name),
                pl.when(applies).then(pl.col(unset_name)).otherwise(False).alias(unset_name),
            )
        return sub

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
        sub = sub.join(found.select("erow", "lpr_bp", "released_on", "lpr_version"), on="erow", how="left")
        rate = (pl.col(c.field).cast(pl.Decimal(38, 9)) * DEC_SCALE).cast(I128)  # rate × 1e9
        lpr = pl.col("lpr_bp").cast(I128)  # percent × 100
        # The discount d in force on the contract date. "低于" is strict: the rate must be below the LPR, and
        # rate ≤ LPR × (1 − d)  ⇔  rate×1e9 × 10000 × q ≤ lpr_bp × 1e9 × (q − p)
        p, q = self.params.fraction(c.param, pl.col(date_field))
        below_lpr = rate * 10_000 < lpr * DEC_SCALE
        discounted = rate * 10_000 * q <= lpr * DEC_SCALE * (q - p)
        unset_row = p.is_null()
        # While the ratio is unset: a rate not below the LPR fails; a lower one waits for the ratio (unset).
        result = (
            pl.when(unset_row)
            .then(pl.when(below_lpr.not_()).then(False).otherwise(None))
            .otherwise(below_lpr & discounted)
        )
        unset = unset_row & below_lpr.fill_null(False)
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
        if a.kind == "tranche":
            return self._tranche(sub, a)
        if a.kind == "rate_of_base":
            match = (
                self.params.contains(a.switch_param, day, pl.col(a.switch_field))
                if a.switch_field
                else pl.lit(True)
            )
            switch_unset = self.params.known(a.switch_param, day).not_() if a.switch_field else pl.lit(False)
            sub = sub.with_columns(
                match.fill_null(False).alias("__match"), switch_unset.alias("__switch_unset")
            )
            return self._rate_times(
                sub,
                pl.col(a.base),
                a.rate_match,
                a.rate_other or None,
                (a.cap_match, a.cap_other),
                switch=a.switch_field or None,
            )
        return self._loan(sub, a)

    def _rate_times(
        self,
        sub: pl.DataFrame,
        base: pl.Expr,
        rate_match: str,
        rate_other: str | None,
        caps: tuple[str, str] | None,
        switch: str | None = None,
    ) -> pl.DataFrame:
        day = pl.col("event_date")
        match = pl.col("__match") if "__match" in sub.columns else pl.lit(True)
        none = pl.lit(None, dtype=I128)
        pm, qm = self.params.fraction(rate_match, day)
        po, qo = self.params.fraction(rate_other, day) if rate_other else (none, none)
        p = pl.when(match).then(pm).otherwise(po)
        q = pl.when(match).then(qm).otherwise(qo)
        raw = _round_half_up(base.cast(I128) * p, q)
        rate_unset = p.is_null()
        if "__switch_unset" in sub.columns:
            rate_unset = rate_unset | pl.col("__switch_unset")
        cap: pl.Expr = pl.lit(None, dtype=pl.Int64)
        if caps is not None:
            cm = self.params.expr(caps[0], day, pl.Int64) if caps[0] else pl.lit(None, dtype=pl.Int64)
            co = self.params.expr(caps[1], day, pl.Int64) if caps[1] else pl.lit(None, dtype=pl.Int64)
            cap = pl.when(match).then(cm).otherwise(co)
            # A declared cap without a value on the event date is unknown, not "no cap".
            declared = pl.when(match).then(pl.lit(bool(caps[0]))).otherwise(pl.lit(bool(caps[1])))
            rate_unset = rate_unset | (declared & cap.is_null())
        missing = base.is_null() | (pl.col(switch).is_null() if switch else pl.lit(False))
        out = self._finish(sub, raw, rate_unset, missing, cap)
        return out.drop([c for c in ("__match", "__switch_unset") if c in out.columns])

    def _tranche(self, sub: pl.DataFrame, a: Amount) -> pl.DataFrame:
        """First tranche = whole × share (rounded half-up) for ``first`` events; the rest for the others. Both are
        read on the selection date (so the rest completes exactly what the first tranche left)."""
        day = pl.coalesce(pl.col("selection_date"), pl.col("event_date"))
        whole = self.params.expr(a.param, day, pl.Int64)
        p, q = self.params.fraction(a.share, day)
        first = _round_half_up(whole.cast(I128) * p, q)
        raw = pl.when(pl.col("kind") == a.first).then(first).otherwise(whole - first)
        sub = sub.with_columns(first.alias("first_tranche_fen"), whole.alias("whole_fen"))
        unset = whole.is_null() | p.is_null()
        return self._finish(sub, raw, unset, pl.lit(False), pl.lit(None, dtype=pl.Int64))

    def _loan(self, sub: pl.DataFrame, a: Amount) -> pl.DataFrame:
        day = pl.col("event_date")
        p, q = self.params.fraction(a.param, day)
        max_months = self.params.expr(a.max_months, day, pl.Int64)
        months = pl.min_horizontal(pl.col(a.months), max_months)
        principal = pl.col(a.principal).cast(I128)
        pro_rata = _round_half_up(principal * p * months.cast(I128), q * 12)
        raw = pl.min_horizontal(pro_rata, pl.col(a.paid))
        missing = pl.col(a.principal).is_null() | pl.col(a.months).is_null() | pl.col(a.paid).is_null()
        sub = sub.with_columns(pro_rata.alias("pro_rata_fen"), months.alias("months_counted"))
        return self._finish(
            sub, raw, p.is_null() | max_months.is_null(), missing, pl.lit(None, dtype=pl.Int64)
        )

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
    def _window_columns(self, m: Measure) -> list[pl.Expr]:
        """``window_date`` (the day the window is judged on), ``in_window`` (Kleene) and ``window_unset``.

        The window is judged on the event date; a measure paid in tranches of one award (措施（二）) judges every
        tranche on the selection date. An unset end of the window that decides the row gives ``in_window``
        null and ``window_unset`` true; a window never starts before the pack's adoption (``issued``).
        """
        day = pl.col("event_date")
        if m.amount is not None and m.amount.kind == "tranche":
            day = pl.coalesce(pl.col("selection_date"), day)
        start, end = self.window
        # before the start, or — while the start is unset — before the document was adopted
        outside = day < (start if start is not None else self.pack.issued)
        if end is not None:
            outside = outside | (day > end)
        known = start is not None and end is not None
        in_window = (
            pl.when(day.is_null())
            .then(None)
            .when(outside)
            .then(False)
            .otherwise(pl.lit(True) if known else None)
        )
        unset = day.is_not_null() & ~outside.fill_null(False) & pl.lit(not known)
        return [day.alias("window_date"), in_window.alias("in_window"), unset.alias("window_unset")]

    def run(self, events: pl.DataFrame) -> pl.DataFrame:
        m = self.m
        sub = events.filter(pl.col("kind").is_in(list(m.events))).with_columns(
            pl.lit(self.pack.id).alias("pack"),
            pl.lit(m.article).alias("article"),
            pl.lit(m.id).alias("measure"),
        )
        sub = sub.with_columns(*self._window_columns(m))
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
            pl.concat_str([pl.lit(overlap.group), *[_matter_part(f) for f in overlap.matter]], separator="|")
            if overlap
            else pl.lit(None, dtype=pl.String)
        )
        pool_day = pl.col("event_date")
        if m.annual_cap and m.annual_cap.date_field in sub.columns:
            pool_day = pl.coalesce(pl.col(m.annual_cap.date_field), pool_day)
        pool_cap = (
            self.params.expr(m.annual_cap.param, pool_day, pl.Int64)
            if m.annual_cap
            else pl.lit(None, dtype=pl.Int64)
        )
        sub = sub.with_columns(
            pl.lit(overlap.group if overlap else None, dtype=pl.String).alias("overlap_group"),
            matter.alias("matter"),
            pool_cap.alias("pool_cap"),
            pool_day.dt.year().cast(pl.Int32).alias("pool_year"),
        )
        if m.annual_cap:
            # A declared annual cap without a value on the date is unknown: the amount cannot be decided.
            no_cap = pl.col("pool_cap").is_null() & (pl.col("amount_state") == "ok")
            sub = sub.with_columns(
                pl.when(no_cap).then(pl.lit("unset")).otherwise(pl.col("amount_state")).alias("amount_state"),
                *[
                    pl.when(no_cap).then(None).otherwise(pl.col(c)).alias(c)
                    for c in ("amount_raw", "amount_capped")
                ],
            )
        return sub


def _matter_part(name: str) -> pl.Expr:
    """One field of a matter key: its value, ``?`` when unknown; a missing event key falls back to the event."""
    value = pl.col(name).cast(pl.String)
    if name in KEY_FIELDS:
        return pl.when(value.is_null() | (value == "")).then(pl.col("label")).otherwise(value)
    return value.fill_null("?")


def _status() -> pl.Expr:
    return (
        pl.when(pl.col("window_unset"))
        .then(pl.lit("window_unset"))
        .when(pl.col("in_window").is_null())
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
    """Annual per-enterprise caps (第17条 10万/企业/年), with the payments already made.

    Only one row per matter uses the pool: of several granted rows for the same matter (two events with one
    ``loan_id``) the one that would win the overlap does; the others are held to its amount and are superseded
    later. Payments already made for the year's matters use the pool first — a matter of the run is counted in
    the pool year of its row, whatever year the payment was made. Each granted matter in event order then gets
    at most what is left, on top of what was already paid for it: ``amount_pooled`` is the matter's total
    entitlement (paid + still due), so the overlap step's top-up pays exactly the difference. A row that
    finds the pool used up stays ``granted`` with 0.
    """
    has_pool = pl.col("pool_cap").is_not_null()
    rest = frame.filter(~has_pool).with_columns(
        pl.col("amount_capped").alias("amount_pooled"),
        pl.lit(None, dtype=pl.Int64).alias("pool_used_before"),
        pl.lit(None, dtype=pl.Int64).alias("pool_left_before"),
        pl.lit(False).alias("pool_dup"),
        pl.lit(False).alias("pool_applied"),
        pl.lit(False).alias("pool_exhausted"),
    )
    pooled = _pool_rows(frame.filter(has_pool), history).select(rest.columns)
    return pl.concat([rest, pooled], how="vertical_relaxed").sort("rid")


def _pool_rows(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """``_apply_pools`` on the rows of measures with an annual cap."""
    pooled = pl.col("pool_cap").is_not_null() & (pl.col("status") == "granted")
    frame = frame.with_columns(pooled.alias("__pooled"))
    ranked = (
        frame.filter(pl.col("pool_cap").is_not_null() & pl.col("matter").is_not_null())
        .sort(
            ["eid", "matter", "__pooled", "amount_capped", "event_date", "pack_order", "article", "seq"],
            descending=[False, False, True, True, False, False, False, False],
            nulls_last=True,
        )
        .with_columns(pl.int_range(pl.len()).over(["eid", "matter"]).alias("__mrank"))
    )
    frame = frame.join(ranked.select("rid", "__mrank"), on="rid", how="left", maintain_order="left")
    consumer = pl.col("__pooled") & pl.col("__mrank").fill_null(0).eq(0)
    frame = frame.with_columns(
        consumer.alias("__consumer"), (pl.col("__pooled") & ~consumer).alias("pool_dup")
    )
    base = pl.lit(0, dtype=pl.Int64)
    paid = pl.lit(0, dtype=pl.Int64)
    if history.height:
        matter_year = ranked.filter(pl.col("__mrank") == 0).select(
            "eid", "matter", pl.col("pool_year").alias("__matter_year")
        )
        hist = history.join(matter_year, on=["eid", "matter"], how="left").with_columns(
            pl.coalesce(pl.col("__matter_year"), pl.col("year")).alias("__year")
        )
        used = (
            hist.filter(pl.col("group").is_not_null())
            .group_by("eid", "group", "__year")
            .agg(pl.col("paid_fen").sum().alias("__pool_paid"))
        )
        by_matter = history.group_by("eid", "matter").agg(pl.col("paid_fen").sum().alias("__matter_paid"))
        frame = frame.join(
            used,
            left_on=["eid", "overlap_group", "pool_year"],
            right_on=["eid", "group", "__year"],
            how="left",
            maintain_order="left",
        ).join(by_matter, on=["eid", "matter"], how="left", maintain_order="left")
        base = pl.col("__pool_paid").fill_null(0)
        paid = pl.when(pl.col("__consumer")).then(pl.col("__matter_paid").fill_null(0)).otherwise(0)
    frame = frame.with_columns(base.alias("__base"), paid.alias("__paid"))
    capped = pl.col("amount_capped")
    need = (
        pl.when(pl.col("__consumer"))
        .then(pl.max_horizontal(pl.lit(0), capped - pl.col("__paid")))
        .otherwise(0)
        .alias("__need")
    )
    frame = frame.with_columns(need).sort(
        ["pack", "measure", "eid", "pool_year", "event_date", "seq"], maintain_order=True, nulls_last=True
    )
    left = pl.max_horizontal(pl.lit(0), pl.col("pool_cap") - pl.col("__base"))  # after payments made
    before = pl.col("__need").cum_sum().over(["pack", "measure", "eid", "pool_year"]) - pl.col("__need")
    given_before = pl.min_horizontal(left, before)  # granted to earlier matters of the run
    top_up = pl.min_horizontal(left, before + pl.col("__need")) - given_before
    frame = frame.with_columns(
        pl.when(capped >= pl.col("__paid"))
        .then(pl.col("__paid") + top_up)
        .otherwise(capped)
        .alias("__c_pooled"),
        (pl.col("__base") - pl.col("__paid") + given_before).alias("__c_used"),
        (left - given_before).alias("__c_left"),
    )
    firsts = frame.filter(pl.col("__consumer") & pl.col("matter").is_not_null()).select(
        "eid",
        "matter",
        pl.col("__c_pooled").alias("__m_pooled"),
        pl.col("__c_used").alias("__m_used"),
        pl.col("__c_left").alias("__m_left"),
    )
    frame = frame.join(firsts, on=["eid", "matter"], how="left", maintain_order="left")
    dup = pl.col("pool_dup")
    frame = (
        frame.with_columns(
            pl.when(pl.col("__consumer"))
            .then(pl.col("__c_pooled"))
            .when(dup)
            .then(pl.min_horizontal(capped, pl.col("__m_pooled")))
            .otherwise(capped)
            .alias("amount_pooled"),
            pl.when(pl.col("__consumer"))
            .then(pl.col("__c_used"))
            .when(dup)
            .then(pl.col("__m_used"))
            .otherwise(None)
            .alias("pool_used_before"),
            pl.when(pl.col("__consumer"))
            .then(pl.col("__c_left"))
            .when(dup)
            .then(pl.col("__m_left"))
            .otherwise(None)
            .alias("pool_left_before"),
        )
        .with_columns(
            pl.col("amount_pooled").cast(pl.Int64),
            pl.col("pool_used_before").cast(pl.Int64),
            pl.col("pool_left_before").cast(pl.Int64),
        )
        .with_columns(
            (pl.col("__pooled") & (pl.col("amount_pooled") < capped)).fill_null(False).alias("pool_applied"),
            (pl.col("__pooled") & (pl.col("pool_left_before") == 0) & (capped > pl.col("amount_pooled")))
            .fill_null(False)
            .alias("pool_exhausted"),
        )
    )
    return frame.drop([c for c in frame.columns if c.startswith("__")])


def _resolve_overlaps(frame: pl.DataFrame, history: pl.DataFrame) -> pl.DataFrame:
    """从优、就高、不重复: per (enterprise, matter) keep the highest granted amount, top-up over payments made."""
    candidate = (pl.col("status") == "granted") & pl.col("matter").is_not_null()
    # Rank only the candidates: highest amount first; the row that used the annual pool before its duplicates;
    # ties go to the earliest event, then pack and article order.
    order = (
        frame.filter(candidate)
        .sort(
            ["eid", "matter", "amount_pooled", "pool_dup", "event_date", "pack_order", "article", "seq"],
            descending=[False, False, True, False, False, False, False, False],
            nulls_last=True,
        )
        .with_columns(pl.int_range(pl.len()).over(["eid", "matter"]).alias("__rank"))
    )
    winners = order.filter(pl.col("__rank") == 0).select(
        "eid", "matter", pl.concat_str([pl.col("measure"), pl.lit(":"), pl.col("label")]).alias("__winner")
    )
    ranked = frame.join(order.select("rid", "__rank"), on="rid", how="left", maintain_order="left").join(
        winners, on=["eid", "matter"], how="left", maintain_order="left"
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
        .when(is_winner & (top_up == 0) & (paid > 0))
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
    return out.drop("__rank", "__winner", *[c for c in ("__paid", "__paid_ref") if c in out.columns])


def _apply_quotas(
    frame: pl.DataFrame, history: pl.DataFrame, packs: tuple[Pack, ...], params: ParamSet
) -> pl.DataFrame:
    """Annual ceilings on the number of grants (第7条: 每年不超过10个场景), as far as one enterprise goes.

    The ceiling is city-wide (``srdi simulate`` checks the whole city); it also bounds what one enterprise can
    be granted in a year. An enterprise's granted rows of the measure are counted in event order, after the
    matters already paid that year (``history``, same overlap group); a row beyond the ceiling is
    ``not_eligible`` with 0. ``quota``/``quota_rank`` keep the ceiling and the row's place for the trace.
    """
    out = frame.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("quota"), pl.lit(None, dtype=pl.Int64).alias("quota_rank")
    )
    for m in (m for pack in packs for m in pack.measures if m.annual_quota):
        rows = out.filter((pl.col("measure") == m.id) & (pl.col("status") == "granted")).with_columns(
            pl.col("event_date").dt.year().cast(pl.Int32).alias("__year")
        )
        if not rows.height:
            continue
        years = rows.get_column("__year").unique().to_list()
        ceilings = pl.DataFrame(
            {
                "__year": years,
                "__quota": [_count(params.value(m.annual_quota, date(y, 12, 31))) for y in years],
            },
            schema={"__year": pl.Int32, "__quota": pl.Int64},
        )
        group = m.overlap.group if m.overlap is not None else m.id
        this_run = out.filter(pl.col("measure") == m.id).select("eid", "matter").unique()
        used = (
            history.filter(pl.col("group") == group)
            .join(this_run, on=["eid", "matter"], how="anti")
            .group_by("eid", pl.col("year").alias("__year"))
            .agg(pl.col("matter").n_unique().cast(pl.Int64).alias("__used"))
        )
        ranked = (
            rows.sort("eid", "__year", "event_date", "seq")
            .with_columns((pl.int_range(1, pl.len() + 1).over("eid", "__year")).cast(pl.Int64).alias("__n"))
            .join(used, on=["eid", "__year"], how="left")
            .join(ceilings, on="__year", how="left")
            .select(
                "rid",
                pl.col("__quota").alias("__q"),
                (pl.col("__n") + pl.col("__used").fill_null(0)).alias("__rank"),
            )
        )
        out = out.join(ranked, on="rid", how="left", maintain_order="left")
        over = pl.col("__rank") > pl.col("__q")  # null (no ceiling on the date, or not counted): not over
        out = out.with_columns(
            pl.coalesce("__q", "quota").alias("quota"),
            pl.coalesce("__rank", "quota_rank").alias("quota_rank"),
            pl.when(over).then(pl.lit("not_eligible")).otherwise(pl.col("status")).alias("status"),
            pl.when(over).then(pl.lit(0, dtype=pl.Int64)).otherwise(pl.col("amount_fen")).alias("amount_fen"),
        ).drop("__q", "__rank")
    return out


def _apply_selection_quotas(frame: pl.DataFrame, packs: tuple[Pack, ...], params: ParamSet) -> pl.DataFrame:
    """Selections of a measure with a ``selection_quota`` (措施（二）), judged over the whole run.

    Only the eligible selections count (``granted`` or ``amount_unset``: in the window, every condition met).
    1. Support period (``period``, years): an enterprise already selected is not selected again before the
       period of its earlier selection has run (a selection on 2026-07-15 covers up to 2028-07-14): the later
       selection is refused (``selection_repeat``), so one enterprise never holds two awards in one period.
    2. Yearly ceiling (``param``): the remaining selections are ranked by date, then enterprise and event order;
       an enterprise counts once a year, at its first selection. An enterprise ranked beyond the ceiling in force
       on 31 December of the year has its selections of that year refused (``selection_over``).
    A refused selection is ``not_eligible`` with 0, and so are its later tranches (same measure, same
    enterprise, same ``selection_id``). ``selection_rank``/``selection_quota`` keep the place and the ceiling.
    """
    out = frame.with_columns(
        pl.lit(None, dtype=pl.Int64).alias("selection_rank"),
        pl.lit(None, dtype=pl.Int64).alias("selection_quota"),
        pl.lit(False).alias("selection_over"),
        pl.lit(None, dtype=pl.String).alias("selection_repeat"),
    )
    for m in (m for pack in packs for m in pack.measures if m.selection_quota is not None):
        sq = m.selection_quota
        assert sq is not None
        eligible = out.filter(
            (pl.col("measure") == m.id)
            & (pl.col("kind") == sq.event)
            & pl.col("status").is_in(["granted", "amount_unset"])
            & pl.col("event_date").is_not_null()
        ).sort("eid", "event_date", "seq")
        if not eligible.height:
            continue
        repeats = _repeats(eligible, sq.period, params) if sq.period else {}
        repeat_rows = pl.DataFrame(
            {"rid": list(repeats), "__repeat": list(repeats.values())},
            schema={"rid": pl.UInt32, "__repeat": pl.String},
        )
        counted = (
            eligible.filter(~pl.col("rid").is_in(list(repeats)))
            .with_columns(pl.col("event_date").dt.year().cast(pl.Int32).alias("__year"))
            .sort("event_date", "eid", "seq")
        )
        firsts = (
            counted.group_by("__year", "eid", maintain_order=True)
            .agg(pl.col("rid").first())
            .with_columns(pl.int_range(1, pl.len() + 1).over("__year").cast(pl.Int64).alias("__rank"))
        )
        years = firsts.get_column("__year").unique().to_list()
        ceilings = pl.DataFrame(
            {"__year": years, "__quota": [_count(params.value(sq.param, date(y, 12, 31))) for y in years]},
            schema={"__year": pl.Int32, "__quota": pl.Int64},
        )
        ranked = (
            counted.select("rid", "eid", "label", "__year")
            .join(firsts.select("__year", "eid", "__rank"), on=["__year", "eid"], how="left")
            .join(ceilings, on="__year", how="left")
            .with_columns((pl.col("__rank") > pl.col("__quota")).fill_null(False).alias("__over"))
        )
        refused_keys = pl.concat(
            [
                ranked.filter(pl.col("__over")).select(
                    "eid", "label", pl.lit(None, dtype=pl.String).alias("__rep")
                ),
                eligible.join(repeat_rows, on="rid").select(
                    "eid", "label", pl.col("__repeat").alias("__rep")
                ),
            ]
        ).unique(subset=["eid", "label"], keep="first")
        out = out.join(
            ranked.select("rid", "__rank", "__quota"), on="rid", how="left", maintain_order="left"
        ).join(
            refused_keys.with_columns(pl.lit(True).alias("__linked")),
            on=["eid", "label"],
            how="left",
            maintain_order="left",
        )
        refused = (
            (pl.col("measure") == m.id)
            & pl.col("__linked").fill_null(False)
            & pl.col("status").is_in(["granted", "amount_unset", "needs_data"])
        )
        out = out.with_columns(
            pl.coalesce("__rank", "selection_rank").alias("selection_rank"),
            pl.coalesce("__quota", "selection_quota").alias("selection_quota"),
            (pl.col("selection_over") | (refused & pl.col("__rep").is_null())).alias("selection_over"),
            pl.when(refused)
            .then(pl.col("__rep"))
            .otherwise(pl.col("selection_repeat"))
            .alias("selection_repeat"),
            pl.when(refused).then(pl.lit("not_eligible")).otherwise(pl.col("status")).alias("status"),
            pl.when(refused)
            .then(pl.lit(0, dtype=pl.Int64))
            .otherwise(pl.col("amount_fen"))
            .alias("amount_fen"),
        ).drop("__rank", "__quota", "__linked", "__rep")
    return out


def _repeats(eligible: pl.DataFrame, period: str, params: ParamSet) -> dict[int, str]:
    """rid → the earlier selection (``<label> <date>``) whose support period the selection falls in.

    ``eligible`` is sorted by enterprise, date and event order. The period (years) is read on the earlier
    selection's date; without a value there, that selection does not block later ones. Another event of the
    same selection (same label) is the same award, not a repeat.
    """
    out: dict[int, str] = {}
    held: dict[int, tuple[str, date, date]] = {}  # eid → (label, date, last day of its period)
    for row in eligible.select("rid", "eid", "label", "event_date").iter_rows(named=True):
        eid, day, label = row["eid"], row["event_date"], row["label"]
        current = held.get(eid)
        if current is not None and label != current[0] and day <= current[2]:
            out[row["rid"]] = f"{current[0]}（{current[1]}）"
            continue
        if current is not None and label == current[0]:
            continue
        years = params.value(period, day)
        if years is not None:
            held[eid] = (label, day, anniversary(day, int(years)) - timedelta(days=1))
        else:
            held.pop(eid, None)
    return out


def _count(value: Any) -> int | None:
    return None if value is None else int(value)


def _split(frame: pl.DataFrame, params: ParamSet, unshared: Sequence[str] = ()) -> pl.DataFrame:
    """City and district shares on the event date: district rounded half-up, city the remainder (they add up).

    ``fiscal_share.<district>`` is the city's fraction; a district without a value on the date uses 1/2, and so
    does a share whose note says it is the default — the trace says so. When the enterprise's district is
    unknown, the split is known only if every district has the same share on that date; otherwise
    ``city_fen``/``district_fen`` stay null (unknown, never a made-up 1/2). So do they for the packs in
    ``unshared``, whose sharing rule is not known.
    """
    day = pl.col("event_date")
    district = pl.col("district")
    codes = [pid.removeprefix("fiscal_share.") for pid in params.params if pid.startswith("fiscal_share.")]
    # Only the districts of the rows need their branch (a row of another district gets 1/2 in both forms), unless
    # a row's district is unknown, which is judged on every district's share. One enterprise's run then
    # evaluates one branch instead of every district's.
    districts = frame.get_column("district")
    if not districts.null_count():
        present = set(districts.unique().to_list())
        codes = [code for code in codes if code in present]
    half_p, half_q = pl.lit(1, dtype=I128), pl.lit(2, dtype=I128)
    share_p: Any = pl
    share_q: Any = pl
    defaults: Any = pl
    shares: list[tuple[pl.Expr, pl.Expr]] = []
    default_flags: list[pl.Expr] = []
    for code in codes:
        pid = f"fiscal_share.{code}"
        p, q = params.fraction(pid, day)
        here = district == code
        share_p = share_p.when(here).then(p)
        share_q = share_q.when(here).then(q)
        shares.append((p.fill_null(half_p), q.fill_null(half_q)))
        # The shipped share is a placeholder (its note says 默认) until the bureau sets one by an approved change.
        placeholder = pid not in params.overrides and "默认" in params.params[pid].note
        default_flags.append((pl.lit(placeholder) & ~params.set_by_change(pid, day)) | p.is_null())
        defaults = defaults.when(here).then(default_flags[-1])
    if codes:
        p0, q0 = shares[0]
        uniform = pl.all_horizontal([p * q0 == p0 * q for p, q in shares])
        p_expr = share_p.otherwise(None).fill_null(half_p)
        q_expr = share_q.otherwise(None).fill_null(half_q)
        p_expr = pl.when(district.is_null()).then(pl.when(uniform).then(p0)).otherwise(p_expr)
        q_expr = pl.when(district.is_null()).then(pl.when(uniform).then(q0)).otherwise(q_expr)
        unknown_default = uniform & pl.any_horizontal(default_flags)
        default_used = pl.when(district.is_null()).then(unknown_default).otherwise(defaults.otherwise(True))
    else:  # no share is set for any district: 1/2 everywhere, so also for an unknown district
        p_expr, q_expr, default_used = half_p, half_q, pl.lit(True)
    amount = pl.col("amount_fen").cast(I128)
    district_fen = ((amount * (q_expr - p_expr) * 2 + q_expr) // (2 * q_expr)).cast(pl.Int64)
    if unshared:  # a pack whose sharing rule is not known: no parts, rather than a guessed split
        unknown = pl.col("pack").is_in(list(unshared)) & (pl.col("amount_fen") != 0)
        district_fen = pl.when(unknown).then(None).otherwise(district_fen)
    return frame.with_columns(district_fen.alias("district_fen")).with_columns(
        (pl.col("amount_fen") - pl.col("district_fen")).alias("city_fen"),
        default_used.alias("share_default"),
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
    tables = with_lifecycle(tables)
    events = prepare_events(tables)
    certs = certificate_rows(tables, events)
    lpr = lpr_frame()
    # A measure with no event of its kinds has no rows; not running it saves most of the cost of a run on one
    # enterprise (each measure costs milliseconds of planning whatever its number of rows).
    kinds = set(events.get_column("kind").drop_nulls().unique().to_list())
    parts: dict[str, pl.DataFrame] = {}
    for order, pack in enumerate(packs):
        for m in pack.measures:
            if not kinds.intersection(m.events):
                continue
            part = (
                _MeasureRun(pack, m, params, certs, lpr)
                .run(events)
                .with_columns(pl.lit(order).alias("pack_order"))
            )
            parts[m.id] = part.with_columns(_status().alias("status"))
    hist = history if history is not None else pl.DataFrame(schema=HISTORY_SCHEMA)
    if parts:
        unified = pl.concat([p.select(list(STANDARD_SCHEMA)) for p in parts.values()], how="vertical_relaxed")
    else:
        unified = pl.DataFrame(schema=STANDARD_SCHEMA)
    unified = unified.sort(["eid", "seq", "pack_order", "article"], maintain_order=True).with_row_index("rid")
    unified = _apply_pools(unified, hist)
    unified = _resolve_overlaps(unified, hist)
    unified = _apply_quotas(unified, hist, packs, params)
    unified = _apply_selection_quotas(unified, packs, params)
    unified = _split(unified, params, [p.id for p in packs if not p.cost_sharing])
    return Entitlements(unified, parts, packs, params, hist)
