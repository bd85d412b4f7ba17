"""API of the accounting of disclosures, over the same services as the pages (disclosures.py)."""

# No `from __future__ import annotations` here: ninja reads the body and query types at import.
from datetime import date, datetime
from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import InputSchema, StrictDate

from . import disclosures
from .access import access_patient
from .models import DisclosureBasis, DisclosureMethod, RecipientKind

router = Router(tags=["privacy"])
PURPOSE = disclosures.ACCOUNTING_PURPOSE


class ReleaseIn(InputSchema):
    """Who receives a copy or a disclosure. For the patient, only `method` matters; anyone else
    needs `recipient_name`, `purpose` and a `basis` (with `consent`, the public id of a release
    of information, for `authorization`)."""

    recipient_kind: RecipientKind = RecipientKind.PATIENT
    recipient_name: str = Field("", max_length=200)
    recipient_address: str = Field("", max_length=300)
    purpose: str = Field("", max_length=300)
    basis: DisclosureBasis | None = None
    consent: UUID | None = None
    method: DisclosureMethod = DisclosureMethod.API

    def to_input(self, **extra) -> disclosures.DisclosureInput:
        return disclosures.DisclosureInput(
            recipient_kind=str(self.recipient_kind),
            method=str(self.method),
            recipient_name=self.recipient_name,
            recipient_address=self.recipient_address,
            purpose=self.purpose,
            basis=str(self.basis or ""),
            consent=self.consent,
            **extra,
        )


class DisclosureIn(ReleaseIn):
    """A disclosure made outside ClinicDesk. `description` names categories, never the content."""

    recipient_kind: RecipientKind = RecipientKind.THIRD_PARTY
    method: DisclosureMethod
    description: str = Field(min_length=1, max_length=500)
    disclosed_on: StrictDate | None = None


class DisclosureOut(Schema):
    public_id: UUID
    disclosed_on: date
    recorded_at: datetime
    recipient_kind: str
    recipient_name: str
    recipient_address: str
    purpose: str
    description: str
    basis: str
    consent: UUID | None = None
    method: str
    made_by: str
    export_format: str
    export_scope: str
    in_accounting: bool

    @staticmethod
    def resolve_consent(obj) -> UUID | None:
        return obj.consent.public_id if obj.consent_id else None

    @staticmethod
    def resolve_made_by(obj) -> str:
        return str(obj.made_by)


class PeriodQuery(Schema):
    since: StrictDate | None = Field(None, description="First day; default six years before today")
    until: StrictDate | None = Field(None, description="Last day; default today")
    accounting_only: bool = Field(False, description="Only what HIPAA requires in an accounting")


def _bounds(query: PeriodQuery) -> tuple[date, date]:
    default_since, today = disclosures.accounting_period()
    return query.since or default_since, query.until or today


@router.get(
    "/patients/{mrn}/disclosures",
    response=list[DisclosureOut],
    summary="The patient's disclosures, newest first (default: the six years up to today)",
)
@api_requires(Cap.PATIENT_DISCLOSURE_READ)
def disclosure_index(request, mrn: str, query: Query[PeriodQuery]):
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_DISCLOSURE_READ, purpose=PURPOSE)
    since, until = _bounds(query)
    return list(
        disclosures.disclosures_of(patient=patient, since=since, until=until, accounting_only=query.accounting_only)
    )


@router.get(
    "/patients/{mrn}/disclosures.pdf",
    summary="The accounting of disclosures as a PDF for the patient (audited as a print)",
    response={200: None},
)
@api_requires(Cap.PATIENT_DISCLOSURE_READ)
def disclosure_accounting_pdf(request, mrn: str, query: Query[PeriodQuery]):
    since, until = _bounds(query)
    patient, content = disclosures.accounting_print(
        actor=request.user, mrn=mrn, since=since, until=until, accounting_only=query.accounting_only
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{disclosures.accounting_filename(patient)}"'
    response["Cache-Control"] = "no-store"
    return response


@router.post(
    "/patients/{mrn}/disclosures",
    response={201: DisclosureOut},
    summary="Record a disclosure made outside ClinicDesk (copies made here record themselves)",
)
@api_requires(Cap.PATIENT_DISCLOSURE_RECORD)
def disclosure_create(request, mrn: str, payload: DisclosureIn):
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.PATIENT_DISCLOSURE_RECORD, purpose="record a disclosure"
    )
    data = payload.to_input(description=payload.description, disclosed_on=payload.disclosed_on)
    return Status(201, disclosures.disclosure_record(actor=request.user, patient=patient, data=data))
