"""Model fields for personal data: encrypted at rest, and the keyed hash that finds a value again.

Use ``EncryptedTextField`` for every column holding an ID number, a phone or a bank account number: each write
(``save``, ``create``, ``bulk_create``, ``update``, the import writer's ``_insert``) seals the value and each
read (instances, ``values()``, ``values_list()``) opens it, under the keys of ``srdi.db.pii_keys``. The
associated data is ``<table>.<column>``, so a ciphertext copied into another column does not open. Database
lookups on the ciphertext are refused (they could never match) except ``isnull`` and ``= ''``; search with a
``KeyedHashField`` instead, which stores HMAC-SHA256 of its source field's normalised value, computed on save.

``dumpdata`` writes the ciphertext (``value_to_string``) and ``loaddata`` opens it (``to_python``), so fixtures
and JSON dumps hold no plaintext either.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import FieldError, ValidationError
from django.db import models
from django.db.models.lookups import Exact, IsNull

from srdi.db import pii_keys
from srdi.domain.field_cipher import PiiCryptoError, is_token


class EmptyOnlyExact(Exact):
    """``field = ''`` (is the value missing?) — the one equality a randomised ciphertext can answer."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError("加密字段不能按值查询，请使用对应的检索哈希字段（*_hash）")
        return ""


class EncryptedTextField(models.Field):  # type: ignore[type-arg]
    """Text stored as an authenticated ciphertext (AES-256-GCM or SM4-GCM); ``max_length`` bounds the plaintext."""

    description = "加密文本（个人信息）"
    sealed = True  # the import writer sends these through get_db_prep_save, never as plain values

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_internal_type(self) -> str:
        return "TextField"

    @property
    def context(self) -> str:
        """Where the value lives: the associated data bound to its ciphertext."""
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return pii_keys.keyring().open(value, self.context)

    def to_python(self, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not is_token(value)):
            return value
        if not isinstance(value, str):
            return str(value)
        try:
            return pii_keys.keyring().open(value, self.context)  # a dumped fixture's ciphertext
        except PiiCryptoError as exc:
            raise ValidationError(str(exc), code="sealed") from None

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return pii_keys.keyring().seal(str(value), self.context)

    def value_to_string(self, obj: models.Model) -> str:
        return pii_keys.keyring().seal(self.value_from_object(obj) or "", self.context)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(f"加密字段不支持 {lookup_name} 查询，请使用对应的检索哈希字段（*_hash）")

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": forms.CharField, "max_length": self.max_length, **kwargs})


class KeyedHashField(models.CharField):  # type: ignore[type-arg]
    """HMAC-SHA256 (hex) of another field's normalised value, recomputed whenever the row is saved."""

    description = "个人信息检索哈希"
    derived = (
        True  # computed in pre_save: the import writer must build rows through _insert, not plain tuples
    )

    def __init__(self, *args: Any, source: str = "", kind: str = "", **kwargs: Any) -> None:
        self.source, self.kind = source, kind
        kwargs.update(max_length=64, blank=True, default="", editable=False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("max_length", "blank", "default", "editable"):
            kwargs.pop(key, None)
        kwargs.update(source=self.source, kind=self.kind)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = getattr(model_instance, self.source) or ""
        digest = pii_keys.keyring().keyed_hash(self.kind, str(value))
        setattr(model_instance, self.attname, digest)
        return digest


def keyed_hash(kind: str, value: str) -> str:
    """The hash a ``KeyedHashField`` of ``kind`` stores for ``value`` (for lookups and comparisons)."""
    return pii_keys.keyring().keyed_hash(kind, value)
