"""Who may do what: the one table of roles × permissions and each role's scope (三权分立 included).

Use ``allows(role, permission)`` for a yes/no and ``check(role, permission)`` for a ``Verdict`` with the refusal
in Chinese; ``spec_of(role)`` for a role's scope rule and flags. Every menu, page, API call, service and
workflow transition asks this table (``srdi.services.scoping`` applies the scope rule to querysets), so adding
a role is one ``ROLES`` entry plus its scope rule. Pure Python: no Django here.

Stored role values (``User.role``) are the ``Role`` values; an account without a role (created by the system
administrator, waiting for the security administrator's grant) has the empty string and may do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from srdi.domain.verdict import ALLOW, Verdict, deny


class Role(StrEnum):
    """Every role a user can hold. The values are what the database stores."""

    CITY_ADMIN = "city_admin"
    CITY_STAFF = "city_staff"
    DISTRICT_STAFF = "district_staff"
    ENTERPRISE = "enterprise"
    PROVIDER = "provider"
    AUDITOR = "auditor"
    FINANCE = "finance"
    RESPONSIBLE_UNIT = "responsible_unit"
    LEADER = "leader"
    SYSTEM_ADMIN = "system_admin"
    SECURITY_ADMIN = "security_admin"
    AUDIT_ADMIN = "audit_admin"

    @property
    def label(self) -> str:
        return ROLES[self].label


class Permission(StrEnum):
    """One thing a role may do. Where a row is allowed is the scope's business (``Scope``)."""

    ENTERPRISE_READ = "enterprise.read"
    ENTERPRISE_EDIT = "enterprise.edit"
    DATA_IMPORT = "data.import"
    DATA_EXPORT = "data.export"
    DATA_CORRECT = "data.correct"  # the back-office admin's business tables (/admin/)
    PERSONAL_DATA_REVEAL = "personal_data.reveal"
    SCREENING_VIEW = "screening.view"
    SCREENING_RUN = "screening.run"
    SIMULATE = "policy.simulate"
    PARAMETER_PROPOSE = "parameter.propose"  # propose a parameter value; approve another's non-money change
    PARAMETER_APPROVE = "parameter.approve"  # approve a change that moves money (amounts, rates, caps, LPR …)
    PROGRAMME_VIEW = "programme.view"
    PROGRAMME_MANAGE = "programme.manage"  # create and close programmes, generate offers
    BUDGET_PROPOSE = "budget.propose"
    BUDGET_APPROVE = "budget.approve"
    CASE_VIEW = "case.view"
    CASE_APPLY = (
        "case.apply"  # the enterprise's own steps: apply, confirm, decline, withdraw, submit, evidence
    )
    CASE_ACCEPT = "case.accept"
    CASE_DISTRICT_REVIEW = "case.district_review"
    CASE_CITY_REVIEW = "case.city_review"
    CASE_APPROVE = "case.approve"
    CASE_CANCEL = "case.cancel"
    CASE_RETURN = "case.return"
    CASE_REJECT = "case.reject"
    OBJECTION_RECORD = "objection.record"
    OBJECTION_RESOLVE = "objection.resolve"
    BANK_ACCOUNT_PROPOSE = "bank_account.propose"
    BANK_ACCOUNT_CONFIRM = "bank_account.confirm"
    BANK_ACCOUNT_FULL = "bank_account.full"  # the unmasked account number (in scope)
    PAYMENT_VIEW = "payment.view"
    PAYMENT_RUN = "payment.run"
    TREASURY_FILE = "payment.treasury_file"
    VOUCHER_VIEW = "voucher.view"
    VOUCHER_ISSUE = "voucher.issue"  # issue and void
    VOUCHER_REDEEM = "voucher.redeem"
    LEDGER_VERIFY = "ledger.verify"
    AUDIT_READ = "audit.read"
    AUDIT_SETTINGS = "audit.settings"
    ACCOUNT_MANAGE = "account.manage"  # create, disable, reset passwords; the admin's user pages
    ROLE_GRANT = "role.grant"  # grant and revoke roles, approve grant requests
    UNIT_REPORT_FILE = (
        "unit_report.file"  # a responsible unit files its quarterly reports and events (own measures)
    )
    UNIT_REPORT_REVIEW = (
        "unit_report.review"  # see every unit's reports, accept or return them, record events
    )
    SEEDLING_VIEW = "seedling.view"  # see the 小巨人 seedling pool (district staff: their district)
    SEEDLING_PROPOSE = (
        "seedling.propose"  # propose adding or removing a pool member (own district; city confirms)
    )
    PROGRAMME_TARGETS_MANAGE = (
        "programme.targets_manage"  # manage the seedling pool, confirm proposals, enter published counts
    )
    SHOWCASE_PROPOSE = "showcase.propose"  # propose, edit and submit showcase entries (典型案例, in scope)
    SHOWCASE_MANAGE = "showcase.manage"  # approve (another's proposal), reject and withdraw showcase entries
    SHOWCASE_CONSENT = "showcase.consent"  # the enterprise agrees to or withdraws from its own showcase entry


class Scope(StrEnum):
    """Which rows a role reaches (``srdi.services.scoping`` turns this into querysets)."""

    ALL = "all"
    DISTRICT = "district"  # the user's district
    ENTERPRISE = "enterprise"  # the user's enterprise
    PROVIDER = "provider"  # vouchers the user's service provider redeemed; no enterprise or case
    RESPONSIBLE_UNIT = "responsible_unit"  # cases of measures naming the user's organisation as responsible
    NONE = "none"


SCOPE_LABELS = {
    Scope.ALL: "全市",
    Scope.DISTRICT: "本区县",
    Scope.ENTERPRISE: "本企业",
    Scope.PROVIDER: "本机构核销的服务券",
    Scope.RESPONSIBLE_UNIT: "本单位负责的政策条款的事项",
    Scope.NONE: "无业务数据",
}


@dataclass(frozen=True)
class RoleSpec:
    """A role: its label, scope rule, permissions and flags.

    ``staff``: signs in with a second factor. ``money``: moves or approves money. ``admin``: administers the
    system (accounts, roles, audit). Granting a ``money`` or ``admin`` role needs a second security
    administrator (``needs_second_person``)."""

    label: str
    scope: Scope
    permissions: frozenset[Permission]
    staff: bool = True
    money: bool = False
    admin: bool = False
    # The field the scope is bound to, which the grant must set: "district", "enterprise", "provider", "organisation".
    binds: str = ""


P = Permission
_READ_ALL = frozenset({P.ENTERPRISE_READ, P.PROGRAMME_VIEW, P.CASE_VIEW, P.VOUCHER_VIEW})
_CITY_WORK = frozenset(
    {
        *_READ_ALL,
        P.ENTERPRISE_EDIT,
        P.DATA_IMPORT,
        P.DATA_EXPORT,
        P.SCREENING_VIEW,
        P.SCREENING_RUN,
        P.SIMULATE,
        P.PARAMETER_PROPOSE,
        P.PROGRAMME_MANAGE,
        P.BUDGET_PROPOSE,
        P.CASE_ACCEPT,
        P.CASE_DISTRICT_REVIEW,
        P.CASE_CITY_REVIEW,
        P.CASE_RETURN,
        P.CASE_REJECT,
        P.OBJECTION_RECORD,
        P.OBJECTION_RESOLVE,
        P.BANK_ACCOUNT_CONFIRM,
        P.VOUCHER_ISSUE,
        P.UNIT_REPORT_REVIEW,
        P.SEEDLING_VIEW,
        P.PROGRAMME_TARGETS_MANAGE,
        P.SHOWCASE_PROPOSE,
        P.SHOWCASE_MANAGE,
    }
)

ROLES: dict[Role, RoleSpec] = {
    Role.CITY_ADMIN: RoleSpec(
        "市经信局管理员",
        Scope.ALL,
        _CITY_WORK
        | {
            P.DATA_CORRECT,
            P.PERSONAL_DATA_REVEAL,
            P.BUDGET_APPROVE,
            P.PARAMETER_APPROVE,
            P.CASE_APPROVE,
            P.CASE_CANCEL,
            P.PAYMENT_VIEW,
            P.PAYMENT_RUN,
            P.TREASURY_FILE,
            P.LEDGER_VERIFY,
            P.AUDIT_READ,
        },
        money=True,
    ),
    Role.CITY_STAFF: RoleSpec("市经信局工作人员", Scope.ALL, _CITY_WORK),
    Role.DISTRICT_STAFF: RoleSpec(
        "区县（市）工作人员",
        Scope.DISTRICT,
        frozenset(
            {
                *_READ_ALL,
                P.ENTERPRISE_EDIT,
                P.DATA_IMPORT,
                P.DATA_EXPORT,
                P.SCREENING_VIEW,
                P.CASE_ACCEPT,
                P.CASE_DISTRICT_REVIEW,
                P.CASE_RETURN,
                P.CASE_REJECT,
                P.OBJECTION_RECORD,
                P.BANK_ACCOUNT_PROPOSE,
                P.BANK_ACCOUNT_CONFIRM,
                P.SEEDLING_VIEW,
                P.SEEDLING_PROPOSE,
                P.SHOWCASE_PROPOSE,
            }
        ),
        binds="district",
    ),
    Role.ENTERPRISE: RoleSpec(
        "企业用户",
        Scope.ENTERPRISE,
        frozenset(
            {
                *_READ_ALL,
                P.DATA_EXPORT,
                P.CASE_APPLY,
                P.BANK_ACCOUNT_PROPOSE,
                P.BANK_ACCOUNT_FULL,
                P.SHOWCASE_CONSENT,
            }
        ),
        staff=False,
        binds="enterprise",
    ),
    Role.PROVIDER: RoleSpec(
        "服务机构",
        Scope.PROVIDER,
        frozenset({P.ENTERPRISE_READ, P.VOUCHER_VIEW, P.VOUCHER_REDEEM}),
        staff=False,
        binds="provider",
    ),
    Role.AUDITOR: RoleSpec(
        "审计人员（只读）",
        Scope.ALL,
        frozenset(
            {
                *_READ_ALL,
                P.DATA_EXPORT,
                P.SCREENING_VIEW,
                P.SIMULATE,
                P.PAYMENT_VIEW,
                P.LEDGER_VERIFY,
                P.AUDIT_READ,
                P.SEEDLING_VIEW,
            }
        ),
    ),
    Role.FINANCE: RoleSpec(
        "资金管理（拨付）",
        Scope.ALL,
        frozenset(
            {
                *_READ_ALL,
                P.DATA_EXPORT,
                P.SIMULATE,
                P.BANK_ACCOUNT_CONFIRM,
                P.BANK_ACCOUNT_FULL,
                P.PAYMENT_VIEW,
                P.PAYMENT_RUN,
                P.TREASURY_FILE,
            }
        ),
        money=True,
    ),
    Role.RESPONSIBLE_UNIT: RoleSpec(
        "责任单位",
        Scope.RESPONSIBLE_UNIT,
        frozenset({P.ENTERPRISE_READ, P.PROGRAMME_VIEW, P.CASE_VIEW, P.UNIT_REPORT_FILE}),
        binds="organisation",
    ),
    Role.LEADER: RoleSpec(
        "领导（只读）",
        Scope.ALL,
        frozenset({*_READ_ALL, P.SCREENING_VIEW, P.SIMULATE, P.SEEDLING_VIEW}),
    ),
    Role.SYSTEM_ADMIN: RoleSpec("系统管理员", Scope.NONE, frozenset({P.ACCOUNT_MANAGE}), admin=True),
    Role.SECURITY_ADMIN: RoleSpec("安全管理员", Scope.NONE, frozenset({P.ROLE_GRANT}), admin=True),
    Role.AUDIT_ADMIN: RoleSpec(
        "审计管理员", Scope.NONE, frozenset({P.AUDIT_READ, P.AUDIT_SETTINGS}), admin=True
    ),
}

# A user without a role (or with a value no longer in the table): nothing, nowhere.
NO_ROLE = RoleSpec("未授权", Scope.NONE, frozenset(), staff=False)

# What a refusal says, by permission (code "role" unless given): the wording users and tests already know.
REFUSALS: dict[Permission, tuple[str, str]] = {
    P.ENTERPRISE_READ: ("当前角色不能查看企业数据", "role"),
    P.ENTERPRISE_EDIT: ("当前角色只读", "read_only"),
    P.DATA_IMPORT: ("当前角色不能导入数据", "read_only"),
    P.DATA_EXPORT: ("当前角色不能导出数据", "no_export"),
    P.DATA_CORRECT: ("后台数据维护仅限市经信局管理员", "role"),
    P.PERSONAL_DATA_REVEAL: ("只有市级管理员可以查看完整的个人信息", "pii"),
    P.SCREENING_VIEW: ("当前角色不能查看梯度筛查结果", "no_screening"),
    P.SCREENING_RUN: ("只有市经信局工作人员可以发起全市筛查", "no_screen_run"),
    P.SIMULATE: ("只有市经信局、资金管理、审计人员和领导可以进行政策成本测算", "no_simulation"),
    P.PARAMETER_PROPOSE: ("政策参数的调整由市经信局工作人员提出", "role"),
    P.PARAMETER_APPROVE: ("涉及资金的政策参数调整由市经信局管理员审批", "role"),
    P.PROGRAMME_VIEW: ("当前角色不能查看申报批次", "role"),
    P.PROGRAMME_MANAGE: ("申报批次由市经信局创建和管理", "role"),
    P.BUDGET_PROPOSE: ("预算调整由市经信局工作人员提出", "role"),
    P.BUDGET_APPROVE: ("预算调整由市级管理员审批", "role"),
    P.CASE_VIEW: ("当前角色不能查看兑现事项", "role"),
    P.CASE_APPLY: ("只有企业用户可以申报", "role"),
    P.CASE_ACCEPT: ("当前角色不能受理申请", "role"),
    P.CASE_DISTRICT_REVIEW: ("当前角色不能进行区县审核", "role"),
    P.CASE_CITY_REVIEW: ("市级审核由市经信局进行", "role"),
    P.CASE_APPROVE: ("批准仅限市经信局管理员", "role"),
    P.CASE_CANCEL: ("撤销批准仅限市经信局管理员", "role"),
    P.CASE_RETURN: ("当前角色不能退回申请", "role"),
    P.CASE_REJECT: ("当前角色不能作出不予支持的决定", "role"),
    P.OBJECTION_RECORD: ("当前角色不能登记异议", "role"),
    P.OBJECTION_RESOLVE: ("公示异议由市级人员处理", "role"),
    P.BANK_ACCOUNT_PROPOSE: ("收款账户更正由企业或其所在区县工作人员提出", "role"),
    P.BANK_ACCOUNT_CONFIRM: ("收款账户更正由区县、市级或资金管理人员确认", "role"),
    P.BANK_ACCOUNT_FULL: ("完整银行账号仅限资金管理人员和企业本身", "role"),
    P.PAYMENT_VIEW: ("拨付批次仅限资金管理人员、市级管理员和审计人员查看", "role"),
    P.PAYMENT_RUN: ("只有资金管理人员或市级管理员可以办理拨付", "role"),
    P.TREASURY_FILE: ("只有资金管理人员或市级管理员可以下载拨付文件", "role"),
    P.VOUCHER_VIEW: ("当前角色不能查看服务券", "role"),
    P.VOUCHER_ISSUE: ("服务券由市经信局发放", "role"),
    P.VOUCHER_REDEEM: ("只有服务机构用户可以核销服务券", "role"),
    P.LEDGER_VERIFY: ("总账核验仅限审计人员和市级管理员", "role"),
    P.AUDIT_READ: ("只有审计管理员、审计人员和市经信局管理员可以查看审计日志", "audit_log"),
    P.AUDIT_SETTINGS: ("审计设置只能由审计管理员修改", "role"),
    P.ACCOUNT_MANAGE: ("账号由系统管理员创建和停用", "role"),
    P.ROLE_GRANT: ("角色只能由安全管理员授予", "role"),
    P.UNIT_REPORT_FILE: ("季度工作报告由责任单位填报", "role"),
    P.UNIT_REPORT_REVIEW: ("季度工作报告由市经信局审核", "role"),
    P.SEEDLING_VIEW: ("小巨人种苗库仅对市、区县工作人员、审计人员和领导开放", "role"),
    P.SEEDLING_PROPOSE: ("种苗库的增减由区县工作人员提出、市经信局确认", "role"),
    P.PROGRAMME_TARGETS_MANAGE: ("种苗库和官方公布数由市经信局工作人员管理", "role"),
    P.SHOWCASE_PROPOSE: ("典型案例由市经信局或区县工作人员推荐", "role"),
    P.SHOWCASE_MANAGE: ("典型案例的发布、退回和撤下由市经信局工作人员办理", "role"),
    P.SHOWCASE_CONSENT: ("只有企业本身可以同意或撤回展示", "role"),
}


def spec_of(role: str | None) -> RoleSpec:
    """The role's row of the table; ``NO_ROLE`` for an empty or unknown value."""
    try:
        return ROLES[Role(role or "")]
    except ValueError:
        return NO_ROLE


def allows(role: str | None, permission: Permission) -> bool:
    """Whether the role holds the permission (the scope still decides which rows)."""
    return permission in spec_of(role).permissions


def check(role: str | None, permission: Permission, *, active: bool = True) -> Verdict:
    """``allows`` as a verdict: the refusal says why in Chinese, with a stable code."""
    if not active:
        return deny("请先登录", "login")
    if allows(role, permission):
        return ALLOW
    reason, code = REFUSALS.get(permission, (f"当前角色不能执行“{permission.value}”", "role"))
    return deny(reason, code)


def roles_with(permission: Permission) -> tuple[Role, ...]:
    """Every role holding the permission, in table order."""
    return tuple(role for role, spec in ROLES.items() if permission in spec.permissions)


def scope_of(role: str | None) -> Scope:
    return spec_of(role).scope


def sees_all_districts(role: str | None) -> bool:
    """City-wide roles (scope ``ALL``): the one answer for every page's district filter."""
    return scope_of(role) is Scope.ALL


def needs_second_factor(role: str | None) -> bool:
    """Staff roles sign in with a second factor (TOTP); enterprise and provider users need not."""
    return spec_of(role).staff


def needs_second_person(role: str | None) -> bool:
    """Granting this role is a request until a second security administrator approves it."""
    spec = spec_of(role)
    return spec.money or spec.admin


def is_read_only(role: str | None) -> bool:
    """Holds no permission that writes business data (auditor, leader, responsible unit, …)."""
    return not (spec_of(role).permissions & WRITES)


# Permissions that change business data or move money (used for ``is_read_only`` and the docs). A responsible
# unit's own quarterly reports and events (``UNIT_REPORT_FILE``) are its account of its work, not business data:
# the role stays read-only for enterprises, cases and money.
WRITES = frozenset(
    {
        P.ENTERPRISE_EDIT,
        P.DATA_IMPORT,
        P.DATA_CORRECT,
        P.SCREENING_RUN,
        P.PARAMETER_PROPOSE,
        P.PARAMETER_APPROVE,
        P.PROGRAMME_MANAGE,
        P.BUDGET_PROPOSE,
        P.BUDGET_APPROVE,
        P.CASE_APPLY,
        P.CASE_ACCEPT,
        P.CASE_DISTRICT_REVIEW,
        P.CASE_CITY_REVIEW,
        P.CASE_APPROVE,
        P.CASE_CANCEL,
        P.CASE_RETURN,
        P.CASE_REJECT,
        P.OBJECTION_RECORD,
        P.OBJECTION_RESOLVE,
        P.BANK_ACCOUNT_PROPOSE,
        P.BANK_ACCOUNT_CONFIRM,
        P.PAYMENT_RUN,
        P.VOUCHER_ISSUE,
        P.VOUCHER_REDEEM,
        P.SEEDLING_PROPOSE,
        P.PROGRAMME_TARGETS_MANAGE,
        P.SHOWCASE_PROPOSE,
        P.SHOWCASE_MANAGE,
        P.SHOWCASE_CONSENT,
    }
)
# The three administrators' permissions; no business role holds any of them (三权分立).
ADMINISTRATION = frozenset({P.ACCOUNT_MANAGE, P.ROLE_GRANT, P.AUDIT_SETTINGS})


def choices() -> list[tuple[str, str]]:
    """``(value, label)`` pairs for the database field and forms."""
    return [(role.value, spec.label) for role, spec in ROLES.items()]


def markdown_table() -> str:
    """The roles table of ``docs/security.md`` §2, generated from ``ROLES`` (a test keeps the doc equal)."""
    lines = [
        "| Role | Scope | Permissions | 2FA | Second person to grant |",
        "|---|---|---|---|---|",
    ]
    for role, spec in ROLES.items():
        perms = ", ".join(sorted(p.value for p in spec.permissions))
        lines.append(
            f"| `{role.value}` {spec.label} | {SCOPE_LABELS[spec.scope]} | {perms} | "
            f"{'yes' if spec.staff else 'no'} | {'yes' if needs_second_person(role) else 'no'} |"
        )
    return "\n".join(lines)
