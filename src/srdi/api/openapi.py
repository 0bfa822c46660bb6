"""The OpenAPI document in standard JSON Schema keywords only.

Pydantic writes a bound it applies through a validator function under its own name instead of the JSON Schema
keyword: ``Field(ge=0, le=…)`` on a type that also has a ``BeforeValidator`` — as the exchange format's
``Int``/``Fen``/``Count``/``Ratio`` types do (``srdi.domain.exchange``) — comes out as ``{"ge": 0, "le": …}``,
which no client or validator understands. ``standard_keywords`` rewrites the whole document in place:
``ge``/``le``/``gt``/``lt`` become ``minimum``/``maximum``/``exclusiveMinimum``/``exclusiveMaximum`` (keeping the
tighter bound when both forms are present), ``min_length``/``max_length``/``multiple_of`` their camel-case
keywords, and pydantic-only settings (``max_digits``, ``decimal_places``, ``allow_inf_nan``, ``strict``) are
dropped. ``SrdiAPI.get_openapi_schema`` applies it to every document it serves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_LOWER_BOUNDS = {"ge": "minimum", "gt": "exclusiveMinimum"}
_UPPER_BOUNDS = {"le": "maximum", "lt": "exclusiveMaximum"}
_RENAMED = {"min_length": "minLength", "max_length": "maxLength", "multiple_of": "multipleOf"}
_DROPPED = frozenset({"max_digits", "decimal_places", "allow_inf_nan", "strict"})
# Keywords whose value is a schema, a list of schemas, or a map of names to schemas.
_ONE = frozenset(
    {"items", "additionalProperties", "not", "contains", "if", "then", "else", "propertyNames"}
    | {"unevaluatedItems", "unevaluatedProperties", "contentSchema"}
)
_MANY = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_NAMED = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})


def _tighter(current: Any, new: Any, pick: Callable[[Any, Any], Any]) -> Any:
    return new if current is None else pick(current, new)


def _fix_keywords(schema: dict[str, Any]) -> None:
    for key, target in (*_LOWER_BOUNDS.items(), *_UPPER_BOUNDS.items()):
        if key in schema:
            pick = max if key in _LOWER_BOUNDS else min
            schema[target] = _tighter(schema.get(target), schema.pop(key), pick)
    for key, target in _RENAMED.items():
        if key in schema:
            schema.setdefault(target, schema.pop(key))
    for key in _DROPPED & schema.keys():
        del schema[key]


def fix_schema(schema: Any) -> None:
    """Rewrite one JSON Schema (and every schema inside it) in place."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in _ONE:
            fix_schema(value)
        elif key in _MANY and isinstance(value, list):
            for item in value:
                fix_schema(item)
        elif key in _NAMED and isinstance(value, dict):
            for item in value.values():
                fix_schema(item)
    _fix_keywords(schema)


def _fix_operation_part(node: Any) -> None:
    """Every ``schema`` inside an operation: parameters, request body, responses and their headers."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                fix_schema(value)
            elif key not in ("example", "examples"):  # examples are data, never rewritten
                _fix_operation_part(value)
    elif isinstance(node, list):
        for item in node:
            _fix_operation_part(item)


def standard_keywords(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (an OpenAPI 3.1 document) with standard keywords only; changed in place and returned."""
    for schema in document.get("components", {}).get("schemas", {}).values():
        fix_schema(schema)
    _fix_operation_part(document.get("paths", {}))
    return document
