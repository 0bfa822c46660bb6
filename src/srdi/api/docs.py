"""The interactive API documentation (Swagger UI), served entirely from this site: no CDN.

django-ninja falls back to a CDN page unless ``ninja`` is an installed app. ``LocalSwagger`` renders the same
page with its script, style and icon served by ``asset`` from the files shipped inside the ninja package (a
fixed allow-list, never a user-supplied path). ``signed_in_only`` keeps the docs and the OpenAPI document
for signed-in users and token holders.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ninja
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from ninja.openapi.docs import DocsBase

from srdi.api.auth import UNAUTHENTICATED
from srdi.services import tokens

if TYPE_CHECKING:
    from ninja import NinjaAPI

ASSET_DIR = Path(ninja.__file__).resolve().parent / "static" / "ninja"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui-init.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
    "favicon.svg": "image/svg+xml",
}
ASSET_URL_NAME = "srdi-api-docs-asset"

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}" type="image/svg+xml">
</head>
<body data-csrf-token="{csrf}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


def asset_url(name: str) -> str:
    return reverse(ASSET_URL_NAME, kwargs={"name": name})


class LocalSwagger(DocsBase):
    """Swagger UI whose assets come from this server."""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {
            "url": self.get_openapi_url(api, kwargs),
            "layout": "BaseLayout",
            "deepLinking": True,
            "validatorUrl": None,  # the online validator would be a call to the outside
        }
        page = PAGE.format(
            title=escape(api.title),
            css=asset_url("swagger-ui.css"),
            icon=asset_url("favicon.svg"),
            csrf=escape(get_token(request)),
            settings=json.dumps(settings, ensure_ascii=False).replace("<", "\\u003c"),
            bundle=asset_url("swagger-ui-bundle.js"),
            init=asset_url("swagger-ui-init.js"),
        )
        response = HttpResponse(page, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "no-store, private"
        return response


def asset(request: HttpRequest, name: str) -> FileResponse:
    """One file of the documentation page, from the allow-list only."""
    content_type = ASSETS.get(name)
    if content_type is None:
        raise Http404("未找到")
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=86400"
    return response


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active:
        return True
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and tokens.authenticate_token(raw.strip()) is not None


def signed_in_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The docs page and the OpenAPI document answer 401 to anyone not signed in and without a token."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _signed_in(request):
            response = JsonResponse(
                {"detail": UNAUTHENTICATED}, status=401, json_dumps_params={"ensure_ascii": False}
            )
            response["WWW-Authenticate"] = 'Bearer realm="srdi"'
            return response
        return view(request, *args, **kwargs)

    return wrapper
