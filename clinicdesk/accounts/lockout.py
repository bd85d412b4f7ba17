from __future__ import annotations


def lockout_username(request, credentials) -> str | None:
    """The username django-axes counts failures against.

    allauth authenticates with credentials {"username": ...} while the sign-in form posts the
    field "login"; axes asks with one or the other, so both are read. Case is folded so that
    "Dana" and "dana" share one counter.
    """
    name = (credentials or {}).get("username") or (credentials or {}).get("login")
    if not name and request is not None:
        name = request.POST.get("login") or request.POST.get("username")
    return name.strip().casefold() if name else None
