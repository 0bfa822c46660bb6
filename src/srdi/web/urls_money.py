"""Routes of programmes, cases, payments, vouchers and the inbox (namespace ``web``, included by ``srdi.web.urls``).

``/cases/<pk>/`` and ``/vouchers/`` are also the links the services put into notifications.
"""

from django.urls import URLPattern, path

from srdi.web.views.money import cases, inbox, ledger, payments, programmes, publicity, vouchers

urlpatterns: list[URLPattern] = [
    path("programmes/", programmes.programme_list, name="programme_list"),
    path("programmes/new/", programmes.programme_create, name="programme_create"),
    path("programmes/<int:pk>/", programmes.programme_detail, name="programme_detail"),
    path("programmes/<int:pk>/offers/", programmes.programme_offers, name="programme_offers"),
    path("programmes/<int:pk>/apply/", programmes.programme_apply, name="programme_apply"),
    path("programmes/<int:pk>/close/", programmes.programme_close, name="programme_close"),
    path("programmes/<int:pk>/budgets/", programmes.programme_budgets, name="programme_budgets"),
    path("budget-adjustments/<int:pk>/decide/", programmes.adjustment_decide, name="adjustment_decide"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/bulk/", cases.case_bulk, name="case_bulk"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/action/", cases.case_action, name="case_action"),
    path("cases/<int:pk>/claim/", cases.case_claim, name="case_claim"),
    path("cases/<int:pk>/objections/", cases.case_objection, name="case_objection"),
    path("cases/<int:pk>/evidence/", cases.case_evidence_upload, name="case_evidence_upload"),
    path("cases/<int:pk>/account/", cases.case_account, name="case_account"),
    path("account-changes/<int:pk>/decide/", cases.account_change_decide, name="account_change_decide"),
    path("cases/<int:pk>/approval/", cases.approval_document, name="approval_document"),
    path("objections/<int:pk>/resolve/", cases.objection_resolve, name="objection_resolve"),
    path("evidence/<int:pk>/", cases.evidence_download, name="evidence_download"),
    path("publicity/", publicity.publicity_list, name="publicity_list"),
    path("publicity/export/", publicity.publicity_export, name="publicity_export"),
    path("payments/", payments.payment_runs, name="payment_runs"),
    path("payments/<int:pk>/", payments.payment_run_detail, name="payment_run_detail"),
    path("payments/<int:pk>/execute/", payments.payment_run_execute, name="payment_run_execute"),
    path("payments/<int:pk>/file/", payments.payment_run_file, name="payment_run_file"),
    path("payments/<int:pk>/return/", payments.payment_return, name="payment_return"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_read, name="inbox_read"),
    path("vouchers/", vouchers.vouchers, name="vouchers"),
    path("vouchers/issue/", vouchers.voucher_issue, name="voucher_issue"),
    path("vouchers/redeem/", vouchers.voucher_redeem, name="voucher_redeem"),
    path("vouchers/cancel/", vouchers.voucher_cancel, name="voucher_cancel"),
    path("ledger/verify/", ledger.ledger_verify, name="ledger_verify"),
]
