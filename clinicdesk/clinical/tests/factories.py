"""Shared setup for the clinical tests: a clinic with a provider, a patient, an encounter."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from clinicdesk.clinical.models import Encounter
from clinicdesk.scheduling.tests.factories import make_patient, make_practice


def make_clinic(office_manager, clinician_user, front_desk_user=None):
    """make_practice's clinic (location, rooms, provider for `clinician_user`, kind, video) and a patient."""
    practice = make_practice(office_manager, clinician_user)
    return SimpleNamespace(**vars(practice), patient=make_patient(front_desk_user or office_manager))


def make_encounter(actor, clinic, *, day: date | None = None, reason: str = "Cough", appointment=None) -> Encounter:
    """An Encounter row written straight with the ORM (unscheduled unless `appointment` is given)."""
    return Encounter.objects.create(
        patient=clinic.patient if appointment is None else appointment.patient,
        provider=clinic.provider,
        location=clinic.location,
        date_of_service=day or date(2026, 3, 2),
        reason=reason,
        appointment=appointment,
        unscheduled_reason="" if appointment is not None else "Walk-in",
        opened_by=actor,
    )
