"""What a header cell means: which of our columns, in which unit, for which year — or why it cannot be used.

``match_header("2024年营业收入（万元）")`` → operating_revenue_fen, unit 万元, year 2024. ``match_pair`` reads a
column under a group header (``财务数据（万元）`` over ``营业收入``, ``2024年`` over ``研发费用``, or a field over
``2024年``). Headers are compared after ``normalise`` (NFKC so ``（`` is ``(``, no whitespace or line breaks,
ASCII lower-case, no ``*`` required-markers or trailing colon) against field names, our labels and the aliases
in ``columns.py``. A header that is recognisably ours but has a unit we cannot read is a problem (never dropped
silently); a money column must name its unit unless the header is exactly our own (``营业收入（分）``,
``operating_revenue_fen``), which is in 分.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from srdi.interchange.columns import COLUMNS, IGNORED_HEADERS, Column

# A money unit and how many fen one of it is.
MONEY_UNITS = {"分": 1, "元": 100, "万元": 1_000_000, "万": 1_000_000}
COUNT_UNITS = frozenset({"人", "个", "件", "项", "家", "名", "位", "次", "种"})
PERCENT_UNITS = frozenset({"%", "百分比", "百分数"})
# Words that look like a unit, known or not: a header of ours followed by one of these is read as stem + unit.
_UNIT_WORDS = (
    *MONEY_UNITS,
    *COUNT_UNITS,
    *PERCENT_UNITS,
    "千元",
    "亿元",
    "百万元",
    "万美元",
    "美元",
    "千",
    "亿",
    "万人",
    "‰",
)
_BRACKETS = re.compile(r"(?:\(([^()]*)\)|\[([^\[\]]*)\]|【([^【】]*)】)$")
_SEPARATED = re.compile(r"^(.+?)[/:_\-—|](.+)$")
_YEAR = re.compile(r"^((?:19|20|21)\d\d)(?:年度|年)?$")
_YEAR_PREFIX = re.compile(r"^((?:19|20|21)\d\d)(?:年度|年)(.+)$")
_YEAR_SUFFIX = re.compile(r"^(.+?)((?:19|20|21)\d\d)(?:年度|年)$")
_UNIT_SPEC = re.compile(r"^(?:计量)?单位[:：]?(.+)$")
# In a group label (``2024年``, ``财务数据（万元）``): a year not followed by a month, and a ``单位：`` spec.
_GROUP_YEAR = re.compile(r"(?<!\d)((?:19|20|21)\d\d)(?!\d)(?!年\d)(?![-/.]\d)")
_GROUP_UNIT = re.compile(r"(?:^|[(\[【,;])单位[:：]?([^)\]】,;]+)")
_TITLE_WORDS = ("表", "填报", "申报", "日期", "盖章", "名单", "时间")


def normalise(text: object) -> str:
    """Header text for comparison: NFKC, no whitespace, ASCII lower-case, no ``*`` markers or trailing colon."""
    t = unicodedata.normalize("NFKC", str(text))
    t = "".join(t.split()).replace("\u200b", "").replace("\ufeff", "")
    t = t.lower().strip("*")
    return t.rstrip(":").strip("*")


class Match(Enum):
    """How a header was understood."""

    FIELD = "field"  # one of our columns (possibly with a problem)
    EMPTY = "empty"  # no header text
    KNOWN_OTHER = "known_other"  # a column districts keep that is not ours (序号, 备注 …): ignored
    UNKNOWN = "unknown"  # not a header we know: ignored, listed in a warning


@dataclass(frozen=True)
class HeaderMatch:
    """The reading of one header: column, unit, year; ``problem`` says why it cannot be used as it is."""

    kind: Match
    column: Column | None = None
    unit: str | None = None
    year: int | None = None
    problem: str = ""
    unused: tuple[str, ...] = ()  # notes in the header that do not change the value (``企业名称（全称）``)

    @property
    def usable(self) -> bool:
        return self.kind is Match.FIELD and not self.problem


EMPTY = HeaderMatch(Match.EMPTY)


def _stem_of_label(label: str) -> tuple[str, str | None]:
    """A label without its unit: ``营业收入(分)`` → (``营业收入``, ``分``); others unchanged."""
    m = _BRACKETS.search(label)
    if m:
        inner = next(g for g in m.groups() if g is not None)
        if inner in MONEY_UNITS or inner in COUNT_UNITS or inner in PERCENT_UNITS:
            return label[: m.start()], inner
    return label, None


def stem_label(column: Column) -> str:
    """A column's label without the unit of our template: ``营业收入（分）`` → ``营业收入``."""
    return column.label.removesuffix("（分）")


def _tables() -> tuple[dict[str, tuple[Column, str | None]], dict[str, Column]]:
    exact: dict[str, tuple[Column, str | None]] = {}
    stems: dict[str, Column] = {}
    for c in COLUMNS:
        implied = "分" if c.kind == "fen" else None
        exact[normalise(c.name)] = (c, implied)
        label = normalise(c.label)
        stem, unit = _stem_of_label(label)
        exact[label] = (c, unit)
        stems[stem] = c
        for alias in c.aliases:
            stems[normalise(alias)] = c
    return exact, stems


EXACT, STEMS = _tables()
_IGNORED = frozenset(normalise(h) for h in IGNORED_HEADERS)
# Longest first, so that ``研发人员数`` is tried before ``研发人员``.
_STEMS_BY_LENGTH = sorted(STEMS, key=len, reverse=True)


def _qualifier(text: str) -> tuple[str, str | int | None]:
    """One qualifier of a header: ("year", 2024), ("unit", "万元"), or ("other", text)."""
    m = _YEAR.match(text)
    if m:
        return "year", int(m.group(1))
    spec = _UNIT_SPEC.match(text)
    unit = spec.group(1) if spec else text
    if unit in MONEY_UNITS or unit in COUNT_UNITS or unit in PERCENT_UNITS or unit in _UNIT_WORDS:
        return "unit", unit
    return "other", text


def _split(n: str) -> tuple[str, list[str]]:
    """A header's stem and its qualifiers: ``2024年营业收入(万元)`` → (``营业收入``, [``2024``, ``万元``])."""
    quals: list[str] = []
    m = _YEAR_PREFIX.match(n)
    if m:
        quals.append(m.group(1))
        n = m.group(2)
    while True:
        b = _BRACKETS.search(n)
        if not b or b.start() == 0:
            break
        inner = next(g for g in b.groups() if g is not None)
        quals[:0] = [q for q in re.split(r"[,;、]", inner) if q]
        n = n[: b.start()]
    m = _YEAR_SUFFIX.match(n)
    if m and m.group(1) in STEMS:
        quals.append(m.group(2))
        n = m.group(1)
    if n not in STEMS:
        sep = _SEPARATED.match(n)
        if sep and sep.group(1) in STEMS:
            quals.append(sep.group(2))
            n = sep.group(1)
        else:
            for word in sorted(_UNIT_WORDS, key=len, reverse=True):
                if n.endswith(word) and n[: -len(word)] in STEMS:
                    quals.append(word)
                    n = n[: -len(word)]
                    break
    return n, quals


NEEDS_UNIT = "请在表头注明金额单位（元/万元/分），如「营业收入（万元）」"
NUMERIC_KINDS = ("fen", "int", "decimal")


def _check(column: Column, unit: str | None, year: int | None, implied: bool = False) -> str:
    """Why this column cannot take this unit or year ("" when it can)."""
    kind = column.kind
    if unit is not None:
        if kind == "fen" and unit not in MONEY_UNITS:
            return f"金额单位「{unit}」无法识别：请写 元、万元 或 分"
        if kind == "int" and unit not in COUNT_UNITS:
            return f"单位「{unit}」无法识别：该列应为整数（人、个、件、项）"
        if kind == "decimal" and unit not in PERCENT_UNITS:
            return f"单位「{unit}」无法识别：该列为比例，表头可注明（%）"
        if kind not in NUMERIC_KINDS:
            return f"表头中的「{unit}」无法识别：该列不带单位"
    elif kind == "fen" and not implied:
        return NEEDS_UNIT
    if year is not None:
        if column.level != "year" or column.name == "year":
            return f"表头含年份 {year}，但该列不分年度"
        if not 1900 <= year <= 2200:
            return f"表头年份 {year} 不在 1900–2200 之间"
    return ""


def _looks_ours(n: str) -> Column | None:
    """A header that starts with one of our stems and goes on with a bracket, a separator or a unit word."""
    for stem in _STEMS_BY_LENGTH:
        if n.startswith(stem) and len(n) > len(stem):
            rest = n[len(stem) :]
            if rest[0] in "([【/:_-—|" or rest in _UNIT_WORDS:
                return STEMS[stem]
    return None


def match_header(text: object) -> HeaderMatch:
    """The reading of one header cell."""
    if text is None:
        return EMPTY
    n = normalise(text)
    if not n:
        return EMPTY
    hit = EXACT.get(n)
    if hit is not None:
        column, unit = hit
        return HeaderMatch(Match.FIELD, column, unit, None, _check(column, unit, None, implied=True))
    if n in _IGNORED:
        return HeaderMatch(Match.KNOWN_OTHER)
    stem, quals = _split(n)
    found = STEMS.get(stem)
    if found is None:
        near = _looks_ours(n)
        if near is not None:
            return HeaderMatch(
                Match.FIELD, near, problem=f"像是「{stem_label(near)}」列，但表头中的单位或后缀无法识别"
            )
        return HeaderMatch(Match.UNKNOWN)
    return _with_qualifiers(found, quals)


def _with_qualifiers(column: Column, quals: list[str]) -> HeaderMatch:
    unit: str | None = None
    year: int | None = None
    unused: list[str] = []
    for q in quals:
        what, value = _qualifier(q)
        if what == "year" and isinstance(value, int):
            if year is not None and year != value:
                return HeaderMatch(Match.FIELD, column, problem=f"表头中有两个年份（{year}、{value}）")
            year = value
        elif what == "unit" and isinstance(value, str):
            if unit is not None and not _same_unit(unit, value):
                return HeaderMatch(Match.FIELD, column, problem=f"表头中有两个单位（{unit}、{value}）")
            unit = value
        elif column.kind in NUMERIC_KINDS:
            # A note we cannot read next to a number might be a unit: never guess.
            return HeaderMatch(Match.FIELD, column, problem=f"表头中的「{q}」无法识别（应为单位，如 万元）")
        else:
            unused.append(q)
    unit = "万元" if unit == "万" else unit
    return HeaderMatch(Match.FIELD, column, unit, year, _check(column, unit, year), tuple(unused))


def _same_unit(a: str, b: str) -> bool:
    return a == b or MONEY_UNITS.get(a) == MONEY_UNITS.get(b) is not None


@dataclass(frozen=True)
class GroupLabel:
    """What a group header (a merged cell above several columns) says about its children."""

    text: str
    year: int | None
    unit: str | None


def group_label(text: object) -> GroupLabel | None:
    """A group header's year and unit; None when the cell cannot be a group label (a title, say)."""
    if text is None:
        return None
    n = normalise(text)
    if not n or len(n) > 20 or any(w in n for w in _TITLE_WORDS):
        return None
    years = {int(y) for y in _GROUP_YEAR.findall(n)}
    if len(years) > 1:
        return None
    unit = None
    b = _BRACKETS.search(n)
    if b:
        inner = next(g for g in b.groups() if g is not None)
        _, value = _qualifier(inner)
        unit = value if isinstance(value, str) and _qualifier(inner)[0] == "unit" else None
    spec = _GROUP_UNIT.search(n)
    if unit is None and spec:
        what, value = _qualifier(spec.group(1))
        unit = value if what == "unit" and isinstance(value, str) else None
    return GroupLabel(str(text).strip(), years.pop() if years else None, unit)


def match_pair(group: object, child: object) -> HeaderMatch:
    """A column under a group header: the child's reading with the group's year and unit applied.

    A child that is only a year or a unit (``营业收入（万元）`` over ``2024年``) takes its field from the group;
    an empty child under a header of ours is that header merged down over two rows. A unit in the child and
    another in the group is a problem (never guess which one holds).
    """
    g = normalise(group) if group is not None else ""
    c = normalise(child) if child is not None else ""
    if not g:
        return match_header(child)
    if not c:
        return match_header(group)
    mc = match_header(child)
    if mc.kind is Match.FIELD and mc.column is not None:
        label = group_label(group)
        if label is None or (mc.problem and mc.problem != NEEDS_UNIT):
            return mc
        column, unit, year = mc.column, mc.unit, mc.year
        if label.unit is not None and _unit_fits(column, label.unit):
            if unit is not None and not _same_unit(unit, label.unit):
                return HeaderMatch(
                    Match.FIELD, column, problem=f"列单位「{unit}」与分组单位「{label.unit}」不一致"
                )
            unit = "万元" if label.unit == "万" else label.unit
        if label.year is not None and column.level == "year" and column.name != "year":
            if year is not None and year != label.year:
                return HeaderMatch(
                    Match.FIELD, column, problem=f"表头年份 {year} 与分组年份 {label.year} 不一致"
                )
            year = label.year
        return HeaderMatch(Match.FIELD, column, unit, year, _check(column, unit, year), mc.unused)
    what, _ = _qualifier(c)
    if what in ("year", "unit"):
        mg = match_header(group)
        if mg.kind is Match.FIELD and mg.column is not None:
            stem, quals = _split(g)
            return _with_qualifiers(STEMS.get(stem) or mg.column, [*quals, c])
    return mc


def _unit_fits(column: Column, unit: str) -> bool:
    """Whether a group's unit is meant for this child (a 万元 group says nothing about a head count)."""
    if column.kind == "fen":
        return unit in MONEY_UNITS or (unit in _UNIT_WORDS and unit not in COUNT_UNITS | PERCENT_UNITS)
    if column.kind == "decimal":
        return unit in PERCENT_UNITS
    if column.kind == "int":
        return unit in COUNT_UNITS
    return False
