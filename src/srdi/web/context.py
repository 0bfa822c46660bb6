"""Template context shared by every page: the navigation the current role may use.

Add a page to the menu here (with the permission that decides who sees it, from ``srdi.domain.permissions``
through ``srdi.services.scoping``);
``base.html`` renders ``nav`` and marks the entry of the current page as active.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from srdi.domain.permissions import Permission
from srdi.services import scoping
from srdi.web.screening_data import can_view_screening

PRODUCT_NAME = "杭州专精特新名城平台"


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries for the signed-in user's role, each ``{"url", "label", "active"}``."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"product_name": PRODUCT_NAME, "nav": []}
    if user is None or not user.is_authenticated:
        return context
    entries: list[tuple[str, str, tuple[str, ...]]] = [("web:home", "首页", ("web:home",))]
    if scoping.can(user, Permission.ENTERPRISE_READ):
        entries.append(
            (
                "web:enterprise_list",
                "企业库",
                ("web:enterprise_list", "web:enterprise_detail", "web:enterprise_reveal"),
            )
        )
    if can_view_screening(user):
        entries.append(
            (
                "web:screening",
                "梯度筛查",
                ("web:screening", "web:screening_progress", "web:screening_start", "web:screening_export"),
            )
        )
    from srdi.web.views.cockpit import can_view_cockpit

    if can_view_cockpit(user):
        entries.append(("web:cockpit", "目标驾驶舱", ("web:cockpit",)))
    from srdi.web import menu_money, menu_policy, menu_seedlings, menu_showcase, menu_units

    entries += menu_seedlings.entries(user)

    entries += menu_policy.entries(user)
    entries += menu_money.entries(user)
    entries += menu_units.entries(user)
    entries += menu_showcase.entries(user)
    if scoping.can_import(user):
        entries.append(("web:import", "数据导入", ("web:import",)))
    if scoping.can_view_audit_log(user):
        entries.append(("web:audit_log", "审计日志", ("web:audit_log",)))
    if scoping.can(user, Permission.ROLE_GRANT):
        entries.append(("web:role_grants", "角色授权", ("web:role_grants",)))
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match is not None else ""
    context["nav"] = _grouped(
        [
            {"url": reverse(name), "label": label, "active": current in active_on, "name": name}
            for name, label, active_on in entries
        ]
    )
    return context


# Entries that share a drop-down menu, so that the bar stays on one line for the roles that see everything.
GROUPS = {
    "web:policy_catalogue": "政策",
    "web:policy_simulation": "政策",
    "web:parameter_changes": "政策",
    "web:programme_list": "政策兑现",
    "web:case_list": "政策兑现",
    "web:publicity_list": "政策兑现",
    "web:payment_runs": "政策兑现",
    "web:vouchers": "政策兑现",
    "web:ledger_verify": "政策兑现",
    "web:money_overview": "政策兑现",
    "web:unit_home": "责任单位",
    "web:unit_overview": "责任单位",
    "web:unit_events": "责任单位",
    "web:seedling_list": "培育目标",
    "web:published_counts": "培育目标",
    "web:showcase_manage": "政策",  # 典型案例 (81号 第26条)
}


def _grouped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold grouped entries into one drop-down item at the place of the group's first entry."""
    members: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        group = GROUPS.get(item["name"])
        if group:
            members.setdefault(group, []).append(item)
    out: list[dict[str, Any]] = []
    placed: set[str] = set()
    for item in items:
        group = GROUPS.get(item["name"])
        if group is None or len(members[group]) == 1:
            out.append(item)
        elif group not in placed:
            placed.add(group)
            children = members[group]
            out.append({"label": group, "children": children, "active": any(c["active"] for c in children)})
    return out
