"""Django validators wrapping the domain's checks, for model fields and the forms built from them.

Use ``validate_id_number`` on every field holding a 居民身份证号 (GB 11643; ``srdi.domain.id_number``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from srdi.domain.id_number import id_number_problem


def validate_id_number(value: str) -> None:
    """Refuse an ID number that fails GB 11643 (the message says why); an empty value is allowed."""
    if value:
        problem = id_number_problem(value)
        if problem:
            raise ValidationError(problem, code="id_number")
