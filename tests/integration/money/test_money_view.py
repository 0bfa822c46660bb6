"""The money view equals direct sums over the ledger's lines and the budget rows, per measure, district, side
and year; district users see their district only; each table exports to an XLSX that openpyxl opens."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from tests.integration.money.conftest import AFTER_PUBLICITY

from srdi.db.models import AuditEvent, BudgetAccount, Case, LedgerLine
from srdi.services import money_view
from srdi.services.accounts import create_user
from srdi.services.cases import transition, update_claim
from srdi.services.payments import create_payment_run, execute_payment_run
from srdi.services.programmes import create_programme

pytestmark = pytest.mark.django_db


def _approve(world, case: Case) -> None:
    u = world.users
    owner = create_user(
        username=f"mv_e{case.pk}",
        password="x",
        role="enterprise",
        enterprise_uscc=case.enterprise.uscc,
        check_password=False,
    )
    update_claim(
        case.pk,
        owner,
        bank_account_name="甲公司",
        bank_name="杭州银行",
        bank_account_number="6222020200001234",
    )
    transition(case.pk, owner, "confirm")
    transition(case.pk, u["district"], "district_pass")
    transition(case.pk, u["city_staff"], "city_pass")
    transition(case.pk, u["city_admin"], "approve", on=AFTER_PUBLICITY)


@pytest.fixture
def running(world):
    """One award paid, one approved and not paid, one blocked by an unset amount, and a second year's budget."""
    first, second, third = (world.case(e) for e in world.enterprises)
    _approve(world, first)
    assert execute_payment_run(
        create_payment_run(world.users["finance"], world.programme), world.users["finance"]
    ).paid
    _approve(world, second)
    Case.objects.filter(pk=third.pk).update(entitlement_status="amount_unset", entitlement_fen=None)
    create_programme(
        code="hz81-9-2026",
        name="2026年技改补助",
        article=9,
        year=2026,
        opens_on=date(2026, 1, 1),
        closes_on=date(2026, 12, 31),
        city_budget_fen=5 * 10**9,
        district_budgets={"330106": 2 * 10**9, "330108": 3 * 10**9},
        actor=world.users["city_admin"],
    )
    return world


def _ledger_balances(budget: BudgetAccount) -> dict[str, int]:
    """Balance of each of a budget's ledger accounts, summed from the journal lines (debit − credit)."""
    out = {"available": 0, "committed": 0, "paid": 0}
    for line in LedgerLine.objects.filter(account__budget=budget).select_related("account"):
        if line.account.kind in out:
            out[line.account.kind] += line.debit_fen - line.credit_fen
    return out


def _direct(budgets) -> tuple[int, int, int, int]:
    totals = [0, 0, 0, 0]
    for b in budgets:
        bal = _ledger_balances(b)
        # The journal and the running totals agree, and the view's four numbers are these.
        assert (bal["committed"], bal["paid"]) == (b.used_fen - b.paid_fen, b.paid_fen)
        assert bal["available"] == b.cap_fen - b.used_fen
        for i, v in enumerate((sum(bal.values()), bal["committed"], bal["paid"], bal["available"])):
            totals[i] += v
    return tuple(totals)  # type: ignore[return-value]


def _numbers(row: money_view.MoneyRow) -> tuple[int, int, int, int]:
    return row.budget_fen, row.committed_fen, row.paid_fen, row.remaining_fen


def test_every_table_equals_the_direct_sums_over_the_ledger(running):
    view = money_view.money_overview(running.users["city_admin"])
    all_budgets = list(BudgetAccount.objects.all())
    assert _numbers(view.total) == _direct(all_budgets)
    assert view.total.paid_fen == 200_000_000 and view.total.committed_fen == 200_000_000

    assert [r.key for r in view.by_measure] == ["hz81.9"]
    assert _numbers(view.by_measure[0]) == _direct(all_budgets)
    assert view.by_measure[0].label.endswith("技术改造补助") or "第9条" in view.by_measure[0].label

    years = {r.key: _numbers(r) for r in view.by_year}
    assert years == {str(y): _direct(BudgetAccount.objects.filter(year=y)) for y in (2025, 2026)}

    sides = {r.key: _numbers(r) for r in view.by_side}
    assert sides == {s: _direct(BudgetAccount.objects.filter(side=s)) for s in ("city", "district")}

    districts = {r.key: _numbers(r) for r in view.by_district}
    assert districts == {
        d: _direct(BudgetAccount.objects.filter(side="district", district_code=d))
        for d in set(BudgetAccount.objects.filter(side="district").values_list("district_code", flat=True))
    }
    assert len(districts) > 2
    # The city part and the district part of each paid award add up to the whole.
    assert sides["city"][2] + sides["district"][2] == view.total.paid_fen

    assert [(b.measure, b.amount_unset, b.window_unset) for b in view.blocked] == [("hz81.9", 1, 0)]


def test_a_district_user_sees_only_their_district(running):
    view = money_view.money_overview(running.users["district"])
    assert view.district_only == "330106"
    assert [r.key for r in view.by_district] == ["330106"]
    assert [r.key for r in view.by_side] == ["district"]
    assert _numbers(view.total) == _direct(
        BudgetAccount.objects.filter(side="district", district_code="330106")
    )
    assert view.blocked[0].amount_unset == 1

    other = money_view.money_overview(running.users["other_district"])
    assert [r.key for r in other.by_district] == ["330108"]
    assert other.total.paid_fen == 0 and other.total.budget_fen == 10**11 + 3 * 10**9
    assert other.blocked == ()  # the blocked case is in 330106

    enterprise = money_view.money_overview(running.users["enterprise"])
    assert enterprise.total.budget_fen == 0 and enterprise.by_measure == ()


@pytest.mark.parametrize("table", list(money_view.Table))
def test_each_table_exports_to_an_xlsx_that_opens(running, table):
    user = running.users["city_admin"]
    before = AuditEvent.objects.filter(object_type="money_view").count()
    exported = money_view.export_table(user, table)
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    assert book.sheetnames == [table.sheet]
    rows = list(book[table.sheet].iter_rows(values_only=True))
    columns, expected = money_view.table_rows(money_view.money_overview(user), table)
    assert list(rows[0]) == columns
    assert len(rows) - 1 == len(expected) == exported.count
    assert AuditEvent.objects.filter(object_type="money_view").count() == before + 1
    if table is not money_view.Table.BLOCKED:
        total = rows[-1]
        view = money_view.money_overview(user)
        assert total[0] == "合计"
        assert total[1] * 1_000_000 == pytest.approx(view.total.budget_fen)
        assert total[3] * 1_000_000 == pytest.approx(view.total.paid_fen)


def test_the_page_shows_the_tables_and_charts_in_scope(running, client):
    from tests.signin import sign_in

    from srdi.web.templatetags.srdi_web import wan

    view = money_view.money_overview(running.users["city_admin"])
    page = sign_in(client, running.users["city_admin"]).get("/money/overview/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "资金执行总览" in text and 'data-chart="bar"' in text and "vendor/echarts.min.js" in text
    assert wan(view.total.paid_fen) in text and "滨江区" in text and "市级" in text
    assert "金额未设定" in text and 'href="/money/overview/export/by_measure/"' in text

    client.logout()
    district = sign_in(client, running.users["other_district"]).get("/money/overview/")
    body = district.content.decode()
    assert district.status_code == 200 and "滨江区" in body and "西湖区" not in body
    export = client.get("/money/overview/export/by_district/")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["滨江区", "合计"]
    assert client.get("/money/overview/export/nonsense/").status_code == 404

    client.logout()
    assert sign_in(client, running.users["enterprise"]).get("/money/overview/").status_code == 403
