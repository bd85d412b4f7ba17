"""Capability declarations for API endpoints, mirroring `guards.requires` for views.

Ninja validates the request body before calling the endpoint, so a check inside the endpoint
alone would answer 422 (and describe the schema) to a caller who may not use it at all. The
declared capability is therefore put on the request before ninja authenticates, and the
authentication classes refuse callers without it (`enforce_capability`), ahead of any
validation. The endpoint checks once more, in case an auth class forgets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from ninja.decorators import decorate_view
from ninja.errors import HttpError

from .capabilities import ALL_CAPABILITIES, role_can
from .guards import CAPABILITY_ATTR
from .signals import route_denied

REQUEST_ATTR = "clinicdesk_capability"
REFUSAL = "Your role does not include this. Ask your office manager if you need it."


def enforce_capability(request, user):
    """Called by every API authentication class with the user it found.

    Returns the user when their role holds the endpoint's declared capability. An endpoint
    that declared none refuses everyone (fail closed). Refusals are audited.
    """
    if user is None:
        return None
    capability = getattr(request, REQUEST_ATTR, None)
    if capability is None or not role_can(getattr(user, "role", None), capability):
        request.user = user
        route_denied.send(sender=enforce_capability, request=request, capability=capability or "(undeclared)")
        raise HttpError(403, REFUSAL)
    request.user = user
    return user


def _announce(capability: str):
    def wrap_run(run):
        @wraps(run)
        def announced(request, *args, **kwargs):
            setattr(request, REQUEST_ATTR, capability)
            return run(request, *args, **kwargs)

        return announced

    return wrap_run


def api_requires(capability: str) -> Callable:
    """Declare and enforce the capability of an endpoint (put it under `@router.get(...)`)."""
    if capability not in ALL_CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def decorate(func: Callable) -> Callable:
        @wraps(func)
        def guarded(request, *args: Any, **kwargs: Any):
            if not role_can(getattr(request.auth, "role", None), capability):
                raise HttpError(403, REFUSAL)
            request.user = request.auth
            return func(request, *args, **kwargs)

        setattr(guarded, CAPABILITY_ATTR, capability)
        return decorate_view(_announce(capability))(guarded)

    return decorate
