"""URL routes: the web pages, the /api/v1 API and the back-office admin."""

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "srdi 后台管理"
admin.site.site_title = "srdi 后台"
admin.site.index_title = "专精特新平台数据维护"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("srdi.api.urls")),
    path("", include("srdi.web.urls")),
]
