"""The in-app inbox (站内信): the user's own messages and, for enterprise users, their enterprise's, grouped by
kind (``services.inbox``), filtered by kind and read state, 50 a page; mark one, the selected, all of a kind or
all read (POST)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from srdi.db.models import Notification
from srdi.domain.digits import id_from
from srdi.domain.inbox import MessageKind, kind_of
from srdi.services import inbox as inbox_service
from srdi.services.notify import unread_count
from srdi.web.money_display import ids_from
from srdi.web.views.money.common import user_of

PAGE_SIZE = 50


notifications_for = inbox_service.messages_for


def _kind(value: str) -> MessageKind | None:
    return MessageKind(value) if value in {k.value for k in MessageKind} else None


def _back(kind: MessageKind | None, unread: bool) -> str:
    query = {k: v for k, v in (("kind", kind.value if kind else ""), ("unread", "1" if unread else "")) if v}
    base = reverse("web:inbox")
    return f"{base}?{urlencode(query)}" if query else base


def _local_url(url: str) -> str:
    """Only a same-site path may be followed from a message."""
    if url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return ""


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    kind = _kind(request.GET.get("kind", ""))
    only_unread = bool(request.GET.get("unread"))
    qs = inbox_service.filtered(user, kind, only_unread)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"n": n, "url": _local_url(n.url), "kind": kind_of(n.url)} for n in page.object_list]
    return render(
        request,
        "web/money/inbox.html",
        {
            "page": page,
            "rows": rows,
            "unread": unread_count(user),
            "only_unread": only_unread,
            "kind": kind,
            "kinds": inbox_service.kind_counts(user),
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        },
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest) -> HttpResponse:
    """Mark one message (``id``; then follow its link with ``open``), the selected (``ids``), all of a kind
    (``kind_all``) or all (``all``) as read. Only the user's own messages are touched."""
    user = user_of(request)
    now = timezone.now()
    kind = _kind(request.POST.get("kind", ""))
    back = _back(kind, bool(request.POST.get("unread")))
    if request.POST.get("all"):
        n = inbox_service.mark_read(user, every=True)
        messages.success(request, f"已将 {n} 条消息标为已读。")
        return redirect(back)
    if request.POST.get("kind_all") and kind is not None:
        n = inbox_service.mark_read(user, kind=kind)
        messages.success(request, f"已将“{kind.label}”类 {n} 条消息标为已读。")
        return redirect(back)
    if request.POST.get("selected"):
        chosen = ids_from(request.POST.getlist("ids"), limit=PAGE_SIZE)
        if not chosen:
            messages.warning(request, "请先勾选要标为已读的消息。")
            return redirect(back)
        n = inbox_service.mark_read(user, ids=chosen)
        messages.success(request, f"已将 {n} 条消息标为已读。")
        return redirect(back)
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
