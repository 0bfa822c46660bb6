"""Chinese names of the policy events and their inputs, for titles, pages and messages.

Use ``event_title(inputs)`` for a one-line human name of an event ("技术改造项目 P0001"); ``EVENT_LABELS``,
``INPUT_LABELS``, ``ENTITLEMENT_STATUS_LABELS``, ``CONDITION_RESULT_LABELS`` and ``INDUSTRY_LABELS`` wherever an
event kind, an input field, a result status, a condition's result or a project's industry is shown to people
instead of its code.
"""

from __future__ import annotations

from typing import Any

EVENT_LABELS = {
    "recognition": "首次认定",
    "relocation_in": "从市外迁入",
    "tech_renovation": "技术改造项目",
    "digital_transformation": "数字化攻关项目",
    "loan": "“专精特新贷”贷款",
    "brand_listing": "入选品牌榜单",
    "scene_award": "场景入选",
    "tech_transaction": "技术交易",
    "growth_support_selection": "入选重点支持的优质创新型中小企业",
    "growth_support_evaluation": "重点支持期满评价",
}
INPUT_LABELS = {
    "kind": "事项类型",
    "tier": "认定层级",
    "project_id": "项目编号",
    "loan_id": "贷款编号",
    "scene_id": "场景编号",
    "date": "日期",
    "contract_date": "借款合同签订日",
    "industry": "项目所属产业",
    "total_investment_fen": "项目总投资",
    "eligible_investment_since_2023_fen": "2023年以来设备、外购技术及软件实际完成投资",
    "eligible_investment_fen": "设备、外购技术及软件实际投资",
    "principal_fen": "贷款本金",
    "annual_rate": "贷款年利率",
    "term_months": "贷款期限（月）",
    "interest_paid_fen": "实付利息",
    "list": "榜单",
    "year": "所属年度",
    "amount_fen": "年度实际技术交易额",
    "selection_id": "入选批次编号",
    "passed": "评价是否通过",
    "growth_support_selection": "对应的入选事件（同一入选批次编号）",
}
# What an entitlement result's status means, for people (the contract keeps the codes).
ENTITLEMENT_STATUS_LABELS = {
    "granted": "予以兑现",
    "not_eligible": "不符合",
    "needs_data": "需补充数据",
    "amount_unset": "金额待公布",
    "window_unset": "政策有效期待公布",
    "outside_policy_window": "不在政策有效期",
    "superseded": "从优由他项兑现",
}
# The result of one condition of a measure (the entitlement trace): met, not met, unknown inputs, a parameter the
# bureau has not set.
CONDITION_RESULT_LABELS = {
    "pass": "满足",
    "fail": "不满足",
    "unknown": "数据不全",
    "missing": "数据不全",
    "unset": "参数未设定",
}
# The industries of a technical-renovation project (81号 第7条's 20%/10% split reads them).
INDUSTRY_LABELS = {
    "next_gen_it": "新一代信息技术及应用",
    "high_end_equipment": "高端装备",
    "biomedicine": "生物医药",
    "integrated_circuit": "集成电路",
    "new_energy": "新能源",
    "new_materials": "新材料",
    "other": "其他产业",
}
# Results no application can be opened for: nothing is payable now, or another measure pays instead.
NO_APPLICATION_STATUSES = frozenset({"not_eligible", "outside_policy_window", "superseded", "window_unset"})
TIER_LABELS = {
    "innovative_sme": "创新型中小企业",
    "srdi_sme": "省级专精特新中小企业",
    "little_giant": "国家级专精特新“小巨人”企业",
    "hidden_champion": "省隐形冠军企业",
    "tech_sme": "科技型中小企业",
}


def value_label(code: Any) -> str:
    """A stored code of the policy packs (event kind, tier, result status) as people read it; a list joined
    with “、”; anything else unchanged."""
    if isinstance(code, list | tuple | frozenset | set):
        return "、".join(value_label(c) for c in code)
    text = str(code)
    return EVENT_LABELS.get(text) or TIER_LABELS.get(text) or ENTITLEMENT_STATUS_LABELS.get(text) or text


def event_title(inputs: dict[str, Any]) -> str:
    """A short human name of one event from its inputs: kind, then its key or tier, then its date."""
    kind = str(inputs.get("kind", ""))
    parts = [EVENT_LABELS.get(kind, kind)]
    key = (
        inputs.get("project_id")
        or inputs.get("loan_id")
        or inputs.get("scene_id")
        or inputs.get("selection_id")
    )
    if key:
        parts.append(str(key))
    elif inputs.get("tier"):
        parts.append(TIER_LABELS.get(str(inputs["tier"]), str(inputs["tier"])))
    elif inputs.get("list"):
        parts.append(str(inputs["list"]))
    day = inputs.get("date") or inputs.get("contract_date") or inputs.get("year")
    if day:
        parts.append(str(day))
    return " ".join(parts)


def missing_label(path: str) -> str:
    """A missing input's path ("events[0].industry") in words ("事项数据：项目所属产业")."""
    leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
    name = INPUT_LABELS.get(leaf, leaf)
    return f"事项数据：{name}" if path.startswith("events") and leaf != "events" else name
