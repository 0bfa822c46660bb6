"""The exchange format v1.1: enterprise profiles and events, as typed, strict Pydantic models.

Use ``parse_profile`` to validate one record (unknown fields are errors, absent or null means unknown), and
``profile_to_json`` to write one back. ``describe_errors`` turns validation errors into Chinese messages that
name the field, the offending value and the reason. The field names are the contract's
(../shared/contracts/README.md) and are reused by the spreadsheet import template.

Version 1.1 only adds optional fields (the rules in force since 2026): ``platform_scores``, ``ip_items``,
``main_product.revenue_share`` / ``key_chain_field``, ``group_has_little_giant``, ``data_updates``, ``sanctions``,
the certification tier ``tech_sme`` and the 措施（二） events of the successor city policy. A v1 record is a valid
1.1 record and means the same.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from srdi.domain.digits import is_digits
from srdi.domain.money import MAX_COUNT, MAX_FEN
from srdi.domain.reference import district_codes
from srdi.domain.size_class import INDUSTRY_CODE
from srdi.domain.text import text_problem
from srdi.domain.uscc import check_uscc

FORMAT_VERSION = "1.1"
FORMATS = ("1", "1.0", "1.1")  # what a document's "format" may say
Day = date  # alias: several models have a field named ``date``


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("应为数值，不能是 true/false")
    return value


def _no_float_money(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("应为整数（分），不能是 true/false")
    if isinstance(value, str):
        raise ValueError("应为整数（分），不能写成文本")
    if not isinstance(value, int):
        raise ValueError("应为整数（分），不能有小数")
    return value


# JSON numbers and booleans are taken as they are typed: "400", 400.0 or "yes" are errors, not coerced
# (the spreadsheet import converts its cells to these types first, with its own messages).
# Sizes are bounded by ``srdi.domain.money.MAX_FEN``/``MAX_COUNT`` so every value fits its 64-bit column.
Int = Annotated[int, BeforeValidator(_no_bool), Strict(), Field(ge=-MAX_COUNT, le=MAX_COUNT)]
Fen = Annotated[int, BeforeValidator(_no_float_money), Strict(), Field(ge=-MAX_FEN, le=MAX_FEN)]
NonNegFen = Annotated[int, BeforeValidator(_no_float_money), Strict(), Field(ge=0, le=MAX_FEN)]
Count = Annotated[int, BeforeValidator(_no_bool), Strict(), Field(ge=0, le=MAX_COUNT)]
Flag = Annotated[bool, Strict()]
Ratio = Annotated[
    Decimal, BeforeValidator(_no_bool), Field(ge=0, allow_inf_nan=False, max_digits=18, decimal_places=9)
]

Tier = Literal["innovative_sme", "srdi_sme", "hidden_champion", "little_giant"]
# A certification may also be a 科技型中小企业 registration (v1.1): a tier-1 title under 2号 第三十条.
CertTier = Literal["innovative_sme", "srdi_sme", "hidden_champion", "little_giant", "tech_sme"]
KeyChainField = Literal[
    "core_basic_parts",
    "core_basic_components",
    "key_software",
    "advanced_basic_process",
    "key_basic_materials",
    "industrial_tech_base",
    "traditional_upgrade",
    "emerging_industry",
    "future_industry",
    "none",
]
# 2号 附件3: Ⅰ类知识产权 are the first seven kinds; the others are listed so that an inventory can be complete.
CLASS1_IP_KINDS = (
    "invention_patent",
    "defense_patent",
    "plant_variety",
    "national_crop_variety",
    "national_new_drug",
    "tcm_protected_grade1",
    "ic_layout",
)
IpKind = Literal[
    "invention_patent",
    "defense_patent",
    "plant_variety",
    "national_crop_variety",
    "national_new_drug",
    "tcm_protected_grade1",
    "ic_layout",
    "utility_model",
    "design",
    "software_copyright",
    "other",
]
SanctionKind = Literal["data_fraud"]
Score = Annotated[
    Decimal,
    BeforeValidator(_no_bool),
    Field(ge=0, le=100, allow_inf_nan=False, max_digits=12, decimal_places=6),
]
Ecosystem = Literal["smart_iot", "biomedicine", "high_end_equipment", "new_materials", "green_energy"]
ChainRole = Literal["key_link_breakthrough", "six_foundations_or_chain_supplier", "none"]
PinField = Literal["six_foundations", "manufacturing_power_key_industry", "cyber_power", "none"]
RdLevel = Literal["national", "provincial", "municipal", "below_municipal", "none"]
TitleKind = Literal[
    "high_tech_enterprise", "tech_innovation_demo", "ip_advantage", "ip_demo", "single_champion"
]
RenovationIndustry = Literal[
    "next_gen_it",
    "high_end_equipment",
    "biomedicine",
    "integrated_circuit",
    "new_energy",
    "new_materials",
    "other",
]


def _one_line(value: str) -> str:
    problem = text_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _multi_line(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


# Every text field refuses NUL, C0 controls, DEL and bidi overrides (``domain.text``); only MultiLineText may
# hold tabs and line breaks. (A typed validator, not a model-wide one: it runs for text fields only.)
Text = Annotated[str, AfterValidator(_one_line)]
MultiLineText = Annotated[str, AfterValidator(_multi_line)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Financials(_Strict):
    """One calendar year's figures; money in fen."""

    operating_revenue_fen: NonNegFen | None = None
    main_business_revenue_fen: NonNegFen | None = None
    rd_expense_fen: NonNegFen | None = None
    net_profit_fen: Fen | None = None
    total_assets_fen: NonNegFen | None = None
    total_liabilities_fen: NonNegFen | None = None
    employees: Count | None = None
    rd_staff: Count | None = None


class IP(_Strict):
    """Valid IP related to the main product."""

    class1: Count | None = None
    class1_self_developed: Count | None = None
    class1_high_value: Count | None = None
    class2: Count | None = None
    invention_patents: Count | None = None


class MainProduct(_Strict):
    """Facts about the main product (主导产品)."""

    strategic_emerging: Flag | None = None
    chain_role: ChainRole | None = None
    pin_field: PinField | None = None
    products_count: Count | None = None
    niche_market_share: Ratio | None = None
    national_rank: Annotated[Int, Field(ge=1)] | None = None
    global_rank: Annotated[Int, Field(ge=1)] | None = None
    revenue_share: Ratio | None = None  # v1.1: main products' share of last year's operating revenue
    key_chain_field: KeyChainField | None = None  # v1.1: 2号 小巨人 field (a reviewer's judgement)

    @field_validator("niche_market_share", "revenue_share")
    @classmethod
    def _share_at_most_one(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v > 1:
            raise ValueError("占比是0–1之间的比例（如 0.12 表示 12%）")
        return v


class Quality(_Strict):
    """Quality-management items (精细化 indicator 6)."""

    provincial_quality_award: Flag | None = None
    qms_certified: Flag | None = None
    own_brand: Flag | None = None
    drafted_standards: Flag | None = None


class Title(_Strict):
    """A title such as 高新技术企业 and its validity."""

    kind: TitleKind
    valid_from: Day | None = None
    valid_to: Day | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Title:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to 早于 valid_from")
        return self


class Award(_Strict):
    """A science & technology (or other) award."""

    level: Text | None = None
    kind: Text | None = None
    rank: Annotated[Int, Field(ge=1)] | None = None
    date: Day | None = None


class Contest(_Strict):
    """A contest result such as 创客中国 national top 500."""

    kind: Text | None = None
    group: Text | None = None
    date: Day | None = None


class EquityFinancing(_Strict):
    """New equity financing (paid-in)."""

    date: Day | None = None
    amount_fen: NonNegFen | None = None
    qualified_investor: Flag | None = None


class Compliance(_Strict):
    """Good-standing flags (true means the problem exists)."""

    major_accident_3y: Flag | None = None
    dishonest: Flag | None = None
    abnormal_operation: Flag | None = None
    restricted_products: Flag | None = None
    bank_rating_ok: Flag | None = None


class Certification(_Strict):
    """A tier title (or a 科技型中小企业 registration): recognised on, expires on (3 years by default), revoked on."""

    tier: CertTier
    recognized_on: Day | None = None
    expires_on: Day | None = None
    revoked_on: Day | None = None
    batch: Text | None = None
    source_document: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Certification:
        if self.recognized_on and self.expires_on and self.expires_on < self.recognized_on:
            raise ValueError("expires_on 早于 recognized_on")
        return self


class IpItem(_Strict):
    """One item of IP related to the main product (v1.1). Under 2号 it counts only if valid on the date, not
    transferred in, held at rank ≤ 3 and applied with economic benefit."""

    kind: IpKind
    granted_on: Day | None = None
    expires_on: Day | None = None
    transferred_in: Flag | None = None
    holder_rank: Annotated[Int, Field(ge=1)] | None = None
    applied_with_benefit: Flag | None = None

    @model_validator(mode="after")
    def _ordered(self) -> IpItem:
        if self.granted_on and self.expires_on and self.expires_on < self.granted_on:
            raise ValueError("expires_on 早于 granted_on")
        return self


class DataUpdate(_Strict):
    """The annual update of the enterprise's data on the cultivation platform (v1.1)."""

    year: Annotated[Int, Field(ge=2000, le=2200)]
    updated_on: Day | None = None


class Sanction(_Strict):
    """A sanction such as data fraud (数据造假), from its date (v1.1)."""

    kind: SanctionKind
    date: Day | None = None


# ---- events -------------------------------------------------------------------------------------------


class RecognitionEvent(_Strict):
    kind: Literal["recognition"]
    tier: Tier | None = None
    date: Day | None = None


class RelocationEvent(_Strict):
    kind: Literal["relocation_in"]
    tier: Tier | None = None
    date: Day | None = None


class TechRenovationEvent(_Strict):
    kind: Literal["tech_renovation"]
    project_id: Text | None = None
    date: Day | None = None
    industry: RenovationIndustry | None = None
    total_investment_fen: NonNegFen | None = None
    eligible_investment_since_2023_fen: NonNegFen | None = None


class DigitalTransformationEvent(_Strict):
    kind: Literal["digital_transformation"]
    project_id: Text | None = None
    date: Day | None = None
    eligible_investment_fen: NonNegFen | None = None


class LoanEvent(_Strict):
    kind: Literal["loan"]
    loan_id: Text | None = None
    contract_date: Day | None = None
    principal_fen: NonNegFen | None = None
    annual_rate: Ratio | None = None
    term_months: Annotated[Int, Field(ge=1, le=600)] | None = None
    interest_paid_fen: NonNegFen | None = None
    guarantee_fee_rate: Ratio | None = None


class BrandListingEvent(_Strict):
    kind: Literal["brand_listing"]
    list: Text | None = None
    year: Annotated[Int, Field(ge=1900, le=2200)] | None = None
    date: Day | None = None


class SceneAwardEvent(_Strict):
    kind: Literal["scene_award"]
    scene_id: Text | None = None
    date: Day | None = None


class TechTransactionEvent(_Strict):
    kind: Literal["tech_transaction"]
    year: Annotated[Int, Field(ge=1900, le=2200)] | None = None
    amount_fen: NonNegFen | None = None
    date: Day | None = None


class GrowthSupportSelectionEvent(_Strict):
    """Selected for the successor policy's 措施（二） growth support (v1.1)."""

    kind: Literal["growth_support_selection"]
    selection_id: Text | None = None
    date: Day | None = None


class GrowthSupportEvaluationEvent(_Strict):
    """The evaluation at the end of a 措施（二） support period (v1.1)."""

    kind: Literal["growth_support_evaluation"]
    selection_id: Text | None = None
    date: Day | None = None
    passed: Flag | None = None


Event = Annotated[
    RecognitionEvent
    | RelocationEvent
    | TechRenovationEvent
    | DigitalTransformationEvent
    | LoanEvent
    | BrandListingEvent
    | SceneAwardEvent
    | TechTransactionEvent
    | GrowthSupportSelectionEvent
    | GrowthSupportEvaluationEvent,
    Field(discriminator="kind"),
]

EVENT_KINDS = (
    "recognition",
    "relocation_in",
    "tech_renovation",
    "digital_transformation",
    "loan",
    "brand_listing",
    "scene_award",
    "tech_transaction",
    "growth_support_selection",
    "growth_support_evaluation",
)


class Profile(_Strict):
    """One enterprise in the exchange format v1."""

    uscc: Text
    uscc_override_reason: MultiLineText | None = None
    name: Text | None = None
    district: Text | None = None
    industry_code: Text | None = None
    founded_on: Day | None = None
    registered_in_zhejiang: Flag | None = None
    niche_since_year: Annotated[Int, Field(ge=1800, le=2200)] | None = None
    ecosystem: Ecosystem | None = None
    financials: dict[str, Financials] | None = None
    ip: IP | None = None
    main_product: MainProduct | None = None
    digital_level: Annotated[Int, Field(ge=1, le=4)] | None = None
    quality: Quality | None = None
    rd_institution_level: RdLevel | None = None
    info_system_core_business: Flag | None = None
    management_or_foreign_product_cert: Flag | None = None
    international_cert: Flag | None = None
    zj_featured_points: Annotated[Int, Field(ge=0, le=15)] | None = None
    titles: list[Title] | None = None
    awards: list[Award] | None = None
    contests: list[Contest] | None = None
    equity_financing: list[EquityFinancing] | None = None
    compliance: Compliance | None = None
    certifications: list[Certification] | None = None
    events: list[Event] | None = None
    # v1.1 (rules in force since 2026)
    platform_scores: dict[str, Score] | None = None
    ip_items: list[IpItem] | None = None
    group_has_little_giant: Flag | None = None
    data_updates: list[DataUpdate] | None = None
    sanctions: list[Sanction] | None = None

    @field_validator("uscc", mode="before")
    @classmethod
    def _uscc_text(cls, v: Any) -> Any:
        if isinstance(v, str):
            return v.strip().upper()
        return v

    @field_validator("district")
    @classmethod
    def _district(cls, v: str | None) -> str | None:
        if v is not None and v not in district_codes():
            raise ValueError("不是杭州市13个区、县（市）的行政区划代码之一（330102…330182）")
        return v

    @field_validator("industry_code")
    @classmethod
    def _industry(cls, v: str | None) -> str | None:
        if v is None:
            return v
        code = v.upper()
        if not INDUSTRY_CODE.match(code):
            raise ValueError("行业代码应为 GB/T 4754-2017 门类字母加2–4位数字（如 C3976）")
        return code

    @field_validator("financials", "platform_scores")
    @classmethod
    def _years(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is None:
            return v
        for key in v:
            if not (len(key) == 4 and is_digits(key) and 1900 <= int(key) <= 2200):
                raise ValueError(f'年度键应为四位年份（如 "2024"），实际为 {key!r}')
        return v

    @model_validator(mode="after")
    def _uscc_checked(self) -> Profile:
        result = check_uscc(self.uscc)
        if not result.ok and not (self.uscc_override_reason or "").strip():
            raise ValueError(
                f"统一社会信用代码 {self.uscc} 未通过 GB 32100 校验（{result.reason}）；"
                "如确为登记在册的代码，请填写 uscc_override_reason 说明原因"
            )
        return self

    def year(self, year: int) -> Financials | None:
        """The figures of one calendar year, or None when not given."""
        if self.financials is None:
            return None
        return self.financials.get(str(year))


class FieldProblem(BaseModel):
    """One validation problem: the field path (``financials.2024.rd_expense_fen``), the value and the reason."""

    path: str
    value: Any = None
    reason: str

    def message(self) -> str:
        value = format(self.value, "f") if isinstance(self.value, Decimal) else self.value
        shown = "" if value is None or isinstance(value, dict | list) else f"，值 {value!r}"
        return f"字段 {self.path}{shown}：{self.reason}"


class RecordError(ValueError):
    """A record that does not follow the exchange format; ``problems`` name each field and reason."""

    def __init__(self, problems: list[FieldProblem]):
        self.problems = problems
        self.messages = [p.message() for p in problems]
        super().__init__("；".join(self.messages))


_TYPE_MESSAGES = {
    "extra_forbidden": "未知字段（交换格式 v1.1 中没有此字段）",
    "missing": "缺少必填字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "decimal_parsing": '应为数值（如 "0.035"）',
    "decimal_type": '应为数值（如 "0.035"）',
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "finite_number": "应为有限数值",
    "decimal_max_places": "小数位过多：最多保留 9 位小数",
    "decimal_whole_digits": "整数位数过多",
    "decimal_max_digits": "数值位数过多：最多 18 位数字，最多保留 9 位小数",
    "union_tag_invalid": "事件类型 kind 不在允许范围内",
    "union_tag_not_found": "事件缺少 kind 字段",
}


def _location(loc: tuple[Any, ...]) -> str:
    parts = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in EVENT_KINDS:
            continue  # the discriminated-union branch name adds nothing for the reader
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "(记录)"


def _reason(err: Any) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    if kind == "literal_error":
        return f"取值不在允许范围内，应为 {ctx.get('expected', '')}"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {ctx.get('le', ctx.get('lt'))}"
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "")))
    return str(err.get("msg", kind))


def describe_errors(exc: ValidationError) -> list[FieldProblem]:
    """One problem per error: field path, offending value and reason (in Chinese)."""
    problems = []
    for err in exc.errors(include_url=False):
        value = None if err["type"] == "missing" else err.get("input")
        if value is not None and not isinstance(value, str | int | bool | Decimal | dict | list):
            value = str(value)
        problems.append(
            FieldProblem(path=_location(tuple(err.get("loc", ()))), value=value, reason=_reason(err))
        )
    return problems


def parse_profile(record: Any) -> Profile:
    """Validate one record; raises ``RecordError`` listing every problem."""
    if not isinstance(record, dict):
        raise RecordError(
            [FieldProblem(path="(记录)", reason=f"记录应为 JSON 对象，实际为 {type(record).__name__}")]
        )
    try:
        return Profile.model_validate(record)
    except ValidationError as exc:
        problems = describe_errors(exc)
        uscc = record.get("uscc")
        # The check-character rule runs after field validation; report it together with field errors.
        if isinstance(uscc, str) and not any(p.path == "uscc" or "uscc" in p.reason for p in problems):
            result = check_uscc(uscc.strip().upper())
            if not result.ok and not str(record.get("uscc_override_reason") or "").strip():
                problems.append(
                    FieldProblem(path="uscc", value=uscc, reason=f"未通过 GB 32100 校验（{result.reason}）")
                )
        for p in problems:
            if p.path == "(记录)" and "统一社会信用代码" in p.reason:
                p.path = "uscc"
                p.value = record.get("uscc")
        raise RecordError(problems) from None


class _ProfileFields(Profile):
    """``Profile``'s fields, each validated as it is there, without the model validator (``_uscc_checked``, which
    reads the identifier only) and with the identifier optional: what ``parse_changed_profile`` validates."""

    uscc: Text | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _uscc_checked(self) -> _ProfileFields:
        return self


# What ``Profile``'s model validator reads: a change to these is validated in full.
_MODEL_CHECKED = frozenset({"uscc", "uscc_override_reason"})
# Fields whose validators judge each year (key and value) on its own: only the years changed are validated.
_BY_YEAR = ("financials", "platform_scores")


def parse_changed_profile(profile: Profile, record: dict[str, Any], changed: dict[str, Any]) -> Profile:
    """``parse_profile(changed)`` where ``changed`` is ``record`` — the exchange-format dump of the already
    validated ``profile`` — with some values replaced or appended: only what is new is validated.

    Gap planning builds a dozen changed profiles per request, and validating each in full was a large share of
    its time. What is new is found by identity (``apply_changes`` and ``project`` copy only what they change):
    a top-level value, one year of ``financials`` or ``platform_scores``, or items appended to a list. Each
    field's validators judge that field alone (a year, a list item alone) and the model validator reads
    ``_MODEL_CHECKED`` only, so what is unchanged is valid as it was (a test holds the validators to these).
    On any problem ``parse_profile(changed)`` runs, so the errors are its own."""
    if not isinstance(changed, dict) or record.keys() - changed.keys():
        return parse_profile(changed)
    new: dict[str, Any] = {}
    appended: set[str] = set()
    for key, value in changed.items():
        old = record.get(key)
        if old is value:
            continue
        if key in _BY_YEAR and isinstance(value, dict) and isinstance(old, dict):
            value = {y: v for y, v in value.items() if y not in old or old[y] is not v}
        elif (
            isinstance(value, list)
            and isinstance(old, list)
            and len(value) >= len(old)
            and all(a is b for a, b in zip(old, value, strict=False))
        ):
            value = value[len(old) :]
            appended.add(key)
        new[key] = value
    if not new:
        return profile
    if _MODEL_CHECKED & new.keys():
        return parse_profile(changed)
    try:
        part = _ProfileFields.model_validate(new)
    except ValidationError:
        return parse_profile(changed)
    update: dict[str, Any] = {}
    for key in new:
        value = getattr(part, key)
        if key in appended:
            value = [*getattr(profile, key), *value]
        elif key in _BY_YEAR and isinstance(record.get(key), dict) and value is not None:
            before = getattr(profile, key)
            value = {y: value[y] if y in value else before[y] for y in changed[key]}
        update[key] = value
    return profile.model_copy(update=update)


def profile_to_json(profile: Profile) -> dict[str, Any]:
    """The profile as exchange-format JSON data (decimals as strings, unknowns left out)."""
    return profile.model_dump(mode="json", exclude_none=True)
