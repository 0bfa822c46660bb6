"""The seedling pool pages and the published-count entry page: list, add, candidates, remove, confirm, export,
district scope, refusals, and the cockpit showing the pool and the entered baseline after a write."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from web_helpers import BINJIANG

from srdi.db.models import (
    AssessmentRun,
    AuditEvent,
    EnterpriseAssessment,
    PublishedCountEntry,
    SeedlingMember,
)

pytestmark = pytest.mark.django_db

ADDED_ON = "2025-06-01"  # before the pinned reference day of the test settings (2025-12-31)


def _add(client, who: str, reason: str = "筛查符合条件", day: str = ADDED_ON):
    return client.post("/seedlings/add/", {"enterprise": who, "added_on": day, "reason": reason})


def test_city_adds_lists_exports_and_removes(login_as, seed) -> None:
    client = login_as("city_staff")
    response = _add(client, seed.west.uscc)
    assert response.status_code == 302 and "done=added" in response["Location"]
    m = SeedlingMember.objects.get(enterprise=seed.west)
    assert m.status == "confirmed" and m.added_on.isoformat() == ADDED_ON
    page = client.get("/seedlings/")
    html = page.content.decode()
    assert page.status_code == 200 and seed.west.name in html and 'id="pool-in">1<' in html
    assert 'href="/seedlings/"' in html  # in the menu
    assert client.get(f"/seedlings/?q={seed.west.uscc}&status=in_pool").context["page"].paginator.count == 1
    assert client.get(f"/seedlings/?district={BINJIANG}").context["page"].paginator.count == 0
    assert client.get("/seedlings/?status=removed").context["page"].paginator.count == 0
    exported = client.get("/seedlings/export/?status=in_pool")
    assert exported.status_code == 200
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert rows[0][0] == "统一社会信用代码" and rows[1][0] == seed.west.uscc and len(rows) == 2
    assert AuditEvent.objects.filter(object_type="seedling", action="export").count() == 1
    assert client.get(f"/seedlings/{m.pk}/remove/").status_code == 200
    removed = client.post(f"/seedlings/{m.pk}/remove/", {"removed_on": "2025-09-01", "reason": "企业迁出"})
    assert removed.status_code == 302
    m.refresh_from_db()
    assert m.removed_on.isoformat() == "2025-09-01"
    assert client.get("/seedlings/?status=removed").context["page"].paginator.count == 1


def test_add_form_says_what_is_wrong(login_as, seed) -> None:
    client = login_as("city_staff")
    today = timezone.localdate().isoformat()  # binjiang's 小巨人 title was recognised a year ago
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    for data, message in (
        ({"enterprise": "", "reason": "r", "added_on": ADDED_ON}, "请填写企业"),
        ({"enterprise": "913301XXXXXXXXXXXX", "reason": "r", "added_on": ADDED_ON}, "找不到该企业"),
        ({"enterprise": seed.west.uscc, "reason": "", "added_on": ADDED_ON}, "请填写理由"),
        ({"enterprise": seed.west.uscc, "reason": "r", "added_on": tomorrow}, "不能晚于今天"),
        ({"enterprise": seed.west.uscc, "reason": "r", "added_on": "2025-13-01"}, "请填写入库日期"),
        ({"enterprise": seed.binjiang.uscc, "reason": "r", "added_on": today}, "有效的小巨人称号"),
    ):
        response = client.post("/seedlings/add/", data)
        assert response.status_code == 200 and message in response.content.decode(), message
    assert not SeedlingMember.objects.exists()
    remove = client.post("/seedlings/999999/remove/", {"removed_on": ADDED_ON, "reason": "x"})
    assert remove.status_code == 404


def test_district_staff_propose_for_their_district_and_city_confirms(login_as, seed) -> None:
    west = login_as("district_staff")
    assert "找不到该企业" in _add(west, seed.binjiang.uscc).content.decode()  # another district's enterprise
    response = _add(west, seed.west.uscc, "区县推荐")
    assert "done=proposed" in response["Location"]
    m = SeedlingMember.objects.get(enterprise=seed.west)
    assert m.status == "proposed"
    assert west.post(f"/seedlings/{m.pk}/decide/", {"what": "add", "decision": "yes"}).status_code == 403
    other = login_as("other_district_staff")
    assert other.get("/seedlings/").context["page"].paginator.count == 0
    assert other.get(f"/seedlings/{m.pk}/remove/").status_code == 404
    city = login_as("city_staff")
    assert "确认入库" in city.get("/seedlings/").content.decode()
    city.post(f"/seedlings/{m.pk}/decide/", {"what": "add", "decision": "yes"})
    m.refresh_from_db()
    assert m.status == "confirmed"
    west.post(f"/seedlings/{m.pk}/remove/", {"removed_on": "2025-10-01", "reason": "迁出"})
    m.refresh_from_db()
    assert m.removal_proposed_on is not None and m.removed_on is None
    assert west.get("/seedlings/?status=removal_pending").context["page"].paginator.count == 1
    city.post(f"/seedlings/{m.pk}/decide/", {"what": "remove", "decision": "yes"})
    m.refresh_from_db()
    assert m.removed_on.isoformat() == "2025-10-01"
    exported = west.get("/seedlings/export/")
    codes = [
        r[0]
        for r in load_workbook(io.BytesIO(exported.content)).active.iter_rows(min_row=2, values_only=True)
    ]
    assert codes == [seed.west.uscc]
    assert login_as("leader").get("/seedlings/").status_code == 200  # read-only roles may look
    assert login_as("leader").post("/seedlings/add/", {}).status_code == 403


@pytest.mark.parametrize("role", ["enterprise", "provider", "responsible_unit", "system_admin"])
def test_other_roles_see_nothing(login_as, seed, role: str) -> None:
    m = SeedlingMember.objects.create(
        enterprise=seed.west,
        status="confirmed",
        added_on=timezone.localdate(),
        reason="r",
        proposed_by=seed.users["city_staff"],
        proposed_at=timezone.now(),
    )
    client = login_as(role)
    for url in (
        "/seedlings/",
        "/seedlings/export/",
        "/seedlings/add/",
        "/seedlings/candidates/",
        f"/seedlings/{m.pk}/remove/",
        "/cockpit/published-counts/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/seedlings/{m.pk}/decide/", {"decision": "yes"}).status_code == 403
    home = client.get("/").content.decode()
    assert 'href="/seedlings/"' not in home and "published-counts" not in home


def test_candidates_are_preselected_and_added(login_as, seed) -> None:
    now = timezone.now()
    run = AssessmentRun.objects.create(as_of=timezone.localdate(), started_at=now, finished_at=now)
    for e in (seed.west, seed.west_formula, seed.binjiang):
        EnterpriseAssessment.objects.create(run=run, enterprise=e, little_giant_status="eligible")
    city = login_as("city_staff")
    page = city.get("/seedlings/candidates/")
    found = page.context["found"]
    assert {c.enterprise_id for c in found.rows} == {
        seed.west.pk,
        seed.west_formula.pk,
    }  # binjiang holds the title
    assert page.content.decode().count(" checked") == 2
    west_page = login_as("other_district_staff").get("/seedlings/candidates/")
    assert west_page.context["found"].rows == ()
    response = city.post(
        "/seedlings/candidates/",
        {"enterprise": [str(seed.west.pk)], "added_on": ADDED_ON, "reason": page.context["posted"]["reason"]},
    )
    assert response.status_code == 302
    m = SeedlingMember.objects.get()
    assert (m.enterprise_id, m.source, m.source_run_id) == (seed.west.pk, "screening", run.pk)
    assert f"#{run.pk}" in m.reason


def test_published_counts_page(login_as, seed) -> None:
    city = login_as("city_staff")
    data = {
        "tier": "little_giant",
        "year": "2025",
        "batch": "第七批",
        "kind": "new",
        "count": "-3",
        "status": "OFFICIAL",
        "doc_number": "浙经信企业〔2025〕99号",
    }
    refused = city.post("/cockpit/published-counts/", data)
    assert refused.status_code == 200 and "不小于 0 的整数" in refused.content.decode()
    next_year = str(timezone.localdate().year + 1)
    assert (
        "不能晚于今年"
        in city.post("/cockpit/published-counts/", data | {"count": "1", "year": next_year}).content.decode()
    )
    assert city.post("/cockpit/published-counts/", data | {"count": "131"}).status_code == 302
    assert city.post("/cockpit/published-counts/", data | {"count": "132"}).status_code == 302
    html = city.get("/cockpit/published-counts/").content.decode()
    assert "已被取代" in html and "有效" in html
    assert PublishedCountEntry.objects.count() == 2
    assert login_as("district_staff").get("/cockpit/published-counts/").status_code == 403


def test_cockpit_shows_pool_and_entered_baseline_after_writes(login_as, seed) -> None:
    client = login_as("city_staff")

    def cockpit():
        return client.get("/cockpit/").context["c"]

    def baseline_row(c):
        return next(r for r in c.table("baseline").rows if r[0].startswith("国家级") and r[2] == "第七批")

    c = cockpit()
    assert c.pool.in_pool == 0 and c.pool_target == 300
    assert baseline_row(c)[4] == 129 and baseline_row(c)[9].startswith("文件第")
    _add(client, seed.west.uscc)
    c = cockpit()
    assert c.pool.in_pool == 1
    pool_row = next(t for t in c.progress.targets if t.target_id == "lg_seedling_pool_min")
    assert pool_row.value == 1
    assert c.table("seedlings").rows[0][:4] == ("合计", "", 1, 0)
    html = client.get("/cockpit/").content.decode()
    assert 'id="pool-size">1<' in html and "录入官方公布数" in html
    client.post(
        "/cockpit/published-counts/",
        {
            "tier": "little_giant",
            "year": "2025",
            "batch": "第七批",
            "kind": "new",
            "count": "131",
            "status": "OFFICIAL",
            "doc_number": "浙经信企业〔2025〕99号",
        },
    )
    row = baseline_row(cockpit())
    assert row[4] == 131 and row[7] == "官方文件" and "录入（city_staff" in row[9]
    west = login_as("district_staff").get("/cockpit/").context["c"]
    assert west.pool.in_pool == 1
    assert login_as("other_district_staff").get("/cockpit/").context["c"].pool.in_pool == 0
