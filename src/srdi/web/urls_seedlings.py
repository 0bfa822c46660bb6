"""Routes of the 小巨人 seedling pool and the published-count entries (namespace ``web``)."""

from django.urls import URLPattern, path

from srdi.web.views import seedlings

urlpatterns: list[URLPattern] = [
    path("seedlings/", seedlings.seedling_list, name="seedling_list"),
    path("seedlings/export/", seedlings.seedling_export, name="seedling_export"),
    path("seedlings/add/", seedlings.seedling_add, name="seedling_add"),
    path("seedlings/candidates/", seedlings.seedling_candidates, name="seedling_candidates"),
    path("seedlings/<int:pk>/remove/", seedlings.seedling_remove, name="seedling_remove"),
    path("seedlings/<int:pk>/decide/", seedlings.seedling_decide, name="seedling_decide"),
    path("cockpit/published-counts/", seedlings.published_counts, name="published_counts"),
]
