"""Routes of the /api/v1 API: the ninja application plus the documentation page's own static files."""

from django.urls import path

from srdi.api.app import api
from srdi.api.docs import ASSET_URL_NAME, asset

urlpatterns = [
    path("docs/assets/<str:name>", asset, name=ASSET_URL_NAME),
    path("", api.urls),
]
