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
    "holds_tier",
    "first_of_tier",
    "field_in",
    "field_compare",
    "prior_year",
    "below_lpr",
    "figure_at_least",
    "has_title",
    "field_true",
    "not_applicable",
    "missing_data",
)
AMOUNT_KINDS = ("fixed", "by_field", "rate_of_base", "ratio_of_field", "loan_interest", "tranche")


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
    # ``tranche``: ``param`` is the whole amount; events of kind ``first`` get ``param × share`` (rounded
    # half-up), every other event kind of the measure the rest (``param`` − the first tranche).
    share: str = ""
    first: str = ""

    def parameter_ids(self) -> list[str]:
        ids = [
            self.param,
            self.share,
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
class SelectionQuota:
    """At most ``param`` enterprises selected per calendar year (措施（二）: 每年不超过100家), counted over the run.

    Events of kind ``event`` are the selections; the measure's other events (the later tranches) follow the
    selection with the same key (``selection_id``) of the same enterprise. With ``period`` (2年内给予每家企业最高
    50万元), an enterprise is not selected again before the support period of its earlier selection has run.
    """

    param: str
    event: str
    period: str = ""  # a years parameter: an enterprise is not selected again within its support period


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
    selection_quota: SelectionQuota | None = None
    targets: str = ""
    guide: dict[str, Any] = dc_field(default_factory=dict)
    label: str = ""  # the measure's short name within its pack: 第9条 (81号), 措施（二） (若干措施)

    @property
    def id(self) -> str:
        return f"{self.pack}.{self.article}"

    @property
    def is_money(self) -> bool:
        return "money" in self.kinds


@dataclass(frozen=True)
class Unknown:
    """Something a pack's text has that the sources at hand do not give (a later measure, a clause, a value)."""

    item: str
    note: str
    reference: str = ""


@dataclass(frozen=True)
class Pack:
    """A policy pack: its measures, parameters and the window of events it pays for.

    The window is two fixed dates, or — while the text's dates are not known — two ``date`` parameters
    (``window_params``): ``window_from``/``window_to`` are then None, and ``ParamSet.window(pack)`` gives the
    dates of a run (None while unset, so the engine says ``window_unset``).
    """

    id: str
    title: str
    document: str
    issued: date
    window_from: date | None
    window_to: date | None
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
    window_params: tuple[str, str] = ("", "")
    citation: str = ""  # how the product cites the document (``81号``, ``若干措施``)
    document_known: bool = True  # False: the document number was not found (``document`` says so)
    source_status: str = "official"  # how the text was read (srdi.domain.rules.parameters.STATUSES)
    sources: tuple[str, ...] = ()
    unknown: tuple[Unknown, ...] = ()
    # How the city and the districts share a payment: the reference of the sharing rule, or "" when the pack's
    # text on it was not found — its payments then have no city/district parts (null), never a guessed split.
    cost_sharing: str = "按现行财政体制由市与区、县（市）分担"

    def measure(self, article: int) -> Measure:
        for m in self.measures:
            if m.article == article:
                return m
        raise KeyError(f"{self.id} has no article {article}")

    def in_window(self, day: date, window: tuple[date | None, date | None] | None = None) -> bool | None:
        """Whether ``day`` is in the window (``window`` as resolved for a run; the fixed dates by default).

        None when an unset end of the window decides it. Whatever the window turns out to be, it does not start
        before the document was adopted (``issued``): an earlier day is outside it even while ``from`` is unset.
        """
        start, end = window if window is not None else (self.window_from, self.window_to)
        if start is not None and day < start:
            return False
        if start is None and day < self.issued:
            return False
        if end is not None and day > end:
            return False
        if start is None or end is None:
            return None
        return True

    @property
    def window_by_parameters(self) -> bool:
        return bool(self.window_params[0] or self.window_params[1])
