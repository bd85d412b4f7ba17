"""New or established patient: the visit types that are for one kind only, and whether a patient
was seen by the practice in the last three years.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from clinicdesk.core.datetimes import date_text
from clinicdesk.patients.models import Patient

from .models import (
    Appointment,
    AppointmentType,
    PatientKind,
)

# A patient seen by the practice within this many years is established (the usual billing rule).
ESTABLISHED_YEARS = 3
_SEEN = ("checked_out", "completed")


def patient_kind_problem(kind: AppointmentType, patient: Patient, at: datetime, time_zone: str) -> str | None:
    """Why `patient` may not have a `kind` visit at `at` (new-patient types only for patients
    not seen in three years, established ones only for the others); None if they may.

    One query on the (patient, starts_at) index, none for types open to any patient.
    """
    if kind.patient_kind == PatientKind.ANY:
        return None
    last = (
        Appointment.objects.filter(
            patient=patient,
            status__in=_SEEN,
            starts_at__lt=at,
            starts_at__gte=at - timedelta(days=365 * ESTABLISHED_YEARS),
        )
        .order_by("-starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if kind.patient_kind == PatientKind.NEW and last is not None:
        return (
            f"{kind} is for new patients, and this patient was seen on "
            f"{date_text(last, time_zone)}. Book an established-patient visit."
        )
    if kind.patient_kind == PatientKind.ESTABLISHED and last is None:
        return (
            f"{kind} is for established patients, and this patient has no visit in the last "
            f"{ESTABLISHED_YEARS} years. Book a new-patient visit."
        )
    return None
