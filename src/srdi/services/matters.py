"""One matter, one award: every case and payment of an enterprise's matter, across programmes, packs and years.

A matter is what 从优、就高、不重复 compares — the entitlement engine's key (the measure's overlap group and the
matter's own id: the recognised tier, the project, the loan, the scene …) for one enterprise; a case stores it
in ``Case.matter``. The database keeps at most one *open* case per enterprise and matter
(``one_open_case_per_matter``), so a second programme, pack or year can only open a case once the first is
closed, and a paid matter can only be topped up to a higher entitlement by a new case for the difference.

Use ``open_case(**fields)`` to create a case (it refuses, naming the case that holds the matter, instead of
raising a bare ``IntegrityError``), ``history(case)`` for what the review, publicity and approval pages show
about the matter's other cases and payments, and ``net_paid(enterprise_id, matter)`` for the money that stands
(payments the bank sent back do not count).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Sum

from srdi.db.models import Case, CaseTransition, Payment, Programme
from srdi.domain.money import format_yuan
from srdi.domain.workflow.definition import OPEN, STATES


class MatterHeld(Exception):
    """The matter is already held by another case (open, or paid in full); ``holder`` is that case."""

    def __init__(self, message: str, holder: Case | None):
        self.holder = holder
        super().__init__(message)


def open_holder(enterprise_id: int, matter: str, exclude: int | None = None) -> Case | None:
    """The open case that holds the matter, if any."""
    qs = Case.objects.select_related("programme").filter(
        enterprise_id=enterprise_id, matter=matter, state__in=OPEN
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.order_by("id").first()


def describe(case: Case) -> str:
    """``事项 #12（2025年度技改补助，已拨付）`` — how a refusal names the case that holds a matter."""
    return f"事项 #{case.pk}（{case.programme.name}，{STATES.get(case.state, case.state)}）"


def net_paid(enterprise_id: int, matter: str, exclude_case: int | None = None) -> int:
    """What stands paid for the matter: payments without a bank return."""
    qs = Payment.objects.filter(
        case__enterprise_id=enterprise_id, case__matter=matter, bank_return__isnull=True
    )
    if exclude_case is not None:
        qs = qs.exclude(case_id=exclude_case)
    return int(qs.aggregate(s=Sum("amount_fen"))["s"] or 0)


def highest_entitlement(enterprise_id: int, matter: str) -> int:
    """The highest whole entitlement ever approved for the matter (ledger invariant I7's ceiling), read from
    the approval transitions' snapshots (append-only): a cancelled or edited case does not lower it."""
    snapshots = CaseTransition.objects.filter(
        name="approve", case__enterprise_id=enterprise_id, case__matter=matter
    ).values_list("after", "case__paid_for_matter_fen")
    best = 0
    for after, paid_before in snapshots:
        whole = (after or {}).get("matter_entitlement_fen")
        if whole is None:  # approved before the whole entitlement was recorded
            whole = ((after or {}).get("approved_fen") or 0) + (paid_before or 0)
        best = max(best, int(whole))
    return best


def open_case(*, programme: Programme, enterprise_id: int, matter: str, **fields: object) -> Case:
    """Create a case, or raise ``MatterHeld`` naming the case that already holds its matter.

    The database decides (the unique constraints hold under concurrency on SQLite and PostgreSQL): the same
    matter in the same programme once ever, and in any programme while another case for it is open."""
    try:
        with transaction.atomic():
            return Case.objects.create(
                programme=programme, enterprise_id=enterprise_id, matter=matter, **fields
            )
    except IntegrityError:
        holder = open_holder(enterprise_id, matter)
        if holder is None:
            holder = (
                Case.objects.select_related("programme")
                .filter(programme=programme, enterprise_id=enterprise_id, matter=matter)
                .first()
            )
        if holder is None:
            raise
        where = "本批次已有该事项" if holder.programme_id == programme.pk else "同一事项正在办理"
        raise MatterHeld(f"{where}：{describe(holder)}，不能重复兑现（从优、就高、不重复）", holder) from None


@dataclass(frozen=True)
class MatterLine:
    """Another case of the same matter, as the review pages list it."""

    case_id: int
    programme: str
    state: str
    state_label: str
    entitlement_fen: int | None
    approved_fen: int | None
    paid_fen: int
    returned_fen: int
    is_open: bool


@dataclass
class MatterHistory:
    """The other cases of a case's matter, what stands paid for it, and whether one of them is still open."""

    matter: str
    lines: list[MatterLine] = field(default_factory=list)
    paid_fen: int = 0

    @property
    def other_open(self) -> list[MatterLine]:
        return [line for line in self.lines if line.is_open]

    @property
    def flagged(self) -> bool:
        """Worth a warning at review: the matter has other cases (a top-up, or a repeat that was refused)."""
        return bool(self.lines)

    @property
    def summary(self) -> str:
        if not self.lines:
            return ""
        parts = [f"同一事项另有 {len(self.lines)} 件"]
        if self.paid_fen:
            parts.append(f"已拨付 {format_yuan(self.paid_fen)}（本件仅可兑现差额）")
        if self.other_open:
            parts.append("其中 " + "、".join(f"#{line.case_id}" for line in self.other_open) + " 仍在办理")
        return "，".join(parts)


def history(case: Case) -> MatterHistory:
    """The matter's other cases (every programme, pack and year) with their payments and bank returns."""
    out = MatterHistory(case.matter)
    others = (
        Case.objects.select_related("programme")
        .filter(enterprise_id=case.enterprise_id, matter=case.matter)
        .exclude(pk=case.pk)
        .order_by("created_at", "id")
    )
    paid: dict[int, list[tuple[int, bool]]] = {}
    for p in Payment.objects.filter(case__in=others).values("case_id", "amount_fen", "bank_return"):
        paid.setdefault(p["case_id"], []).append((p["amount_fen"], p["bank_return"] is not None))
    for other in others:
        payments = paid.get(other.pk, [])
        standing = sum(a for a, returned in payments if not returned)
        out.paid_fen += standing
        out.lines.append(
            MatterLine(
                case_id=other.pk,
                programme=other.programme.name,
                state=other.state,
                state_label=STATES.get(other.state, other.state),
                entitlement_fen=other.entitlement_fen,
                approved_fen=other.approved_fen,
                paid_fen=standing,
                returned_fen=sum(a for a, returned in payments if returned),
                is_open=other.state in OPEN,
            )
        )
    return out


def flagged_ids(cases: list[Case]) -> set[int]:
    """Of these cases, those whose matter has another case (one query, for list pages)."""
    if not cases:
        return set()
    keys = {(c.enterprise_id, c.matter) for c in cases}
    counts: dict[tuple[int, str], int] = {}
    rows = Case.objects.filter(
        enterprise_id__in={k[0] for k in keys}, matter__in={k[1] for k in keys}
    ).values_list("enterprise_id", "matter")
    for key in rows:
        counts[key] = counts.get(key, 0) + 1
    return {c.pk for c in cases if counts.get((c.enterprise_id, c.matter), 0) > 1}
