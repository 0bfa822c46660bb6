"""The city leader (领导（只读）, city-wide scope) sees the cockpit and the money overview, read-only: the same
figures as city staff, any district on request, both pages in the menu, and nothing to write."""

from __future__ import annotations

import pytest
from web_helpers import WEST_LAKE

from srdi.domain.permissions import Role, is_read_only

pytestmark = pytest.mark.django_db


def test_the_leader_sees_the_cockpit_and_the_money_overview_read_only(login_as) -> None:
    assert is_read_only(Role.LEADER)
    leader, staff = login_as("leader"), login_as("city_staff")

    page = leader.get("/cockpit/")
    assert page.status_code == 200
    c = page.context["c"]
    assert c.district == "" and page.context["city_wide"]
    city = staff.get("/cockpit/").context["c"]
    assert [(t.key, t.value) for t in c.measured] == [(t.key, t.value) for t in city.measured]
    assert any(t.value for t in c.measured)
    text = page.content.decode()
    assert 'href="/cockpit/"' in text and 'href="/money/overview/"' in text  # both in the leader's menu
    assert leader.get(f"/cockpit/?district={WEST_LAKE}").context["c"].district == WEST_LAKE

    money = leader.get("/money/overview/")
    assert money.status_code == 200 and "资金执行总览" in money.content.decode()

    # read-only: the pages take no writes
    assert leader.post("/cockpit/").status_code == 405
    assert leader.post("/money/overview/").status_code == 405
