"""How the API writes JSON: the renderer of every answer, and finished answers for data already in shape.

Use ``Utf8JSONRenderer`` as the API's renderer, and ``json_response`` when re-validating the data through a
response schema would add nothing; such an answer is encoded like every other API answer (decimals and dates
as strings, UTF-8 text) and is never cached.
"""

from __future__ import annotations

from typing import Any

from django.http import JsonResponse
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

NO_STORE = "no-store, private"


class Utf8JSONRenderer(JSONRenderer):
    """The API's renderer: Chinese text as UTF-8 rather than ``\\uXXXX`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


def json_response(data: Any, status: int = 200) -> JsonResponse:
    """``data`` as a JSON answer with ``status``."""
    response = JsonResponse(
        data, status=status, encoder=NinjaJSONEncoder, safe=False, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = NO_STORE
    return response
