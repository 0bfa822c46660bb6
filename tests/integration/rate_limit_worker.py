"""A separate process counting requests against the test database, for the cross-process counter test.

Run as ``python -m tests.integration.rate_limit_worker USER_ID HITS`` with ``DATABASE_URL`` naming the test
database and ``SRDI_EXPORT_RATE`` the limit. It prints ``ready`` once Django is set up, waits for a line on
stdin (so that every worker starts at the same moment), counts ``HITS`` export requests of the user and
prints how many were admitted.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srdi.config.settings.test")
    import django

    django.setup()
    from django.db import connection

    from srdi.db.models import User
    from srdi.domain.rate_limits import Bucket
    from srdi.services.rate_limits import Caller, hit

    user_id, hits = int(sys.argv[1]), int(sys.argv[2])
    caller = Caller(user=User.objects.get(pk=user_id), ip="127.0.0.1")
    print("ready", flush=True)
    sys.stdin.readline()
    admitted = sum(hit(Bucket.EXPORT, caller, path="/worker").allowed for _ in range(hits))
    connection.close()
    print(admitted, flush=True)


if __name__ == "__main__":
    main()
