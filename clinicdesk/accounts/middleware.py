from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.urls import reverse

from clinicdesk.core import clock
from clinicdesk.core.problems import problem
from clinicdesk.core.refusals import refusal_log

from .receivers import SESSION_STARTED_KEY
from .selectors import mfa_enrolled

MFA_OK_KEY = "cd_mfa_ok"


class SessionLimitMiddleware:
    """Signs a person out once their session is older than the absolute limit (12 h).

    The idle limit needs no code: the session row expires SESSION_COOKIE_AGE after the last
    request because every request saves it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            limit = settings.CLINICDESK_SESSION_MAX_AGE
            if started is None or clock.now() - datetime.fromtimestamp(started, tz=UTC) > limit:
                logout(request)
                if request.path.startswith("/api/"):
                    return problem(401, "Your session has ended. Sign in again.")
                messages.info(request, "Your session reached its time limit. Please sign in again.")
                return HttpResponseRedirect(f"{reverse('account_login')}?next={request.path}")
        return self.get_response(request)


def _mfa_exempt_paths() -> tuple[str, ...]:
    return (
        reverse("mfa_activate_totp"),
        reverse("account_logout"),
        reverse("account_reauthenticate"),
        reverse("mfa_reauthenticate"),
        reverse("mfa_view_recovery_codes"),
        reverse("mfa_download_recovery_codes"),
        reverse("mfa_index"),
        reverse("healthz"),
        "/" + settings.STATIC_URL.lstrip("/"),
    )


class MfaRequiredMiddleware:
    """Until a person has enrolled an authenticator they can do nothing but enrol (or leave).

    This covers everything reached with a session, pages and API alike. A request with an API
    token carries no session, so `services.api_token_authenticate` checks enrolment itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.CLINICDESK_MFA_REQUIRED and request.user.is_authenticated and not request.session.get(MFA_OK_KEY):
            if mfa_enrolled(user=request.user):
                request.session[MFA_OK_KEY] = True
            else:
                # Until enrolled, the layout hides navigation that would only bounce back here.
                request.mfa_pending = True
            if getattr(request, "mfa_pending", False) and not request.path.startswith(_mfa_exempt_paths()):
                if request.path.startswith("/api/"):
                    refused = problem(403, "Set up two-factor authentication in the app before using the API.")
                    refusal_log(request, status=403, reason="two-factor sign-in not set up", response=refused)
                    return refused
                messages.warning(request, "Set up two-factor authentication to continue. It takes a minute.")
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
