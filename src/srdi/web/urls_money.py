"""Routes of programmes, cases, payments, vouchers and the inbox (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
