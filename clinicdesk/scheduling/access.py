"""The only way views and endpoints fetch an appointment: capability, restriction, audit."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can

from .feeds import feed_may_manage
from .models import Appointment, CalendarFeed


def access_appointment(*, actor: User, public_id: Any, need: str = Cap.SCHEDULE_READ) -> Appointment:
    """The appointment `public_id` if `actor` may `need` it; Http404 alike for missing and refused.

    An appointment names its patient, so opening one is a read of that patient's record: the
    restricted-record rule applies and the read is audited.
    """
    if not role_can(actor.role, need):
        raise Http404
    try:
        appointment = Appointment.objects.select_related(
            "patient", "provider__user", "location", "room", "appointment_type", "cancelled_by", "confirmed_by"
        ).get(public_id=public_id)
    except (Appointment.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    access_restricted_record(actor=actor, patient_id=appointment.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.APPOINTMENT,
        object_id=str(appointment.public_id),
        patient_id=appointment.patient.mrn,
        detail=f"needs {need}",
    )
    return appointment


def access_calendar_feed(*, actor: User, public_id: Any) -> CalendarFeed:
    """The calendar feed `public_id` if `actor` manages its provider's feeds (the office manager
    every provider's, a provider their own); Http404 alike for missing, malformed and refused.

    A feed names no patient, so fetching one is not a read of a record and is not audited; the
    revocation it is fetched for writes its own event.
    """
    try:
        feed = CalendarFeed.objects.select_related("provider__user").get(public_id=public_id)
    except (CalendarFeed.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    if not feed_may_manage(actor, feed.provider):
        raise Http404
    return feed
