"""Routes of the policy catalogue, claim guides and entitlements (namespace ``web``, included by ``srdi.web.urls``)."""

from django.urls import URLPattern, path

from srdi.web.views import policy, policy_compare, policy_hygiene

urlpatterns: list[URLPattern] = [
    path("policy/", policy.policy_catalogue, name="policy_catalogue"),
    path("policy/simulation/", policy.policy_simulation, name="policy_simulation"),
    path("policy/<slug:pack>/gaps/", policy.policy_gaps, name="policy_gaps"),
    path("policy/<slug:pack>/<int:article>/", policy.policy_measure, name="policy_measure"),
]
urlpatterns += [
    path("policy/hygiene/", policy_hygiene.policy_hygiene, name="policy_hygiene"),
    path("policy/compare/", policy_compare.policy_compare, name="policy_compare"),
]
