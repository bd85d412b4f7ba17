"""Audit events out of the building: CSV for spreadsheets, FHIR R4 AuditEvent for other systems."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from clinicdesk.core import csvsafe

from .chain import CHAINED_FIELDS, format_time
from .models import Action, AuditEvent, Outcome

# The chained fields (without the internal actor key) and the two hashes, so an exported file
# can be checked against the chain.
CSV_COLUMNS = (*(name for name in CHAINED_FIELDS if name != "actor_id"), "prev_hash", "hash")


def write_csv(events: Iterable[AuditEvent], out: IO[str]) -> int:
    """Write `events` as CSV (header line first); returns how many.

    Cells that a spreadsheet would run as a formula carry a leading apostrophe (core/csvsafe.py);
    take it off (`csvsafe.unescape_cell`) before checking a row against its hash.
    """
    writer = csvsafe.writer(out)
    writer.writerow(CSV_COLUMNS)
    n = 0
    for event in events:
        writer.writerow(
            format_time(event.at) if column == "at" else str(getattr(event, column)) for column in CSV_COLUMNS
        )
        n += 1
    return n


# DICOM audit codes (DCM) and FHIR's action/outcome codes, as FHIR R4 AuditEvent expects them.
_FHIR_ACTION: dict[str, str] = {
    Action.CREATE: "C",
    Action.READ: "R",
    Action.UPDATE: "U",
    Action.DELETE: "D",
    Action.EXECUTE: "E",
    Action.LOGIN: "E",
    Action.LOGIN_FAILED: "E",
    Action.LOGOUT: "E",
    Action.PRINT: "R",
    Action.EXPORT: "R",
    Action.EMERGENCY_ACCESS: "R",
}
_FHIR_OUTCOME: dict[str, str] = {Outcome.SUCCESS: "0", Outcome.FAILURE: "4", Outcome.DENIED: "4"}
_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_TYPE: dict[str, tuple[str, str]] = {
    Action.LOGIN: ("110114", "User Authentication"),
    Action.LOGIN_FAILED: ("110114", "User Authentication"),
    Action.LOGOUT: ("110114", "User Authentication"),
    Action.EXPORT: ("110106", "Export"),
    Action.PRINT: ("110106", "Export"),
    Action.EMERGENCY_ACCESS: ("110113", "Security Alert"),
}
_SUBTYPE: dict[str, tuple[str, str]] = {
    Action.LOGIN: ("110122", "Login"),
    Action.LOGIN_FAILED: ("110122", "Login"),
    Action.LOGOUT: ("110123", "Logout"),
}


def fhir_audit_event(event: AuditEvent) -> dict[str, Any]:
    code, display = _TYPE.get(event.action, ("110110", "Patient Record"))
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"clinicdesk-audit-{event.seq}",
        "type": {"system": _DCM, "code": code, "display": display},
        "action": _FHIR_ACTION[event.action],
        "recorded": format_time(event.at),
        "outcome": _FHIR_OUTCOME[event.outcome],
        "agent": [
            {
                "who": {
                    "identifier": {"system": "urn:clinicdesk:staff", "value": event.actor_username or "system"},
                    "display": event.actor_role or "system",
                },
                "requestor": True,
                **({"network": {"address": event.ip, "type": "2"}} if event.ip else {}),
                **({"purposeOfUse": [{"text": event.reason}]} if event.reason else {}),
            }
        ],
        "source": {"site": "ClinicDesk", "observer": {"display": "ClinicDesk"}},
        "extension": [
            {"url": "urn:clinicdesk:audit:seq", "valueInteger": event.seq},
            {"url": "urn:clinicdesk:audit:hash", "valueString": event.hash},
        ],
    }
    if event.action in _SUBTYPE:
        sub_code, sub_display = _SUBTYPE[event.action]
        resource["subtype"] = [{"system": _DCM, "code": sub_code, "display": sub_display}]
    if event.outcome != Outcome.SUCCESS and event.detail:
        resource["outcomeDesc"] = event.detail
    entities = []
    if event.object_type or event.object_id:
        entity: dict[str, Any] = {
            "what": {
                "identifier": {
                    "system": f"urn:clinicdesk:{event.object_type or 'object'}",
                    "value": event.object_id or "-",
                }
            }
        }
        if event.changed_fields:
            entity["detail"] = [{"type": "changed-fields", "valueString": event.changed_fields}]
        entities.append(entity)
    if event.patient_id:
        entities.append(
            {
                "what": {"identifier": {"system": "urn:clinicdesk:patient", "value": event.patient_id}},
                "type": {
                    "system": "http://terminology.hl7.org/CodeSystem/audit-entity-type",
                    "code": "1",
                    "display": "Person",
                },
                "role": {
                    "system": "http://terminology.hl7.org/CodeSystem/object-role",
                    "code": "1",
                    "display": "Patient",
                },
            }
        )
    if entities:
        resource["entity"] = entities
    return resource


def fhir_bundle(events: Iterable[AuditEvent]) -> dict[str, Any]:
    """A FHIR R4 `collection` Bundle of AuditEvent resources."""
    entries = [{"fullUrl": f"urn:clinicdesk:audit:{e.seq}", "resource": fhir_audit_event(e)} for e in events]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
