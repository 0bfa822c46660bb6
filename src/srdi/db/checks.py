"""System checks of the persistence layer, run by ``manage.py check --deploy``.

``srdi.E101``: the personal-data keys cannot be loaded (under the production settings: ``SRDI_PII_KEYS`` and
``SRDI_PII_HASH_KEY`` missing from the environment, or malformed). Without them no ID number, phone or bank
account can be read or written, so a deployment must not go on.

``srdi.E102`` (database checks: ``srdi migrate``, ``srdi check --database default``): a trigger an applied
migration installed is missing (``srdi.db.triggers``), e.g. dropped by a SQLite table rebuild.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from srdi.db import pii_keys
from srdi.domain.field_cipher import PiiCryptoError


@register(Tags.security, deploy=True)
def personal_data_keys(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    try:
        pii_keys.keyring()
    except PiiCryptoError as exc:
        return [Error(str(exc), hint="见 docs/security.md §8（个人信息加密密钥）", id="srdi.E101")]
    return []


@register(Tags.database)
def database_triggers(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[Error]:
    """``srdi.E102``: a trigger an applied migration installed is gone (see ``srdi.db.triggers``)."""
    from django.db import connections

    from srdi.db import triggers

    errors = []
    for alias in databases or []:
        gaps = triggers.missing(connections[alias])
        if gaps:
            errors.append(
                Error(
                    f"数据库 {alias} 缺少 srdi 依赖的触发器（{triggers.describe(gaps)}）",
                    hint="运行 srdi triggers --repair 重新创建；见 docs/operations.md（数据库触发器）",
                    id="srdi.E102",
                )
            )
    return errors
