"""Per-run parameter overrides: checked by unit and range wherever they come from, read from text by unit.

``srdi entitle`` ``parameters``, ``POST /api/v1/entitle``, ``srdi simulate --set`` and the simulation page all go
through ``ParamSet.for_run``; ``srdi simulate --set`` reads its text with ``params.parse_text`` first.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from tests.conftest import make_uscc

from srdi.cli import commands_contract  # noqa: F401 - registers srdi entitle
from srdi.cli.commands_policy import _parse_sets
from srdi.cli.main import cli
from srdi.domain.assessment.contract import DocumentError
from srdi.domain.policy.contract import run_entitle
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.params import OverrideError, ParamSet, parse_text

PACKS = load_packs()
PARAMS = {pid: p for pack in PACKS for pid, p in pack.parameters.items()}


@pytest.mark.parametrize(
    ("pid", "value", "reason"),
    [
        ("hz81.7.scene_amount", -1, "金额不能为负数"),
        ("hz81.9.cap.key", Decimal("100.5"), "应为整数分"),
        ("hz81.9.cap.key", "40000000", "应为整数分"),
        ("hz81.9.cap.key", 1.5, "应为整数分"),
        ("hz81.9.cap.key", True, "应为整数分"),
        ("hz81.9.rate.key", "1.2", "比例应在 0 与 1 之间"),
        ("hz81.9.rate.key", "-0.1", "比例应在 0 与 1 之间"),
        ("fiscal_share.330106", 2, "比例应在 0 与 1 之间"),
        ("hz81.9.rate.key", "abc", "比例应为小数"),
        ("hz81.9.rate.key", ["0.1"], "比例应为小数"),
        ("hz81.9.rate.key", "NaN", "比例应在 0 与 1 之间"),
        ("hz81.9.key_industries", "new_energy", "应为列表"),
        ("hz81.9.key_industries", [1, 2], "每一项应为非空文本"),
        ("hz81.7.scenes_per_year", -3, "数值不能为负数"),
        ("hz81.17.max_term_months", "12", "应为整数"),
        ("hz81.9.rate.key", 0.25, None),  # a JSON float is read through its decimal string: accepted
    ],
)
def test_bad_overrides_are_refused_naming_the_parameter(pid, value, reason):
    if reason is None:
        assert ParamSet.for_run(PACKS, {pid: value}).overrides[pid] == Decimal("0.25")
        return
    with pytest.raises(OverrideError) as caught:
        ParamSet.for_run(PACKS, {pid: value})
    assert caught.value.key == pid
    assert reason in caught.value.reason


def test_good_overrides_are_converted():
    params = ParamSet.for_run(
        PACKS,
        {
            "hz81.9.key_industries": ["new_energy"],
            "hz81.9.rate.key": "0.15",
            "hz81.7.scene_amount": 40_000_000,
            "hz81.17.rate_discount_min": None,
            "fiscal_share.330106": 1,
        },
    )
    assert params.overrides["hz81.9.key_industries"] == ["new_energy"]
    assert params.overrides["hz81.9.rate.key"] == Decimal("0.15")
    assert params.overrides["fiscal_share.330106"] == Decimal(1)
    assert params.overrides["hz81.17.rate_discount_min"] is None


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"hz81.9.key_industries": "new_energy"}, "parameters.hz81.9.key_industries：应为列表"),
        ({"hz81.7.scene_amount": -50_000_000}, "parameters.hz81.7.scene_amount：金额不能为负数"),
        ({"hz81.9.rate.key": "1.5"}, "parameters.hz81.9.rate.key：比例应在 0 与 1 之间"),
    ],
)
def test_entitle_refuses_the_whole_document_with_a_chinese_message(parameters, message):
    with pytest.raises(DocumentError, match=message):
        run_entitle({"parameters": parameters, "enterprises": [{"uscc": make_uscc(), "district": "330106"}]})


def test_srdi_entitle_exits_non_zero_on_a_bad_override(tmp_path):
    path = tmp_path / "in.json"
    path.write_text(
        json.dumps({"parameters": {"hz81.9.key_industries": "new_energy"}, "enterprises": []}),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["entitle", str(path)])
    assert result.exit_code != 0
    assert "hz81.9.key_industries" in result.output and "应为列表" in result.output


@pytest.mark.parametrize(
    ("pid", "text", "value"),
    [
        ("hz81.7.scene_amount", "40000000", 40_000_000),
        ("hz81.7.scene_amount", "40万", 40_000_000),
        ("hz81.7.scene_amount", "40万元", 40_000_000),
        ("hz81.9.cap.key", "1.5亿", 15_000_000_000),
        ("hz81.9.cap.key", "2500000分", 2_500_000),
        ("hz81.9.rate.key", "0.15", Decimal("0.15")),
        ("hz81.9.rate.key", "15%", Decimal("0.15")),
        ("hz81.7.scenes_per_year", "12", 12),
        ("hz81.17.max_term_months", "6", 6),
        ("hz81.9.key_industries", "new_energy, new_materials", ["new_energy", "new_materials"]),
        ("hz81.9.key_industries", "new_energy、biomedicine", ["new_energy", "biomedicine"]),
        (
            "hz81.4.bands",
            '[{min: "5000000000", points: 3}, {min: "1000000000", points: 1}]',
            [{"min": Decimal(5_000_000_000), "points": 3}, {"min": Decimal(1_000_000_000), "points": 1}],
        ),
    ],
)
def test_text_values_are_read_by_unit(pid, text, value):
    assert parse_text(pid, PARAMS[pid], text) == value


@pytest.mark.parametrize(
    ("pid", "text", "reason"),
    [
        ("hz81.7.scene_amount", "-40万", "金额不能为负数"),
        ("hz81.7.scene_amount", "40.5", "整数分"),
        ("hz81.7.scene_amount", "四十万", "金额应为整数分"),
        ("hz81.9.rate.key", "150%", "比例应在 0 与 1 之间"),
        ("hz81.7.scenes_per_year", "2.5", "应为整数"),
        ("hz81.4.bands", "1", "分档表应为非空列表"),
        ("hz81.4.bands", "[{min: 1.5, points: 3}]", "带引号的小数"),
        ("hz81.4.bands", "[{min: '1', points: 3", "YAML 或 JSON"),
    ],
)
def test_bad_text_values_are_refused(pid, text, reason):
    with pytest.raises(OverrideError) as caught:
        parse_text(pid, PARAMS[pid], text)
    assert caught.value.key == pid and reason in caught.value.reason


def test_simulate_set_parses_money_counts_and_lists():
    overrides = _parse_sets(
        (
            "hz81.7.scene_amount=40万",
            "hz81.7.scenes_per_year=12",
            "hz81.9.key_industries=new_energy,biomedicine",
        ),
        "hz81",
    )
    assert overrides == {
        "hz81.7.scene_amount": 40_000_000,
        "hz81.7.scenes_per_year": 12,
        "hz81.9.key_industries": ["new_energy", "biomedicine"],
    }
    ParamSet.for_run(PACKS, overrides)  # accepted by the engine as they are
    assert _parse_sets(("hz81.99.nope=1",), "hz81") == {"hz81.99.nope": "1"}  # the engine names it unknown


@pytest.mark.django_db
def test_policy_show_accepts_a_bare_article_number():
    bare = CliRunner().invoke(cli, ["policy", "show", "9"])
    full = CliRunner().invoke(cli, ["policy", "show", "hz81.9"])
    assert bare.exit_code == 0 and bare.output == full.output
    assert bare.output.startswith("hz81.9  81号 第9条")
    missing = CliRunner().invoke(cli, ["policy", "show", "99"])
    assert missing.exit_code != 0 and "没有第99条" in missing.output


def test_every_declared_parameter_is_read_somewhere():
    """Rules, standing sections, quotas and fiscal shares read every parameter; 第25条's are read by vouchers."""
    from pathlib import Path

    vouchers = (Path(__file__).parents[2] / "src/srdi/services/vouchers.py").read_text(encoding="utf-8")
    for pack in PACKS:
        used: set[str] = set()
        for m in pack.measures:
            if m.amount:
                used.update(m.amount.parameter_ids())
            used.update(c.param for c in m.conditions if c.param)
            if m.standing:
                used.update(m.standing.amount_params)
                used.update(c.param for c in (*m.standing.conditions, *m.standing.parts) if c.param)
            if m.annual_cap:
                used.add(m.annual_cap.param)
            if m.annual_quota:
                used.add(m.annual_quota)
            if m.selection_quota:
                used.update(p for p in (m.selection_quota.param, m.selection_quota.period) if p)
        used.update(pid for pid in pack.window_params if pid)  # a window set by parameters
        procedure = (Path(__file__).parents[2] / "src/srdi/services/programmes.py").read_text(
            encoding="utf-8"
        )
        for pid in pack.parameters:
            if pid.startswith("fiscal_share."):
                continue
            if pid.startswith("procedure."):  # the rules of the procedure are read by the programmes service
                assert pid in procedure, pid
                continue
            suffix = pid.removeprefix(f"{pack.id}.25.")
            assert pid in used or (pid.startswith(f"{pack.id}.25.") and f'"{suffix}"' in vouchers), pid
