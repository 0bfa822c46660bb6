"""Integration fixtures: a database (pytest-django) plus helpers to build import files."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import make_uscc


def profile(uscc: str | None = None, district: str = "330106", **extra: Any) -> dict[str, Any]:
    """A small valid exchange-format profile."""
    data: dict[str, Any] = {
        "uscc": uscc or make_uscc(district),
        "name": extra.pop("name", "杭州测试科技有限公司"),
        "district": district,
        "industry_code": "C3976",
        "financials": {
            "2024": {
                "operating_revenue_fen": 500_000_000,
                "main_business_revenue_fen": 450_000_000,
                "employees": 120,
            },
            "2023": {"operating_revenue_fen": 400_000_000},
        },
    }
    data.update(extra)
    return data


def json_bytes(records: list[dict[str, Any]]) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode()


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def cli_runner():
    from srdi.cli import commands_data, commands_server  # noqa: F401 - register commands
    from srdi.cli.main import cli

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


# One seed user per role of ``srdi.domain.permissions.ROLES`` (district staff in 西湖区; the enterprise user needs
# an enterprise, so ``role_users`` imports one). Two security administrators, for two-person grants.
ROLE_USER_SPECS: dict[str, dict[str, Any]] = {
    "city_admin": {"role": "city_admin"},
    "city_staff": {"role": "city_staff"},
    "district_staff": {"role": "district_staff", "district_code": "330106"},
    "enterprise": {"role": "enterprise"},
    "provider": {"role": "provider"},
    "auditor": {"role": "auditor"},
    "finance": {"role": "finance"},
    "responsible_unit": {"role": "responsible_unit", "organisation": "市科技局"},
    "leader": {"role": "leader"},
    "system_admin": {"role": "system_admin"},
    "security_admin": {"role": "security_admin"},
    "security_admin_2": {"role": "security_admin"},
    "audit_admin": {"role": "audit_admin"},
}


@pytest.fixture
def role_users(db) -> dict[str, Any]:
    """``{key: User}`` for every key of ``ROLE_USER_SPECS`` (password ``ROLE_PASSWORD``)."""
    from srdi.services.accounts import create_user
    from srdi.services.imports import import_file

    uscc = make_uscc("330106")
    result = import_file(json_bytes([profile(uscc)]), "role_users.json")
    assert not result.errors
    users = {}
    for key, spec in ROLE_USER_SPECS.items():
        extra = {"enterprise_uscc": uscc} if spec["role"] == "enterprise" else {}
        users[key] = create_user(
            username=f"ru_{key}", password=ROLE_PASSWORD, check_password=False, **spec, **extra
        )
    return users


ROLE_PASSWORD = "Rolle-Passwort-2026!"
