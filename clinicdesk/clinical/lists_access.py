"""The only way list pages and endpoints open a patient's problems, diagnoses, medications,
prescriptions and allergies.

Each function checks the capability, answers Http404 alike for a missing record and a refused
one, enforces the restricted-record rule (EmergencyAccessRequired), and writes exactly one
audited read naming the patient: `access_patient` writes it, with the list opened as its
purpose ("problem list"), so the access report shows what was looked at.

Who reads what (the minimum-necessary rule):
- problems and encounter diagnoses: CLINICAL_CODES_READ (billers too: codes, descriptions,
  dates, status). The free-text note of a problem needs CLINICAL_NOTE_READ (`sees_narrative`).
- medications, prescriptions, allergies: CLINICAL_NOTE_READ.
- the front desk holds none of these and is refused every list.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404

from clinicdesk.accounts.models import User
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.models import Patient

from .access import access_encounter
from .models import Allergy, Encounter, Medication, Prescription, Problem


def sees_narrative(actor: User) -> bool:
    """True when `actor` may read free text of the lists (a problem's note), not codes only."""
    return role_can(actor.role, Cap.CLINICAL_NOTE_READ)


def access_patient_list(*, actor: User, mrn: str, need: str, purpose: str) -> Patient:
    """The patient, for reading or changing one of their lists; one audited read (`purpose`)."""
    return access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Http404 from exc


def access_problem(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Problem:
    """A problem of the patient `mrn` (Http404 when it is another patient's or missing)."""
    patient = access_patient_list(actor=actor, mrn=mrn, need=need, purpose=purpose)
    problem = Problem.objects.filter(patient=patient, public_id=_uuid(public_id)).first()
    if problem is None:
        raise Http404
    problem.patient = patient
    return problem


def access_medication(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Medication:
    patient = access_patient_list(actor=actor, mrn=mrn, need=need, purpose=purpose)
    medication = (
        Medication.objects.filter(patient=patient, public_id=_uuid(public_id))
        .select_related("prescriber__user")
        .first()
    )
    if medication is None:
        raise Http404
    medication.patient = patient
    return medication


def access_prescription(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Prescription:
    patient = access_patient_list(actor=actor, mrn=mrn, need=need, purpose=purpose)
    prescription = (
        Prescription.objects.filter(medication__patient=patient, public_id=_uuid(public_id))
        .select_related("medication", "prescriber__user", "encounter__location")
        .first()
    )
    if prescription is None:
        raise Http404
    prescription.medication.patient = patient
    return prescription


def access_allergy(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Allergy:
    patient = access_patient_list(actor=actor, mrn=mrn, need=need, purpose=purpose)
    allergy = Allergy.objects.filter(patient=patient, public_id=_uuid(public_id)).first()
    if allergy is None:
        raise Http404
    allergy.patient = patient
    return allergy


def access_encounter_codes(*, actor: User, public_id: Any, need: str, purpose: str = "diagnoses") -> Encounter:
    """The encounter `public_id` for its diagnoses: capability, restricted record, one audited read.

    Opens codes only; what the note says is the notes' own access function's business.
    """
    return access_encounter(actor=actor, public_id=public_id, need=need, purpose=purpose)
