"""Routes of the policy catalogue, claim guides and entitlements (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import parameters, policy, policy_compare, policy_hygiene

urlpatterns: list[URLPattern] = [
    path("policy/", policy.policy_catalogue, name="policy_catalogue"),
    path("policy/simulation/", policy.policy_simulation, name="policy_simulation"),
    path("policy/<slug:pack>/gaps/", policy.policy_gaps, name="policy_gaps"),
    path("policy/<slug:pack>/<int:article>/", policy.policy_measure, name="policy_measure"),
    # 参数管理: no path has the shape policy/<pack>/<article>/ or policy/<pack>/gaps/, so order does not matter
    path("policy/parameters/", parameters.parameter_changes, name="parameter_changes"),
    path("policy/parameters/propose/", parameters.parameter_propose, name="parameter_propose"),
    path("policy/parameters/change/<int:pk>/", parameters.parameter_change, name="parameter_change"),
    path(
        "policy/parameters/change/<int:pk>/attachment/",
        parameters.parameter_attachment,
        name="parameter_attachment",
    ),
    path("policy/parameters/history/<str:pid>/", parameters.parameter_history, name="parameter_history"),
]
urlpatterns += [
    path("policy/hygiene/", policy_hygiene.policy_hygiene, name="policy_hygiene"),
    path("policy/compare/", policy_compare.policy_compare, name="policy_compare"),
]
