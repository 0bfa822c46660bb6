"""Rule cases: readable YAML examples (input → expected output) that policy officers can read and add to.

Each file under ``rulebooks/cases`` (assessment) or ``policies/*/cases`` (entitlements) lists cases with a
``name``, the criterion it ``tests``, an optional ``extends`` (a named base profile) with ``profile``
overrides, optional ``parameters`` overrides and the ``expect``ed result. ``load_cases`` resolves the bases
and returns ready-to-run cases; the test suite runs them all.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from srdi.domain.rules.parameters import RuleDataError
from srdi.domain.uscc import CHARSET, uscc_check_char

CASE_KEYS = {"name", "tests", "extends", "profile", "parameters", "expect", "as_of", "enterprises", "purpose"}


@dataclass(frozen=True)
class RuleCase:
    """One runnable case."""

    file: str
    name: str
    tests: str
    subject: str  # the tier or policy pack
    as_of: str
    profile: dict[str, Any]
    parameters: dict[str, Any]
    expect: dict[str, Any]
    others: list[dict[str, Any]] = field(default_factory=list)
    purpose: str = "application"  # assessment cases: application (认定) or review (复核)

    @property
    def id(self) -> str:
        return f"{self.file}::{self.name}"


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base`` (dicts merge, everything else replaces; null sets null)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def case_uscc(n: int) -> str:
    """A valid, deterministic USCC for the n-th case."""
    body = ""
    for _ in range(9):
        n, rem = divmod(n, 31)
        body = CHARSET[rem] + body
    first17 = "91330106" + body
    return first17 + uscc_check_char(first17)


def _strip_nulls(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _strip_nulls(v) for k, v in data.items() if v is not None}
    if isinstance(data, list):
        return [_strip_nulls(v) for v in data]
    return data


def _resolved_bases(raw: dict[str, Any]) -> dict[str, Any]:
    """Base profiles with their own ``extends`` (one base built on another) merged in."""
    out: dict[str, Any] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> Any:
        if name in out:
            return out[name]
        if name not in raw or name in chain:
            raise RuleDataError(
                "_bases.yaml",
                f"bases.{chain[-1] if chain else name}.extends",
                f"未定义或循环引用的基础档案 {name!r}",
            )
        body = dict(raw[name])
        parent = body.pop("extends", None)
        out[name] = deep_merge(resolve(parent, (*chain, name)), body) if parent else body
        return out[name]

    for name in raw:
        resolve(name, ())
    return out


def load_cases(root: Path | Any, subject_key: str) -> list[RuleCase]:
    """Every case under ``root`` (``_bases.yaml`` holds named base profiles)."""
    bases: dict[str, Any] = {}
    base_file = root / "_bases.yaml"
    if base_file.is_file():
        bases = _resolved_bases(yaml.safe_load(base_file.read_text(encoding="utf-8")).get("bases", {}))
    out: list[RuleCase] = []
    counter = 1000
    for file in sorted(f for f in root.iterdir() if f.name.endswith(".yaml") and not f.name.startswith("_")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        subject = data.get(subject_key)
        if not subject:
            raise RuleDataError(file.name, subject_key, "缺少用例主题")
        for i, raw in enumerate(data.get("cases", [])):
            unknown = set(raw) - CASE_KEYS
            if unknown:
                raise RuleDataError(file.name, f"cases[{i}].{sorted(unknown)[0]}", "未知键")
            for required in ("name", "tests", "expect"):
                if not raw.get(required):
                    raise RuleDataError(
                        file.name, f"cases[{i}].{required}", "缺少必填项（每个用例须注明所测条款）"
                    )
            base = bases.get(raw["extends"], None) if raw.get("extends") else {}
            if base is None:
                raise RuleDataError(file.name, f"cases[{i}].extends", f"未定义的基础档案 {raw['extends']!r}")
            counter += 1
            profile = _strip_nulls(deep_merge(base, raw.get("profile") or {}))
            profile.setdefault("uscc", case_uscc(counter))
            others = []
            for j, other in enumerate(raw.get("enterprises") or []):
                ob = (
                    bases.get(other.pop("extends"), {})
                    if isinstance(other, dict) and other.get("extends")
                    else {}
                )
                merged = _strip_nulls(deep_merge(ob, other))
                merged.setdefault("uscc", case_uscc(counter * 100 + j))
                others.append(merged)
            out.append(
                RuleCase(
                    file.name,
                    str(raw["name"]),
                    str(raw["tests"]),
                    str(subject),
                    str(raw.get("as_of") or data.get("as_of") or ""),
                    profile,
                    dict(raw.get("parameters") or {}),
                    dict(raw["expect"]),
                    others,
                    str(raw.get("purpose") or data.get("purpose") or "application"),
                )
            )
    return out


def assessment_cases() -> list[RuleCase]:
    """The shipped tier-assessment cases."""
    return load_cases(resources.files("srdi.rulebooks").joinpath("cases"), "tier")


def policy_cases(pack: str = "hz81") -> list[RuleCase]:
    """The shipped entitlement cases of a policy pack."""
    return load_cases(resources.files("srdi.policies").joinpath(pack, "cases"), "pack")
