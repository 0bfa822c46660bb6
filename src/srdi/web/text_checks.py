"""Web forms that save free text refuse control characters and bidi overrides, with the domain's own check.

Use ``TextCheckedForm`` as the base of a form whose text is stored (case opinions, objections, programme
descriptions, claims, vouchers): every ``CharField`` gets ``srdi.domain.text.text_problem`` as a validator, the
same rule as the exchange format; a ``Textarea`` field may hold tabs and line breaks, a one-line field may not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from srdi.domain.text import text_problem


def _validator(multiline: bool) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if isinstance(value, str):
            problem = text_problem(value, multiline=multiline)
            if problem:
                raise ValidationError(problem, code="control_character")

    return check


class TextCheckedForm(forms.Form):
    """A form whose text fields refuse NUL, C0 controls, DEL and bidi overrides (``domain.text``).

    ``multiline_fields`` names the fields typed in a ``<textarea>`` the template writes itself.
    """

    multiline_fields: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea) or name in self.multiline_fields
                field.validators.append(_validator(multiline))
