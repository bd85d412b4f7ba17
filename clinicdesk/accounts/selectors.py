from __future__ import annotations

from django.db.models import QuerySet

from clinicdesk.core import clock

from .models import ApiToken, EmergencyAccess, RestrictedRecord, StaffSession, User


def staff_list(*, include_inactive: bool = True) -> QuerySet[User]:
    qs = User.objects.all().order_by("-is_active", "username")
    return qs if include_inactive else qs.filter(is_active=True)


def record_is_restricted(*, patient_id: str) -> bool:
    return RestrictedRecord.objects.filter(patient_id=patient_id).exists()


def records_restricted_for(*, user: User | None, now=None) -> list[str]:
    """The MRNs of restricted records `user` holds no live grant for (every one when `user` is None).

    One query, however many records there are; lists use it to mask rows (patients/display.py).
    """
    restricted = RestrictedRecord.objects.all()
    if user is not None:
        live = EmergencyAccess.objects.filter(user=user, expires_at__gt=now or clock.now())
        restricted = restricted.exclude(patient_id__in=live.values("patient_id"))
    return list(restricted.values_list("patient_id", flat=True))


def emergency_access_active(*, user: User, patient_id: str, now=None) -> EmergencyAccess | None:
    """The grant that lets `user` open `patient_id` now, or None."""
    now = now or clock.now()
    return (
        EmergencyAccess.objects.filter(user=user, patient_id=patient_id, expires_at__gt=now)
        .order_by("-expires_at")
        .first()
    )


def emergency_access_pending() -> QuerySet[EmergencyAccess]:
    return EmergencyAccess.objects.filter(reviewed_at__isnull=True).select_related("user").order_by("granted_at")


def emergency_access_reviewed(*, limit: int = 50) -> QuerySet[EmergencyAccess]:
    return (
        EmergencyAccess.objects.filter(reviewed_at__isnull=False)
        .select_related("user", "reviewed_by")
        .order_by("-reviewed_at")[:limit]
    )


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("user").order_by("-created_at")


def mfa_enrolled(*, user: User) -> bool:
    """True when `user` has a TOTP authenticator (recovery codes alone do not count).

    The one definition of "enrolled" for the sign-in pages, the API tokens and the staff page.
    """
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def staff_security_summary(*, user: User) -> dict:
    """What the staff page shows about a person's sign-in: MFA enrolled, live sessions."""
    return {
        "has_mfa": mfa_enrolled(user=user),
        "session_count": StaffSession.objects.filter(user=user).count(),
    }
