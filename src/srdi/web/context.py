"""Template context shared by every page: the navigation the current role may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Menu entries for the signed-in user's role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [("web:home", "首页")]
    items.append(("web:enterprise_list", "企业库"))
    if user.role in ("city_admin", "city_staff", "district_staff"):
        items.append(("web:import", "数据导入"))
    return {"nav": items}
