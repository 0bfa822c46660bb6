"""Reading the YAML data files (rulebooks and policy packs): one mapping per file, every mapping's keys checked.

Use ``read_mapping`` to load a file and ``checked_keys`` for each mapping in it; both raise ``RuleDataError``
naming the file and the key, so a bad data file fails at load time with a message a maintainer can act on.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml

from srdi.domain.rules.parameters import RuleDataError

MISSING = (None, "")  # values that count as a missing required key


def read_mapping(path: Path | Any, source: str) -> dict[str, Any]:
    """The file's top-level mapping (``path`` may be a ``Path`` or an importlib resource)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleDataError(source, "(文件)", f"YAML 格式错误：{exc}") from None
    if not isinstance(data, dict):
        raise RuleDataError(source, "(文件)", "顶层应为映射")
    return data


def checked_keys(
    source: str,
    key: str,
    raw: Any,
    allowed: set[str],
    required: Collection[str] = frozenset(),
    missing: tuple[Any, ...] = MISSING,
) -> dict[str, Any]:
    """``raw`` when it is a mapping with only ``allowed`` keys and every ``required`` one set (not in ``missing``)."""
    if not isinstance(raw, dict):
        raise RuleDataError(source, key, "应为映射")
    unknown = set(raw) - allowed
    if unknown:
        raise RuleDataError(source, f"{key}.{sorted(unknown)[0]}", "未知键")
    for r in sorted(required):
        if raw.get(r) in missing:
            raise RuleDataError(source, f"{key}.{r}", "缺少必填项")
    return raw
