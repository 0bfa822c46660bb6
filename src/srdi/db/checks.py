"""System checks of the persistence layer, run by ``manage.py check --deploy``.

``srdi.E101``: the personal-data keys cannot be loaded (under the production settings: ``SRDI_PII_KEYS`` and
``SRDI_PII_HASH_KEY`` missing from the environment, or malformed). Without them no ID number, phone or bank
account can be read or written, so a deployment must not go on.
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
