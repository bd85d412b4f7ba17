"""API for the payer directory and patients' coverages, over the same services as the pages.

Amounts are integer cents in `*_cents` fields (`"copay_cents": 2500` is $25.00), as everywhere
in the API; clinicdesk/core/money.py says why.
"""

from datetime import date, datetime
from uuid import UUID

from ninja import Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.money import Cents
from clinicdesk.core.schemas import InputSchema, PastDate, PlausibleDate

from . import coverage, payers
from .access import access_patient
from .models import CoveragePriority, PayerType, Relationship, Sex

router = Router(tags=["insurance"])


class PayerOut(Schema):
    public_id: UUID
    name: str
    payer_id: str
    payer_type: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    zip_code: str
    phone: str
    active: bool


class PayerIn(InputSchema):
    name: str = Field(min_length=1, max_length=200)
    payer_type: PayerType
    payer_id: str = Field("", max_length=80)
    address_line1: str = Field("", max_length=200)
    address_line2: str = Field("", max_length=200)
    city: str = Field("", max_length=100)
    state: str = Field("", max_length=2)
    zip_code: str = Field("", max_length=10)
    phone: str = Field("", max_length=30)
    active: bool = True


class CoverageOut(Schema):
    public_id: UUID
    payer: PayerOut
    priority: str
    plan_name: str
    member_id: str
    group_number: str
    relationship: str
    subscriber_first_name: str
    subscriber_last_name: str
    subscriber_date_of_birth: date | None
    subscriber_sex: str
    subscriber_address_line1: str
    subscriber_address_line2: str
    subscriber_city: str
    subscriber_state: str
    subscriber_zip_code: str
    effective_date: date
    end_date: date | None
    copay_cents: int | None = Field(
        description="What the patient pays per visit, in cents (2500 is $25.00); null when not recorded"
    )
    copay_notes: str
    coinsurance_notes: str
    deductible_notes: str
    active: bool = Field(description="False once the coverage has been ended; history is kept.")
    ended_at: datetime | None
    end_reason: str

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.is_active


class CoverageIn(InputSchema):
    payer: UUID = Field(description="public_id of a payer from /payers")
    priority: CoveragePriority
    effective_date: PlausibleDate
    end_date: PlausibleDate | None = None
    member_id: str = Field("", max_length=80, description="Medicare: the MBI, with or without dashes")
    plan_name: str = Field("", max_length=200)
    group_number: str = Field("", max_length=50)
    relationship: Relationship = Field(Relationship.SELF, description="X12 individual relationship code; 18 = self")
    subscriber_first_name: str = Field("", max_length=100)
    subscriber_last_name: str = Field("", max_length=100)
    subscriber_date_of_birth: PastDate | None = None
    subscriber_sex: Sex | None = None
    subscriber_address_line1: str = Field("", max_length=200)
    subscriber_address_line2: str = Field("", max_length=200)
    subscriber_city: str = Field("", max_length=100)
    subscriber_state: str = Field("", max_length=2)
    subscriber_zip_code: str = Field("", max_length=10)
    # The bounds are checked by the service (so the page and the API give the same sentence);
    # they are repeated here only for the OpenAPI document.
    copay_cents: Cents | None = Field(
        None,
        description="What the patient pays per visit, in cents: 2500 for $25.00. A JSON integer; "
        '25.5 or "25.50" is refused.',
        json_schema_extra={"minimum": 0, "maximum": coverage.COPAY_MAX_CENTS},
    )
    copay_notes: str = Field("", max_length=200)
    coinsurance_notes: str = Field("", max_length=200)
    deductible_notes: str = Field("", max_length=200)


class CoverageEndIn(InputSchema):
    end_date: PlausibleDate = Field(description="The last covered day")
    reason: str = Field("", max_length=200)


@router.get("/payers", response=list[PayerOut], summary="The payer directory")
@api_requires(Cap.PATIENT_COVERAGE_WRITE)
def payer_index(request, include_inactive: bool = False):
    return list(payers.payer_list(include_inactive=include_inactive))


@router.post("/payers", response={201: PayerOut}, summary="Add a payer to the directory")
@api_requires(Cap.BILLING_PAYER_MANAGE)
def payer_add(request, payload: PayerIn):
    data = payers.PayerInput(**{**payload.model_dump(), "payer_type": str(payload.payer_type)})
    return Status(201, payers.payer_create(actor=request.user, data=data))


@router.get("/patients/{mrn}/coverages", response=list[CoverageOut], summary="A patient's coverages (audited read)")
@api_requires(Cap.PATIENT_DEMOGRAPHICS_READ)
def coverage_index(request, mrn: str, include_ended: bool = False):
    patient = access_patient(actor=request.user, mrn=mrn, purpose="coverages")
    found = coverage.coverages_all(patient=patient) if include_ended else coverage.coverages_active(patient=patient)
    return list(found)


@router.post(
    "/patients/{mrn}/coverages",
    response={201: CoverageOut},
    summary="Add a coverage (409 when the patient already has an active one of that priority)",
)
@api_requires(Cap.PATIENT_COVERAGE_WRITE)
def coverage_create(request, mrn: str, payload: CoverageIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_COVERAGE_WRITE, purpose="add coverage")
    values = payload.model_dump(exclude={"payer"})
    values["subscriber_sex"] = str(values["subscriber_sex"] or "")
    values["priority"], values["relationship"] = str(payload.priority), str(payload.relationship)
    payer = payers.payer_find(public_id=payload.payer)
    data = coverage.CoverageInput(payer=payer, **values)
    return Status(201, coverage.coverage_add(actor=request.user, patient=patient, data=data))


@router.post("/patients/{mrn}/coverages/{coverage_id}/end", response=CoverageOut, summary="End a coverage")
@api_requires(Cap.PATIENT_COVERAGE_WRITE)
def coverage_finish(request, mrn: str, coverage_id: str, payload: CoverageEndIn):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_COVERAGE_WRITE, purpose="end coverage")
    ending = coverage.coverage_of(patient=patient, public_id=coverage_id)
    return coverage.coverage_end(actor=request.user, coverage=ending, end_date=payload.end_date, reason=payload.reason)
