"""The OpenAPI operation id and tag of every API endpoint, from its method and path by one rule.

Clients generated from the OpenAPI document name their functions and modules after these
(`appointment_create` in the module `appointments`), so an id must not change when a Python
function is renamed or moved: it is made from what a client already depends on, the method and
the path.

The rule reads the path's literal segments from left to right. A segment named in RESOURCES
sets the resource (`appointments` -> `appointment`) and forgets any word before it; any other
word after it is an action. Then:

    GET /appointments                      appointment_list     (POST: _create, PUT: _replace)
    GET /appointments/{id}                 appointment_read     (PUT, PATCH: _update; DELETE: _delete)
    POST /appointments/{id}/cancel         appointment_cancel   (any method: resource_action)
    GET /encounters/{id}/note              note_read            (a single resource: _read, _create, _update, _delete)

The tag is the resource's group in RESOURCES. OVERRIDES holds the few ids the rule would make
badly (two methods of one action, a search that is not a plain list); an explicit
`operation_id=` on a route wins over both. A new path segment that is a resource belongs in
RESOURCES. clinicdesk/tests/test_openapi_operations.py pins the whole list.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Resource(NamedTuple):
    name: str  # in operation ids, singular
    tag: str
    single: bool = False  # one per parent (a note per encounter), not a collection


RESOURCES: dict[str, Resource] = {
    # accounts, audit, codes
    "staff": Resource("staff", "staff"),
    "me": Resource("me", "staff", single=True),
    "events": Resource("audit_event", "audit"),
    "icd10": Resource("icd10_code", "codes"),
    # patients
    "patients": Resource("patient", "patients"),
    "guarantor": Resource("guarantor", "patients", single=True),
    "coverages": Resource("coverage", "insurance"),
    "payers": Resource("payer", "insurance"),
    "consents": Resource("consent", "privacy"),
    "restrictions": Resource("restriction", "privacy"),
    "npp-acknowledgments": Resource("npp_acknowledgment", "privacy"),
    "communication-preferences": Resource("communication_preference", "privacy"),
    "disclosures": Resource("disclosure", "privacy"),
    # scheduling
    "locations": Resource("location", "practice setup"),
    "rooms": Resource("room", "practice setup"),
    "providers": Resource("provider", "practice setup"),
    "appointment-types": Resource("appointment_type", "practice setup"),
    "holidays": Resource("holiday", "availability"),
    "templates": Resource("availability_template", "availability"),
    "exceptions": Resource("schedule_exception", "availability"),
    "slots": Resource("slot", "availability"),
    "appointments": Resource("appointment", "appointments"),
    "confirmations": Resource("confirmation", "appointments"),
    "series": Resource("series", "appointments"),
    "day-schedule": Resource("day_schedule", "patient flow", single=True),
    "flow-board": Resource("flow_board", "patient flow", single=True),
    "waitlist": Resource("waitlist_entry", "waitlist"),
    "offers": Resource("waitlist_offer", "waitlist"),
    "matches": Resource("waitlist_match", "waitlist"),
    # clinical
    "encounters": Resource("encounter", "encounters"),
    "vitals": Resource("vitals", "encounters"),
    "note": Resource("note", "notes", single=True),
    "note-templates": Resource("note_template", "notes"),
    "addenda": Resource("addendum", "notes"),
    "amendment-requests": Resource("amendment_request", "notes"),
    "diagnoses": Resource("diagnosis", "clinical lists"),
    "problems": Resource("problem", "clinical lists"),
    "medications": Resource("medication", "clinical lists"),
    "prescriptions": Resource("prescription", "clinical lists"),
    "allergies": Resource("allergy", "clinical lists"),
    "recalls": Resource("recall", "recalls"),
}

# (METHOD, path below /api/v1) -> (operation id, tag or None for the rule's).
OVERRIDES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("GET", "/patients"): ("patient_search", None),
    ("GET", "/codes/icd10"): ("icd10_search", None),
    ("GET", "/scheduling/slots"): ("slot_search", None),
    ("POST", "/patients/{mrn}/export"): ("patient_export_release", None),
    ("GET", "/patients/{mrn}/disclosures.pdf"): ("disclosure_accounting_pdf", "privacy"),
    ("PUT", "/scheduling/locations/{public_id}/holidays/{day}/open"): ("holiday_open", None),
    ("DELETE", "/scheduling/locations/{public_id}/holidays/{day}/open"): ("holiday_close", None),
    ("PUT", "/staff/{public_id}/role"): ("staff_role_change", None),
    ("POST", "/scheduling/appointments/{public_id}/confirmation"): ("appointment_confirmation_record", None),
    ("POST", "/scheduling/appointments/{public_id}/flow"): ("appointment_flow_move", "patient flow"),
    ("POST", "/scheduling/appointments/{public_id}/flow/undo"): ("appointment_flow_undo", "patient flow"),
    ("POST", "/scheduling/appointments/{public_id}/no-show"): ("appointment_no_show", "patient flow"),
    ("POST", "/clinical/appointments/{public_id}/encounter"): ("encounter_open", "encounters"),
}

COLLECTION_VERBS = {"GET": "list", "POST": "create", "PUT": "replace", "DELETE": "delete_all"}
ITEM_VERBS = {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
SINGLE_VERBS = {"GET": "read", "POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}


def operation_name(method: str, path: str) -> tuple[str, str]:
    """The (operation id, tag) of `method` on `path` (below /api/v1, path parameters in braces).

    A path naming no resource at all gets its words as the id and the tag "other".
    """
    method = method.upper()
    path = re.sub(r"{(?:[^}:]+:)?([^}]+)}", r"{\1}", path)  # {uuid:public_id} -> {public_id}
    override = OVERRIDES.get((method, path))
    resource: Resource | None = None
    after_id = False
    words: list[str] = []
    for segment in (s for s in path.split("/") if s):
        if segment.startswith("{"):
            after_id = True
        elif segment in RESOURCES:
            resource, after_id, words = RESOURCES[segment], False, []
        else:
            words.append(re.sub(r"[^a-z0-9]+", "_", segment.lower()).strip("_"))
    tag = resource.tag if resource else "other"
    if override:
        return override[0], override[1] or tag
    if resource is None:
        return "_".join(words + [method.lower()]), tag
    if words:
        verb = "_".join(words)
    elif resource.single:
        verb = SINGLE_VERBS[method]
    else:
        verb = (ITEM_VERBS if after_id else COLLECTION_VERBS)[method]
    return f"{resource.name}_{verb}", tag
