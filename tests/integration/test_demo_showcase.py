"""The demo's showcase entries (``srdi.services.demo_showcase``): made through the service, so published ones
obey every rule (consent, four eyes, a valid title) and the enterprise account's entry waits for its consent."""

from __future__ import annotations

import pytest

from srdi.db.models import ShowcaseEntry, User
from srdi.demo.generator import generate
from srdi.domain.showcase import Consent, Status
from srdi.services.demo import create_demo_users, load_tables
from srdi.services.demo_showcase import create_demo_showcase
from srdi.services.showcase import public_entries

pytestmark = pytest.mark.django_db


def test_demo_showcase(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    load_tables(generate(500, 7), seed=7)
    create_demo_users([])
    lines: list[str] = []
    create_demo_showcase(lines)
    published = list(ShowcaseEntry.objects.filter(status=Status.PUBLISHED))
    assert len(published) >= 3, lines
    assert set(public_entries().values_list("pk", flat=True)) == {e.pk for e in published}
    tiers = set(public_entries().values_list("tier_today", flat=True))
    assert len(tiers) == len(published)  # one enterprise per tier
    for entry in published:
        assert entry.decided_by.username == "city_admin"
        assert entry.decided_by_id not in (entry.created_by_id, entry.submitted_by_id)
        assert entry.consent == Consent.GIVEN and entry.consent_method == "document"
    own = User.objects.get(username="enterprise_demo").enterprise
    waiting = ShowcaseEntry.objects.get(enterprise=own)
    assert waiting.status == Status.PENDING and waiting.consent == Consent.NONE
    assert "典型案例：已发布" in lines[-1]
    create_demo_showcase(lines)  # a second run adds nothing
    assert ShowcaseEntry.objects.count() == len(published) + 1
