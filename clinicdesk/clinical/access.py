"""The only way views and endpoints fetch encounters and vitals: capability, restriction, audit.

Two levels of reading an encounter:

- existence (clinical.encounter.read: front desk, billers, the office manager): that a visit
  happened, its date, provider, location and status. Not the reason for visit: it often says
  what is wrong with the patient ("chest pain"), so it is clinical text.
- full (clinical.note.read: clinicians and nurses): everything, with the vitals.

Each answers Http404 alike for a missing record and a refused one, raises
EmergencyAccessRequired for a restricted patient without a live grant, and writes the read to
the audit trail (with the level read) before returning.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.models import Patient
from clinicdesk.scheduling.models import Provider

from .models import Encounter, Vitals
from .selectors import TodayLine, today_visits


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
        object_type="encounter",
        object_id=str(encounter.public_id),
        patient_id=encounter.patient.mrn,
        reason=purpose,
        detail=f"needs {need}; level={level}",
    )
    return encounter


def access_vitals(*, actor: User, public_id: Any, need: str = Cap.CLINICAL_NOTE_WRITE) -> Vitals:
    """One vitals entry (to mark it in error), if `actor` may `need` it; Http404 alike otherwise.

    Not audited as a read: it is fetched for a change, which writes its own event.
    """
    if not role_can(actor.role, need):
        raise Http404
    try:
        vitals = Vitals.objects.select_related("patient", "encounter").get(public_id=public_id)
    except (Vitals.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
    access_restricted_record(actor=actor, patient_id=vitals.patient.mrn)
    return vitals


def access_patient_for_clinical(*, actor: User, mrn: str, need: str, purpose: str) -> Patient:
    """The patient `mrn` for a clinical list or write (audited read of the patient record).

    `need` is the clinical capability of the list (clinical.encounter.read for the list of
    visits, clinical.note.read for vitals, clinical.note.write to record).
    """
    if not role_can(actor.role, need):
        raise Http404
    return access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose)


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
            object_type="clinical_today",
            object_id=f"{provider.public_id}/{day}",
            detail=f"patients={len(lines)}; results={mrns}"[:500],
        )
    return lines
