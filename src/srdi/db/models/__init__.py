"""All models of the ``srdi`` app, one module per concept."""

from srdi.db.models.accounts import ApiToken, AuthGeneration, Role, RoleGrant, User
from srdi.db.models.assessments import AssessmentRun, EnterpriseAssessment
from srdi.db.models.audit import AuditAction, AuditChainHead, AuditEvent, AuditSettings
from srdi.db.models.cases import BankAccountChange, Case, CaseTransition, Evidence, Objection
from srdi.db.models.enterprises import (
    Award,
    Certification,
    Contact,
    Contest,
    DataUpdate,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    IpItem,
    PlatformScore,
    Sanction,
    Title,
)
from srdi.db.models.home import HomeVisit
from srdi.db.models.imports import ImportBatch
from srdi.db.models.inbox import Notification
from srdi.db.models.jobs import DataVersion, Job, JobStatus
from srdi.db.models.ledger import (
    LedgerAccount,
    LedgerChainHead,
    LedgerEntry,
    LedgerLine,
    Payment,
    PaymentReturn,
    PaymentRun,
)
from srdi.db.models.parameters import ParameterChange
from srdi.db.models.programmes import BudgetAccount, BudgetAdjustment, Programme
from srdi.db.models.rate_limits import RateCounter
from srdi.db.models.reference import District
from srdi.db.models.reminders import ReminderSent
from srdi.db.models.seedlings import PublishedCountEntry, SeedlingMember
from srdi.db.models.showcase import ShowcaseEntry
from srdi.db.models.units import UnitEvent, UnitReport, UnitReportFile
from srdi.db.models.vouchers import ServiceProvider, Voucher, VoucherRedemption

__all__ = [
    "ApiToken",
    "AssessmentRun",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "AuditSettings",
    "AuthGeneration",
    "Award",
    "BankAccountChange",
    "BudgetAccount",
    "BudgetAdjustment",
    "Case",
    "CaseTransition",
    "Certification",
    "Contact",
    "Contest",
    "DataUpdate",
    "DataVersion",
    "District",
    "Enterprise",
    "EnterpriseAssessment",
    "EnterpriseYear",
    "EquityFinancing",
    "Event",
    "Evidence",
    "HomeVisit",
    "ImportBatch",
    "IpItem",
    "Job",
    "JobStatus",
    "LedgerAccount",
    "LedgerChainHead",
    "LedgerEntry",
    "LedgerLine",
    "Notification",
    "Objection",
    "ParameterChange",
    "Payment",
    "PaymentReturn",
    "PaymentRun",
    "PlatformScore",
    "Programme",
    "PublishedCountEntry",
    "RateCounter",
    "ReminderSent",
    "Role",
    "RoleGrant",
    "Sanction",
    "SeedlingMember",
    "ServiceProvider",
    "ShowcaseEntry",
    "Title",
    "UnitEvent",
    "UnitReport",
    "UnitReportFile",
    "User",
    "Voucher",
    "VoucherRedemption",
]
