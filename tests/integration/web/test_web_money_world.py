"""Fixtures and helpers shared by the money-page tests (imported by the ``test_web_money_*`` modules).

``mworld`` is the money tests' ``build_world`` (a 第9条 programme with budgets, three 西湖区 SRDI enterprises
with a tech-renovation event each, offers generated, one user per role) plus a provider, a second
enterprise user and a 第25条 voucher programme. After every test that uses it, the ledger must verify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from tests.integration.money.conftest import World, build_world
from tests.signin import sign_in

from srdi.db.models import Case, Programme, ServiceProvider, User
from srdi.services.accounts import create_user
from srdi.services.cases import today, transition, update_claim
from srdi.services.ledger_verify import verify_all
from srdi.services.programmes import create_programme

PASSWORD = "x"  # build_world's users (created without the password policy)
ACCOUNT = "6222020200001234"


@dataclass
class MoneyWorld:
    world: World
    users: dict[str, User]
    vouchers: Programme

    @property
    def programme(self) -> Programme:
        return self.world.programme

    def case(self, i: int = 0) -> Case:
        return self.world.case(self.world.enterprises[i])


def build_money_world() -> MoneyWorld:
    world = build_world(n=3)
    users = dict(world.users)
    users["enterprise2"] = create_user(
        username="w_ent2",
        password=PASSWORD,
        role="enterprise",
        enterprise_uscc=world.enterprises[1].uscc,
        check_password=False,
    )
    provider = ServiceProvider.objects.create(
        name="杭州知识产权服务中心", uscc="91330100MA0000001X", categories=["intellectual_property"]
    )
    users["provider"] = create_user(
        username="w_provider", password=PASSWORD, role="provider", check_password=False
    )
    User.objects.filter(pk=users["provider"].pk).update(provider=provider)
    users["provider"].refresh_from_db()
    vouchers = create_programme(
        code="hz81-25-2025",
        name="2025年服务券",
        article=25,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=10_000_000,  # 10万元
        actor=users["city_admin"],
    )
    return MoneyWorld(world, users, vouchers)


@pytest.fixture
def mworld(db, django_capture_on_commit_callbacks) -> MoneyWorld:
    with django_capture_on_commit_callbacks(execute=True):  # notifications are sent on commit
        return build_money_world()


@pytest.fixture(autouse=True)
def ledger_verifies(request):
    """After every money-page test, every ledger invariant must hold."""
    yield
    if "mworld" in request.fixturenames:
        failures = [f"{c.code}: {c.violations[:3]}" for c in verify_all() if not c.ok]
        assert not failures, failures


def client_for(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def text_of(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def to_publicity(mw: MoneyWorld, i: int = 0) -> Case:
    """Take case ``i`` to publicity through the services (enterprise 0's own user confirms)."""
    case = mw.case(i)
    owner = mw.users["enterprise"] if i == 0 else mw.users["enterprise2"]
    if i > 1:
        Case.objects.filter(pk=case.pk).update(
            bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT
        )
        owner = create_user(
            username=f"w_ent_{i}",
            password=PASSWORD,
            role="enterprise",
            enterprise_uscc=case.enterprise.uscc,
            check_password=False,
        )
    else:
        update_claim(case.pk, owner, bank_account_name="甲", bank_name="乙", bank_account_number=ACCOUNT)
    transition(case.pk, owner, "confirm")
    transition(case.pk, mw.users["district"], "district_pass")
    transition(case.pk, mw.users["city_staff"], "city_pass")
    return Case.objects.get(pk=case.pk)


def end_publicity(case: Case) -> None:
    """Move the publicity end into the past so that approval is allowed today."""
    Case.objects.filter(pk=case.pk).update(
        publicity_starts_on=today() - timedelta(days=2), publicity_ends_on=today() - timedelta(days=1)
    )


def approve(mw: MoneyWorld, case: Case) -> Client:
    """Approve through the view as the second city administrator (who reviewed nothing)."""
    end_publicity(case)
    client = client_for(mw.users["city_admin2"])
    response = client.post(
        reverse("web:case_action", args=[case.pk]),
        {"name": "approve", "reason": "", "amount_yuan": "", "stepup_password": PASSWORD},
    )
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).state == "approved"
    return client
