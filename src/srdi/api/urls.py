"""Routes of the /api/v1 API."""

from django.urls import path

from srdi.api.app import api

urlpatterns = [path("", api.urls)]
