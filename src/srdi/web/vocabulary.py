"""One vocabulary: every status, kind and code a page can show, with its Chinese label.

Use ``label(concern, code)`` in Python and the ``label`` template filter (``{{ case.state|label:"case_state" }}``)
in templates; never show a stored code to people. The labels live beside their codes — the enums'
``TextChoices`` labels on the models, the domain's label tables (workflow states, entitlement statuses, tiers,
object types, refusal codes …) — and ``VOCABULARIES`` only names them, so there is one table per concern and
this module is where a page finds it. An unknown code is shown as “未知”, never raw.
``tests/integration/web/test_no_raw_codes.py`` renders every page as every role and fails on any code of these
vocabularies (or an English model name) in visible text.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from django.apps import apps

from srdi.domain.assessment.labels import STATUS_LABELS as ASSESSMENT_STATUS_LABELS
from srdi.domain.certifications import STATUS_LABELS as CERTIFICATION_STATUS_LABELS
from srdi.domain.object_types import OBJECT_TYPE_LABELS, object_type_label
from srdi.domain.permissions import ROLES, SCOPE_LABELS
from srdi.domain.plausibility import FlagKind
from srdi.domain.policy import hygiene
from srdi.domain.policy.labels import ENTITLEMENT_STATUS_LABELS, EVENT_LABELS
from srdi.domain.programme.seedlings import STATE_LABELS as POOL_STATE_LABELS
from srdi.domain.reference import ECOSYSTEMS, TIERS
from srdi.domain.rules.explain import VALUE_LABELS as RULE_VALUE_LABELS
from srdi.domain.showcase import ACTION_LABELS as SHOWCASE_ACTION_LABELS
from srdi.domain.showcase import STATUS_LABELS as SHOWCASE_STATUS_LABELS
from srdi.domain.showcase import Consent, ConsentMethod
from srdi.domain.size_class import SIZE_LABELS
from srdi.domain.unit_kpis import EVENT_KIND_LABELS
from srdi.domain.verdict import REFUSAL_LABELS
from srdi.domain.workflow.definition import STATES, TRANSITIONS

UNKNOWN = "未知"
FLAG_KIND_LABELS = {
    FlagKind.OTHER_YEAR: "与其他年度差异过大",
    FlagKind.PER_EMPLOYEE: "人均数值异常",
    FlagKind.RD_ABOVE_REVENUE: "研发费用高于营业收入",
    FlagKind.MAIN_ABOVE_REVENUE: "主营业务收入高于营业收入",
}

VOCABULARIES: dict[str, Mapping[str, str]] = {
    "case_state": STATES,
    "transition": {name: t.label for name, t in TRANSITIONS.items()},
    "refusal": REFUSAL_LABELS,
    "entitlement_status": ENTITLEMENT_STATUS_LABELS,
    "assessment_status": ASSESSMENT_STATUS_LABELS,
    "certification_status": CERTIFICATION_STATUS_LABELS,
    "tier": TIERS,
    "ecosystem": ECOSYSTEMS,
    "size": SIZE_LABELS,
    "role": {str(code): spec.label for code, spec in ROLES.items()},
    "scope": {str(k): v for k, v in SCOPE_LABELS.items()},
    "object_type": OBJECT_TYPE_LABELS,
    "pool_state": {str(k): v for k, v in POOL_STATE_LABELS.items()},
    "showcase_status": {str(k): v for k, v in SHOWCASE_STATUS_LABELS.items()},
    "showcase_action": {str(k): v for k, v in SHOWCASE_ACTION_LABELS.items()},
    "unit_event_kind": {str(k): v for k, v in EVENT_KIND_LABELS.items()},
    "plausibility_flag": {str(k): v for k, v in FLAG_KIND_LABELS.items()},
    "showcase_consent": {c.value: c.label for c in Consent},
    "showcase_consent_method": {m.value: m.label for m in ConsentMethod},
    "event_kind": EVENT_LABELS,
    "rule_value": {k: v for k, v in RULE_VALUE_LABELS.items() if k not in {"True", "False"}},
    "pack_status": {s.value: s.label for s in hygiene.Status},
    "hygiene_severity": {s.value: s.label for s in hygiene.Severity},
    "hygiene_kind": {k.value: text for k, text in hygiene.KIND_LABELS.items()},
}


@cache
def model_choices() -> dict[str, dict[str, str]]:
    """Every model field with choices (the ``TextChoices`` of statuses, kinds, actions …): ``model.field`` →
    code → label."""
    found: dict[str, dict[str, str]] = {}
    for model in apps.get_app_config("srdi").get_models():
        for field in model._meta.concrete_fields:
            if field.choices:
                key = f"{model._meta.model_name}.{field.name}"
                found[key] = {str(code): str(text) for code, text in field.flatchoices}
    # Choices whose labels live in the domain (the model lists the codes only).
    found["event.kind"] = {code: EVENT_LABELS.get(code, code) for code in found.get("event.kind", {})}
    return found


@cache
def model_names() -> dict[str, str]:
    """A model's ``model_name`` → its verbose name (the admin records these as object types)."""
    return {
        model._meta.model_name or "": str(model._meta.verbose_name)
        for model in apps.get_app_config("srdi").get_models()
    }


def label(concern: str, code: object) -> str:
    """The Chinese label of ``code`` in ``concern`` (a key of ``VOCABULARIES`` or ``model.field``)."""
    if code is None or code == "":
        return ""
    text = str(code)
    if concern == "object_type":
        return object_type_label(text, model_names())
    table = VOCABULARIES.get(concern) or model_choices().get(concern)
    if table is None:
        raise KeyError(f"unknown vocabulary {concern!r}")
    return table.get(text, UNKNOWN)


def tier_name(code: str | None) -> str:
    """A tier's name: the ladder's (``TIERS``), else the certification tier's label (科技型中小企业 …)."""
    if not code:
        return ""
    return TIERS.get(code) or label("certification.tier", code)


def all_codes() -> dict[str, frozenset[str]]:
    """Every concern's codes (the test's forbidden tokens)."""
    codes = {concern: frozenset(str(c) for c in table) for concern, table in VOCABULARIES.items()}
    codes.update({concern: frozenset(table) for concern, table in model_choices().items()})
    codes["object_type"] = codes["object_type"] | frozenset(model_names())
    return codes


# Where a code of unknown concern is looked up (the audit log's recorded old/new values, keys and route names):
# the first vocabulary that knows it wins.
_SEARCH_ORDER = (
    "object_type",
    "case_state",
    "transition",
    "refusal",
    "entitlement_status",
    "tier",
    "ecosystem",
)


@cache
def _any_table() -> dict[str, str]:
    found: dict[str, str] = {}
    for concern in _SEARCH_ORDER:
        for code, text in VOCABULARIES[concern].items():
            found.setdefault(str(code), text)
    for table in (*VOCABULARIES.values(), *model_choices().values()):
        for code, text in table.items():
            found.setdefault(str(code), text)
    for code, text in model_names().items():
        found.setdefault(code, text)
    return found


def any_label(code: object) -> object:
    """The label of ``code`` in whichever vocabulary knows it; anything else (numbers, names, text) unchanged."""
    if isinstance(code, str):
        return _any_table().get(code, code)
    return code


def readable(value: object) -> object:
    """A recorded JSON value (audit old/new/extra) with every known code, key or value, shown as its label."""
    if isinstance(value, dict):
        return {str(any_label(k)): readable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [readable(v) for v in value]
    return any_label(value)
