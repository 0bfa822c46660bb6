"""Fixtures for the /api/v1 tests: two districts' enterprises, one user per role, and authenticated clients.

``world`` holds three enterprises in 西湖区 (330106) and three in 滨江区 (330108), and a user of every role
(district staff of 330106; the enterprise user belongs to the first 330106 enterprise). ``bearer`` and
``session`` return test clients that call the API as a given user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.utils.crypto import get_random_string
from tests.integration.api.helpers import FOREIGN, OWN, profile_data
from tests.signin import sign_in

from srdi.db.models import Enterprise, User
from srdi.domain.exchange import parse_profile
from srdi.services.accounts import create_user
from srdi.services.enterprise_writer import Incoming, write_profiles
from srdi.services.tokens import create_token


@dataclass
class World:
    own: list[Enterprise]
    foreign: list[Enterprise]
    users: dict[str, User] = field(default_factory=dict)

    @property
    def all(self) -> list[Enterprise]:
        return self.own + self.foreign


@pytest.fixture
def world(db) -> World:
    names = ["西湖甲科技", "西湖乙材料", "西湖丙医药", "滨江甲物联", "滨江乙装备", "滨江丙能源"]
    ecosystems = [
        "smart_iot",
        "new_materials",
        "biomedicine",
        "smart_iot",
        "high_end_equipment",
        "green_energy",
    ]
    records = []
    for i, (name, eco) in enumerate(zip(names, ecosystems, strict=True)):
        district = OWN if i < 3 else FOREIGN
        data = profile_data(district=district, name=f"杭州{name}有限公司", ecosystem=eco)
        if i % 3:  # 400 people and 5亿元 revenue: medium-sized; the others stay small
            data["financials"]["2024"].update(employees=400, operating_revenue_fen=50_000_000_000)
        records.append(data)
    with transaction.atomic():
        write_profiles([Incoming.of(parse_profile(r)) for r in records], actor=None, batch=None)
    ents = {e.uscc: e for e in Enterprise.objects.all()}
    own = [ents[r["uscc"]] for r in records[:3]]
    foreign = [ents[r["uscc"]] for r in records[3:]]
    w = World(own=own, foreign=foreign)
    specs = {
        "city_admin": {"role": "city_admin"},
        "city_staff": {"role": "city_staff"},
        "district": {"role": "district_staff", "district_code": OWN},
        "district_b": {"role": "district_staff", "district_code": FOREIGN},
        "enterprise": {"role": "enterprise", "enterprise_uscc": own[0].uscc},
        "auditor": {"role": "auditor"},
        "provider": {"role": "provider"},
    }
    for key, spec in specs.items():
        w.users[key] = create_user(username=f"api_{key}", password="x", check_password=False, **spec)
    return w


@pytest.fixture
def bearer(db):
    """``bearer(user)`` → a client that sends a fresh API token for ``user``."""

    def make(user: User) -> Client:
        raw = create_token(user, "接口测试")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


@pytest.fixture
def session(db):
    """``session(user)`` → a signed-in browser client that enforces CSRF; ``.csrf`` holds its CSRF token."""

    def make(user: User) -> Client:
        client = Client(enforce_csrf_checks=True)
        sign_in(client, user)
        token = get_random_string(32)
        client.cookies["csrftoken"] = token
        client.csrf = token  # type: ignore[attr-defined]
        return client

    return make
