"""API of the clinical recalls (joined under /api/v1/clinical by clinical/api.py).

Over the same services as the pages (recalls.py) and the same access functions (access.py):
creating needs clinical.note.write; the worklist, one recall, contact and close need
clinical.recall.work. A service's ValidationError answers 422 naming the field, a Conflict
(contact on a closed recall, closing twice) 409, a recall one may not see 404.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.core import clock
from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import Between, InputSchema, PlausibleDate
from clinicdesk.patients.access import access_patient
from clinicdesk.scheduling.models import AppointmentType, Location, Provider

from . import recalls
from .access import access_encounter, access_recall, access_recall_worklist
from .models import Recall

router = Router(tags=["clinical recalls"])


class RecallOut(Schema):
    public_id: UUID
    patient_mrn: str = Field(alias="patient.mrn")
    encounter: UUID | None = Field(None, alias="encounter.public_id")
    appointment_type: UUID = Field(alias="appointment_type.public_id")
    appointment_type_name: str = Field(alias="appointment_type.name")
    provider: UUID | None = Field(None, alias="provider.public_id")
    due_on: date
    reason: str
    status: str = Field(description="Stored status: due, contacted, scheduled or closed")
    state: str = Field(
        description="Derived today: due, overdue, contacted, scheduled, needs_rebooking (its appointment "
        "was cancelled or missed) or closed"
    )
    days_overdue: int
    contacted_at: datetime | None
    contact_note: str
    appointment: UUID | None = Field(None, alias="appointment.public_id")
    closed_at: datetime | None
    closed_reason: str
    created_at: datetime

    @staticmethod
    def resolve_state(recall: Recall) -> str:
        return recalls.recall_state(recall, clock.today())[0]

    @staticmethod
    def resolve_days_overdue(recall: Recall) -> int:
        return recalls.recall_state(recall, clock.today())[2]


class WorklistItemOut(RecallOut):
    patient_name: str = Field(alias="patient.display_name")
    phone: str = ""


class WorklistOut(Schema):
    items: list[WorklistItemOut]
    total: int
    page: int
    pages: int
    restricted_hidden: int = Field(description="Matching recalls of restricted records, not listed")


class RecallIn(InputSchema):
    patient_mrn: str | None = Field(None, max_length=20, description="Not needed with `encounter`")
    encounter: UUID | None = Field(None, description="The visit whose plan asks for the follow-up")
    appointment_type: UUID
    provider: UUID | None = None
    due_on: PlausibleDate | None = Field(None, description="Give this or `interval`")
    interval: str = Field("", max_length=20, description='"10 days", "2 weeks", "3 months", "1 year"')
    reason: str = Field(max_length=200, description='A few words, e.g. "BP check"')


class ContactIn(InputSchema):
    note: str = Field(max_length=200, description='e.g. "left voicemail"')


class CloseIn(InputSchema):
    reason: str = Field(max_length=200, description='e.g. "patient declined", "moved away"')


class WorklistQuery(Schema):
    state: str = Field(recalls.View.OPEN, description=", ".join(recalls.View.VALUES))
    location: UUID | None = None
    provider: UUID | None = None
    appointment_type: UUID | None = None
    due_from: PlausibleDate | None = None
    due_to: PlausibleDate | None = None
    page: Annotated[int, Between(1, 100000)] = 1


@router.post("/recalls", response={201: RecallOut}, summary="Create a recall (a follow-up to book)")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def recall_create(request, payload: RecallIn):
    encounter = None
    if payload.encounter is not None:
        try:
            encounter = access_encounter(
                actor=request.user, public_id=payload.encounter, need=Cap.CLINICAL_NOTE_WRITE, purpose="add follow-up"
            )
        except Http404 as exc:
            raise ValidationError({"encounter": ["No visit has this id."]}) from exc
    if payload.patient_mrn:
        patient = access_patient(
            actor=request.user, mrn=payload.patient_mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add follow-up"
        )
    elif encounter is not None:
        patient = encounter.patient
    else:
        raise ValidationError({"patient_mrn": ["Give the patient's MRN, or the visit (`encounter`)."]})
    recall = recalls.recall_create(
        actor=request.user,
        patient=patient,
        encounter=encounter,
        appointment_type=recalls.setup_row(AppointmentType, "appointment_type", payload.appointment_type),
        provider=recalls.setup_row(Provider, "provider", payload.provider),
        due_on=payload.due_on,
        interval=payload.interval,
        reason=payload.reason,
    )
    return Status(201, recall)


@router.get("/recalls", response=WorklistOut, summary="The recall worklist, earliest due first (audited)")
@api_requires(Cap.CLINICAL_RECALL_WORK)
def recall_list(request, filters: Query[WorklistQuery]):
    if filters.state not in recalls.View.VALUES:
        raise ValidationError({"state": [f"Choose one of: {', '.join(recalls.View.VALUES)}."]})
    if filters.due_from and filters.due_to and filters.due_to < filters.due_from:
        raise ValidationError({"due_to": ["The end of the range is before its start."]})
    worklist = access_recall_worklist(
        actor=request.user,
        filters=recalls.WorklistFilters(
            state=filters.state,
            location=recalls.setup_row(Location, "location", filters.location),
            provider=recalls.setup_row(Provider, "provider", filters.provider),
            appointment_type=recalls.setup_row(AppointmentType, "appointment_type", filters.appointment_type),
            due_from=filters.due_from,
            due_to=filters.due_to,
        ),
        page=filters.page,
    )
    items = []
    for row in worklist.rows:
        row.recall.phone = row.phone  # type: ignore[attr-defined]  # read by WorklistItemOut
        items.append(row.recall)
    return {
        "items": items,
        "total": worklist.total,
        "page": worklist.page,
        "pages": worklist.pages,
        "restricted_hidden": worklist.restricted_hidden,
    }


@router.get("/recalls/{public_id}", response=RecallOut, summary="One recall (audited read)")
@api_requires(Cap.CLINICAL_RECALL_WORK)
def recall_read(request, public_id: UUID):
    return access_recall(actor=request.user, public_id=public_id)


@router.post("/recalls/{public_id}/contact", response=RecallOut, summary="Log a contact attempt")
@api_requires(Cap.CLINICAL_RECALL_WORK)
def recall_contact(request, public_id: UUID, payload: ContactIn):
    recall = access_recall(actor=request.user, public_id=public_id)
    return recalls.recall_log_contact(actor=request.user, recall=recall, note=payload.note)


@router.post("/recalls/{public_id}/close", response=RecallOut, summary="Close a recall with a reason")
@api_requires(Cap.CLINICAL_RECALL_WORK)
def recall_close(request, public_id: UUID, payload: CloseIn):
    recall = access_recall(actor=request.user, public_id=public_id)
    return recalls.recall_close(actor=request.user, recall=recall, reason=payload.reason)
