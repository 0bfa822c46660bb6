"""Routes of the background jobs: a job's page, its progress fragment, its file, the user's jobs (namespace ``web``)."""

from django.urls import URLPattern, path

from srdi.web.views import jobs

urlpatterns: list[URLPattern] = [
    path("jobs/", jobs.job_list, name="job_list"),
    path("jobs/<int:pk>/", jobs.job_page, name="job"),
    path("jobs/<int:pk>/progress/", jobs.job_progress, name="job_progress"),
    path("jobs/<int:pk>/file/", jobs.job_file, name="job_file"),
]
