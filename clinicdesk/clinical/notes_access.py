"""The only way note pages and endpoints fetch a visit note, its addenda or an amendment request.

Each function checks the capability, answers Http404 alike for "missing" and "not yours",
enforces the restricted-record rule (EmergencyAccessRequired without a live emergency grant),
and writes the read to the audit trail. Note text is never in an audit event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.models import Patient

from .models import Addendum, AmendmentRequest, Encounter, NoteStatus, VisitNote

_NOTE_NEEDS = (Cap.CLINICAL_NOTE_READ, Cap.CLINICAL_NOTE_WRITE, Cap.CLINICAL_NOTE_SIGN)


@dataclass
class NoteAccess:
    """An encounter and its note (None before anyone started it)."""

    encounter: Encounter
    note: VisitNote | None


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise Http404 from exc


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
        .filter(public_id=_uuid(encounter_public_id))
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
        object_type="visit_note" if note is not None else "encounter",
        object_id=str(note.public_id if note is not None else encounter.public_id),
        patient_id=encounter.patient.mrn,
        detail=f"needs {need} encounter={encounter.public_id}",
    )
    return NoteAccess(encounter=encounter, note=note)


def note_addenda(*, note: VisitNote) -> list[Addendum]:
    """The addenda of a note already opened through `access_note` (its read is that audit), oldest first."""
    addenda = list(Addendum.objects.filter(note=note).select_related("author", "amendment_request"))
    for addendum in addenda:
        addendum.note = note
    return addenda


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
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if request is None:
        raise Http404
    access_restricted_record(actor=actor, patient_id=request.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type="amendment_request",
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
        object_type="amendment_request",
        object_id="",
        patient_id=patient.mrn,
        detail=f"list of {len(requests)}",
    )
    return requests


def signed_notes_of(*, patient: Patient) -> list[VisitNote]:
    """The patient's signed notes (date, provider, reason: no text), newest first, for choosing one.

    The caller opened the patient through access_patient; this reads references only.
    """
    return list(
        VisitNote.objects.filter(encounter__patient=patient, status=NoteStatus.SIGNED)
        .select_related("encounter__provider__user", "encounter__location")
        .defer("subjective", "objective", "assessment", "plan")
        .order_by("-encounter__date_of_service", "-signed_at")
    )


def note_of_patient(*, patient: Patient, public_id: Any) -> VisitNote | None:
    """The patient's signed note `public_id`, or None (another patient's note, a draft, nonsense)."""
    try:
        wanted = _uuid(public_id)
    except Http404:
        return None
    return next((n for n in signed_notes_of(patient=patient) if n.public_id == wanted), None)
