"""Every route declares what it needs.

`requires(capability)` guards a view; `public` marks the few routes that anybody may reach
(login, health, static); `secret_link` the ones reached by an unguessable token (calendar feeds). The URLconf walk in `tests/test_routes.py` fails on any route with
neither, so a new page cannot ship unguarded by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .capabilities import ALL_CAPABILITIES, role_can
from .signals import route_denied

CAPABILITY_ATTR = "clinicdesk_capability"
PUBLIC = "public"
SECRET_LINK = "secret-link"

View = Callable[..., HttpResponse]


def requires(capability: str) -> Callable[[View], View]:
    """Guard a view: sign-in needed, then `capability` from the matrix.

    Anonymous visitors go to the login page (HTML) or get 401 (API); signed-in people without
    the capability get 403, and the refusal is written to the audit trail.
    """
    if capability not in ALL_CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not role_can(getattr(user, "role", None), capability):
                route_denied.send(sender=guarded, request=request, capability=capability)
                raise PermissionDenied(capability)
            return view(request, *args, **kwargs)

        setattr(guarded, CAPABILITY_ATTR, capability)
        return guarded

    return decorate


def public(view: View) -> View:
    """Mark a view that needs no sign-in. Use for login, health and nothing with PHI."""
    setattr(view, CAPABILITY_ATTR, PUBLIC)
    return view


def secret_link(view: View) -> View:
    """Mark a view reached without sign-in by whoever holds an unguessable token in its URL.

    For things a person subscribes to from another program (a calendar feed). The view must
    answer 404 unless the token matches a live, unrevoked secret, keep only a hash of it, and
    audit every use. The route walk pins the list of such routes.
    """
    setattr(view, CAPABILITY_ATTR, SECRET_LINK)
    return view


def mark(view: View, capability: str) -> View:
    """Declare the capability of a third-party view that enforces sign-in itself."""

    @wraps(view)
    def marked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    setattr(marked, CAPABILITY_ATTR, capability)
    return marked


def declared_capability(view: Any) -> str | None:
    return getattr(view, CAPABILITY_ATTR, None)
