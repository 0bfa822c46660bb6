"""Routes of the showcase (典型案例, namespace ``web``). ``showcase`` and ``showcase_entry`` are public (no
sign-in, see ``srdi.web.views.showcase``); every other route needs a signed-in user with a showcase permission."""

from django.urls import URLPattern, path

from srdi.web.views import showcase, showcase_manage

urlpatterns: list[URLPattern] = [
    path("showcase/", showcase.showcase, name="showcase"),
    path("showcase/<int:pk>/", showcase.showcase_entry, name="showcase_entry"),
    path("showcase/manage/", showcase_manage.showcase_manage, name="showcase_manage"),
    path("showcase/manage/new/", showcase_manage.showcase_new, name="showcase_new"),
    path("showcase/manage/<int:pk>/", showcase_manage.showcase_detail, name="showcase_detail"),
    path("showcase/manage/<int:pk>/edit/", showcase_manage.showcase_edit, name="showcase_edit"),
    path(
        "showcase/manage/<int:pk>/consent/file/",
        showcase_manage.showcase_consent_file,
        name="showcase_consent_file",
    ),
    path("showcase/mine/", showcase_manage.showcase_mine, name="showcase_mine"),
]
