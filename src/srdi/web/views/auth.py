"""Sign-in, sign-out and password change pages (等保 8.1.4.1; ASVS 6.3, 7.2, 7.4).

Sign-in goes through ``django.contrib.auth.authenticate(request=...)`` so that django-axes counts failures
and locks the account+address after five (the lockout page is ``web/locked_out.html``). Unknown users and
wrong passwords get the same message. Each outcome is audited through ``srdi.services.accounts``. A staff
user's correct password only starts the second step (``web.views.second_factor``): the session is signed in
after the code.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from srdi.services import accounts, second_factor
from srdi.services.password_age import max_age_days, password_expired
from srdi.web.forms import LoginForm, PasswordChangeForm
from srdi.web.http import client_ip
from srdi.web.views import second_factor as second_factor_views

LOGIN_FAILED = "用户名或密码不正确，或账号已停用。连续失败 5 次将锁定 30 分钟。"


def _next_url(request: HttpRequest) -> str | None:
    """A local path to continue to after signing in (an absolute path on this host), or None."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only paths: ``redirect()`` would read a bare word such as "abc" as a URL pattern name.
    if (
        target.startswith("/")
        and len(target) <= 2000
        and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    ):
        return target
    return None


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """The sign-in form; on success a new session (fresh id) and a redirect to ``next`` or the home page."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_next_url(request) or "web:home")
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST":
        if form.is_valid():
            username = form.cleaned_data["username"]
            user = authenticate(request=request, username=username, password=form.cleaned_data["password"])
            if user is not None and second_factor.required_for(user):
                return second_factor_views.begin(request, user, _next_url(request))
            if user is not None:
                login(request, user)
                accounts.record_login(user, ip=client_ip(request))
                return redirect(_next_url(request) or "web:home")
            accounts.record_login_failure(username, ip=client_ip(request))
        error = LOGIN_FAILED
    return render(
        request,
        "web/auth/login.html",
        {"form": form, "error": error, "next": _next_url(request) or ""},
        status=200,
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only): audit, then flush the session server-side."""
    if request.user.is_authenticated:
        accounts.record_logout(request.user, ip=client_ip(request))
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("web:login")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the service enforces the policy and restarts the rotation clock."""
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        try:
            accounts.change_password(user, form.cleaned_data["new_password1"], ip=client_ip(request))  # type: ignore[arg-type]
        except accounts.AccountError as exc:
            form.add_error("new_password1", str(exc))
        else:
            update_session_auth_hash(request, user)  # type: ignore[arg-type]
            messages.success(request, "密码已修改。")
            return redirect("web:home")
    return render(
        request,
        "web/auth/password_change.html",
        {
            "form": form,
            "expired": password_expired(user),
            "must_change": getattr(user, "must_change_password", False),
            "max_age_days": max_age_days(),
            "help_texts": password_validators_help_texts(),
        },
    )
