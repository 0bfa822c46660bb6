"""Fixtures shared by the whole suite: valid USCCs, users per role, small enterprise sets."""

from __future__ import annotations

import itertools
import shutil

import pytest

from srdi.domain.uscc import CHARSET, uscc_check_char

_counter = itertools.count(1)


def make_uscc(district: str = "330106", n: int | None = None) -> str:
    """A GB 32100-valid code whose digits 3–8 are the district code."""
    n = next(_counter) if n is None else n
    body = ""
    for _ in range(9):
        n, rem = divmod(n, 31)
        body = CHARSET[rem] + body
    first17 = "91" + district + body
    return first17 + uscc_check_char(first17)


@pytest.fixture
def uscc_factory():
    return make_uscc


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def pytest_collection_modifyitems(config, items):
    if chromium_path():
        return
    skip = pytest.mark.skip(reason="Chromium not installed: browser tests skipped")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
