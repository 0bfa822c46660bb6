"""The API's JSON encoding (``srdi.api.responses.encode_json``): the fast encoder writes what Django's would."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum

from ninja.responses import NinjaJSONEncoder

from srdi.api.responses import encode_json, json_response


class Colour(Enum):
    RED = "red"


def test_same_text_as_the_django_encoder() -> None:
    data = {
        "name": "杭州市专精特新",
        "when": datetime(2025, 6, 30, 8, 15, 1, 123456, tzinfo=UTC),
        "day": date(2025, 6, 30),
        "rate": Decimal("0.10"),
        "nested": [{"ok": True, "none": None, "n": 12}],
    }
    assert json.loads(encode_json(data)) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))
    assert "杭州市".encode() in encode_json(data)  # UTF-8, not \\u escapes
    assert json.loads(encode_json(data))["when"] == "2025-06-30T08:15:01.123Z"


def test_enums_are_written_by_value() -> None:
    assert json.loads(encode_json({"colour": Colour.RED})) == {"colour": "red"}


def test_integers_beyond_64_bits_are_written_as_they_are() -> None:
    assert json.loads(encode_json({"big": 2**70})) == {"big": 2**70}


def test_integer_keys_become_strings() -> None:
    assert json.loads(encode_json({1: "a"})) == {"1": "a"}


def test_response_is_json_and_never_cached() -> None:
    response = json_response({"detail": "无"}, 422)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/json; charset=utf-8"  # as ninja's renderer
    assert response["Cache-Control"] == "no-store, private"
    assert json.loads(response.content) == {"detail": "无"}
