"""API of the clinical encounters (joined under /api/v1/clinical by clinical/api.py).

Over the same services and access functions as the pages. Encounters read with
clinical.encounter.read alone (front desk, billers) come at existence level: date, provider,
location and status, with `reason` and `unscheduled_reason` null and `detail_level`
"existence". Vitals and templates have their own capabilities. Bad input answers 422 naming
the field, in words; a missing or refused record 404.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.lookups import one_active
from clinicdesk.core.schemas import Between, InputSchema, PastDate, PastDateTime, PlausibleDate
from clinicdesk.patients.access import access_patient
from clinicdesk.scheduling.access import access_appointment
from clinicdesk.scheduling.models import Location, Provider

from . import encounters, note_templates, selectors, vitals
from .access import access_encounter, access_vitals, reads_clinical_detail
from .models import Encounter, Vitals

router = Router(tags=["clinical encounters"])


# --- Encounters ------------------------------------------------------------------------------


class EncounterOut(Schema):
    public_id: UUID
    patient_mrn: str
    provider: UUID
    provider_name: str
    location: UUID
    location_name: str
    date_of_service: date
    status: str
    scheduled: bool
    appointment: UUID | None
    detail_level: Literal["full", "existence"]
    reason: str | None = Field(description="Null at existence level (the reason is clinical text).")
    unscheduled_reason: str | None


def encounter_out(encounter: Encounter, *, full: bool) -> dict:
    return {
        "public_id": encounter.public_id,
        "patient_mrn": encounter.patient.mrn,
        "provider": encounter.provider.public_id,
        "provider_name": encounter.provider.display_name,
        "location": encounter.location.public_id,
        "location_name": encounter.location.name,
        "date_of_service": encounter.date_of_service,
        "status": encounter.status,
        "scheduled": encounter.appointment_id is not None,
        "appointment": encounter.appointment.public_id if full and encounter.appointment else None,
        "detail_level": "full" if full else "existence",
        "reason": encounter.reason if full else None,
        "unscheduled_reason": encounter.unscheduled_reason if full else None,
    }


class UnscheduledIn(InputSchema):
    patient_mrn: str = Field(min_length=1, max_length=20)
    provider: UUID
    location: UUID
    date_of_service: PastDate
    reason: str = Field(max_length=200, description="Reason for visit")
    unscheduled_reason: str = Field(max_length=200, description="Why there was no appointment (required)")


@router.post(
    "/appointments/{public_id}/encounter",
    response=EncounterOut,
    summary="Open the encounter of an arrived appointment (returns the existing one if already open)",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def encounter_open_from_appointment(request, public_id: UUID):
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    encounter = encounters.encounter_open(actor=request.user, appointment=appointment)
    return encounter_out(encounter, full=reads_clinical_detail(request.user))


@router.post("/encounters", response={201: EncounterOut}, summary="Open an unscheduled encounter, with a reason")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def encounter_create_unscheduled(request, payload: UnscheduledIn):
    patient = access_patient(
        actor=request.user, mrn=payload.patient_mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="open encounter"
    )
    encounter = encounters.encounter_open_unscheduled(
        actor=request.user,
        patient=patient,
        provider=one_active(Provider, "provider", payload.provider, active=True),
        location=one_active(Location, "location", payload.location, active=True),
        date_of_service=payload.date_of_service,
        reason=payload.reason,
        unscheduled_reason=payload.unscheduled_reason,
    )
    return Status(201, encounter_out(encounter, full=reads_clinical_detail(request.user)))


@router.get(
    "/encounters/{public_id}",
    response=EncounterOut,
    summary="One encounter (audited read; existence level without clinical.note.read)",
)
@api_requires(Cap.CLINICAL_ENCOUNTER_READ)
def encounter_read(request, public_id: UUID):
    encounter = access_encounter(actor=request.user, public_id=public_id)
    return encounter_out(encounter, full=reads_clinical_detail(request.user))


@router.get(
    "/patients/{mrn}/encounters",
    response=list[EncounterOut],
    summary="A patient's encounters, newest first (audited read; existence level without clinical.note.read)",
)
@api_requires(Cap.CLINICAL_ENCOUNTER_READ)
def encounter_list(
    request, mrn: str, limit: Annotated[int, Query(), Between(1, 200)] = 50, before: PlausibleDate | None = None
):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_ENCOUNTER_READ, purpose="list encounters")
    full = reads_clinical_detail(request.user)
    return [encounter_out(e, full=full) for e in selectors.encounters_of(patient=patient, limit=limit, before=before)]


# --- Vitals ----------------------------------------------------------------------------------


# A wide sanity bound per reading: the service refuses what no person could have, in the unit
# entered and with the plausible range in words; this only keeps absurd numbers out.
Reading = Annotated[Decimal, Between(-9999, 9999, places=2)]


class VitalsIn(InputSchema):
    systolic: Reading | None = Field(None, description="mmHg; with diastolic, or neither")
    diastolic: Reading | None = Field(None, description="mmHg")
    pulse: Reading | None = Field(None, description="beats per minute")
    temperature: Reading | None = None
    temperature_unit: Literal["F", "C"] = "F"
    respiratory_rate: Reading | None = Field(None, description="breaths per minute")
    spo2: Reading | None = Field(None, description="%")
    height: Reading | None = Field(None, description="Omit to use the latest height (adults) for the BMI")
    height_unit: Literal["in", "cm"] = "in"
    weight: Reading | None = None
    weight_unit: Literal["lb", "kg"] = "lb"
    pain: Reading | None = Field(None, description="0-10")
    taken_at: PastDateTime | None = Field(
        None, description="Default: now. Never in the future, nor before the patient's birth."
    )


class VitalsOut(Schema):
    public_id: UUID
    patient_mrn: str = Field(alias="patient.mrn")
    encounter: UUID | None
    taken_at: datetime
    systolic: int | None
    diastolic: int | None
    pulse: int | None
    temperature_c: Decimal | None
    temperature_f: Decimal | None
    respiratory_rate: int | None
    spo2: int | None
    height_cm: Decimal | None
    height_in: Decimal | None
    weight_kg: Decimal | None
    weight_lb: Decimal | None
    bmi: Decimal | None
    pain: int | None
    flags: list[str]
    in_error: bool
    in_error_reason: str

    @staticmethod
    def resolve_encounter(obj: Vitals) -> UUID | None:
        return obj.encounter.public_id if obj.encounter_id else None  # type: ignore[union-attr]  # set with the id

    @staticmethod
    def resolve_temperature_f(obj: Vitals) -> Decimal | None:
        return vitals.c_to_f(obj.temperature_c) if obj.temperature_c is not None else None

    @staticmethod
    def resolve_height_in(obj: Vitals) -> Decimal | None:
        return vitals.cm_to_in(obj.height_cm) if obj.height_cm is not None else None

    @staticmethod
    def resolve_weight_lb(obj: Vitals) -> Decimal | None:
        return vitals.kg_to_lb(obj.weight_kg) if obj.weight_kg is not None else None

    @staticmethod
    def resolve_flags(obj: Vitals) -> list[str]:
        return [flag for flag in obj.flags.split("; ") if flag]


class InErrorIn(InputSchema):
    reason: str = Field(max_length=200)


@router.post("/encounters/{public_id}/vitals", response={201: VitalsOut}, summary="Record vitals in an encounter")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def vitals_create(request, public_id: UUID, payload: VitalsIn):
    encounter = access_encounter(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    data = vitals.VitalsInput(**payload.model_dump())
    return Status(
        201, vitals.vitals_record(actor=request.user, patient=encounter.patient, encounter=encounter, data=data)
    )


@router.post("/vitals/{public_id}/in-error", response=VitalsOut, summary="Mark a vitals entry in error, with a reason")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def vitals_in_error(request, public_id: UUID, payload: InErrorIn):
    entry = access_vitals(actor=request.user, public_id=public_id)
    return vitals.vitals_mark_in_error(actor=request.user, vitals=entry, reason=payload.reason)


@router.get(
    "/patients/{mrn}/vitals", response=list[VitalsOut], summary="A patient's vitals, newest first (audited read)"
)
@api_requires(Cap.CLINICAL_NOTE_READ)
def vitals_list(request, mrn: str, limit: Annotated[int, Query(), Between(1, 200)] = 20):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="vitals")
    return selectors.vitals_of(patient=patient, limit=limit)


# --- Note templates --------------------------------------------------------------------------


class TemplateOut(Schema):
    appointment_type: UUID | None
    exists: bool
    subjective: str
    objective: str
    assessment: str
    plan: str
    updated_at: datetime | None


class TemplateIn(InputSchema):
    subjective: str = Field("", max_length=note_templates.SECTION_MAX)
    objective: str = Field("", max_length=note_templates.SECTION_MAX)
    assessment: str = Field("", max_length=note_templates.SECTION_MAX)
    plan: str = Field("", max_length=note_templates.SECTION_MAX)


def _kind(type_id: str):
    """None for "default", else the appointment type (a 404 when there is none)."""
    if type_id == "default":
        return None
    try:
        found = selectors.appointment_type_by_id(UUID(type_id))
    except ValueError as exc:
        raise Http404 from exc
    if found is None:
        raise Http404
    return found


def _template_out(kind, template) -> dict:
    texts = {name: getattr(template, name) if template else "" for name in note_templates.SECTIONS}
    return {
        "appointment_type": kind.public_id if kind else None,
        "exists": template is not None,
        "updated_at": template.updated_at if template else None,
        **texts,
    }


@router.get(
    "/note-templates/{type_id}",
    response=TemplateOut,
    summary="The note template of an appointment type (its public id), or `default`",
)
@api_requires(Cap.CLINICAL_TEMPLATE_MANAGE)
def template_read(request, type_id: str):
    kind = _kind(type_id)
    return _template_out(kind, note_templates.note_template_of(kind))


@router.put(
    "/note-templates/{type_id}",
    response=TemplateOut,
    summary="Create or replace the note template of an appointment type, or `default`",
)
@api_requires(Cap.CLINICAL_TEMPLATE_MANAGE)
def template_write(request, type_id: str, payload: TemplateIn):
    kind = _kind(type_id)
    saved = note_templates.note_template_save(actor=request.user, appointment_type=kind, values=payload.model_dump())
    return _template_out(kind, saved)
