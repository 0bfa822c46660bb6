"""The enterprise list's search: the user's scope, then the filters of ``EnterpriseFilterForm``.

Use ``search_enterprises`` from both the list page and its export, so the export holds exactly the rows the
user was looking at. Name/USCC search and the plain filters are ``srdi.services.enterprises.search`` (the same
semantics as the API), which starts from ``scoping.enterprises_for``; the tier filter is added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from srdi.db.models import Enterprise, User
from srdi.services import enterprises, scoping
from srdi.web.forms import EnterpriseFilterForm
from srdi.web.queries import with_highest_tier


@dataclass
class Search:
    """The bound filter form, the filtered queryset and the day the tiers were evaluated on."""

    form: EnterpriseFilterForm
    queryset: QuerySet[Enterprise]
    day: date

    @property
    def active(self) -> bool:
        return bool(self.form.is_bound and any(self.form.cleaned_data.get(k) for k in self.form.fields))


def search_enterprises(user: User, params: Mapping[str, Any], *, day: date | None = None) -> Search:
    """Enterprises in scope matching ``params``; an invalid filter value is ignored (the form shows why)."""
    day = day or timezone.localdate()
    form = EnterpriseFilterForm(params or None, show_district=scoping.sees_all_districts(user))
    data: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # fields that fail validation drop out of cleaned_data; the others still apply
        data = form.cleaned_data
    qs = enterprises.search(
        user,
        q=data.get("q") or None,
        district=data.get("district") or None,
        ecosystem=data.get("ecosystem") or None,
        size_class=data.get("size") or None,
    )
    qs = with_highest_tier(qs, day).select_related("district")
    tier = data.get("tier")
    if tier == "none":
        qs = qs.filter(highest_tier__isnull=True)
    elif tier:
        qs = qs.filter(highest_tier=tier)
    return Search(form, qs.order_by("name", "uscc"), day)
