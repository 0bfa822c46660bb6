"""Development and demo settings: what ``make run`` uses. DEBUG is on; a fixed key is fine here only."""

from srdi.config.settings.base import *  # noqa: F403
from srdi.config.settings.base import SECRET_KEY as _SECRET_KEY

DEBUG = True
SECRET_KEY = _SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"
