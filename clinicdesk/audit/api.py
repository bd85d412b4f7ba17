from datetime import datetime
from typing import Annotated

from django.core.paginator import Paginator
from ninja import Query, Router, Schema

from clinicdesk.core.api_guards import api_requires
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.patient_refs import patient_ref_or_refuse
from clinicdesk.core.schemas import Between, InputSchema, PlausibleDate

from .models import Action
from .selectors import AuditFilter, audit_events

router = Router(tags=["audit"])


class EventOut(Schema):
    seq: int
    at: datetime
    actor_username: str
    actor_role: str
    action: str
    object_type: str
    object_id: str
    patient_id: str
    reason: str
    outcome: str
    ip: str
    changed_fields: str
    detail: str
    hash: str


class EventPage(Schema):
    count: int
    page: int
    pages: int
    results: list[EventOut]


class EventQuery(InputSchema):
    person: str = ""
    patient: str = ""
    action: Action | None = None
    date_from: PlausibleDate | None = None
    date_to: PlausibleDate | None = None
    sort: str = "-time"
    page: Annotated[int, Between(1, 1_000_000)] = 1
    page_size: Annotated[int, Between(1, 1000)] = 100


@router.get("/events", response=EventPage, summary="Audit events, filtered")
@api_requires(Cap.AUDIT_READ)
def events(request, q: Query[EventQuery]):
    # The patient as given (MRN or public id) -> the MRN events name; unknown: 422 naming it.
    patient = patient_ref_or_refuse(q.patient).mrn if q.patient.strip() else ""
    filters = AuditFilter(
        person=q.person, patient=patient, action=q.action or "", date_from=q.date_from, date_to=q.date_to, sort=q.sort
    )
    paginator = Paginator(audit_events(filters=filters), q.page_size)
    page = paginator.get_page(q.page)
    return EventPage(
        count=paginator.count,
        page=page.number,
        pages=paginator.num_pages,
        results=[EventOut.model_validate(e, from_attributes=True) for e in page],
    )
