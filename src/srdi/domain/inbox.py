"""The kinds of inbox messages (消息), told apart by the page a message links to.

A message stores its link, not a kind; ``kind_of(url)`` names the kind from the link's first path segment, and
``MessageKind.prefix`` is the same rule for a database filter. Pure Python.
"""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    CASE = "case"
    PAYMENT = "payment"
    VOUCHER = "voucher"
    UNIT = "unit"
    TARGET = "target"
    ENTERPRISE = "enterprise"
    SEEDLING = "seedling"
    SHOWCASE = "showcase"
    POLICY = "policy"
    OTHER = "other"

    @property
    def label(self) -> str:
        return MESSAGE_KIND_LABELS[self]

    @property
    def prefix(self) -> str:
        """The link prefix of this kind ("" for the other messages)."""
        return PREFIXES.get(self, "")


MESSAGE_KIND_LABELS: dict[MessageKind, str] = {
    MessageKind.CASE: "事项办理",
    MessageKind.PAYMENT: "资金拨付",
    MessageKind.VOUCHER: "服务券",
    MessageKind.UNIT: "责任单位报告",
    MessageKind.TARGET: "目标进展",
    MessageKind.ENTERPRISE: "企业与认定",
    MessageKind.SEEDLING: "苗子库",
    MessageKind.SHOWCASE: "典型案例",
    MessageKind.POLICY: "政策与参数",
    MessageKind.OTHER: "其他通知",
}

PREFIXES: dict[MessageKind, str] = {
    MessageKind.CASE: "/cases/",
    MessageKind.PAYMENT: "/payments/",
    MessageKind.VOUCHER: "/vouchers/",
    MessageKind.UNIT: "/units/",
    MessageKind.TARGET: "/cockpit/",
    MessageKind.ENTERPRISE: "/enterprises/",
    MessageKind.SEEDLING: "/seedlings/",
    MessageKind.SHOWCASE: "/showcase/",
    MessageKind.POLICY: "/policy/",
}


def kind_of(url: str) -> MessageKind:
    """The kind of a message linking to ``url``."""
    for kind, prefix in PREFIXES.items():
        if url.startswith(prefix):
            return kind
    return MessageKind.OTHER
