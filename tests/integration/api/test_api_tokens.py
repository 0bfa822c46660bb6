"""API tokens: issued once in clear, stored only as a SHA-256 digest, revocable, audited; and the CLI."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.test import Client
from tests.integration.api.helpers import API

from srdi.db.models import ApiToken, AuditAction, AuditEvent
from srdi.services import audit
from srdi.services.tokens import TOKEN_PREFIX, TokenError, create_token, prefix_of, revoke_token

pytestmark = pytest.mark.django_db


def audit_text() -> str:
    return " ".join(str(row) for row in AuditEvent.objects.values_list("object_repr", "old", "new", "extra"))


def test_create_stores_only_the_digest_and_audits(world):
    user = world.users["district"]
    raw = create_token(user, "区县数据同步", actor=world.users["city_admin"])
    assert raw.startswith(TOKEN_PREFIX)
    assert len(raw) > len(TOKEN_PREFIX) + 40
    token = ApiToken.objects.get(user=user)
    assert token.digest == ApiToken.digest_of(raw)
    assert token.prefix == prefix_of(raw) == raw[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + 8]
    assert token.name == "区县数据同步"
    stored = " ".join(str(v) for v in ApiToken.objects.values_list("name", "digest", "prefix").get())
    assert raw not in stored
    assert raw[len(TOKEN_PREFIX) :] not in stored
    event = AuditEvent.objects.get(object_type="api_token")
    assert event.action == AuditAction.CREATE
    assert event.actor == world.users["city_admin"]
    assert event.new["prefix"] == token.prefix
    assert raw[len(TOKEN_PREFIX) :] not in audit_text()
    assert token.digest not in audit_text()
    assert audit.verify_chain().ok


def test_tokens_are_unique(world):
    raws = {create_token(world.users["city_staff"], f"系统{i}") for i in range(20)}
    assert len(raws) == 20
    assert ApiToken.objects.values("prefix").distinct().count() == 20


@pytest.mark.parametrize("name", ["", "   ", "长" * 101])
def test_create_needs_a_sensible_name(world, name):
    with pytest.raises(TokenError):
        create_token(world.users["city_staff"], name)
    assert not ApiToken.objects.exists()


def test_inactive_user_gets_no_token(world):
    user = world.users["auditor"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    with pytest.raises(TokenError, match="停用"):
        create_token(user, "审计")


def test_revoke_ends_the_token_and_is_audited(world):
    raw = create_token(world.users["auditor"], "审计抽查")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API}/enterprises").status_code == 200
    token = revoke_token(TOKEN_PREFIX + prefix_of(raw), actor=world.users["city_admin"])
    assert token.revoked_at is not None
    assert client.get(f"{API}/enterprises").status_code == 401
    event = AuditEvent.objects.filter(object_type="api_token").last()
    assert event.action == AuditAction.UPDATE
    assert event.extra == {"operation": "revoke"}
    with pytest.raises(TokenError, match="已被吊销"):
        revoke_token(prefix_of(raw))
    with pytest.raises(TokenError, match="没有"):
        revoke_token("ZZZZZZZZ")
    with pytest.raises(TokenError, match="8"):
        revoke_token("abc")


@pytest.fixture
def token_cli():
    from srdi.cli import commands_tokens  # noqa: F401 - registers ``srdi token``
    from srdi.cli.main import cli

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_cli_create_prints_the_token_once_and_revoke_ends_it(world, token_cli):
    created = token_cli("token", "create", "api_city_staff", "--name", "省平台对接")
    assert created.exit_code == 0, created.output
    raw = created.stdout.strip()
    assert raw.startswith(TOKEN_PREFIX)
    assert "只显示这一次" in created.stderr
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/enterprises").status_code == 200

    listed = token_cli("token", "list")
    assert prefix_of(raw) in listed.output
    assert raw not in listed.output

    revoked = token_cli("token", "revoke", prefix_of(raw))
    assert revoked.exit_code == 0, revoked.output
    assert "已吊销" in revoked.output
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get(f"{API}/enterprises").status_code == 401


def test_cli_reports_errors_in_chinese(world, token_cli):
    unknown = token_cli("token", "create", "nobody", "--name", "x")
    assert unknown.exit_code != 0
    assert "不存在" in unknown.output
    bad = token_cli("token", "revoke", "ZZZZZZZZ")
    assert bad.exit_code != 0
    assert "没有前缀" in bad.output


def test_a_token_expires_after_its_days_and_then_authenticates_nobody(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    raw = create_token(world.users["auditor"], "审计抽查")
    token = ApiToken.objects.get(prefix=prefix_of(raw))
    lifetime = token.expires_at - token.created_at
    assert timedelta(days=settings.SRDI_API_TOKEN_DAYS) - timedelta(seconds=5) < lifetime
    assert lifetime <= timedelta(days=settings.SRDI_API_TOKEN_DAYS) + timedelta(seconds=5)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.get(f"{API}/enterprises").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"{API}/enterprises").status_code == 401


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_token_lifetime_outside_the_allowed_range_is_refused(world, days):
    with pytest.raises(TokenError, match="有效期"):
        create_token(world.users["auditor"], "审计", days=days)


def test_cli_issues_for_the_days_asked_and_lists_the_expiry(world, token_cli):
    created = token_cli("token", "create", "api_city_staff", "--name", "短期对接", "--days", "7")
    assert created.exit_code == 0, created.output
    token = ApiToken.objects.get(prefix=prefix_of(created.stdout.strip()))
    assert (token.expires_at - token.created_at).days in (6, 7)
    assert "有效至" in token_cli("token", "list").output
    refused = token_cli("token", "create", "api_city_staff", "--name", "太长", "--days", "1000")
    assert refused.exit_code != 0 and "有效期" in refused.output
