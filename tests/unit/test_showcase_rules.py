"""Showcase rules (``srdi.domain.showcase``): the status machine, plain-text checks, the approval guard and the
public rule — without a database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from srdi.domain.showcase import (
    TRANSITIONS,
    Action,
    Approval,
    Consent,
    ShowcaseRuleError,
    Status,
    allowed_actions,
    approval_verdict,
    clean_public_name,
    clean_story,
    clusters,
    next_status,
    shown_publicly,
)

STORY = "深耕精密传感器细分市场十余年，主导产品国内市场占有率居前。"

EXPECTED = {
    (Status.DRAFT, Action.SUBMIT): Status.PENDING,
    (Status.PENDING, Action.APPROVE): Status.PUBLISHED,
    (Status.PENDING, Action.REJECT): Status.DRAFT,
    (Status.PENDING, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.PUBLISHED, Action.WITHDRAW): Status.WITHDRAWN,
    (Status.WITHDRAWN, Action.REOPEN): Status.DRAFT,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_status_and_action(status, action):
    if (status, action) in EXPECTED:
        assert next_status(status, action) is EXPECTED[(status, action)]
        assert action in allowed_actions(status)
    else:
        with pytest.raises(ShowcaseRuleError, match=f"不能{action.label}"):
            next_status(status, action)
        assert action not in allowed_actions(status)


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_published_is_reached_only_by_approval_from_review(actions):
    """Along any sequence of actions (refused ones leave the status alone), an entry is published only right
    after an approval of a pending entry, and nothing leaves a draft except a submission."""
    status = Status.DRAFT
    for action in actions:
        try:
            new = next_status(status, action)
        except ShowcaseRuleError:
            continue
        if new is Status.PUBLISHED:
            assert (status, action) == (Status.PENDING, Action.APPROVE)
        if status is Status.DRAFT:
            assert action is Action.SUBMIT
        status = new
    assert status in set(Status)


def test_unknown_action_or_status_is_refused():
    with pytest.raises(ShowcaseRuleError, match="无效的操作"):
        next_status("draft", "publish_now")
    with pytest.raises(ShowcaseRuleError):
        next_status("archived", "submit")
    assert set(TRANSITIONS) == set(Action)


@pytest.mark.parametrize(
    "text",
    [
        STORY + "<b>加粗</b>",
        STORY + "<script>alert(1)</script>",
        STORY + "< img src=x onerror=alert(1)>",
        STORY + "&lt;b&gt;",
        STORY + "&#60;",
        STORY + "<!-- 注释 -->",
    ],
)
def test_markup_is_refused(text):
    with pytest.raises(ShowcaseRuleError, match="纯文本") as refused:
        clean_story(text)
    assert refused.value.field == "story"


def test_plain_text_keeps_paragraphs_and_comparisons():
    text = "  第一段：营收增长 >20%，研发占比 5%<10%。\r\n\r\n\r\n第二段\u200b：获评省级隐形冠军。\x07  "
    assert clean_story(text) == "第一段：营收增长 >20%，研发占比 5%<10%。\n\n第二段：获评省级隐形冠军。"
    assert clean_public_name("  杭州\t西湖\n精工  ") == "杭州西湖精工"


@given(st.text(max_size=700))
def test_a_cleaned_story_is_within_limits_and_free_of_tags(text):
    try:
        story = clean_story(text)
    except ShowcaseRuleError as refused:
        field = refused.field
        story = ""
    else:
        field = ""
    if field:
        assert field == "story"
        return
    assert 20 <= len(story) <= 500
    assert "<script" not in story.lower() and story == story.strip()
    assert clean_story(story) == story  # idempotent


def test_lengths():
    with pytest.raises(ShowcaseRuleError, match="至少 20 字"):
        clean_story("太短")
    with pytest.raises(ShowcaseRuleError, match="不超过 500 字"):
        clean_story("好" * 501)
    assert clean_story("好" * 500) == "好" * 500
    with pytest.raises(ShowcaseRuleError, match="不超过 60 字"):
        clean_public_name("名" * 61)


def test_clusters_are_the_ecosystems_then_the_296x_clusters():
    codes = list(clusters())
    assert codes[:5] == ["smart_iot", "biomedicine", "high_end_equipment", "new_materials", "green_energy"]
    assert "integrated_circuit" in codes and len(codes) == len(set(codes))


def approval(**over):
    base = {"approver_id": 2, "authors": frozenset({1}), "consent": Consent.GIVEN, "tier_today": "srdi_sme"}
    return Approval(**(base | over))


def test_approval_needs_another_person_consent_and_a_title():
    assert approval_verdict(approval())
    assert approval_verdict(approval(approver_id=1)).code == "four_eyes"
    assert approval_verdict(approval(authors=frozenset({1, 2}))).code == "four_eyes"
    assert approval_verdict(approval(consent=Consent.NONE)).code == "consent"
    assert approval_verdict(approval(consent=Consent.WITHDRAWN)).code == "consent"
    assert approval_verdict(approval(tier_today=None)).code == "title"
    assert approval_verdict(approval(tier_today="tech_sme")).code == "title"  # a registration, not a tier


@given(
    st.sampled_from(list(Status)),
    st.sampled_from(list(Consent)),
    st.sampled_from([None, "innovative_sme", "srdi_sme", "hidden_champion", "little_giant", "tech_sme"]),
)
def test_shown_publicly_only_when_published_consented_and_titled(status, consent, tier):
    shown = shown_publicly(status, consent, tier)
    assert shown == (
        status is Status.PUBLISHED and consent is Consent.GIVEN and tier not in (None, "tech_sme")
    )
