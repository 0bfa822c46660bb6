"""Settings for the test suite: fast password hashing, a file-backed SQLite test database (so that
threads share it, as in production), and a temporary var directory."""

import os
import tempfile
from pathlib import Path

from srdi.config.settings.base import *  # noqa: F403
from srdi.config.settings.base import DATABASES

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
VAR_DIR = Path(tempfile.mkdtemp(prefix="srdi-test-var-"))
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir()
MEDIA_ROOT = VAR_DIR / "media"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Generous rate limits: the suite makes thousands of requests as one user. The rate-limit tests set small
# limits with override_settings (or the environment, for a server they start).
_GENEROUS = "1000000/min"
SRDI_API_READ_RATE = os.environ.get("SRDI_API_READ_RATE", _GENEROUS)
SRDI_API_WRITE_RATE = os.environ.get("SRDI_API_WRITE_RATE", _GENEROUS)
SRDI_PAGE_RATE = os.environ.get("SRDI_PAGE_RATE", _GENEROUS)
SRDI_ANONYMOUS_PAGE_RATE = os.environ.get("SRDI_ANONYMOUS_PAGE_RATE", _GENEROUS)
SRDI_SEARCH_RATE = os.environ.get("SRDI_SEARCH_RATE", _GENEROUS)
SRDI_EXPORT_RATE = os.environ.get("SRDI_EXPORT_RATE", _GENEROUS)
SRDI_PROBE_RATE = os.environ.get("SRDI_PROBE_RATE", _GENEROUS)

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# A fixed reference date (the last day of the 81号 window), so that results do not move with the calendar; the
# default outside the tests is today in Asia/Shanghai (base.default_as_of).
SRDI_DEFAULT_AS_OF = os.environ.get("SRDI_DEFAULT_AS_OF") or "2025-12-31"

# Fixed test-only keys for personal data (not a key file), so that subprocesses read what the tests wrote.
SRDI_PII_KEYS = os.environ.get("SRDI_PII_KEYS") or ("test1:" + "dGVzdC1vbmx5LXBpaS1rZXktbnVtYmVyLW9uZS0wMDE=")
SRDI_PII_HASH_KEY = os.environ.get("SRDI_PII_HASH_KEY") or "dGVzdC1vbmx5LXBpaS1oYXNoLWtleS0wMDAwMDAwMDA="
SRDI_PII_KEY_FILE = VAR_DIR / "pii-keys.json"
