"""SME size classes under 工信部联企业〔2011〕300号 (中小企业划型标准规定).

Use ``classify_size`` with an industry code (GB/T 4754-2017) and the year's employees, operating revenue and
total assets (``standard_or_none`` + ``classify_by_standard`` when the group is looked up once per code, as the
scalar facts do). The thresholds are data (``sme_size_standards.csv``); the conditions in it are parsed here.
Unknown inputs stay unknown: the class is ``None`` when the known figures do not decide it, while ``is_sme``
can still be decided (e.g. 50 employees in industry is an SME whatever the revenue).

Scope follows the statistical mapping of 300号 to GB/T 4754-2017: 交通运输业 excludes 铁路运输业 (G53) and includes
装卸搬运 (G591), 仓储业 is the rest of G59. Industries 300号 does not cover at all — 铁路运输业 (G53), 金融业 (J, its
own standard 银发〔2015〕309号) and 自有房地产经营 (K7040), listed after "except" in the catch-all row — have no
size class: ``industry_standard`` raises ``OutsideStandard`` and ``classify_size`` gives class and ``is_sme``
None (unknown), never "other". So does a code too short to pick a group (``G59``: 装卸搬运 or 仓储业?).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from srdi.domain.reference import read_reference_csv
from srdi.domain.tribool import Tri, tri_all, tri_any, tri_not

SIZE_CLASSES = ("large", "medium", "small", "micro")
SIZE_LABELS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
REFERENCE = "工信部联企业〔2011〕300号"
INDUSTRY_CODE = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")

# Variables used by the standards: E employees (人), R operating revenue (万元), A total assets (万元).
_TERM = re.compile(r"^\s*([ERA])\s*(<|>=)\s*(\d+)\s*$")


@dataclass(frozen=True)
class Term:
    """One comparison such as ``E>=300``."""

    var: str
    op: str
    bound: int

    def evaluate(self, values: Mapping[str, int | None]) -> Tri:
        value = values.get(self.var)
        if value is None:
            return None
        return value >= self.bound if self.op == ">=" else value < self.bound

    def text(self) -> str:
        return f"{self.var}{self.op}{self.bound}"


@dataclass(frozen=True)
class Condition:
    """Terms joined by a single ``and`` or ``or``."""

    joiner: str
    terms: tuple[Term, ...]

    def evaluate(self, values: Mapping[str, int | None]) -> Tri:
        results = [t.evaluate(values) for t in self.terms]
        return tri_all(results) if self.joiner == "and" else tri_any(results)

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(t.var for t in self.terms)

    def text(self) -> str:
        return f" {self.joiner} ".join(t.text() for t in self.terms)


def parse_condition(text: str) -> Condition:
    """Parse ``E<1000 or R<40000`` (one joiner per condition, as in the 300号 table)."""
    lowered = text.strip()
    joiner = "and" if " and " in lowered else "or" if " or " in lowered else "and"
    if " and " in lowered and " or " in lowered:
        raise ValueError(f"划型条件不能同时含 and 与 or: {text!r}")
    parts = re.split(r"\s+(?:and|or)\s+", lowered)
    terms = []
    for part in parts:
        m = _TERM.match(part)
        if not m:
            raise ValueError(f"无法解析划型条件: {part!r}")
        terms.append(Term(m.group(1), m.group(2), int(m.group(3))))
    return Condition(joiner, tuple(terms))


@dataclass(frozen=True)
class IndustryStandard:
    """One industry group's thresholds (one row of the 300号 table)."""

    industry: str
    scope: str
    sme_if: Condition
    medium_if: Condition
    small_if: Condition
    micro_if: Condition

    @property
    def variables(self) -> frozenset[str]:
        return self.sme_if.variables | self.medium_if.variables | self.small_if.variables


@dataclass(frozen=True)
class _Scope:
    section: str
    lo: str  # digit prefix lower bound ('' = whole section)
    hi: str

    def matches(self, code: str) -> bool:
        if code[0] != self.section:
            return False
        if not self.lo:
            return True
        digits = code[1 : 1 + len(self.lo)]
        return len(digits) == len(self.lo) and self.lo <= digits <= self.hi

    @property
    def specificity(self) -> int:
        return len(self.lo)


def _parse_scopes(scope: str) -> list[_Scope]:
    scopes: list[_Scope] = []
    for part in scope.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-")
            scopes.append(_Scope(a[0], a[1:], b[1:]))
        else:
            scopes.append(_Scope(part[0], part[1:], part[1:]))
    return scopes


class OutsideStandard(ValueError):
    """The industry code has no 300号 group: an industry 300号 does not cover, or a code too short to decide."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


# Names of the industries 300号 leaves out, for messages (the codes themselves come from the CSV).
EXCLUDED_NAMES = {"G53": "铁路运输业", "J": "金融业", "K7040": "自有房地产经营"}
_EXCEPT = re.compile(r"except\s+(.+?)\)?$")


@cache
def excluded_scopes() -> tuple[_Scope, ...]:
    """The industries the catch-all row excepts (``(all other except G53 J K7040)``): outside 300号."""
    for r in read_reference_csv("sme_size_standards.csv"):
        scope = r["gbt4754_2017_scope"]
        if scope.startswith("("):
            found = _EXCEPT.search(scope.strip())
            if found:
                return tuple(_parse_scopes(",".join(found.group(1).replace(")", "").split())))
    return ()


@cache
def standards() -> tuple[tuple[IndustryStandard, tuple[_Scope, ...]], ...]:
    """All industry standards with their GB/T 4754 scopes; the catch-all row has no scope."""
    rows = []
    for r in read_reference_csv("sme_size_standards.csv"):
        std = IndustryStandard(
            industry=r["industry"],
            scope=r["gbt4754_2017_scope"],
            sme_if=parse_condition(r["sme_if"]),
            medium_if=parse_condition(r["medium_if"]),
            small_if=parse_condition(r["small_if"]),
            micro_if=parse_condition(r["micro_if"]),
        )
        scopes = (
            () if r["gbt4754_2017_scope"].startswith("(") else tuple(_parse_scopes(r["gbt4754_2017_scope"]))
        )
        rows.append((std, scopes))
    return tuple(rows)


def _could_extend(scope: _Scope, code: str) -> bool:
    """Whether a longer code beginning with ``code`` could fall in ``scope`` (which is more specific than it)."""
    digits = code[1:]
    if code[0] != scope.section or len(scope.lo) <= len(digits):
        return False
    n = len(digits)
    return scope.lo[:n] <= digits <= scope.hi[:n]


def industry_standard(industry_code: str) -> IndustryStandard:
    """The 300号 industry group for a GB/T 4754-2017 code (most specific scope wins).

    Raises ``OutsideStandard`` for an industry 300号 does not cover (G53, J, K7040) and for a code whose longer
    codes fall in different groups (``G59``, ``G5``, ``K70``); ``ValueError`` for a malformed code.
    """
    code = industry_code.strip().upper()
    if not INDUSTRY_CODE.match(code):
        raise ValueError(f"行业代码格式应为门类字母加2–4位数字（如 C3976）: {industry_code!r}")
    best: tuple[int, IndustryStandard] | None = None
    fallback = None
    nearer: set[str] = set()  # groups (or exclusions) a longer code could still fall in
    for std, scopes in standards():
        if not scopes:
            fallback = std
            continue
        for scope in scopes:
            if scope.matches(code) and (best is None or scope.specificity > best[0]):
                best = (scope.specificity, std)
            elif _could_extend(scope, code):
                nearer.add(std.industry)
    for scope in excluded_scopes():
        name = EXCLUDED_NAMES.get(f"{scope.section}{scope.lo}", f"{scope.section}{scope.lo}")
        if scope.matches(code) and (best is None or scope.specificity >= best[0]):
            raise OutsideStandard(code, f"{name}不适用工信部联企业〔2011〕300号划型")
        if _could_extend(scope, code):
            nearer.add(name)
    assert fallback is not None
    found = best[1] if best is not None else fallback
    if nearer - {found.industry}:
        groups = "、".join(sorted(nearer | ({found.industry} if best is not None else set())))
        raise OutsideStandard(code, f"行业代码不够细，无法确定300号行业（可能为 {groups} 等）")
    return found


@dataclass(frozen=True)
class SizeResult:
    """The size class (``None`` when undecided), whether it is an SME, and what was used."""

    industry: str
    size_class: str | None
    is_sme: Tri
    inputs: dict[str, int | None]
    missing: tuple[str, ...]

    @property
    def label(self) -> str:
        return SIZE_LABELS.get(self.size_class or "", "未知")


VAR_LABELS = {"E": "从业人员", "R": "营业收入（万元）", "A": "资产总额（万元）"}


def classify_size(
    industry_code: str | None,
    employees: int | None,
    revenue_wan: int | None,
    assets_wan: int | None,
) -> SizeResult:
    """Classify under 300号: large/medium/small must meet all lower bounds (下划一档); micro needs one."""
    if industry_code is None:
        return SizeResult("未知行业", None, None, {}, ("industry_code",))
    try:
        std = industry_standard(industry_code)
    except OutsideStandard as exc:
        return SizeResult(exc.reason, None, None, {}, ())
    return classify_by_standard(std, employees, revenue_wan, assets_wan)


@lru_cache(maxsize=4096)
def standard_or_none(industry_code: str) -> IndustryStandard | None:
    """The code's 300号 group, or None when it has none or is malformed (the facts' reading: no size class)."""
    try:
        return industry_standard(industry_code)
    except ValueError:  # OutsideStandard included
        return None


def classify_by_standard(
    std: IndustryStandard, employees: int | None, revenue_wan: int | None, assets_wan: int | None
) -> SizeResult:
    """``classify_size`` once the industry group is known (the scalar facts look the group up once per code)."""
    values: dict[str, int | None] = {"E": employees, "R": revenue_wan, "A": assets_wan}
    used = {v: values[v] for v in sorted(std.variables)}
    missing = tuple(v for v, x in used.items() if x is None)
    is_sme = std.sme_if.evaluate(values)
    large = tri_not(is_sme)
    medium = std.medium_if.evaluate(values)
    small = std.small_if.evaluate(values)
    size: str | None = None
    # Cascade: the first class whose condition is certainly true, provided every class above is certainly false.
    if large is True:
        size = "large"
    elif large is False:
        if medium is True:
            size = "medium"
        elif medium is False:
            if small is True:
                size = "small"
            elif small is False:
                size = "micro"
    return SizeResult(std.industry, size, is_sme, used, missing)


def fen_to_wan_floor(fen: int | None) -> int | None:
    """Fen → whole 万元 rounded down, for comparisons with 300号 bounds (which are whole 万元).

    Comparing ``floor(x) >= n`` equals ``x >= n`` for whole-number bounds, and ``floor(x) < n`` equals
    ``x < n``, so rounding down loses nothing.
    """
    return None if fen is None else fen // 1_000_000
