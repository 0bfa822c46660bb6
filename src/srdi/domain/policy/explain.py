"""Turning entitlement rows into the contract's records, each with its basis and a Chinese explanation.

Use ``entitlement_record(result, row)``. The basis lists the inputs used, every condition with its outcome,
every parameter (value, reference, effective date), the arithmetic, the cap or annual pool that applied, the
overlap decision and the city/district split — all read from the engine's columns for that row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from srdi.domain.money import format_wan
from srdi.domain.policy.engine import Entitlements
from srdi.domain.policy.model import Amount, Measure

RESULT = {True: "pass", False: "fail", None: "unknown"}
RESULT_ZH = {True: "满足", False: "不满足", None: "数据不全"}
STATUS_ZH = {
    "granted": "予以兑现",
    "not_eligible": "不符合条件",
    "needs_data": "需补充数据",
    "amount_unset": "符合条件，金额标准尚未公布",
    "window_unset": "政策有效期尚未公布，暂不兑现",
    "outside_policy_window": "不在政策有效期内",
    "superseded": "按“从优、就高、不重复”由其他政策兑现",
}
EVENT_FIELDS = {
    "recognition": ("tier", "date"),
    "relocation_in": ("tier", "date"),
    "tech_renovation": (
        "project_id",
        "date",
        "industry",
        "total_investment_fen",
        "eligible_investment_since_2023_fen",
    ),
    "digital_transformation": ("project_id", "date", "eligible_investment_fen"),
    "loan": (
        "loan_id",
        "contract_date",
        "principal_fen",
        "annual_rate",
        "term_months",
        "interest_paid_fen",
        "guarantee_fee_rate",
    ),
    "brand_listing": ("list", "year", "date"),
    "scene_award": ("scene_id", "date"),
    "tech_transaction": ("year", "amount_fen", "date"),
    "growth_support_selection": ("selection_id", "date"),
    "growth_support_evaluation": ("selection_id", "date", "passed"),
}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _param(result: Entitlements, pid: str, day: date | None) -> dict[str, Any]:
    r = result.params.resolved(pid, day or date(2025, 1, 1))
    if r is None:
        return {"id": pid, "value": None, "reference": result.params.params[pid].reference, "unset": True}
    out = r.as_trace()
    if r.value is None:
        out["unset"] = True
    return out


def _fen(value: int | None) -> str:
    return "—" if value is None else format_wan(value)


def _percent(value: Any) -> str:
    return "—" if value is None else f"{format((Decimal(value) * 100).normalize(), 'f')}%"


class _Explainer:
    def __init__(self, result: Entitlements, row: dict[str, Any], part: dict[str, Any], m: Measure):
        self.r = result
        self.row = row
        self.part = part
        self.m = m
        self.day: date | None = row["event_date"]
        self.basis: list[dict[str, Any]] = []
        self.text: list[str] = []
        self.missing: list[str] = []

    def inputs(self) -> None:
        kind = self.row["kind"]
        fields = EVENT_FIELDS.get(kind, ())
        values = {f: _plain(self.part.get(f)) for f in fields}
        for f, v in values.items():
            if v is None:
                self.missing.append(f"events[{self.row['seq']}].{f}")
        self.basis.append({"type": "inputs", "event": {"kind": kind, **values}})

    def window(self) -> None:
        pack = self.r.pack(self.row["pack"])
        ok = self.row["in_window"]
        start, end = self.r.params.window(pack)
        day = self.row.get("window_date", self.day)
        unset = bool(self.row.get("window_unset"))
        item: dict[str, Any] = {
            "type": "window",
            "id": "policy_window",
            "label": "政策有效期",
            "reference": pack.reference,
            "from": _plain(start),
            "to": _plain(end),
            "date": _plain(day),
            "result": "unset" if unset else RESULT[ok],
        }
        if pack.window_by_parameters:
            item["parameters"] = [_param(self.r, pid, pack.issued) for pid in pack.window_params if pid]
            item["adopted"] = pack.issued.isoformat()
        self.basis.append(item)
        on = "入选日期" if day != self.day else "事件日期"
        if ok is False:
            if start is None and day is not None and day < pack.issued:
                self.text.append(
                    f"{on} {_plain(day)} 早于{pack.citation}印发日期 {pack.issued}，不适用本政策"
                )
            else:
                name = f" {pack.document} " if pack.document_known else pack.citation
                self.text.append(
                    f"{on} {_plain(day)} 不在{name}有效期（{_plain(start) or '待公布'} 至 {_plain(end) or '待公布'}）内"
                )
        elif unset:
            missing = [
                pid
                for pid, value in zip(pack.window_params, (start, end), strict=True)
                if pid and value is None
            ]
            self.text.append(
                f"{pack.citation}的有效期尚未公布（参数 {'、'.join(missing)} 未设定），公布前不兑现"
            )

    def conditions(self) -> None:
        pack = self.r.pack(self.row["pack"])
        for c in self.m.conditions:
            if c.only_for and self.row["kind"] != c.only_for:
                continue
            outcome = self.part.get(f"cond:{c.id}")
            unset = bool(self.part.get(f"unset:{c.id}"))
            item: dict[str, Any] = {
                "type": "condition",
                "id": c.id,
                "label": c.label,
                "kind": c.kind,
                "reference": pack.srdi_reference if c.kind == "srdi_enterprise" else c.reference,
                "result": "unset" if unset else RESULT[outcome],
            }
            if c.param:
                item["parameter"] = _param(self.r, c.param, self.day)
            if c.kind == "below_lpr":
                lpr = self.part.get("lpr_bp")
                item["lpr"] = {
                    "released_on": _plain(self.part.get("released_on")),
                    "one_year_percent": None if lpr is None else f"{Decimal(lpr) / 100:.2f}",
                }
                if self.part.get("lpr_version"):  # a release approved in the product (``PV12``)
                    item["lpr"]["version"] = self.part["lpr_version"]
                item["rate"] = _plain(self.part.get(c.field))
            if c.kind == "holds_tier" and c.date_field and self.part.get(c.date_field) is None:
                if outcome is None:
                    self.missing.append("events.growth_support_selection")
            elif (
                c.kind in ("srdi_enterprise", "holds_title", "first_of_tier", "holds_tier")
                and outcome is None
            ):
                self.missing.append("certifications")
            if c.kind == "holds_tier" and self.part.get(c.date_field or "event_date") is not None:
                item["date"] = _plain(self.part.get(c.date_field or "event_date"))  # the day it is judged on
            if c.field and self.part.get(c.field) is None and outcome is None and not unset:
                self.missing.append(f"events[{self.row['seq']}].{c.field}")
            self.basis.append(item)
            if unset:
                self.text.append(f"{c.label}：所需参数 {c.param} 尚未设定，暂无法判断")
            elif outcome is not True:
                self.text.append(f"{c.label}：{RESULT_ZH[outcome]}")

    def amount(self) -> None:
        a = self.m.amount
        assert a is not None
        raw, capped = self.row["amount_raw"], self.row["amount_capped"]
        day = self.day
        if a.kind == "tranche" and self.part.get("selection_date") is not None:
            day = self.part["selection_date"]  # both tranches are read on the selection date
        params = [_param(self.r, pid, day) for pid in self._amount_params(a)]
        item: dict[str, Any] = {
            "type": "amount",
            "kind": a.kind,
            "parameters": params,
            "state": self.row["amount_state"],
            "amount_raw_fen": raw,
        }
        formula = self._formula(a, params)
        if formula:
            item["arithmetic"] = formula
        self.basis.append(item)
        if formula and self.row["amount_state"] == "ok":
            self.text.append(formula)
        cap = self.row["cap_fen"]
        if cap is not None and raw is not None:
            applied = raw > cap
            self.basis.append({"type": "cap", "cap_fen": cap, "applied": applied, "amount_fen": capped})
            if applied:
                self.text.append(f"按上限封顶：{_fen(raw)} → {_fen(cap)}")
        if (
            self.row.get("pool_cap") is not None
            and self.row["status"] in ("granted", "superseded", "not_eligible")
            and capped is not None
            and self.row.get("amount_pooled") is not None
        ):
            exhausted = bool(self.row.get("pool_exhausted"))
            item = {
                "type": "annual_cap",
                "cap_fen": self.row["pool_cap"],
                "year": self.row["pool_year"],
                "used_before_fen": self.row.get("pool_used_before"),
                "amount_fen": self.row.get("amount_pooled"),
                "applied": bool(self.row.get("pool_applied")),
                "exhausted": exhausted,
            }
            if exhausted:
                item["note"] = (
                    f"{self.row['pool_year']}年度上限 {_fen(self.row['pool_cap'])} 已用完，本笔不再增加贴息"
                )
            self.basis.append(item)
            if exhausted:
                self.text.append(
                    f"条件均满足，但{self.row['pool_year']}年度上限 {_fen(self.row['pool_cap'])} 已用完（此前已用 "
                    f"{_fen(self.row.get('pool_used_before'))}），本笔计 {_fen(self.row.get('amount_pooled'))}"
                )
            elif self.row.get("pool_applied"):
                self.text.append(
                    f"{self.row['pool_year']}年度上限 {_fen(self.row['pool_cap'])}，此前已用 "
                    f"{_fen(self.row.get('pool_used_before'))}，本笔按 {_fen(self.row.get('amount_pooled'))} 计"
                )
        if self.row["amount_state"] == "unset":
            unset = [p["id"] for p in params if p.get("unset")]
            if not unset and self.m.annual_cap is not None:
                pool = _param(self.r, self.m.annual_cap.param, self.day)
                if pool.get("unset"):
                    unset = [pool["id"]]
                    self.basis.append({"type": "annual_cap", "parameter": pool, "state": "unset"})
            self.text.append(f"金额标准（{'、'.join(unset)}）尚未公布，金额待定")

    def _amount_params(self, a: Amount) -> list[str]:
        if a.kind == "by_field":
            key = self.part.get(a.field)
            return [a.params[key]] if key in a.params else list(a.params.values())
        if a.kind == "rate_of_base":
            match = True
            if a.switch_field:
                value = self.part.get(a.switch_field)
                allowed = self.r.params.value(a.switch_param, self.day or date(2025, 1, 1)) or []
                match = value in allowed
            ids = [a.switch_param] if a.switch_param else []
            ids += [a.rate_match if match else a.rate_other, (a.cap_match if match else a.cap_other)]
            return [i for i in ids if i]
        return a.parameter_ids()

    def _formula(self, a: Amount, params: list[dict[str, Any]]) -> str:
        raw = self.row["amount_raw"]
        if raw is None:
            return ""
        if a.kind in ("fixed", "by_field"):
            return f"定额 {_fen(raw)}"
        if a.kind == "tranche":
            whole, first = self.part.get("whole_fen"), self.part.get("first_tranche_fen")
            share = next((p["value"] for p in params if p.get("unit") == "ratio"), None)
            if self.row["kind"] == a.first:
                return f"首期：{_fen(whole)} × {_percent(share)} = {_fen(raw)}"
            return f"余额：{_fen(whole)} − 首期 {_fen(first)} = {_fen(raw)}"
        if a.kind == "rate_of_base":
            rate = next((p["value"] for p in params if p.get("unit") == "ratio"), None)
            return f"{_fen(self.part.get(a.base))} × {_percent(rate)} = {_fen(raw)}"
        if a.kind == "ratio_of_field":
            rate = params[0]["value"] if params else None
            return f"{_fen(self.part.get(a.field))} × {_percent(rate)} = {_fen(raw)}"
        months = self.part.get("months_counted")
        rate = params[0]["value"] if params else None
        return (
            f"{_fen(self.part.get(a.principal))} × {_percent(rate)} × {months if months is not None else '—'}/12 = "
            f"{_fen(self.part.get('pro_rata_fen'))}，不超过实付利息 {_fen(self.part.get(a.paid))}，计 {_fen(raw)}"
        )

    def overlap(self) -> None:
        if self.m.overlap is None:
            return
        item = {
            "type": "overlap",
            "group": self.m.overlap.group,
            "matter": self.row["matter"],
            "paid_before_fen": self.row.get("paid_before_fen") or 0,
            "superseded_by": self.row.get("superseded_by"),
        }
        self.basis.append(item)
        if self.row.get("superseded_by"):
            self.text.append(f"同一事项已由 {self.row['superseded_by']} 从优兑现（从优、就高、不重复）")
        elif (self.row.get("paid_before_fen") or 0) > 0 and self.row["status"] == "granted":
            self.text.append(f"同一事项此前已支付 {_fen(self.row['paid_before_fen'])}，本次补足差额")

    def quota(self) -> None:
        rank, ceiling = self.row.get("quota_rank"), self.row.get("quota")
        if rank is None or not self.m.annual_quota:
            return
        self.basis.append(
            {
                "type": "annual_quota",
                "parameter": _param(self.r, self.m.annual_quota, self.day),
                "rank_in_year": rank,
                "quota": ceiling,
            }
        )
        if ceiling is not None and rank > ceiling:
            self.text.append(
                f"本年度该企业第 {rank} 项，超过每年不超过 {ceiling} 项的上限（{self.m.reference}），不予兑现"
            )

    def selection(self) -> None:
        m = self.m
        sq = m.selection_quota
        if sq is None:
            return
        rank, ceiling = self.row.get("selection_rank"), self.row.get("selection_quota")
        over = bool(self.row.get("selection_over"))
        repeat = self.row.get("selection_repeat")
        if rank is None and not over and not repeat:
            return
        item: dict[str, Any] = {
            "type": "selection_quota",
            "parameter": _param(self.r, sq.param, self.day),
            "rank_in_year": rank,
            "quota": ceiling,
            "refused": over or bool(repeat),
        }
        if sq.period:
            item["period"] = _param(self.r, sq.period, self.day)
        if repeat:
            item["repeat_of"] = repeat
        self.basis.append(item)
        if repeat:
            years = item["period"].get("value")
            when = "" if self.row["kind"] == sq.event else f"对应的入选（{self.row['label']}）："
            self.text.append(
                f"{when}该企业已于 {repeat} 入选，{years}年支持期内不重复入选（{m.reference}），不予兑现"
            )
        elif over and rank is not None:
            self.text.append(
                f"{_plain(self.row['event_date'])[:4]}年第 {rank} 家入选企业，超过每年不超过 {ceiling} 家的上限"
                f"（{m.reference}），不予兑现"
            )
        elif over:
            self.text.append(
                f"对应的入选（{self.row['label']}）超过当年入选企业数上限（{m.reference}），不予兑现"
            )

    def split(self) -> None:
        if self.row.get("amount_fen") is None or self.row["status"] != "granted":
            return
        pack = self.r.pack(self.row["pack"])
        if not pack.cost_sharing:
            self.basis.append(
                {
                    "type": "split",
                    "state": "unknown",
                    "city_fen": None,
                    "district_fen": None,
                    "reference": None,
                }
            )
            self.text.append(f"{pack.citation}关于市、区县分担的规定尚未查得：市、区县各自承担金额待定")
            return
        district = self.row.get("district")
        share = self.row.get("city_share")
        default = bool(self.row.get("share_default"))
        self.basis.append(
            {
                "type": "split",
                "district": district,
                "city_share": share,
                "default_used": default,
                "city_fen": self.row["city_fen"],
                "district_fen": self.row["district_fen"],
                "reference": pack.cost_sharing,
            }
        )
        if share is None:
            self.text.append("企业所在区县未知，且各区县分担比例不同：市、区县各自承担金额待补充区县后确定")
            return
        note = "（默认比例，待市财政确定）" if default else ""
        self.text.append(
            f"市级承担 {_fen(self.row['city_fen'])}，区县承担 {_fen(self.row['district_fen'])}{note}"
        )


def entitlement_record(result: Entitlements, row: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    """The contract's entitlement record for one result row (``part`` is the measure's own row)."""
    m = result.measure(row["measure"])
    e = _Explainer(result, row, part, m)
    e.inputs()
    e.window()
    if row["in_window"] is not False:
        e.conditions()
        e.amount()
        e.overlap()
        e.quota()
        e.selection()
        e.split()
    status = row["status"]
    amount = row.get("amount_fen")
    record: dict[str, Any] = {
        "policy": row["pack"],
        "article": row["article"],
        "measure": m.id,
        "title": m.title,
        "reference": m.reference,
        "event": row["label"],
        "event_kind": row["kind"],
        "event_index": row["seq"],
        "status": status,
        "amount_fen": amount,
        "city_fen": row.get("city_fen") if amount is not None else None,
        "district_fen": row.get("district_fen") if amount is not None else None,
        "basis": e.basis,
        "superseded_by": row.get("superseded_by"),
        "explanation": f"{m.reference}（{m.title}）：{STATUS_ZH[status]}。" + "；".join(e.text),
    }
    if status == "needs_data":
        record["missing"] = sorted(set(e.missing))
    if row.get("amount_capped") is not None and status in ("granted", "superseded"):
        record["computed_fen"] = row.get("amount_pooled")
    return record
