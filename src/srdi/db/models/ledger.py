"""The ledger: double-entry, integer fen, append-only and hash-chained; payments and payment runs.

Rows are written only by ``srdi.services.ledger``. Database triggers refuse UPDATE and DELETE (and TRUNCATE on
PostgreSQL) on entries, lines and payments; corrections are reversing entries. Entries are numbered 1..N without
gaps and keyed-MAC chained (``srdi.domain.chain``). ``srdi ledger verify`` checks every invariant.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from srdi.db.fields import EncryptedTextField


class LedgerAccount(models.Model):
    """An account: a budget's available / committed / paid, or the appropriation it came from."""

    class Kind(models.TextChoices):
        APPROPRIATION = "appropriation", "预算来源"
        AVAILABLE = "available", "可用额度"
        COMMITTED = "committed", "已承诺"
        PAID = "paid", "已支付"

    code = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    budget = models.ForeignKey(
        "srdi.BudgetAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    label = models.CharField(max_length=200)

    class Meta:
        verbose_name = verbose_name_plural = "会计科目"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class LedgerEntry(models.Model):
    """One journal entry; its lines balance. ``hash`` chains it to the previous entry."""

    created_at = models.DateTimeField()
    kind = models.CharField(max_length=10)
    case = models.ForeignKey(
        "srdi.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    voucher = models.ForeignKey(
        "srdi.Voucher", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    idempotency_key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    memo = models.CharField(max_length=255, blank=True, default="")
    amount_fen = models.BigIntegerField()
    actor_label = models.CharField(max_length=150, default="system")
    seq = models.BigIntegerField("序号", unique=True)  # 1..N without gaps
    key_id = models.CharField(max_length=32, blank=True, default="")  # "" = SHA-256 entry from before 0017
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = verbose_name_plural = "会计分录"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="entry_amount_positive")]


class LedgerLine(models.Model):
    """A debit or a credit on one account."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="lines")
    debit_fen = models.BigIntegerField(default=0)
    credit_fen = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "分录行"
        ordering = ["entry", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit_fen__gt=0) & Q(credit_fen=0)) | (Q(debit_fen=0) & Q(credit_fen__gt=0)),
                name="line_one_sided_positive",
            )
        ]


class LedgerChainHead(models.Model):
    """The last hash and seq of the ledger chain; one row, locked while an entry is appended."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_entry_id = models.BigIntegerField(default=0)
    last_seq = models.BigIntegerField(default=0)
    last_key_id = models.CharField(max_length=32, blank=True, default="")
    last_hash = models.CharField(max_length=64, default="0" * 64)


class PaymentRun(models.Model):
    """A batch of approved awards sent to the treasury (the payment file)."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("srdi.User", null=True, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey("srdi.Programme", null=True, blank=True, on_delete=models.PROTECT)
    executed_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        verbose_name = verbose_name_plural = "拨付批次"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"拨付批次 #{self.pk}"


class Payment(models.Model):
    """A disbursement (append-only): one per idempotency key and per attempt of an award. A later attempt exists
    only after the earlier payment came back from the bank (``PaymentReturn``), so at most one payment of an
    award stands at any time."""

    case = models.ForeignKey("srdi.Case", on_delete=models.PROTECT, related_name="payments")
    attempt = models.PositiveSmallIntegerField("第几次拨付", default=1)
    idempotency_key = models.CharField(max_length=120, unique=True)
    request_hash = models.CharField(max_length=64)
    amount_fen = models.BigIntegerField()
    city_fen = models.BigIntegerField()
    district_fen = models.BigIntegerField()
    run = models.ForeignKey(
        PaymentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="payment")
    paid_at = models.DateTimeField()
    bank_account_number = EncryptedTextField(max_length=40)

    class Meta:
        verbose_name = verbose_name_plural = "拨付记录"
        ordering = ["-paid_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payment_positive"),
            models.UniqueConstraint(fields=["case", "attempt"], name="one_payment_per_attempt"),
        ]


class PaymentReturn(models.Model):
    """A payment the bank sent back (退汇), with its reason; its reversing entry takes the posting back from
    paid to committed before the award can be paid again (append-only)."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="bank_return")
    reason = models.CharField("退回原因", max_length=200)
    recorded_by = models.ForeignKey("srdi.User", on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField("登记时间")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="bank_return")

    class Meta:
        verbose_name = verbose_name_plural = "银行退回"
        ordering = ["-recorded_at"]
