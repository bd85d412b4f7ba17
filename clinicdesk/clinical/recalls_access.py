"""The only way recall pages and endpoints read recalls: capability, restricted records, audit.

- The worklist (clinical.recall.work) shows many patients at once. Like the schedule, one look
  is one audited read that lists the MRNs shown (cut at a whole MRN when long), never names.
  Recalls of restricted records the viewer holds no emergency grant for are left out, counted.
- One recall (for contact, close, or its page) is a read of its patient's record: the
  restricted-record rule applies and the read is audited.
- The encounter or patient a new recall is made from is opened with clinical.note.write.

Each answers Http404 alike for missing and refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.scheduling.calendar_access import audit_detail

from .access import access_encounter
from .models import Encounter, Recall
from .recalls import Worklist, WorklistFilters, recall_worklist


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (ValueError, TypeError, AttributeError) as exc:
        raise Http404 from exc


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
                object_type="recall_worklist",
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
        .filter(public_id=_uuid(public_id))
        .first()
    )
    if recall is None:
        raise Http404
    access_restricted_record(actor=actor, patient_id=recall.patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type="recall",
        object_id=str(recall.public_id),
        patient_id=recall.patient.mrn,
        detail=f"needs {need}",
    )
    return recall


def access_encounter_for_recall(*, actor: User, public_id: Any) -> Encounter:
    """The encounter a follow-up is planned from (clinical.note.write): its patient, provider,
    location and date. Restricted records need emergency access; the read is audited."""
    return access_encounter(actor=actor, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="add follow-up")
