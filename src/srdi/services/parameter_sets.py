"""Parameter sets: the approved changes of one installation as YAML, to review, diff and propose in another.

Use ``export_parameter_set(pack=None)`` for the text of ``srdi policy export-params``: the format of the baseline
``policies/<pack>/parameters.yaml`` (``parameters: {pid: {label, unit, reference, values: [{from, to, value}]}}``)
holding, for each parameter, the days on which an approved change is in force — the changes laid over each other
in approval order, so periods never overlap (a later change cuts an earlier one; a change every day of which a
later one replaced has no period). Each period keeps where it came from in one extra key, ``change:``
``{version, document, article, reason}``; ``version`` is where the value was first approved (an imported change
cites the exporting installation's version), so the same value has the same label everywhere. The baseline loader
(``load_parameter``) does not accept ``change:`` — an export is not a baseline file; this module reads it.

``import_parameter_set(text, actor)`` reads such a file strictly (unknown parameter, another unit, overlapping
periods, a value its unit refuses, a missing document or reason: an error naming the parameter and the key, and
nothing is stored) and turns every period into a PROPOSAL: a second person of this installation still approves
it. A period whose days this installation already has at the same value from approved changes is skipped, and so
is one identical to a pending proposal; both are reported.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import yaml
from django.db import transaction

from srdi.db.models import ParameterChange, User
from srdi.domain.permissions import Permission
from srdi.domain.policy.layering import ParameterEntry, overlay
from srdi.domain.rules.parameters import (
    Parameter,
    Period,
    RuleDataError,
    first_uncovered,
    load_parameter,
    to_json,
)
from srdi.services import lpr
from srdi.services.parameters import (
    ParameterChangeError,
    check_value,
    entry_value,
    known_parameter,
    propose,
)

CHANGE_KEY = "change"  # the extra key of an exported period: where its value came from
CHANGE_KEYS = ("version", "document", "article", "reason")
SOURCE = "参数集文件"
HEADER = (
    "# 政策参数集（srdi policy export-params）：已批准的参数调整，格式同 policies/<pack>/parameters.yaml；\n"
    "# 每个期间的 change 记录其来源（版本、依据文件、条款、理由）。导入后须由本系统的第二人审批。\n"
)


class ParameterSetError(ParameterChangeError):
    """A parameter-set file refused; ``problems`` lists every problem, each naming the parameter and the key."""

    def __init__(self, problems: list[str]):
        super().__init__("参数集文件有误，未导入任何调整：\n" + "\n".join(f"  {p}" for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class SetPeriod:
    """One period of a parameter set: ``value`` in the baseline YAML's form, with the change it came from."""

    pid: str
    start: date
    end: date | None
    value: Any
    version: str
    document: str
    article: str
    reason: str

    def describe(self) -> str:
        return f"{self.pid} {self.start}—{self.end or '长期'}（{self.version or '无版本'}）"


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the proposals it created and the periods it left out (with why)."""

    proposed: tuple[ParameterChange, ...]
    already_approved: tuple[SetPeriod, ...]
    already_proposed: tuple[SetPeriod, ...]


# --- export -------------------------------------------------------------------------------------------------


def _entries(changes: Iterable[ParameterChange], param: Parameter) -> list[ParameterEntry]:
    return [
        ParameterEntry(c.parameter, c.effective_from, c.effective_to, entry_value(param, c.value), c.version)
        for c in changes
    ]


def in_force_periods(changes: list[ParameterChange], param: Parameter) -> tuple[Period, ...]:
    """The days on which one of ``changes`` (in decision order) is in force, each with the change's version."""
    periods: tuple[Period, ...] = ()
    if param.id == lpr.LPR_PID:
        # Releases are kept one per date, as the engine keeps them (``lpr.approved_releases``): laid in date order
        # (a later decision still wins on the same date), so a back-dated release never hides a later one.
        changes = sorted(changes, key=lambda c: c.effective_from)
    for entry in _entries(changes, param):
        periods = overlay(periods, entry)
    if param.id == lpr.LPR_PID:  # a release holds until the next one: close each period at the next release
        ends = [after.start - timedelta(days=1) for after in periods[1:]]
        periods = tuple(
            Period(p.start, end, p.value, version=p.version)
            for p, end in zip(periods, [*ends, None][: len(periods)], strict=True)
        )
    return periods


def _changes_by_parameter(status: str, pack: str | None) -> dict[str, list[ParameterChange]]:
    order = ("decided_at", "id") if status == ParameterChange.Status.APPROVED else ("proposed_at", "id")
    changes = ParameterChange.objects.filter(status=status).order_by(*order)
    if pack:
        changes = changes.filter(pack=pack)
    out: dict[str, list[ParameterChange]] = {}
    for change in changes:
        out.setdefault(change.parameter, []).append(change)
    return out


def export_parameter_set(pack: str | None = None, status: str = ParameterChange.Status.APPROVED) -> str:
    """The changes with ``status`` (approved by default; ``proposed`` to show pending ones) as a parameter set."""
    if status not in (ParameterChange.Status.APPROVED, ParameterChange.Status.PROPOSED):
        raise ParameterChangeError("只能导出已批准或待审批的参数调整", "status")
    parameters: dict[str, Any] = {}
    for pid, changes in sorted(_changes_by_parameter(status, pack).items()):
        known = known_parameter(pid)
        if known is None:
            continue  # a parameter no pack declares any more: nothing to move
        _, param, _ = known
        by_version = {c.version: c for c in changes}
        values = []
        for period in in_force_periods(changes, param):
            change = by_version[period.version]
            item: dict[str, Any] = {"from": period.start}
            if period.end is not None:
                item["to"] = period.end
            item["value"] = to_json(period.value)
            item[CHANGE_KEY] = {
                "version": change.origin_version,
                "document": change.document,
                "article": change.article,
                "reason": change.reason,
            }
            values.append(item)
        if values:
            parameters[pid] = {
                "label": param.label,
                "unit": param.unit,
                "reference": param.reference,
                "values": values,
            }
    body = yaml.safe_dump(
        {"parameters": parameters}, allow_unicode=True, sort_keys=False, default_flow_style=False, width=120
    )
    return HEADER + body


# --- import -------------------------------------------------------------------------------------------------


def _text(raw: Any) -> str:
    return "" if raw is None else str(raw).strip()


def _read_parameter(pid: str, spec: Any, problems: list[str]) -> list[SetPeriod]:
    known = known_parameter(pid)
    if known is None:
        problems.append(f"{pid}：未知参数编号（本系统的政策包中没有该参数）")
        return []
    _, param, _ = known
    if not isinstance(spec, dict):
        problems.append(f"{pid}：参数定义应为映射")
        return []
    if spec.get("unit") != param.unit:
        problems.append(f"{pid}.unit：本系统中该参数的单位为 {param.unit}，文件中为 {spec.get('unit')!r}")
        return []
    raw_values = spec.get("values")
    if not isinstance(raw_values, list) or not raw_values:
        problems.append(f"{pid}.values：应为非空的期间列表")
        return []
    plain, meta = [], {}
    for i, item in enumerate(raw_values):
        key = f"{pid}.values[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{key}：应为 {{from, to, value, change}}")
            return []
        item = dict(item)
        change = item.pop(CHANGE_KEY, None)
        if not isinstance(change, dict):
            problems.append(f"{key}.{CHANGE_KEY}：缺少来源（version、document、article、reason）")
            return []
        extra = sorted(set(change) - set(CHANGE_KEYS))
        if extra:
            problems.append(f"{key}.{CHANGE_KEY}.{extra[0]}：未知键")
            return []
        for required, label in (("document", "依据文件（文号）"), ("reason", "调整理由")):
            if not _text(change.get(required)):
                problems.append(f"{key}.{CHANGE_KEY}.{required}：缺少{label}")
                return []
        plain.append(item)
        meta[i] = change
    try:
        load_parameter(SOURCE, pid, {**spec, "values": plain})
    except RuleDataError as exc:
        problems.append(f"{exc.key}：{exc.reason}")
        return []
    out = []
    for i, item in enumerate(plain):
        key = f"{pid}.values[{i}]"
        start = _day(item["from"])  # load_parameter checked the dates and that no periods overlap
        end = _day(item["to"]) if item.get("to") is not None else None
        try:
            checked = check_value(pid, param, item["value"], as_text=False)
        except ParameterChangeError as exc:
            problems.append(f"{key}.value：{exc}")
            continue
        if pid == lpr.LPR_PID:
            end = None  # a release holds until the next one; the file's ``to`` only keeps the periods apart
            if problem := lpr.release_problem(checked, None):
                problems.append(f"{key}.value：{problem}")
                continue
        change = meta[i]
        out.append(
            SetPeriod(
                pid,
                start,
                end,
                to_json(checked),
                _text(change.get("version")),
                _text(change["document"]),
                _text(change.get("article")),
                _text(change["reason"]),
            )
        )
    return out


def _day(raw: Any) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw))


def read_parameter_set(text: str) -> list[SetPeriod]:
    """Every period of a parameter-set file, checked; ``ParameterSetError`` listing every problem otherwise."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行第{mark.column + 1}列" if mark is not None else "文件"
        raise ParameterSetError([f"{where}：不是有效的 YAML"]) from None
    if not isinstance(data, dict) or set(data) != {"parameters"} or not isinstance(data["parameters"], dict):
        raise ParameterSetError(
            ["文件应只有一个键 parameters，其下为 参数编号: {label, unit, reference, values}"]
        )
    problems: list[str] = []
    periods: list[SetPeriod] = []
    for pid, spec in data["parameters"].items():
        periods.extend(_read_parameter(str(pid), spec, problems))
    if problems:
        raise ParameterSetError(problems)
    if not periods:
        raise ParameterSetError(["文件中没有任何参数期间"])
    return periods


def _same(param: Parameter, a: Any, b: Any) -> bool:
    return bool(entry_value(param, a) == entry_value(param, b))


def _already_in_force(period: SetPeriod, param: Parameter, approved: list[ParameterChange]) -> bool:
    """Whether every day of ``period`` already has its value here, from approved changes."""
    same = tuple(p for p in in_force_periods(approved, param) if _same(param, to_json(p.value), period.value))
    end = period.end
    if param.id == lpr.LPR_PID:  # a release is in force from its date: the same release on the same date
        return any(p.start == period.start for p in same)
    return bool(same) and first_uncovered(same, period.start, end) is None


def import_parameter_set(text: str, actor: User, *, ip: str = "") -> ImportResult:
    """Propose every period of the file that this installation does not already have; all or nothing."""
    if not actor.can(Permission.PARAMETER_PROPOSE):
        raise ParameterChangeError("政策参数的调整由市经信局工作人员提出")
    periods = read_parameter_set(text)
    approved = _changes_by_parameter(ParameterChange.Status.APPROVED, None)
    pending = _changes_by_parameter(ParameterChange.Status.PROPOSED, None)
    to_propose, in_force, proposed_already = [], [], []
    for period in periods:
        known = known_parameter(period.pid)
        assert known is not None  # read_parameter_set refused unknown ones
        param = known[1]
        if _already_in_force(period, param, approved.get(period.pid, [])):
            in_force.append(period)
        elif any(
            c.effective_from == period.start
            and c.effective_to == period.end
            and _same(param, c.value, period.value)
            for c in pending.get(period.pid, [])
        ):
            proposed_already.append(period)
        else:
            to_propose.append(period)
    created = []
    with transaction.atomic():
        for period in to_propose:
            try:
                created.append(
                    propose(
                        actor,
                        pid=period.pid,
                        value=period.value,
                        effective_from=period.start,
                        effective_to=period.end,
                        document=period.document,
                        article=period.article,
                        reason=period.reason,
                        source_version=period.version,
                        ip=ip,
                    )
                )
            except ParameterChangeError as exc:
                raise ParameterSetError([f"{period.describe()}：{exc}"]) from None
    return ImportResult(tuple(created), tuple(in_force), tuple(proposed_already))
