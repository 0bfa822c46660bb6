"""Helpers shared by the web-page tests (unique module name: the test folders are not packages)."""

from __future__ import annotations

import json

from srdi.db.models import User
from srdi.domain.uscc import uscc_check_char
from srdi.services.imports import import_file

PASSWORD = "Str0ng!Passw0rd-Test"
WEST_LAKE = "330106"  # 西湖区
BINJIANG = "330108"  # 滨江区


def make_uscc(n: int, region: str = "330106") -> str:
    """A valid 统一社会信用代码 (GB 32100 check character computed)."""
    first17 = f"91{region}MA{n:07d}"
    return first17 + uscc_check_char(first17)


def import_profiles(profiles: list[dict], actor: User | None = None):
    """Import exchange-format profiles as one JSON file; fails the test if the import is refused."""
    result = import_file(json.dumps(profiles, ensure_ascii=False).encode(), "fixture.json", actor=actor)
    assert not result.errors, result.error_messages()
    return result
