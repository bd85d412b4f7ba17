"""The only way views and endpoints fetch staff accounts, tokens and emergency grants.

Each function checks the capability and answers Http404 for "missing" and "not yours" alike.
`access_restricted_record` is the gate the patients app calls before opening any record.
"""

from __future__ import annotations

from django.http import Http404

from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.lookups import uuid_or_404

from .models import ApiToken, EmergencyAccess, User
from .selectors import emergency_access_active, record_is_restricted


class EmergencyAccessRequired(Exception):
    """The record is restricted and the person holds no live emergency grant for it."""

    def __init__(self, patient_id: str):
        super().__init__(patient_id)
        self.patient_id = patient_id


def access_staff(*, actor: User, public_id: str, need: str = Cap.STAFF_MANAGE) -> User:
    if not role_can(actor.role, need):
        raise Http404
    try:
        return User.objects.get(public_id=uuid_or_404(public_id))
    except User.DoesNotExist as exc:
        raise Http404 from exc


def access_api_token(*, actor: User, public_id: str) -> ApiToken:
    """A person reaches only their own tokens."""
    try:
        return ApiToken.objects.get(public_id=uuid_or_404(public_id), user=actor)
    except ApiToken.DoesNotExist as exc:
        raise Http404 from exc


def access_emergency_grant(*, actor: User, public_id: str, need: str = Cap.EMERGENCY_REVIEW) -> EmergencyAccess:
    if not role_can(actor.role, need):
        raise Http404
    try:
        return EmergencyAccess.objects.select_related("user").get(public_id=uuid_or_404(public_id))
    except EmergencyAccess.DoesNotExist as exc:
        raise Http404 from exc


def access_restricted_record(*, actor: User, patient_id: str) -> None:
    """Raise EmergencyAccessRequired when `patient_id` is restricted and `actor` has no grant.

    Callers catch it and send the person to the break-the-glass form. Unrestricted records
    pass straight through.
    """
    if (
        record_is_restricted(patient_id=patient_id)
        and emergency_access_active(user=actor, patient_id=patient_id) is None
    ):
        raise EmergencyAccessRequired(patient_id)
