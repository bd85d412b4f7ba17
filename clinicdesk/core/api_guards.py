"""Capability declarations for API endpoints, mirroring `guards.requires` for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from ninja.errors import HttpError

from .capabilities import ALL_CAPABILITIES, role_can
from .guards import CAPABILITY_ATTR
from .signals import route_denied


def api_requires(capability: str) -> Callable:
    """Declare and enforce the capability of an endpoint. Authentication is ninja's job
    (session or token, set on the API); this refuses a signed-in caller without the capability
    with 403 and audits the refusal."""
    if capability not in ALL_CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")

    def decorate(func: Callable) -> Callable:
        @wraps(func)
        def guarded(request, *args: Any, **kwargs: Any):
            user = request.auth
            if not role_can(getattr(user, "role", None), capability):
                request.user = user
                route_denied.send(sender=guarded, request=request, capability=capability)
                raise HttpError(403, "Your role does not include this. Ask your office manager if you need it.")
            request.user = user
            return func(request, *args, **kwargs)

        setattr(guarded, CAPABILITY_ATTR, capability)
        return guarded

    return decorate
