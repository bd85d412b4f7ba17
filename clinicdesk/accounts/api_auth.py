from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from clinicdesk.core.api_guards import enforce_capability

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cdk_...` with a personal API token.

    A token of ours that may not be used raises TokenRefused, which the API answers with a
    problem saying why (clinicdesk/api.py), instead of trying the session next.
    """

    def authenticate(self, request, token: str):
        return enforce_capability(request, api_token_authenticate(secret=token))


class StaffSessionAuth(SessionAuth):
    """The browser's signed-in session (CSRF-checked on writes)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return enforce_capability(request, user)
