"""The /api/v1 application (django-ninja)."""

from ninja import NinjaAPI

api = NinjaAPI(title="srdi API", version="1.0.0", urls_namespace="api")
