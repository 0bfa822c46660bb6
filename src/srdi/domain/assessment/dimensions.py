"""The six-dimension profile 专/精/特/新/链/品 (81号 第2条), a grade, and the class for dynamic management.

Each dimension is an index 0–100 derived from the tier criteria (formulas in ``docs/rules.md``):

- 专 = 专精特新 专业化 points / 25 (main-business share, growth, niche years, chain field)
- 精 = 专精特新 精细化 points / 25 (digitalisation, quality, net margin, debt ratio)
- 特 = 40 × 特色化 points/15 + 40 × min(niche share / 10%, 1) + 20 × own brand
- 新 = 专精特新 创新能力 points / 35 (IP, R&D input, R&D staff, R&D institution)
- 链 = chain role: key-link breakthrough 100, 六基/chain supplier 60, none 0
- 品 = 70 × main product in a 小巨人 key field + 15 × own brand + 15 × provincial quality award

Every index is computed exactly in integers (the market share as the exact fraction of its measure columns)
and rounded half-up to a whole number. A dimension with unknown inputs has a range and no single value. The
grade is A (≥ 80), B (≥ 60), C (≥ 40) or D on the exact mean of the known dimensions (at least four known); the
mean is reported rounded half-up to one decimal. The class is the ladder position (highest valid title) plus
cohorts: ``eligible_next`` (meets the next tier now), ``seedling`` (not ``eligible_next``, and progress ≥ 75%)
and the 一企一策 flag for seedlings whose main product is in a key field or who carry key-link
(补短板/锻长板/填空白) tasks. Progress is the share of the next tier's enabled prerequisite and general checks,
plus ``score_ok`` for a scored tier, that are *known to pass*: an unknown check counts as not passed, and direct
routes are not counted (``docs/rules.md`` §7). Everything is computed column-wise.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from srdi.domain.rules import expr as ir
from srdi.domain.rules.compile import Compiled, compile_rulebook, den, num
from srdi.domain.rules.engine import UNOPTIMISED_ROWS, Assessment
from srdi.domain.rules.expr import stages_to_polars
from srdi.domain.rules.rulebook import load_library

LADDER = ("none", "innovative_sme", "srdi_sme", "hidden_champion", "little_giant")
NEXT_TIER = {
    "none": "innovative_sme",
    "innovative_sme": "srdi_sme",
    "srdi_sme": "little_giant",
    "hidden_champion": "little_giant",
    "little_giant": None,
}
DIMENSIONS = {"zhuan": "专", "jing": "精", "te": "特", "xin": "新", "lian": "链", "pin": "品"}
SEEDLING_SHARE = (3, 4)  # progress ≥ 3/4, compared exactly
KEY_FIELDS = ["six_foundations", "manufacturing_power_key_industry", "cyber_power"]
# Helper columns of the class stages (sub-results read more than once; not part of the profile).
_N_KNOWN, _TOTAL, _PASSED, _CHECKS = "profile:n_known", "profile:total", "class:passed", "class:checks"
YARDSTICK_PREFIX = "yardstick|"
_YARDSTICKS: dict[tuple[int, str], Compiled] = {}


I128 = ir.Int128


def _half_up(numerator: ir.Expr, denominator: ir.Expr | int) -> ir.Expr:
    """``numerator / denominator`` rounded half-up to an integer (both non-negative, denominator > 0)."""
    d = denominator if isinstance(denominator, ir.Expr) else ir.lit(denominator, dtype=I128)
    return ((numerator.cast(I128) * 2 + d) // (d * 2)).cast(ir.Int64)


def scaled(units: int | None, per_one: int) -> float | None:
    """A value kept as whole units of ``1/per_one`` (``profile:mean_x10``) as a number: 418 → 41.8."""
    return None if units is None else units / per_one


def yardstick(compiled: dict[str, Compiled]) -> Compiled | None:
    """The 专精特新 point table the profile is measured with.

    The rulebook in force when it has one (63号 附件2 to 2026-03-31). 2号 has no point table: the profile then
    keeps measuring with the last 专精特新 rulebook that has one, compiled as on its last day under its own
    column prefix. This is a yardstick for the profile (81号 第2条), never an eligibility criterion.
    """
    current = compiled.get("srdi_sme")
    if current is None or current.rulebook.score is not None:
        return current
    library = load_library()
    scored = [
        rb
        for rb in library.rulebooks
        if rb.tier == "srdi_sme"
        and rb.score is not None
        and rb.valid_to is not None
        and rb.valid_to < current.as_of
    ]
    if not scored:
        return None
    rb = max(scored, key=lambda b: b.valid_from)
    assert rb.valid_to is not None
    key = (id(library), rb.id)
    if key not in _YARDSTICKS:
        _YARDSTICKS[key] = compile_rulebook(rb, rb.valid_to, library.measures, prefix=YARDSTICK_PREFIX)
    return _YARDSTICKS[key]


def yardstick_stages(compiled: dict[str, Compiled]) -> list[list[ir.Expr]]:
    """The score columns of a yardstick that is not the rulebook in force (its checks are left out)."""
    stick = yardstick(compiled)
    if stick is None or stick is compiled.get("srdi_sme"):
        return []
    score_columns = ("/step:", "|pts", "|lo", "|hi")
    return [
        kept
        for stage in stick.stages
        if (kept := [e for e in stage if any(m in e.output_name for m in score_columns)])
    ]


def _group_index(compiled: dict[str, Compiled], group: str, maximum: int) -> tuple[ir.Expr, ir.Expr]:
    stick = yardstick(compiled)
    if (
        stick is None
        or stick.rulebook.score is None
        or group not in {g.id for g in stick.rulebook.score.groups}
    ):
        return ir.lit(None, dtype=ir.Int64), ir.lit(None, dtype=ir.Int64)
    return (
        _half_up(ir.col(stick.col(f"group:{group}|lo")) * 100, maximum),
        _half_up(ir.col(stick.col(f"group:{group}|hi")) * 100, maximum),
    )


def _bool_range(expr: ir.Expr, weight: int) -> tuple[ir.Expr, ir.Expr]:
    return expr.fill_null(False).cast(ir.Int64) * weight, expr.fill_null(True).cast(ir.Int64) * weight


def _te(featured_max: int = 15) -> tuple[ir.Expr, ir.Expr]:
    """特 = 40 × featured/15 + 40 × min(share / 10%, 1) + 20 × own brand, exactly, as (lo, hi).

    The share is the exact fraction ``sn/sd`` of the ``niche_market_share`` measure, so with the common
    denominator ``15 × sd``: ``(40·f·sd + 600·min(10·sn, sd) + 300·b·sd) / (15·sd)``.
    """
    sn, sd = ir.col(num("niche_market_share")), ir.col(den("niche_market_share"))
    capped = ir.min_horizontal(ir.max_horizontal(sn, ir.lit(0, dtype=I128)) * 10, sd)  # 10·share ≤ 1, in sd
    featured = ir.col("zj_featured_points").cast(I128)
    brand = ir.col("q_own_brand").cast(I128)

    def bound(f: ir.Expr, share: ir.Expr, b: ir.Expr) -> ir.Expr:
        return _half_up(40 * f * sd + 600 * share + 300 * b * sd, sd * featured_max)

    return (
        bound(featured.fill_null(0), capped.fill_null(0), brand.fill_null(0)),
        bound(
            featured.fill_null(featured_max),
            ir.when(sn.is_null()).then(sd).otherwise(capped),
            brand.fill_null(1),
        ),
    )


def dimension_columns(compiled: dict[str, Compiled]) -> list[ir.Expr]:
    """Column expressions: ``dim:<d>|lo``/``|hi`` for each dimension (integers 0–100)."""
    out = []
    specs: dict[str, tuple[ir.Expr, ir.Expr]] = {
        "zhuan": _group_index(compiled, "specialisation", 25),
        "jing": _group_index(compiled, "refinement", 25),
        "xin": _group_index(compiled, "innovation", 35),
        "te": _te(),
    }
    chain = ir.col("mp_chain_role").replace_strict(
        {"key_link_breakthrough": 100, "six_foundations_or_chain_supplier": 60, "none": 0},
        default=None,
        return_dtype=ir.Int64,
    )
    specs["lian"] = (chain.fill_null(0), chain.fill_null(100))
    field = ir.col("mp_pin_field").is_in(KEY_FIELDS)
    f_lo, f_hi = _bool_range(field, 70)
    b_lo, b_hi = _bool_range(ir.col("q_own_brand"), 15)
    q_lo, q_hi = _bool_range(ir.col("q_provincial_quality_award"), 15)
    specs["pin"] = (f_lo + b_lo + q_lo, f_hi + b_hi + q_hi)
    for d, (lo, hi) in specs.items():
        out += [lo.cast(ir.Int64).alias(f"dim:{d}|lo"), hi.cast(ir.Int64).alias(f"dim:{d}|hi")]
    return out


def _ladder_expr() -> ir.Expr:
    expr: ir.Expr = ir.when(ir.col("certifications_known")).then(ir.lit("none")).otherwise(ir.lit(None))
    for tier in LADDER[1:]:
        expr = ir.when(ir.col(f"cert_valid_{tier}").fill_null(False)).then(ir.lit(tier)).otherwise(expr)
    return expr


def _progress(compiled: dict[str, Compiled], tier: str) -> tuple[ir.Expr, int]:
    """(checks known to pass, how many checks): the tier's enabled prerequisite and general checks, plus
    ``score_ok`` for a scored tier. An unknown check counts as not passed; direct routes are not counted."""
    if tier not in compiled:
        return ir.lit(None, dtype=ir.Int64), 0
    c = compiled[tier]
    cols = [c.col(ch.id) for ch in (*c.rulebook.prerequisites, *c.rulebook.general) if ch.id in c.checks]
    if c.rulebook.score is not None:
        cols.append(c.col("score_ok"))
    passed = ir.sum_horizontal([ir.col(x).fill_null(False).cast(ir.Int64) for x in cols])
    return passed, len(cols)


_STAGES: dict[tuple[int, ...], tuple[dict[str, Compiled], list[list[ir.Expr]]]] = {}


def dimension_stages(compiled: dict[str, Compiled]) -> list[list[ir.Expr]]:
    """Stages of column expressions: the dimensions and ladder, their shared sums, then grade, class and cohorts.

    Built once per set of compiled rulebooks (they are cached by the engine), so that assessing one
    enterprise does not pay for building the expressions again.
    """
    key = tuple(id(c) for c in compiled.values())  # the cache holds the objects, so their ids stay theirs
    found = _STAGES.get(key)
    if found is None:
        if len(_STAGES) > 64:
            _STAGES.clear()
        found = _STAGES[key] = (dict(compiled), _dimension_stages(compiled))
    return found[1]


def _dimension_stages(compiled: dict[str, Compiled]) -> list[list[ir.Expr]]:
    # Sub-results used more than once (known dimensions, next-tier progress) are columns of their own: the
    # small-batch query runs without common-subexpression elimination, so a repeated expression is evaluated
    # again wherever it appears.
    stick = yardstick_stages(compiled)
    first = [*dimension_columns(compiled), _ladder_expr().alias("class:ladder")]
    known = [
        ir.when(ir.col(f"dim:{d}|lo") == ir.col(f"dim:{d}|hi")).then(ir.col(f"dim:{d}|lo"))
        for d in DIMENSIONS
    ]
    ladder = ir.col("class:ladder")
    passed: Any = ir
    checks: Any = ir
    eligible_next: Any = ir
    any_branch = False
    for current, nxt in NEXT_TIER.items():
        if nxt is None or nxt not in compiled:
            continue
        met, count = _progress(compiled, nxt)
        passed = passed.when(ladder == current).then(met)
        checks = checks.when(ladder == current).then(ir.lit(count, dtype=ir.Int64))
        eligible_next = eligible_next.when(ladder == current).then(ir.col(f"{nxt}|eligible").fill_null(False))
        any_branch = True
    passed = passed.otherwise(None) if any_branch else ir.lit(None, dtype=ir.Int64)
    checks = checks.otherwise(None) if any_branch else ir.lit(None, dtype=ir.Int64)
    eligible_next = eligible_next.otherwise(False) if any_branch else ir.lit(False)
    second = [
        ir.sum_horizontal([k.is_not_null().cast(ir.Int64) for k in known]).alias(_N_KNOWN),
        ir.sum_horizontal(known).alias(_TOTAL),  # nulls skipped
        ladder.replace_strict(NEXT_TIER, default=None, return_dtype=ir.String).alias("class:next_tier"),
        passed.cast(ir.Int64).alias(_PASSED),
        checks.cast(ir.Int64).alias(_CHECKS),
        eligible_next.alias("class:eligible_next"),
    ]
    n_known, total = ir.col(_N_KNOWN), ir.col(_TOTAL)
    passed, checks, eligible_next = ir.col(_PASSED), ir.col(_CHECKS), ir.col("class:eligible_next")
    # Grade on the exact mean (total / n ≥ t ⇔ total ≥ t·n); the mean is shown half-up to one decimal.
    # Kept as whole tenths: the division happens in Python (``scaled``), because a Polars float division
    # by a constant may be done as a multiplication (41.800000000000004) depending on the batch.
    mean = ir.when(n_known > 0).then(_half_up(total * 10, n_known.cast(I128)).cast(ir.Int64))
    grade = (
        ir.when(n_known < 4)
        .then(ir.lit(None, dtype=ir.String))
        .when(total >= 80 * n_known)
        .then(ir.lit("A"))
        .when(total >= 60 * n_known)
        .then(ir.lit("B"))
        .when(total >= 40 * n_known)
        .then(ir.lit("C"))
        .otherwise(ir.lit("D"))
    )
    # progress = passed / checks, shown half-up to three decimals; seedling when passed / checks ≥ 3/4.
    progress = ir.when(checks > 0).then(_half_up(passed * 1000, checks.cast(I128)).cast(ir.Int64))
    share_num, share_den = SEEDLING_SHARE
    seedling = (~eligible_next) & (passed * share_den >= checks * share_num).fill_null(False)
    key_work = ir.col("mp_pin_field").is_in(KEY_FIELDS).fill_null(False) | (
        ir.col("mp_chain_role") == "key_link_breakthrough"
    ).fill_null(False)
    lg_track = ir.col("class:next_tier").eq("little_giant").fill_null(False)
    third = [
        mean.alias("profile:mean_x10"),
        grade.alias("profile:grade"),
        progress.alias("class:progress_x1000"),
        seedling.alias("class:seedling"),
    ]
    fourth = [(ir.col("class:seedling") & lg_track & key_work).alias("class:one_firm_one_policy")]
    return [*stick, first, second, third, fourth]


PROFILE_COLUMNS = [
    *[f"dim:{d}|{b}" for d in DIMENSIONS for b in ("lo", "hi")],
    "class:ladder",
    "profile:mean_x10",
    "profile:grade",
    "class:next_tier",
    "class:progress_x1000",
    "class:eligible_next",
    "class:seedling",
    "class:one_firm_one_policy",
]


def dimension_frame(a: Assessment) -> pl.DataFrame:
    """The assessment frame with every dimension, grade and class column (computed now if not yet there)."""
    if "profile:grade" in a.frame.columns:
        return a.frame
    frame = a.frame
    for stage in stages_to_polars(dimension_stages(a.compiled)):
        frame = frame.with_columns(stage)
    return frame


def dimension_profiles(a: Assessment) -> dict[int, dict[str, Any]]:
    """Row index → the profile record (dimensions, grade, class) for the contract output."""
    small = a.backend == "scalar" or a.height <= UNOPTIMISED_ROWS
    if small and a.height and "profile:grade" in a.row(0):
        rows: Any = (a.row(i) for i in range(a.height))  # already computed, no frame needed
    else:
        rows = dimension_frame(a).iter_rows(named=True)
    out = {}
    for i, row in enumerate(rows):
        dims: dict[str, dict[str, Any]] = {}
        for d, label in DIMENSIONS.items():
            lo, hi = row[f"dim:{d}|lo"], row[f"dim:{d}|hi"]
            if lo is None or hi is None:  # not derivable under the rulebook in force (2号 has no point table)
                dims[d] = {"label": label, "value": None, "note": "本期规则库无对应评分，不计算"}
                continue
            dims[d] = {
                "label": label,
                "value": int(lo) if lo == hi else None,
                **({"range": [int(lo), int(hi)]} if lo != hi else {}),
            }
        cohorts = [
            name
            for name, flag in (
                ("eligible_next", row["class:eligible_next"]),
                ("seedling", row["class:seedling"]),
            )
            if flag
        ]
        out[i] = {
            "dimensions": dims,
            "mean": scaled(row["profile:mean_x10"], 10),
            "grade": row["profile:grade"],
            "class": {
                "ladder": row["class:ladder"],
                "next_tier": row["class:next_tier"],
                "next_tier_progress": scaled(row["class:progress_x1000"], 1000),
                "cohorts": cohorts,
                "one_firm_one_policy": bool(row["class:one_firm_one_policy"]),
            },
        }
    return out
