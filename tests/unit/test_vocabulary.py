"""The one vocabulary: every code has a label, unknown codes never show raw, recorded values read as labels."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from srdi.domain.object_types import OBJECT_TYPE_LABELS, OTHER, object_type_label
from srdi.web.vocabulary import VOCABULARIES, all_codes, label, model_choices, readable, tier_name

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_code_of_every_vocabulary_and_model_choice_has_a_chinese_label():
    tables = {**VOCABULARIES, **model_choices()}
    missing = [
        f"{c}:{code}" for c, t in tables.items() for code, text in t.items() if not HAN.search(str(text))
    ]
    assert not missing, missing


def test_labels_by_concern_and_unknown_codes():
    assert label("case_state", "payment_failed") == "拨付失败"
    assert label("entitlement_status", "not_eligible") == "不符合"
    assert label("refusal", "wrong_state") == "当前状态不能办理"
    assert label("auditevent.action", "login_failed") == "登录失败"
    assert label("case_state", "no_such_state") == "未知"
    assert label("case_state", None) == label("case_state", "") == ""
    with pytest.raises(KeyError):
        label("no_such_vocabulary", "x")


def test_object_types_are_labelled_in_one_place_and_admin_model_names_by_verbose_name():
    assert label("object_type", "unit_report") == "责任单位季度报告"
    assert label("object_type", "auditevent") == "审计日志"  # the admin records model_name
    assert object_type_label("something_new") == OTHER
    assert set(OBJECT_TYPE_LABELS) <= all_codes()["object_type"]


def test_recorded_values_read_as_labels_and_the_rest_is_kept():
    value = {
        "state": "paid",
        "transition": "mark_paid",
        "amount_fen": 100,
        "note": "银行退回",
        "tiers": ["srdi_sme"],
    }
    assert readable(value) == {
        "state": "已拨付",
        "流程流转": label("transition", "mark_paid"),
        "amount_fen": 100,
        "note": "银行退回",
        "tiers": [label("tier", "srdi_sme")],
    }


def test_tier_names_cover_certification_tiers():
    assert tier_name("little_giant") == label("tier", "little_giant")
    assert tier_name("tech_sme").startswith("科技型中小企业")
    assert tier_name(None) == ""


def test_the_label_filter():
    out = Template('{% load srdi_web %}{{ s|label:"case_state" }}|{{ t|tier_label }}').render(
        Context({"s": "publicity", "t": "tech_sme"})
    )
    assert out == f"公示中|{tier_name('tech_sme')}"
