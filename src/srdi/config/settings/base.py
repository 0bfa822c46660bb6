"""Settings shared by every environment. Values that differ per deployment come from the environment.

Environment variables:
- ``DATABASE_URL``: database URL; default the embedded SQLite file ``$SRDI_VAR_DIR/srdi.sqlite3``.
- ``SECRET_KEY``: required in production (``srdi.config.settings.prod`` refuses to start without one).
- ``SRDI_VAR_DIR``: where the SQLite file, uploads and logs live (default ``./var``).
- ``ALLOWED_HOSTS``: comma-separated host names (production).
- ``SRDI_DEFAULT_AS_OF``: the reference date of screening and of the pages (default: today in Asia/Shanghai).
- ``SRDI_PII_KEYS`` (``id:base64,id:base64``), ``SRDI_PII_ACTIVE_KEY``, ``SRDI_PII_HASH_KEY`` (base64),
  ``SRDI_PII_CIPHER`` (``aes-gcm`` | ``sm4-gcm``): encryption of personal data at rest (``srdi.db.pii_keys``).
  Without ``SRDI_PII_KEYS`` the embedded default keeps its keys in ``$SRDI_VAR_DIR/pii-keys.json`` (mode 0600);
  production settings refuse that file.
- ``SRDI_CHAIN_KEY`` / ``SRDI_CHAIN_KEYS_OLD``: the key of the audit and ledger chains and earlier keys (read by
  ``srdi.services.chain_keys``, never stored in settings or the database; production must set the key).
- ``SRDI_CHECKPOINT_DIR``: where signed checkpoints of the chains are appended (default ``$SRDI_VAR_DIR/checkpoints``).
- ``SRDI_CHECKPOINT_SINK``: dotted path of the checkpoint sink class (default the file sink).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("SRDI_VAR_DIR", "var")).resolve()

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "srdi.db",
    "srdi.web",
]

MIDDLEWARE = [
    "srdi.web.middleware.SecurityHeadersMiddleware",  # outermost: every answer gets CSP and the other headers
    "srdi.api.middleware.ApiJsonMiddleware",  # next: every answer under /api/ passes through it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "srdi.api.stateless.TokenAwareSessionMiddleware",  # the stateless replacements skip API token requests
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # named: check --deploy looks for it (API views are exempt)
    "srdi.api.stateless.TokenAwareAuthenticationMiddleware",
    "srdi.api.stateless.TokenAwareOTPMiddleware",  # request.user.is_verified(): the session passed the 2nd factor
    "srdi.api.stateless.TokenAwareMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "srdi.web.rate_limits.RateLimitMiddleware",  # after authentication: counts per user, else per address
    "srdi.web.middleware.SessionLifetimeMiddleware",
    "srdi.web.middleware.SecondFactorMiddleware",
    "srdi.web.middleware.PasswordExpiryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "srdi.config.urls"
WSGI_APPLICATION = "srdi.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "srdi.web.context.navigation",
            ],
            # ``|beijing`` on every page without a load: the one way a time is shown (srdi.domain.beijing_time)
            "builtins": ["srdi.web.templatetags.srdi_time"],
        },
    }
]


def database_config() -> dict[str, Any]:
    """The default database from ``DATABASE_URL``, with the SQLite settings the ledger relies on."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'srdi.sqlite3'}"
    # Each server thread keeps its connection between requests (checked at the start of a request, dropped
    # after an error). Opening one per request cost every API call a connect and, on SQLite, the WAL
    # checkpoint and fsync of the last close: 58 → 25 ms a request in process (docs/performance.md).
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=600, conn_health_checks=True))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE takes the write lock at BEGIN, so read-then-write transactions queue instead of failing;
        # WAL lets readers proceed while one writer works; FULL sync keeps committed money across power loss.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        }
    else:
        config.setdefault("OPTIONS", {})
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "srdi.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "srdi.web.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "srdi.web.passwords.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    # Dictionary word, keyboard walk or name with digits/symbols around it, leetspeak, the username or the
    # organisation inside; ~90,000 words bundled (zxcvbn's lists + Django's + a pinyin list), no network.
    {"NAME": "srdi.web.passwords.GuessablePasswordValidator"},
]
# 等保 L3-CES1-01 asks for periodic password change; ASVS discourages it. We meet 等保 (days, 0 = never).
SRDI_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("SRDI_PASSWORD_MAX_AGE_DAYS", "90"))

# Lock an account+IP pair after 5 failures for 30 minutes (等保 8.1.4.1 b).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy the client address is in X-Forwarded-For: set SRDI_TRUSTED_PROXY_COUNT to the number
# of proxies in front of the application, or every user shares the proxy's address in lockouts and the audit log.
_PROXIES = int(os.environ.get("SRDI_TRUSTED_PROXY_COUNT", "0"))
if _PROXIES:
    AXES_IPWARE_PROXY_COUNT = _PROXIES
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Two-factor sign-in (TOTP, django-otp) for staff roles (srdi.services.second_factor.required_for). The
# issuer is the name an authenticator app shows; a code may be 1 step (30 s) early or late.
OTP_TOTP_ISSUER = os.environ.get("SRDI_OTP_ISSUER", "杭州专精特新平台")
OTP_TOTP_TOLERANCE = 1
# Between the password and the code the sign-in waits at most this many seconds.
SRDI_SECOND_FACTOR_PENDING_SECONDS = int(os.environ.get("SRDI_SECOND_FACTOR_PENDING_SECONDS", "300"))

# Absolute session lifetime (ASVS 7.3.2): a session ends this many hours after sign-in however active it is.
SRDI_SESSION_MAX_AGE_HOURS = float(os.environ.get("SRDI_SESSION_MAX_AGE_HOURS", "12"))
# Idle timeout of 30 minutes, renewed on each request; the session ends when the browser closes.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Upload limits (ASVS 5.2.1): the import page takes spreadsheets up to SRDI_IMPORT_MAX_BYTES.
SRDI_IMPORT_MAX_BYTES = int(os.environ.get("SRDI_IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
# What one import may read (srdi.interchange.limits): rows, columns, cells of the used block, seconds.
SRDI_IMPORT_MAX_ROWS = int(os.environ.get("SRDI_IMPORT_MAX_ROWS", "200000"))
SRDI_IMPORT_MAX_COLUMNS = int(os.environ.get("SRDI_IMPORT_MAX_COLUMNS", "256"))
SRDI_IMPORT_MAX_CELLS = int(os.environ.get("SRDI_IMPORT_MAX_CELLS", "12000000"))
SRDI_IMPORT_MAX_SECONDS = float(os.environ.get("SRDI_IMPORT_MAX_SECONDS", "300"))
SRDI_EVIDENCE_MAX_BYTES = int(os.environ.get("SRDI_EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

NINJA_PAGINATION_PER_PAGE = 50
# Django's cache: a file cache in SRDI_VAR_DIR (the rate limits no longer use it; they count in the database).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}
# Rate limits (ASVS 2.4.1; srdi.services.rate_limits): "N/min", "N/hour", "N/day" (or "0"/"off"), counted per
# signed-in user (else per client address) in the database, so they hold across worker processes and
# machines. The page limits are far above what a person clicking through cases needs (a busy reviewer makes
# well under 60 requests a minute, htmx polling included); a script hits them. Raise the API rates for
# trusted system-to-system clients or load tests.
SRDI_API_READ_RATE = os.environ.get("SRDI_API_READ_RATE", "600/min")
SRDI_API_WRITE_RATE = os.environ.get("SRDI_API_WRITE_RATE", "120/min")
SRDI_PAGE_RATE = os.environ.get("SRDI_PAGE_RATE", "300/min")  # every page, per signed-in user
SRDI_ANONYMOUS_PAGE_RATE = os.environ.get("SRDI_ANONYMOUS_PAGE_RATE", "120/min")  # sign-in page etc., per IP
SRDI_SEARCH_RATE = os.environ.get("SRDI_SEARCH_RATE", "120/min")  # any ?q= search, web and API list
SRDI_EXPORT_RATE = os.environ.get("SRDI_EXPORT_RATE", "30/hour")  # XLSX/CSV/JSON/payment-file downloads
SRDI_PROBE_RATE = os.environ.get("SRDI_PROBE_RATE", "120/min")  # pages and API lookups of one object by id
# Signed checkpoints of the audit and ledger chains go outside the database (services.checkpoint_sink); None =
# $SRDI_VAR_DIR/checkpoints, resolved when used.
SRDI_CHECKPOINT_DIR = os.environ.get("SRDI_CHECKPOINT_DIR") or None
SRDI_CHECKPOINT_SINK = os.environ.get("SRDI_CHECKPOINT_SINK", "srdi.services.checkpoint_sink.FileSink")

# API tokens expire (ASVS 3.3): the default and the longest lifetime a token may be issued for, in days.
SRDI_API_TOKEN_DAYS = int(os.environ.get("SRDI_API_TOKEN_DAYS", "90"))
SRDI_API_TOKEN_MAX_DAYS = int(os.environ.get("SRDI_API_TOKEN_MAX_DAYS", "365"))
# Seconds a worker process keeps a checked API token → user in memory (srdi.services.token_cache; 0 = check the
# database on every request). Revocation stays immediate: every request compares one shared counter row.
SRDI_API_TOKEN_CACHE_SECONDS = float(os.environ.get("SRDI_API_TOKEN_CACHE_SECONDS", "5"))
# Personal data at rest (ID numbers, phones, bank accounts): keys from the environment (srdi.db.pii_keys); the
# key file is the embedded default's only (None in production: the environment must hold the keys).
SRDI_PII_CIPHER = os.environ.get("SRDI_PII_CIPHER", "aes-gcm")
SRDI_PII_KEYS = os.environ.get("SRDI_PII_KEYS", "")
SRDI_PII_ACTIVE_KEY = os.environ.get("SRDI_PII_ACTIVE_KEY", "")
SRDI_PII_HASH_KEY = os.environ.get("SRDI_PII_HASH_KEY", "")
SRDI_PII_KEY_FILE: Path | None = VAR_DIR / "pii-keys.json"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"srdi": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}


def pinned_as_of(environ: Mapping[str, str] = os.environ) -> str | None:
    """``SRDI_DEFAULT_AS_OF`` (YYYY-MM-DD) when the environment pins the reference date of screening,
    assessments and entitlements on the pages — checked here, so that a typo stops the start-up — or None:
    every request and command then takes today in Asia/Shanghai when it runs
    (``srdi.services.screening.default_as_of``), so a server that runs for weeks never judges by the day it
    started."""
    text = environ.get("SRDI_DEFAULT_AS_OF", "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ImproperlyConfigured(
            f"SRDI_DEFAULT_AS_OF 应为 YYYY-MM-DD 格式的日期，实际为 {text!r}"
        ) from None


SRDI_DEFAULT_AS_OF = pinned_as_of()
