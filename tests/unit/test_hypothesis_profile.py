"""The suite runs Hypothesis under the ``srdi`` profile (tests/conftest.py): no per-example deadline, Hypothesis's
own numbers of examples — so a loaded machine cannot fail a property by timing, and no property runs fewer
examples than before."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings


@pytest.mark.skipif(
    bool(os.environ.get("HYPOTHESIS_PROFILE")), reason="another profile was chosen on purpose"
)
def test_the_default_profile_has_no_deadline_and_the_usual_examples():
    assert settings.default.deadline is None
    assert settings.default.max_examples == settings.get_profile("default").max_examples


def test_the_quick_profile_only_lowers_the_examples():
    quick = settings.get_profile("quick")
    assert quick.max_examples == 20
    assert quick.deadline is None
