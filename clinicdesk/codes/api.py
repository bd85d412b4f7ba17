"""GET /api/v1/codes/icd10?q= (search as you type) and GET /api/v1/codes/icd10/{code}. Not PHI: no audit."""

from typing import Annotated

from django.http import Http404
from ninja import Query, Router, Schema
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.schemas import Between, InputSchema

from .selectors import MAX_QUERY, icd10_code, icd10_search

router = Router(tags=["codes"])


class Icd10SearchParams(InputSchema):
    q: str = Field(
        "", max_length=MAX_QUERY, description='A code or its start ("E11", "e11.9") or words ("type 2 diab").'
    )
    billable: bool = Field(False, description="Only codes valid on a claim (no categories or headers).")
    limit: Annotated[int, Between(1, 100)] = 20


class Icd10Out(Schema):
    code: str = Field(description='Dotted, e.g. "E11.9".')
    description: str
    billable: bool
    parent: str = Field(description='The code one level up; "" for a category.')
    category: str
    chapter: int
    release: str
    active: bool


@router.get("/codes/icd10", response=list[Icd10Out], summary="Search ICD-10-CM codes by code or words (best first)")
@api_requires(Cap.CLINICAL_CODES_READ)
def icd10_search_endpoint(request, params: Query[Icd10SearchParams]):
    return icd10_search(params.q, billable_only=params.billable, limit=params.limit)


@router.get("/codes/icd10/{code}", response=Icd10Out, summary="One ICD-10-CM code (also inactive ones)")
@api_requires(Cap.CLINICAL_CODES_READ)
def icd10_code_endpoint(request, code: str):
    found = icd10_code(code)
    if found is None:
        raise Http404
    return found
