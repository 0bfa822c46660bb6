"""The scope walk: every route, every role, other districts' enterprise ids (reliability.md test ideas 7 and 8;
ASVS 8.2.2 IDOR/BOLA, 8.4.1 cross-tenant; 等保 8.1.4.2 e–f 越权).

Acceptance: a district user cannot read or export another district's enterprise through any page, API
endpoint or export; an enterprise user sees only its own enterprise; a provider sees none; an auditor and a
leader read everything and write nothing; a responsible unit sees only enterprises with cases of its measures
(none here); the system, security and audit administrators see no enterprise (the audit administrator's audit
log names recorded objects by design, ``NAMES_BY_DESIGN``). One user per role of ``srdi.domain.permissions``.

How it works, so that a new endpoint is covered without touching this file:

- ``discover_routes`` walks ``django.urls.get_resolver()`` recursively (web pages of namespace ``web`` and
  the django-ninja API under ``/api/v1/``, which registers ordinary URL patterns). ``admin/`` (is_staff only,
  tested separately) and static/documentation assets are skipped. Each path parameter is classified: an
  enterprise identifier (``uscc``, ``enterprise_id`` …, or ``pk``/``id`` right after ``enterprises/``), another
  object's integer id (cases, programmes …: swept with ids 1…SWEEP), or a text parameter with sample values
  (``fmt``; unknown ones get a placeholder and are listed as weakly covered).
- ``walk`` requests every enterprise-scoped route with every enterprise the role must not see, with GET, HEAD,
  POST, PUT, PATCH and DELETE, as a signed-in session (CSRF not enforced, so CSRF can never hide a scope
  hole) and, for API routes, also with a bearer token. Every answer must be 403/404/405 and no answer may
  contain any foreign enterprise's USCC or name (body, headers, cells of an XLSX body). Every other page is
  fetched with GET, plain and with a search/filter naming a foreign enterprise or district, exports are
  POSTed in every format, other objects' routes are swept with ids 1…SWEEP; none may show a foreign
  enterprise or answer 5xx. No table may change.
- ``listing_violations`` compares the USCC sets of the list page, its searches, the API list and the three
  export formats with the role's scope.
- ``write_walk`` sends realistic write bodies as the read-only roles: the routes that write enterprise data
  must refuse (auditor, enterprise user, provider), and for the auditor every route is tried and no table may
  change. ``body_write_report`` names foreign enterprises inside write bodies (API create, import upload).
- Every check returns a list of violations instead of asserting, so ``test_the_walk_detects_a_weakened_scope``
  can run it against a deliberately broken ``scoping.enterprises_for`` and prove that it fails.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.utils.regex_helper import normalize
from tests.conftest import make_uscc
from tests.signin import sign_in

from srdi.db.models import Contact, Enterprise, User
from srdi.services import scoping
from srdi.services.accounts import create_user
from srdi.services.imports import import_file
from srdi.services.screening import run_screen
from srdi.services.tokens import create_token

pytestmark = pytest.mark.django_db

DISTRICTS = {"A": "330106", "B": "330108", "C": "330110"}  # 西湖区, 滨江区, 余杭区
TAGS = {"A": "西湖", "B": "滨江", "C": "余杭"}
LETTERS = "甲乙丙丁戊"
PER_DISTRICT = len(LETTERS)

# Path parameters that name an enterprise: these names anywhere, and ``pk``/``id`` right after ``enterprises/``.
ENTERPRISE_NAMES = frozenset(
    {"uscc", "enterprise", "enterprise_id", "enterprise_pk", "enterprise_uscc", "ent_id"}
)
GENERIC_IDS = frozenset({"pk", "id"})
ENTERPRISE_SEGMENTS = frozenset({"enterprises", "enterprise"})
# Other parameters: integer ids of other objects (cases, programmes …) are swept with ids 1…SWEEP; text
# parameters take these sample values (unknown ones a placeholder, and the summary lists them as weakly covered).
SAMPLE_VALUES: dict[str, tuple[str, ...]] = {
    "fmt": ("csv", "xlsx", "json"),
    "table": ("by_measure", "by_district", "blocked"),
}
PLACEHOLDER = ("x",)
SWEEP = 20
WRITE_SWEEP = 3
SKIPPED_PREFIXES = ("admin/", "static/", "media/")
# Routes that act on the caller's own session or account, not on enterprise data. ``logout`` would end the
# walk's own session (making every later answer a login redirect), so it is never requested.
ACCOUNT_ROUTES = frozenset({"web:login", "web:logout", "web:password_change"})
# Pages whose records name enterprises by design for a role whose scope otherwise holds none: the audit log
# names the objects of recorded actions, and reading it is the audit administrator's job (三权分立). Its access
# is tested in test_web_audit_log.py and test_permissions_enforced.py.
NAMES_BY_DESIGN: dict[str, frozenset[str]] = {"audit_admin": frozenset({"web:audit_log", "web:audit_export"})}
# Routes that write enterprise data although no enterprise is named in their path.
ENTERPRISE_WRITE_ROUTES = frozenset({"api:create_enterprise", "web:import", "web:import_confirm"})
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
REFUSED = frozenset({403, 404, 405})
EXPORT_FORMATS = ("json", "csv", "xlsx")


# ---------------------------------------------------------------------------------------------------------
# Route discovery
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "enterprise" | "int" (another object's id) | "sample" | "text" (unknown: placeholder)
    is_int: bool


@dataclass(frozen=True)
class Route:
    """One distinct URL shape (ninja registers one pattern per operation on the same path: merged here)."""

    route: str  # readable, e.g. "api/v1/enterprises/<uscc>"
    template: str  # "%(uscc)s" format string, as Django's reverse() builds it
    names: tuple[str, ...]  # "api:get_enterprise", "api:update_enterprise"
    params: tuple[Param, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def scoped(self) -> bool:
        """Names an enterprise in its path."""
        return any(p.kind == "enterprise" for p in self.params)

    @property
    def object_route(self) -> bool:
        """Names another object by integer id (swept with ids 1…SWEEP)."""
        return not self.scoped and any(p.kind == "int" for p in self.params)

    @property
    def exports(self) -> bool:
        return any(n.endswith("export") for n in self.names)

    def named(self, names: Iterable[str]) -> bool:
        return bool(set(self.names) & set(names))

    def __str__(self) -> str:
        return f"/{self.route} [{', '.join(self.names)}]"


@dataclass
class Discovery:
    routes: list[Route] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def scoped(self) -> list[Route]:
        return [r for r in self.routes if r.scoped]

    @property
    def objects(self) -> list[Route]:
        return [r for r in self.routes if r.object_route]

    @property
    def pages(self) -> list[Route]:
        return [r for r in self.routes if not r.scoped and not r.object_route]

    @property
    def weak(self) -> list[str]:
        return [f"{r} parameter {p.name!r}" for r in self.routes for p in r.params if p.kind == "text"]


def _iter_patterns(
    patterns: Iterable[URLPattern | URLResolver],
    route: str = "",
    template: str = "",
    namespace: str = "",
    params: tuple[tuple[str, bool], ...] = (),
) -> Iterator[tuple[str, str, str, tuple[tuple[str, bool], ...], URLPattern]]:
    for p in patterns:
        shapes = normalize(p.pattern.regex.pattern)
        fmt = shapes[0][0] if shapes else ""
        converters = getattr(p.pattern, "converters", {})
        names = shapes[0][1] if shapes else []
        more = tuple((n, isinstance(converters.get(n), IntConverter)) for n in names)
        if isinstance(p, URLResolver):
            ns = p.namespace or ""
            child_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _iter_patterns(
                p.url_patterns, route + str(p.pattern), template + fmt, child_ns, params + more
            )
        else:
            yield route + str(p.pattern), template + fmt, namespace, params + more, p


def classify(route: str, name: str, is_int: bool) -> str:
    before = re.search(r"(?:^|/)([^/<>]+)/<(?:\w+:)?" + re.escape(name) + ">", route)
    segment = before.group(1) if before else ""
    if name in ENTERPRISE_NAMES or (name in GENERIC_IDS and segment in ENTERPRISE_SEGMENTS):
        return "enterprise"
    if name in SAMPLE_VALUES:
        return "sample"
    return "int" if is_int else "text"


def discover_routes() -> Discovery:
    """Every URL pattern of the project, merged by shape and classified."""
    found = Discovery()
    merged: dict[str, Route] = {}
    for route, template, namespace, params, pattern in _iter_patterns(get_resolver().url_patterns):
        name = f"{namespace}:{pattern.name}" if namespace else (pattern.name or "?")
        if route.startswith(SKIPPED_PREFIXES) or "asset" in name or "/assets/" in route:
            found.skipped.append(f"/{route} [{name}]")
            continue
        typed = tuple(Param(n, classify(route, n, is_int), is_int) for n, is_int in params)
        if template in merged:
            old = merged[template]
            merged[template] = Route(old.route, template, (*old.names, name), old.params)
        else:
            merged[template] = Route(route, template, (name,), typed)
    found.routes = list(merged.values())
    return found


def urls_for(route: Route, target: Enterprise | None, ids: Iterable[int] = (1,)) -> list[str]:
    """Every URL of the route for one enterprise (each identifier form), each id of other objects in ``ids``,
    each sample value of the other parameters."""
    choices: list[list[tuple[str, str]]] = []
    ids = list(ids)
    swept = [p.name for p in route.params if p.kind == "int"]
    for param in route.params:
        if param.kind == "enterprise":
            assert target is not None
            if "uscc" in param.name:
                values = [target.uscc, target.uscc.lower()]
            elif param.is_int:
                values = [str(target.pk)]
            else:  # a text parameter named pk/id/enterprise: try both identifiers
                values = [str(target.pk), target.uscc]
        elif param.kind == "int":
            # Only the first id parameter is swept; others take the first id (a route with year and quarter in
            # its path would otherwise be walked ids^n times). Each further one gets its own sweep below.
            values = [str(i) for i in ids] if param.name == swept[0] else [str(ids[0])]
        else:
            values = list(SAMPLE_VALUES.get(param.name, PLACEHOLDER))
        choices.append([(param.name, v) for v in values])
    combos: list[dict[str, str]] = [{}]
    for options in choices:
        combos = [{**c, k: v} for c in combos for k, v in options]
    for name in swept[1:]:
        combos += [{**combos[0], name: str(i)} for i in ids[1:]]
    return ["/" + route.template % {k: quote(v, safe="") for k, v in c.items()} for c in combos]


# ---------------------------------------------------------------------------------------------------------
# The world: 3 districts × 5 enterprises, one user per role
# ---------------------------------------------------------------------------------------------------------


def enterprise_record(district_key: str, i: int) -> dict[str, Any]:
    code = DISTRICTS[district_key]
    record: dict[str, Any] = {
        "uscc": make_uscc(code),
        "name": f"杭州{TAGS[district_key]}{LETTERS[i]}号精密科技有限公司",
        "district": code,
        "industry_code": "C3976",
        "ecosystem": ["smart_iot", "biomedicine", "new_materials", "green_energy", "high_end_equipment"][i],
        "founded_on": f"201{i}-03-01",
        "financials": {
            "2023": {"operating_revenue_fen": 80_000_000_00 + i, "employees": 90 + i, "rd_staff": 12},
            "2024": {
                "operating_revenue_fen": 100_000_000_00 + i,
                "rd_expense_fen": 4_000_000_00,
                "employees": 100 + i,
                "rd_staff": 15,
            },
        },
        "ip": {"class1": 3 + i, "invention_patents": 2},
        "main_product": {"niche_market_share": "0.15", "chain_role": "key_link_breakthrough"},
    }
    if i % 2 == 0:
        record["certifications"] = [{"tier": "innovative_sme", "recognized_on": "2023-06-01"}]
    return record


@dataclass
class World:
    enterprises: dict[str, list[Enterprise]]  # by district key
    users: dict[str, User]
    visible: dict[str, set[str]]  # role → USCCs it may read
    _tokens: dict[str, str] = field(default_factory=dict)
    _sessions: dict[str, Client] = field(default_factory=dict)

    @property
    def all(self) -> list[Enterprise]:
        return [e for ents in self.enterprises.values() for e in ents]

    def foreign_to(self, role: str) -> list[Enterprise]:
        return [e for e in self.all if e.uscc not in self.visible[role]]

    def own_of(self, role: str) -> list[Enterprise]:
        return [e for e in self.all if e.uscc in self.visible[role]]

    def session(self, role: str) -> Client:
        """A signed-in browser; CSRF is not enforced so that only the scope rules can refuse."""
        if role not in self._sessions:
            self._sessions[role] = sign_in(Client(), self.users[role])
        return self._sessions[role]

    def bearer(self, role: str) -> Client:
        if role not in self._tokens:
            self._tokens[role] = create_token(self.users[role], "scope walk")
        return Client(headers={"Authorization": f"Bearer {self._tokens[role]}"})


@pytest.fixture
def world(db) -> World:
    records = [enterprise_record(key, i) for key in DISTRICTS for i in range(PER_DISTRICT)]
    result = import_file(json.dumps(records, ensure_ascii=False).encode(), "seed.json")
    assert not result.errors, result.error_messages()
    by_uscc = {e.uscc: e for e in Enterprise.objects.all()}
    enterprises = {
        key: [by_uscc[r["uscc"]] for r in records if r["district"] == code] for key, code in DISTRICTS.items()
    }
    run_screen()  # a stored whole-city screening, so the screening pages and exports have rows to leak
    first = enterprises["A"][0]
    for ent in (first, enterprises["B"][0], enterprises["C"][0]):
        Contact.objects.create(enterprise=ent, name="王五", position="经理", phone="13900001111")
    specs: dict[str, dict[str, Any]] = {
        "city_admin": {"role": "city_admin"},
        "district_a": {"role": "district_staff", "district_code": DISTRICTS["A"]},
        "district_b": {"role": "district_staff", "district_code": DISTRICTS["B"]},
        "district_c": {"role": "district_staff", "district_code": DISTRICTS["C"]},
        "enterprise": {"role": "enterprise", "enterprise_uscc": first.uscc},
        "provider": {"role": "provider"},
        "auditor": {"role": "auditor"},
        "finance": {"role": "finance"},
        "leader": {"role": "leader"},
        # Responsible for 市科技局's measures; the world has no cases, so its scope is empty here (its scope
        # with cases is tested in test_permissions_enforced.py).
        "responsible_unit": {"role": "responsible_unit", "organisation": "市科技局"},
        "system_admin": {"role": "system_admin"},
        "security_admin": {"role": "security_admin"},
        "audit_admin": {"role": "audit_admin"},
    }
    users = {
        key: create_user(username=f"walk_{key}", password="x", check_password=False, **spec)
        for key, spec in specs.items()
    }
    everything = set(by_uscc)
    visible = {
        "city_admin": everything,
        "auditor": everything,
        "district_a": {e.uscc for e in enterprises["A"]},
        "district_b": {e.uscc for e in enterprises["B"]},
        "district_c": {e.uscc for e in enterprises["C"]},
        "enterprise": {first.uscc},
        "provider": set(),
        "finance": everything,
        "leader": everything,
        "responsible_unit": set(),
        "system_admin": set(),
        "security_admin": set(),
        "audit_admin": set(),
    }
    return World(enterprises, users, visible)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """A clean cache. The walk is never cut short by a 429: rate limits count in the database, and the test
    settings make them generous."""
    cache.clear()
    yield
    cache.clear()


# ---------------------------------------------------------------------------------------------------------
# Checking answers
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Report:
    role: str
    requests: int = 0
    violations: list[str] = field(default_factory=list)
    walked: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    failing_routes: set[str] = field(default_factory=set)

    def add(self, message: str, route: Route | None = None) -> None:
        self.violations.append(f"[{self.role}] {message}")
        if route is not None:
            self.failing_routes.add(str(route))


def xlsx_text(content: bytes) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    ]
    wb.close()
    return "\n".join(cells)


def body_of(response: HttpResponse) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.content


def response_text(response: HttpResponse) -> str:
    """Headers, body and (for an XLSX body) every cell: everything a caller can read."""
    content = body_of(response)
    parts = [f"{k}: {v}" for k, v in response.items()]
    if content.startswith(b"PK\x03\x04"):
        try:
            parts.append(xlsx_text(content))
        except Exception as exc:
            parts.append(f"<unreadable xlsx: {exc}>")
    parts.append(content.decode("utf-8", "replace"))
    return "\n".join(parts)


def needles(ent: Enterprise) -> list[str]:
    """The strings that identify an enterprise, as they may appear in HTML, JSON (escaped or not) or CSV."""
    return [ent.uscc, ent.uscc.lower(), ent.name, json.dumps(ent.name)[1:-1]]


def leaked(text: str, foreign: Iterable[Enterprise], *, echoed: str = "") -> list[str]:
    """Foreign USCCs or names found in ``text`` (ignoring strings the caller itself sent, e.g. a search term)."""
    found = []
    for ent in foreign:
        for needle in needles(ent):
            if needle and needle in text and needle.upper() not in echoed.upper():
                found.append(f"{ent.name}（{ent.uscc}）")
                break
    return found


# Tables a refused request may legitimately touch: sign-in bookkeeping, the audit trail (refusals are audited),
# import batches (a refused upload is recorded), notifications (reading the inbox marks them read) and the
# rate-limit counters (every request is counted), and the home's visit record (opening the home is a visit).
VOLATILE_MODELS = frozenset(
    {
        "User",
        "ApiToken",
        "AuditEvent",
        "AuditChainHead",
        "ImportBatch",
        "Notification",
        "RateCounter",
        "HomeVisit",
    }
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every other table of the app: everything a write could change."""
    return {
        model.__name__: list(model._default_manager.order_by("pk").values())
        for model in apps.get_app_config("srdi").get_models()
        if model.__name__ not in VOLATILE_MODELS
    }


def diff_snapshot(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """What changed between two snapshots, per row: ``Enterprise 6: name '…' → '…', district_id …``."""
    out = []
    for label, old in before.items():
        new = after[label]
        if old == new:
            continue
        old_rows, new_rows = {r["id"]: r for r in old}, {r["id"]: r for r in new}
        for pk in sorted(old_rows.keys() | new_rows.keys()):
            a, b = old_rows.get(pk), new_rows.get(pk)
            if a == b:
                continue
            if a is None or b is None:
                out.append(f"{label} {pk} {'created' if a is None else 'deleted'}")
                continue
            fields = [k for k in b if a.get(k) != b[k] and not k.endswith("_at")]
            out.append(f"{label} {pk}: " + ", ".join(f"{k} {a.get(k)!r} → {b[k]!r}" for k in fields))
    return out


def api_body(target: Enterprise | None, user: User, name: str) -> dict[str, Any]:
    """A valid exchange-format profile that would rename ``target`` (or create a new enterprise) and claim
    the caller's own district: the strongest write an attacker could send."""
    district = user.district_id or (target.district_id if target else DISTRICTS["A"])
    return {"uscc": target.uscc if target else make_uscc(district), "name": name, "district": district}


def send(
    client: Client, method: str, url: str, *, api: bool, body: dict[str, Any], upload: bytes | None = None
) -> HttpResponse:
    if method in ("GET", "HEAD"):
        return getattr(client, method.lower())(url)
    if api:
        return client.generic(
            method, url, json.dumps(body, ensure_ascii=False), content_type="application/json"
        )
    form: dict[str, Any] = {**body, "fmt": "json"}
    if upload is not None:
        form["file"] = SimpleUploadedFile("walk.json", upload, content_type="application/json")
        form["partial"] = "on"
    if method == "POST":
        return client.post(url, form)
    return client.generic(method, url, urlencode(form), content_type="application/x-www-form-urlencoded")


def clients_for(world: World, role: str, route: Route) -> list[tuple[str, Client]]:
    session = ("session", world.session(role))
    return [session, ("bearer", world.bearer(role))] if route.is_api else [session]


# ---------------------------------------------------------------------------------------------------------
# The walks (each returns a Report; tests assert on report.violations)
# ---------------------------------------------------------------------------------------------------------


def walk(world: World, role: str, discovery: Discovery) -> Report:
    """Every enterprise-scoped route × every foreign enterprise × every method (+ GET of every other page)."""
    cache.clear()
    report = Report(role)
    user = world.users[role]
    foreign = world.foreign_to(role)
    before = snapshot()
    for route in discovery.scoped:
        if route.named(ACCOUNT_ROUTES):
            continue
        report.walked.add(str(route))
        for kind, client in clients_for(world, role, route):
            for target in foreign:
                for url in urls_for(route, target):
                    for method in METHODS:
                        body = api_body(target, user, "越权改名测试有限公司")
                        response = send(client, method, url, api=route.is_api, body=body)
                        report.requests += 1
                        where = f"{method} {url} ({kind})"
                        if response.status_code not in REFUSED:
                            report.add(f"{where} → {response.status_code}, expected 403/404/405", route)
                        if hits := leaked(response_text(response), foreign):
                            report.add(f"{where} → {response.status_code} discloses {', '.join(hits)}", route)
    # Every other page and API collection, plain and with a search or filter naming a foreign enterprise or
    # district (the search term itself is not a leak when echoed back); exports (POST) in every format; and
    # every route naming another object (a case, a programme …) with ids 1…SWEEP.
    probe = foreign[0] if foreign else None
    probes: list[dict[str, str]] = [{}]
    if probe is not None:
        probes += [{"district": probe.district_id or ""}, {"q": probe.name}, {"q": probe.uscc}]
    for route in discovery.pages + discovery.objects:
        if route.named(ACCOUNT_ROUTES - {"web:password_change"}) or route.named(
            NAMES_BY_DESIGN.get(role, ())
        ):
            continue
        report.walked.add(str(route))
        for kind, client in clients_for(world, role, route):
            for url in urls_for(route, None, range(1, SWEEP + 1)):
                plain: list[dict[str, str]] = [{}]
                requests: list[tuple[str, dict[str, str]]] = [
                    ("GET", p) for p in (plain if route.object_route else probes)
                ]
                if route.exports and not route.is_api:
                    requests += [("POST", {**p, "fmt": fmt}) for fmt in EXPORT_FORMATS for p in probes]
                for method, params in requests:
                    response = client.get(url, params) if method == "GET" else client.post(url, params)
                    report.requests += 1
                    where = f"{method} {url}?{urlencode(params)} ({kind})"
                    if response.status_code >= 500:
                        report.add(f"{where} → {response.status_code}", route)
                    echoed = " ".join(params.values())
                    if hits := leaked(response_text(response), foreign, echoed=echoed):
                        report.add(f"{where} → {response.status_code} discloses {', '.join(hits)}", route)
    for problem in diff_snapshot(before, snapshot()):
        report.add(f"the walk changed the database: {problem}")
    # Positive control: the same clients still reach what the role may see (so 404s above are not an artefact
    # of a broken URL or a lost session).
    own = world.own_of(role)[:1]
    for route in discovery.scoped:
        if not own or route.named(ACCOUNT_ROUTES):
            continue
        for url in urls_for(route, own[0])[:1]:
            response = world.session(role).get(url)
            report.requests += 1
            if response.status_code not in (200, 405):
                report.add(f"control: GET {url} of its own enterprise → {response.status_code}, expected 200")
    return report


def _listed(text: str, world: World, echoed: str = "") -> set[str]:
    """USCCs of the enterprises whose USCC or name appears in an answer (minus what the caller sent)."""
    return {e.uscc for e in world.all if leaked(text, [e], echoed=echoed)}


def _exported_usccs(fmt: str, content: bytes) -> list[str]:
    if fmt == "json":
        return [p["uscc"] for p in json.loads(content)]
    if fmt == "csv":
        rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
        return [r["uscc"] for r in rows]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    col = list(rows[0]).index("统一社会信用代码")  # the XLSX for people heads its columns in Chinese
    return [r[col] for r in rows[1:]]


def listing_violations(world: World, role: str) -> Report:
    """List page, its searches, API list and searches, and every export format: exactly the role's scope."""
    cache.clear()
    report = Report(role)
    expected = world.visible[role]
    foreign = world.foreign_to(role)
    session, bearer = world.session(role), world.bearer(role)
    probe = foreign[0] if foreign else None
    searches: list[dict[str, str]] = [{}, {"q": "杭州"}, {"q": "精密科技"}]
    if probe is not None:
        searches += [
            {"q": probe.uscc},
            {"q": probe.uscc[-6:]},
            {"q": probe.name},
            {"district": probe.district_id or ""},
        ]
    searches += [{"district": code} for code in DISTRICTS.values()]

    def check(what: str, got: set[str], want: set[str]) -> None:
        report.requests += 1
        if got - expected:
            report.add(f"{what} shows enterprises outside the scope: {sorted(got - expected)}")
        if got != want:
            report.add(f"{what} returned {sorted(got)}, expected {sorted(want)}")

    def matching(params: dict[str, str]) -> set[str]:
        q, district = params.get("q", ""), params.get("district", "")
        return {
            e.uscc
            for e in world.all
            if e.uscc in expected
            and (not q or q in e.name or q.upper() in e.uscc)
            and (not district or e.district_id == district)
        }

    for params in searches:
        echoed = " ".join(params.values())
        response = session.get("/enterprises/", params)
        if response.status_code != 200:
            report.add(f"GET /enterprises/?{urlencode(params)} → {response.status_code}")
            continue
        text = response_text(response)
        # The list page offers the district filter to city-wide roles only; others ignore the parameter.
        want = matching(
            params
            if "district" not in params or scoping.sees_all_districts(world.users[role])
            else {**params, "district": ""}
        )
        check(f"GET /enterprises/?{urlencode(params)}", _listed(text, world, echoed), want)

        response = bearer.get("/api/v1/enterprises", {**params, "page_size": 200})
        if response.status_code != 200:
            report.add(f"GET /api/v1/enterprises?{urlencode(params)} → {response.status_code}")
            continue
        data = response.json()
        items = {i["uscc"] for i in data["items"]}
        check(f"GET /api/v1/enterprises?{urlencode(params)}", items, matching(params))
        if data["total"] != len(items):
            report.add(
                f"GET /api/v1/enterprises?{urlencode(params)} total {data['total']} ≠ {len(items)} items"
            )
        if hits := leaked(response_text(response), foreign, echoed=echoed):
            report.add(f"GET /api/v1/enterprises?{urlencode(params)} discloses {', '.join(hits)}")

    may_export = bool(scoping.can_export(world.users[role]))
    for fmt in EXPORT_FORMATS:
        for params in searches[:1] + searches[3:]:
            response = session.post("/enterprises/export/", {**params, "fmt": fmt})
            what = f"POST /enterprises/export/ fmt={fmt} {urlencode(params)}"
            text = response_text(response)
            if hits := leaked(text, foreign, echoed=" ".join(params.values())):
                report.add(f"{what} → {response.status_code} discloses {', '.join(hits)}")
            if not may_export:
                report.requests += 1
                if response.status_code != 403:
                    report.add(
                        f"{what} → {response.status_code}, expected 403 for a role that may not export"
                    )
                continue
            if response.status_code != 200:
                report.add(f"{what} → {response.status_code}")
                continue
            usccs = _exported_usccs(fmt, body_of(response))
            want = matching(
                params
                if "district" not in params or scoping.sees_all_districts(world.users[role])
                else {**params, "district": ""}
            )
            check(what, set(usccs), want)
    return report


def write_walk(world: World, role: str, discovery: Discovery, *, everything: bool) -> Report:
    """Write methods with realistic bodies, as a role that may not change enterprise data.

    The routes that write enterprise data (enterprise-scoped routes, ``ENTERPRISE_WRITE_ROUTES``) must refuse
    with 403/404/405. With ``everything`` (the auditor, read-only everywhere) every other route is sent the
    same writes too, other objects' routes with ids 1…WRITE_SWEEP; there any answer is accepted (a form may
    re-render), but no table may change — a write that went through is a violation wherever it happened.
    """
    cache.clear()
    report = Report(role)
    user = world.users[role]
    before = snapshot()
    targets: list[Enterprise | None] = list(world.all)
    for route in discovery.routes:
        enterprise_write = route.scoped or route.named(ENTERPRISE_WRITE_ROUTES)
        if route.named(ACCOUNT_ROUTES) or not (enterprise_write or everything):
            continue
        report.walked.add(str(route))
        for kind, client in clients_for(world, role, route):
            for target in targets if route.scoped else [None, *targets[:3]]:
                new_name = f"只读角色改名{target.pk if target else 0}有限公司"
                body = api_body(target, user, new_name)
                upload = json.dumps([body], ensure_ascii=False).encode()
                for url in urls_for(route, target, range(1, WRITE_SWEEP + 1)):
                    for method in WRITE_METHODS:
                        response = send(client, method, url, api=route.is_api, body=body, upload=upload)
                        report.requests += 1
                        where = f"{method} {url} ({kind}) → {response.status_code}"
                        if response.status_code >= 500:
                            report.add(where, route)
                        elif enterprise_write and response.status_code not in REFUSED:
                            report.add(f"{where}, expected 403/404/405", route)
                        elif response.status_code not in REFUSED:
                            report.notes.append(where)
    for problem in diff_snapshot(before, snapshot()):
        report.add(f"writes went through: {problem}")
    return report


def body_write_report(world: World, role: str) -> Report:
    """Writes that name a foreign enterprise in the *body* (not the path): API create, import page upload."""
    cache.clear()
    report = Report(role)
    user = world.users[role]
    foreign = world.foreign_to(role)
    may_import = bool(scoping.can_import(user))
    session, bearer = world.session(role), world.bearer(role)
    # Roles that see everything (auditor) still may not write any of it.
    for target in foreign or world.all:
        before = snapshot()
        claims = {"own": user.district_id or target.district_id, "theirs": target.district_id}
        for claim, district in claims.items():
            body = {"uscc": target.uscc, "name": "越权导入改名有限公司", "district": district}
            response = bearer.post("/api/v1/enterprises", json.dumps(body), content_type="application/json")
            report.requests += 1
            what = f"POST /api/v1/enterprises uscc={target.uscc} district={district} ({claim})"
            if 200 <= response.status_code < 300 or (not may_import and response.status_code != 403):
                report.add(f"{what} → {response.status_code}")
            if response.status_code == 409:
                report.notes.append(f"{what} → 409: discloses that the USCC exists (no data)")
            if hits := leaked(response_text(response), foreign, echoed=target.uscc):
                report.add(f"{what} discloses {', '.join(hits)}")
            upload = SimpleUploadedFile("walk.json", json.dumps([body], ensure_ascii=False).encode())
            response = session.post("/imports/", {"file": upload, "partial": "on"})
            report.requests += 1
            what = f"POST /imports/ file with uscc={target.uscc} district={district} ({claim})"
            if response.status_code not in ((200, 403) if may_import else (403,)):
                report.add(f"{what} → {response.status_code}")
            if hits := leaked(response_text(response), foreign, echoed=target.uscc):
                report.add(f"{what} discloses {', '.join(hits)}")
            pending = response.context.get("pending") if response.context else None
            if pending is not None:  # the preview offered to write it: confirm, as a user would
                response = session.post("/imports/confirm/", {"token": pending.token, "confirm_flags": "on"})
                report.requests += 1
                if response.status_code != 200:
                    report.add(f"{what}, confirmed → {response.status_code}")
                if hits := leaked(response_text(response), foreign, echoed=target.uscc):
                    report.add(f"{what}, confirmed, discloses {', '.join(hits)}")
        for problem in diff_snapshot(before, snapshot()):
            report.add(
                f"writing {target.name}（{target.uscc}, {target.district_id}）through the body: {problem}"
            )
        response = session.get(f"/enterprises/{target.pk}/")
        if target in foreign and response.status_code != 404:
            report.add(f"after the body writes, GET /enterprises/{target.pk}/ → {response.status_code}")
    return report


def run_all(world: World, discovery: Discovery, roles: Iterable[str]) -> list[Report]:
    return [walk(world, role, discovery) for role in roles] + [listing_violations(world, r) for r in roles]


# ---------------------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------------------

WALKED_ROLES = (
    "district_a",
    "district_b",
    "district_c",
    "enterprise",
    "provider",
    "auditor",
    "leader",
    "responsible_unit",
    "system_admin",
    "security_admin",
    "audit_admin",
)
# Roles that write nothing through any page or API route: every route is tried and no table may change. (The
# system administrator's writes are in /admin/, tested in test_web_admin.py; the security and audit
# administrators write grants and audit settings, so only the enterprise-writing routes are tried for them.)
READ_ONLY_WALKED = ("auditor", "leader", "responsible_unit", "system_admin")


def summary(discovery: Discovery, reports: list[Report]) -> str:
    lines = ["scope walk: routes discovered"]
    lines += [f"  enterprise {r}" for r in discovery.scoped]
    lines += [f"  object     {r} (ids 1…{SWEEP})" for r in discovery.objects]
    lines += [f"  page       {r}" for r in discovery.pages]
    lines += [f"  weak       {w}: placeholder value only" for w in discovery.weak]
    admin = [s for s in discovery.skipped if s.startswith("/admin/")]
    lines += [f"  skipped    {s}" for s in discovery.skipped if s not in admin]
    lines.append(f"  skipped    {len(admin)} /admin/ routes (is_staff only, tested in test_web_admin.py)")
    for rep in reports:
        lines.append(f"  {rep.role:<11} requests={rep.requests:<5} violations={len(rep.violations)}")
    if reports:
        lines.append(f"  total requests: {sum(r.requests for r in reports)}")
    return "\n".join(lines)


def test_discovery_finds_the_enterprise_scoped_routes(capsys):
    discovery = discover_routes()
    with capsys.disabled():
        print("\n" + summary(discovery, []))
    scoped = {name for r in discovery.scoped for name in r.names}
    assert discovery.scoped, "the walk discovered no enterprise-scoped route: it would prove nothing"
    # The routes known today must be among those discovered (new ones are walked automatically).
    assert {
        "web:enterprise_detail",
        "web:enterprise_reveal",
        "api:get_enterprise",
        "api:update_enterprise",
        "api:enterprise_assessment",
    } <= scoped
    assert {"web:enterprise_list", "web:enterprise_export", "api:list_enterprises", "web:import"} <= {
        name for r in discovery.pages for name in r.names
    }
    assert not any(r.route.startswith("admin/") for r in discovery.routes)


def test_every_scoped_route_answers_a_permitted_caller(world):
    """Control: each scoped route gives 200 to the city administrator for an enterprise of every district, so
    the walk's URLs are real (a walk whose URLs all 404 for everyone would prove nothing)."""
    discovery = discover_routes()
    client = world.session("city_admin")
    failures = []
    for route in discovery.scoped:
        for ent in (ents[-1] for ents in world.enterprises.values()):
            url = urls_for(route, ent)[0]
            response = client.get(url)
            if response.status_code == 405:
                response = client.post(url, {})
            if response.status_code != 200:
                failures.append(f"{url} → {response.status_code}")
    assert not failures, failures


@pytest.mark.parametrize("role", WALKED_ROLES)
def test_no_route_reaches_a_foreign_enterprise(world, role, capsys):
    discovery = discover_routes()
    assert discovery.scoped, "the walk discovered no enterprise-scoped route"
    report = walk(world, role, discovery)
    with capsys.disabled():
        print(f"\n[{role}] walked {len(report.walked)} routes with {report.requests} requests")
    if world.foreign_to(role):
        assert report.requests >= len(discovery.scoped) * len(world.foreign_to(role)) * len(METHODS)
    assert not report.violations, "\n".join(report.violations)


@pytest.mark.parametrize("role", [*WALKED_ROLES, "city_admin", "finance"])
def test_lists_searches_and_exports_hold_exactly_the_scope(world, role):
    report = listing_violations(world, role)
    assert report.requests > 0
    assert not report.violations, "\n".join(report.violations)


@pytest.mark.parametrize(
    "role", [*READ_ONLY_WALKED, "security_admin", "audit_admin", "enterprise", "provider"]
)
def test_read_only_roles_cannot_write_enterprise_data(world, role, capsys):
    """Auditor: nothing anywhere; enterprise user and provider: no enterprise data (they may have other
    writes of their own, e.g. applications or voucher redemptions, which other tests cover)."""
    discovery = discover_routes()
    report = write_walk(world, role, discovery, everything=role in READ_ONLY_WALKED)
    with capsys.disabled():
        print(f"\n[{role}] write walk: {len(report.walked)} routes, {report.requests} requests")
        for note in sorted(set(report.notes)):
            print(f"  answered (nothing written): {note}")
    assert report.requests >= len(discovery.scoped) * len(world.all) * len(WRITE_METHODS)
    assert not report.violations, "\n".join(report.violations)


@pytest.mark.parametrize(
    "role",
    [
        "district_a",
        "enterprise",
        "provider",
        "auditor",
        "leader",
        "system_admin",
    ],
)
def test_foreign_ids_in_write_bodies_are_refused(world, role):
    report = body_write_report(world, role)
    assert report.requests > 0
    assert not report.violations, "\n".join(report.violations)


def test_the_walk_detects_a_weakened_scope(world, monkeypatch):
    """Test the test: with ``enterprises_for`` returning every enterprise (a deliberately weakened build), the
    walk must report leaks on every scoped route that shows an enterprise, and the listing check must see
    foreign rows in the lists and exports."""
    discovery = discover_routes()
    admin = world.session("city_admin")
    readable = {
        str(route)
        for route in discovery.scoped
        if admin.get(urls_for(route, world.all[0])[0]).status_code == 200
    }
    assert readable, "no scoped route answers GET: the weakened build would have nothing to leak through"
    listings = {
        str(route)
        for route in discovery.pages
        if not route.named(ACCOUNT_ROUTES)
        and _listed(response_text(admin.get(urls_for(route, None)[0])), world)
        and world.session("district_a").get(urls_for(route, None)[0]).status_code == 200
    }
    assert listings, "no page lists enterprises"
    monkeypatch.setattr(scoping, "enterprises_for", lambda user: Enterprise.objects.all())
    provider = listing_violations(world, "provider")
    assert any("outside the scope" in v for v in provider.violations), provider.violations
    for role in ("district_a", "enterprise"):
        report = walk(world, role, discovery)
        assert [v for v in report.violations if "discloses" in v], (
            f"the walk missed the broken scope ({role})"
        )
        missed = readable - report.failing_routes
        if role == "district_a":  # the pages that list enterprises and that a district user may open
            missed |= listings - report.failing_routes
        assert not missed, f"the walk did not detect the leak through {sorted(missed)} ({role})"
        listing = listing_violations(world, role)
        outside = [v for v in listing.violations if "outside the scope" in v]
        assert any("/enterprises/?" in v for v in outside), listing.violations
        assert any("/api/v1/enterprises?" in v for v in outside), listing.violations
        if scoping.can_export(world.users[role]):
            for fmt in EXPORT_FORMATS:
                assert any(f"fmt={fmt}" in v for v in outside), (fmt, listing.violations)


# Routes anyone may open without signing in. Each is here on purpose, with its reason:
# - the sign-in page itself (``web:login``);
# - the public showcase of exemplary enterprises (``web:showcase``, ``web:showcase_entry``): 81号 第26条 asks the
#   city to publicise its 典型与标杆; the pages show only entries published by the city with the enterprise's
#   consent and a title valid today (their content rules are tested in test_web_showcase.py).
PUBLIC_ROUTES = frozenset({"web:login", "web:showcase", "web:showcase_entry"})


def test_only_the_public_routes_answer_without_sign_in(world):
    """Every route, requested by nobody (GET and POST, ids 1…3), answers with a redirect to sign-in, 401, 403,
    404 or 405 — except ``PUBLIC_ROUTES``, which answer GET with 200 or (an id) 404; no answer names an
    enterprise, none is a 5xx."""
    discovery = discover_routes()
    anonymous = Client()
    problems, answered = [], set()
    for route in discovery.routes:
        if route.named({"web:logout"}):
            continue
        public = route.named(PUBLIC_ROUTES)
        for url in urls_for(route, world.all[0], range(1, 4)):
            for method in ("GET", "POST"):
                response = getattr(anonymous, method.lower())(url)
                status = response.status_code
                if hits := leaked(response_text(response), world.all):
                    problems.append(f"{method} {url} → {status} discloses {', '.join(hits)}")
                if status >= 500:
                    problems.append(f"{method} {url} → {status}")
                elif public:  # GET: the page (or 404 for an id it may not show); POST: the sign-in form
                    if method == "GET" and status == 200:
                        answered.update(route.names)
                    elif method == "GET" and status != 404:
                        problems.append(f"{method} {url} (public) → {status}")
                elif 200 <= status < 300:
                    problems.append(f"{method} {url} → {status} without sign-in")
                elif status in (301, 302) and not response["Location"].startswith("/accounts/login/"):
                    problems.append(f"{method} {url} → {status} to {response['Location']}")
    assert not problems, "\n".join(problems)
    assert answered == {"web:login", "web:showcase"}  # no showcase entry exists here: its page is a 404
