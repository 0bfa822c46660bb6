"""WSGI entry point (gunicorn ``srdi.config.wsgi:application``).

Each worker process loads the rulebooks and policy packs in a background thread as soon as it starts, so that the
first page or assessment it serves does not pay for parsing them (about a second); a request that comes sooner
simply loads them itself, as before.
"""

import os
import threading

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srdi.config.settings.dev")
application = get_wsgi_application()


def _warm_up() -> None:
    from srdi.domain.policy.loader import load_packs
    from srdi.domain.rules.rulebook import load_library

    load_library()
    load_packs()


threading.Thread(target=_warm_up, name="srdi-warm-up", daemon=True).start()
