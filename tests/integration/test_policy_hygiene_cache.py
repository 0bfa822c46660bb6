"""The 政策包体检 page's case texts are parsed once per state of the case files, and equal a fresh parse."""

from __future__ import annotations

import pytest

from srdi.domain.rules.cases import policy_cases
from srdi.services import policy_hygiene
from srdi.services.parameters import packs_in_force

pytestmark = pytest.mark.django_db


def test_cached_case_texts_equal_a_fresh_parse_and_are_parsed_once(monkeypatch):
    policy_hygiene._texts_cache.clear()
    packs = packs_in_force()
    first = policy_hygiene.case_texts(packs)
    assert first and all(first.values())
    assert first == {pid: [c.tests for c in policy_cases(pid)] for pid in first}
    parsed: list[str] = []
    monkeypatch.setattr(policy_hygiene, "policy_cases", lambda pid: parsed.append(pid) or policy_cases(pid))
    assert policy_hygiene.case_texts(packs) == first
    assert parsed == []  # the files did not change: nothing parsed again
    policy_hygiene._texts_cache.clear()
    assert policy_hygiene.case_texts(packs) == first
    assert sorted(parsed) == sorted(first)
