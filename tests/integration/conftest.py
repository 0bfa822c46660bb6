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
