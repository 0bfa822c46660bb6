"""The screening page: who may open it, scope of rows/counts/changes/exports, and starting a run."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from web_helpers import import_profiles, make_uscc

from srdi.db.models import AssessmentRun, AuditAction, AuditEvent, EnterpriseAssessment
from srdi.services import screening_jobs
from srdi.services.screening import run_screen

pytestmark = pytest.mark.django_db

PAGE = reverse("web:screening")
START = reverse("web:screening_start")
EXPORT = reverse("web:screening_export")
PROGRESS = reverse("web:screening_progress")


@pytest.fixture(autouse=True)
def own_var_dir(settings, tmp_path):
    """Each test gets its own job status and lock files."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def inline_jobs(monkeypatch):
    """Run the background job in the request's thread (the test database is one uncommitted transaction)."""
    monkeypatch.setattr(screening_jobs, "_spawn", lambda target: target())


@pytest.fixture
def run(seed) -> AssessmentRun:
    return run_screen()


def rows_usccs(response) -> set[str]:
    return {r["enterprise"].uscc for r in response.context["rows"]}


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# ---- access -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["city_admin", "city_staff", "auditor", "district_staff"])
def test_page_opens_for_government_roles(login_as, run, role):
    response = login_as(role).get(PAGE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "梯度筛查" in text
    assert f"最近一次筛查（#{run.pk}）" in text
    assert "<script>" not in text


@pytest.mark.parametrize("role", ["enterprise", "provider"])
def test_page_is_refused_to_enterprises_and_providers(login_as, run, role):
    client = login_as(role)
    assert client.get(PAGE).status_code == 403
    assert client.get(PROGRESS).status_code == 403
    assert client.post(EXPORT, {"fmt": "csv"}).status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, object_id="screening").exists()


def test_menu_entry_follows_the_role(login_as):
    for role in ("city_staff", "auditor", "district_staff"):
        assert f'href="{PAGE}"' in login_as(role).get(reverse("web:home")).content.decode()
    for role in ("enterprise", "provider"):
        assert f'href="{PAGE}"' not in login_as(role).get(reverse("web:home")).content.decode()


def test_without_a_run_the_page_says_so(login_as, seed):
    text = login_as("city_staff").get(PAGE).content.decode()
    assert "尚未进行全市筛查" in text
    assert "开始全市筛查" in text
    text = login_as("district_staff").get(PAGE).content.decode()
    assert "尚未进行全市筛查" in text
    assert "开始全市筛查" not in text


# ---- scope --------------------------------------------------------------------------------------------


def test_city_staff_see_every_row(login_as, seed, run):
    response = login_as("city_staff").get(PAGE)
    assert rows_usccs(response) == {seed.west.uscc, seed.west_formula.uscc, seed.binjiang.uscc}
    assert response.context["counts"]["total"] == 3


def test_district_staff_see_only_their_district(login_as, seed, run):
    client = login_as("district_staff")
    response = client.get(PAGE)
    assert rows_usccs(response) == {seed.west.uscc, seed.west_formula.uscc}
    assert response.context["counts"]["total"] == 2
    assert (
        sum(
            sum(t[s] for s in ("eligible", "ineligible", "needs_data"))
            for t in response.context["counts"]["tiers"]
        )
        == 8
    )
    text = response.content.decode()
    assert seed.binjiang.uscc not in text
    assert "杭州滨江样本电子有限公司" not in text
    assert "全部区县" not in text  # no district filter for district staff
    # Neither a district filter nor a search can widen the scope.
    assert rows_usccs(client.get(PAGE, {"district": "330108"})) == {seed.west.uscc, seed.west_formula.uscc}
    assert rows_usccs(client.get(PAGE, {"q": seed.binjiang.uscc})) == set()


def test_filters(login_as, seed, run):
    client = login_as("city_staff")
    row = EnterpriseAssessment.objects.get(run=run, enterprise=seed.binjiang)
    status = row.little_giant_status
    found = rows_usccs(client.get(PAGE, {"tier": "little_giant", "status": status}))
    assert seed.binjiang.uscc in found
    assert all(
        EnterpriseAssessment.objects.get(run=run, enterprise__uscc=u).little_giant_status == status
        for u in found
    )
    assert rows_usccs(client.get(PAGE, {"district": "330108"})) == {seed.binjiang.uscc}
    assert rows_usccs(client.get(PAGE, {"ecosystem": "biomedicine"})) == {seed.west_formula.uscc}
    assert rows_usccs(client.get(PAGE, {"q": "西湖精工"})) == {seed.west.uscc}
    EnterpriseAssessment.objects.filter(run=run, enterprise=seed.west).update(seedling=True, grade="B")
    # A finished run's rows never change in the product; the test changed them, so the stored figures go too.
    AssessmentRun.objects.filter(pk=run.pk).update(aggregates={})
    assert rows_usccs(client.get(PAGE, {"cohort": "seedling"})) == {seed.west.uscc}
    assert rows_usccs(client.get(PAGE, {"grade": "B"})) == {seed.west.uscc}
    # An invalid value is ignored and reported, not an error page.
    response = client.get(PAGE, {"tier": "no_such_tier"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 3
    assert "已忽略此条件" in response.content.decode()


def test_pagination_is_50_rows(login_as, seed, run):
    import_profiles(
        [
            {"uscc": make_uscc(1000 + i), "name": f"杭州分页{i:03d}有限公司", "district": "330106"}
            for i in range(60)
        ]
    )
    run2 = run_screen()
    assert EnterpriseAssessment.objects.filter(run=run2).count() == 63
    response = login_as("city_staff").get(PAGE)
    assert len(response.context["rows"]) == 50
    assert response.context["page"].paginator.num_pages == 2
    assert len(login_as("city_staff").get(PAGE, {"page": 2}).context["rows"]) == 13


def test_changes_and_expiring_are_scoped(login_as, seed, run):
    run2 = run_screen()
    # Pretend every enterprise was a 小巨人 in the first run: those not eligible now "no longer" are.
    EnterpriseAssessment.objects.filter(run=run).update(little_giant_status="eligible")
    # (A finished run's rows never change in the product; the figures stored with run2 are counted again.)
    AssessmentRun.objects.filter(pk=run2.pk).update(aggregates={})
    lost_city = EnterpriseAssessment.objects.filter(run=run2).exclude(little_giant_status="eligible").count()
    lost_west = (
        EnterpriseAssessment.objects.filter(run=run2, enterprise__district_id="330106")
        .exclude(little_giant_status="eligible")
        .count()
    )
    assert lost_west < lost_city

    def lost(response) -> int:
        return next(t["lost"] for t in response.context["changes"]["tiers"] if t["code"] == "little_giant")

    assert lost(login_as("city_staff").get(PAGE)) == lost_city
    assert lost(login_as("district_staff").get(PAGE)) == lost_west
    listed = rows_usccs(login_as("district_staff").get(PAGE, {"change": "lost:little_giant"}))
    assert len(listed) == lost_west
    assert seed.binjiang.uscc not in listed

    run2.changes = {
        **run2.changes,
        "expiring_within_90_days": [
            {"uscc": seed.binjiang.uscc, "tier": "little_giant", "expires_on": "2026-01-20"},
            {"uscc": seed.west.uscc, "tier": "srdi_sme", "expires_on": "2026-02-01"},
        ],
    }
    run2.save()
    west_view = login_as("district_staff").get(PAGE)
    assert [i["enterprise"].uscc for i in west_view.context["expiring"]["items"]] == [seed.west.uscc]
    city_view = login_as("city_staff").get(PAGE)
    assert city_view.context["expiring"]["count"] == 2


def test_first_run_has_no_changes(login_as, run):
    response = login_as("city_staff").get(PAGE)
    assert response.context["changes"] is None
    assert "暂无可比较的结果" in response.content.decode()


# ---- export -------------------------------------------------------------------------------------------


def test_export_is_post_only(login_as, run):
    assert login_as("city_staff").get(EXPORT, {"fmt": "csv"}).status_code == 405


def test_csv_export_is_scoped_escaped_and_audited(login_as, seed, run):
    response = login_as("district_staff").post(EXPORT, {"fmt": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store, private"
    rows = csv_rows(response)
    assert {r["统一社会信用代码"] for r in rows} == {seed.west.uscc, seed.west_formula.uscc}
    text = response.content.decode("utf-8-sig")
    assert seed.binjiang.uscc not in text
    assert "'=1+2 公式测试公司" in text
    for row in rows:
        for value in row.values():
            assert not (value or "").startswith(("=", "+", "@")), value
    assert {r["区县"] for r in rows} == {"西湖区"}
    assert rows[0]["评价基准日"] == run.as_of.isoformat()
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)
    assert event.actor == seed.users["district_staff"]
    assert event.new["count"] == 2
    assert event.object_id == str(run.pk)


def test_export_cannot_reach_another_district(login_as, seed, run):
    client = login_as("district_staff")
    for params in ({"district": "330108"}, {"q": seed.binjiang.uscc}, {"q": "滨江"}):
        rows = csv_rows(client.post(EXPORT, {"fmt": "csv", **params}))
        assert seed.binjiang.uscc not in {r["统一社会信用代码"] for r in rows}


def test_xlsx_export_holds_the_filtered_rows(login_as, seed, run):
    response = login_as("city_staff").post(EXPORT, {"fmt": "xlsx", "q": "公式"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    header, body = values[0], values[1:]
    assert len(body) == 1
    record = dict(zip(header, body[0], strict=True))
    assert record["统一社会信用代码"] == seed.west_formula.uscc
    assert record["企业名称"] == "'=1+2 公式测试公司"


def test_export_rejects_unknown_formats(login_as, run):
    assert login_as("city_staff").post(EXPORT, {"fmt": "json"}).status_code == 400


# ---- starting a run -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["district_staff", "auditor", "enterprise"])
def test_start_is_refused_to_other_roles(login_as, seed, role):
    response = login_as(role).post(START)
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED, object_id="screening_start").exists()
    assert screening_jobs.status().state == screening_jobs.IDLE
    assert not AssessmentRun.objects.exists()


def test_start_button_only_for_city_staff(login_as, run):
    assert f'action="{START}"' in login_as("city_staff").get(PAGE).content.decode()
    assert f'action="{START}"' in login_as("city_admin").get(PAGE).content.decode()
    assert f'action="{START}"' not in login_as("auditor").get(PAGE).content.decode()
    assert f'action="{START}"' not in login_as("district_staff").get(PAGE).content.decode()


def test_start_is_post_only(login_as, seed):
    assert login_as("city_staff").get(START).status_code == 405


def test_a_run_started_from_the_page_completes(login_as, seed, inline_jobs):
    client = login_as("city_staff")
    response = client.post(START)
    assert response.status_code == 302
    run = AssessmentRun.objects.get()
    assert run.actor == seed.users["city_staff"]
    assert run.enterprises == 3
    job = screening_jobs.status()
    assert (job.state, job.percent, job.run_id) == ("done", 100, run.pk)
    assert AuditEvent.objects.filter(action=AuditAction.SCREEN, actor=seed.users["city_staff"]).exists()
    # The page's poll for that job tells htmx to reload; the reloaded page shows the new run.
    poll = client.get(PROGRESS, {"job": job.job_id}, headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true"
    page = client.get(PAGE).content.decode()
    assert f"最近一次筛查（#{run.pk}）" in page
    assert "hx-trigger" not in page  # nothing left to poll


def test_a_second_concurrent_run_is_refused(login_as, seed):
    held = screening_jobs._try_lock()
    assert held is not None
    try:
        client = login_as("city_staff")
        response = client.post(START, follow=True)
        assert "已有一次全市筛查正在进行" in response.content.decode()
        assert not AssessmentRun.objects.exists()
        refused = AuditEvent.objects.get(action=AuditAction.SCREEN)
        assert refused.success is False
        with pytest.raises(screening_jobs.AlreadyRunning):
            screening_jobs.start(seed.users["city_staff"])
    finally:
        screening_jobs._release(held)


def test_progress_fragment_polls_while_running(login_as, seed, monkeypatch):
    started: list = []
    monkeypatch.setattr(screening_jobs, "_spawn", started.append)  # start, but do not run yet
    client = login_as("city_staff")
    client.post(START)
    assert screening_jobs.is_running()
    page = client.get(PAGE).content.decode()
    assert "全市筛查进行中" in page
    assert 'hx-trigger="every 1s"' in page
    assert "disabled>开始筛查" in page
    fragment = client.get(PROGRESS, headers={"HX-Request": "true"})
    assert "progress-bar" in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    assert client.post(START).status_code == 302
    assert "已有一次全市筛查正在进行" in client.get(PAGE).content.decode()
    started[0]()  # now let it run: it finishes and releases the lock
    assert not screening_jobs.is_running()
    assert screening_jobs.status().state == "done"


def test_an_interrupted_job_is_reported(login_as, seed):
    # The process running the job died: the status file still says "running" but nobody holds the lock.
    screening_jobs._write(screening_jobs.JobStatus(state="running", job_id="abc", actor="city_staff"))
    assert screening_jobs.status().state == screening_jobs.INTERRUPTED
    text = login_as("city_staff").get(PAGE).content.decode()
    assert "筛查进程意外中断" in text
    assert "hx-trigger" not in text
    assert "disabled>开始全市筛查" not in text  # a new run may be started


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_background_thread_runs_against_committed_data(seed):
    screening_jobs.start(seed.users["city_staff"])
    deadline = time.monotonic() + 60
    while screening_jobs.is_running() and time.monotonic() < deadline:
        time.sleep(0.1)
    job = screening_jobs.status()
    assert job.state == "done", job.error
    run = AssessmentRun.objects.get(pk=job.run_id)
    assert run.enterprises == 3
    assert EnterpriseAssessment.objects.filter(run=run).count() == 3


def test_a_failing_run_is_reported_and_audited(login_as, seed, inline_jobs, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("规则库缺失")

    monkeypatch.setattr("srdi.services.screening.run_screen", broken)
    client = login_as("city_staff")
    client.post(START)
    job = screening_jobs.status()
    assert job.state == screening_jobs.FAILED
    assert "规则库缺失" in job.error
    assert not screening_jobs.is_running()  # the lock was released
    event = AuditEvent.objects.get(action=AuditAction.SCREEN)
    assert event.success is False
    assert "规则库缺失" in client.get(PAGE).content.decode()


def test_a_review_screening_judges_only_holders_of_expiring_titles(login_as, seed, inline_jobs):
    today = timezone.localdate()
    client = login_as("city_staff")
    response = client.post(
        START,
        {
            "as_of": today.isoformat(),
            "purpose": "review",
            "review_from": today.isoformat(),
            "review_to": (today + timedelta(days=365 * 3)).isoformat(),
        },
        follow=True,
    )
    assert "已开始筛查（基准日" in response.content.decode()
    run = AssessmentRun.objects.get()
    assert (run.purpose, run.review_from, run.as_of) == ("review", today, today)
    judged = set(run.results.values_list("enterprise__uscc", flat=True))
    assert seed.west.uscc in judged  # its 专精特新 title expires within the period
    assert seed.west_formula.uscc not in judged  # holds no title
    west = run.results.get(enterprise=seed.west)
    # Only the tier whose title expires is reviewed; the others are outside this review.
    assert west.srdi_sme_status != "not_due"
    assert (west.little_giant_status, west.hidden_champion_status) == ("not_due", "not_due")
    page = client.get(PAGE, {"run": run.pk}).content.decode()
    assert "复核（称号到期" in page and "不在本次复核范围" in page


def test_a_review_period_ending_before_it_starts_is_refused(login_as, seed, inline_jobs):
    client = login_as("city_staff")
    response = client.post(
        START,
        {"as_of": "2026-06-30", "purpose": "review", "review_from": "2026-06-30", "review_to": "2026-01-01"},
        follow=True,
    )
    assert "到期区间的结束日 2026-01-01 早于开始日 2026-06-30" in response.content.decode()
    assert not AssessmentRun.objects.exists()


def test_a_date_before_the_first_rulebook_is_refused(login_as, seed, inline_jobs):
    response = login_as("city_staff").post(START, {"as_of": "2021-12-31"}, follow=True)
    assert "早于最早的认定标准" in response.content.decode()
    assert not AssessmentRun.objects.exists()


def test_an_earlier_run_can_be_viewed_and_its_rulebooks_are_named(login_as, seed):
    first = run_screen(as_of=date(2025, 6, 30))
    second = run_screen(as_of=date(2026, 6, 30))
    client = login_as("city_staff")
    latest = client.get(PAGE).content.decode()
    assert f"最近一次筛查（#{second.pk}）" in latest
    assert "miit26.srdi_sme" in latest
    earlier = client.get(PAGE, {"run": first.pk}).content.decode()
    assert f"筛查 #{first.pk}" in earlier
    assert "miit63.srdi_sme" in earlier
    assert f"?run={first.pk}&amp;tier=" in earlier  # the count links stay on that run


def test_a_title_removed_for_data_fraud_is_neither_expiring_nor_up_for_review(seed):
    today = timezone.localdate()
    recognised = (today - timedelta(days=365 * 3 - 30)).isoformat()  # expires within 90 days
    clean, fraud = make_uscc(71), make_uscc(72)
    import_profiles(
        [
            {
                "uscc": u,
                "district": "330106",
                "certifications": [{"tier": "srdi_sme", "recognized_on": recognised}],
            }
            | (
                {"sanctions": [{"kind": "data_fraud", "date": (today - timedelta(days=200)).isoformat()}]}
                if u == fraud
                else {}
            )
            for u in (clean, fraud)
        ]
    )
    run = run_screen(as_of=today)
    listed = {item["uscc"] for item in run.changes["expiring_within_90_days"]}
    assert clean in listed and fraud not in listed
    from srdi.services.screening import screening_request

    review = run_screen(request=screening_request(today, "review", today, today + timedelta(days=90)))
    judged = set(review.results.values_list("enterprise__uscc", flat=True))
    assert clean in judged and fraud not in judged


@pytest.mark.parametrize("value", ["²", "٣", "1" * 40, "-1", "1e3", "9999999"])
def test_an_odd_run_parameter_falls_back_to_the_latest_run(login_as, run, value):
    client = login_as("city_staff")
    page = client.get(PAGE, {"run": value})
    assert page.status_code == 200
    assert f"最近一次筛查（#{run.pk}）" in page.content.decode()
    export = client.post(reverse("web:screening_export"), {"fmt": "csv", "run": value})
    assert export.status_code == 200


@pytest.mark.parametrize("value", ["9999-06-30", "2100-01-01"])
def test_a_date_far_in_the_future_is_refused_everywhere(login_as, seed, inline_jobs, value):
    client = login_as("city_staff")
    response = client.post(START, {"as_of": value}, follow=True)
    assert "请检查年份" in response.content.decode()
    assert not AssessmentRun.objects.exists()
    page = client.get(reverse("web:enterprise_detail", args=[seed.west.pk]), {"as_of": value})
    assert page.status_code == 200 and "请检查年份" in page.content.decode()


def test_a_review_leaves_out_科技型_registrations_and_compares_only_the_same_period(seed):
    today = timezone.localdate()
    tech = make_uscc(73)
    import_profiles(
        [
            {
                "uscc": tech,
                "district": "330106",
                "certifications": [{"tier": "tech_sme", "recognized_on": today.isoformat()}],
            }
        ]
    )
    from srdi.services.screening import screening_request

    window = screening_request(today, "review", today, today + timedelta(days=365 * 3))
    first = run_screen(request=window)
    assert tech not in set(first.results.values_list("enterprise__uscc", flat=True))
    other = run_screen(request=screening_request(today, "review", today, today + timedelta(days=30)))
    again = run_screen(request=window)
    from srdi.web.screening_data import previous_run

    assert previous_run(again) == first  # not the run of another period in between
    assert previous_run(other) is None
