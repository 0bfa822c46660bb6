"""How the API writes JSON: the renderer of every answer, and finished answers for data already in shape.

Use ``Utf8JSONRenderer`` as the API's renderer, and ``json_response`` when re-validating the data through a
response schema would add nothing; such an answer is encoded like every other API answer (decimals and dates
as strings, UTF-8 text) and is never cached.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from django.http import HttpResponse
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

NO_STORE = "no-store, private"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"  # what ninja's renderer sets: one type for every answer
# Dates and times go through Django's encoder like everywhere else (``…Z``, milliseconds); orjson encodes the
# rest natively, several times faster than ``json`` on the assessment's large traced answers.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
_ENCODER = NinjaJSONEncoder()


class Utf8JSONRenderer(JSONRenderer):
    """The API's renderer: Chinese text as UTF-8 rather than ``\\uXXXX`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


def encode_json(data: Any) -> bytes:
    """``data`` as UTF-8 JSON, encoded as the API encodes every answer."""
    try:
        return orjson.dumps(data, default=_ENCODER.default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits, which ``json`` writes as it is
        return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False).encode()


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """``data`` as a JSON answer with ``status``."""
    response = HttpResponse(encode_json(data), status=status, content_type=JSON_CONTENT_TYPE)
    response["Cache-Control"] = NO_STORE
    return response
