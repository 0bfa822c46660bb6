"""How an API caller proves who it is: a bearer token (other systems) or the browser session (with CSRF).

Use ``API_AUTH`` as the API's ``auth``. The bearer token is tried first, so a system call never needs a CSRF
token; a presented but unknown, revoked or deactivated token is refused outright (401), never silently
replaced by a session. A signed-in browser must send the CSRF token (``X-CSRFToken``) on unsafe methods.
A session is refused (401) when its staff user has not passed the second factor, or when the user's password
has expired or must be changed (set by an administrator); the absolute session lifetime is enforced earlier
by ``SessionLifetimeMiddleware``. Bearer tokens are not asked for a second factor.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from srdi.api.requests import client_ip
from srdi.services import second_factor, token_cache, tokens
from srdi.services.password_age import must_renew

logger = logging.getLogger("srdi.api")

UNAUTHENTICATED = "未登录或令牌无效：请先登录，或在 Authorization 头中提供有效的 Bearer 令牌"
INVALID_TOKEN = "令牌无效、已吊销或所属用户已停用"  # noqa: S105 - a message, not a secret
SECOND_FACTOR_NEEDED = "会话尚未完成双因素验证：请先在网页上输入身份验证器的验证码"
PASSWORD_MUST_CHANGE = "密码已过期或由管理员设置：请先在网页上修改密码，再调用接口"  # noqa: S105 - a message
CSRF_FAILED = "CSRF 校验失败：使用登录会话调用写操作时，请在 X-CSRFToken 头中提供 CSRF 令牌"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_SHOWABLE = re.compile(r"[^A-Za-z0-9_-]")


class BearerToken(HttpBearer):
    """``Authorization: Bearer srdi_…`` checked against the stored SHA-256 digests (``ApiToken``), through the
    process's token cache (``srdi.services.token_cache``: a few seconds, revocation immediate)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_cache.authenticate(token.strip())
        if user is None:
            shown = _SHOWABLE.sub("?", tokens.prefix_of(token.strip()))
            logger.warning("API 令牌认证失败：ip=%s 前缀=%s", client_ip(request), shown)
            raise AuthenticationError(401, INVALID_TOKEN)
        request.user = user  # so code that reads request.user sees the token's user
        return user


class SessionWithCsrf(APIKeyCookie):
    """The Django login session; unsafe methods must carry a valid CSRF token."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in ``authenticate``, only once a session user is known, so an anonymous call gets
        # 401 rather than a CSRF error.
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if second_factor.pending_for(user):
            raise AuthenticationError(401, SECOND_FACTOR_NEEDED)
        if must_renew(user):
            raise AuthenticationError(401, PASSWORD_MUST_CHANGE)
        unsafe = request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)
        if unsafe and check_csrf(request) is not None:
            raise HttpError(403, CSRF_FAILED)
        return user


API_AUTH = [BearerToken(), SessionWithCsrf()]
