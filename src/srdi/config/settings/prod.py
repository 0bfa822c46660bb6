"""Production settings: DEBUG off, secure cookies, and a SECRET_KEY from the environment or no start.

``manage.py check --deploy --fail-level WARNING`` passes with these settings (tested in
``tests/integration/test_deploy_settings.py``). One warning is silenced, with the reason below and in
``docs/operations.md``.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from srdi.config.settings.base import *  # noqa: F403
from srdi.config.settings.base import SECRET_KEY

# Keys that are published in this repository (dev.py, test.py): never acceptable in production.
_PUBLISHED_KEYS = {"dev-only-insecure-key-do-not-use-in-production", "test-only-key"}

if not SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少32个字符的密钥")
if SECRET_KEY in _PUBLISHED_KEYS or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured("SECRET_KEY 是仓库中公开的开发密钥，生产环境必须另行生成随机密钥")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True  # the pages read the token from the form field, never from the cookie
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HSTS preload is a commitment for the whole registrable domain (e.g. every *.hangzhou.gov.cn host), made by
# submitting it to the browsers' preload list and hard to undo; the operator of one sub-domain must not make
# it. Set SRDI_HSTS_PRELOAD=1 once the domain's owner has decided to; until then security.W021 is silenced.
SECURE_HSTS_PRELOAD = os.environ.get("SRDI_HSTS_PRELOAD", "") == "1"
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Personal-data keys come from the environment only (SRDI_PII_KEYS, SRDI_PII_HASH_KEY); no key file.
SRDI_PII_KEY_FILE = None
