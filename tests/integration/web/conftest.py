"""Fixtures for the web-page tests: two districts' enterprises, one user per role (every role of
``srdi.domain.permissions.ROLES``; two security administrators), logged-in clients.

Enterprises are created through the real import service (JSON exchange format) and users through
``services.accounts.create_user``, so the pages are tested on data shaped exactly as production data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from tests.signin import sign_in
from web_helpers import BINJIANG, PASSWORD, WEST_LAKE, import_profiles, make_uscc

from srdi.db.models import Contact, Enterprise, User
from srdi.services.accounts import create_user


@dataclass
class Seed:
    west: Enterprise  # 西湖区, 专精特新 valid, full profile, a contact
    west_formula: Enterprise  # 西湖区, name starts with "=", no certifications supplied
    binjiang: Enterprise  # 滨江区, 小巨人 valid, 专精特新 expired
    users: dict[str, User]


@pytest.fixture
def seed(db) -> Seed:
    today = timezone.localdate()
    recent = (today - timedelta(days=365)).isoformat()
    old = (today - timedelta(days=365 * 4)).isoformat()
    west_uscc, formula_uscc, binjiang_uscc = make_uscc(1), make_uscc(2), make_uscc(3, "330108")
    import_profiles(
        [
            {
                "uscc": west_uscc,
                "name": "杭州西湖精工科技有限公司",
                "district": WEST_LAKE,
                "industry_code": "C3976",
                "ecosystem": "smart_iot",
                "founded_on": "2012-05-01",
                "niche_since_year": 2013,
                "financials": {
                    "2023": {
                        "operating_revenue_fen": 9_000_000_000,
                        "rd_expense_fen": 300_000_000,
                        "employees": 120,
                    },
                    "2024": {
                        "operating_revenue_fen": 10_000_000_000,
                        "rd_expense_fen": 333_333_333,
                        "total_assets_fen": 8_000_000_000,
                        "total_liabilities_fen": 3_000_000_000,
                        "employees": 150,
                        "rd_staff": 30,
                    },
                },
                "ip": {"class1": 6, "invention_patents": 4},
                "main_product": {"niche_market_share": "0.125", "chain_role": "key_link_breakthrough"},
                "compliance": {"dishonest": False, "major_accident_3y": True},
                "titles": [{"kind": "high_tech_enterprise", "valid_from": recent}],
                "awards": [{"level": "provincial", "kind": "sci_tech", "rank": 2, "date": "2023-06-01"}],
                "certifications": [
                    {"tier": "innovative_sme", "recognized_on": old, "batch": "2021年第一批"},
                    {
                        "tier": "srdi_sme",
                        "recognized_on": recent,
                        "batch": "2024年第二批",
                        "source_document": "浙经信企业〔2024〕1号",
                    },
                ],
            },
            {
                "uscc": formula_uscc,
                "name": "=1+2 公式测试公司",
                "district": WEST_LAKE,
                "ecosystem": "biomedicine",
            },
            {
                "uscc": binjiang_uscc,
                "name": "杭州滨江样本电子有限公司",
                "district": BINJIANG,
                "ecosystem": "smart_iot",
                "certifications": [
                    {"tier": "srdi_sme", "recognized_on": old},
                    {"tier": "little_giant", "recognized_on": recent},
                ],
            },
        ]
    )
    west = Enterprise.objects.get(uscc=west_uscc)
    Contact.objects.create(
        enterprise=west, name="张三丰", position="总经理", phone="13912345678", id_number="33010619800101003X"
    )
    users = {
        "city_admin": create_user(username="city_admin", password=PASSWORD, role="city_admin"),
        "city_staff": create_user(username="city_staff", password=PASSWORD, role="city_staff"),
        "district_staff": create_user(
            username="west_staff", password=PASSWORD, role="district_staff", district_code=WEST_LAKE
        ),
        "other_district_staff": create_user(
            username="binjiang_staff", password=PASSWORD, role="district_staff", district_code=BINJIANG
        ),
        "enterprise": create_user(
            username="west_ent", password=PASSWORD, role="enterprise", enterprise_uscc=west_uscc
        ),
        "auditor": create_user(username="auditor", password=PASSWORD, role="auditor"),
        "provider": create_user(username="provider", password=PASSWORD, role="provider"),
        # The new roles of the permission model (one user each; two security administrators for two-person grants).
        "responsible_unit": create_user(
            username="kejiju", password=PASSWORD, role="responsible_unit", organisation="市科技局"
        ),
        "leader": create_user(username="leader", password=PASSWORD, role="leader"),
        "system_admin": create_user(username="sysadmin", password=PASSWORD, role="system_admin"),
        "security_admin": create_user(username="secadmin", password=PASSWORD, role="security_admin"),
        "security_admin_2": create_user(username="secadmin2", password=PASSWORD, role="security_admin"),
        "audit_admin": create_user(username="auditadmin", password=PASSWORD, role="audit_admin"),
    }
    return Seed(
        west=west,
        west_formula=Enterprise.objects.get(uscc=formula_uscc),
        binjiang=Enterprise.objects.get(uscc=binjiang_uscc),
        users=users,
    )


@pytest.fixture
def login_as(seed):
    """``login_as("district_staff")`` → a test client signed in as that seed user."""

    def _login(role: str) -> Client:
        return sign_in(Client(), seed.users[role])

    return _login
