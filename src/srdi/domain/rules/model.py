"""The rule vocabulary as immutable data: tests, checks, indicators, score sections and rulebooks.

A ``Test`` is a tree of leaves (``compare``: a measure against a parameter; ``fact_is``: a boolean fact;
``fact_in``: a categorical fact in a listed set) joined by ``all``/``any``. A ``Check`` names a test with its
label and reference; an ``Indicator`` turns a measure or fact into points. These are read from YAML by
``srdi.domain.rules.rulebook`` and compiled to Polars by ``srdi.domain.rules.compile``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from srdi.domain.rules.parameters import Parameter

# Comparison operators of conditions. They never move: ge/le are ≥/≤ (以上/以下/不低于/不超过 include the number,
# 民法典 第1259条), gt/lt are strict (超过/低于/不足). at_least/at_most are older spellings of ge/le.
OPERATORS = {
    "ge": "≥",
    "le": "≤",
    "gt": ">",
    "lt": "<",
    "at_least": "≥",
    "at_most": "≤",
}
# Only the boundaries of scoring band tables (“5%以上 … 3%-5%”) follow band_boundaries_inclusive: when it is
# false a band's min/max becomes strict.
SWITCHABLE = {"ge": "gt", "le": "lt"}


@dataclass(frozen=True)
class Test:
    """A condition tree node."""

    kind: str  # compare | fact_is | fact_in | all | any
    measure: str = ""
    op: str = ""
    param: str = ""
    fact: str = ""
    value: bool | None = None
    children: tuple[Test, ...] = ()
    enabled_by: str = ""

    def leaves(self) -> list[Test]:
        if self.kind in ("all", "any"):
            return [leaf for c in self.children for leaf in c.leaves()]
        return [self]


PURPOSES = ("application", "review")  # 认定申报 / 复核
PURPOSE_LABELS = {"application": "认定申报", "review": "复核"}


@dataclass(frozen=True)
class Check:
    """A named condition in a section of a rulebook; ``purposes`` says whether it applies to new applications,
    to reviews (复核) or to both."""

    id: str
    label: str
    reference: str
    section: str  # prerequisite | general | direct | manual
    test: Test | None = None
    enabled_by: str = ""
    dimension: str = ""
    note: str = ""
    purposes: tuple[str, ...] = PURPOSES
    parameters: tuple[str, ...] = ()  # a manual check's parameters (what the reviewer checks against)

    def applies_to(self, purpose: str) -> bool:
        return purpose in self.purposes


@dataclass(frozen=True)
class Cohort:
    """Enterprises that held a title recognised within a date range (e.g. the 2023 小巨人 cohort)."""

    tier: str
    recognized_from: date
    recognized_to: date


@dataclass(frozen=True)
class Transition:
    """A dated entry that keeps a rulebook in force beyond its own validity: for some purposes and, with a
    ``cohort``, only for the enterprises of that cohort (e.g. 63号 for the 2026 review of the 2023 小巨人)."""

    start: date
    end: date | None
    reference: str
    status: str = "official"
    purposes: tuple[str, ...] = PURPOSES
    cohort: Cohort | None = None
    note: str = ""

    def covers(self, day: date, purpose: str) -> bool:
        return self.start <= day and (self.end is None or day <= self.end) and purpose in self.purposes


@dataclass(frozen=True)
class Band:
    """One band source: a measure and the parameter holding its band table."""

    measure: str
    param: str


@dataclass(frozen=True)
class LadderStep:
    key: str
    label: str
    test: Test


@dataclass(frozen=True)
class Indicator:
    """A scored indicator. Exactly one of the kind-specific fields is set, named by ``kind``."""

    id: str
    label: str
    group: str
    reference: str
    max_points: int
    kind: str  # bands | ladder | map | per_item | step | input | best_of
    bands: tuple[Band, ...] = ()
    ladder_param: str = ""
    ladder_steps: tuple[LadderStep, ...] = ()
    ladder_otherwise: str = ""
    fact: str = ""
    param: str = ""
    facts: tuple[str, ...] = ()
    measure: str = ""
    step_param: str = ""
    cap_param: str = ""
    max_param: str = ""
    dimension: str = ""


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    max: int
    min_param: str = ""


@dataclass(frozen=True)
class Score:
    total_min_param: str
    groups: tuple[Group, ...]
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class Measure:
    """A derived quantity: ``value`` | ``ratio`` | ``growth`` | ``mean_growth`` | ``mean`` | ``sum`` | ``cagr``.

    A ``cagr`` (compound annual growth over ``years``) is kept as the growth factor last/first; a threshold t
    is compared as factor ≥ (1 + t)^years, exactly."""

    id: str
    label: str
    unit: str
    kind: str
    inputs: tuple[str, ...]
    lower_bound_flag: str = ""
    years: int = 0


@dataclass(frozen=True)
class Rulebook:
    """One tier's criteria in force for a date range."""

    id: str
    tier: str
    title: str
    document: str
    valid_from: date
    valid_to: date | None
    summary: str
    source: str
    parameters: dict[str, Parameter]
    prerequisites: tuple[Check, ...] = ()
    score: Score | None = None
    general: tuple[Check, ...] = ()
    direct: tuple[Check, ...] = ()
    manual: tuple[Check, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)
    transitions: tuple[Transition, ...] = ()

    def in_force(self, day: date, purpose: str = "application") -> bool:
        """In force for everyone on ``day``: its own validity, or a transition entry without a cohort."""
        return self.valid_on(day) or self.transition_on(day, purpose) is not None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def transition_on(self, day: date, purpose: str) -> Transition | None:
        """The transition entry (without a cohort) that keeps the rulebook in force on ``day``, if any."""
        if self.valid_on(day):
            return None
        return next((t for t in self.transitions if t.cohort is None and t.covers(day, purpose)), None)

    def cohort_routes(self, day: date, purpose: str) -> list[Transition]:
        return [t for t in self.transitions if t.cohort is not None and t.covers(day, purpose)]

    def last_day(self) -> date | None:
        """The last day the rulebook can be in force (its validity or a transition; None: open-ended)."""
        ends = [self.valid_to, *(t.end for t in self.transitions)]
        return None if any(e is None for e in ends) else max(e for e in ends if e is not None)

    @property
    def checks(self) -> tuple[Check, ...]:
        return self.prerequisites + self.general + self.direct

    @property
    def has_routes(self) -> bool:
        return self.score is not None or bool(self.general) or bool(self.direct)

    def facts_used(self) -> set[str]:
        """Every fact a test, ladder step or indicator of this rulebook reads."""
        tests = [c.test for c in self.checks if c.test is not None]
        out: set[str] = set()
        if self.score is not None:
            for ind in self.score.indicators:
                tests += [s.test for s in ind.ladder_steps]
                out.update(f for f in (ind.fact, *ind.facts) if f)
        for t in tests:
            out.update(leaf.fact for leaf in t.leaves() if leaf.fact)
        return out
