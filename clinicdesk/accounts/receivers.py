"""Sign-in, sign-out, failed sign-in and lockout go to the audit trail."""

from __future__ import annotations

from allauth.account.signals import password_changed, password_set
from allauth.mfa.signals import authentication_failed, authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from clinicdesk.audit.models import Action, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.request_context import current_origin

from .lockout import code_failure_count
from .services import credentials_epoch_advance, session_ended, session_started, staff_change_record

SESSION_STARTED_KEY = "cd_started"


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    if request.session.session_key is None:
        request.session.save()
    request.session[SESSION_STARTED_KEY] = clock.now().timestamp()
    origin = current_origin()
    session_started(user=user, session_key=request.session.session_key, ip=origin.ip, user_agent=origin.user_agent)
    audit_record(actor=user, action=Action.LOGIN, object_type=ObjectType.SESSION)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs) -> None:
    if request is not None:
        session_ended(session_key=request.session.session_key)
    if user is not None:
        audit_record(actor=user, action=Action.LOGOUT, object_type=ObjectType.SESSION)


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    username = str(credentials.get("username") or credentials.get("login") or "")[:150]
    audit_record(
        actor=None,
        actor_username=username,
        action=Action.LOGIN_FAILED,
        object_type=ObjectType.SESSION,
        outcome=Outcome.FAILURE,
        detail="wrong username or password",
    )


@receiver(user_locked_out)
def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    audit_record(
        actor=None,
        actor_username=(username or "")[:150],
        action=Action.LOGIN_FAILED,
        object_type=ObjectType.SESSION,
        outcome=Outcome.DENIED,
        detail="locked out after repeated failures",
    )


@receiver(authentication_failed)
def on_mfa_failed(sender, request, user, reauthentication=False, **kwargs) -> None:
    """A wrong TOTP or recovery code: audited, and counted towards the lockout like a password."""
    audit_record(
        actor=None,
        actor_username=user.get_username(),
        action=Action.LOGIN_FAILED,
        object_type=ObjectType.MFA,
        outcome=Outcome.FAILURE,
        detail="wrong MFA code" + (" (asked again before a change)" if reauthentication else ""),
    )
    code_failure_count(request=request, user=user)


def _mfa_changed(user, what: str) -> None:
    staff_change_record(actor=user, user=user, field="mfa", detail=what)


@receiver(authenticator_added)
def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    _mfa_changed(user, f"{authenticator.type} added")


@receiver(authenticator_removed)
def on_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    # Switching a second factor off (possible only while MFA is not required) ends the
    # person's API tokens, as a reset by the office manager does.
    credentials_epoch_advance(user=user)
    _mfa_changed(user, f"{authenticator.type} removed")


@receiver(authenticator_reset)
def on_authenticator_reset(sender, request, user, authenticator, **kwargs) -> None:
    _mfa_changed(user, f"{authenticator.type} regenerated")


# The API tokens of a person who changes their password stop working through Django's
# password-change hook (validators.CredentialsEpoch), as every other password change does.
@receiver(password_changed)
def on_password_changed(sender, request, user, **kwargs) -> None:
    staff_change_record(actor=user, user=user, field="password", detail="password changed by its owner")


@receiver(password_set)
def on_password_set(sender, request, user, **kwargs) -> None:
    staff_change_record(actor=user, user=user, field="password", detail="password set by its owner")
