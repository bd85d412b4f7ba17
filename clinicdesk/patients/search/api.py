"""GET /api/v1/patients?q= : the search box as an endpoint, over the same access function."""

from datetime import date

from ninja import Query, Router, Schema
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import InputSchema

from .access import access_patient_search
from .query import MAX_QUERY


class SearchParams(InputSchema):
    q: str = Field("", max_length=MAX_QUERY, description="A name, date of birth, phone number, MRN or member id.")


class PatientHitOut(Schema):
    mrn: str
    display_name: str = Field(description='"Last, First", or initials for a restricted record without a grant.')
    date_of_birth: date | None = Field(description="None for a restricted record without a grant.")
    age: int | None = Field(description="None for a restricted record without a grant.")
    phone_last4: str = Field(description="Last four digits of the patient's first phone, or empty.")
    status: str = Field(description='"" when active, else "Inactive" or "Deceased".')
    restricted: bool = Field(description="Opening the record needs emergency access.")
    match: str = Field(description='What matched: "MRN", "phone", "name", "nickname", "similar spelling", ...')


class PatientSearchOut(Schema):
    kind: str = Field(description="How the query was read: name, name+dob, dob, phone, mrn, ssn, member_id, empty.")
    problem: str = Field(description="A plain-English hint when the query could not be used as typed.")
    results: list[PatientHitOut]


def search_routes_add(router: Router) -> None:
    """Add GET /patients to the patients router (a path may live on one router only)."""

    @router.get("/patients", response=PatientSearchOut, summary="Search patients (audited; at most 20, best first)")
    @api_requires(Cap.PATIENT_DEMOGRAPHICS_READ)
    def patient_search(request, params: Query[SearchParams]):
        result = access_patient_search(actor=request.user, text=params.q)
        return {"kind": result.kind, "problem": result.problem, "results": result.hits}
