"""Masking personal information for lists, exports and logs (PIPL Art. 51; 等保 8.1.4.11).

``mask_id_number('33010619800101123X')`` → ``'330106********123X'``; ``mask_phone('13912345678')`` →
``'139****5678'``; ``mask_name('张三丰')`` → ``'张**'``.
"""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    """Keep the first 6 and last 4 characters of an ID number."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits of a phone number."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the first character of a personal name."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_account(value: str | None) -> str:
    """Keep the last 4 digits of a bank account number: ``6222020200001234`` → ``**** **** 1234``."""
    if not value:
        return ""
    return "**** **** " + value[-4:]
