"""POST /api/v1/patients/{mrn}/merge : the merge page as an endpoint, over the same service."""

from ninja import Router, Schema
from pydantic import Field

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.errors import Conflict
from clinicdesk.core.schemas import InputSchema

from .access import access_patient
from .merge import merge_alias_target, patient_merge

router = Router(tags=["patients"])


class MergeIn(InputSchema):
    merge: str = Field(min_length=1, max_length=20, description="MRN of the duplicate record to fold into {mrn}.")


class MergeOut(Schema):
    survivor: str = Field(description="MRN that stays.")
    merged: str = Field(description="MRN merged in; from now on an alias of the survivor.")
    moved: dict[str, int] = Field(description="Rows each merge step moved, kept or ended.")


@router.post("/patients/{mrn}/merge", response=MergeOut, summary="Merge a duplicate record into this one (audited)")
@api_requires(Cap.PATIENT_MERGE)
def patient_merge_endpoint(request, mrn: str, payload: MergeIn):
    survivor = access_patient(actor=request.user, mrn=mrn, need=Cap.PATIENT_MERGE, purpose="merge")
    other = payload.merge.strip()
    if target := merge_alias_target(other):
        raise Conflict({"merge": [f"Record {other} was already merged into {target}; it cannot be merged again."]})
    merged = access_patient(actor=request.user, mrn=other, need=Cap.PATIENT_MERGE, purpose="merge")
    record = patient_merge(actor=request.user, survivor=survivor, merged=merged)
    return {"survivor": survivor.mrn, "merged": record.merged_mrn, "moved": record.moved}
