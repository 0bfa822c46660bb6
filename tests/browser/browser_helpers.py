"""Helpers for the browser tests (a unique module name: the test folders are not packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from srdi.domain.uscc import uscc_check_char

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "Kt9!Lantern-Quay"  # the browser users' password: passes the policy for every test user name
WEST_LAKE, BINJIANG = "330106", "330108"


def uscc(n: int, region: str = WEST_LAKE) -> str:
    """A valid USCC for test enterprise ``n`` in ``region``."""
    first17 = f"91{region}MB{n:07d}"
    return first17 + uscc_check_char(first17)


class Shots:
    """Numbered screenshots of one journey: ``test-artifacts/<journey>-01-<step>.png`` …"""

    def __init__(self, page: Any, journey: str):
        self.page, self.journey, self.n = page, journey, 0
        ARTIFACTS.mkdir(exist_ok=True)
        for old in ARTIFACTS.glob(f"{journey}-*.png"):
            old.unlink()

    def __call__(self, step: str) -> Path:
        self.n += 1
        path = ARTIFACTS / f"{self.journey}-{self.n:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


# The parameter-management journey: the parameter changed, the value typed and its dates (a full year).
SCENE_AMOUNT = "hz81.7.scene_amount"
ADMIN_USER = "admin_browser"
