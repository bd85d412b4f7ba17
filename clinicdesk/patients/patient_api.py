from datetime import date
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from ninja import Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import InputSchema, PastDate

from . import services
from .access import access_patient
from .disclosure_api import ReleaseIn
from .disclosures import DisclosureInput
from .export import ExportScope, patient_record_export
from .models import DisclosureMethod, PhoneKind, RecipientKind, Sex

router = Router(tags=["patients"])


class PhoneOut(Schema):
    kind: str
    number: str


class PatientOut(Schema):
    public_id: UUID
    mrn: str
    first_name: str
    middle_name: str
    last_name: str
    suffix: str
    preferred_name: str
    display_name: str
    date_of_birth: date
    age: int
    sex_at_birth: str
    gender_identity: str
    pronouns: str
    ssn_last4: str = Field(description="Only the last four digits ever leave the server.")
    preferred_language: str
    email: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    status: str
    deceased_date: date | None
    alerts: str
    phones: list[PhoneOut]

    @staticmethod
    def resolve_phones(obj):
        return [PhoneOut(kind=p.kind, number=p.number) for p in obj.phones.all()]


class PatientIn(InputSchema):
    first_name: str = Field(min_length=1, max_length=100)
    middle_name: str = Field("", max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    suffix: str = Field("", max_length=20)
    preferred_name: str = Field("", max_length=100)
    date_of_birth: PastDate
    sex_at_birth: Sex
    gender_identity: str = Field("", max_length=60)
    pronouns: str = Field("", max_length=40)
    ssn: str | None = Field(None, max_length=11)
    preferred_language: str = Field("English", max_length=40)
    email: str = Field("", max_length=254)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=2)
    zip_code: str = Field("", max_length=10)
    alerts: str = Field("", max_length=2000)
    phones: dict[PhoneKind, str] = Field(default_factory=dict, description='e.g. {"mobile": "(202) 555-0123"}')


@router.post("/patients", response={201: PatientOut}, summary="Register a patient")
@api_requires(Cap.PATIENT_DEMOGRAPHICS_WRITE)
def patient_create(request, payload: PatientIn):
    values = payload.model_dump(exclude={"ssn", "phones"})
    data = services.PatientInput(values=values, phones={str(k): v for k, v in payload.phones.items()}, ssn=payload.ssn)
    return Status(201, services.patient_register(actor=request.user, data=data))


@router.get("/patients/{mrn}", response=PatientOut, summary="One patient (the read is audited)")
@api_requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def patient_get(request, mrn: str):
    return access_patient(actor=request.user, mrn=mrn)


_EXPORT_DESCRIPTION = (
    "A `collection` Bundle: the Patient (no SSN), each Coverage active or past, and an Organization per payer. "
    "Every copy is audited as an export and recorded in the patient's accounting of disclosures. Restricted "
    "records need emergency access in the app first."
)


@router.get(
    "/patients/{mrn}/export",
    response=dict[str, Any],
    summary="Right of access copy (registration and insurance) for the patient, as a FHIR R4 Bundle",
    description=_EXPORT_DESCRIPTION + " Recorded as a copy given to the patient through the API.",
)
@api_requires(Cap.PATIENT_EXPORT)
def patient_export(request, mrn: str):
    release = DisclosureInput(recipient_kind=RecipientKind.PATIENT, method=DisclosureMethod.API)
    return patient_record_export(actor=request.user, mrn=mrn, fmt="fhir", release=release).fhir


@router.post(
    "/patients/{mrn}/export",
    response=dict[str, Any],
    summary="Right of access copy (registration and insurance) for a named recipient, as a FHIR R4 Bundle",
    description=_EXPORT_DESCRIPTION + " The body says who receives it, why, on what basis and how.",
)
@api_requires(Cap.PATIENT_EXPORT)
def patient_export_to(request, mrn: str, payload: ReleaseIn):
    return patient_record_export(actor=request.user, mrn=mrn, fmt="fhir", release=payload.to_input()).fhir


@router.post(
    "/patients/{mrn}/export/full",
    response=dict[str, Any],
    summary="Right of access copy of the whole record (designated record set) as a FHIR R4 Bundle",
    description=_EXPORT_DESCRIPTION
    + " Adds the clinical record (US Core where it applies): Encounter, Condition, MedicationStatement, "
    "MedicationRequest, AllergyIntolerance, vital-sign Observations, DocumentReference for signed notes and "
    "addenda, ServiceRequest for follow-ups and Task for amendment requests. Only roles that read note text.",
)
@api_requires(Cap.PATIENT_EXPORT_FULL)
def patient_export_full(request, mrn: str, payload: ReleaseIn):
    return patient_record_export(
        actor=request.user, mrn=mrn, fmt="fhir", scope=ExportScope.FULL, release=payload.to_input()
    ).fhir


class PatientPatch(InputSchema):
    """Only the fields sent are changed; `ssn: ""` removes the SSN, a phone of "" removes that phone."""

    first_name: str | None = Field(None, min_length=1, max_length=100)
    middle_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    suffix: str | None = Field(None, max_length=20)
    preferred_name: str | None = Field(None, max_length=100)
    date_of_birth: PastDate | None = None
    sex_at_birth: Sex | None = None
    gender_identity: str | None = Field(None, max_length=60)
    pronouns: str | None = Field(None, max_length=40)
    ssn: str | None = Field(None, max_length=11)
    preferred_language: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    address_line1: str | None = Field(None, max_length=200)
    address_line2: str | None = Field(None, max_length=200)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, max_length=2)
    zip_code: str | None = Field(None, max_length=10)
    alerts: str | None = Field(None, max_length=2000)
    phones: dict[PhoneKind, str] | None = None


class PatchOut(Schema):
    changed: list[str]
    patient: PatientOut


@router.patch("/patients/{mrn}", response=PatchOut, summary="Change some fields of a patient")
@api_requires(Cap.PATIENT_DEMOGRAPHICS_WRITE)
def patient_patch(request, mrn: str, payload: PatientPatch):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_DEMOGRAPHICS_WRITE)
    sent = payload.model_dump(exclude_unset=True)
    nulls = [name for name, value in sent.items() if value is None]
    if nulls:
        raise ValidationError(dict.fromkeys(nulls, 'Send a value ("" to clear it), or leave the field out.'))
    phones = {str(kind): number for kind, number in sent.pop("phones", {}).items()}
    data = services.PatientInput(values=sent, phones=phones, ssn=sent.pop("ssn", None))
    changed = services.patient_update(actor=request.user, patient=patient, data=data)
    return {"changed": changed, "patient": patient}
