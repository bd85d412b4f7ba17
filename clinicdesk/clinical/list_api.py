"""API of the clinical lists (joined under /api/v1/clinical by clinical/api.py).

Problems, encounter diagnoses, medications, prescriptions (with the PDF) and allergies, over
the same services as the pages. Each read is one audited read of the patient; a refused or
missing record is 404 alike; a service's ValidationError is 422 naming the field, a Conflict
(duplicate active code, NKA beside an allergy, a finished entry) 409.
"""

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from clinicdesk.core import clock
from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.lookups import one_active
from clinicdesk.core.schemas import Between, InputSchema, PastDate, PlausibleDate
from clinicdesk.patients.access import access_patient
from clinicdesk.scheduling.models import Provider

from . import allergies as allergy_services
from . import medications as medication_services
from . import problems as problem_services
from .access import (
    access_allergy,
    access_encounter,
    access_medication,
    access_prescription,
    access_problem,
    sees_narrative,
)
from .models import AllergySeverity, Encounter, Problem
from .prescription_pdf import prescription_pdf
from .selectors import encounter_of_patient

router = Router(tags=["clinical lists"])


# --- Schemas ---------------------------------------------------------------------------------


class ProblemOut(Schema):
    public_id: UUID
    code: str
    description: str
    onset: date | None
    resolved_on: date | None
    status: str
    note: str | None = Field(description="null for callers who read codes only (billers)")
    created_at: datetime


class ProblemIn(InputSchema):
    code: str = Field(min_length=1, max_length=20, description="A billable ICD-10-CM code, dotted or not")
    onset: PastDate | None = None
    note: str = Field("", max_length=200)


class ResolveIn(InputSchema):
    resolved_on: PastDate


class ReasonIn(InputSchema):
    reason: str = Field(min_length=1, max_length=200)


class OptionalReasonIn(InputSchema):
    reason: str = Field("", max_length=200)


class DiagnosisOut(Schema):
    rank: int
    code: str
    description: str
    problem: UUID | None = Field(None, alias="problem.public_id")


class DiagnosesIn(InputSchema):
    codes: list[str] = Field(
        max_length=12, description="Billable ICD-10-CM codes in claim order (first = primary); [] clears them"
    )


class MedicationOut(Schema):
    public_id: UUID
    name: str
    strength: str
    form: str
    directions: str
    quantity: str
    refills: int
    prescriber: UUID | None = Field(None, alias="prescriber.public_id")
    start_date: date | None
    stop_date: date | None
    stop_reason: str
    status: str


class MedicationIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    strength: str = Field("", max_length=60)
    form: str = Field("", max_length=40)
    directions: str = Field("", max_length=300)
    quantity: str = Field("", max_length=40)
    refills: Annotated[int, Between(0, medication_services.MAX_REFILLS)] = 0
    prescriber: UUID | None = Field(None, description="public_id of an active provider")
    start_date: PlausibleDate | None = None
    stop_date: PlausibleDate | None = None
    encounter: UUID | None = None


class StopIn(InputSchema):
    stop_date: PastDate
    reason: str = Field(min_length=1, max_length=200)


class PrescriptionOut(Schema):
    public_id: UUID
    medication: UUID = Field(alias="medication.public_id")
    medication_name: str = Field(alias="medication.name")
    prescriber: UUID = Field(alias="prescriber.public_id")
    written_on: date
    directions: str
    quantity: str
    refills: int
    dispense_as_written: bool
    encounter: UUID | None = Field(None, alias="encounter.public_id")


class PrescriptionIn(InputSchema):
    medication: UUID
    directions: str = Field(min_length=1, max_length=300)
    quantity: str = Field(min_length=1, max_length=40)
    refills: Annotated[int, Between(0, medication_services.MAX_REFILLS)] = 0
    dispense_as_written: bool = False
    encounter: UUID | None = None


class AllergyOut(Schema):
    public_id: UUID
    no_known_allergies: bool
    substance: str
    reaction: str
    severity: str
    status: str
    noted_on: date


class AllergyIn(InputSchema):
    substance: str = Field(min_length=1, max_length=120)
    reaction: str = Field("", max_length=200)
    severity: AllergySeverity = AllergySeverity.UNKNOWN
    noted_on: PastDate | None = None


class NkaIn(InputSchema):
    noted_on: PastDate | None = None


class AllergiesOut(Schema):
    active: list[AllergyOut]
    past: list[AllergyOut]


def _problem_out(problem: Problem, *, narrative: bool) -> dict:
    return {
        "public_id": problem.public_id,
        "code": problem.code,
        "description": problem.description,
        "onset": problem.onset,
        "resolved_on": problem.resolved_on,
        "status": problem.status,
        "note": problem.note if narrative else None,
        "created_at": problem.created_at,
    }


def _encounter_of(patient, public_id: UUID | None) -> Encounter | None:
    """The patient's encounter `public_id` (the caller already opened the patient), or 422."""
    if public_id is None:
        return None
    found = encounter_of_patient(patient=patient, public_id=public_id)
    if found is None:
        raise ValidationError({"encounter": "No encounter of this patient has that id."})
    return found


# --- Problems --------------------------------------------------------------------------------


@router.get("/patients/{mrn}/problems", response=list[ProblemOut], summary="A patient's problem list (audited read)")
@api_requires(Cap.CLINICAL_CODES_READ)
def problem_index(request, mrn: str, include_in_error: bool = False):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_CODES_READ, purpose="problem list")
    narrative = sees_narrative(request.user)
    found = problem_services.problems_of(patient=patient, include_in_error=include_in_error)
    return [_problem_out(p, narrative=narrative) for p in found]


@router.post(
    "/patients/{mrn}/problems",
    response={201: ProblemOut},
    summary="Add a problem (422 for a code that is not billable, 409 when it is already active)",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def problem_create(request, mrn: str, payload: ProblemIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add problem")
    added = problem_services.problem_add(
        actor=request.user, patient=patient, code=payload.code, onset=payload.onset, note=payload.note
    )
    return Status(201, _problem_out(added, narrative=True))


@router.post("/patients/{mrn}/problems/{problem_id}/resolve", response=ProblemOut, summary="Resolve a problem")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def problem_resolve_endpoint(request, mrn: str, problem_id: str, payload: ResolveIn):
    problem = access_problem(
        actor=request.user, mrn=mrn, public_id=problem_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="resolve problem"
    )
    done = problem_services.problem_resolve(actor=request.user, problem=problem, resolved_on=payload.resolved_on)
    return _problem_out(done, narrative=True)


@router.post("/patients/{mrn}/problems/{problem_id}/reactivate", response=ProblemOut, summary="Reactivate a problem")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def problem_reactivate_endpoint(request, mrn: str, problem_id: str):
    problem = access_problem(
        actor=request.user, mrn=mrn, public_id=problem_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="reactivate problem"
    )
    return _problem_out(problem_services.problem_reactivate(actor=request.user, problem=problem), narrative=True)


@router.post(
    "/patients/{mrn}/problems/{problem_id}/in-error", response=ProblemOut, summary="Mark a problem entered in error"
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def problem_in_error_endpoint(request, mrn: str, problem_id: str, payload: ReasonIn):
    problem = access_problem(
        actor=request.user, mrn=mrn, public_id=problem_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="problem in error"
    )
    done = problem_services.problem_mark_in_error(actor=request.user, problem=problem, reason=payload.reason)
    return _problem_out(done, narrative=True)


# --- Encounter diagnoses ---------------------------------------------------------------------


@router.get(
    "/encounters/{encounter_id}/diagnoses", response=list[DiagnosisOut], summary="An encounter's ranked diagnoses"
)
@api_requires(Cap.CLINICAL_CODES_READ)
def diagnosis_index(request, encounter_id: str):
    encounter = access_encounter(
        actor=request.user, public_id=encounter_id, need=Cap.CLINICAL_CODES_READ, purpose="diagnoses"
    )
    return problem_services.encounter_diagnoses(encounter=encounter)


@router.put(
    "/encounters/{encounter_id}/diagnoses",
    response=list[DiagnosisOut],
    summary="Replace an encounter's diagnoses (allowed after signing; audited)",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def diagnosis_set(request, encounter_id: str, payload: DiagnosesIn):
    encounter = access_encounter(
        actor=request.user, public_id=encounter_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="set diagnoses"
    )
    inputs = [problem_services.DiagnosisInput(code=code) for code in payload.codes]
    problem_services.encounter_diagnoses_set(actor=request.user, encounter=encounter, diagnoses=inputs)
    return problem_services.encounter_diagnoses(encounter=encounter)


# --- Medications and prescriptions -----------------------------------------------------------


@router.get("/patients/{mrn}/medications", response=list[MedicationOut], summary="A patient's medications")
@api_requires(Cap.CLINICAL_NOTE_READ)
def medication_index(request, mrn: str, include_past: bool = False):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="medications")
    active, past = medication_services.medications_of(patient=patient)
    return active + past if include_past else active


@router.post("/patients/{mrn}/medications", response={201: MedicationOut}, summary="Add a medication")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def medication_create(request, mrn: str, payload: MedicationIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add medication")
    prescriber = one_active(Provider, "prescriber", payload.prescriber, active=True)
    data = medication_services.MedicationInput(
        **payload.model_dump(exclude={"prescriber", "encounter"}),
        prescriber=prescriber,
        encounter=_encounter_of(patient, payload.encounter),
    )
    return Status(201, medication_services.medication_add(actor=request.user, patient=patient, data=data))


@router.post("/patients/{mrn}/medications/{medication_id}/stop", response=MedicationOut, summary="Stop a medication")
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def medication_stop_endpoint(request, mrn: str, medication_id: str, payload: StopIn):
    medication = access_medication(
        actor=request.user, mrn=mrn, public_id=medication_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="stop medication"
    )
    return medication_services.medication_stop(
        actor=request.user, medication=medication, stop_date=payload.stop_date, reason=payload.reason
    )


@router.post(
    "/patients/{mrn}/medications/{medication_id}/in-error",
    response=MedicationOut,
    summary="Mark a medication entered in error",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def medication_in_error_endpoint(request, mrn: str, medication_id: str, payload: ReasonIn):
    medication = access_medication(
        actor=request.user, mrn=mrn, public_id=medication_id, need=Cap.CLINICAL_NOTE_WRITE,
        purpose="medication in error",
    )  # fmt: skip
    return medication_services.medication_mark_in_error(
        actor=request.user, medication=medication, reason=payload.reason
    )


@router.get("/patients/{mrn}/prescriptions", response=list[PrescriptionOut], summary="A patient's prescriptions")
@api_requires(Cap.CLINICAL_NOTE_READ)
def prescription_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="prescriptions")
    return medication_services.prescriptions_of(patient=patient)


@router.post(
    "/patients/{mrn}/prescriptions",
    response={201: PrescriptionOut},
    summary="Write a prescription (the caller, a clinician who is a provider, is the prescriber)",
)
@api_requires(Cap.CLINICAL_NOTE_SIGN)
def prescription_create(request, mrn: str, payload: PrescriptionIn):
    medication = access_medication(
        actor=request.user, mrn=mrn, public_id=payload.medication, need=Cap.CLINICAL_NOTE_SIGN,
        purpose="write prescription",
    )  # fmt: skip
    written = medication_services.prescription_write(
        actor=request.user,
        medication=medication,
        encounter=_encounter_of(medication.patient, payload.encounter),
        directions=payload.directions,
        quantity=payload.quantity,
        refills=payload.refills,
        dispense_as_written=payload.dispense_as_written,
    )
    return Status(201, written)


@router.get(
    "/patients/{mrn}/prescriptions/{prescription_id}/pdf",
    summary="The prescription as a PDF (audited as a print)",
)
@api_requires(Cap.CLINICAL_NOTE_READ)
def prescription_pdf_endpoint(request, mrn: str, prescription_id: str):
    prescription = access_prescription(
        actor=request.user, mrn=mrn, public_id=prescription_id, need=Cap.CLINICAL_NOTE_READ,
        purpose="print prescription",
    )  # fmt: skip
    pdf = prescription_pdf(prescription=prescription, printed_at=clock.now())
    medication_services.prescription_printed(actor=request.user, prescription=prescription)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="prescription-{prescription.public_id}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- Allergies -------------------------------------------------------------------------------


@router.get("/patients/{mrn}/allergies", response=AllergiesOut, summary="A patient's allergies (active and past)")
@api_requires(Cap.CLINICAL_NOTE_READ)
def allergy_index(request, mrn: str):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_READ, purpose="allergies")
    active, past = allergy_services.allergies_of(patient=patient)
    return {"active": active, "past": past}


@router.post(
    "/patients/{mrn}/allergies",
    response={201: AllergyOut},
    summary="Add an allergy (ends an active 'no known allergies'; 409 when the substance is already active)",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def allergy_create(request, mrn: str, payload: AllergyIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add allergy")
    added = allergy_services.allergy_add(
        actor=request.user,
        patient=patient,
        substance=payload.substance,
        reaction=payload.reaction,
        severity=str(payload.severity),
        noted_on=payload.noted_on,
    )
    return Status(201, added)


@router.post(
    "/patients/{mrn}/allergies/no-known-allergies",
    response={201: AllergyOut},
    summary="Record 'no known allergies' (409 while an allergy is active)",
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def allergy_nka_endpoint(request, mrn: str, payload: NkaIn):
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="record no known allergies"
    )
    return Status(
        201, allergy_services.allergy_record_nka(actor=request.user, patient=patient, noted_on=payload.noted_on)
    )


@router.post(
    "/patients/{mrn}/allergies/{allergy_id}/inactivate", response=AllergyOut, summary="Inactivate an allergy or NKA"
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def allergy_inactivate_endpoint(request, mrn: str, allergy_id: str, payload: OptionalReasonIn):
    allergy = access_allergy(
        actor=request.user, mrn=mrn, public_id=allergy_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="inactivate allergy"
    )
    return allergy_services.allergy_inactivate(actor=request.user, allergy=allergy, reason=payload.reason)


@router.post(
    "/patients/{mrn}/allergies/{allergy_id}/in-error", response=AllergyOut, summary="Mark an allergy entered in error"
)
@api_requires(Cap.CLINICAL_NOTE_WRITE)
def allergy_in_error_endpoint(request, mrn: str, allergy_id: str, payload: ReasonIn):
    allergy = access_allergy(
        actor=request.user, mrn=mrn, public_id=allergy_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="allergy in error"
    )
    return allergy_services.allergy_mark_in_error(actor=request.user, allergy=allergy, reason=payload.reason)
