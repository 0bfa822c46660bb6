"""``srdi simulate --set`` reads each value by its parameter's unit, and reports measures over their yearly quota."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from tests.conftest import make_uscc

from srdi.cli import commands_policy  # noqa: F401 - registers srdi simulate
from srdi.cli.main import cli
from srdi.services.imports import import_file


@pytest.fixture
def scenes(db):
    """Two 专精特新 enterprises with 6 selected scenes each in 2025: 12 in the city, more than the 10 a year of
    第7条 (one enterprise alone could not be granted more than 10: the engine stops it)."""
    profiles = [
        {
            "uscc": make_uscc("330106"),
            "name": f"杭州场景测试{n}有限公司",
            "district": "330106",
            "certifications": [{"tier": "srdi_sme", "recognized_on": "2023-01-15"}],
            "events": [
                {"kind": "scene_award", "scene_id": f"S{n}{i}", "date": "2025-06-01"} for i in range(6)
            ],
        }
        for n in (1, 2)
    ]
    assert import_file(json.dumps(profiles).encode(), "scenes.json").ok


def _simulate(*args: str):
    return CliRunner().invoke(cli, ["simulate", "--year", "2025", "--json", *args])


@pytest.mark.django_db
def test_money_and_count_parameters_can_be_changed_from_the_command_line(scenes):
    result = _simulate("--set", "hz81.7.scene_amount=40万", "--set", "hz81.7.scenes_per_year=12")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["totals"]["amount_fen"] == 12 * 50_000_000
    assert out["changed_totals"]["amount_fen"] == 12 * 40_000_000
    assert out["difference"]["overall"]["amount_fen"] == -12 * 10_000_000
    assert out["parameters"] == {"hz81.7.scene_amount": 40_000_000, "hz81.7.scenes_per_year": 12}
    assert any("hz81.7.scenes_per_year" in w for w in out["warnings"])  # 12 > 10 at baseline
    assert out["changed_warnings"] == []  # 12 ≤ 12 once raised


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("hz81.7.scene_amount=-40万", "--set hz81.7.scene_amount：金额不能为负数"),
        ("hz81.9.rate.key=120%", "--set hz81.9.rate.key：比例应在 0 与 1 之间"),
        ("hz81.99.nope=1", "--set hz81.99.nope：未知参数编号"),
    ],
)
def test_bad_values_are_refused_with_the_parameter_named(scenes, setting, message):
    result = _simulate("--set", setting)
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.django_db
def test_the_text_report_shows_the_change_and_the_quota_warning(scenes):
    result = CliRunner().invoke(cli, ["simulate", "--year", "2025", "--set", "hz81.7.scene_amount=40万"])
    assert result.exit_code == 0, result.output
    assert "参数调整 hz81.7.scene_amount=40000000 后" in result.output
    assert (
        "注意：81号 第7条：2025年兑现 12 项，超过每年不超过 10 项的上限（hz81.7.scenes_per_year）"
        in result.output
    )
