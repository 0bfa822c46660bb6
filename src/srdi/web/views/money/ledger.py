"""总账核验: every ledger invariant (``services.ledger_verify.verify_all``) with its counts and violations."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from srdi.db.models import BudgetAccount, LedgerEntry, Payment
from srdi.services.ledger_verify import verify_all
from srdi.web import money_display as md
from srdi.web.access import require
from srdi.web.http import no_store
from srdi.web.views.money.common import user_of

SHOWN_VIOLATIONS = 50


@login_required
@require_GET
def ledger_verify(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(md.can_verify_ledger(user), request, what="ledger_verify")
    checks = verify_all()
    return no_store(
        render(
            request,
            "web/money/ledger_verify.html",
            {
                "checks": [
                    {
                        "check": c,
                        "shown": c.violations[:SHOWN_VIOLATIONS],
                        "more": max(0, len(c.violations) - SHOWN_VIOLATIONS),
                    }
                    for c in checks
                ],
                "all_ok": all(c.ok for c in checks),
                "at": timezone.now(),
                "entries": LedgerEntry.objects.count(),
                "budgets": BudgetAccount.objects.count(),
                "payments": Payment.objects.count(),
            },
        )
    )
