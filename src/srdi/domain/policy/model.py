"""The policy vocabulary as immutable data: packs, measures, conditions, amounts, overlaps."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any

from srdi.domain.rules.parameters import Parameter

MEASURE_KINDS = ("money", "qualification", "target", "service")
CONDITION_KINDS = (
    "srdi_enterprise",
    "tier_valid",
    "holds_title",
    "first_of_tier",
    "field_in",
    "field_compare",
    "prior_year",
    "below_lpr",
    "figure_at_least",
    "has_title",
    "not_applicable",
    "missing_data",
)
AMOUNT_KINDS = ("fixed", "by_field", "rate_of_base", "ratio_of_field", "loan_interest")


@dataclass(frozen=True)
class Condition:
    id: str
    kind: str
    label: str
    reference: str
    field: str = ""
    param: str = ""
    op: str = ""
    only_for: str = ""
    tier: str = ""
    figure: str = ""
    year: str = ""
    date_field: str = ""


@dataclass(frozen=True)
class Amount:
    kind: str
    field: str = ""
    param: str = ""
    params: dict[str, str] = dc_field(default_factory=dict)
    base: str = ""
    switch_field: str = ""
    switch_param: str = ""
    rate_match: str = ""
    rate_other: str = ""
    cap_match: str = ""
    cap_other: str = ""
    principal: str = ""
    months: str = ""
    max_months: str = ""
    paid: str = ""

    def parameter_ids(self) -> list[str]:
        ids = [
            self.param,
            *self.params.values(),
            self.switch_param,
            self.rate_match,
            self.rate_other,
            self.cap_match,
            self.cap_other,
            self.max_months,
        ]
        return [i for i in ids if i]


@dataclass(frozen=True)
class Overlap:
    """Measures that pay for the same matter share a group; the matter is identified by these event fields."""

    group: str
    matter: tuple[str, ...]


@dataclass(frozen=True)
class AnnualCap:
    param: str
    date_field: str


@dataclass(frozen=True)
class Standing:
    """How a measure applies to an enterprise without an event (qualifications, unset amounts).

    ``conditions`` decide the status. ``parts`` are parts of the measure that apply to a narrower group (the
    小巨人 pre-IPO list inside 第16条, 市企业技术中心 inside 第5条): each is evaluated and reported, but does
    not decide the status. ``amount_params`` are the amount parameters (several when the measure pays by kind).
    """

    conditions: tuple[Condition, ...]
    outcome: str = "money"  # money | qualification
    amount_params: tuple[str, ...] = ()
    note: str = ""
    parts: tuple[Condition, ...] = ()

    @property
    def amount_param(self) -> str:
        """The first amount parameter ("" when there is none)."""
        return self.amount_params[0] if self.amount_params else ""


@dataclass(frozen=True)
class Measure:
    pack: str
    article: int
    title: str
    kinds: tuple[str, ...]
    summary: str
    who: str
    responsible: tuple[str, ...]
    reference: str
    amount_text: str = ""
    cap_text: str = ""
    events: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    amount: Amount | None = None
    overlap: Overlap | None = None
    annual_cap: AnnualCap | None = None
    standing: Standing | None = None
    annual_quota: str = ""  # a count parameter: city-wide ceiling of grants a year (checked by simulation)
    targets: str = ""
    guide: dict[str, Any] = dc_field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.pack}.{self.article}"

    @property
    def is_money(self) -> bool:
        return "money" in self.kinds


@dataclass(frozen=True)
class Pack:
    """A policy pack: its measures, parameters and the window of events it pays for."""

    id: str
    title: str
    document: str
    issued: date
    window_from: date
    window_to: date
    reference: str
    summary: str
    srdi_tiers: tuple[str, ...]
    srdi_label: str
    srdi_reference: str
    measures: tuple[Measure, ...]
    parameters: dict[str, Parameter]
    targets: dict[str, Any]
    source: str
    extra: dict[str, Any] = dc_field(default_factory=dict)

    def measure(self, article: int) -> Measure:
        for m in self.measures:
            if m.article == article:
                return m
        raise KeyError(f"{self.id} has no article {article}")

    def in_window(self, day: date) -> bool:
        return self.window_from <= day <= self.window_to
