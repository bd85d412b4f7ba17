"""The only way clinical views and endpoints fetch a clinical record: one function per kind.

Each `access_*` checks the capability, answers Http404 alike for a missing record and a refused
one, enforces the restricted-record rule (EmergencyAccessRequired for a restricted patient
without a live grant; the middleware and the API turn it into the emergency-access form or a
problem), and writes the read to the audit trail before returning. Note text is never in an
audit event. Reads that need no check (the caller already opened the patient or the note)
live in selectors.py with `_unchecked` in their names.

Two levels of reading an encounter:

- existence (clinical.encounter.read: front desk, billers, the office manager): that a visit
  happened, its date, provider, location and status. Not the reason for visit: it often says
  what is wrong with the patient ("chest pain"), so it is clinical text.
- full (clinical.note.read: clinicians and nurses): everything, with the vitals.

Recalls: the worklist (clinical.recall.work) shows many patients at once; like the schedule,
one look is one audited read listing the MRNs shown, never names. One recall is a read of its
patient's record.

Lists (problems, diagnoses, medications, prescriptions, allergies): one audited read naming
the patient, written by `access_patient` with the list as its purpose. Problems and encounter
diagnoses need clinical.codes.read (billers too: codes, not narrative); medications,
prescriptions and allergies clinical.note.read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.lookups import uuid_or_404
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.calendar_access import audit_detail
from clinicdesk.scheduling.models import Provider

from .models import (
    Allergy,
    AmendmentRequest,
    Encounter,
    Medication,
    Prescription,
    Problem,
    Recall,
    VisitNote,
    Vitals,
)
from .recalls import Worklist, WorklistFilters, recall_worklist
from .selectors import TodayLine, today_visits

_NOTE_NEEDS = (Cap.CLINICAL_NOTE_READ, Cap.CLINICAL_NOTE_WRITE, Cap.CLINICAL_NOTE_SIGN)


def reads_clinical_detail(actor: User) -> bool:
    """True when `actor` may see an encounter in full (reason, vitals, note), not just that it exists."""
    return role_can(actor.role, Cap.CLINICAL_NOTE_READ)


def access_encounter(
    *, actor: User, public_id: Any, need: str = Cap.CLINICAL_ENCOUNTER_READ, purpose: str = ""
) -> Encounter:
    """The encounter `public_id` if `actor` may `need` it; Http404 alike for missing and refused.

    With clinical.encounter.read the caller shows existence-level fields only unless
    `reads_clinical_detail(actor)`; pass need=clinical.note.read (or .write) to require more.
    """
    if not role_can(actor.role, need):
        raise Http404
    try:
        encounter = Encounter.objects.select_related(
            "patient", "provider__user", "location", "appointment__appointment_type", "opened_by"
        ).get(public_id=public_id)
    except (Encounter.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    access_restricted_record(actor=actor, patient_id=encounter.patient.mrn)
    level = "full" if reads_clinical_detail(actor) else "existence"
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.ENCOUNTER,
        object_id=str(encounter.public_id),
        patient_id=encounter.patient.mrn,
        reason=purpose,
        detail=f"needs {need}; level={level}",
    )
    return encounter


def access_vitals(*, actor: User, public_id: Any, need: str = Cap.CLINICAL_NOTE_WRITE) -> Vitals:
    """One vitals entry (to mark it in error), if `actor` may `need` it; Http404 alike otherwise.

    Restricted records need emergency access; the read is audited like every other.
    """
    if not role_can(actor.role, need):
        raise Http404
    try:
        vitals = Vitals.objects.select_related("patient", "encounter").get(public_id=public_id)
    except (Vitals.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    access_restricted_record(actor=actor, patient_id=vitals.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.VITALS,
        object_id=str(vitals.public_id),
        patient_id=vitals.patient.mrn,
        detail=f"needs {need}",
    )
    return vitals


def access_today_visits(*, actor: User, provider: Provider) -> list[TodayLine]:
    """The provider's patients in the building today (selectors.today_visits), for someone who
    documents visits; audited as one read naming the patients shown (none shown: no event)."""
    if not role_can(actor.role, Cap.CLINICAL_NOTE_WRITE):
        raise Http404
    lines = today_visits(provider=provider)
    if lines:
        mrns = ",".join(line.appointment.patient.mrn for line in lines)
        day = lines[0].local_start.date().isoformat()
        audit_record(
            actor=actor,
            action=Action.READ,
            object_type=ObjectType.CLINICAL_TODAY,
            object_id=f"{provider.public_id}/{day}",
            detail=f"patients={len(lines)}; results={mrns}"[:500],
        )
    return lines


# --- Notes, addenda and amendment requests ---------------------------------------------------


@dataclass
class NoteAccess:
    """An encounter and its note (None before anyone started it)."""

    encounter: Encounter
    note: VisitNote | None


def access_note(*, actor: User, encounter_public_id: Any, need: str = Cap.CLINICAL_NOTE_READ) -> NoteAccess:
    """The encounter `encounter_public_id` and its note, if `actor` may `need` them.

    `need` is one of the note capabilities (reading note text always comes with them); the
    read is audited as a read of the note (or of the encounter, while it has no note). Raises
    Http404 for a missing encounter and a refused one alike; EmergencyAccessRequired for a
    restricted patient without a live grant.
    """
    if need not in _NOTE_NEEDS or not role_can(actor.role, need) or not role_can(actor.role, Cap.CLINICAL_NOTE_READ):
        raise Http404
    encounter = (
        Encounter.objects.select_related("patient", "provider__user", "location", "appointment__appointment_type")
        .filter(public_id=uuid_or_404(encounter_public_id))
        .first()
    )
    if encounter is None:
        raise Http404
    access_restricted_record(actor=actor, patient_id=encounter.patient.mrn)
    note = (
        VisitNote.objects.select_related("author", "last_edited_by", "signed_by", "cosigned_by")
        .filter(encounter=encounter)
        .first()
    )
    if note is not None:
        note.encounter = encounter
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.VISIT_NOTE if note is not None else ObjectType.ENCOUNTER,
        object_id=str(note.public_id if note is not None else encounter.public_id),
        patient_id=encounter.patient.mrn,
        detail=f"needs {need} encounter={encounter.public_id}",
    )
    return NoteAccess(encounter=encounter, note=note)


def access_amendment_request(
    *, actor: User, public_id: Any, need: str = Cap.CLINICAL_AMENDMENT_MANAGE
) -> AmendmentRequest:
    """The amendment request `public_id` if `actor` may `need` it (Http404 alike otherwise); audited."""
    if not role_can(actor.role, need) or not role_can(actor.role, Cap.CLINICAL_AMENDMENT_MANAGE):
        raise Http404
    request = (
        AmendmentRequest.objects.select_related(
            "patient", "note__encounter__provider__user", "note__encounter__location", "recorded_by", "decided_by"
        )
        .filter(public_id=uuid_or_404(public_id))
        .first()
    )
    if request is None:
        raise Http404
    access_restricted_record(actor=actor, patient_id=request.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.AMENDMENT_REQUEST,
        object_id=str(request.public_id),
        patient_id=request.patient.mrn,
        detail=f"needs {need}",
    )
    return request


def access_amendment_requests(*, actor: User, patient: Patient) -> list[AmendmentRequest]:
    """The patient's amendment requests, newest received first (the patient came from access_patient).

    Raises Http404 without clinical.amendment.manage. The list read is audited once.
    """
    if not role_can(actor.role, Cap.CLINICAL_AMENDMENT_MANAGE):
        raise Http404
    requests = list(
        AmendmentRequest.objects.filter(patient=patient)
        .select_related("note__encounter__provider__user", "recorded_by", "decided_by", "addendum")
        .order_by("-received_on", "-recorded_at")
    )
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.AMENDMENT_REQUEST,
        object_id="",
        patient_id=patient.mrn,
        detail=f"list of {len(requests)}",
    )
    return requests


# --- Recalls --------------------------------------------------------------------------------


def _may_work(actor: User, need: str) -> bool:
    # The worklist shows names and phone numbers: demographics too, whatever `need` is.
    return role_can(actor.role, need) and role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ)


def access_recall_worklist(
    *, actor: User, filters: WorklistFilters, page: int = 1, today: date | None = None
) -> Worklist:
    """One page of the worklist for `actor`, audited as one read listing the MRNs shown.

    Http404 without clinical.recall.work (or without demographics: names are shown).
    """
    if not _may_work(actor, Cap.CLINICAL_RECALL_WORK):
        raise Http404
    with transaction.atomic():
        worklist = recall_worklist(actor=actor, filters=filters, today=today, page=page)
        mrns = worklist.patient_mrns
        if mrns:
            audit_record(
                actor=actor,
                action=Action.READ,
                object_type=ObjectType.RECALL_WORKLIST,
                object_id=filters.state,
                detail=audit_detail(f"state={filters.state}; page={worklist.page}", mrns),
            )
    return worklist


def access_recall(*, actor: User, public_id: Any, need: str = Cap.CLINICAL_RECALL_WORK) -> Recall:
    """The recall `public_id` if `actor` may `need` it; Http404 alike for missing and refused.

    Raises EmergencyAccessRequired for a restricted record without a grant. Audited as a read.
    """
    if not _may_work(actor, need):
        raise Http404
    recall = (
        Recall.objects.select_related(
            "patient",
            "appointment_type",
            "provider__user",
            "appointment__location",
            "encounter",
            "contacted_by",
            "closed_by",
            "created_by",
        )
        .filter(public_id=uuid_or_404(public_id))
        .first()
    )
    if recall is None:
        raise Http404
    access_restricted_record(actor=actor, patient_id=recall.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.RECALL,
        object_id=str(recall.public_id),
        patient_id=recall.patient.mrn,
        detail=f"needs {need}",
    )
    return recall


# --- Problems, diagnoses, medications, prescriptions, allergies ------------------------------


def sees_narrative(actor: User) -> bool:
    """True when `actor` may read free text of the lists (a problem's note), not codes only."""
    return role_can(actor.role, Cap.CLINICAL_NOTE_READ)


def access_problem(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Problem:
    """A problem of the patient `mrn` (Http404 when it is another patient's or missing)."""
    patient = access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)
    problem = Problem.objects.filter(patient=patient, public_id=uuid_or_404(public_id)).first()
    if problem is None:
        raise Http404
    problem.patient = patient
    return problem


def access_medication(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Medication:
    patient = access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)
    medication = (
        Medication.objects.filter(patient=patient, public_id=uuid_or_404(public_id))
        .select_related("prescriber__user")
        .first()
    )
    if medication is None:
        raise Http404
    medication.patient = patient
    return medication


def access_prescription(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Prescription:
    patient = access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)
    prescription = (
        Prescription.objects.filter(medication__patient=patient, public_id=uuid_or_404(public_id))
        .select_related("medication", "prescriber__user", "encounter__location")
        .first()
    )
    if prescription is None:
        raise Http404
    prescription.medication.patient = patient
    return prescription


def access_allergy(*, actor: User, mrn: str, public_id: Any, need: str, purpose: str) -> Allergy:
    patient = access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)
    allergy = Allergy.objects.filter(patient=patient, public_id=uuid_or_404(public_id)).first()
    if allergy is None:
        raise Http404
    allergy.patient = patient
    return allergy
