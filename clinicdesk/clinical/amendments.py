"""Amendment requests (HIPAA 164.526): a patient asks to change a signed note; the practice accepts
(an addendum written under the request) or denies (with the reason) within 60 days.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient

from .models import (
    Addendum,
    AmendmentRequest,
    AmendmentStatus,
    VisitNote,
)
from .notes import (
    ADDENDUM_MAX,
    AMENDMENT_DUE_DAYS,
    AMENDMENT_TEXT_MAX,
    addendum_write,
    clean_text,
    locked_note,
    require_capability,
)


def amendment_due_on(request: AmendmentRequest) -> date:
    """The day the practice must have acted by (received + 60 days)."""
    return request.received_on + timedelta(days=AMENDMENT_DUE_DAYS)


@transaction.atomic
def amendment_request_record(
    *, actor: User, patient: Patient, note: VisitNote | None, received_on: date | None, requested_change: str
) -> AmendmentRequest:
    """Record a patient's request to amend their record, optionally about one visit note.

    Raises ValidationError naming `received_on` (missing or in the future), `requested_change`
    (blank or too long) or `note` (another patient's note); PermissionDenied without
    clinical.amendment.manage.
    """
    require_capability(actor, Cap.CLINICAL_AMENDMENT_MANAGE, "Your role does not include amendment requests.")
    errors: dict[str, list[str]] = {}
    today = clock.today()
    if received_on is None:
        errors["received_on"] = ["Give the date the request was received."]
    elif received_on > today:
        errors["received_on"] = ["The date received cannot be in the future."]
    try:
        change = clean_text(
            requested_change,
            "requested_change",
            blank="Write what the patient asks to be changed.",
            limit=AMENDMENT_TEXT_MAX,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
        change = ""
    if note is not None and note.encounter.patient_id != patient.pk:
        errors["note"] = ["That note belongs to another patient."]
    if errors:
        raise ValidationError(errors)
    assert received_on is not None  # noqa: S101  (checked above; narrows the type)
    request = AmendmentRequest.objects.create(
        patient=patient, note=note, received_on=received_on, requested_change=change, recorded_by=actor
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.AMENDMENT_REQUEST,
        object_id=request.public_id,
        patient_id=patient.mrn,
        changed_fields=["received_on", "requested_change", "note"],
        detail=f"note={note.public_id}" if note else "",
    )
    return request


def _locked_request(request: AmendmentRequest) -> AmendmentRequest:
    AmendmentRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk", flat=True).get()
    return AmendmentRequest.objects.select_related("patient").get(pk=request.pk)


def _undecided(request: AmendmentRequest) -> None:
    if request.status != AmendmentStatus.PENDING:
        raise Conflict(
            {"request": [f"This request was already {request.get_status_display().lower()}; a decision is final."]}
        )


@transaction.atomic
def amendment_accept(
    *, actor: User, request: AmendmentRequest, addendum_text: str, note: VisitNote | None = None
) -> Addendum:
    """Accept the request: a clinician writes the amendment as an addendum linked to it.

    The addendum goes under the request's note (or `note`, for a request recorded without one;
    it must be the same patient's signed note). Raises Conflict when already decided,
    ValidationError for blank text (`addendum_text`) or no signed note (`note`), PermissionDenied
    unless the actor both manages amendments and signs notes.
    """
    require_capability(actor, Cap.CLINICAL_AMENDMENT_MANAGE, "Your role does not include amendment requests.")
    require_capability(
        actor, Cap.CLINICAL_NOTE_SIGN, "A clinician writes the amendment. Ask the clinician to accept it."
    )
    fresh = _locked_request(request)
    _undecided(fresh)
    text = clean_text(
        addendum_text, "addendum_text", blank="Write the amendment to add to the note.", limit=ADDENDUM_MAX
    )
    target = note if fresh.note_id is None else fresh.note
    if target is None:
        raise ValidationError({"note": ["Choose the signed note the amendment goes under."]})
    target_note = locked_note(target)
    if target_note.encounter.patient_id != fresh.patient_id:
        raise ValidationError({"note": ["That note belongs to another patient."]})
    if not target_note.is_signed:
        raise ValidationError({"note": ["That note is still a draft: an amendment is added to a signed note."]})
    now = clock.now()
    fresh.status = AmendmentStatus.ACCEPTED
    fresh.decided_by = actor
    fresh.decided_at = now
    fresh.note = target_note
    fresh.save(update_fields=["status", "decided_by", "decided_at", "note"])
    addendum = addendum_write(actor, target_note, text, fresh)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.AMENDMENT_REQUEST,
        object_id=fresh.public_id,
        patient_id=fresh.patient.mrn,
        changed_fields=["status", "decided_by", "decided_at"],
        detail=f"accepted addendum={addendum.public_id}",
    )
    _copy_request(request, fresh)
    return addendum


@transaction.atomic
def amendment_deny(*, actor: User, request: AmendmentRequest, reason: str) -> AmendmentRequest:
    """Deny the request with a written reason; the request and the reason are kept.

    Raises ValidationError (field `reason`) when the reason is blank, Conflict when already
    decided, PermissionDenied without clinical.amendment.manage.
    """
    require_capability(actor, Cap.CLINICAL_AMENDMENT_MANAGE, "Your role does not include amendment requests.")
    fresh = _locked_request(request)
    _undecided(fresh)
    text = clean_text(
        reason, "reason", blank="Write the reason for the denial; the patient receives it.", limit=AMENDMENT_TEXT_MAX
    )
    fresh.status = AmendmentStatus.DENIED
    fresh.decided_by = actor
    fresh.decided_at = clock.now()
    fresh.denial_reason = text
    fresh.save(update_fields=["status", "decided_by", "decided_at", "denial_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.AMENDMENT_REQUEST,
        object_id=fresh.public_id,
        patient_id=fresh.patient.mrn,
        changed_fields=["status", "decided_by", "decided_at", "denial_reason"],
        detail="denied",
    )
    _copy_request(request, fresh)
    return request


def _copy_request(request: AmendmentRequest, fresh: AmendmentRequest) -> None:
    for field in AmendmentRequest._meta.concrete_fields:
        setattr(request, field.attname, getattr(fresh, field.attname))
