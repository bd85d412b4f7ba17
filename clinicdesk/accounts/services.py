"""Writes for staff accounts, sessions, API tokens and emergency access. Each is audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clinicdesk.audit.models import Action, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Role
from clinicdesk.core.datetimes import datetime_text
from clinicdesk.core.errors import Conflict
from clinicdesk.core.patient_refs import patient_ref_or_refuse

from .lockout import lockout_clear
from .models import ApiToken, EmergencyAccess, RestrictedRecord, StaffSession, User
from .selectors import mfa_enrolled
from .signals import staff_deactivated

TOKEN_PREFIX = "cdk_"


def _only_admin_grants_admin(actor: User | None, role: str) -> None:
    # An office manager runs the office; the system administrator role (which can manage every
    # account) is given only by another administrator, or by the operator at the command line
    # (actor None), who has the server anyway.
    if role == Role.ADMIN and actor is not None and actor.role != Role.ADMIN:
        raise PermissionDenied("Only a system administrator can give the administrator role.")


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    username: str,
    role: str,
    password: str,
    display_name: str = "",
    email: str = "",
    system: str = "",
) -> User:
    """Create an active staff account. Raises ValidationError naming the bad field.

    `actor` None means an operator command; `system` then names it in the audit trail
    (e.g. "system:createstaff"). The password rules apply to everyone.
    """
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the roles in the list."})
    _only_admin_grants_admin(actor, role)
    username = username.strip()
    if not username:
        raise ValidationError({"username": "Enter a username."})
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict({"username": "That username is taken. Choose another."})
    user = User(username=username, role=role, display_name=display_name.strip(), email=email.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor,
        actor_username=system,
        action=Action.CREATE,
        object_type=ObjectType.STAFF,
        object_id=str(user.public_id),
        changed_fields=["username", "role", "display_name", "email", "password"],
        detail=f"role {role}",
    )
    return user


def staff_change_record(*, actor: User, user: User, field: str, detail: str) -> None:
    """Audit one change to a staff account (by a manager, or by its owner when actor is user)."""
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.STAFF,
        object_id=str(user.public_id),
        changed_fields=[field],
        detail=detail,
    )


def credentials_epoch_advance(*, user: User) -> None:
    """Mark `user`'s credentials as changed now: every API token issued until now stops working.

    Called for every password change, whichever way it is made (our services, allauth's
    pages, Django's `changepassword` command), through Django's password-change hook
    (`validators.CredentialsEpoch`), and for second-factor resets and removals. A timestamp
    rather than revoking token rows: a token issued at the same moment in another transaction
    is caught too, and a path that knows nothing about tokens still ends them. The callers
    write the audit event.
    """
    now = clock.now()
    User.objects.filter(pk=user.pk).update(credentials_changed_at=now)
    user.credentials_changed_at = now


def _end_sessions(user: User) -> int:
    """Delete every server-side session of `user`; the next request of each is signed out."""
    keys = list(StaffSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    StaffSession.objects.filter(user=user).delete()
    return len(keys)


@transaction.atomic
def staff_change_role(*, actor: User, user: User, role: str) -> User:
    if role not in Role.values:
        raise ValidationError({"role": "Choose one of the roles in the list."})
    _only_admin_grants_admin(actor, role)
    if user.role == Role.ADMIN:
        _only_admin_grants_admin(actor, Role.ADMIN)
    if user.pk == actor.pk:
        raise ValidationError({"role": "You cannot change your own role; ask another manager."})
    old = user.role
    if old == role:
        return user
    user.role = role
    user.save(update_fields=["role"])
    # A new role means new capabilities: sessions restart so no page keeps the old ones.
    _end_sessions(user)
    staff_change_record(actor=actor, user=user, field="role", detail=f"role {old} -> {role}")
    return user


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    """Deactivate and sign out everywhere at once. API tokens and calendar feeds stop working too
    (`staff_deactivated` tells the apps that hold such things)."""
    if user.pk == actor.pk:
        raise ValidationError({"__all__": "You cannot deactivate your own account."})
    if user.role == Role.ADMIN:
        _only_admin_grants_admin(actor, Role.ADMIN)
    if not user.is_active:
        return user
    user.is_active = False
    user.deactivated_at = clock.now()
    user.save(update_fields=["is_active", "deactivated_at"])
    ended = _end_sessions(user)
    staff_change_record(actor=actor, user=user, field="is_active", detail=f"deactivated; {ended} session(s) ended")
    staff_deactivated.send(sender=User, user=user, actor=actor)
    return user


@transaction.atomic
def staff_reactivate(*, actor: User, user: User) -> User:
    if user.role == Role.ADMIN:
        _only_admin_grants_admin(actor, Role.ADMIN)
    if user.is_active:
        return user
    user.is_active = True
    user.deactivated_at = None
    user.save(update_fields=["is_active", "deactivated_at"])
    staff_change_record(actor=actor, user=user, field="is_active", detail="reactivated")
    return user


@transaction.atomic
def staff_reset_mfa(*, actor: User, user: User) -> User:
    """Remove the person's authenticators (lost phone); they enrol again at next sign-in.

    Their sessions end, their API tokens stop working and a lockout of the account is lifted.
    """
    if user.pk == actor.pk:
        raise ValidationError({"__all__": "Reset your own MFA from My account, not here."})
    if user.role == Role.ADMIN:
        _only_admin_grants_admin(actor, Role.ADMIN)
    removed, _ = Authenticator.objects.filter(user=user).delete()
    _end_sessions(user)
    lockout_clear(username=user.username)
    credentials_epoch_advance(user=user)
    staff_change_record(actor=actor, user=user, field="mfa", detail=f"MFA reset; {removed} authenticator(s) removed")
    return user


@transaction.atomic
def staff_set_password(*, actor: User, user: User, password: str) -> User:
    """Set a temporary password for someone who forgot theirs.

    Their sessions end, their API tokens stop working and a lockout of the account is lifted.
    """
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_sessions(user)
    lockout_clear(username=user.username)
    staff_change_record(actor=actor, user=user, field="password", detail="password set by manager")
    return user


# --- sessions ---------------------------------------------------------------------------


def session_started(*, user: User, session_key: str, ip: str, user_agent: str) -> None:
    StaffSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "started_at": clock.now(), "ip": ip, "user_agent": user_agent},
    )


def session_ended(*, session_key: str | None) -> None:
    if session_key:
        StaffSession.objects.filter(session_key=session_key).delete()


# --- API tokens ---------------------------------------------------------------------------


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, actor: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a token for `actor`. Returns the row and the secret, which is never stored.

    While MFA is required, `actor` must be enrolled: the API would refuse the token anyway.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name, e.g. the program that will use it."})
    if not 1 <= days <= settings.CLINICDESK_API_TOKEN_MAX_DAYS:
        raise ValidationError({"days": f"A token lasts from 1 to {settings.CLINICDESK_API_TOKEN_MAX_DAYS} days."})
    if settings.CLINICDESK_MFA_REQUIRED and not mfa_enrolled(user=actor):
        raise ValidationError({"__all__": "Set up two-factor sign-in first: the API accepts no token before that."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor,
        name=name[:100],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=token_digest(secret),
        expires_at=clock.now() + timedelta(days=days),
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.API_TOKEN,
        object_id=str(token.public_id),
        changed_fields=["name", "expires_at"],
        detail=f"expires in {days} days",
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.API_TOKEN,
            object_id=str(token.public_id),
            changed_fields=["revoked_at"],
            detail="revoked",
        )
    return token


class TokenRefused(Exception):
    """A known API token that may not be used now. `status` 401 or 403, `detail` says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _token_refusal(token: ApiToken, now) -> tuple[str, int, str] | None:
    """(audit reason, status, plain-English detail) when `token` may not be used at `now`."""
    ended = token.ended_because(now)
    if ended == "revoked":
        return "revoked", 401, "This token was revoked. Create a new one under My account."
    if ended == "expired":
        return (
            "expired",
            401,
            f"This token expired on {datetime_text(token.expires_at)}. Create a new one under My account.",
        )
    if ended == "deactivated":
        return "account deactivated", 401, "This token's owner is deactivated, so the token no longer works."
    if ended == "credentials":
        return (
            "issued before the owner's last password or two-factor change",
            401,
            "This token was issued before its owner's password or two-factor sign-in last changed, "
            "so it no longer works. Create a new one under My account.",
        )
    if settings.CLINICDESK_MFA_REQUIRED and not mfa_enrolled(user=token.user):
        return (
            "owner has not set up two-factor sign-in",
            403,
            "This token's owner must set up two-factor sign-in before the API accepts it.",
        )
    return None


def api_token_authenticate(*, secret: str) -> User | None:
    """The owner of a usable token; None for a secret that is no token of ours.

    Raises TokenRefused for a known token that may not be used (revoked, expired, owner
    deactivated, issued before the owner's last password or second-factor change, or owner not
    enrolled while MFA is required); each refusal is audited.
    """
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=token_digest(secret)).first()
    if token is None:
        return None
    now = clock.now()
    refusal = _token_refusal(token, now)
    if refusal is not None:
        why, status, detail = refusal
        audit_record(
            actor=None,
            actor_username=token.user.username,
            action=Action.LOGIN_FAILED,
            object_type=ObjectType.API_TOKEN,
            object_id=str(token.public_id),
            outcome=Outcome.DENIED,
            detail=f"API token refused: {why}",
        )
        raise TokenRefused(status, detail)
    # Touch at most once a minute so a busy client does not write on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# --- emergency access ---------------------------------------------------------------------


@transaction.atomic
def record_restrict(*, actor: User, patient_id: str, note: str = "") -> RestrictedRecord:
    """Flag the record `patient_id` names (MRN or public id) restricted; returns the flag.

    The flag is keyed by the MRN the chart opens (for a merged record's old MRN, the
    survivor's), since that is what every access check reads. Raises ValidationError (field
    `patient`) naming the identifier when it names no patient: restricting nothing silently
    would leave a record open that someone believes is protected. Already restricted: the
    existing flag, nothing written.
    """
    mrn = patient_ref_or_refuse(patient_id).current_mrn
    record, created = RestrictedRecord.objects.get_or_create(
        patient_id=mrn, defaults={"flagged_by": actor, "note": note[:200]}
    )
    if created:
        _audit_restriction(actor, mrn, "flagged restricted")
    return record


@transaction.atomic
def record_unrestrict(*, actor: User, patient_id: str) -> None:
    """Lift the restriction of the record `patient_id` names (MRN or public id).

    Raises ValidationError (field `patient`) when it names no patient; a record that is not
    restricted is left as it is (nothing written).
    """
    mrn = patient_ref_or_refuse(patient_id).current_mrn
    deleted, _ = RestrictedRecord.objects.filter(patient_id=mrn).delete()
    if deleted:
        _audit_restriction(actor, mrn, "restriction lifted")


def _audit_restriction(actor: User, patient_id: str, what: str) -> None:
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT,
        object_id=patient_id,
        patient_id=patient_id,
        changed_fields=["restricted"],
        detail=what,
    )


@transaction.atomic
def emergency_access_grant(*, actor: User, patient_id: str, reason: str) -> EmergencyAccess:
    """Open a restricted record for `CLINICDESK_EMERGENCY_ACCESS` on a typed reason.

    `patient_id` is an MRN or public id; the grant is keyed by the MRN the chart opens. Raises
    ValidationError naming the field: `reason` too short, `patient` naming no patient (a grant
    for nothing would open nothing).
    """
    reason = " ".join(reason.split())
    if len(reason) < 10:
        raise ValidationError({"reason": "Say in a sentence why you need this record now (10 characters or more)."})
    patient_id = patient_ref_or_refuse(patient_id).current_mrn
    now = clock.now()
    grant = EmergencyAccess.objects.create(
        user=actor,
        patient_id=patient_id,
        reason=reason[:500],
        granted_at=now,
        expires_at=now + settings.CLINICDESK_EMERGENCY_ACCESS,
    )
    audit_record(
        actor=actor,
        action=Action.EMERGENCY_ACCESS,
        object_type=ObjectType.PATIENT,
        object_id=patient_id,
        patient_id=patient_id,
        reason=reason,
        detail=f"grant {grant.public_id}",
    )
    return grant


@transaction.atomic
def emergency_access_review(*, actor: User, grant: EmergencyAccess, comment: str) -> EmergencyAccess:
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": 'Write what you found, e.g. "Covering physician, appropriate."'})
    if grant.user_id == actor.pk:
        raise ValidationError({"comment": "Someone else must review your own emergency access."})
    if grant.reviewed_at is not None:
        raise ValidationError({"comment": "This access was already reviewed."})
    grant.reviewed_by = actor
    grant.reviewed_at = clock.now()
    grant.review_comment = comment[:1000]
    grant.save(update_fields=["reviewed_by", "reviewed_at", "review_comment"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.EMERGENCY_ACCESS,
        object_id=str(grant.public_id),
        patient_id=grant.patient_id,
        changed_fields=["reviewed_at", "review_comment"],
        detail="reviewed",
    )
    return grant
