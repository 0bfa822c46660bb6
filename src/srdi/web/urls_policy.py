"""Routes of the policy catalogue, claim guides and entitlements (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
