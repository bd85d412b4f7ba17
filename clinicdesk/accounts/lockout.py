"""Lockout after repeated failed sign-in attempts, for passwords and second-factor codes alike.

django-axes counts the failures of one username in the database (so every app server sees
the same count) and locks the username for AXES_COOLOFF_TIME after AXES_FAILURE_LIMIT of them.
Passwords reach it through Django's `authenticate()`. Second-factor codes (TOTP and recovery
codes, at sign-in and when asked again before a sensitive change) never call `authenticate()`,
so the code forms (`forms.SecondFactorForm`) and the failed-code receiver bring them here:
wrong codes and wrong passwords share one counter, and while the username is locked even the
right code is refused.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError


def locked_message() -> str:
    """What a person is told when a code is refused because the account is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return (
        f"Too many wrong sign-in attempts: this account is locked for {minutes} minutes. "
        "Even the right code is refused until then."
    )


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


def _credentials(user) -> dict[str, str]:
    return {"username": user.get_username()}


def code_failure_count(*, request, user) -> None:
    """Count a wrong second-factor code of `user` as a failed sign-in attempt.

    At the limit axes locks the username, writes the lockout to the audit trail (its
    `user_locked_out` signal) and marks the request, so AxesMiddleware answers with the
    lockout page instead of the form.
    """
    from axes.handlers.proxy import AxesProxyHandler

    if request is not None:
        AxesProxyHandler.user_login_failed(sender=code_failure_count, credentials=_credentials(user), request=request)


def code_refuse_while_locked(*, request, user) -> None:
    """Raise ValidationError(locked_message()) when `user` is locked out; else do nothing.

    Called before a code is checked, so that the right code is refused too. The refused
    attempt counts as another failure, as a password during a lockout does (axes then
    prolongs the lockout, audits it and answers with the lockout page).
    """
    from axes.handlers.proxy import AxesProxyHandler

    if request is None or not AxesProxyHandler.is_locked(request, _credentials(user)):
        return
    request.axes_locked_out = True
    AxesProxyHandler.user_login_failed(sender=code_refuse_while_locked, credentials=_credentials(user), request=request)
    raise ValidationError(locked_message())


def lockout_clear(*, username: str) -> int:
    """Lift a lockout of `username` (a manager set a new password or reset the second factor).

    Returns the number of attempt records removed.
    """
    from axes.handlers.proxy import AxesProxyHandler

    name = lockout_username(None, {"username": username})
    return AxesProxyHandler.reset_attempts(username=name) if name else 0
