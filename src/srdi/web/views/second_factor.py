"""The second sign-in step for staff: the code page and first-time enrolment (等保 L3-CES1-04; ASVS 6.3.2).

After a correct password, a staff user (``second_factor.required_for``) is not signed in yet: the session only
holds a *pending* sign-in (user id, backend, time, ``next``) for ``SRDI_SECOND_FACTOR_PENDING_SECONDS``. The
code page (``/accounts/otp/``) asks for a 6-digit code from the authenticator app or a recovery code; the
enrolment page (``/accounts/otp/enrol/``) shows the QR code and secret of a new authenticator once, asks for a
code to confirm it, then shows ten recovery codes once. Only then does Django's ``login()`` run (a new
session id) and the session is marked verified (``django_otp.login``).

A staff session that is signed in but not verified (e.g. one started before the second factor existed) is sent
here by ``SecondFactorMiddleware`` and verified in place. Wrong codes are audited (service) and counted by
django-axes like wrong passwords, so five failures lock the account and address for 30 minutes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, user_logged_in, user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from srdi.db.models import User
from srdi.services import accounts, second_factor
from srdi.web.http import client_ip, no_store

PENDING_USER = "srdi_pending_user"
PENDING_BACKEND = "srdi_pending_backend"
PENDING_AT = "srdi_pending_at"
PENDING_NEXT = "srdi_pending_next"
ENROL_DEVICE = "srdi_enrol_device"
PENDING_KEYS = (PENDING_USER, PENDING_BACKEND, PENDING_AT, PENDING_NEXT, ENROL_DEVICE)
WRONG_CODE = "验证码不正确或已使用过。连续失败 5 次将锁定 30 分钟。"


@dataclass(frozen=True)
class Proving:
    """Who is proving the second factor: a pending sign-in, or a signed-in but unverified session."""

    user: User
    pending: bool


def begin(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    """After a correct password: remember the pending sign-in (new session id) and go to the code page or,
    without an authenticator yet, to enrolment."""
    request.session.flush()  # a fresh session id; any earlier sign-in in this browser ends here
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1])
    request.session[PENDING_AT] = time.time()
    request.session[PENDING_NEXT] = next_url or ""
    return redirect("web:otp_verify" if second_factor.has_device(user) else "web:otp_enrol")


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    started = float(request.session.get(PENDING_AT) or 0)
    limit = int(getattr(settings, "SRDI_SECOND_FACTOR_PENDING_SECONDS", 300))
    if user_id is None or time.time() - started > limit:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def proving(request: HttpRequest) -> Proving | None:
    """The user who must pass the second factor on this request, or None (nothing to prove)."""
    user = request.user
    if user.is_authenticated:
        if second_factor.pending_for(user):
            return Proving(user, pending=False)
        return None
    pending = _pending_user(request)
    return Proving(pending, pending=True) if pending is not None else None


def _locked(request: HttpRequest, user: User) -> bool:
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, credentials={"username": user.username}))


def _lockout(request: HttpRequest, user: User) -> HttpResponse:
    """End the half-done sign-in and answer with the lockout page (django-axes' middleware renders it)."""
    request.session.flush()
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = {"username": user.username}  # type: ignore[attr-defined]
    return HttpResponse(status=429)


def _failed(request: HttpRequest, user: User) -> bool:
    """Count a wrong code in django-axes; True when that locks the account."""
    user_login_failed.send(sender=__name__, credentials={"username": user.username}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


def _complete(request: HttpRequest, who: Proving, device: Device, method: second_factor.Method) -> str:
    """Sign in (pending) or verify the session; audit; returns where to continue."""
    next_url = ""
    if who.pending:
        backend = request.session.get(PENDING_BACKEND) or settings.AUTHENTICATION_BACKENDS[-1]
        next_url = request.session.get(PENDING_NEXT) or ""
        for key in PENDING_KEYS:
            request.session.pop(key, None)
        login(request, who.user, backend=backend)  # new session id; axes resets the failure count
    else:
        request.session.pop(ENROL_DEVICE, None)
        request.session.cycle_key()
        user_logged_in.send(sender=who.user.__class__, request=request, user=who.user)
    otp_login(request, device)
    accounts.record_login(who.user, ip=client_ip(request), second_factor=method.value)
    return next_url or "/"


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    """The code page: a 6-digit code from the authenticator app, or a recovery code."""
    who = proving(request)
    if who is None:
        return redirect("web:home" if request.user.is_authenticated else "web:login")
    if not second_factor.has_device(who.user):
        return redirect("web:otp_enrol")
    if _locked(request, who.user):
        return _lockout(request, who.user)
    error = ""
    if request.method == "POST":
        verified = second_factor.verify(who.user, request.POST.get("code", ""), ip=client_ip(request))
        if verified is not None:
            target = _complete(request, who, verified.device, verified.method)
            if verified.method is second_factor.Method.RECOVERY:
                messages.warning(
                    request,
                    f"您使用了一个恢复码，还剩 {verified.recovery_left} 个。恢复码用完前请联系系统运维人员。",
                )
            return redirect(target)
        if _failed(request, who.user):
            return _lockout(request, who.user)
        error = WRONG_CODE
    return no_store(
        render(request, "web/auth/otp_verify.html", {"error": error, "username": who.user.username})
    )


def _enrol_device(request: HttpRequest, who: Proving) -> TOTPDevice | None:
    device_id = request.session.get(ENROL_DEVICE)
    if device_id is None:
        return None
    return TOTPDevice.objects.filter(pk=device_id, user=who.user, confirmed=False).first()


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First sign-in of a staff user: bind an authenticator app, confirm with a code, receive recovery codes."""
    who = proving(request)
    if who is None:
        return redirect("web:home" if request.user.is_authenticated else "web:login")
    if second_factor.has_device(who.user):
        return redirect("web:otp_verify")
    if _locked(request, who.user):
        return _lockout(request, who.user)
    error = ""
    device = _enrol_device(request, who)
    if request.method == "POST" and device is not None:
        enrolled = second_factor.confirm_enrolment(
            who.user, device.pk, request.POST.get("code", ""), ip=client_ip(request)
        )
        if enrolled is not None:
            target = _complete(request, who, enrolled.device, second_factor.Method.TOTP)
            return no_store(
                render(
                    request,
                    "web/auth/otp_recovery.html",
                    {"codes": enrolled.recovery_codes, "next": target},
                )
            )
        if _failed(request, who.user):
            return _lockout(request, who.user)
        error = WRONG_CODE
    if device is None:
        enrolment = second_factor.start_enrolment(who.user)
        request.session[ENROL_DEVICE] = enrolment.device_id
    else:
        enrolment = second_factor.describe(device)
    return no_store(
        render(
            request,
            "web/auth/otp_enrol.html",
            {"enrolment": enrolment, "error": error, "username": who.user.username},
        )
    )
