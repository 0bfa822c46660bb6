"""URL routes: the web pages, the /api/v1 API and the back-office admin.

Every other path under /api/ is a JSON 404 (``srdi.api.fallback.not_found``), never the site's HTML page.
"""

from django.contrib import admin
from django.urls import include, path, re_path

from srdi.api.fallback import NOT_FOUND_ROUTE, not_found

admin.site.site_header = "srdi 后台管理"
admin.site.site_title = "srdi 后台"
admin.site.index_title = "专精特新平台数据维护"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("srdi.api.urls")),
    re_path(r"^api(?:/|$)", not_found, name=NOT_FOUND_ROUTE),
    path("", include("srdi.web.urls")),
]
