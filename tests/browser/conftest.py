"""Browser-test fixtures: data and users in a committed test database, a Chromium page, screenshots.

The app runs under pytest-django's ``live_server`` (static files served from the finders, as WhiteNoise does in
production); tests use ``@pytest.mark.django_db(transaction=True)`` so the server thread sees the data.
Playwright's sync API runs an event loop in the test thread, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while a
page is open. Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from browser_helpers import BINJIANG, PASSWORD, WEST_LAKE, uscc
from tests.signin import authenticator, next_code

from srdi.db.models import Enterprise, User
from srdi.services import second_factor
from srdi.services.accounts import create_user
from srdi.services.imports import import_file

REPO = Path(__file__).resolve().parents[2]
BASES = REPO / "src/srdi/rulebooks/cases/_bases.yaml"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def base(name: str) -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(BASES.read_text(encoding="utf-8"))["bases"][name])


@dataclass
class World:
    west: Enterprise  # 西湖区, a full 专精特新 profile
    west_other: Enterprise  # 西湖区, few figures
    binjiang: Enterprise  # 滨江区
    users: dict[str, User] = field(default_factory=dict)


@pytest.fixture
def world(transactional_db, settings, tmp_path) -> World:
    settings.VAR_DIR = tmp_path  # screening job status and lock files
    west = base("solid")
    west.update(uscc=uscc(1), name="杭州西湖明远精密科技有限公司", district=WEST_LAKE)
    champion = base("champion")
    champion.update(uscc=uscc(2, BINJIANG), name="杭州滨江冠军电子有限公司", district=BINJIANG)
    other = {
        "uscc": uscc(3),
        "name": "杭州西湖新芽软件有限公司",
        "district": WEST_LAKE,
        "industry_code": "I6513",
    }
    result = import_file(json.dumps([west, champion, other], ensure_ascii=False).encode(), "browser.json")
    assert not result.errors, result.error_messages()
    users = {
        "district": create_user(
            username="west_browser", password=PASSWORD, role="district_staff", district_code=WEST_LAKE
        ),
        "city": create_user(username="city_browser", password=PASSWORD, role="city_staff"),
    }
    return World(
        west=Enterprise.objects.get(uscc=west["uscc"]),
        west_other=Enterprise.objects.get(uscc=other["uscc"]),
        binjiang=Enterprise.objects.get(uscc=champion["uscc"]),
        users=users,
    )


@dataclass
class Browser:
    page: Any
    base_url: str
    console_errors: list[str]

    def login(self, username: str, password: str = PASSWORD) -> None:
        """Sign in through the pages; a staff user types a real TOTP code computed from their authenticator's
        secret (given one beforehand if they have none)."""
        user = User.objects.get(username=username)
        device = authenticator(user) if second_factor.required_for(user) else None
        self.page.goto(f"{self.base_url}/accounts/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("networkidle")
        if device is not None:
            assert "/accounts/otp/" in self.page.url, self.page.url
            self.page.fill("input[name=code]", next_code(device))
            self.page.click("button[type=submit]")
            self.page.wait_for_load_state("networkidle")


@pytest.fixture
def browser(live_server, monkeypatch) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = chromium.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            yield Browser(page, live_server.url, errors)
        finally:
            context.close()
            chromium.close()
