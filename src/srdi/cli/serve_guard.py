"""Whether ``srdi serve`` may start: development settings only on a loopback address.

``srdi serve`` calls ``refusal`` before it execs gunicorn. Development settings — ``DEBUG`` on, the
``dev``/``test`` settings modules, or a secret key that is published in the repository or too short — are
allowed on 127.0.0.1, ::1 and localhost (``make run``), and refused on any other address, with a message that
says what to set. Pure: no Django, so it is tested with plain values.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

DEV_SETTINGS_MODULES = frozenset({"srdi.config.settings.dev", "srdi.config.settings.test"})
# Keys that appear in the repository: anyone can forge sessions and tokens signed with them.
PUBLISHED_KEYS = frozenset({"dev-only-insecure-key-do-not-use-in-production", "test-only-key"})
MIN_KEY_LENGTH = 32


@dataclass(frozen=True)
class ServeSettings:
    """What the guard looks at (read from django.conf.settings by the caller)."""

    host: str
    settings_module: str
    debug: bool
    secret_key: str


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``; brackets around an IPv6 address are ignored."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def insecure_reasons(s: ServeSettings) -> list[str]:
    """Why these settings are development settings (empty when they are fit for production)."""
    reasons = []
    if s.debug:
        reasons.append("DEBUG 已开启 (DEBUG is on)")
    if s.settings_module in DEV_SETTINGS_MODULES or not s.settings_module:
        reasons.append(
            f"使用开发/测试配置 {s.settings_module or '（未设置）'} "
            f"(development/test settings module {s.settings_module or '(unset)'})"
        )
    if s.secret_key in PUBLISHED_KEYS or s.secret_key.startswith("django-insecure"):
        reasons.append("SECRET_KEY 是仓库中公开的默认密钥 (SECRET_KEY is the published default key)")
    elif len(s.secret_key) < MIN_KEY_LENGTH:
        reasons.append(
            f"SECRET_KEY 少于 {MIN_KEY_LENGTH} 个字符 (SECRET_KEY shorter than {MIN_KEY_LENGTH} characters)"
        )
    return reasons


def refusal(s: ServeSettings) -> str | None:
    """The message that stops the server, or None when it may start."""
    if is_loopback(s.host):
        return None
    reasons = insecure_reasons(s)
    if not reasons:
        return None
    lines = [
        f"拒绝在非本机地址 {s.host} 上以开发配置启动。",
        f"Refusing to serve development settings on the non-loopback address {s.host}.",
        *(f"  - {r}" for r in reasons),
        "请设置 / Set:",
        "  DJANGO_SETTINGS_MODULE=srdi.config.settings.prod",
        f"  SECRET_KEY=<至少 {MIN_KEY_LENGTH} 个随机字符 / at least {MIN_KEY_LENGTH} random characters>",
        "  ALLOWED_HOSTS=<对外域名 / the public host name>",
        "  DATABASE_URL=<生产数据库 / the production database>",
        "或只在本机试用 / or, to try it locally: srdi serve --host 127.0.0.1",
    ]
    return "\n".join(lines)
