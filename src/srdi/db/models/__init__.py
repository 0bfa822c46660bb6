"""All models of the ``srdi`` app, one module per concept."""

from srdi.db.models.accounts import ApiToken, Role, User
from srdi.db.models.assessments import AssessmentRun, EnterpriseAssessment
from srdi.db.models.audit import AuditAction, AuditChainHead, AuditEvent
from srdi.db.models.enterprises import (
    Award,
    Certification,
    Contact,
    Contest,
    Enterprise,
    EnterpriseYear,
    EquityFinancing,
    Event,
    Title,
)
from srdi.db.models.imports import ImportBatch
from srdi.db.models.reference import District

__all__ = [
    "ApiToken",
    "AssessmentRun",
    "AuditAction",
    "AuditChainHead",
    "AuditEvent",
    "Award",
    "Certification",
    "Contact",
    "Contest",
    "District",
    "Enterprise",
    "EnterpriseAssessment",
    "EnterpriseYear",
    "EquityFinancing",
    "Event",
    "ImportBatch",
    "Role",
    "Title",
    "User",
]
