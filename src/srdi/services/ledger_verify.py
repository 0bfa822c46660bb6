"""``srdi ledger verify``: check every invariant of the ledger against the database, with counts.

I1 every entry balances and the whole ledger balances; I2 no budget above its cap, and each budget's running
totals equal the sums of its ledger postings; I3 at most one standing payment per award, each payment matching
its ledger entry and each bank return its reversing entry; I4 the keyed chain verifies with gapless seq and
matches the last signed checkpoint (entries untouched, none removed, tail not cut) — and the audit chain too;
I5 every case's state matches its ledger, and every scheduled case (待拨付) belongs to a payment run (outside
one it would never be paid or cancelled); I6 every voucher's status matches its ledger; I7 for every matter
(enterprise + 从优、就高、不重复 key), the standing payments never exceed the highest entitlement ever approved
for it, and at most one case holds it open. Use ``verify_all()``; each result says what was checked and lists
violations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Sum

from srdi.db.models import (
    BudgetAccount,
    Case,
    CaseTransition,
    LedgerAccount,
    LedgerChainHead,
    LedgerEntry,
    LedgerLine,
    Payment,
    PaymentReturn,
    Voucher,
)
from srdi.domain.chain import GENESIS, Link
from srdi.domain.ledger.rules import Line, entry_text
from srdi.domain.money import format_yuan
from srdi.domain.workflow.definition import COMMITTED, OPEN
from srdi.services import audit
from srdi.services.chain_verify import ChainResult, verify_links
from srdi.services.ledger import CHAIN as LEDGER_CHAIN
from srdi.services.ledger import entry_payload


@dataclass
class Check:
    """One invariant: how many things were checked and what broke."""

    code: str
    label: str
    checked: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _balances() -> dict[int, dict[str, int]]:
    """account id → {"debit", "credit"} sums."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"debit": 0, "credit": 0})
    for row in LedgerLine.objects.values("account_id").annotate(d=Sum("debit_fen"), c=Sum("credit_fen")):
        out[row["account_id"]] = {"debit": row["d"] or 0, "credit": row["c"] or 0}
    return out


def check_balanced() -> Check:
    c = Check("I1", "每笔分录借贷平衡，总账平衡")
    totals = {"d": 0, "c": 0}
    per_entry: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for line in LedgerLine.objects.values("entry_id", "debit_fen", "credit_fen").iterator(chunk_size=5000):
        per_entry[line["entry_id"]][0] += line["debit_fen"]
        per_entry[line["entry_id"]][1] += line["credit_fen"]
        totals["d"] += line["debit_fen"]
        totals["c"] += line["credit_fen"]
    amounts = dict(LedgerEntry.objects.values_list("id", "amount_fen"))
    for entry_id, amount in amounts.items():
        c.checked += 1
        d, cr = per_entry.get(entry_id, [0, 0])
        if d != cr:
            c.violations.append(f"分录 #{entry_id} 借 {d} ≠ 贷 {cr}")
        elif d != amount:
            c.violations.append(f"分录 #{entry_id} 金额 {amount} 与分录行合计 {d} 不符")
    if totals["d"] != totals["c"]:
        c.violations.append(f"总账不平：借 {totals['d']} ≠ 贷 {totals['c']}")
    return c


def check_budgets() -> Check:
    c = Check("I2", "预算不超额，且预算余额等于分录合计")
    balances = _balances()
    accounts: dict[int, dict[str, dict[str, int]]] = defaultdict(dict)
    for a in LedgerAccount.objects.exclude(budget=None).values("id", "budget_id", "kind"):
        accounts[a["budget_id"]][a["kind"]] = balances.get(a["id"], {"debit": 0, "credit": 0})
    for b in BudgetAccount.objects.all():
        c.checked += 1
        if b.used_fen > b.cap_fen:
            c.violations.append(f"预算 #{b.pk} 已承诺 {b.used_fen} 超过额度 {b.cap_fen}")
        if b.paid_fen > b.used_fen or b.paid_fen < 0:
            c.violations.append(f"预算 #{b.pk} 已支付 {b.paid_fen} 与已承诺 {b.used_fen} 不符")
        acc = accounts.get(b.pk, {})

        def net(kind: str, acc: dict[str, dict[str, int]] = acc) -> int:
            bal = acc.get(kind, {"debit": 0, "credit": 0})
            return int(bal["debit"] - bal["credit"])

        expected = {
            "available": b.cap_fen - b.used_fen,
            "committed": b.used_fen - b.paid_fen,
            "paid": b.paid_fen,
        }
        for kind, value in expected.items():
            if net(kind) != value:
                c.violations.append(f"预算 #{b.pk} {kind} 分录余额 {net(kind)} ≠ 账面 {value}")
        if -net("appropriation") != b.cap_fen:
            c.violations.append(f"预算 #{b.pk} 下达额度分录 {-net('appropriation')} ≠ 额度 {b.cap_fen}")
    return c


def check_payments() -> Check:
    c = Check("I3", "每个事项至多一笔有效拨付，拨付、退回与分录一致")
    entries = {
        e["id"]: e
        for e in LedgerEntry.objects.filter(kind__in=("pay", "reverse"), case__isnull=False).values(
            "id", "kind", "case_id", "amount_fen", "reverses_id"
        )
    }
    returns = {r.payment_id: r for r in PaymentReturn.objects.all()}
    by_case: dict[int, list[Payment]] = defaultdict(list)
    for p in Payment.objects.order_by("case_id", "attempt"):
        by_case[p.case_id].append(p)
    paid_entries = set()
    for case_id, payments in by_case.items():
        c.checked += 1
        standing = [p for p in payments if p.pk not in returns]
        if len(standing) > 1:
            c.violations.append(f"事项 #{case_id} 有 {len(standing)} 笔未退回的拨付")
        for p in payments:
            paid_entries.add(p.entry_id)
            entry = entries.get(p.entry_id)
            if entry is None or entry["kind"] != "pay" or entry["case_id"] != case_id:
                c.violations.append(f"拨付记录 #{p.pk} 无对应分录")
            elif entry["amount_fen"] != p.amount_fen:
                c.violations.append(f"事项 #{case_id} 拨付记录与分录不符")
            back = returns.get(p.pk)
            if back is None:
                continue
            reversal = entries.get(back.entry_id)
            if reversal is None or reversal["kind"] != "reverse" or reversal["reverses_id"] != p.entry_id:
                c.violations.append(f"银行退回 #{back.pk} 无对应冲销分录")
            elif reversal["amount_fen"] != p.amount_fen:
                c.violations.append(f"银行退回 #{back.pk} 冲销金额与拨付不符")
    returned_entries = {r.entry_id for r in returns.values()}
    for entry in entries.values():
        if entry["kind"] == "pay" and entry["id"] not in paid_entries:
            c.checked += 1
            c.violations.append(f"事项 #{entry['case_id']} 有拨付分录 #{entry['id']} 但无拨付记录")
        if entry["kind"] == "reverse" and entry["id"] not in returned_entries:
            c.checked += 1
            c.violations.append(f"冲销分录 #{entry['id']} 无银行退回记录")
    return c


def ledger_links(chunk_size: int = 2000, upto: int | None = None) -> Iterator[Link]:
    """Every ledger entry with its lines as a chain link, in seq order, in chunks (lines loaded per chunk)."""
    codes = dict(LedgerAccount.objects.values_list("id", "code"))
    last = 0
    while True:
        rows = LedgerEntry.objects.filter(seq__gt=last)
        if upto is not None:
            rows = rows.filter(seq__lte=upto)
        batch = list(rows.order_by("seq")[:chunk_size])
        if not batch:
            return
        lines: dict[int, list[Line]] = defaultdict(list)
        for entry_id, account_id, debit, credit in LedgerLine.objects.filter(
            entry__seq__gt=last, entry__seq__lte=batch[-1].seq
        ).values_list("entry_id", "account_id", "debit_fen", "credit_fen"):
            lines[entry_id].append(Line(codes[account_id], debit, credit))
        for e in batch:
            text = entry_text(entry_payload(e), lines.get(e.pk, []))
            yield Link(seq=e.seq, key_id=e.key_id, prev=e.prev_hash, mac=e.hash, text=text, row_id=e.pk)
        last = batch[-1].seq


def verify_ledger_chain(*, as_of: datetime | None = None, use_checkpoints: bool = True) -> ChainResult:
    """The ledger chain alone: keyed links, gapless seq, head and the last checkpoint."""

    def head() -> tuple[int, str]:
        found = LedgerChainHead.objects.filter(id=1).values_list("last_seq", "last_hash").first()
        return found if found is not None else (0, GENESIS)

    return verify_links(
        LEDGER_CHAIN,
        lambda upto: ledger_links(upto=upto),
        head,
        as_of=as_of,
        use_checkpoints=use_checkpoints,
    )


def check_chain(*, as_of: datetime | None = None, use_checkpoints: bool = True) -> Check:
    """I4: the ledger chain and the audit chain verify, each against its last signed checkpoint."""
    c = Check("I4", "分录与审计日志未被篡改、删除或截断（密钥链、连续序号、检查点）")
    ledger_result = verify_ledger_chain(as_of=as_of, use_checkpoints=use_checkpoints)
    c.checked += ledger_result.checked
    if ledger_result.broken is not None:
        row = f"（分录 #{ledger_result.broken.row_id}）" if ledger_result.broken.row_id else ""
        c.violations.append(f"总账第 {ledger_result.broken.seq} 条{row}：{ledger_result.broken.reason}")
    report = audit.verify_chain(as_of=as_of, use_checkpoints=use_checkpoints)
    c.checked += report.checked
    if not report.ok:
        c.violations.append(f"审计日志第 {report.broken_seq} 条（#{report.broken_at}）：{report.reason}")
    return c


def _case_sums() -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"commit": 0, "release": 0, "pay": 0, "reverse": 0})
    for row in (
        LedgerEntry.objects.filter(case__isnull=False).values("case_id", "kind").annotate(s=Sum("amount_fen"))
    ):
        out[row["case_id"]][row["kind"]] = row["s"] or 0
    return out


def check_cases() -> Check:
    c = Check("I5", "事项状态与分录一致")
    sums = _case_sums()
    for case in Case.objects.values("id", "state", "approved_fen", "payment_run_id"):
        c.checked += 1
        s = sums.get(case["id"], {"commit": 0, "release": 0, "pay": 0, "reverse": 0})
        committed, paid = s["commit"] - s["release"], s["pay"] - s["reverse"]
        approved = case["approved_fen"] or 0
        state = case["state"]
        if state in COMMITTED:
            ok = committed == approved > 0 and paid == 0
        elif state == "paid":
            ok = committed == approved > 0 and paid == approved
        else:
            ok = committed == 0 and paid == 0
        if not ok:
            c.violations.append(
                f"事项 #{case['id']} 状态 {state}：承诺 {committed}，支付 {paid}，批准 {approved}"
            )
        if state == "payment_scheduled" and case["payment_run_id"] is None:
            c.violations.append(f"事项 #{case['id']} 状态 {state}，但不在任何拨付批次中")
    return c


def check_vouchers() -> Check:
    c = Check("I6", "服务券状态与分录一致")
    sums: dict[int, dict[str, int]] = defaultdict(lambda: {"commit": 0, "release": 0, "pay": 0})
    for row in (
        LedgerEntry.objects.filter(voucher__isnull=False)
        .values("voucher_id", "kind")
        .annotate(s=Sum("amount_fen"))
    ):
        sums[row["voucher_id"]][row["kind"]] = row["s"] or 0
    for v in Voucher.objects.values("id", "status", "face_value_fen"):
        c.checked += 1
        s = sums.get(v["id"], {"commit": 0, "release": 0, "pay": 0})
        if s["commit"] != v["face_value_fen"]:
            c.violations.append(f"服务券 #{v['id']} 承诺 {s['commit']} ≠ 面额 {v['face_value_fen']}")
        settled = s["pay"] + s["release"]
        if v["status"] == "issued" and settled != 0:
            c.violations.append(f"服务券 #{v['id']} 未核销却有支付或释放分录")
        if v["status"] in ("redeemed", "cancelled") and settled != s["commit"]:
            c.violations.append(f"服务券 #{v['id']} {v['status']} 但分录未结清")
    return c


def check_matters() -> Check:
    """I7: per matter, standing payments ≤ the highest entitlement ever approved; one open case at most.

    The approved entitlements are read from the approval transitions (append-only history), not only from the
    case rows, so an edited or cancelled case does not lower or hide the ceiling."""
    c = Check("I7", "同一事项拨付合计不超过批准过的最高应兑现额，且至多一件在办")
    ceiling: dict[tuple[int, str], int] = {}
    cases = {
        row[0]: row[1:]
        for row in Case.objects.values_list("id", "enterprise_id", "matter", "paid_for_matter_fen")
    }
    for case_id, after in CaseTransition.objects.filter(name="approve").values_list("case_id", "after"):
        enterprise_id, matter, paid_before = cases[case_id]
        approved = (after or {}).get("matter_entitlement_fen")
        if approved is None:  # approved before the whole entitlement was recorded: amount + earlier payments
            approved = ((after or {}).get("approved_fen") or 0) + paid_before
        key = (enterprise_id, matter)
        ceiling[key] = max(ceiling.get(key, 0), int(approved))
    paid: dict[tuple[int, str], int] = defaultdict(int)
    for case_id, amount in Payment.objects.filter(bank_return__isnull=True).values_list(
        "case_id", "amount_fen"
    ):
        paid[cases[case_id][:2]] += amount
    for key in sorted(set(ceiling) | set(paid)):
        c.checked += 1
        if paid[key] > ceiling.get(key, 0):
            c.violations.append(
                f"企业 #{key[0]} 事项 {key[1]}：已拨付 {format_yuan(paid[key])}，"
                f"超过批准过的最高应兑现额 {format_yuan(ceiling.get(key, 0))}"
            )
    open_cases: dict[tuple[int, str], list[int]] = defaultdict(list)
    for case_id, enterprise_id, matter in Case.objects.filter(state__in=OPEN).values_list(
        "id", "enterprise_id", "matter"
    ):
        open_cases[(enterprise_id, matter)].append(case_id)
    for key, ids in open_cases.items():
        if len(ids) > 1:
            c.violations.append(
                f"企业 #{key[0]} 事项 {key[1]}：{len(ids)} 件同时在办（"
                + "、".join(f"#{i}" for i in ids)
                + "）"
            )
    return c


def verify_all(*, as_of: datetime | None = None, use_checkpoints: bool = True) -> list[Check]:
    """Every invariant, in order (``as_of`` / ``use_checkpoints``: see ``audit.verify_chain``)."""
    return [
        check_balanced(),
        check_budgets(),
        check_payments(),
        check_chain(as_of=as_of, use_checkpoints=use_checkpoints),
        check_cases(),
        check_vouchers(),
        check_matters(),
    ]
