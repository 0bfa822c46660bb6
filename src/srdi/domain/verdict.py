"""A guard's answer: allowed or not, and why (shown to the user and written to the audit log)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """``ok`` with a human reason in Chinese and a stable machine ``code``."""

    ok: bool
    reason: str = ""
    code: str = ""

    def __bool__(self) -> bool:
        return self.ok


ALLOW = Verdict(True)


def deny(reason: str, code: str = "denied") -> Verdict:
    """A refusal with its reason."""
    return Verdict(False, reason, code)


# What a refusal's ``code`` means, for people (the audit log and the API keep the code; pages show the
# verdict's ``reason``, or this label where only the code is at hand).
REFUSAL_LABELS: dict[str, str] = {
    "denied": "不予办理",
    "already_paid": "已拨付",
    "amount_not_positive": "金额须大于零",
    "budget": "预算余额不足",
    "compliance": "存在失信或处罚记录",
    "evidence_missing": "缺少证明材料",
    "matter_held": "同一事项正在办理",
    "no_bank_account": "未填写收款账户",
    "no_budget": "预算尚未下达",
    "no_entitlement": "不符合兑现条件",
    "no_publicity": "未经公示",
    "offer_incomplete": "待企业补全信息",
    "open_objections": "有未处理的公示异议",
    "out_of_scope": "不在管辖范围",
    "outside_window": "不在申报期内",
    "programme_closed": "申报批次已结束",
    "publicity_running": "公示期未满",
    "quota": "名额已满",
    "reason_required": "须填写理由",
    "self_review": "不能审核本人经办的事项",
    "separation_of_duties": "经办与审核须由不同人员办理",
    "service_only": "须通过拨付批次办理",
    "unknown_transition": "未知操作",
    "wrong_state": "当前状态不能办理",
}
