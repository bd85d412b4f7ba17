"""The only way views and endpoints search for patients: capability check, search, audit.

The audit event names the kind of query and the MRNs shown, never the text typed: a search
box receives names, dates of birth and sometimes a whole SSN.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can

from ..display import patient_lens
from .query import Kind, parse_query
from .selectors import MAX_RESULTS, SearchResult, patient_search

AUDIT_DETAIL_LIMIT = 500  # AuditEvent.detail


def audit_detail(kind: str, mrns: list[str]) -> str:
    """ "kind=name; results=12345674,23456781", cut at a whole MRN with "…" when too long."""
    head = f"kind={kind}; results="
    shown: list[str] = []
    for mrn in mrns:
        if len(head) + len(",".join([*shown, mrn])) + 2 > AUDIT_DETAIL_LIMIT:
            return head + ",".join(shown) + ",…"
        shown.append(mrn)
    return head + ",".join(shown)


def access_patient_search(*, actor: User, text: str, limit: int = MAX_RESULTS) -> SearchResult:
    """Search as `actor`; raises PermissionDenied without patient.demographics.read.

    An empty box searches nothing and records nothing. Every other search is audited, even
    one that finds no one (someone looked). A restricted record `actor` holds no grant for is
    listed masked (initials, MRN, the Restricted badge; no date of birth, age or phone), so its
    link still leads to the emergency-access offer.
    """
    if not role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_READ):
        raise PermissionDenied(Cap.PATIENT_DEMOGRAPHICS_READ)
    now = clock.today()
    query = parse_query(text, today=now)
    if query.kind == Kind.EMPTY:
        return SearchResult(kind=Kind.EMPTY)
    with transaction.atomic():
        result = patient_search(query=query, today=now, limit=limit)
        result.hits = patient_lens(viewer=actor).hits(result.hits)
        audit_record(
            actor=actor,
            action=Action.READ,
            object_type=ObjectType.PATIENT_SEARCH,
            detail=audit_detail(result.kind, [hit.mrn for hit in result.hits]),
        )
    return result
