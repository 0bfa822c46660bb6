"""Rate limits of the web pages (``srdi.web.rate_limits``): by-id probes, exports, searches, anonymous pages.

Each test sets small limits with ``override_settings``; the suite's defaults are generous. Reliability idea 24:
an enterprise user issuing 1,000 sequential id probes or a run of exports is refused after the configured N,
and nothing past the threshold carries data.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from srdi.db.models import AuditAction, AuditEvent, RateCounter
from srdi.services.rate_limits import DEFAULTS, SETTING_OF
from srdi.web.rate_limits import EXPORT_ROUTES

PROBES = 20


def _rate_limited_events(user=None):
    events = AuditEvent.objects.filter(action=AuditAction.RATE_LIMITED)
    return events.filter(actor=user) if user is not None else events


@override_settings(SRDI_PROBE_RATE=f"{PROBES}/hour")
def test_enterprise_user_probing_1000_ids_is_refused_after_n_with_no_data(login_as, seed):
    client = login_as("enterprise")
    own = seed.west.pk
    ids = [pk for pk in range(1, 1001) if pk != own][:999]  # on PostgreSQL ids need not start at 1
    ids.insert(500, own)  # its own enterprise, far past the threshold: refused like the rest
    statuses = []
    for pk in ids:
        response = client.get(reverse("web:enterprise_detail", args=[pk]))
        statuses.append(response.status_code)
        if len(statuses) > PROBES:
            assert response.status_code == 429, pk
            body = response.content.decode()
            assert seed.west.name not in body and seed.west.uscc not in body
            assert seed.binjiang.name not in body
    assert len(statuses) == 1000
    assert all(s != 429 for s in statuses[:PROBES])
    assert statuses.count(429) == 1000 - PROBES
    # one audit event for the whole run (the first refusal), the others only counted
    events = _rate_limited_events(seed.users["enterprise"])
    assert events.count() == 1
    event = events.get()
    assert event.object_id == "probe" and event.success is False and event.extra["limit"] == PROBES
    counter = RateCounter.objects.get(bucket="probe", ident=f"u:{seed.users['enterprise'].pk}")
    assert (counter.hits, counter.refused) == (PROBES, 1000 - PROBES)


@override_settings(SRDI_PROBE_RATE="3/hour")
def test_the_429_page_is_chinese_with_retry_after_and_not_cached(login_as, seed):
    client = login_as("city_staff")
    url = reverse("web:enterprise_detail", args=[seed.west.pk])
    for _ in range(3):
        assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "请求过于频繁" in body and "按编号查看" in body and "1 小时" in body
    assert seed.west.name not in body
    assert 1 <= int(refused["Retry-After"]) <= 3601
    assert "no-store" in refused["Cache-Control"]
    assert "Content-Security-Policy" in refused
    # another user keeps their own allowance
    assert login_as("district_staff").get(url).status_code == 200


@override_settings(SRDI_EXPORT_RATE="5/hour")
def test_exports_in_a_row_are_refused_after_n_and_return_no_file(login_as, seed):
    client = login_as("enterprise")
    statuses, files = [], 0
    for _ in range(100):
        response = client.post(reverse("web:enterprise_export"), {"fmt": "csv"})
        statuses.append(response.status_code)
        if response.get("Content-Disposition"):
            files += 1
            assert len(statuses) <= 5
        if response.status_code == 429:
            assert seed.west.uscc not in response.content.decode()
    assert statuses[:5] == [200] * 5
    assert statuses[5:] == [429] * 95
    assert files == 5
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, actor=seed.users["enterprise"]).count() == 5
    assert _rate_limited_events(seed.users["enterprise"]).filter(object_id="export").count() == 1


@override_settings(SRDI_SEARCH_RATE="10/min")
def test_searches_are_limited_but_browsing_the_list_is_not(login_as, seed):
    client = login_as("city_staff")
    url = reverse("web:enterprise_list")
    assert [client.get(url, {"q": f"西湖{i}"}).status_code for i in range(10)] == [200] * 10
    refused = client.get(url, {"q": "西湖"})
    assert refused.status_code == 429 and "搜索" in refused.content.decode()
    assert client.get(url).status_code == 200  # no query: a page, not a search
    assert client.get(reverse("web:case_list"), {"q": "x"}).status_code == 429  # any search endpoint


@override_settings(SRDI_ANONYMOUS_PAGE_RATE="5/min")
def test_anonymous_pages_count_per_address(db):
    login = reverse("web:login")
    first = Client(REMOTE_ADDR="10.0.0.1")
    assert [first.get(login).status_code for _ in range(5)] == [200] * 5
    assert first.get(login).status_code == 429
    assert first.post(login, {"username": "x", "password": "y"}).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.2").get(login).status_code == 200
    assert _rate_limited_events().get().ip_address == "10.0.0.1"


@override_settings(SRDI_PAGE_RATE="8/min")
def test_page_limit_counts_every_page_of_a_signed_in_user(login_as, seed):
    client = login_as("auditor")
    urls = [reverse("web:home"), reverse("web:enterprise_list"), reverse("web:case_list")]
    statuses = [client.get(urls[i % 3]).status_code for i in range(12)]
    assert statuses == [200] * 8 + [429] * 4


@override_settings(**{SETTING_OF[b]: DEFAULTS[b] for b in SETTING_OF})
def test_a_busy_reviewer_under_the_production_defaults_is_never_limited(login_as, seed):
    """Normal work below the limits is unaffected: a district reviewer opening 60 pages by id (10 enterprise
    pages, 50 case ids), paging the list 20 times, searching 40 times and exporting 10 times in one go —
    faster than any person — gets no 429."""
    client = login_as("district_staff")
    statuses = []
    for i in range(60):
        if i < 10:
            statuses.append(client.get(reverse("web:enterprise_detail", args=[seed.west.pk])).status_code)
        else:
            statuses.append(client.get(reverse("web:case_detail", args=[i])).status_code)
        if i % 3 == 0:
            statuses.append(client.get(reverse("web:enterprise_list"), {"page": 1}).status_code)
    for i in range(40):
        statuses.append(client.get(reverse("web:enterprise_list"), {"q": f"精工{i}"}).status_code)
    for _ in range(10):
        statuses.append(client.post(reverse("web:enterprise_export"), {"fmt": "csv"}).status_code)
    assert 429 not in statuses
    assert set(statuses) == {200, 404}  # the case ids do not exist
    assert not _rate_limited_events().exists()


def _web_route_names() -> set[str]:
    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern) and p.name:
                yield p.name

    web = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "web")
    return {f"web:{name}" for name in walk(web.url_patterns)}


def test_every_download_route_is_an_export_route():
    """A new ``*_export`` or ``*_file`` route must be added to ``EXPORT_ROUTES``; every listed route exists."""
    names = _web_route_names()
    downloads = {n for n in names if n.endswith(("_export", "_file"))}
    assert len(downloads) >= 4
    assert downloads <= EXPORT_ROUTES
    assert names >= EXPORT_ROUTES


@pytest.mark.parametrize("path", ["/static/srdi/app.css", "/api/v1/enterprises"])
@override_settings(SRDI_PAGE_RATE="1/min", SRDI_ANONYMOUS_PAGE_RATE="1/min")
def test_static_files_and_the_api_are_not_counted_as_pages(login_as, path):
    client = login_as("city_staff")
    for _ in range(3):
        assert client.get(path).status_code != 429
