"""Reading one enterprise's result back out of an ``Assessment``: status, score, route, and every check.

Use ``tier_result(assessment, index, tier)`` for one tier and ``enterprise_result`` for the contract's whole
record. Nothing here recomputes a rule: points and outcomes are read from the columns the engine produced;
only the wording (labels, exact values, the Chinese explanation) is added.
"""

from __future__ import annotations

from decimal import Context, Decimal, localcontext
from functools import lru_cache
from typing import Any

from srdi.domain.money import FEN_PER_WAN
from srdi.domain.rules.compile import Compiled, CompiledIndicator, Node, den, num
from srdi.domain.rules.engine import Assessment
from srdi.domain.rules.facts import LIST_FACTS
from srdi.domain.rules.model import OPERATORS, Check, Measure
from srdi.domain.rules.parameters import Resolved, to_json

RESULT = {True: "pass", False: "fail", None: "unknown"}
RESULT_ZH = {True: "满足", False: "不满足", None: "数据不全，无法判断"}

# Exchange-format path of each facts column that is not a yearly figure.
COLUMN_PATHS: dict[str, str] = {
    "industry_code": "industry_code",
    "c_major_accident_3y": "compliance.major_accident_3y",
    "c_dishonest": "compliance.dishonest",
    "c_abnormal_operation": "compliance.abnormal_operation",
    "c_restricted_products": "compliance.restricted_products",
    "c_bank_rating_ok": "compliance.bank_rating_ok",
    "sci_award_3y": "awards",
    "sci_award_provincial_ranked_3y": "awards",
    "sci_award_national_ranked_3y": "awards",
    "maker_contest_3y": "contests",
    "direct_title_valid": "titles",
    "rd_institution_level": "rd_institution_level",
    "mp_strategic_emerging": "main_product.strategic_emerging",
    "mp_chain_role": "main_product.chain_role",
    "mp_pin_field": "main_product.pin_field",
    "info_system_core_business": "info_system_core_business",
    "management_or_foreign_product_cert": "management_or_foreign_product_cert",
    "international_cert": "international_cert",
    "q_provincial_quality_award": "quality.provincial_quality_award",
    "q_qms_certified": "quality.qms_certified",
    "q_own_brand": "quality.own_brand",
    "q_drafted_standards": "quality.drafted_standards",
    "registered_in_zhejiang": "registered_in_zhejiang",
    "cert_valid_innovative_sme": "certifications",
    "cert_valid_srdi_sme": "certifications",
    "cert_valid_hidden_champion": "certifications",
    "cert_valid_little_giant": "certifications",
    "equity_qualified_2y_fen": "equity_financing",
    "equity_qualified_fy2_fen": "equity_financing",
    "equity_qualified_3y_fen": "equity_financing",
    "mp_niche_market_share": "main_product.niche_market_share",
    "mp_products_count": "main_product.products_count",
    "mp_national_rank": "main_product.national_rank",
    "mp_global_rank": "main_product.global_rank",
    "ip_class1": "ip.class1",
    "ip_class1_self_developed": "ip.class1_self_developed",
    "ip_class1_high_value": "ip.class1_high_value",
    "ip_class2": "ip.class2",
    "ip_invention_patents": "ip.invention_patents",
    "digital_level": "digital_level",
    "zj_featured_points": "zj_featured_points",
    # v1.1
    "mp_revenue_share": "main_product.revenue_share",
    "mp_key_chain_field": "main_product.key_chain_field",
    "group_has_little_giant": "group_has_little_giant",
    "cert_valid_tech_sme": "certifications",
    "tier1_title_valid": "certifications",
    "ip_class1_items_enough": "ip_items",
    "invention_items_enough": "ip_items",
    "excluding_title_valid": "titles",
    "fraud_ban_active": "sanctions",
}
# Derived figures: the input columns they are computed from. A trace lists the input under its own name and
# the derived value under the derived name ({"niche_since_year": 2015, "years_in_niche": 10}).
DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    "years_in_niche": ("niche_since_year",),
    "years_operating": ("founded_on",),
}
# Facts computed from several inputs: the columns behind them.
SOURCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "is_sme": ("industry_code", "employees[Y]", "operating_revenue_fen[Y]", "total_assets_fen[Y]"),
}
YEAR_OFFSETS = {"[Y]": 0, "[Y-1]": 1, "[Y-2]": 2}
# Platform scores are read for as_of's year (A = Y + 1) and the year before: platform_scores.<year>.
SCORE_OFFSETS = {"platform_score[A]": 1, "platform_score[A-1]": 0}


@lru_cache(maxsize=8192)
def input_path(column: str, year: int) -> str:
    """Exchange-format path of a facts column: ``rd_expense_fen[Y-1]`` → ``financials.2023.rd_expense_fen``."""
    for suffix, offset in YEAR_OFFSETS.items():
        if column.endswith(suffix):
            return f"financials.{year - offset}.{column[: -len(suffix)]}"
    if column in SCORE_OFFSETS:
        return f"platform_scores.{year + SCORE_OFFSETS[column]}"
    return COLUMN_PATHS.get(column, column)


@lru_cache(maxsize=8192)
def _input_paths(columns: tuple[str, ...], year: int) -> tuple[tuple[str, str], ...]:
    """(exchange-format path, column) of each input behind ``columns``: a derived column's sources, then it."""
    out = []
    for col in columns:
        out += [(input_path(source, year), source) for source in DERIVED_COLUMNS.get(col, ())]
        out.append((input_path(col, year), col))
    return tuple(out)


RELATIVE_YEAR_PREFIXES = ("上上年度", "上一年度", "上年度", "当年度", "上年末")


def measure_years(measure: Measure, year: int) -> tuple[int, ...]:
    """The calendar years a measure reads, oldest first (``year`` is the judged date's Y)."""
    out = set()
    for column in measure.inputs:
        for suffix, offset in YEAR_OFFSETS.items():
            if column.endswith(suffix):
                out.add(year - offset)
        if column in SCORE_OFFSETS:
            out.add(year + SCORE_OFFSETS[column])
    return tuple(sorted(out))


def dated_label(measure: Measure, year: int) -> str:
    """A measure's label with its years named: 上上年度研发费用占营业收入比重 → 2025年研发费用占营业收入比重."""
    years = measure_years(measure, year)
    label = measure.label
    prefix = next((p for p in RELATIVE_YEAR_PREFIXES if label.startswith(p)), "")
    rest = label[len(prefix) :]
    if len(years) == 1:
        return f"{years[0]}年{'末' if prefix == '上年末' else ''}{rest}"
    if len(years) == 2 and measure.kind == "growth" and prefix:
        return f"{years[1]}年{rest}（较{years[0]}年）"
    if years:
        return f"{label}（{years[0]}–{years[-1]}年）"
    return label


def plain(value: Any) -> Any:
    """A facts value as JSON data."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# Exact values are worked out to 40 digits (one shared context: entering a local one per value cost more than
# the division).
_EXACT = Context(prec=40)


def exact(row: dict[str, Any], mid: str, measure: Measure | None = None) -> Decimal | str | None:
    """A measure's exact value (Decimal), None when unknown, or '+inf'/'-inf'.

    A compound growth rate (``cagr``) is stored as its growth factor; given the measure, the rate itself is
    returned (factor^(1/years) − 1, to 40 digits: for display only, comparisons use the exact factor)."""
    n, d = row.get(num(mid)), row.get(den(mid))
    if n is None or d is None:
        return None
    if d == 0:
        return "+inf" if n > 0 else "-inf"
    value = _EXACT.divide(Decimal(n), Decimal(d))
    if measure is not None and measure.kind == "cagr":
        if value <= 0:
            return Decimal(-1)
        with localcontext(_EXACT):
            return (value.ln() / measure.years).exp() - 1 if measure.years != 2 else value.sqrt() - 1
    return value


def display(value: Decimal | str | None, unit: str) -> str:
    """A value as a reader expects it: percentages, 万元, years, counts."""
    if value is None:
        return "未知"
    if isinstance(value, str):
        return "无穷大（基数为0）" if value == "+inf" else "负无穷（基数为0）"
    if unit == "ratio":
        return f"{(value * 100).quantize(Decimal('0.01'))}%"
    if unit == "fen":
        wan = (value / FEN_PER_WAN).quantize(Decimal("0.0001")).normalize()
        return f"{format(wan, 'f')}万元"
    if unit == "years":
        return f"{format(value.normalize(), 'f')}年"  # 10 → "10年", never "1E+1年"
    return format(value.normalize(), "f")


def threshold_display(value: Any, unit: str) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | Decimal):
        return display(Decimal(value), unit)
    if isinstance(value, list):
        return "、".join(VALUE_LABELS.get(str(v), str(v)) for v in value)
    return VALUE_LABELS.get(str(value), str(value))


def json_value(value: Decimal | str | None) -> Any:
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.000001")).normalize(), "f")
    return value


class _Reader:
    """Turns one row of an assessment into traced checks for one tier."""

    def __init__(self, assessment: Assessment, row: dict[str, Any], compiled: Compiled):
        self.a = assessment
        self.row = row
        self.c = compiled
        self.year = assessment.year
        self.measures: dict[str, Measure] = assessment.library.measures
        self.missing: list[str] = []
        # > 0 while reading under a node whose result is decided: an unknown input there would not change
        # the result, so it is not asked for.
        self._decided = 0

    def param(self, pid: str) -> Resolved:
        return self.c.params[pid]

    def inputs_of(self, columns: tuple[str, ...]) -> dict[str, Any]:
        row = self.row
        return {path: plain(row.get(col)) for path, col in _input_paths(columns, self.year)}

    def inputs_of_measure(self, mid: str) -> dict[str, Any]:
        return self.inputs_of(self.measures[mid].inputs)

    def inputs_of_fact(self, fact: str) -> dict[str, Any]:
        if fact in LIST_FACTS:  # this tier's own column, shown under the list's path (awards, titles …)
            return {input_path(fact, self.year): plain(self.row.get(self.c.fact_col(fact)))}
        return self.inputs_of(SOURCE_COLUMNS.get(fact, (fact,)))

    def fact_value(self, fact: str) -> Any:
        return self.row.get(self.c.fact_col(fact))

    def fact_label(self, fact: str) -> str:
        """The fact's label; a list fact's label names the parameter values that define it."""
        template = LIST_FACT_LABELS.get(fact)
        if template is None:
            return _fact_label(fact)
        return template.format(**{pid: _value_list(self.param(pid).value) for pid in LIST_FACTS[fact].params})

    def note_missing(self, inputs: dict[str, Any]) -> None:
        # Derived figures are not inputs: their source is what is missing.
        self.missing += [
            k for k, v in inputs.items() if v is None and k not in self.missing and k not in DERIVED_COLUMNS
        ]

    def leaf(self, node: Node) -> dict[str, Any]:
        t = node.test
        outcome = self.row.get(node.column) if node.enabled else None
        if t.kind == "compare":
            m = self.measures[t.measure]
            p = self.param(t.param)
            value = exact(self.row, t.measure, m)
            op = t.op
            shown = display(value, m.unit)
            text = f"{m.label} {shown} {OPERATORS[op]} {threshold_display(p.value, m.unit)}"
            inputs = self.inputs_of_measure(t.measure)
            out = {
                "measure": t.measure,
                "label": m.label,
                "value": json_value(value),
                "display": shown,
                "op": op,
                "threshold": to_json(p.value),
                "parameter": p.as_trace(),
                "inputs": inputs,
            }
            if m.lower_bound_flag and self.row.get(m.lower_bound_flag):
                text += "（部分融资金额或投资者资格未知，按已知金额计）"
        elif t.kind == "fact_is":
            value = self.fact_value(t.fact)
            text = f"{self.fact_label(t.fact)}：{'是' if value else '否' if value is False else '未知'}"
            inputs = self.inputs_of_fact(t.fact)
            out = {"fact": t.fact, "value": value, "expected": t.value, "inputs": inputs}
            if t.fact in LIST_FACTS:
                out["parameters"] = [self.param(pid).as_trace() for pid in LIST_FACTS[t.fact].params]
        else:
            p = self.param(t.param)
            value = self.fact_value(t.fact)
            shown = VALUE_LABELS.get(str(value), value) if value is not None else "未知"
            text = f"{self.fact_label(t.fact)}：{shown}（认可：{threshold_display(p.value, '')}）"
            inputs = self.inputs_of_fact(t.fact)
            out = {
                "fact": t.fact,
                "value": value,
                "allowed": to_json(p.value),
                "parameter": p.as_trace(),
                "inputs": inputs,
            }
        if outcome is None and node.enabled and not self._decided:
            self.note_missing(inputs)
        out.update(
            {
                "result": RESULT[outcome] if node.enabled else "not_applicable",
                "explanation": f"{text} → {RESULT_ZH[outcome] if node.enabled else '本期不适用'}",
            }
        )
        return out

    def node(self, node: Node) -> dict[str, Any]:
        if node.test.kind in ("all", "any"):
            decided = node.enabled and self.row.get(node.column) is not None
            self._decided += decided
            try:
                parts = [self.node(c) for c in node.children]
            finally:
                self._decided -= decided
            return {
                "combine": node.test.kind,
                "result": RESULT[self.row.get(node.column)] if node.enabled else "not_applicable",
                "parts": parts,
            }
        return self.leaf(node)

    def check(self, check: Check) -> dict[str, Any]:
        node = self.c.checks.get(check.id)
        base = {"id": check.id, "label": check.label, "section": check.section, "reference": check.reference}
        if check.dimension:
            base["dimension"] = check.dimension
        if node is None:
            if not check.applies_to(self.c.purpose):
                why = "复核时不考查该项" if self.c.purpose == "review" else "仅复核时考查该项"
                return {**base, "result": "not_applicable", "explanation": why}
            return {**base, "result": "not_applicable", "explanation": "参数设定本期不适用"}
        outcome = self.row.get(node.column)
        detail = self.node(node)
        params: dict[str, dict[str, Any]] = {}
        inputs: dict[str, Any] = {}
        sentence = _gather(detail, params, inputs)
        return {
            **base,
            "result": RESULT[outcome],
            "inputs": inputs,
            "parameters": list(params.values()),
            "detail": detail,
            "explanation": sentence,
        }

    # ---- the unknown inputs alone (``tier_missing``): the same walk as check/node/indicator, no trace ----
    def check_missing(self, check: Check) -> None:
        node = self.c.checks.get(check.id)
        if node is not None:
            self.node_missing(node)

    def node_missing(self, node: Node) -> None:
        t = node.test
        if t.kind in ("all", "any"):
            decided = node.enabled and self.row.get(node.column) is not None
            self._decided += decided
            try:
                for child in node.children:
                    self.node_missing(child)
            finally:
                self._decided -= decided
        elif node.enabled and self.row.get(node.column) is None and not self._decided:
            self.note_missing(
                self.inputs_of_measure(t.measure) if t.kind == "compare" else self.inputs_of_fact(t.fact)
            )

    def indicator_missing(self, ci: CompiledIndicator) -> None:
        ind = ci.indicator
        if ind.kind in ("bands", "best_of"):
            for band in ind.bands:
                if exact(self.row, band.measure) is None:
                    self.note_missing(self.inputs_of_measure(band.measure))
        elif ind.kind == "ladder":
            for node in ci.steps:
                self.node_missing(node)
        elif ind.kind == "map":
            if self.fact_value(ind.fact) is None:
                self.note_missing(self.inputs_of_fact(ind.fact))
        elif ind.kind == "per_item":
            if any(self.fact_value(f) is None for f in ind.facts):
                inputs: dict[str, Any] = {}
                for f in ind.facts:
                    inputs.update(self.inputs_of_fact(f))
                self.note_missing(inputs)
        elif exact(self.row, ind.measure) is None:
            self.note_missing(self.inputs_of_measure(ind.measure))

    def indicator(self, ci: CompiledIndicator) -> dict[str, Any]:
        ind = ci.indicator
        lo, hi = self.row.get(ci.lo), self.row.get(ci.hi)
        known = lo == hi
        out: dict[str, Any] = {
            "id": ind.id,
            "label": ind.label,
            "section": "score",
            "group": ind.group,
            "reference": ind.reference,
            "max_points": ind.max_points,
            "points": lo if known else None,
            "result": "scored" if known else "unknown",
        }
        if not known:
            out["points_range"] = [lo, hi]
        params: list[dict[str, Any]] = []
        inputs: dict[str, Any] = {}
        if ind.kind in ("bands", "best_of"):
            parts = []
            for i, band in enumerate(ind.bands):
                m = self.measures[band.measure]
                value = exact(self.row, band.measure)
                p = self.param(band.param)
                params.append(p.as_trace())
                band_in = self.inputs_of_measure(band.measure)
                inputs.update(band_in)
                pts = self.row.get(ci.sub[i][0]) if ci.sub else lo
                shown = display(value, m.unit)
                parts.append(f"{m.label} {shown}" + (f"（{pts}分）" if ci.sub and value is not None else ""))
                out.setdefault("measures", []).append(
                    {"measure": band.measure, "label": m.label, "value": json_value(value), "display": shown}
                )
                if value is None:
                    self.note_missing(band_in)
            text = "；".join(parts)
        elif ind.kind == "ladder":
            steps = []
            for s, node in zip(ind.ladder_steps, ci.steps, strict=True):
                leaf = self.node(node)
                steps.append(
                    {"key": s.key, "label": s.label, **{k: leaf[k] for k in ("result", "explanation")}}
                )
                inputs.update(leaf.get("inputs", {}))
            out["steps"] = steps
            params.append(self.param(ind.ladder_param).as_trace())
            hit = next((s for s in steps if s["result"] == "pass"), None)
            text = f"{hit['label']}" if hit else "未达到任何档次"
        elif ind.kind == "map":
            value = self.fact_value(ind.fact)
            params.append(self.param(ind.param).as_trace())
            inputs.update(self.inputs_of_fact(ind.fact))
            text = f"{_fact_label(ind.fact)}：{_fmt_fact(value)}"
            if value is None:
                self.note_missing(inputs)
        elif ind.kind == "per_item":
            met = [f for f in ind.facts if self.fact_value(f)]
            unknown = [f for f in ind.facts if self.fact_value(f) is None]
            params += [self.param(ind.param).as_trace(), self.param(ind.cap_param).as_trace()]
            for f in ind.facts:
                inputs.update(self.inputs_of_fact(f))
            text = f"满足 {len(met)} 项：{'、'.join(_fact_label(f) for f in met) or '无'}"
            if unknown:
                text += f"；未知 {len(unknown)} 项"
                self.note_missing(inputs)
        else:
            m = self.measures[ind.measure]
            value = exact(self.row, ind.measure)
            params.append(self.param(ind.step_param or ind.max_param).as_trace())
            if ind.cap_param:
                params.append(self.param(ind.cap_param).as_trace())
            inputs.update(self.inputs_of_measure(ind.measure))
            text = f"{m.label} {display(value, m.unit)}"
            if value is None:
                self.note_missing(inputs)
        points_text = (
            f"得 {lo} 分（满分 {ind.max_points}）" if known else f"得分 {lo}–{hi} 分之间（数据不全）"
        )
        out.update({"inputs": inputs, "parameters": params, "explanation": f"{text}，{points_text}"})
        return out


def _fmt_fact(value: Any) -> str:
    if value is None:
        return "未知"
    if isinstance(value, bool):
        return "是" if value else "否"
    return VALUE_LABELS.get(str(value), str(value))


FACT_LABELS = {
    "is_sme": "属于中小企业（300号划型）",
    "c_major_accident_3y": "近三年发生重大安全、质量或环境事故",
    "c_dishonest": "列入严重失信名单或有偷漏税行为",
    "c_abnormal_operation": "列入经营异常名录",
    "c_restricted_products": "产品属于禁止、限制或淘汰类",
    "c_bank_rating_ok": "银行信用评级A级以上或无不良信用记录",
    "rd_institution_level": "研发机构级别",
    "mp_strategic_emerging": "主导产品属于战略性新兴产业",
    "mp_chain_role": "主导产品在产业链中的地位",
    "mp_pin_field": "主导产品所属领域",
    "info_system_core_business": "核心业务采用信息系统支撑",
    "management_or_foreign_product_cert": "取得管理体系认证或境外产品认证",
    "international_cert": "取得国际认证",
    "q_provincial_quality_award": "省级以上质量奖",
    "q_qms_certified": "质量管理体系认证",
    "q_own_brand": "自主品牌",
    "q_drafted_standards": "参与标准制修订",
    "digital_level": "数字化水平等级",
    "registered_in_zhejiang": "在浙江省注册",
    "cert_valid_innovative_sme": "持有有效的创新型中小企业称号",
    "cert_valid_srdi_sme": "持有有效的省级专精特新中小企业称号",
    "cert_valid_hidden_champion": "持有有效的省隐形冠军称号",
    "cert_valid_little_giant": "持有有效的专精特新“小巨人”称号",
    "cert_valid_tech_sme": "持有有效的科技型中小企业入库登记",
    "group_has_little_giant": "与有效“小巨人”企业存在控股关系或同属一个集团且主导产品相近",
    "fraud_ban_active": "因数据造假处于取消称号、禁止申报期内",
    "mp_key_chain_field": "主导产品所属产业链关键领域",
}


# List facts: the label is filled in with the tier's parameter values (see ``srdi.domain.rules.facts``).
LIST_FACT_LABELS = {
    "sci_award_3y": "近三年获得{direct_award_levels}{direct_award_kinds}",
    "sci_award_provincial_ranked_3y": "近三年获得省级{direct_award_kinds}且在获奖单位中排名前{direct_award_provincial_max_rank}",
    "sci_award_national_ranked_3y": "近三年获得国家级{direct_award_kinds}且在获奖单位中排名前{direct_award_national_max_rank}",
    "maker_contest_3y": "近三年进入{direct_contest_kinds}{direct_contest_groups}名单",
    "direct_title_valid": "持有有效的{direct_title_kinds}称号",
    "excluding_title_valid": "已认定为{excluding_title_kinds}",
    "tier1_title_valid": "持有有效的{tier1_titles}（全部须有效：{tier1_requires_all}）",
    "ip_class1_items_enough": (
        "拥有与主导产品相关的{ip_class1_kinds}至少{ip_class1_min}项"
        "（有效、非转入、权利人排名前{ip_max_holder_rank}、实际应用并产生经济效益）"
    ),
    "invention_items_enough": "拥有与主导产品相关、实际应用并产生经济效益的有效{ip_invention_kinds}至少{ip_invention_min}项",
}
# Display names of the codes used in list parameters and categorical facts.
VALUE_LABELS = {
    "national": "国家级",
    "provincial": "省级",
    "ministerial": "省部级",
    "municipal": "市级",
    "below_municipal": "市级以下",
    "none": "无",
    "sci_tech": "科技奖励",
    "maker_china": "“创客中国”中小企业创新创业大赛",
    "national_top500": "全国500强企业组",
    "national_top50": "全国50强企业组",
    "high_tech_enterprise": "高新技术企业",
    "tech_innovation_demo": "国家级技术创新示范企业",
    "ip_advantage": "知识产权优势企业",
    "ip_demo": "知识产权示范企业",
    "single_champion": "单项冠军企业",
    "innovative_sme": "创新型中小企业称号",
    "tech_sme": "科技型中小企业入库登记",
    "invention_patent": "发明专利",
    "defense_patent": "国防专利",
    "plant_variety": "植物新品种",
    "national_crop_variety": "国家级农作物品种",
    "national_new_drug": "国家新药",
    "tcm_protected_grade1": "国家一级中药保护品种",
    "ic_layout": "集成电路布图设计专有权",
    "True": "是",
    "False": "否",
    "key_link_breakthrough": "关键环节补短板/锻长板/填空白",
    "six_foundations_or_chain_supplier": "工业六基/为链主配套",
    "six_foundations": "工业“六基”",
    "manufacturing_power_key_industry": "制造强国重点产业",
    "cyber_power": "网络强国重点领域",
}


def _value_list(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "或".join(VALUE_LABELS.get(str(v), str(v)) for v in value)
    return VALUE_LABELS.get(str(value), str(value))


def _fact_label(fact: str) -> str:
    return FACT_LABELS.get(fact, fact)


def _gather(detail: dict[str, Any], params: dict[str, dict[str, Any]], inputs: dict[str, Any]) -> str:
    """A check's detail in one walk: every parameter it cites, once each in the order first cited (a
    parameter's trace is the same wherever it is cited within one tier), into ``params``; its inputs into
    ``inputs``; returns its sentence."""
    if "parameter" in detail:
        params.setdefault(detail["parameter"]["id"], detail["parameter"])
    for p in detail.get("parameters", ()):
        params.setdefault(p["id"], p)
    inputs.update(detail.get("inputs", ()))
    if "parts" in detail:
        joiner = "；且 " if detail["combine"] == "all" else "；或 "
        return "（" + joiner.join([_gather(p, params, inputs) for p in detail["parts"]]) + "）"
    return str(detail.get("explanation", ""))


def _summary_checks(reader: _Reader) -> list[dict[str, Any]]:
    c = reader.c
    rb = c.rulebook
    row = reader.row
    out = []
    if rb.score is not None:
        for g in rb.score.groups:
            lo, hi = row[c.col(f"group:{g.id}|lo")], row[c.col(f"group:{g.id}|hi")]
            item: dict[str, Any] = {
                "id": f"group:{g.id}",
                "label": f"{g.label}得分",
                "section": "score",
                "reference": rb.document,
                "points": lo if lo == hi else None,
                "max_points": g.max,
            }
            if lo != hi:
                item["points_range"] = [lo, hi]
            if g.min_param:
                p = c.params[g.min_param]
                ok = row[c.col(f"group:{g.id}|ok")]
                item.update(
                    {
                        "result": RESULT[ok],
                        "parameters": [p.as_trace()],
                        "reference": p.reference,
                        "explanation": f"{g.label}得分 {_range(lo, hi)} ≥ {p.value} → {RESULT_ZH[ok]}",
                    }
                )
            else:
                item.update(
                    {
                        "result": "scored" if lo == hi else "unknown",
                        "explanation": f"{g.label}得分 {_range(lo, hi)}（满分 {g.max}）",
                    }
                )
            out.append(item)
        p = c.params[rb.score.total_min_param]
        lo, hi = row[c.col("total|lo")], row[c.col("total|hi")]
        ok = row[c.col("total|ok")]
        out.append(
            {
                "id": "total",
                "label": "评价总分",
                "section": "score",
                "reference": p.reference,
                "points": lo if lo == hi else None,
                "result": RESULT[ok],
                "parameters": [p.as_trace()],
                **({"points_range": [lo, hi]} if lo != hi else {}),
                "explanation": f"评价总分 {_range(lo, hi)} ≥ {p.value} → {RESULT_ZH[ok]}",
            }
        )
    return out


def _range(lo: int, hi: int) -> str:
    return f"{lo}" if lo == hi else f"{lo}–{hi}"


def missing_inputs(
    assessment: Assessment, row: dict[str, Any], compiled: Compiled, nodes: list[Node]
) -> list[str]:
    """Exchange-format paths of the unknown inputs behind some (unknown) test nodes of one row."""
    reader = _Reader(assessment, row, compiled)
    for node in nodes:
        reader.node_missing(node)
    return reader.missing


def rulebook_reference(rb: Any, day: Any, purpose: str, route: Any = None) -> dict[str, Any]:
    """Which rulebook judged a tier result, and why it is in force on the day (its validity, a transition
    entry, or a cohort route such as the 2026 review of the 2023 小巨人 under 63号)."""
    out: dict[str, Any] = {
        "id": rb.id,
        "title": rb.title,
        "document": rb.document,
        "valid_from": rb.valid_from.isoformat(),
        "valid_to": rb.valid_to.isoformat() if rb.valid_to else None,
        "purpose": purpose,
    }
    entry = route if route is not None else rb.transition_on(day, purpose)
    if entry is not None:
        out["transition"] = {
            "reference": entry.reference,
            "from": entry.start.isoformat(),
            "to": entry.end.isoformat() if entry.end else None,
            **({"status": entry.status} if entry.status != "official" else {}),
            **({"note": entry.note} if entry.note else {}),
        }
    return out


def score_range(c: Compiled, row: dict[str, Any]) -> list[int] | None:
    """[lowest, highest] score still possible while unknown inputs leave it undecided (None once decided or
    when the rulebook has no score)."""
    if c.rulebook.score is None:
        return None
    lo, hi = row[c.col("total|lo")], row[c.col("total|hi")]
    return [lo, hi] if lo != hi else None


def tier_result(
    assessment: Assessment, index: int, tier: str, row: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One tier's contract result for the enterprise at ``index``: status, score, route, checks, missing.

    Worked out once per row and tier of an assessment (gap planning and the contract both ask): the same
    record is returned again, so callers must not change it."""
    own = assessment.row(index)
    if row is None or row is own:
        found = assessment.traces.get((index, tier))
        if found is None:
            found = assessment.traces[(index, tier)] = _tier_result(assessment, tier, own)
        return found
    return _tier_result(assessment, tier, row)


def tier_missing(assessment: Assessment, tier: str, row: dict[str, Any]) -> list[str]:
    """``tier_result(...)["missing"]`` without building the trace: the inputs a ``needs_data`` row asks for.

    Gap planning asks this of every changed profile that comes out ``needs_data``; a test holds it equal to
    ``tier_result``'s list."""
    c = assessment.compiled[tier]
    if row[c.col("status")] != "needs_data":
        return []
    reader = _Reader(assessment, row, c)
    rb = c.rulebook
    for ch in rb.prerequisites:
        reader.check_missing(ch)
    if rb.score is not None:
        for i in rb.score.indicators:
            reader.indicator_missing(c.indicators[i.id])
    for ch in (*rb.general, *rb.direct):
        reader.check_missing(ch)
    return reader.missing


def _tier_result(assessment: Assessment, tier: str, row: dict[str, Any]) -> dict[str, Any]:
    c = assessment.compiled[tier]
    reader = _Reader(assessment, row, c)
    rb = c.rulebook
    checks = [reader.check(ch) for ch in rb.prerequisites]
    if rb.score is not None:
        checks += [reader.indicator(c.indicators[i.id]) for i in rb.score.indicators]
        checks += _summary_checks(reader)
    checks += [reader.check(ch) for ch in rb.general]
    checks += [reader.check(ch) for ch in rb.direct]
    checks += [
        {
            "id": m.id,
            "label": m.label,
            "section": "manual",
            "reference": m.reference,
            "result": "manual",
            **({"dimension": m.dimension} if m.dimension else {}),
            **({"parameters": [c.params[pid].as_trace() for pid in m.parameters]} if m.parameters else {}),
            "explanation": "需评审人员人工核查，不影响系统判定",
        }
        for m in rb.manual
    ]
    status = row[c.col("status")]
    result: dict[str, Any] = {
        "status": status,
        "score": row[c.col("score")],
        "route": row[c.col("route")],
        "rulebook": rulebook_reference(rb, assessment.as_of, c.purpose, c.route),
        "checks": checks,
        "missing": reader.missing if status == "needs_data" else [],
    }
    bounds = score_range(c, row)
    if bounds is not None:
        result["score_range"] = bounds
    result["manual_checks"] = [m.id for m in rb.manual]
    return result
