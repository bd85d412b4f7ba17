"""API for communication preferences, the guarantor and privacy paperwork, over the same services as the pages."""

from datetime import date, datetime, time
from uuid import UUID

from django.db import transaction
from ninja import Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import InputSchema, PastDate, PlausibleDate

from . import paperwork
from .access import access_patient
from .models import (
    CommChannel,
    ConsentKind,
    ConsentSource,
    ContactTime,
    Guarantor,
    GuarantorKind,
    GuarantorRelationship,
    NppMethod,
)

router = Router(tags=["privacy"])
READ, WRITE = Cap.PATIENT_DEMOGRAPHICS_READ, Cap.PATIENT_DEMOGRAPHICS_WRITE


class ConsentOut(Schema):
    public_id: UUID
    kind: str
    signed_on: date
    recipient_name: str
    recipient_relationship: str
    scope: str
    expires_on: date | None
    active: bool
    revoked_on: date | None
    revoke_reason: str

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.is_active


class ConsentIn(InputSchema):
    kind: ConsentKind
    signed_on: PastDate
    recipient_name: str = Field("", max_length=200)
    recipient_relationship: str = Field("", max_length=60)
    scope: str = Field("", max_length=2000)
    expires_on: PlausibleDate | None = None


class ConsentRevokeIn(InputSchema):
    revoked_on: PastDate | None = None
    reason: str = Field("", max_length=200)


class PreferenceOut(Schema):
    channel: str
    recorded: bool
    consent: bool
    consent_date: date | None
    consent_source: str
    reminder_opt_in: bool
    contact_time: str
    window_start: time | None
    window_end: time | None

    @staticmethod
    def resolve_recorded(obj) -> bool:
        return obj.pk is not None


class PreferenceIn(InputSchema):
    channel: CommChannel
    consent: bool
    consent_date: PastDate | None = None
    consent_source: ConsentSource | None = None
    reminder_opt_in: bool = False
    contact_time: ContactTime = ContactTime.ANY
    window_start: time | None = None
    window_end: time | None = None


class PreferencesIn(InputSchema):
    channels: list[PreferenceIn] = Field(min_length=1, max_length=4, description="Channels not listed stay as they are")


class PreferencesOut(Schema):
    channels: list[PreferenceOut]
    allowed_for_reminders: list[str]


class GuarantorOut(Schema):
    public_id: UUID | None
    kind: str
    guarantor_mrn: str | None
    relationship: str
    first_name: str
    last_name: str
    date_of_birth: date | None
    phone: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    since: datetime | None

    @staticmethod
    def resolve_guarantor_mrn(obj) -> str | None:
        return obj.guarantor_patient.mrn if obj.guarantor_patient_id else None

    @staticmethod
    def resolve_since(obj) -> datetime | None:
        return obj.created_at if obj.pk else None

    @staticmethod
    def resolve_public_id(obj) -> UUID | None:
        return obj.public_id if obj.pk else None


class GuarantorIn(InputSchema):
    kind: GuarantorKind
    guarantor_mrn: str = Field("", max_length=8, description="kind=patient: the guarantor's MRN")
    relationship: GuarantorRelationship | None = None
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    date_of_birth: PastDate | None = None
    phone: str = Field("", max_length=30)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=2)
    zip_code: str = Field("", max_length=10)


def _preferences(patient):
    return {
        "channels": paperwork.comm_preferences(patient=patient),
        "allowed_for_reminders": paperwork.comm_channels_allowed(patient=patient, purpose=paperwork.REMINDER),
    }


@router.get("/patients/{mrn}/consents", response=list[ConsentOut], summary="A patient's consents, revoked ones too")
@api_requires(READ)
def consent_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="consents")
    return list(paperwork.consents_all(patient=patient))


@router.post("/patients/{mrn}/consents", response={201: ConsentOut}, summary="Record a signed consent")
@api_requires(WRITE)
def consent_create(request, mrn: str, payload: ConsentIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="record consent")
    data = paperwork.ConsentInput(**{**payload.model_dump(), "kind": str(payload.kind)})
    return Status(201, paperwork.consent_record(actor=request.user, patient=patient, data=data))


@router.post("/patients/{mrn}/consents/{consent_id}/revoke", response=ConsentOut, summary="Revoke a consent")
@api_requires(WRITE)
def consent_withdraw(request, mrn: str, consent_id: str, payload: ConsentRevokeIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="revoke consent")
    consent = paperwork.consent_of(patient=patient, public_id=consent_id)
    return paperwork.consent_revoke(
        actor=request.user, consent=consent, revoked_on=payload.revoked_on, reason=payload.reason
    )


@router.get("/patients/{mrn}/communication-preferences", response=PreferencesOut, summary="Contact preferences")
@api_requires(READ)
def preference_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="communication preferences")
    return _preferences(patient)


@router.put("/patients/{mrn}/communication-preferences", response=PreferencesOut, summary="Record contact preferences")
@api_requires(WRITE)
def preference_update(request, mrn: str, payload: PreferencesIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="communication preferences")
    with transaction.atomic():  # all channels or none
        for item in payload.channels:
            values = item.model_dump()
            values["channel"], values["contact_time"] = str(item.channel), str(item.contact_time)
            values["consent_source"] = str(item.consent_source or "")
            paperwork.comm_preference_set(
                actor=request.user, patient=patient, data=paperwork.CommPreferenceInput(**values)
            )
    return _preferences(patient)


@router.get("/patients/{mrn}/guarantor", response=GuarantorOut, summary="Who is responsible for the bill")
@api_requires(READ)
def guarantor_show(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="guarantor")
    current = paperwork.guarantor_current(patient=patient)
    return current or Guarantor(patient=patient, kind=GuarantorKind.SELF)


@router.put("/patients/{mrn}/guarantor", response=GuarantorOut, summary="Set the guarantor (the old one is kept)")
@api_requires(WRITE)
def guarantor_replace(request, mrn: str, payload: GuarantorIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="guarantor")
    values = payload.model_dump(exclude={"guarantor_mrn"})
    values["kind"], values["relationship"] = str(payload.kind), str(payload.relationship or "")
    other = paperwork.guarantor_patient_find(actor=request.user, mrn=payload.guarantor_mrn)
    data = paperwork.GuarantorInput(guarantor_patient=other, **values)
    return paperwork.guarantor_set(actor=request.user, patient=patient, data=data)


class NppOut(Schema):
    public_id: UUID
    version: str
    acknowledged_on: date
    method: str
    note: str


class NppIn(InputSchema):
    version: str = Field(max_length=40)
    acknowledged_on: PastDate
    method: NppMethod
    note: str = Field("", max_length=300)


@router.get("/patients/{mrn}/npp-acknowledgments", response=list[NppOut], summary="NPP acknowledgments")
@api_requires(READ)
def npp_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="NPP acknowledgments")
    return list(paperwork.npp_acknowledgments(patient=patient))


@router.post("/patients/{mrn}/npp-acknowledgments", response={201: NppOut}, summary="Record an NPP acknowledgment")
@api_requires(WRITE)
def npp_create(request, mrn: str, payload: NppIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="NPP acknowledgment")
    data = paperwork.NppInput(**{**payload.model_dump(), "method": str(payload.method)})
    return Status(201, paperwork.npp_acknowledge(actor=request.user, patient=patient, data=data))


class RestrictionOut(Schema):
    public_id: UUID
    text: str
    requested_on: date
    agreed: bool | None = Field(description="null while the practice has not answered")
    decided_at: datetime | None


class RestrictionIn(InputSchema):
    text: str = Field(min_length=1, max_length=2000)
    requested_on: PastDate
    agreed: bool | None = None


class RestrictionDecideIn(InputSchema):
    agreed: bool


@router.get("/patients/{mrn}/restrictions", response=list[RestrictionOut], summary="Requested restrictions")
@api_requires(READ)
def restriction_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="restrictions")
    return list(paperwork.restrictions_all(patient=patient))


@router.post("/patients/{mrn}/restrictions", response={201: RestrictionOut}, summary="Record a restriction request")
@api_requires(WRITE)
def restriction_create(request, mrn: str, payload: RestrictionIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="restriction request")
    data = paperwork.RestrictionInput(**payload.model_dump())
    return Status(201, paperwork.restriction_request(actor=request.user, patient=patient, data=data))


@router.post(
    "/patients/{mrn}/restrictions/{restriction_id}/decide",
    response=RestrictionOut,
    summary="Answer a pending restriction request (422 once answered)",
)
@api_requires(WRITE)
def restriction_answer(request, mrn: str, restriction_id: str, payload: RestrictionDecideIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=WRITE, purpose="restriction decision")
    restriction = paperwork.restriction_of(patient=patient, public_id=restriction_id)
    return paperwork.restriction_decide(actor=request.user, restriction=restriction, agreed=payload.agreed)
