"""Scheduling's part of a patient merge: the duplicate's appointments, series and waitlist entries move.

Registered with the patients app's merge (`merge_step_register`), so merging two records never
leaves an appointment pointing at the merged one (the merge's safety net would refuse). A
patient is never in two places at once, so when both records hold overlapping appointments the
merge is refused with the list of clashes, for the office manager to cancel one of each first.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import ObjectType
from clinicdesk.core.datetimes import datetime_text
from clinicdesk.patients.merge import merge_step_move, merge_step_register
from clinicdesk.patients.models import Patient

from .models import HOLDING_STATUSES, Appointment, AppointmentSeries, WaitlistEntry


def _clashes(survivor: Patient, merged: Patient) -> list[str]:
    theirs = Appointment.objects.filter(patient=merged, status__in=HOLDING_STATUSES).select_related("location")
    mine = list(Appointment.objects.filter(patient=survivor, status__in=HOLDING_STATUSES).select_related("location"))
    clashes = []
    for other in theirs:
        for own in mine:
            if other.block_start < own.block_end and own.block_start < other.block_end:
                local = other.starts_at.astimezone(ZoneInfo(other.location.time_zone))
                clashes.append(f"{datetime_text(local, local.tzinfo)} at {other.location.name}")
    return clashes


_move_appointments = merge_step_move(Appointment, audit_as=ObjectType.APPOINTMENT)


def _appointments(*, survivor: Patient, merged: Patient, actor: User) -> int:
    clashes = _clashes(survivor, merged)
    if clashes:
        raise ValidationError(
            "Both records have appointments at the same time: "
            + "; ".join(clashes)
            + ". Cancel one of each pair, then merge again."
        )
    return _move_appointments(survivor=survivor, merged=merged, actor=actor)


merge_step_register("appointments", _appointments, covers=[(Appointment, "patient")])
merge_step_register(
    "appointment series",
    merge_step_move(AppointmentSeries, audit_as=ObjectType.APPOINTMENT_SERIES),
    covers=[(AppointmentSeries, "patient")],
)
merge_step_register(
    "waitlist", merge_step_move(WaitlistEntry, audit_as=ObjectType.WAITLIST_ENTRY), covers=[(WaitlistEntry, "patient")]
)
