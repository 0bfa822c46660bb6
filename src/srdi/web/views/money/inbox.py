"""The in-app inbox (站内信): the user's own messages and, for enterprise users, their enterprise's; mark read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import Notification, User
from srdi.domain.digits import id_from
from srdi.domain.permissions import Scope
from srdi.services.notify import unread_count
from srdi.web.views.money.common import user_of

PAGE_SIZE = 50


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's messages: addressed to the user, or (enterprise users) to the user's enterprise."""
    condition = Q(user=user)
    if user.scope is Scope.ENTERPRISE and user.enterprise_id:
        condition |= Q(enterprise_id=user.enterprise_id)
    return Notification.objects.filter(condition)


def _local_url(url: str) -> str:
    """Only a same-site path may be followed from a message."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    qs = notifications_for(user)
    if request.GET.get("unread"):
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"n": n, "url": _local_url(n.url)} for n in page.object_list]
    return render(
        request,
        "web/money/inbox.html",
        {
            "page": page,
            "rows": rows,
            "unread": unread_count(user),
            "only_unread": bool(request.GET.get("unread")),
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        },
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one message (``id``; then follow its link with ``open``) or all (``all``) as read."""
    user = user_of(request)
    mine = notifications_for(user).filter(read_at__isnull=True)
    now = timezone.now()
    if request.POST.get("all"):
        n = mine.update(read_at=now)
        messages.success(request, f"已将 {n} 条消息标为已读。")
        return redirect("web:inbox")
    pk = request.POST.get("id", "")
    found = notifications_for(user).filter(pk=wanted).first() if (wanted := id_from(pk)) else None
    if found is None:
        messages.error(request, "消息不存在。")
        return redirect("web:inbox")
    if found.read_at is None:
        Notification.objects.filter(pk=found.pk).update(read_at=now)
    target = _local_url(found.url)
    if request.POST.get("open") and target:
        return redirect(target)
    return redirect("web:inbox")
