"""Production settings: DEBUG off, secure cookies, and a SECRET_KEY from the environment or no start."""

from django.core.exceptions import ImproperlyConfigured

from srdi.config.settings.base import *  # noqa: F403
from srdi.config.settings.base import SECRET_KEY

if not SECRET_KEY or len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("生产环境必须通过环境变量 SECRET_KEY 提供至少32个字符的密钥")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Personal-data keys come from the environment only (SRDI_PII_KEYS, SRDI_PII_HASH_KEY); no key file.
SRDI_PII_KEY_FILE = None
