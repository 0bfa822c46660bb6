"""Every money page renders for the roles allowed to see it and is refused (403, or 404 out of scope) for
the others; the menu follows the role; no page carries an inline script (CSP)."""

from __future__ import annotations

import pytest
import test_web_money_world as money_world
from django.urls import reverse
from test_web_money_world import approve, client_for, text_of, to_publicity

from srdi.db.models import AuditEvent
from srdi.services.payments import create_payment_run

pytestmark = pytest.mark.django_db

# The shared fixtures (a module attribute, not an import, so that linters see no redefinition).
mworld = money_world.mworld
ledger_verifies = money_world.ledger_verifies

ROLES = [
    "city_admin",
    "city_staff",
    "district",
    "other_district",
    "enterprise",
    "enterprise2",
    "finance",
    "auditor",
    "provider",
]
EVERYONE_BUT_PROVIDER = set(ROLES) - {"provider"}
CITY = {"city_admin", "city_staff"}
PAYMENTS = {"finance", "city_admin", "auditor"}
LEDGER = {"auditor", "city_admin"}
# The case of enterprise 0 (西湖区): its own enterprise, the district, the city, finance and the auditor.
CASE_READERS = {"city_admin", "city_staff", "district", "enterprise", "finance", "auditor"}


def _expected(allowed: set[str], role: str, out_of_scope: int = 403) -> int:
    if role in allowed:
        return 200
    return out_of_scope


@pytest.fixture
def pages(mworld):
    case = to_publicity(mworld, 0)
    approve(mworld, case)
    run = create_payment_run(mworld.users["finance"], mworld.programme)
    return {
        "programme_list": (reverse("web:programme_list"), EVERYONE_BUT_PROVIDER),
        "programme_detail": (
            reverse("web:programme_detail", args=[mworld.programme.pk]),
            EVERYONE_BUT_PROVIDER,
        ),
        "programme_create": (reverse("web:programme_create"), CITY),
        "case_list": (reverse("web:case_list"), EVERYONE_BUT_PROVIDER),
        "case_detail": (reverse("web:case_detail", args=[case.pk]), CASE_READERS),
        "approval_document": (reverse("web:approval_document", args=[case.pk]), CASE_READERS),
        "publicity_list": (reverse("web:publicity_list"), EVERYONE_BUT_PROVIDER),
        "payment_runs": (reverse("web:payment_runs"), PAYMENTS),
        "payment_run_detail": (reverse("web:payment_run_detail", args=[run.pk]), PAYMENTS),
        "inbox": (reverse("web:inbox"), set(ROLES)),
        "vouchers": (reverse("web:vouchers"), set(ROLES)),
        "ledger_verify": (reverse("web:ledger_verify"), LEDGER),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_page_renders_for_allowed_roles_and_is_refused_for_others(mworld, pages, role):
    client = client_for(mworld.users[role])
    for name, (url, allowed) in pages.items():
        response = client.get(url)
        # A case the user may not read does not exist for them (404); a page their role may not use is 403.
        refused = 404 if name in ("case_detail", "approval_document") and role != "provider" else 403
        assert response.status_code == _expected(allowed, role, refused), (name, role, response.status_code)
        if response.status_code == 200:
            text = text_of(response)
            assert "<script>" not in text, name  # CSP: no inline scripts
            assert "/static/srdi/money.js" in text, name
            assert "script-src 'self'" in response["Content-Security-Policy"]


def test_refusals_are_audited(mworld, pages):
    client = client_for(mworld.users["provider"])
    assert client.get(reverse("web:case_list")).status_code == 403
    assert AuditEvent.objects.filter(
        action="access_denied", object_type="page", object_id="case_list", actor=mworld.users["provider"]
    ).exists()
    other = client_for(mworld.users["other_district"])
    case = mworld.case(0)
    assert other.get(reverse("web:case_detail", args=[case.pk])).status_code == 404
    assert AuditEvent.objects.filter(
        action="access_denied",
        object_type="case",
        object_id=str(case.pk),
        actor=mworld.users["other_district"],
    ).exists()


MENU = {
    "city_admin": ["申报批次", "兑现事项", "公示", "拨付", "服务券", "总账核验", "消息"],
    "city_staff": ["申报批次", "兑现事项", "公示", "服务券", "消息"],
    "district": ["申报批次", "兑现事项", "公示", "服务券", "消息"],
    "enterprise": ["申报批次", "兑现事项", "公示", "服务券", "消息"],
    "finance": ["申报批次", "兑现事项", "公示", "拨付", "服务券", "消息"],
    "auditor": ["申报批次", "兑现事项", "公示", "拨付", "服务券", "总账核验", "消息"],
    "provider": ["服务券", "消息"],
}
ALL_ENTRIES = {"申报批次", "兑现事项", "公示", "拨付", "服务券", "总账核验"}


def nav_labels(response) -> list[str]:
    """Menu labels in order, the entries of drop-down groups included."""
    out = []
    for item in response.context["nav"]:
        out += [child["label"] for child in item["children"]] if item.get("children") else [item["label"]]
    return out


@pytest.mark.parametrize("role", list(MENU))
def test_menu_follows_the_role(mworld, role):
    response = client_for(mworld.users[role]).get(reverse("web:home"))
    labels = nav_labels(response)
    wanted = MENU[role]
    present = [label for label in labels if label in ALL_ENTRIES or label.startswith("消息")]
    assert [label.split("（")[0] for label in present] == wanted, labels


def test_inbox_entry_shows_the_unread_count(mworld):
    # generate_offers notified enterprise 0 of its offer.
    response = client_for(mworld.users["enterprise"]).get(reverse("web:home"))
    labels = nav_labels(response)
    assert "消息（1）" in labels


def test_enterprise_page_has_the_cases_section_in_scope(mworld):
    enterprise = mworld.world.enterprises[0]
    case = mworld.case(0)
    text = text_of(
        client_for(mworld.users["district"]).get(reverse("web:enterprise_detail", args=[enterprise.pk]))
    )
    assert 'id="section-cases"' in text and f"/cases/{case.pk}/" in text
    own = text_of(
        client_for(mworld.users["enterprise"]).get(reverse("web:enterprise_detail", args=[enterprise.pk]))
    )
    assert "免申即享要约待企业确认" in own
