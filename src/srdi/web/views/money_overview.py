"""The money overview page (资金执行总览): budget and execution by measure, district, side and year, blocked
cases, charts, and an XLSX download of each table. Numbers come from ``services.money_view`` (scoped there)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from srdi.domain.money import fen_to_wan
from srdi.domain.reference import district_name
from srdi.services import money_view
from srdi.web.access import require
from srdi.web.views.money.common import user_of

SERIES = (
    ("已支付（万元）", "#1d5fb4", "paid_fen"),
    ("已承诺未支付（万元）", "#7aa6e0", "committed_fen"),
    ("可用余额（万元）", "#cfd8e6", "remaining_fen"),
)


def _chart(rows: tuple[money_view.MoneyRow, ...]) -> dict[str, Any]:
    """A stacked bar chart of paid / committed / remaining for the rows (the data of ``app.js``)."""
    return {
        "labels": [r.label for r in rows],
        "hideLabels": True,
        "series": [
            {"name": name, "color": color, "values": [str(fen_to_wan(getattr(r, key))) for r in rows]}
            for name, color, key in SERIES
        ],
    }


@login_required
@require_GET
def money_overview(request: HttpRequest) -> HttpResponse:
    """The money tables and charts for the signed-in user's scope."""
    user = user_of(request)
    require(money_view.can_view(user), request, what="money_overview")
    view = money_view.money_overview(user)
    tables = [
        (money_view.Table.MEASURE, view.by_measure, "measure-chart"),
        (money_view.Table.DISTRICT, view.by_district, "district-chart"),
        (money_view.Table.SIDE, view.by_side, ""),
        (money_view.Table.YEAR, view.by_year, "year-chart"),
    ]
    return render(
        request,
        "web/money_overview/page.html",
        {
            "view": view,
            "district": district_name(view.district_only) if view.district_only else "",
            "tables": [
                {
                    "table": t,
                    "title": t.sheet,
                    "rows": rows,
                    "chart_id": chart_id,
                    "source": f"{chart_id}-data",
                    "chart": _chart(rows),
                }
                for t, rows, chart_id in tables
            ],
            "blocked_table": money_view.Table.BLOCKED,
        },
    )


@login_required
@require_GET
def money_overview_export(request: HttpRequest, table: str) -> HttpResponse:
    """One table as XLSX (the same scope as the page); audited as an export."""
    user = user_of(request)
    require(money_view.can_view(user), request, what="money_overview_export")
    try:
        which = money_view.Table(table)
    except ValueError:
        raise Http404("没有这张表") from None
    exported = money_view.export_table(user, which)
    response = HttpResponse(exported.content, content_type=exported.content_type)
    response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    return response
