"""``srdi export``: the format from --format, else the output's extension, else XLSX for a template, JSON for data."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from tests.integration.conftest import json_bytes, profile

from srdi.services.imports import import_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(db) -> str:
    record = profile(uscc="913301060000000000")
    import_file(json_bytes([record]), "seed.json")
    return record["uscc"]


def test_the_output_extension_chooses_the_format(cli_runner, tmp_path, stored):
    assert cli_runner("export", "-o", str(tmp_path / "a.xlsx")).exit_code == 0
    ws = load_workbook(tmp_path / "a.xlsx").worksheets[0]
    assert ws["A2"].value == stored and ws["A2"].number_format == "@"
    assert cli_runner("export", "-o", str(tmp_path / "a.csv")).exit_code == 0
    assert (tmp_path / "a.csv").read_text("utf-8-sig").startswith("uscc,")


def test_data_to_standard_output_is_json(cli_runner, stored):
    result = cli_runner("export")
    assert result.exit_code == 0
    assert [p["uscc"] for p in json.loads(result.stdout)] == [stored]


def test_a_template_is_xlsx_unless_asked_otherwise(cli_runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_runner("export", "--template").exit_code == 0
    wb = load_workbook(io.BytesIO((tmp_path / "srdi-import-template.xlsx").read_bytes()))
    assert wb.sheetnames == ["企业数据", "说明", "选项"]
    result = cli_runner("export", "--template", "--format", "csv")
    assert result.stdout.lstrip("\ufeff").startswith("uscc,")


def test_a_format_that_contradicts_the_output_extension_is_refused(cli_runner, tmp_path, stored):
    result = cli_runner("export", "--format", "csv", "-o", str(tmp_path / "a.xlsx"))
    assert result.exit_code == 2
    assert "不一致" in result.output
    assert not (tmp_path / "a.xlsx").exists()
