"""Issue 17 item 5 in a real Chromium: a large enterprise export becomes a background job; the page shows its
progress bar moving (htmx polling), then the download link; the downloaded XLSX holds the enterprises.
The job runs in the live server's own runner thread (as in ``srdi serve``); its handler is slowed so the bar is
seen at an intermediate value. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import time

import pytest
from browser_helpers import Shots
from openpyxl import load_workbook

from srdi.db.models import Job, JobStatus
from srdi.services import jobs
from srdi.web import job_handlers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def slow_enterprise_export(job, progress):
    """The real handler, after two visible progress steps."""
    for done in (1, 2):
        progress(done, 4)
        time.sleep(1.5)
    return job_handlers.enterprise_export(job, progress)


def test_a_large_export_shows_progress_then_downloads(browser, world, settings, monkeypatch, tmp_path):
    settings.SRDI_EXPORT_SYNC_MAX = 0
    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 0.0)
    here = "tests.browser.test_export_job_journey.slow_enterprise_export"
    monkeypatch.setitem(
        jobs.KINDS,
        "enterprise_export",
        jobs.JobKind("企业名单导出", here, jobs.KINDS["enterprise_export"].permission),
    )
    page = browser.page
    shot = Shots(page, "export-job")
    page.on("dialog", lambda dialog: dialog.accept())  # the export form's data-confirm prompt
    browser.login("city_browser")
    page.goto(f"{browser.base_url}/enterprises/")
    page.get_by_role("button", name="Excel（XLSX，推荐）").click()
    page.wait_for_url("**/jobs/*/")
    assert page.get_by_role("heading", level=1).inner_text() == "企业名单导出"
    bar = page.get_by_role("progressbar", name="导出进度")
    page.wait_for_function(
        "() => { const b = document.querySelector('[aria-label=\"导出进度\"]');"
        " return b && ['25', '50'].includes(b.getAttribute('aria-valuenow')); }",
        timeout=20_000,
    )
    assert bar.get_attribute("aria-valuenow") in ("25", "50")
    shot("progress")
    link = page.locator("#job-download")
    link.wait_for(state="visible", timeout=30_000)
    assert "已导出 3 家企业" in page.locator("#job-progress").inner_text()
    shot("done")
    with page.expect_download() as info:
        link.click()
    path = tmp_path / "export.xlsx"
    info.value.save_as(path)
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    names = {r[1] for r in rows[1:]} | {c for r in rows[1:] for c in r if isinstance(c, str)}
    assert world.west.name in names and world.binjiang.name in names
    job = Job.objects.get()
    assert job.status == JobStatus.DONE and job.owner.username == "city_browser"
    assert browser.console_errors == []
