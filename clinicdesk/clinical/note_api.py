"""API of the clinical notes (joined under /api/v1/clinical by clinical/api.py).

The same services as the pages (notes.py), fetched through access.py. A stale draft version
and any edit of a signed note answer 409; bad input answers 422 naming the field; an encounter
or request one may not see answers 404 like a missing one.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Router, Schema, Status
from pydantic import Field

from clinicdesk.core import ranges
from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import Between, InputSchema, PastDate
from clinicdesk.patients.access import access_patient

from . import amendments, notes
from .access import access_amendment_request, access_amendment_requests, access_note
from .models import Addendum, AmendmentRequest, VisitNote
from .selectors import note_addenda_unchecked, signed_note_of_patient_unchecked

router = Router(tags=["clinical notes"])


class AddendumOut(Schema):
    public_id: UUID
    text: str
    author: str
    signed_at: datetime
    content_sha256: str
    amendment_request: UUID | None = None

    @staticmethod
    def resolve_author(addendum: Addendum) -> str:
        return str(addendum.author)

    @staticmethod
    def resolve_amendment_request(addendum: Addendum) -> UUID | None:
        request = addendum.amendment_request
        return request.public_id if request is not None else None


class NoteOut(Schema):
    public_id: UUID
    encounter: UUID = Field(alias="encounter.public_id")
    status: str
    subjective: str
    objective: str
    assessment: str
    plan: str
    version: int
    author: str
    last_edited_by: str
    updated_at: datetime
    signed_by: str | None = None
    signed_at: datetime | None
    content_sha256: str
    signature_verified: bool | None = None
    cosign_required: bool
    cosigned_by: str | None = None
    cosigned_at: datetime | None
    addenda: list[AddendumOut] = []

    @staticmethod
    def resolve_author(note: VisitNote) -> str:
        return str(note.author)

    @staticmethod
    def resolve_last_edited_by(note: VisitNote) -> str:
        return str(note.last_edited_by)

    @staticmethod
    def resolve_signed_by(note: VisitNote) -> str | None:
        return str(note.signed_by) if note.signed_by_id else None

    @staticmethod
    def resolve_cosigned_by(note: VisitNote) -> str | None:
        return str(note.cosigned_by) if note.cosigned_by_id else None

    @staticmethod
    def resolve_signature_verified(note: VisitNote) -> bool | None:
        return notes.note_verify(note) if note.is_signed else None

    @staticmethod
    def resolve_addenda(note: VisitNote) -> list[Addendum]:
        return note_addenda_unchecked(note=note) if note.is_signed else []


class DraftIn(InputSchema):
    version: Annotated[int, Between(1, ranges.LARGEST_INTEGER)] = Field(
        description="The version you loaded; a stale one answers 409"
    )
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""


class AddendumIn(InputSchema):
    text: str


class AmendmentOut(Schema):
    public_id: UUID
    patient_mrn: str = Field(alias="patient.mrn")
    note: UUID | None = None
    received_on: date
    due_on: date
    requested_change: str
    status: str
    recorded_by: str
    recorded_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None
    denial_reason: str
    addendum: UUID | None = None

    @staticmethod
    def resolve_note(request: AmendmentRequest) -> UUID | None:
        return request.note.public_id if request.note is not None else None

    @staticmethod
    def resolve_due_on(request: AmendmentRequest) -> date:
        return amendments.amendment_due_on(request)

    @staticmethod
    def resolve_recorded_by(request: AmendmentRequest) -> str:
        return str(request.recorded_by)

    @staticmethod
    def resolve_decided_by(request: AmendmentRequest) -> str | None:
        return str(request.decided_by) if request.decided_by_id else None

    @staticmethod
    def resolve_addendum(request: AmendmentRequest) -> UUID | None:
        addendum = getattr(request, "addendum", None) if request.status == "accepted" else None
        return addendum.public_id if addendum is not None else None


class AmendmentIn(InputSchema):
    received_on: PastDate
    requested_change: str
    note: UUID | None = Field(None, description="The signed visit note the request is about, if one")


class AcceptIn(InputSchema):
    addendum_text: str = ""
    note: UUID | None = Field(None, description="For a request recorded without a note: the signed note to amend")


class DenyIn(InputSchema):
    reason: str = ""


def _note_of(request, encounter_id: UUID, need: str) -> VisitNote:
    opened = access_note(actor=request.user, encounter_public_id=encounter_id, need=need)
    if opened.note is None:
        raise Http404
    return opened.note


@router.get("/encounters/{encounter_id}/note", response=NoteOut, summary="The visit note (audited read)")
@api_requires(Cap.CLINICAL_NOTE_READ)
def note_get(request, encounter_id: UUID):
    return _note_of(request, encounter_id, Cap.CLINICAL_NOTE_READ)


@router.post(
    "/encounters/{encounter_id}/note",
    response={200: NoteOut, 201: NoteOut},
    summary="Start the draft note (from the visit type's template); returns the existing note if there is one",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def note_start(request, encounter_id: UUID):
    opened = access_note(actor=request.user, encounter_public_id=encounter_id, need=Cap.CLINICAL_NOTE_WRITE)
    note = notes.note_start(actor=request.user, encounter=opened.encounter)
    note.encounter = opened.encounter
    return Status(200 if opened.note is not None else 201, note)


@router.put("/encounters/{encounter_id}/note", response=NoteOut, summary="Save the draft (autosave; send `version`)")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def note_save(request, encounter_id: UUID, payload: DraftIn):
    note = _note_of(request, encounter_id, Cap.CLINICAL_NOTE_WRITE)
    return notes.note_save_draft(
        actor=request.user,
        note=note,
        version=payload.version,
        subjective=payload.subjective,
        objective=payload.objective,
        assessment=payload.assessment,
        plan=payload.plan,
    )


@router.post("/encounters/{encounter_id}/note/sign", response=NoteOut, summary="Sign the note (its provider)")
@api_requires(Cap.CLINICAL_NOTE_SIGN)
def note_sign(request, encounter_id: UUID):
    return notes.note_sign(actor=request.user, note=_note_of(request, encounter_id, Cap.CLINICAL_NOTE_SIGN))


@router.post("/encounters/{encounter_id}/note/cosign", response=NoteOut, summary="Co-sign the note (once)")
@api_requires(Cap.CLINICAL_NOTE_SIGN)
def note_cosign(request, encounter_id: UUID):
    return notes.note_cosign(actor=request.user, note=_note_of(request, encounter_id, Cap.CLINICAL_NOTE_SIGN))


@router.get("/encounters/{encounter_id}/note/addenda", response=list[AddendumOut], summary="Addenda, oldest first")
@api_requires(Cap.CLINICAL_NOTE_READ)
def addendum_list(request, encounter_id: UUID):
    return note_addenda_unchecked(note=_note_of(request, encounter_id, Cap.CLINICAL_NOTE_READ))


@router.post("/encounters/{encounter_id}/note/addenda", response={201: AddendumOut}, summary="Add a signed addendum")
@api_requires(Cap.CLINICAL_NOTE_SIGN)
def addendum_create(request, encounter_id: UUID, payload: AddendumIn):
    note = _note_of(request, encounter_id, Cap.CLINICAL_NOTE_SIGN)
    return Status(201, notes.addendum_add(actor=request.user, note=note, text=payload.text))


# --- Amendment requests --------------------------------------------------------------------


def _patient(request, mrn: str):
    return access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_AMENDMENT_MANAGE, purpose="amendment requests")


def _chosen_note(patient, note_id: UUID | None) -> VisitNote | None:
    if note_id is None:
        return None
    note = signed_note_of_patient_unchecked(patient=patient, public_id=note_id)
    if note is None:
        raise ValidationError({"note": ["No signed note of this patient has this id."]})
    return note


@router.get("/patients/{mrn}/amendment-requests", response=list[AmendmentOut], summary="A patient's amendment requests")
@api_requires(Cap.CLINICAL_AMENDMENT_MANAGE)
def amendment_list(request, mrn: str):
    return access_amendment_requests(actor=request.user, patient=_patient(request, mrn))


@router.post("/patients/{mrn}/amendment-requests", response={201: AmendmentOut}, summary="Record an amendment request")
@api_requires(Cap.CLINICAL_AMENDMENT_MANAGE)
def amendment_create(request, mrn: str, payload: AmendmentIn):
    patient = _patient(request, mrn)
    made = amendments.amendment_request_record(
        actor=request.user,
        patient=patient,
        note=_chosen_note(patient, payload.note),
        received_on=payload.received_on,
        requested_change=payload.requested_change,
    )
    return Status(201, made)


@router.get("/amendment-requests/{request_id}", response=AmendmentOut, summary="One amendment request")
@api_requires(Cap.CLINICAL_AMENDMENT_MANAGE)
def amendment_get(request, request_id: UUID):
    return access_amendment_request(actor=request.user, public_id=request_id)


@router.post(
    "/amendment-requests/{request_id}/accept",
    response={201: AddendumOut},
    summary="Accept: the amendment becomes a signed addendum (a clinician)",
)
@api_requires(Cap.CLINICAL_NOTE_SIGN)
def amendment_accept(request, request_id: UUID, payload: AcceptIn):
    amendment = access_amendment_request(actor=request.user, public_id=request_id, need=Cap.CLINICAL_NOTE_SIGN)
    note = _chosen_note(amendment.patient, payload.note)
    addendum = amendments.amendment_accept(
        actor=request.user, request=amendment, addendum_text=payload.addendum_text, note=note
    )
    return Status(201, addendum)


@router.post(
    "/amendment-requests/{request_id}/deny", response=AmendmentOut, summary="Deny with a written reason (kept)"
)
@api_requires(Cap.CLINICAL_AMENDMENT_MANAGE)
def amendment_deny(request, request_id: UUID, payload: DenyIn):
    amendment = access_amendment_request(actor=request.user, public_id=request_id)
    return amendments.amendment_deny(actor=request.user, request=amendment, reason=payload.reason)
