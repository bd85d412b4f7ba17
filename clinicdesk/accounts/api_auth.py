from __future__ import annotations

from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    """`Authorization: Bearer cdk_...` with a personal API token."""

    def authenticate(self, request, token: str):
        return api_token_authenticate(secret=token)


class StaffSessionAuth(SessionAuth):
    """The browser's signed-in session (CSRF-checked on writes)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        return user if user is not None and user.is_active else None

