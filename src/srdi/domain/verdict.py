"""A guard's answer: allowed or not, and why (shown to the user and written to the audit log)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    """``ok`` with a human reason in Chinese and a stable machine ``code``."""

    ok: bool
    reason: str = ""
    code: str = ""

    def __bool__(self) -> bool:
        return self.ok


ALLOW = Verdict(True)


def deny(reason: str, code: str = "denied") -> Verdict:
    """A refusal with its reason."""
    return Verdict(False, reason, code)
