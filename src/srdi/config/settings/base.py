"""Settings shared by every environment. Values that differ per deployment come from the environment.

Environment variables:
- ``DATABASE_URL``: database URL; default the embedded SQLite file ``$SRDI_VAR_DIR/srdi.sqlite3``.
- ``SECRET_KEY``: required in production (``srdi.config.settings.prod`` refuses to start without one).
- ``SRDI_VAR_DIR``: where the SQLite file, uploads and logs live (default ``./var``).
- ``ALLOWED_HOSTS``: comma-separated host names (production).
- ``SRDI_DEFAULT_AS_OF``: the reference date of screening and of the pages (default: today in Asia/Shanghai).
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
    "srdi.db",
    "srdi.web",
]

MIDDLEWARE = [
    "srdi.api.middleware.ApiJsonMiddleware",  # first: every answer under /api/ passes through it
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "srdi.web.middleware.SecurityHeadersMiddleware",
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
        },
    }
]


def database_config() -> dict[str, Any]:
    """The default database from ``DATABASE_URL``, with the SQLite settings the ledger relies on."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'srdi.sqlite3'}"
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
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
# The cache holds the API rate-limit counters. A file cache in SRDI_VAR_DIR is shared by every worker process
# on the machine, so a limit is per user, not per process; several machines need a shared cache (Redis …).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}
# API rate limits per user (ASVS 2.4.1); raise them for trusted system-to-system clients or load tests.
SRDI_API_READ_RATE = os.environ.get("SRDI_API_READ_RATE", "600/min")
SRDI_API_WRITE_RATE = os.environ.get("SRDI_API_WRITE_RATE", "120/min")
# API tokens expire (ASVS 3.3): the default and the longest lifetime a token may be issued for, in days.
SRDI_API_TOKEN_DAYS = int(os.environ.get("SRDI_API_TOKEN_DAYS", "90"))
SRDI_API_TOKEN_MAX_DAYS = int(os.environ.get("SRDI_API_TOKEN_MAX_DAYS", "365"))

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
