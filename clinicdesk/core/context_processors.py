from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from .capabilities import capabilities_of
from .navigation import navigation_for


def shell(request: HttpRequest) -> dict:
    """Navigation and capabilities of the signed-in person, for the base layout."""
    user = getattr(request, "user", None)
    role = getattr(user, "role", None) if user is not None and user.is_authenticated else None
    caps = capabilities_of(role)
    mfa_pending = getattr(request, "mfa_pending", False)
    return {
        "nav_items": [] if mfa_pending else navigation_for(caps, request.path),
        "mfa_pending": mfa_pending,
        "caps": caps,
        "demo_mode": settings.DEMO,
        "mfa_relaxed": not settings.CLINICDESK_MFA_REQUIRED,
        "mfa_can_switch_off": not settings.CLINICDESK_MFA_REQUIRED,
    }
