"""Managing the showcase (典型案例) behind sign-in: staff propose, edit, submit, approve, reject and withdraw
entries; the enterprise's own user sees its entry and agrees to it or withdraws its consent.

Staff pages need ``SHOWCASE_PROPOSE`` (city and district staff; district staff see and propose their district's
enterprises only) or ``SHOWCASE_MANAGE`` (city: approve another's proposal, reject, withdraw, file the signed
consent document); the portal page needs ``SHOWCASE_CONSENT``. The work is ``srdi.services.showcase``; these
views read forms and show its answers (a refusal's message names the field).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from srdi.db.models import ShowcaseEntry, User
from srdi.domain.reference import TIERS
from srdi.domain.showcase import (
    MAX_PUBLIC_NAME,
    MAX_STORY,
    STATUS_LABELS,
    Action,
    Consent,
    ConsentMethod,
    Status,
    allowed_actions,
    cluster_label,
    clusters,
    shown_publicly,
    tier_label,
)
from srdi.domain.verdict import ALLOW, Verdict, deny
from srdi.services import scoping
from srdi.services import showcase as sc
from srdi.services.evidence import ACCEPT, content_type_of
from srdi.web.access import require
from srdi.web.http import client_ip, download

PAGE_SIZE = 30
STATUS_CSS = {
    Status.DRAFT: "text-bg-secondary",
    Status.PENDING: "text-bg-primary",
    Status.PUBLISHED: "text-bg-success",
    Status.WITHDRAWN: "text-bg-warning",
}


def can_use(user: User) -> Verdict:
    """Staff who propose or manage showcase entries."""
    if sc.may_propose(user) or sc.may_manage(user):
        return ALLOW
    return deny("典型案例由市经信局或区县工作人员推荐", "showcase")


def can_propose(user: User) -> Verdict:
    return ALLOW if sc.may_propose(user) else deny("典型案例由市经信局或区县工作人员推荐", "showcase")


def can_consent(user: User) -> Verdict:
    return ALLOW if sc.may_consent(user) else deny("只有企业本身可以同意或撤回展示", "showcase")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _row(entry: ShowcaseEntry) -> dict[str, Any]:
    tier = getattr(entry, "tier_today", None)
    return {
        "e": entry,
        "status_label": STATUS_LABELS[Status(entry.status)],
        "css": STATUS_CSS[Status(entry.status)],
        "consent_label": Consent(entry.consent).label,
        "tier": tier_label(tier) or "无有效称号",
        "has_tier": tier in TIERS,
        "cluster": cluster_label(entry.cluster),
        "shown": shown_publicly(entry.status, entry.consent, tier),
    }


@login_required
@require_GET
def showcase_manage(request: HttpRequest) -> HttpResponse:
    """典型案例管理: the entries of the user's scope, by status."""
    user = _user(request)
    require(can_use(user), request, what="showcase_manage")
    status = request.GET.get("status", "")
    qs = sc.with_tier_today(sc.entries_for(user)).order_by("-updated_at", "-id")
    if status in {s.value for s in Status}:
        qs = qs.filter(status=status)
    else:
        status = ""
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "rows": [_row(e) for e in page.object_list],
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "statuses": [(s.value, label) for s, label in STATUS_LABELS.items()],
        "status": status,
        "may_propose": sc.may_propose(user),
    }
    return render(request, "web/showcase/manage.html", context)


def _form_context(errors: dict[str, str], values: dict[str, str], **extra: Any) -> dict[str, Any]:
    return {
        "errors": errors,
        "error_list": list(errors.values()),
        "values": values,
        "clusters": list(clusters().items()),
        "max_name": MAX_PUBLIC_NAME,
        "max_story": MAX_STORY,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def showcase_new(request: HttpRequest) -> HttpResponse:
    """推荐典型案例: an enterprise of the user's scope (by USCC), the public name, cluster and story."""
    user = _user(request)
    require(can_propose(user), request, what="showcase_new")
    errors: dict[str, str] = {}
    values = {"uscc": "", "public_name": "", "cluster": "", "story": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            entry = sc.create_entry(user, **values, ip=client_ip(request))
        except sc.ShowcaseError as refused:
            errors[refused.field or "form"] = str(refused)
        else:
            return HttpResponseRedirect(reverse("web:showcase_detail", args=[entry.pk]))
    elif request.GET.get("uscc"):
        try:
            ent = scoping.get_enterprise(user, uscc=request.GET["uscc"].strip(), ip=client_ip(request))
        except scoping.OutOfScope:
            errors["uscc"] = "未找到该企业（或不在本区县范围内）"
        else:
            values = {"uscc": ent.uscc, "public_name": ent.name, "cluster": ent.ecosystem or "", "story": ""}
    return render(request, "web/showcase/edit.html", _form_context(errors, values, entry=None))


@login_required
@require_http_methods(["GET", "POST"])
def showcase_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """修改草稿."""
    user = _user(request)
    require(can_use(user), request, what="showcase_edit")
    entry = sc.entries_for(user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    errors: dict[str, str] = {}
    values = {"public_name": entry.public_name, "cluster": entry.cluster, "story": entry.story}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            sc.update_entry(user, pk, **values, ip=client_ip(request))
        except sc.ShowcaseError as refused:
            errors[refused.field or "form"] = str(refused)
        else:
            return HttpResponseRedirect(reverse("web:showcase_detail", args=[pk]))
    context = _form_context(
        errors, values, entry=entry, editable=entry.status == Status.DRAFT and sc.may_propose(user)
    )
    return render(request, "web/showcase/edit.html", context)


def _actions(user: User, entry: ShowcaseEntry) -> list[Action]:
    return [a for a in allowed_actions(entry.status) if sc.may_take(user, a)]


@login_required
@require_http_methods(["GET", "POST"])
def showcase_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One entry for staff: its text, the tier today, consent, history; the actions the user may take."""
    user = _user(request)
    require(can_use(user), request, what="showcase_detail")
    entry = sc.with_tier_today(sc.entries_for(user)).filter(pk=pk).first()
    if entry is None:
        raise Http404
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "consent_document":
                upload = request.FILES.get("document")
                sc.upload_consent_document(
                    user,
                    pk,
                    filename=(upload.name or "") if upload else "",
                    data=upload.read() if upload else b"",
                    ip=client_ip(request),
                )
            else:
                sc.transition(user, pk, action, reason=request.POST.get("reason", ""), ip=client_ip(request))
        except sc.ShowcaseError as refused:
            error = str(refused)
        else:
            return HttpResponseRedirect(reverse("web:showcase_detail", args=[pk]))
    context = {
        "row": _row(entry),
        "entry": entry,
        "actions": _actions(user, entry),
        "may_upload": sc.may_manage(user),
        "may_edit": entry.status == Status.DRAFT and sc.may_propose(user),
        "method_label": ConsentMethod(entry.consent_method).label if entry.consent_method else "",
        "accept": ACCEPT,
        "error": error,
        "today": timezone.localdate(),
    }
    return render(request, "web/showcase/detail.html", context)


@login_required
@require_GET
def showcase_consent_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The signed consent document (staff in scope, or the enterprise itself); SHA-256 verified, audited."""
    try:
        entry, data = sc.open_consent_document(_user(request), pk, ip=client_ip(request))
    except sc.ShowcaseError:
        raise Http404 from None
    return download(data, entry.consent_document_name, content_type_of(data))


@login_required
@require_http_methods(["GET", "POST"])
def showcase_mine(request: HttpRequest) -> HttpResponse:
    """企业门户 · 典型案例: the enterprise's own entry, and its consent to be shown (agree / withdraw)."""
    user = _user(request)
    require(can_consent(user), request, what="showcase_mine")
    error = ""
    if request.method == "POST":
        pk = request.POST.get("entry", "")
        action = request.POST.get("action", "")
        if not pk.isdigit() or action not in ("agree", "withdraw"):
            error = "无效的操作"
        else:
            try:
                sc.record_consent(user, int(pk), agree=action == "agree", ip=client_ip(request))
            except sc.ShowcaseError as refused:
                error = str(refused)
            else:
                return HttpResponseRedirect(reverse("web:showcase_mine"))
    entries = list(sc.with_tier_today(sc.entries_for(user)))
    context = {"rows": [_row(e) for e in entries], "error": error}
    return render(request, "web/showcase/mine.html", context)
