"""小巨人种苗库 pages: the managed list of seedlings, adding (one enterprise, or the latest screening's
candidates), removing, the city's confirmation of district proposals, and entering official published counts.

City staff (``PROGRAMME_TARGETS_MANAGE``) change the pool at once and confirm district proposals; district staff
(``SEEDLING_PROPOSE``) see and propose for their district only; enterprise users are refused. The work is
``srdi.services.seedlings`` and ``srdi.services.published_counts``; these views read forms and show the answers (a
refusal's message names the field).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from srdi.db.models import AuditAction, District, PublishedCountEntry, SeedlingMember, User
from srdi.domain.programme.seedlings import PoolState
from srdi.domain.reference import TIERS
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.interchange.writers import write_xlsx
from srdi.services import audit, scoping
from srdi.services import published_counts as pc
from srdi.services import seedlings as sd
from srdi.services.exports import CONTENT_TYPES, download_name
from srdi.web.access import require
from srdi.web.http import client_ip, no_store
from srdi.web.views.exports import file_response

PAGE_SIZE = 50
STATUS_FILTERS = {
    "in_pool": "在库",
    "graduated": "已获评小巨人（毕业）",
    "removed": "已移出",
    "proposed": "待市级确认入库",
    "removal_pending": "移出待确认",
    "declined": "未予确认",
}
EXPORT_COLUMNS = (
    "统一社会信用代码",
    "企业名称",
    "区县",
    "状态",
    "入库日期",
    "来源",
    "入库理由",
    "提出人",
    "确认人",
    "获评小巨人日期",
    "移出日期",
    "移出理由",
)


def can_view(user: User) -> Verdict:
    return (
        ALLOW
        if sd.may_view(user)
        else deny("小巨人种苗库仅对市、区县工作人员、审计人员和领导开放", "seedling")
    )


def can_change(user: User) -> Verdict:
    return ALLOW if sd.may_change(user) else deny("种苗库的增减由区县工作人员提出、市经信局确认", "seedling")


def can_enter_counts(user: User) -> Verdict:
    return ALLOW if pc.may_enter(user) else deny("官方公布数由市经信局工作人员录入", "published_count")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _matches(v: sd.MemberView, status: str) -> bool:
    m = v.member
    if status == "in_pool":
        return v.state is PoolState.IN_POOL
    if status == "graduated":
        return v.state is PoolState.GRADUATED
    if status == "removed":
        return m.removed_on is not None and v.state is PoolState.OUTSIDE
    if status == "proposed":
        return m.status == SeedlingMember.Status.PROPOSED
    if status == "removal_pending":
        return m.removal_proposed_on is not None and m.removed_on is None
    if status == "declined":
        return m.status == SeedlingMember.Status.DECLINED
    return True


def _filtered(user: User, params: QueryDict) -> tuple[list[sd.MemberView], dict[str, str]]:
    """The spells in scope matching the search (name or USCC), district and status filters."""
    qs = sd.members_for(user)
    q = (params.get("q") or "").strip()
    district = (params.get("district") or "").strip() if scoping.sees_all_districts(user) else ""
    status = (params.get("status") or "").strip()
    if q:
        qs = qs.filter(Q(enterprise__name__icontains=q) | Q(enterprise__uscc__icontains=q.upper()))
    if district:
        qs = qs.filter(enterprise__district_id=district)
    views = sd.views_of(list(qs.order_by("-added_on", "-id")), timezone.localdate())
    if status in STATUS_FILTERS:
        views = [v for v in views if _matches(v, status)]
    return views, {"q": q, "district": district, "status": status if status in STATUS_FILTERS else ""}


@login_required
@require_GET
def seedling_list(request: HttpRequest) -> HttpResponse:
    """The pool: every spell in scope, searchable, by district and status, 50 per page, with the counts today."""
    user = _user(request)
    require(can_view(user), request, what="seedling_list")
    views, chosen = _filtered(user, request.GET)
    page = Paginator(views, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    context = {
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "chosen": chosen,
        "statuses": STATUS_FILTERS,
        "districts": list(District.objects.values_list("code", "name")),
        "city_wide": scoping.sees_all_districts(user),
        "pool": sd.pool_on(today, sd.district_of(user)),
        "today": today,
        "manager": sd.may_manage(user),
        "proposer": sd.may_propose(user),
        "can_export": bool(scoping.can_export(user)),
        "done": request.GET.get("done", ""),
        "query": request.GET.urlencode(),
    }
    return no_store(render(request, "web/seedlings/list.html", context))


@login_required
@require_GET
def seedling_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as XLSX (audited)."""
    user = _user(request)
    require(can_view(user), request, what="seedling_export")
    require(scoping.can_export(user), request, what="seedling_export")
    views, chosen = _filtered(user, request.GET)
    rows = []
    for v in views:
        m = v.member
        rows.append(
            dict(
                zip(
                    EXPORT_COLUMNS,
                    (
                        m.enterprise.uscc,
                        m.enterprise.name,
                        m.enterprise.district.name if m.enterprise.district else "",
                        v.label,
                        m.added_on,
                        m.get_source_display(),
                        m.reason,
                        m.proposed_by.username,
                        m.decided_by.username if m.decided_by else "",
                        v.graduated_on,
                        m.removed_on,
                        m.removal_reason,
                    ),
                    strict=True,
                )
            )
        )
    content = write_xlsx(rows, list(EXPORT_COLUMNS), sheet_title="小巨人种苗库")
    audit.record(
        AuditAction.EXPORT,
        user,
        object_type="seedling",
        object_id="list",
        object_repr=f"导出小巨人种苗库（{len(rows)} 行）",
        new={"format": "xlsx", "rows": len(rows), **chosen},
        ip_address=client_ip(request),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return file_response(content, download_name(f"srdi-seedlings-{stamp}", "xlsx"), CONTENT_TYPES["xlsx"])


def _back(done: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("web:seedling_list") + f"?done={done}")


@login_required
@require_http_methods(["GET", "POST"])
def seedling_add(request: HttpRequest) -> HttpResponse:
    """Add one enterprise (by USCC or exact name, in the user's scope)."""
    user = _user(request)
    require(can_change(user), request, what="seedling_add")
    today = timezone.localdate()
    posted = {"enterprise": "", "added_on": today.isoformat(), "reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: str(request.POST.get(k) or "").strip() for k in posted}
        who = posted["enterprise"]
        found = scoping.enterprises_for(user).filter(Q(uscc=who.upper()) | Q(name=who)).order_by("pk")[:2]
        if not who:
            errors["enterprise"] = "请填写企业的统一社会信用代码或全称"
        elif len(found) != 1:
            errors["enterprise"] = (
                "找不到该企业（或不在您的权限范围内）"
                if not found
                else "有多家同名企业，请填写统一社会信用代码"
            )
        else:
            try:
                sd.add(user, found[0], _day(posted["added_on"]), posted["reason"], ip=client_ip(request))
            except sd.SeedlingError as refused:
                errors[refused.field or "form"] = refused.message
            else:
                return _back("added" if sd.may_manage(user) else "proposed")
    context = {"posted": posted, "errors": errors, "error_list": list(errors.values()), "today": today}
    return render(request, "web/seedlings/add.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def seedling_candidates(request: HttpRequest) -> HttpResponse:
    """The latest screening's 小巨人 candidates not in the pool, all pre-selected, to confirm in one go."""
    user = _user(request)
    require(can_change(user), request, what="seedling_candidates")
    today = timezone.localdate()
    found = sd.candidates_for(user)
    default_reason = (
        f"最新梯度筛查（#{found.run.pk}，基准日 {found.run.as_of.isoformat()}）符合小巨人条件且尚未获评"
        if found.run
        else ""
    )
    posted = {"added_on": today.isoformat(), "reason": default_reason}
    chosen = {c.enterprise_id for c in found.rows}
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: str(request.POST.get(k) or "").strip() for k in posted}
        chosen = {int(x) for x in request.POST.getlist("enterprise") if x.isdigit()}
        try:
            added = sd.add_candidates(
                user, chosen, _day(posted["added_on"]), posted["reason"], ip=client_ip(request)
            )
        except sd.SeedlingError as refused:
            errors[refused.field or "form"] = refused.message
        else:
            return _back(f"candidates-{len(added)}")
    context = {
        "found": found,
        "chosen": chosen,
        "posted": posted,
        "errors": errors,
        "error_list": list(errors.values()),
        "today": today,
    }
    return render(request, "web/seedlings/candidates.html", context)


def _member(request: HttpRequest, pk: int) -> SeedlingMember:
    try:
        return sd.get_member(_user(request), pk)
    except LookupError:
        raise Http404("种苗库中没有这条记录") from None


@login_required
@require_http_methods(["GET", "POST"])
def seedling_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a member (city), or propose its removal (district staff)."""
    user = _user(request)
    require(can_change(user), request, what="seedling_remove")
    member = _member(request, pk)
    today = timezone.localdate()
    posted = {"removed_on": today.isoformat(), "reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: str(request.POST.get(k) or "").strip() for k in posted}
        try:
            sd.remove(user, member, _day(posted["removed_on"]), posted["reason"], ip=client_ip(request))
        except sd.SeedlingError as refused:
            errors[refused.field or "form"] = refused.message
        else:
            return _back("removed" if sd.may_manage(user) else "removal_proposed")
    context = {
        "m": member,
        "posted": posted,
        "errors": errors,
        "error_list": list(errors.values()),
        "today": today,
        "manager": sd.may_manage(user),
    }
    return render(request, "web/seedlings/remove.html", context)


@login_required
@require_POST
def seedling_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The city confirms or declines a proposal: ``what`` = add | remove, ``decision`` = yes | no."""
    user = _user(request)
    require(
        ALLOW if sd.may_manage(user) else deny("种苗库申请由市经信局确认", "seedling"),
        request,
        what="seedling_decide",
    )
    member = _member(request, pk)
    yes = request.POST.get("decision") == "yes"
    try:
        if request.POST.get("what") == "remove":
            sd.decide_removal(user, member, yes, ip=client_ip(request))
        else:
            sd.decide(user, member, yes, str(request.POST.get("note") or ""), ip=client_ip(request))
    except sd.SeedlingError as refused:
        return _back("refused-" + (refused.field or "form"))
    return _back("decided")


@login_required
@require_http_methods(["GET", "POST"])
def published_counts(request: HttpRequest) -> HttpResponse:
    """Enter an official published count; the entries in force and the whole history below."""
    user = _user(request)
    require(can_enter_counts(user), request, what="published_counts")
    today = timezone.localdate()
    fields = ("tier", "year", "batch", "kind", "district", "count", "status", "doc_number", "url", "title")
    posted = dict.fromkeys(fields, "") | {"year": str(today.year), "status": "OFFICIAL"}
    errors: dict[str, str] = {}
    if request.method == "POST":
        posted = {k: str(request.POST.get(k) or "").strip() for k in fields}
        try:
            pc.enter(user, pc.EntryInput(**posted), ip=client_ip(request))
        except pc.PublishedCountError as refused:
            errors[refused.field or "form"] = refused.message
        else:
            return HttpResponseRedirect(reverse("web:published_counts") + "?added=1")
    in_force = {e.pk for e in pc.entries_in_force()}
    history = [
        {
            "e": e,
            "in_force": e.pk in in_force,
            "source": pc.source_text(e),
            "kind": pc.KIND_LABELS.get(e.kind, e.kind),
        }
        for e in pc.all_entries()
    ]
    context = {
        "posted": posted,
        "errors": errors,
        "error_list": list(errors.values()),
        "tiers": TIERS,
        "kinds": pc.KIND_LABELS,
        "statuses": PublishedCountEntry.Status.choices,
        "districts": list(District.objects.values_list("code", "name")),
        "history": history,
        "added": request.GET.get("added") == "1",
        "today": today,
    }
    return no_store(render(request, "web/seedlings/published_counts.html", context))
