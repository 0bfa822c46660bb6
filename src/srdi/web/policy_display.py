"""What the policy pages show: the catalogue, a measure's claim guide, an enterprise's entitlements, a costing.

Use ``catalogue(packs, today, kind=, q=)`` for the policy catalogue, ``measure_view(pack, measure, today)`` for
a measure page (conditions, parameters, the 申兑指南), ``entitlements_view(enterprise, packs, today)`` for the
enterprise page's 政策兑现 section and ``simulation_view(...)`` for the cost simulation. Everything is plain data labelled
in Chinese; nothing here decides eligibility or computes an amount (the policy engine does, through
``services.entitlements`` and ``services.simulation``). Money stays integer fen until it is formatted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import NoReverseMatch, reverse

from srdi.db.models import Enterprise, User
from srdi.domain.assessment.contract import DocumentError
from srdi.domain.digits import is_digits
from srdi.domain.exchange import RecordError
from srdi.domain.money import FEN_PER_WAN, FEN_PER_YI, decimal_from_text, fen_from_text, format_wan
from srdi.domain.permissions import Permission
from srdi.domain.policy import hygiene
from srdi.domain.policy.explain import EVENT_FIELDS, STATUS_ZH
from srdi.domain.policy.hygiene import expiry_warnings
from srdi.domain.policy.labels import (
    CONDITION_RESULT_LABELS,
    ENTITLEMENT_STATUS_LABELS,
    EVENT_LABELS,
    INDUSTRY_LABELS,
)
from srdi.domain.policy.model import Condition, Measure, Pack
from srdi.domain.policy.simulate import Simulation
from srdi.domain.reference import TIERS, district_name, districts
from srdi.domain.rules.explain import VALUE_LABELS as RULE_VALUE_LABELS
from srdi.domain.rules.parameters import STATUSES, UNITS, Parameter, RuleDataError
from srdi.domain.verdict import Verdict
from srdi.services import scoping
from srdi.services.entitlements import enterprise_entitlements

logger = logging.getLogger("srdi.web")

# ---- labels --------------------------------------------------------------------------------------------

KIND_LABELS = {"money": "资金", "qualification": "资格", "target": "目标", "service": "服务"}
KIND_CLASSES = {
    "money": "bg-primary-subtle text-primary-emphasis border border-primary-subtle",
    "qualification": "bg-success-subtle text-success-emphasis border border-success-subtle",
    "target": "bg-warning-subtle text-warning-emphasis border border-warning-subtle",
    "service": "bg-info-subtle text-info-emphasis border border-info-subtle",
}
FIELD_LABELS = {
    "tier": "认定层级",
    "date": "事件日期",
    "project_id": "项目编号",
    "industry": "项目所属产业",
    "total_investment_fen": "项目总投资",
    "eligible_investment_since_2023_fen": "2023年以来设备、外购技术及软件实际完成投资",
    "eligible_investment_fen": "设备、外购技术及软件实际投资",
    "loan_id": "贷款编号",
    "contract_date": "借款合同签订日",
    "principal_fen": "贷款本金",
    "annual_rate": "贷款年利率",
    "term_months": "贷款期限（月）",
    "interest_paid_fen": "实付利息",
    "guarantee_fee_rate": "担保费率",
    "list": "榜单",
    "year": "所属年度",
    "scene_id": "场景编号",
    "amount_fen": "年度实际技术交易额",
    "main_business_revenue_fen": "主营业务收入",
    "selection_id": "入选批次编号",
    "passed": "评价是否通过",
    "growth_support_selection": "对应的入选事件（同一入选批次编号）",
}
VALUE_LABELS: dict[str, str] = {
    **RULE_VALUE_LABELS,  # the rules' list values (title kinds, levels, IP kinds …)
    **TIERS,
    "tech_sme": "科技型中小企业",
    **INDUSTRY_LABELS,
    "brand_power_project": "品牌强国工程",
    "sci_tech_finance": "科创金融",
    "intellectual_property": "知识产权",
    "trademark_brand": "商标和品牌",
    "tech_transfer": "科技成果转移转化",
    "capability_evaluation": "创新发展能力评价",
    "certification_testing": "认证检测",
    "legal_tax": "专项法律财税",
}
MATTER_LABELS = {
    "tier": "认定层级",
    "project_id": "项目",
    "loan_id": "贷款",
    "scene_id": "场景",
    "year": "年度",
    "selection_id": "入选批次",
    "kind": "兑现阶段（首期或余额）",
}
STATUS_LABELS = ENTITLEMENT_STATUS_LABELS
STATUS_CLASSES = {
    "granted": "st-eligible",
    "not_eligible": "st-ineligible",
    "needs_data": "st-needs-data",
    "amount_unset": "rs-scored",
    "window_unset": "rs-unknown",
    "outside_policy_window": "rs-na",
    "superseded": "rs-manual",
}
STATUS_ORDER = tuple(STATUS_LABELS)
RESULT_LABELS = CONDITION_RESULT_LABELS
RESULT_CLASSES = {"pass": "rs-pass", "fail": "rs-fail", "unknown": "rs-unknown", "unset": "rs-scored"}
UNIT_LABELS = {**UNITS, "fen": "金额"}


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


def value_label(value: Any) -> str:
    return VALUE_LABELS.get(str(value), str(value))


# ---- values -------------------------------------------------------------------------------------------


def percent(value: Any) -> str:
    """``Decimal("0.20")`` → ``20%`` (exact, no float)."""
    return f"{format((Decimal(str(value)) * 100).normalize(), 'f')}%"


def money(fen: int | None) -> str:
    """Fen as 万元, with 亿元 in brackets for whole 亿 (``10,000万元（1亿元）``)."""
    if fen is None:
        return "—"
    text = format_wan(fen)
    if fen and fen % FEN_PER_YI == 0:
        text += f"（{fen // FEN_PER_YI}亿元）"
    return text


def format_value(value: Any, unit: str) -> str:
    """A parameter value for people: 万元, %, lists in Chinese, “未设定” when unset."""
    if value is None:
        return "未设定"
    if unit == "fen" and isinstance(value, int):
        return money(value)
    if unit == "ratio":
        return percent(value)
    if unit == "list" and isinstance(value, list):
        return "、".join(value_label(v) for v in value)
    if unit == "bands" and isinstance(value, list):
        parts = []
        for band in value:
            bound = f"≥{band['min']}" if "min" in band else f"≤{band['max']}"
            parts.append(f"{bound}：{band.get('points')}")
        return "；".join(parts)
    if unit == "months":
        return f"{value} 个月"
    if unit == "years":
        return f"{value} 年"
    if unit == "days":
        return f"{value} 天"
    if unit == "bool":
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "；".join(f"{value_label(k)}：{v}" for k, v in value.items())
    return str(value)


def latest_value(param: Parameter) -> Any:
    """The value of the parameter's latest period (None when unset)."""
    return param.periods[-1].value if param.periods else None


def latest_version(param: Parameter) -> str:
    """The approved change (``PV12``) the latest period comes from; "" for the shipped YAML."""
    return param.periods[-1].version if param.periods else ""


HISTORY_PATH = "/policy/parameters/history/{pid}/"


def history_url(pid: str) -> str:
    """The page of a parameter's values and changes (``web:parameter_history``; its plain path if the route is
    not installed)."""
    try:
        return reverse("web:parameter_history", args=[pid])
    except NoReverseMatch:
        return HISTORY_PATH.format(pid=pid)


def param_text(pack: Pack, pid: str) -> str:
    param = pack.parameters[pid]
    value = latest_value(param)
    return "待公布" if value is None else format_value(value, param.unit)


# ---- packs and the catalogue ---------------------------------------------------------------------------


def pack_window(pack: Pack) -> tuple[date | None, date | None]:
    """The pack's window as it stands (its dates, or its window parameters' values; None while unset)."""
    return hygiene.pack_window(pack)


def window_text(pack: Pack) -> str:
    """``2024-01-27 至 2025-12-31``; an end not yet published reads 待公布."""
    start, end = pack_window(pack)
    return f"{start or '待公布'} 至 {end or '待公布'}"


def pack_name(pack: Pack) -> str:
    """How a pack is named for people: 文号《标题》, or 《标题》 with the adoption date when the number is unknown."""
    if pack.document_known:
        return f"{pack.document}《{pack.title}》"
    return f"《{pack.title}》（{pack.issued} 印发，文号未查得）"


def pack_state(pack: Pack, today: date) -> dict[str, Any]:
    """有效 / 已到期 / 未生效 / 有效期待公布 (the status ``domain.policy.hygiene`` decides), with the days left or
    past."""
    state = hygiene.pack_window_state(pack, today)
    start, end = state.start, state.end
    if state.status is hygiene.Status.EXPIRED:
        label, css = "已到期", "text-bg-danger"
        note = f"有效期已于 {end} 届满（已过 {state.days_past} 天）"
    elif state.window_unset:
        label, css = "有效期待公布", "text-bg-warning"
        missing = (
            "施行日期和有效期"
            if start is None and end is None
            else ("施行日期" if start is None else "有效期截止日")
        )
        note = f"已于 {pack.issued} 印发，{missing}尚未查得；公布前平台对其事项不兑现"
    elif state.status is hygiene.Status.DRAFT:
        label, css = "未生效", "text-bg-secondary"
        note = f"自 {start} 起施行" if start is not None else f"{pack.issued} 印发"
    else:
        label, css = "有效", "text-bg-success"
        note = f"有效期至 {end}（剩余 {state.days_left} 天）" if end is not None else "长期有效"
    return {
        "label": label,
        "css": css,
        "note": note,
        "expired": state.status is hygiene.Status.EXPIRED,
        "in_force": state.status is hygiene.Status.IN_FORCE,
        "window_unset": state.window_unset,
        "window": window_text(pack),
    }


STATUS_TEXT = {status: label for status, label in STATUSES.items()}


def pack_gaps(pack: Pack, today: date, documents: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What a pack still lacks on ``today`` (within its window): unset parameters, values from secondary or
    unconfirmed sources (judged by ``domain.policy.hygiene``, as ``srdi policy check`` does), unknown items.

    ``pack`` is the pack in force (``services.parameters.packs_in_force``): a parameter the bureau has set by an
    approved change is no longer unset, and its value, being official under the document the change names, is
    no longer doubtful. ``documents`` maps a change's version to that document."""
    documents = documents or {}
    unset = []
    doubtful = []
    changed = []
    for pid, param in pack.parameters.items():
        if pid.startswith("fiscal_share."):
            continue  # shared by every pack; shown with the split
        on = hygiene.parameter_day(pack, pid, today)
        resolved = param.at(on)
        row = {
            "id": pid,
            "label": param.label,
            "reference": param.reference,
            "note": param.note,
            "status": param.status,
            "status_label": STATUS_TEXT.get(param.status, param.status),
            "value": format_value(resolved.value if resolved else None, param.unit),
            "measure": _measure_of(pack, pid),
            "version": latest_version(param),
            "document": documents.get(latest_version(param), ""),
            "history_url": history_url(pid),
        }
        if any(p.version for p in param.periods):
            changed.append(row)
        if hygiene.unset_on(param, on):
            unset.append(row)
        elif hygiene.doubt(param, on) is not None:
            doubtful.append(row)
    unknown = [{"item": u.item, "note": u.note, "reference": u.reference} for u in pack.unknown]
    return {
        "pack": pack,
        "name": pack_name(pack),
        "source_status": STATUS_TEXT.get(pack.source_status, pack.source_status),
        "secondary_source": pack.source_status != "official",
        "sources": list(pack.sources),
        "unset": unset,
        "doubtful": doubtful,
        "changed": changed,
        "unknown": unknown,
        "count": len(unset) + len(doubtful) + len(unknown),
        "document_known": pack.document_known,
        "cost_sharing": pack.cost_sharing,
    }


def _measure_of(pack: Pack, pid: str) -> dict[str, str] | None:
    for m in pack.measures:
        if pid in measure_param_ids(pack, m):
            return {"label": m.label, "title": m.title, "url": measure_url(m)}
    return None


def measure_param_ids(pack: Pack, m: Measure) -> list[str]:
    """Every parameter a measure uses (``domain.policy.hygiene.measure_parameter_ids``)."""
    return hygiene.measure_parameter_ids(pack, m)


def amount_state(pack: Pack, m: Measure) -> dict[str, Any]:
    """Whether the measure's amounts are set: ``set``, ``partial`` (some 按规定 parts 待公布), ``unset``, ``none``."""
    if not m.is_money:
        return {"code": "none", "label": "不涉及资金", "css": "rs-na", "unset": []}
    engine: set[str] = set(m.amount.parameter_ids()) if m.amount else set()
    if m.standing and m.amount is None:
        # A measure paid by events (第7条 scenes, 第12条 brand lists) is "set" even if a 按规定 part is not.
        engine.update(m.standing.amount_params)
    related = measure_param_ids(pack, m)
    unset = [pid for pid in related if latest_value(pack.parameters[pid]) is None]
    labels = [{"id": pid, "label": pack.parameters[pid].label} for pid in unset]
    if any(pid in engine for pid in unset):
        return {"code": "unset", "label": "金额待公布", "css": "rs-scored", "unset": labels}
    if unset:
        return {"code": "partial", "label": "部分标准待公布", "css": "rs-unknown", "unset": labels}
    return {"code": "set", "label": "金额已设定", "css": "rs-pass", "unset": []}


def measure_url(m: Measure) -> str:
    return reverse("web:policy_measure", args=[m.pack, m.article])


def _kinds(m: Measure) -> list[dict[str, str]]:
    return [{"code": k, "label": KIND_LABELS.get(k, k), "css": KIND_CLASSES.get(k, "")} for k in m.kinds]


def _events(m: Measure) -> list[dict[str, str]]:
    return [{"code": e, "label": event_label(e)} for e in m.events]


def measure_card(pack: Pack, m: Measure) -> dict[str, Any]:
    """What the catalogue shows of one measure."""
    kinds = _kinds(m)
    events = _events(m)
    responsible = "、".join(m.responsible)
    words = [m.label, m.reference, m.id, m.title, m.summary, m.who, m.amount_text, m.cap_text, responsible]
    words += [e["label"] for e in events] + list(m.events) + [k["label"] for k in kinds]
    return {
        "m": m,
        "url": measure_url(m),
        "kinds": kinds,
        "events": events,
        "amount": amount_state(pack, m),
        "responsible": responsible,
        "search": " ".join(words).lower(),
    }


def matches(card: dict[str, Any], kind: str, q: str) -> bool:
    """The catalogue filter (policy.js applies the same rule in the browser)."""
    if kind and kind not in card["m"].kinds:
        return False
    terms = q.lower().split()
    return all(t in card["search"] for t in terms)


def catalogue(packs: tuple[Pack, ...], today: date, *, kind: str = "", q: str = "") -> list[dict[str, Any]]:
    """Every pack with its state and its measures (filtered by kind and search text)."""
    out = []
    for p in packs:
        cards = [measure_card(p, m) for m in p.measures]
        for c in cards:
            c["shown"] = matches(c, kind, q)
        gaps = pack_gaps(p, today)
        out.append(
            {
                "pack": p,
                "name": pack_name(p),
                "gaps": gaps,
                "gaps_url": reverse("web:policy_gaps", args=[p.id]),
                "state": pack_state(p, today),
                "warnings": expiry_warnings((p,), today),
                "cards": cards,
                "shown": sum(1 for c in cards if c["shown"]),
                "kind_counts": [
                    {"label": label, "count": sum(1 for m in p.measures if k in m.kinds)}
                    for k, label in KIND_LABELS.items()
                ],
                "successor": p.extra.get("successor", ""),
                "predecessor": p.extra.get("predecessor", ""),
            }
        )
    return out


# ---- one measure: conditions, formula, parameters, guide ----------------------------------------------


def _condition_row(pack: Pack, c: Condition, standing: bool) -> dict[str, Any]:
    return {
        "id": c.id,
        "label": c.label,
        "reference": pack.srdi_reference if c.kind == "srdi_enterprise" else c.reference,
        "param": c.param,
        "param_value": param_text(pack, c.param) if c.param else "",
        "only_for": event_label(c.only_for) if c.only_for else "",
        "standing": standing,
        "not_applicable": c.kind == "not_applicable",
        "needs_document": c.kind == "missing_data",
    }


def conditions(pack: Pack, m: Measure) -> list[dict[str, Any]]:
    """Every condition with its reference; standing ones are judged on the evaluation date."""
    rows = [_condition_row(pack, c, False) for c in m.conditions]
    if m.standing:
        rows += [_condition_row(pack, c, True) for c in m.standing.conditions]
    return rows


_p = param_text


AMOUNT_UNITS = ("fen", "bands")


def conditions_of(m: Measure) -> list[Condition]:
    """The event conditions and the standing conditions of a measure."""
    return list(m.conditions) + list(m.standing.conditions if m.standing else ())


def formula(pack: Pack, m: Measure) -> list[str]:
    """The amount rule in words, each parameter shown with its current value."""
    lines: list[str] = []
    a = m.amount
    if a is not None:
        if a.kind == "fixed":
            lines.append(f"每项定额：{pack.parameters[a.param].label} {_p(pack, a.param)}。")
        elif a.kind == "by_field":
            parts = "；".join(f"{value_label(k)} {_p(pack, pid)}" for k, pid in a.params.items())
            lines.append(f"按{FIELD_LABELS.get(a.field, a.field)}取定额：{parts}。")
        elif a.kind == "rate_of_base":
            base = FIELD_LABELS.get(a.base, a.base)
            cap = f"，最高 {_p(pack, a.cap_match)}" if a.cap_match else ""
            if a.switch_param:
                field = FIELD_LABELS.get(a.switch_field, a.switch_field)
                switch = pack.parameters[a.switch_param]
                cap_other = f"，最高 {_p(pack, a.cap_other)}" if a.cap_other else ""
                lines.append(
                    f"补助 = {base} × 比例：{field}属于{switch.label}（{_p(pack, a.switch_param)}）的，"
                    f"按 {_p(pack, a.rate_match)}{cap}；其他按 {_p(pack, a.rate_other)}{cap_other}。"
                )
            else:
                lines.append(f"补助 = {base} × {_p(pack, a.rate_match)}{cap}。")
        elif a.kind == "ratio_of_field":
            lines.append(f"奖励 = {FIELD_LABELS.get(a.field, a.field)} × 奖励比例（{_p(pack, a.param)}）。")
        elif a.kind == "tranche":
            lines.append(
                f"每家企业最高 {_p(pack, a.param)}：{event_label(a.first)}时下达首期 = {_p(pack, a.param)} × "
                f"首期比例（{_p(pack, a.share)}），其余事件（评价通过）下达余额 = {_p(pack, a.param)} − 首期。"
            )
        elif a.kind == "loan_interest":
            lines.append(
                f"贴息 = {FIELD_LABELS.get(a.principal, a.principal)} × {_p(pack, a.param)} × "
                f"贷款期限月数（最多 {_p(pack, a.max_months)}）÷ 12，且不超过{FIELD_LABELS.get(a.paid, a.paid)}。"
            )
    if m.selection_quota:
        lines.append(
            f"入选名额：{pack.parameters[m.selection_quota.param].label} {_p(pack, m.selection_quota.param)}"
            f"（按入选日所在自然年计；超出的入选及其后续兑现不予兑现）。"
        )
        if m.selection_quota.period:
            lines.append(
                f"支持期：{_p(pack, m.selection_quota.period)}，自入选日起算；同一企业在支持期内不重复入选。"
            )
    if m.annual_cap:
        field = FIELD_LABELS.get(m.annual_cap.date_field, m.annual_cap.date_field)
        lines.append(
            f"年度上限：{pack.parameters[m.annual_cap.param].label} {_p(pack, m.annual_cap.param)}"
            f"（按{field}所在自然年累计）。"
        )
    cited = set(a.parameter_ids()) if a is not None else set()
    cited.update(c.param for c in conditions_of(m) if c.param)  # thresholds, shown with the conditions
    if m.annual_cap:
        cited.add(m.annual_cap.param)
    if m.selection_quota:
        cited.update(p for p in (m.selection_quota.param, m.selection_quota.period) if p)
    if m.is_money:
        # Other amounts of the measure (按规定 rewards, the standing amount and its siblings, budgets).
        for pid in measure_param_ids(pack, m):
            if pid not in cited and pack.parameters[pid].unit in AMOUNT_UNITS:
                lines.append(f"{pack.parameters[pid].label}：{_p(pack, pid)}。")
        split = (
            "兑现金额按现行财政体制由市与区、县（市）分担。"
            if pack.cost_sharing
            else "市、区县分担办法尚未查得，兑现记录暂不列市、区县各自承担金额。"
        )
        lines.append("金额四舍五入到分，先取整后封顶；" + split)
    return lines


def parameter_rows(
    pack: Pack, m: Measure, documents: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The measure's parameters, each period with the approved change it comes from (version and document; none
    for the shipped YAML) and a link to the parameter's history."""
    documents = documents or {}
    rows = []
    for pid in measure_param_ids(pack, m):
        param = pack.parameters[pid]
        periods = [
            {
                "start": p.start,
                "end": p.end,
                "value": format_value(p.value, param.unit),
                "unset": p.value is None,
                "version": p.version,
                "document": documents.get(p.version, ""),
            }
            for p in param.periods
        ]
        rows.append(
            {
                "id": pid,
                "label": param.label,
                "unit": UNIT_LABELS.get(param.unit, param.unit),
                "reference": param.reference,
                "note": param.note,
                "periods": periods,
                "unset": latest_value(param) is None,
                "status": param.status,
                "status_label": ""
                if param.status == "official" or latest_version(param)
                else STATUS_TEXT.get(param.status, param.status),
                "history_url": history_url(pid),
            }
        )
    return rows


def overlap_view(pack: Pack, m: Measure, packs: tuple[Pack, ...] = ()) -> dict[str, Any] | None:
    """The measure's overlap group and the other measures in it, of this pack and of ``packs`` (81号 第3条 and
    若干措施（一） pay the same first recognition once)."""
    if m.overlap is None:
        return None
    every = [o for p in (pack, *(p for p in packs if p.id != pack.id)) for o in p.measures]
    same = [o for o in every if o.overlap and o.overlap.group == m.overlap.group and o is not m]
    matter = "、".join(MATTER_LABELS.get(f, FIELD_LABELS.get(f, f)) for f in m.overlap.matter)
    return {
        "unverified": pack.source_status != "official",
        "group": m.overlap.group,
        "matter": matter or "企业（每家企业一次）",
        "fields": m.overlap.matter,
        "others": [
            {
                "m": o,
                "url": measure_url(o),
                "name": f"{o.label} {o.title}" if o.pack == pack.id else f"{o.reference} {o.title}",
            }
            for o in same
        ],
    }


SRDI_CONDITIONS = ("srdi_enterprise", "tier_valid", "holds_title", "first_of_tier", "holds_tier")


def route(pack: Pack, m: Measure) -> dict[str, str]:
    """免申即享 or 申报 (or why the measure is not claimed by an enterprise)."""
    standing = m.standing.conditions if m.standing else ()
    if m.events and m.amount is not None:
        return {
            "label": "免申即享",
            "css": "st-eligible",
            "text": (
                f"平台按已登记的{'、'.join(event_label(e) for e in m.events)}事件自动比对条件、计算金额；"
                "符合条件的，由主管部门推送兑现要约，企业确认即可。数据不全的，按提示补充后办理；"
                "尚未登记的事项，由企业向所在区、县（市）经信部门申报。"
            ),
        }
    if any(c.kind == "not_applicable" for c in standing):
        return {
            "label": "不面向单个企业",
            "css": "rs-na",
            "text": "本条面向园区运营机构等主体，不按单个企业兑现；由责任单位组织评选。",
        }
    if m.is_money and m.standing is not None:
        text = "资格与优先支持按有效称号直接适用；资金" if "qualification" in m.kinds else ""
        text += "由企业按责任单位发布的申报通知提交材料申报"
        if any(c.kind == "missing_data" for c in standing):
            text += "（需提供认定文件）"
        if amount_state(pack, m)["code"] == "unset":
            text += "；金额标准尚未公布，待公布后办理"
        return {"label": "申报", "css": "rs-scored", "text": text + "。"}
    if m.standing is not None:
        return {
            "label": "无需申报",
            "css": "rs-pass",
            "text": "持有有效称号即享受资格或优先支持，由责任单位在相关工作中落实。",
        }
    return {
        "label": "不涉及企业申兑",
        "css": "rs-na",
        "text": "本条为市级工作目标或服务事项，由责任单位组织实施，企业无需申报。",
    }


def data_needed(m: Measure) -> dict[str, Any]:
    """Materials (the guide's list) and the exchange-format fields the engine reads, grouped by event."""
    groups: list[dict[str, Any]] = []
    for e in m.events:
        items = [{"label": FIELD_LABELS.get(f, f), "field": f} for f in EVENT_FIELDS.get(e, ())]
        groups.append({"title": f"{event_label(e)}事件", "code": f"events[] kind={e}", "items": items})
    profile: list[dict[str, str]] = []
    all_conditions = conditions_of(m)
    if any(c.kind in SRDI_CONDITIONS for c in all_conditions):
        profile.append({"label": "梯度认定（层级、认定日期、到期日）", "field": "certifications[]"})
    for c in all_conditions:
        if c.kind == "figure_at_least" and c.figure:
            year = "上年度" if c.year == "prior" else ""
            label = f"{year}{FIELD_LABELS.get(c.figure, c.figure)}"
            profile.append({"label": label, "field": f"financials.<年度>.{c.figure}"})
    if profile:
        groups.append({"title": "企业画像", "code": "", "items": profile})
    return {"materials": list(m.guide.get("data") or []), "groups": groups}


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def targets_view(pack: Pack, m: Measure) -> dict[str, Any] | None:
    if not m.targets or m.targets not in pack.targets:
        return None
    spec = pack.targets[m.targets]
    items = []
    for item in spec.get("items") or []:
        when = ""
        if item.get("by"):
            when = f"截至 {item['by']}"
        elif item.get("per") == "year":
            when = "每年"
        ceiling = item.get("kind") == "ceiling"
        items.append(
            {
                "label": item.get("label", item.get("id", "")),
                "value": f"{'不超过' if ceiling else ''}{_count(item.get('value'))} {item.get('unit', '')}".strip(),
                "when": when,
                "tier": TIERS.get(item.get("tier", ""), ""),
            }
        )
    return {"reference": spec.get("reference", ""), "items": items}


def guide(pack: Pack, m: Measure, today: date) -> dict[str, Any]:
    """The 申兑指南: data needed, who decides, timeline, route, targets, and the window."""
    state = pack_state(pack, today)
    if state["window_unset"]:
        window_note = (
            f"本政策于 {pack.issued} 印发，施行日期和有效期尚未查得（{window_text(pack)}）；"
            "有效期公布前，平台对相关事项给出“政策有效期待公布”，不兑现；早于印发日的事项不适用本政策。"
        )
    else:
        window_note = f"本政策有效期 {window_text(pack)}，只对日期在有效期内的事项兑现。"
    if state["expired"]:
        window_note += "有效期已届满，之后发生的事项不适用本政策"
        successor = pack.extra.get("successor")
        window_note += f"；后续政策：{successor}。" if successor else "。"
    how = route(pack, m)
    if state["window_unset"] and m.events:
        how = {**how, "text": how["text"] + "有效期公布前，平台只显示“政策有效期待公布”，不推送兑现要约。"}
    return {
        "route": how,
        "data": data_needed(m),
        "decides": m.guide.get("decides") or "、".join(m.responsible),
        "decides_default": not m.guide.get("decides"),
        "timeline": m.guide.get("timeline") or "以责任单位发布的通知为准",
        "timeline_default": not m.guide.get("timeline"),
        "window_note": window_note,
        "targets": targets_view(pack, m),
    }


def measure_view(
    pack: Pack,
    m: Measure,
    today: date,
    packs: tuple[Pack, ...] = (),
    documents: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the measure page shows (``pack`` in force; ``documents``: version → the change's document)."""
    articles = [x.article for x in pack.measures]
    i = articles.index(m.article)
    return {
        "pack": pack,
        "pack_name": pack_name(pack),
        "m": m,
        "state": pack_state(pack, today),
        "card": measure_card(pack, m),
        "conditions": conditions(pack, m),
        "formula": formula(pack, m),
        "parameters": parameter_rows(pack, m, documents),
        "overlap": overlap_view(pack, m, packs),
        "guide": guide(pack, m, today),
        "standing_note": m.standing.note if m.standing else "",
        "previous": pack.measures[i - 1] if i > 0 else None,
        "next": pack.measures[i + 1] if i + 1 < len(pack.measures) else None,
    }


# ---- one enterprise's entitlements ---------------------------------------------------------------------


def _strip(explanation: str, record: dict[str, Any]) -> str:
    """The engine's explanation without what the row already shows (the measure and the status sentence)."""
    prefix = f"{record.get('reference', '')}（{record.get('title', '')}）："
    text = explanation.removeprefix(prefix)
    status = STATUS_ZH.get(str(record.get("status")), "")
    if status and text.startswith(f"{status}。"):
        text = text[len(status) + 1 :]
    return text


def _event_inputs(record: dict[str, Any]) -> dict[str, Any]:
    for b in record.get("basis") or []:
        if b.get("type") == "inputs":
            return dict(b.get("event") or {})
    return {}


def _event_name(kind: str, inputs: dict[str, Any], fallback: str) -> str:
    if kind in ("recognition", "relocation_in"):
        return f"{event_label(kind)}：{TIERS.get(inputs.get('tier') or '', '层级未知')}"
    if kind in ("growth_support_selection", "growth_support_evaluation"):
        return f"{event_label(kind)}（批次 {inputs.get('selection_id') or '未知'}）"
    if kind == "brand_listing":
        return f"{event_label(kind)}：{value_label(inputs.get('list') or '未知榜单')}（{inputs.get('year') or '年度未知'}）"
    if kind == "tech_transaction":
        return f"{event_label(kind)}：{inputs.get('year') or '年度未知'}年度"
    key = inputs.get("project_id") or inputs.get("loan_id") or inputs.get("scene_id") or fallback
    return f"{event_label(kind)} {key}"


def _missing_label(item: str) -> str:
    if item == "certifications":
        return "梯度认定记录（层级、认定日期）"
    if item == "events.growth_support_selection":
        return FIELD_LABELS["growth_support_selection"]
    field = item.rsplit(".", 1)[-1]
    return FIELD_LABELS.get(field, field)


def _superseded(value: str | None, packs_by_id: dict[str, Pack]) -> dict[str, str] | None:
    if not value:
        return None
    if value.startswith("已支付:"):
        return {"text": f"同一事项已支付（{value.split(':', 1)[1]}）", "url": ""}
    mid, _, label = value.partition(":")
    pack_id, _, article = mid.partition(".")
    pack = packs_by_id.get(pack_id)
    if pack is not None and is_digits(article) and len(article) <= 3:
        try:
            m = pack.measure(int(article))
        except KeyError:
            return {"text": value, "url": ""}
        return {"text": f"{m.reference} {m.title}（{label}）", "url": measure_url(m)}
    return {"text": value, "url": ""}


def _condition_results(record: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for b in record.get("basis") or []:
        if b.get("type") not in ("condition", "window"):
            continue
        result = str(b.get("result") or "unknown")
        param = b.get("parameter") or {}
        rows.append(
            {
                "label": b.get("label", ""),
                "reference": b.get("reference", ""),
                "result": RESULT_LABELS.get(result, result),
                "css": RESULT_CLASSES.get(result, "rs-na"),
                "param": param.get("id", ""),
            }
        )
    return rows


def _status(status: str, *, qualification: bool = False) -> dict[str, str]:
    label = STATUS_LABELS.get(status, status)
    if status == "granted" and qualification:
        label = "符合"
    return {"code": status, "label": label, "css": STATUS_CLASSES.get(status, "rs-na")}


def _measure_link(record: dict[str, Any], packs_by_id: dict[str, Pack]) -> tuple[str, str]:
    """The measure page of a record and the measure's short name (第9条, 措施（二）)."""
    pack = packs_by_id.get(str(record.get("policy")))
    if pack is not None:
        try:
            m = pack.measure(int(record["article"]))
        except KeyError:
            pass
        else:
            return measure_url(m), m.label
    return "", f"第{record['article']}条"


def _event_row(record: dict[str, Any], packs_by_id: dict[str, Pack]) -> dict[str, Any]:
    inputs = _event_inputs(record)
    kind = str(record.get("event_kind") or inputs.get("kind") or "")
    status = str(record["status"])
    granted = status == "granted"
    url, label = _measure_link(record, packs_by_id)
    return {
        "article": record["article"],
        "label": label,
        "reference": record.get("reference", ""),
        "title": record.get("title", ""),
        "url": url,
        "event": _event_name(kind, inputs, str(record.get("event") or "")),
        "date": inputs.get("date") or inputs.get("contract_date") or "",
        "status": _status(status),
        "amount": money(record.get("amount_fen")) if granted else "—",
        "city": format_wan(record.get("city_fen")) if granted and record.get("city_fen") is not None else "",
        "district": (
            format_wan(record.get("district_fen"))
            if granted and record.get("district_fen") is not None
            else ""
        ),
        "computed": (
            format_wan(record["computed_fen"])
            if status == "superseded" and record.get("computed_fen")
            else ""
        ),
        "superseded_by": _superseded(record.get("superseded_by"), packs_by_id),
        "explanation": _strip(str(record.get("explanation") or ""), record),
        "missing": [_missing_label(x) for x in record.get("missing") or []],
        "checks": _condition_results(record),
    }


def _standing_row(record: dict[str, Any], packs_by_id: dict[str, Pack]) -> dict[str, Any]:
    qualification = record.get("kind") == "qualification"
    url, label = _measure_link(record, packs_by_id)
    amount = record.get("amount_fen")
    explanation = _strip(str(record.get("explanation") or ""), record)
    if record["status"] == "granted" and qualification:
        explanation = ""  # the badge says 符合 and the type says 资格/优先
    elif record["status"] == "amount_unset":
        unset = [
            b["parameter"].get("label", "") for b in record.get("basis") or [] if b.get("type") == "amount"
        ]
        explanation = "符合条件；金额标准尚未公布" + (f"（{'、'.join(unset)}）" if unset else "")
    return {
        "article": record["article"],
        "label": label,
        "reference": record.get("reference", ""),
        "title": record.get("title", ""),
        "url": url,
        "kind": "资格/优先" if qualification else "资金",
        "status": _status(str(record["status"]), qualification=qualification),
        "amount": money(amount) if amount else "",
        "explanation": explanation,
        "note": record.get("note") or "",
        "checks": _condition_results(record),
    }


def entitlements_view(
    enterprise: Enterprise, packs: tuple[Pack, ...], today: date, stored: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The 政策兑现 section: event records, standing records, the measures without a record, and totals
    (``packs`` are the packs in force; ``stored`` the profile when already read: ``exports.stored_profile``)."""
    try:
        result = enterprise_entitlements(enterprise, stored=stored, packs=packs)
    except (DocumentError, RecordError, RuleDataError) as exc:
        logger.warning("entitlements of enterprise %s failed: %s", enterprise.pk, exc)
        return {"error": f"暂时无法计算政策兑现：{exc}"}
    packs_by_id = {p.id: p for p in packs}
    events = [_event_row(r, packs_by_id) for r in result["events"]]
    standing = [_standing_row(r, packs_by_id) for r in result["standing"]]
    granted = [r for r in result["events"] if r["status"] == "granted"]
    counts = {s: 0 for s in STATUS_ORDER}
    for r in result["events"]:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    with_record = {(r["policy"], r["article"]) for r in result["events"] + result["standing"]}
    no_events: list[dict[str, Any]] = []
    not_per_enterprise: list[dict[str, Any]] = []
    for p in packs:
        for m in p.measures:
            if (p.id, m.article) in with_record:
                continue
            item = {"m": m, "url": measure_url(m), "events": "、".join(event_label(e) for e in m.events)}
            (no_events if m.events else not_per_enterprise).append(item)
    policies = [{"pack": p, "name": pack_name(p), "state": pack_state(p, today)} for p in packs]
    return {
        "error": "",
        "as_of": result["as_of"],
        "policies": policies,
        "events": events,
        "standing": standing,
        "total": money(result["total_fen"]) if result["total_fen"] else "0万元",
        "total_fen": result["total_fen"],
        "city": format_wan(sum(int(r.get("city_fen") or 0) for r in granted)),
        "district": format_wan(sum(int(r.get("district_fen") or 0) for r in granted)),
        "counts": [
            {"label": STATUS_LABELS[s], "css": STATUS_CLASSES[s], "count": counts[s]}
            for s in STATUS_ORDER
            if counts.get(s)
        ],
        "granted_count": len(granted),
        "standing_granted": sum(1 for r in result["standing"] if r["status"] == "granted"),
        "standing_unset": sum(1 for r in result["standing"] if r["status"] == "amount_unset"),
        "no_events": no_events,
        "not_per_enterprise": not_per_enterprise,
    }


# ---- cost simulation -----------------------------------------------------------------------------------

SIMULATION_YEARS = (2024, 2025)


def can_simulate(user: User) -> Verdict:
    """City staff and administrators, finance, auditors and leaders cost the policy over the whole city."""
    return scoping.can(user, Permission.SIMULATE)


@dataclass(frozen=True)
class Override:
    """One parameter override as typed by the user and as passed to the engine."""

    pid: str
    raw: str
    value: Any
    shown: str


class OverrideInputError(ValueError):
    """A value that cannot be read for its parameter's unit (the message says why)."""

    def __init__(self, pid: str, reason: str):
        super().__init__(f"{pid}：{reason}")
        self.pid = pid
        self.reason = reason


def parse_override(pack_params: dict[str, Parameter], pid: str, raw: str) -> Override:
    """Read a typed value for its parameter's unit: 比例 as 0.15 or 15%, 金额 as 分 or with 万/亿, lists by 、/,.

    An unknown id is passed through unchanged so that the engine's ``OverrideError`` reports it.
    """
    text = raw.strip()
    param = pack_params.get(pid)
    if param is None:
        return Override(pid, text, text, text)
    unit = param.unit
    try:
        if unit == "ratio":
            value = (
                decimal_from_text(text[:-1]) / 100 if text.endswith(("%", "％")) else decimal_from_text(text)
            )
            if not Decimal(0) <= value <= Decimal(1):
                raise ValueError("比例应在 0 与 1 之间（可写 0.15 或 15%）")
            return Override(pid, text, format(value.normalize(), "f"), percent(value))
        if unit == "fen":
            amount = fen_from_text(text)
            if amount != amount.to_integral_value():
                raise ValueError("金额须为整数分")
            if amount < 0:
                raise ValueError("金额不能为负数")
            return Override(pid, text, int(amount), money(int(amount)))
        if unit in ("count", "months", "years", "days", "points"):
            number = decimal_from_text(text)
            if number != number.to_integral_value() or number < 0:
                raise ValueError("应为非负整数")
            return Override(pid, text, int(number), format_value(int(number), unit))
        if unit == "list":
            items = [s.strip() for s in text.replace("，", ",").replace("、", ",").split(",") if s.strip()]
            if not items:
                raise ValueError("列表不能为空（以逗号或顿号分隔）")
            return Override(pid, text, items, format_value(items, unit))
        if unit == "bool":
            lowered = text.lower()
            if lowered not in ("是", "否", "true", "false", "1", "0"):
                raise ValueError("应为 是/否")
            flag = lowered in ("是", "true", "1")
            return Override(pid, text, flag, format_value(flag, unit))
        if unit == "date":
            return Override(pid, text, date.fromisoformat(text), text)
    except ValueError as exc:
        raise OverrideInputError(pid, str(exc) or "格式不正确") from None
    raise OverrideInputError(pid, f"单位为“{UNIT_LABELS.get(unit, unit)}”的参数不能在此页面修改")


def _wan_number(fen: int) -> str:
    """Fen as a plain 万元 decimal string for charts (exact; the browser only plots it)."""
    return format((Decimal(fen) / FEN_PER_WAN).quantize(Decimal("0.0001")).normalize(), "f")


def _share(part: int, whole: int) -> str:
    if not whole:
        return "—"
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(Decimal('0.1'))}%"


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + format_wan(fen) if fen else "0"


def _rows(frame: Any, key: str) -> dict[Any, dict[str, int]]:
    return {
        r[key]: {k: int(r[k] or 0) for k in ("amount_fen", "city_fen", "district_fen", "grants")}
        for r in frame.iter_rows(named=True)
    }


ZERO = {"amount_fen": 0, "city_fen": 0, "district_fen": 0, "grants": 0}


def _n(fen: int) -> str:
    """Fen as a 万元 number for tables whose header says 万元 (``1,000.2``)."""
    return format_wan(fen).removesuffix("万元")


def _money_row(values: dict[str, int], changed: dict[str, int] | None) -> dict[str, Any]:
    """One line of totals: texts with 万元 (``amount``) and bare 万元 numbers for tables (``amount_n``)."""
    row: dict[str, Any] = {
        "grants": values["grants"],
        "amount_fen": values["amount_fen"],
        "city_share": _share(values["city_fen"], values["amount_fen"]),
    }
    for key in ("amount", "city", "district"):
        row[key] = format_wan(values[f"{key}_fen"])
        row[f"{key}_n"] = _n(values[f"{key}_fen"])
    if changed is not None:
        row.update(
            {
                "changed_amount": format_wan(changed["amount_fen"]),
                "changed_n": _n(changed["amount_fen"]),
                "changed_grants": changed["grants"],
                "delta_fen": changed["amount_fen"] - values["amount_fen"],
                "delta_grants": changed["grants"] - values["grants"],
            }
        )
        for key in ("amount", "city", "district"):
            delta = changed[f"{key}_fen"] - values[f"{key}_fen"]
            name = "delta" if key == "amount" else f"delta_{key}"
            row[name] = _signed(delta)
            row[f"{name}_n"] = ("+" if delta > 0 else "") + _n(delta) if delta else "0"
    return row


SIM_STATUS_ORDER = (
    "granted",
    "amount_unset",
    "window_unset",
    "needs_data",
    "not_eligible",
    "superseded",
    "outside_policy_window",
)


def simulation_view(
    pack: Pack,
    year: int,
    base: Simulation,
    changed: Simulation | None,
    diff: dict[str, Any] | None,
) -> dict[str, Any]:
    """Totals, by measure and by district (all 13 districts), city/district shares and the override's effect."""
    t = base.totals
    measures = _rows(base.by_measure, "article")
    changed_measures = _rows(changed.by_measure, "article") if changed is not None else {}
    by_measure = []
    for article in sorted(set(measures) | set(changed_measures)):
        try:
            m: Measure | None = pack.measure(int(article))
        except KeyError:
            m = None
        row = _money_row(
            measures.get(article, ZERO), changed_measures.get(article, ZERO) if changed is not None else None
        )
        row.update({"article": article, "m": m, "url": measure_url(m) if m else ""})
        by_measure.append(row)
    dists = _rows(base.by_district, "district")
    changed_dists = _rows(changed.by_district, "district") if changed is not None else {}
    codes: list[str | None] = [d.code for d in districts()]
    codes += [c for c in sorted(set(dists) | set(changed_dists), key=lambda c: c or "") if c not in codes]
    by_district = []
    for code in codes:
        row = _money_row(
            dists.get(code, ZERO), changed_dists.get(code, ZERO) if changed is not None else None
        )
        row.update({"code": code or "", "name": district_name(code) if code else "未填区县"})
        by_district.append(row)
    totals = _money_row({k: t[k] for k in ZERO}, {k: changed.totals[k] for k in ZERO} if changed else None)
    totals["district_share"] = _share(t["district_fen"], t["amount_fen"])
    statuses: list[dict[str, Any]] = [
        {"code": s, "label": STATUS_LABELS[s], "css": STATUS_CLASSES[s], "count": base.statuses.get(s, 0)}
        for s in SIM_STATUS_ORDER
    ]
    changed_statuses = changed.statuses if changed is not None else {}
    for s in statuses:
        if changed is not None:
            s["changed"] = changed_statuses.get(s["code"], 0)
    return {
        "year": year,
        "events": base.events,
        "totals": totals,
        "amount_unset": t["amount_unset"],
        "warnings": list(dict.fromkeys([*base.warnings, *(changed.warnings if changed is not None else [])])),
        "statuses": statuses,
        "by_measure": by_measure,
        "by_district": by_district,
        "changed": changed is not None,
        "difference": diff,
        "district_chart": _chart(
            [r["name"] for r in by_district], dists, changed_dists if changed is not None else None, codes
        ),
        "measure_chart": _chart(
            [f"第{r['article']}条" for r in by_measure],
            measures,
            changed_measures if changed is not None else None,
            [r["article"] for r in by_measure],
        ),
    }


def _chart(
    labels: list[str],
    base: dict[Any, dict[str, int]],
    changed: dict[Any, dict[str, int]] | None,
    keys: list[Any],
) -> dict[str, Any]:
    """Data for policy.js: stacked city/district bars, or baseline vs adjusted totals when overrides apply."""
    if changed is None:
        series = [
            {
                "name": "市级承担",
                "stack": "total",
                "color": "#1d5fb4",
                "values": [_wan_number(base.get(k, ZERO)["city_fen"]) for k in keys],
            },
            {
                "name": "区县承担",
                "stack": "total",
                "color": "#7fb0e6",
                "values": [_wan_number(base.get(k, ZERO)["district_fen"]) for k in keys],
            },
        ]
    else:
        series = [
            {
                "name": "基准方案",
                "color": "#9aa6b8",
                "values": [_wan_number(base.get(k, ZERO)["amount_fen"]) for k in keys],
            },
            {
                "name": "调整参数后",
                "color": "#1d5fb4",
                "values": [_wan_number(changed.get(k, ZERO)["amount_fen"]) for k in keys],
            },
        ]
    return {"labels": labels, "series": series, "unit": "万元"}
