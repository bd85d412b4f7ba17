"""The URLconf. Every route here declares a capability (see core.guards); tests enforce it."""

from __future__ import annotations

from typing import Any

from allauth.account import views as account_views
from allauth.mfa.base import views as mfa_views
from allauth.mfa.recovery_codes import views as recovery_views
from allauth.mfa.totp import views as totp_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

from clinicdesk.core import home as core_home
from clinicdesk.core import views as core_views
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import PUBLIC, mark, requires

from .api import api

# Only the allauth screens staff need. Sign-up, email management and password reset by email
# are left out on purpose: the office manager creates accounts and sets temporary passwords.
_own = requires(Cap.ACCOUNT_SELF)
auth_patterns = [
    path("login/", mark(account_views.login, PUBLIC), name="account_login"),
    path("logout/", mark(account_views.logout, PUBLIC), name="account_logout"),
    path("inactive/", mark(account_views.account_inactive, PUBLIC), name="account_inactive"),
    path("reauthenticate/", _own(account_views.reauthenticate), name="account_reauthenticate"),
    path("password/change/", _own(account_views.password_change), name="account_change_password"),
    path("password/set/", _own(account_views.password_set), name="account_set_password"),
    path("2fa/", _own(mfa_views.index), name="mfa_index"),
    path("2fa/authenticate/", mark(mfa_views.authenticate, PUBLIC), name="mfa_authenticate"),
    path("2fa/reauthenticate/", _own(mfa_views.reauthenticate), name="mfa_reauthenticate"),
    path("2fa/totp/activate/", _own(totp_views.activate_totp), name="mfa_activate_totp"),
    path("2fa/totp/deactivate/", _own(totp_views.deactivate_totp), name="mfa_deactivate_totp"),
    path("2fa/recovery-codes/", _own(recovery_views.view_recovery_codes), name="mfa_view_recovery_codes"),
    path(
        "2fa/recovery-codes/generate/", _own(recovery_views.generate_recovery_codes), name="mfa_generate_recovery_codes"
    ),
    path(
        "2fa/recovery-codes/download/", _own(recovery_views.download_recovery_codes), name="mfa_download_recovery_codes"
    ),
]


@requires(Cap.ACCOUNT_SELF)
def _api_index(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """The API's address itself opens its documentation (ninja's own index answers 404)."""
    return redirect(f"{api.urls_namespace}:openapi-view")


def _api_urls():
    """The API's URLs, with ninja's index page (its name locates the API) sending people to the docs."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        if getattr(pattern, "name", "") == "api-root":
            pattern.callback = _api_index
    return patterns, app_name, namespace


urlpatterns = [
    path("", core_home.home, name="home"),
    # One small route per home panel (its numbers alone, for the page's refresh), each guarded
    # by its panel's capability; the panels register from their apps' AppConfig.ready().
    *core_home.panel_urlpatterns(),
    path("healthz", core_views.healthz, name="healthz"),
    path("account/", include(auth_patterns)),
    path("", include("clinicdesk.accounts.urls")),
    path("audit/", include("clinicdesk.audit.urls")),
    path("codes/", include("clinicdesk.codes.urls")),
    path("clinical/", include("clinicdesk.clinical.urls")),
    path("patients/", include("clinicdesk.patients.search.urls")),
    path("patients/", include("clinicdesk.patients.urls")),
    path("payers/", include("clinicdesk.patients.payer_urls")),
    path("scheduling/setup/", include("clinicdesk.scheduling.urls")),
    path("scheduling/", include("clinicdesk.scheduling.flow_urls")),
    path("scheduling/", include("clinicdesk.scheduling.appointment_urls")),
    path("api/v1/", _api_urls()),
]

handler400 = "clinicdesk.core.views.bad_request"
handler403 = "clinicdesk.core.views.permission_denied"
handler404 = "clinicdesk.core.views.page_not_found"
handler500 = "clinicdesk.core.views.server_error"
