"""Every page as every role shows people Chinese labels, never a raw code (issue #16 item 2, second half).

Acceptance: "every page as every role contains no raw status code and no English model name in visible text".

How it works:

- The world is the demo (``srdi demo``: generated enterprises, one account per role, the money demo with cases
  in every state, payment runs, vouchers, budgets; the showcase demo) plus a stored screening, so most
  vocabularies have rows to show.
- The routes are the scope walk's (``discover_routes``): every web page answering GET, with one sample id per
  object route (a real object of the route's model; case pages once per case state, programme pages once per status,
  pages once per status). Downloads (``_export``/``_file`` routes, non-HTML answers) are not pages.
- Each HTML answer's *visible* text is extracted (text nodes; no tags, attribute values, <script>/<style>) and
  split into ASCII tokens. A token fails when it is a code of the one vocabulary
  (``srdi.web.vocabulary.all_codes``: every status, kind, action, object type, refusal code …, plus the
  choices of every model field) or an English model name (``Case``, ``AuditEvent``, ``case``, ``audit_event``).
- The failure lists page, role and token.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.cache import cache
from django.test import Client
from tests.integration.test_scope_walk import ACCOUNT_ROUTES, Route, discover_routes
from tests.signin import sign_in

from srdi.db.models import (
    BankAccountChange,
    BudgetAdjustment,
    Case,
    Enterprise,
    Objection,
    ParameterChange,
    PaymentRun,
    Programme,
    RoleGrant,
    SeedlingMember,
    ShowcaseEntry,
    UnitReport,
    User,
)
from srdi.demo.generator import generate
from srdi.services import parameters, seedlings
from srdi.services.demo import DEMO_USERS, create_demo_users, load_tables
from srdi.services.demo_money import create_demo_money
from srdi.services.demo_showcase import create_demo_showcase
from srdi.services.screening import run_screen
from srdi.web.vocabulary import all_codes

pytestmark = pytest.mark.django_db

SEED = 20231227
# Demo accounts walked: one per role (the second city clerk and the second security administrator add nothing).
ROLES = tuple(name for name, *_ in DEMO_USERS if name not in {"city_reviewer", "secadmin2_demo"})
# List pages whose default filter hides most rows: also walked with a filter that shows every row.
EXTRA_QUERIES = {"web:case_list": ("?queue=all",), "web:audit_log": ("?page=2",)}
SKIP_ROUTES = ACCOUNT_ROUTES | {"web:import_progress"}  # a per-upload token, no page without an upload
# A token is a word of ASCII letters, digits and "_"; a compound identifier (a dotted parameter or rule-set id
# such as hz81.3.amount.little_giant, a hyphenated key such as case-45-award) is one token: it names a
# reference, cited as such (like a 文号), not a status code.
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*")
# Tokens that are codes of some vocabulary but are also ordinary text on the pages.
# - Format codes are shown upper-case (CSV, XLSX, JSON); matching is case-sensitive, so they need no entry.
# - "none" is the tier vocabulary's "no title" code; never shown — no entry.
ALLOWED: frozenset[str] = frozenset()


class _Visible(HTMLParser):
    """Text nodes as people read them: not inside <script>, <style> or <template>, and not inside an element
    a template marks as deliberately not vocabulary text — ``data-machine`` (an identifier people type into a
    machine: an exchange-format field id, ``events[] kind=…``) or ``data-verbatim`` (a note quoted as its
    source wrote it, e.g. a published count's 来源). These two markers are the whole allowlist by context."""

    HIDDEN = frozenset({"script", "style", "template"})
    MARKERS = frozenset({"data-machine", "data-verbatim"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: tuple[str, int] | None = None  # the skipped element's tag and its nesting depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip is not None:
            if tag == self._skip[0]:
                self._skip = (tag, self._skip[1] + 1)
        elif tag in self.HIDDEN or any(name in self.MARKERS for name, _ in attrs):
            self._skip = (tag, 1)

    def handle_endtag(self, tag: str) -> None:
        if self._skip is not None and tag == self._skip[0]:
            depth = self._skip[1] - 1
            self._skip = (tag, depth) if depth else None

    def handle_data(self, data: str) -> None:
        if self._skip is None:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def forbidden_tokens() -> dict[str, str]:
    """token → what it is (for the report)."""
    found: dict[str, str] = {}
    for concern, codes in all_codes().items():
        for code in codes:
            if TOKEN.fullmatch(code) and not code.isdigit():
                found.setdefault(code, f"code of {concern}")
    for model in apps.get_app_config("srdi").get_models():
        for field in model._meta.get_fields():
            for value, _label in getattr(field, "choices", None) or ():
                if isinstance(value, str) and TOKEN.fullmatch(value):
                    found.setdefault(value, f"choice of {model.__name__}.{field.name}")
        name = model.__name__
        for token in {name, _snake(name), model._meta.model_name}:
            found.setdefault(token, f"model name {name}")
    return {t: why for t, why in found.items() if t not in ALLOWED}


# A page address (the audit log's object of a refused page view, "/cockpit/") is a reference, not a code.
PATH = re.compile(r"(?<![\w.])/(?:[\w.\-]+/)+[\w.\-]*")


def raw_tokens(text: str, forbidden: dict[str, str]) -> list[str]:
    return sorted({t for t in TOKEN.findall(PATH.sub(" ", text)) if t in forbidden})


# ---------------------------------------------------------------------------------------------------------
# Sample ids: one real object per route (per state where the page shows a state)
# ---------------------------------------------------------------------------------------------------------


def _one_per(model, field: str) -> list[int]:
    seen: dict[str, int] = {}
    for pk, value in model.objects.order_by("pk").values_list("pk", field):
        seen.setdefault(value, pk)
    return list(seen.values())


def _first(model) -> list[int]:
    pk = model.objects.order_by("pk").values_list("pk", flat=True).first()
    return [pk] if pk is not None else []


def sample_urls(route: Route, enterprise: Enterprise) -> list[str]:
    """The URLs of a route to render: its sample ids filled in; empty when the world has no such object."""
    path = route.route
    values: list[dict[str, str]] = [{}]
    names = [p.name for p in route.params]
    if not names:
        return ["/" + route.template]
    if path.startswith("enterprises/"):
        values = [{"pk": str(enterprise.pk)}]
    elif path.startswith("cases/"):
        values = [{"pk": str(pk)} for pk in _one_per(Case, "state")]
    elif path.startswith("programmes/"):
        values = [{"pk": str(pk)} for pk in _one_per(Programme, "status")]
    elif path.startswith("payments/"):
        runs = [
            PaymentRun.objects.filter(executed_at__isnull=done).order_by("pk").first()
            for done in (True, False)
        ]
        values = [{"pk": str(run.pk)} for run in runs if run is not None]
    elif path.startswith("units/report/"):
        report = UnitReport.objects.order_by("pk").first()
        if report is None:
            return []
        values = [
            {
                "pack": report.pack,
                "article": str(report.article),
                "year": str(report.year),
                "quarter": str(report.quarter),
            }
        ]
    elif path.startswith("policy/parameters/history/"):
        change = ParameterChange.objects.order_by("pk").first()
        if change is None:
            return []
        values = [{"pid": change.parameter}]
    elif path.startswith("policy/") and "pack" in names:
        values = [{"pack": "hz81", "article": "9"}]
    else:
        by_prefix = {
            "security/roles/": RoleGrant,
            "policy/parameters/change/": ParameterChange,
            "budget-adjustments/": BudgetAdjustment,
            "account-changes/": BankAccountChange,
            "objections/": Objection,
            "units/reports/": UnitReport,
            "seedlings/": SeedlingMember,
            "showcase/": ShowcaseEntry,
        }
        model = next((m for prefix, m in by_prefix.items() if path.startswith(prefix)), None)
        if model is None:
            return []
        values = [{"pk": str(pk)} for pk in _first(model)]
    return ["/" + route.template % v for v in values]


def pages(enterprise: Enterprise, unsampled: list[str] | None = None) -> list[tuple[str, str]]:
    """(route name, URL) of every page to render; routes the world has no object for go to ``unsampled``."""
    found: list[tuple[str, str]] = []
    for route in discover_routes().routes:
        name = route.names[0]
        if route.is_api or not name.startswith("web:") or name in SKIP_ROUTES:
            continue
        if any(n.endswith(("_export", "_file", "_download")) for n in route.names):
            continue
        urls = sample_urls(route, enterprise)
        if not urls and unsampled is not None:
            unsampled.append(name)
        for url in urls:
            found.append((name, url))
            found += [(name, url + q) for q in EXTRA_QUERIES.get(name, ())]
    return found


@pytest.fixture
def demo_world(db, settings, tmp_path) -> dict[str, User]:
    settings.VAR_DIR = tmp_path
    load_tables(generate(1200, SEED), seed=SEED)
    create_demo_users([])
    create_demo_money([])
    create_demo_showcase([])
    run_screen()
    users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
    # Objects the demo has none of, so that their pages are walked too: a proposed parameter change and a
    # proposed seedling (district staff proposes, the city decides).
    parameters.propose(
        User.objects.get(username="city_staff"),
        pid="hz81.9.rate.key",
        value="15%",
        as_text=True,
        effective_from=date(2025, 7, 1),
        document="杭经信〔2025〕99号",
        article="第二条",
        reason="技改补助比例下调",
    )
    district = users["district_xihu"]
    candidate = Enterprise.objects.filter(district_id=district.district_id).exclude(
        certifications__tier="little_giant"
    )
    seedlings.add(district, candidate.order_by("pk").first(), date(2026, 3, 2), "区县推荐")
    cache.clear()
    return users


def walk(users: dict[str, User], forbidden: dict[str, str]) -> tuple[list[str], int]:
    """Render every page as every role; return the violations and the number of pages read."""
    own = users["enterprise_demo"].enterprise
    assert own is not None
    unsampled: list[str] = []
    urls = pages(own, unsampled)
    problems: dict[tuple[str, str], set[str]] = defaultdict(set)
    seen_in: dict[str, str] = {}  # token → the text around its first occurrence
    rendered = 0
    for role in ROLES:
        client = sign_in(Client(), users[role])
        for name, url in urls:
            cache.clear()  # no rate limit cuts the walk short
            response = client.get(url)
            if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
                continue
            rendered += 1
            text = " ".join(visible_text(response.content.decode()).split())
            for token in raw_tokens(text, forbidden):
                problems[(token, forbidden[token])].add(f"{role} {url} [{name}]")
                if token not in seen_in:
                    at = re.search(rf"(?<![A-Za-z0-9_]){token}(?![A-Za-z0-9_])", text)
                    seen_in[token] = text[max(0, at.start() - 40) : at.end() + 40] if at else ""
    lines = [
        f"{token!r} ({why}) on {len(where)} page(s), e.g. “…{seen_in[token]}…”: "
        + "; ".join(sorted(where)[:6])
        for (token, why), where in sorted(problems.items())
    ]
    print(f"{len(urls)} URLs × {len(ROLES)} roles, {rendered} pages rendered; no sample for {unsampled}")
    return lines, rendered


def test_the_checker_finds_a_raw_code_and_a_model_name():
    forbidden = forbidden_tokens()
    html = (
        "<html><head><title>审核</title><style>.paid{}</style></head><body>"
        '<p class="not_eligible" title="district_review">状态：not_eligible</p>'
        "<select><option>AuditEvent</option><option>unit_report</option></select>"
        "<script>var s = 'paid';</script><td>91330106MA2XXXX</td>"
        "<span data-machine>events[] kind=tech_renovation</span><td data-verbatim>same <b>page</b></td>"
        "<td>paid</td></body></html>"
    )
    assert raw_tokens(visible_text(html), forbidden) == ["AuditEvent", "not_eligible", "paid", "unit_report"]
    assert (
        raw_tokens(
            "参数 hz81.3.amount.little_giant 键 case-45-award 页面 /ledger/verify/ /cockpit/", forbidden
        )
        == []
    )
    assert raw_tokens(visible_text("<p>状态：不符合，已拨付 CSV XLSX</p>"), forbidden) == []


def test_no_page_shows_a_raw_code_or_an_english_model_name(demo_world):
    # The demo's accounts are named after their roles ("city_admin"): a username is who acted, shown as chosen,
    # not a code — the world's usernames are the only exception.
    usernames = set(User.objects.values_list("username", flat=True))
    forbidden = {t: why for t, why in forbidden_tokens().items() if t not in usernames}
    lines, rendered = walk(demo_world, forbidden)
    assert rendered > 300, rendered  # the walk really read pages
    assert not lines, "raw codes in visible text:\n" + "\n".join(lines)
