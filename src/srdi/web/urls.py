"""Routes of the web pages (namespace ``web``).

Sign-in pages live under ``/accounts/`` because ``PasswordExpiryMiddleware`` exempts that prefix: a user with
an expired password must still reach ``web:password_change`` and ``web:logout``. The second-factor pages
(``web:otp_verify``, ``web:otp_enrol``) are the only pages ``SecondFactorMiddleware`` lets an unverified staff
session reach, with sign-in and sign-out.
"""

from django.urls import include, path

from srdi.web.views import (
    audit_log,
    auth,
    enterprises,
    exports,
    home,
    imports,
    role_grants,
    screening,
    second_factor,
)

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth.login_view, name="login"),
    path("accounts/logout/", auth.logout_view, name="logout"),
    path("accounts/password/", auth.password_change_view, name="password_change"),
    path("accounts/otp/", second_factor.verify_view, name="otp_verify"),
    path("accounts/otp/enrol/", second_factor.enrol_view, name="otp_enrol"),
    path("enterprises/", enterprises.enterprise_list, name="enterprise_list"),
    path("enterprises/export/", exports.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:pk>/", enterprises.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/reveal/", enterprises.enterprise_reveal, name="enterprise_reveal"),
    path("screening/", screening.screening_page, name="screening"),
    path("screening/progress/", screening.screening_progress, name="screening_progress"),
    path("screening/start/", screening.screening_start, name="screening_start"),
    path("screening/export/", screening.screening_export, name="screening_export"),
    path("imports/", imports.import_page, name="import"),
    path("imports/confirm/", imports.import_confirm, name="import_confirm"),
    path("imports/progress/<str:token>/", imports.import_progress, name="import_progress"),
    path("imports/template/<str:fmt>/", imports.import_template_view, name="import_template"),
    path("audit/", audit_log.audit_log, name="audit_log"),
    path("audit/settings/", audit_log.audit_settings_view, name="audit_settings"),
    path("security/roles/", role_grants.role_grants_page, name="role_grants"),
    path("security/roles/grant/", role_grants.grant_view, name="role_grant"),
    path("security/roles/<int:pk>/decide/", role_grants.decide_view, name="role_grant_decide"),
    path("security/roles/revoke/", role_grants.revoke_view, name="role_revoke"),
    path("", include("srdi.web.urls_policy")),
    path("", include("srdi.web.urls_money")),
    path("", include("srdi.web.urls_cockpit")),
    path("", include("srdi.web.urls_money_overview")),
    path("", include("srdi.web.urls_units")),
    path("", include("srdi.web.urls_monthly_brief")),
    path("", include("srdi.web.urls_seedlings")),
    path("", include("srdi.web.urls_showcase")),
    path("", include("srdi.web.urls_audit")),
    path("", include("srdi.web.urls_import_errors")),
    path("", include("srdi.web.urls_jobs")),
]
