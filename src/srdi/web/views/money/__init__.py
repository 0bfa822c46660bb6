"""The workflow and money pages: programmes, cases, publicity, approval documents, payment runs, the inbox,
service vouchers and the ledger check.

Views stay thin: they check the role (``srdi.web.money_display`` verdicts through ``srdi.web.access.require``,
an audited 403), look objects up through ``srdi.services.scoping`` (out of scope → 404), parse a form and call
one service. A service's refusal (``TransitionRefused`` and friends) is shown with its reason.
"""
