"""The showcase of exemplary enterprises (81号 第26条 选树典型与标杆): statuses, transitions, text rules, who may
approve, and whether an entry may be shown to the public. Pure Python.

Use ``next_status(status, action)`` to move an entry (``ShowcaseRuleError`` names a refused move),
``clean_public_name`` / ``clean_story`` on what staff type (plain text, length-limited, no HTML),
``approval_verdict`` before publishing (four eyes, the enterprise's consent, a title valid today) and
``shown_publicly`` for the one rule of the public page: published, consented, and a tier title valid today.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from srdi.domain.reference import ECOSYSTEMS, TIERS, clusters_296x
from srdi.domain.verdict import ALLOW, Verdict, deny

MAX_PUBLIC_NAME = 60
MAX_STORY = 500
MIN_STORY = 20
MAX_REASON = 500


class ShowcaseRuleError(ValueError):
    """A showcase rule refused; ``field`` names the form field at fault ("" for the whole request)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


class Status(StrEnum):
    DRAFT = "draft"
    PENDING = "pending"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.DRAFT: "草稿",
    Status.PENDING: "待审核",
    Status.PUBLISHED: "已发布",
    Status.WITHDRAWN: "已撤下",
}


class Action(StrEnum):
    SUBMIT = "submit"  # 提交审核 (proposer)
    APPROVE = "approve"  # 批准发布 (another city user)
    REJECT = "reject"  # 退回修改, with a reason
    WITHDRAW = "withdraw"  # 撤下, with a reason (also when the enterprise withdraws its consent)
    REOPEN = "reopen"  # 重新编辑 a withdrawn entry

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS: dict[Action, str] = {
    Action.SUBMIT: "提交审核",
    Action.APPROVE: "批准发布",
    Action.REJECT: "退回修改",
    Action.WITHDRAW: "撤下",
    Action.REOPEN: "重新编辑",
}

# action → (statuses it starts from, status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.SUBMIT: (frozenset({Status.DRAFT}), Status.PENDING),
    Action.APPROVE: (frozenset({Status.PENDING}), Status.PUBLISHED),
    Action.REJECT: (frozenset({Status.PENDING}), Status.DRAFT),
    Action.WITHDRAW: (frozenset({Status.PENDING, Status.PUBLISHED}), Status.WITHDRAWN),
    Action.REOPEN: (frozenset({Status.WITHDRAWN}), Status.DRAFT),
}
# Actions that need a written reason.
NEEDS_REASON = frozenset({Action.REJECT, Action.WITHDRAW})
# Only a draft's text may change: what was reviewed is what is published.
EDITABLE = frozenset({Status.DRAFT})


class Consent(StrEnum):
    NONE = "none"
    GIVEN = "given"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {"none": "未取得", "given": "已同意", "withdrawn": "企业已撤回"}[self.value]


class ConsentMethod(StrEnum):
    PORTAL = "portal"  # the enterprise's own user, in the enterprise portal
    DOCUMENT = "document"  # city staff uploaded the signed consent document

    @property
    def label(self) -> str:
        return {"portal": "企业在线确认", "document": "书面同意书"}[self.value]


def next_status(status: str, action: str) -> Status:
    """The status after ``action``; ``ShowcaseRuleError`` when the action does not apply to ``status``."""
    try:
        current, act = Status(status), Action(action)
    except ValueError:
        raise ShowcaseRuleError("无效的操作", "action") from None
    sources, target = TRANSITIONS[act]
    if current not in sources:
        raise ShowcaseRuleError(f"案例{current.label}，不能{act.label}", "status")
    return target


def allowed_actions(status: str) -> list[Action]:
    """The actions that apply to an entry in ``status`` (permissions still decide who may take them)."""
    return [a for a, (sources, _) in TRANSITIONS.items() if status in sources]


def clusters() -> dict[str, str]:
    """Codes a showcase entry's 产业集群 may take: 81号's five ecosystems, then the "296X" clusters."""
    return {**ECOSYSTEMS, **{c.code: c.name for c in clusters_296x() if c.code not in ECOSYSTEMS}}


def cluster_label(code: str) -> str:
    return clusters().get(code, code or "—")


_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!?]|&#?\w+;")
_CONTROL = {"Cc", "Cf", "Co", "Cs"}


def _plain(text: str, *, keep_newlines: bool) -> str:
    """Control and format characters removed (line breaks kept when asked), spaces collapsed per line."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    chars = [
        c
        for c in text
        if (c == "\n" and keep_newlines) or (unicodedata.category(c) not in _CONTROL and c != "\n")
    ]
    lines = [" ".join(line.split()) for line in "".join(chars).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _no_markup(text: str, label: str, field: str) -> None:
    if _TAG.search(text):
        raise ShowcaseRuleError(f"“{label}”只能是纯文本，不能含 HTML 标签或字符实体", field)


def clean_public_name(text: str) -> str:
    """The name shown publicly: one line, 2–60 characters, no markup."""
    name = _plain(text, keep_newlines=False)
    if len(name) < 2:
        raise ShowcaseRuleError("请填写“展示名称”", "public_name")
    if len(name) > MAX_PUBLIC_NAME:
        raise ShowcaseRuleError(f"“展示名称”不超过 {MAX_PUBLIC_NAME} 字", "public_name")
    _no_markup(name, "展示名称", "public_name")
    return name


def clean_story(text: str) -> str:
    """The short story: plain text (paragraphs kept), 20–500 characters, no markup."""
    story = _plain(text, keep_newlines=True)
    if len(story) < MIN_STORY:
        raise ShowcaseRuleError(f"“典型事迹”至少 {MIN_STORY} 字", "story")
    if len(story) > MAX_STORY:
        raise ShowcaseRuleError(f"“典型事迹”不超过 {MAX_STORY} 字（现为 {len(story)} 字）", "story")
    _no_markup(story, "典型事迹", "story")
    return story


def clean_cluster(code: str) -> str:
    code = (code or "").strip()
    if code not in clusters():
        raise ShowcaseRuleError("请选择“产业集群”", "cluster")
    return code


def clean_reason(text: str, action: Action) -> str:
    reason = _plain(text, keep_newlines=True)
    if action in NEEDS_REASON and not reason:
        raise ShowcaseRuleError(f"{action.label}时请填写理由", "reason")
    if len(reason) > MAX_REASON:
        raise ShowcaseRuleError(f"理由不超过 {MAX_REASON} 字", "reason")
    return reason


def tier_label(tier: str | None) -> str:
    return TIERS.get(tier or "", "")


@dataclass(frozen=True)
class Approval:
    """What publishing an entry depends on (ids of the users who wrote it; the approver's)."""

    approver_id: int
    authors: frozenset[int]  # who created, last edited and submitted the entry
    consent: str
    tier_today: str | None  # the enterprise's highest tier title valid today (``TIERS``), or None


def approval_verdict(approval: Approval) -> Verdict:
    """Four eyes, the enterprise's consent, and a tier title valid today — in that order."""
    if approval.approver_id in approval.authors:
        return deny("不能批准自己推荐、修改或提交的案例，请由另一位市经信局工作人员审核", "four_eyes")
    if approval.consent != Consent.GIVEN:
        return deny("企业尚未同意展示（或已撤回同意），不能发布", "consent")
    if approval.tier_today not in TIERS:
        return deny("企业当前没有有效的梯度称号，不能发布", "title")
    return ALLOW


def shown_publicly(status: str, consent: str, tier_today: str | None) -> bool:
    """The public page's rule: published, consented, and a tier title valid today."""
    return status == Status.PUBLISHED and consent == Consent.GIVEN and tier_today in TIERS
