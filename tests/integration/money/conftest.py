"""A small living world for the money tests: a programme with budgets, enterprises with events, one user per
role — and, after every test, ``srdi ledger verify`` must pass."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from tests.conftest import make_uscc

from srdi.db.models import Case, Enterprise, Programme, User
from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.ledger_verify import verify_all
from srdi.services.programmes import create_programme, generate_offers

SRDI_CERT = [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}]


def renovation(pid: str, eligible: int, day: str = "2025-03-10") -> dict:
    return {
        "kind": "tech_renovation",
        "project_id": pid,
        "date": day,
        "industry": "new_energy",
        "total_investment_fen": max(eligible, 600_000_000),
        "eligible_investment_since_2023_fen": eligible,
    }


@dataclass
class World:
    programme: Programme
    users: dict[str, User]
    enterprises: list[Enterprise] = field(default_factory=list)

    def case(self, enterprise: Enterprise) -> Case:
        return Case.objects.get(programme=self.programme, enterprise=enterprise)


def build_world(
    n: int = 3,
    district: str = "330106",
    city_budget=10**11,
    district_budget=10**11,
    eligible=1_000_000_000,
    publicity_days: int = 5,
    evidence=None,
) -> World:
    profiles = []
    for i in range(n):
        profiles.append(
            {
                "uscc": make_uscc(district),
                "name": f"杭州测试{i}有限公司",
                "district": district,
                "industry_code": "C3976",
                "certifications": SRDI_CERT,
                "compliance": {"dishonest": False},
                "events": [renovation(f"P{i}", eligible)],
            }
        )
    assert import_file(json.dumps(profiles).encode(), "world.json").ok
    users = {
        "city_admin": create_user(username="w_admin", password="x", role="city_admin", check_password=False),
        "city_admin2": create_user(
            username="w_admin2", password="x", role="city_admin", check_password=False
        ),
        "city_staff": create_user(username="w_city", password="x", role="city_staff", check_password=False),
        "district": create_user(
            username="w_district",
            password="x",
            role="district_staff",
            district_code=district,
            check_password=False,
        ),
        "other_district": create_user(
            username="w_other",
            password="x",
            role="district_staff",
            district_code="330108",
            check_password=False,
        ),
        "finance": create_user(username="w_finance", password="x", role="finance", check_password=False),
        "auditor": create_user(username="w_auditor", password="x", role="auditor", check_password=False),
    }
    enterprises = list(Enterprise.objects.filter(uscc__in=[p["uscc"] for p in profiles]).order_by("id"))
    users["enterprise"] = create_user(
        username="w_ent",
        password="x",
        role="enterprise",
        enterprise_uscc=enterprises[0].uscc,
        check_password=False,
    )
    programme = create_programme(
        code="hz81-9-2025",
        name="2025年技改补助",
        article=9,
        year=2025,
        opens_on=date(2025, 1, 1),
        closes_on=date(2025, 12, 31),
        city_budget_fen=city_budget,
        district_budget_fen=district_budget,
        publicity_days=publicity_days,
        required_evidence=evidence or [],
        actor=users["city_admin"],
    )
    generate_offers(programme, actor=users["city_admin"])
    return World(programme, users, enterprises)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def ledger_holds(request):
    """After every money test, every ledger invariant must hold (unless the test breaks it on purpose)."""
    yield
    if request.node.get_closest_marker("ledger_unchecked"):
        return
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or request.node.get_closest_marker("django_db")
    ):
        failures = [f"{c.code}: {c.violations[:3]}" for c in verify_all() if not c.ok]
        assert not failures, failures


AFTER_PUBLICITY = date.today() + timedelta(days=30)
