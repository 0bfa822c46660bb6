"""Parameter governance: propose a dated value, approve or reject it (maker–checker), and the packs in force.

Use ``packs_in_force()`` wherever the product evaluates a pack against the database (offers, cases, budgets,
simulation, the catalogue): the shipped YAML with every approved change laid over it
(``srdi.domain.policy.layering``). ``propose`` checks the value against the parameter's unit and stores it as
``proposed``; ``decide`` approves or rejects it — never by the person who proposed it, and a change that moves
money (amounts, rates, caps, shares, windows, tables) only by a holder of ``parameter.approve``. An approved
change is never edited; a later change is a new entry on top. Every step is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

from django.db import transaction
from django.utils import timezone

from srdi.db.models import AuditAction, ParameterChange, User
from srdi.domain.permissions import Permission
from srdi.domain.policy.hygiene import moves_money
from srdi.domain.policy.layering import ParameterEntry, apply_entries
from srdi.domain.policy.loader import load_packs
from srdi.domain.policy.model import Pack
from srdi.domain.policy.params import OverrideError, check_override, parse_text
from srdi.domain.rules.parameters import Parameter, RuleDataError, convert_value, to_json
from srdi.domain.text import text_problem
from srdi.services import audit, lpr


class ParameterChangeError(Exception):
    """A proposal or decision refused; the message says why (in Chinese), ``field`` names the form field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Attachment:
    """The document a change is based on, as uploaded (checked like case evidence, stored by its SHA-256)."""

    name: str
    data: bytes


def baseline_parameters() -> dict[str, tuple[Pack, Parameter]]:
    """Every parameter of the shipped packs with the (first) pack that declares it."""
    out: dict[str, tuple[Pack, Parameter]] = {}
    for pack in load_packs():
        for pid, param in pack.parameters.items():
            out.setdefault(pid, (pack, param))
    return out


def known_parameter(pid: str) -> tuple[str, Parameter, bool] | None:
    """The pack id, the parameter and whether it moves money, for a parameter a change may name (the packs'
    parameters and the LPR pseudo-parameter ``reference.lpr_1y``); None when unknown."""
    if pid == lpr.LPR_PID:
        return lpr.LPR_PACK, lpr.lpr_parameter(), True
    found = baseline_parameters().get(pid)
    if found is None:
        return None
    pack, param = found
    return pack.id, param, moves_money(pack, pid, param)


def entry_value(param: Parameter, stored: Any) -> Any:
    """A stored value converted back for the engine (ratios to Decimal, dates to ``date``, bands checked)."""
    return convert_value("参数调整", param.id, param.unit, stored)


def check_value(pid: str, param: Parameter, value: Any, *, as_text: bool) -> Any:
    """The value checked for the parameter's unit; ``ParameterChangeError`` naming the field when refused."""
    try:
        if as_text:
            checked = parse_text(pid, param, str(value))
        elif param.unit in ("bands", "mapping", "date"):
            checked = convert_value("参数调整", pid, param.unit, value)
        else:
            checked = check_override(pid, param, value)
    except (OverrideError, RuleDataError) as exc:
        raise ParameterChangeError(f"{pid}：{exc.reason}", "value") from None
    if checked is None:
        raise ParameterChangeError(f"{pid}：请填写取值（参数调整不能把已有取值改回未设定）", "value")
    return checked


def _clean(label: str, text: str, field: str, *, required: bool, limit: int) -> str:
    text = (text or "").strip()
    if required and not text:
        raise ParameterChangeError(f"请填写{label}", field)
    if len(text) > limit:
        raise ParameterChangeError(f"{label}不能超过 {limit} 个字", field)
    problem = text_problem(text, multiline=limit > 200)
    if problem:
        raise ParameterChangeError(f"{label}：{problem}", field)
    return text


def _check_window_period(pid: str, start: date, end: date | None) -> None:
    """A pack's window end is read as on the day the document was adopted (``ParamSet.window``): a change that
    does not cover that day would be approved and do nothing, so it is refused."""
    for pack in load_packs():
        if pid in pack.window_params and not (start <= pack.issued and (end is None or pack.issued <= end)):
            raise ParameterChangeError(
                f"{pid} 是{pack.citation or pack.id}的有效期参数，按文件印发日 {pack.issued} 读取：生效日期须不晚于 "
                f"{pack.issued}（失效日期如填写，须不早于该日）",
                "effective_from",
            )


def propose(
    actor: User,
    *,
    pid: str,
    value: Any,
    effective_from: date,
    effective_to: date | None = None,
    document: str,
    article: str = "",
    reason: str,
    as_text: bool = False,
    attachment: Attachment | None = None,
    ip: str = "",
    source_version: str = "",
) -> ParameterChange:
    """Store a proposed change after checking everything a reviewer would: the parameter exists, the value fits
    its unit, the period is in order, the document and the reason are given. It has no effect until approved.
    ``source_version`` is the version the value had in the installation it was exported from (``import-params``)."""
    if not actor.can(Permission.PARAMETER_PROPOSE):
        _denied(actor, "", f"提出参数调整被拒绝：{pid}", "政策参数的调整由市经信局工作人员提出", ip)
    known = known_parameter(pid)
    if known is None:
        raise ParameterChangeError(f"未知参数编号 {pid!r}（可在政策目录中查看参数）", "parameter")
    pack_id, param, money = known
    checked = check_value(pid, param, value, as_text=as_text)
    if effective_to is not None and effective_to < effective_from:
        raise ParameterChangeError("失效日期早于生效日期", "effective_to")
    if pid == lpr.LPR_PID and (problem := lpr.release_problem(checked, effective_to)):
        raise ParameterChangeError(f"{pid}：{problem}", "value")
    _check_window_period(pid, effective_from, effective_to)
    source_version = _clean("来源版本", source_version, "source_version", required=False, limit=40)
    document = _clean("依据文件（文号）", document, "document", required=True, limit=200)
    article = _clean("条款", article, "article", required=False, limit=100)
    reason = _clean("调整理由", reason, "reason", required=True, limit=2000)
    stored_name = stored_sha = ""
    size: int | None = None
    if attachment is not None:
        from srdi.services.evidence import EvidenceError, store_document

        try:
            stored_name, stored_sha, size = store_document(attachment.data, attachment.name)
        except EvidenceError as exc:
            raise ParameterChangeError(f"附件：{exc}", "attachment") from None
    with transaction.atomic():
        change = ParameterChange.objects.create(
            pack=pack_id,
            parameter=pid,
            value=to_json(checked),  # as the baseline YAML writes it: fen integers, ratios as strings …
            effective_from=effective_from,
            effective_to=effective_to,
            document=document,
            article=article,
            reason=reason,
            moves_money=money,
            source_version=source_version,
            attachment_name=stored_name,
            attachment_sha256=stored_sha,
            attachment_bytes=size,
            proposed_by=actor,
            proposed_at=timezone.now(),
        )
        audit.record(
            AuditAction.PARAMETER,
            actor,
            object_type="parameter_change",
            object_id=str(change.pk),
            object_repr=f"提出参数调整 {change.version}：{pid}",
            new=describe(change),
            ip_address=ip,
        )
    return change


def describe(change: ParameterChange) -> dict[str, Any]:
    """What the audit log keeps of a change."""
    return {
        "version": change.version,
        "parameter": change.parameter,
        "value": change.value,
        "effective_from": change.effective_from.isoformat(),
        "effective_to": change.effective_to.isoformat() if change.effective_to else None,
        "document": change.document,
        "article": change.article,
        "status": change.status,
        "moves_money": change.moves_money,
        "attachment_sha256": change.attachment_sha256 or None,
        **({"source_version": change.source_version} if change.source_version else {}),
    }


def may_decide(actor: User, change: ParameterChange) -> str:
    """Why ``actor`` may not decide on ``change`` ("" when they may)."""
    if change.proposed_by_id == actor.pk:
        return "提出人不能审批自己提出的参数调整（双人复核）"
    if change.moves_money and not actor.can(Permission.PARAMETER_APPROVE):
        return "涉及资金的政策参数调整由市经信局管理员审批"
    if not actor.can(Permission.PARAMETER_PROPOSE) and not actor.can(Permission.PARAMETER_APPROVE):
        return "当前角色不能审批政策参数调整"
    return ""


def decide(change_id: int, actor: User, *, approve: bool, reason: str = "", ip: str = "") -> ParameterChange:
    """Approve (the value takes effect on its dates) or reject a proposed change, with a reason when rejected.

    A refused attempt (the proposer, or a role that may not decide) is itself an audit event, kept although
    nothing changes. An approval is never given without the simulated effect on record: computed here when the
    change has none yet (proposed on the command line or imported)."""
    found = ParameterChange.objects.filter(pk=change_id).first()
    if found is None:
        raise ParameterChangeError("参数调整不存在")
    _refuse_unless_may_decide(actor, found, ip)
    if approve and found.status == ParameterChange.Status.PROPOSED and found.effect_computed_at is None:
        # A proposal made on the command line or imported has no effect yet: an approval never goes without one
        # on record (the page shows it; ``srdi policy approve`` prints it).
        from srdi.services.parameter_effect import refresh_effect

        refresh_effect(found, actor, ip=ip)
    with transaction.atomic():
        change = ParameterChange.objects.select_for_update().get(pk=change_id)
        if change.status != ParameterChange.Status.PROPOSED:
            raise ParameterChangeError(f"该调整已{change.get_status_display()}")
        reason = _clean("审批意见", reason, "reason", required=not approve, limit=2000)
        before = describe(change)
        change.status = ParameterChange.Status.APPROVED if approve else ParameterChange.Status.REJECTED
        change.decided_by, change.decided_at = actor, timezone.now()
        change.decision_reason = reason
        change.save()
        audit.record(
            AuditAction.PARAMETER,
            actor,
            object_type="parameter_change",
            object_id=str(change.pk),
            object_repr=f"{'批准' if approve else '不予批准'}参数调整 {change.version}：{change.parameter}",
            old=before,
            new={**describe(change), "decision": reason},
            ip_address=ip,
        )
        if approve and change.parameter == lpr.LPR_PID:
            transaction.on_commit(lpr.refresh)  # the engine of this process uses the release at once
    return change


def _refuse_unless_may_decide(actor: User, change: ParameterChange, ip: str) -> None:
    refusal = may_decide(actor, change)
    if refusal:
        _denied(actor, str(change.pk), f"审批参数调整 {change.version} 被拒绝", refusal, ip)


def withdraw(change_id: int, actor: User, *, ip: str = "") -> ParameterChange:
    """The proposer takes back a change nobody has decided on yet (anyone else is refused, and audited)."""
    found = ParameterChange.objects.filter(pk=change_id).first()
    if found is None:
        raise ParameterChangeError("参数调整不存在")
    if found.proposed_by_id != actor.pk:
        _denied(
            actor, str(found.pk), f"撤回参数调整 {found.version} 被拒绝", "只有提出人可以撤回参数调整", ip
        )
    with transaction.atomic():
        change = ParameterChange.objects.select_for_update().get(pk=change_id)
        if change.status != ParameterChange.Status.PROPOSED:
            raise ParameterChangeError(f"该调整已{change.get_status_display()}，不能撤回")
        before = describe(change)
        change.status = ParameterChange.Status.WITHDRAWN
        change.save(update_fields=["status"])
        audit.record(
            AuditAction.PARAMETER,
            actor,
            object_type="parameter_change",
            object_id=str(change.pk),
            object_repr=f"撤回参数调整 {change.version}：{change.parameter}",
            old=before,
            new=describe(change),
            ip_address=ip,
        )
    return change


def _denied(actor: User, object_id: str, what: str, reason: str, ip: str) -> NoReturn:
    """Record a refused step (outside any transaction that the refusal rolls back) and raise it."""
    audit.record(
        AuditAction.ACCESS_DENIED,
        actor,
        object_type="parameter_change",
        object_id=object_id,
        object_repr=f"{what}：{reason}"[:255],
        success=False,
        ip_address=ip,
    )
    raise ParameterChangeError(reason)


def open_attachment(change_id: int, actor: User, ip: str = "") -> tuple[ParameterChange, bytes]:
    """The document attached to a change, verified against its SHA-256, for a user who may see the changes; the
    download (or its refusal) is an audit event."""
    from srdi.services.evidence import EvidenceError, read_verified

    change = ParameterChange.objects.filter(pk=change_id).exclude(attachment_sha256="").first()
    if change is None:
        raise ParameterChangeError("该参数调整没有附件")
    try:
        data = read_verified(change.attachment_sha256, change.attachment_bytes)
    except EvidenceError as refused:
        audit.record(
            AuditAction.EXPORT,
            actor,
            object_type="parameter_change",
            object_id=str(change.pk),
            object_repr=f"下载参数调整附件失败：{change.attachment_name}"[:255],
            success=False,
            extra={"reason": str(refused)},
            ip_address=ip,
        )
        raise ParameterChangeError(str(refused)) from None
    audit.record(
        AuditAction.EXPORT,
        actor,
        object_type="parameter_change",
        object_id=str(change.pk),
        object_repr=f"下载参数调整附件：{change.attachment_name}"[:255],
        extra={"sha256": change.attachment_sha256},
        ip_address=ip,
    )
    return change, data


def entry_of(change: ParameterChange, param: Parameter) -> ParameterEntry:
    """A stored change as the engine lays it over the baseline (value converted for the parameter's unit)."""
    return ParameterEntry(
        change.parameter,
        change.effective_from,
        change.effective_to,
        entry_value(param, change.value),
        change.version,
        " ".join(x for x in (change.document, change.article) if x),
    )


def approved_entries() -> list[ParameterEntry]:
    """Every approved change, in the order it was approved (a later decision wins where two overlap)."""
    if not ParameterChange.table_ready():
        return []  # a database not yet migrated: the baseline alone
    known = baseline_parameters()
    changes = ParameterChange.objects.filter(status=ParameterChange.Status.APPROVED).order_by(
        "decided_at", "id"
    )
    return [entry_of(c, known[c.parameter][1]) for c in changes if c.parameter in known]


def packs_in_force() -> tuple[Pack, ...]:
    """The shipped packs with every approved change laid over their parameters (and, for the engine's LPR
    lookups, the approved LPR releases laid over the LPR table: ``lpr.refresh``)."""
    lpr.refresh()
    return apply_entries(load_packs(), approved_entries())


def pack_in_force(pack_id: str) -> Pack | None:
    return next((p for p in packs_in_force() if p.id == pack_id), None)


def with_proposal(change: ParameterChange) -> tuple[Pack, ...]:
    """The packs in force as they would be if ``change`` were approved now (for its simulated effect).

    An LPR release changes the LPR table, not a pack: for it the packs in force are returned unchanged."""
    if change.parameter == lpr.LPR_PID:
        return packs_in_force()
    param = baseline_parameters()[change.parameter][1]
    return apply_entries(load_packs(), [*approved_entries(), entry_of(change, param)])


def parameter_set_label() -> str:
    """How a run names the parameter values it used: the baseline and the approved changes on top."""
    versions = [e.version for e in approved_entries()]
    return "基线" + (f" + {', '.join(versions)}" if versions else "")
