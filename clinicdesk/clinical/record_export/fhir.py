"""The clinical record as FHIR R4 resources, following US Core where it profiles the resource."""

from __future__ import annotations

import base64
import re
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinicdesk.patients.export.sections import (
    us_date,
)

from ..models import (
    Allergy,
    AllergySeverity,
    AllergyStatus,
    AmendmentRequest,
    AmendmentStatus,
    Encounter,
    EncounterDiagnosis,
    EncounterStatus,
    Medication,
    MedicationStatus,
    Prescription,
    Problem,
    ProblemStatus,
    Recall,
    RecallStatus,
    VisitNote,
    Vitals,
)
from .chart import (
    ADDENDUM,
    BP_DIASTOLIC,
    BP_PANEL,
    BP_SYSTOLIC,
    FOLLOW_UP,
    ICD10CM,
    LOINC,
    NO_KNOWN_ALLERGY,
    PAIN,
    PROGRESS_NOTE,
    SECTION_NAMES,
    SNOMED,
    TERMINOLOGY,
    UCUM,
    US_CORE,
    VITAL_SIGNS,
    Chart,
    coding,
    concept,
    derived_id,
    identifier,
    number,
    url,
    who,
)

# --- FHIR ------------------------------------------------------------------------------------


def _encounter_resource(chart: Chart, encounter: Encounter, today: date) -> dict[str, Any]:
    # The visit took place on its date of service; an encounter still open today is in progress,
    # one left open from an earlier day is a finished visit whose note is not signed yet.
    in_progress = encounter.status == EncounterStatus.OPEN and encounter.date_of_service >= today
    appointment = encounter.appointment
    kind = appointment.appointment_type.name if appointment is not None else "Unscheduled visit"
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.public_id),
        "meta": {"profile": [US_CORE + "us-core-encounter"]},
        "identifier": identifier("encounter", encounter.public_id),
        "status": "in-progress" if in_progress else "finished",
        "class": coding(TERMINOLOGY + "v3-ActCode", "AMB", "ambulatory"),
        "type": [concept(SNOMED, "308335008", "Patient encounter procedure", text=kind)],
        "subject": {"reference": chart.request.patient_reference},
        "participant": [
            {
                "type": [concept(TERMINOLOGY + "v3-ParticipationType", "PPRF", "primary performer")],
                "individual": who(encounter.provider),
            }
        ],
        "period": {"start": encounter.date_of_service.isoformat()},
        "reasonCode": [{"text": encounter.reason}],
        "location": [{"location": {"display": encounter.location.name}}],
    }
    diagnoses = chart.diagnoses.get(encounter.pk, [])
    if diagnoses:
        resource["diagnosis"] = [
            {"condition": {"reference": url(derived_id("diagnosis", encounter.public_id, d.code))}, "rank": d.rank}
            for d in diagnoses
        ]
    return resource


def _diagnosis_resource(chart: Chart, encounter: Encounter, diagnosis: EncounterDiagnosis) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": derived_id("diagnosis", encounter.public_id, diagnosis.code),
        "meta": {"profile": [US_CORE + "us-core-condition-encounter-diagnosis"]},
        "verificationStatus": concept(TERMINOLOGY + "condition-ver-status", "confirmed", "Confirmed"),
        "category": [concept(TERMINOLOGY + "condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
        "code": concept(ICD10CM, diagnosis.code, diagnosis.description, text=diagnosis.description),
        "subject": {"reference": chart.request.patient_reference},
        "encounter": {"reference": url(encounter.public_id)},
        "recordedDate": encounter.date_of_service.isoformat(),
    }


def _problem_resource(chart: Chart, problem: Problem) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(problem.public_id),
        "meta": {"profile": [US_CORE + "us-core-condition-problems-health-concerns"]},
        "identifier": identifier("problem", problem.public_id),
    }
    if problem.status == ProblemStatus.IN_ERROR:
        # FHIR: no clinicalStatus on an entry entered in error (invariant con-5).
        resource["verificationStatus"] = concept(
            TERMINOLOGY + "condition-ver-status", "entered-in-error", "Entered in Error"
        )
    else:
        active = problem.status == ProblemStatus.ACTIVE
        resource["clinicalStatus"] = concept(
            TERMINOLOGY + "condition-clinical", "active" if active else "resolved", "Active" if active else "Resolved"
        )
        resource["verificationStatus"] = concept(TERMINOLOGY + "condition-ver-status", "confirmed", "Confirmed")
    resource["category"] = [concept(TERMINOLOGY + "condition-category", "problem-list-item", "Problem List Item")]
    resource["code"] = concept(ICD10CM, problem.code, problem.description, text=problem.description)
    resource["subject"] = {"reference": chart.request.patient_reference}
    if problem.encounter is not None:
        resource["encounter"] = {"reference": url(problem.encounter.public_id)}
    if problem.onset:
        resource["onsetDateTime"] = problem.onset.isoformat()
    if problem.resolved_on and problem.status == ProblemStatus.RESOLVED:
        resource["abatementDateTime"] = problem.resolved_on.isoformat()
    resource["recordedDate"] = problem.created_at.isoformat()
    if problem.note:
        resource["note"] = [{"text": problem.note}]
    return resource


_MED_STATUS = {MedicationStatus.ACTIVE: "active", MedicationStatus.STOPPED: "stopped", MedicationStatus.IN_ERROR: "entered-in-error"}  # fmt: skip


def _medication_resource(chart: Chart, medication: Medication, based_on: list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.public_id),
        "identifier": identifier("medication", medication.public_id),
        "status": _MED_STATUS[MedicationStatus(medication.status)],
        "medicationCodeableConcept": {"text": str(medication)},
        "subject": {"reference": chart.request.patient_reference},
        "dateAsserted": medication.created_at.isoformat(),
    }
    if based_on:
        resource["basedOn"] = [{"reference": url} for url in based_on]
    if medication.status == MedicationStatus.STOPPED and medication.stop_reason:
        resource["statusReason"] = [{"text": medication.stop_reason}]
    period = {k: d.isoformat() for k, d in (("start", medication.start_date), ("end", medication.stop_date)) if d}
    if period:
        resource["effectivePeriod"] = period
    if medication.directions:
        resource["dosage"] = [{"text": medication.directions}]
    return resource


_QUANTITY = re.compile(r"^\s*(\d{1,6}(?:\.\d{1,3})?)\s*(.*?)\s*$")


def _prescription_resource(chart: Chart, prescription: Prescription, status: str) -> dict[str, Any]:
    medication = prescription.medication
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(prescription.public_id),
        "meta": {"profile": [US_CORE + "us-core-medicationrequest"]},
        "identifier": identifier("prescription", prescription.public_id),
        "status": status,
        "intent": "order",
        "category": [
            concept(TERMINOLOGY + "medicationrequest-category", "community", "Community"),
        ],
        "reportedBoolean": False,
        "medicationCodeableConcept": {"text": str(medication)},
        "subject": {"reference": chart.request.patient_reference},
        "authoredOn": prescription.written_on.isoformat(),
        "requester": who(prescription.prescriber),
        "dosageInstruction": [{"text": prescription.directions}],
        "dispenseRequest": {"numberOfRepeatsAllowed": prescription.refills},
        "substitution": {"allowedBoolean": not prescription.dispense_as_written},
    }
    if prescription.encounter is not None:
        resource["encounter"] = {"reference": url(prescription.encounter.public_id)}
    # The quantity is typed as text ("60 tablets"); a leading number becomes a quantity, the rest
    # its unit as written. Anything else travels as a note, word for word.
    matched = _QUANTITY.match(prescription.quantity)
    if matched:
        quantity: dict[str, Any] = {"value": float(matched.group(1))}
        if matched.group(2):
            quantity["unit"] = matched.group(2)
        resource["dispenseRequest"]["quantity"] = quantity
    elif prescription.quantity:
        resource["note"] = [{"text": f"Quantity: {prescription.quantity}"}]
    return resource


def _prescription_statuses(chart: Chart) -> dict[int, str]:
    """FHIR status of each prescription: the newest of an active medication is active and the
    older ones completed (a later prescription took over); a stopped medication's are stopped."""
    statuses: dict[int, str] = {}
    seen: set[int] = set()
    for prescription in chart.prescriptions:  # newest first
        status = prescription.medication.status
        if status == MedicationStatus.IN_ERROR:
            statuses[prescription.pk] = "entered-in-error"
        elif status == MedicationStatus.STOPPED:
            statuses[prescription.pk] = "stopped"
        else:
            statuses[prescription.pk] = "completed" if prescription.medication_id in seen else "active"
        seen.add(prescription.medication_id)
    return statuses


def _allergy_resource(chart: Chart, allergy: Allergy) -> dict[str, Any]:
    verification = TERMINOLOGY + "allergyintolerance-verification"
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.public_id),
        "meta": {"profile": [US_CORE + "us-core-allergyintolerance"]},
        "identifier": identifier("allergy", allergy.public_id),
    }
    if allergy.status == AllergyStatus.IN_ERROR:
        # FHIR: no clinicalStatus on an entry entered in error (invariant ait-2).
        resource["verificationStatus"] = concept(verification, "entered-in-error", "Entered in Error")
    else:
        active = allergy.status == AllergyStatus.ACTIVE
        resource["clinicalStatus"] = concept(
            TERMINOLOGY + "allergyintolerance-clinical", "active" if active else "inactive",
            "Active" if active else "Inactive",
        )  # fmt: skip
        resource["verificationStatus"] = concept(verification, "confirmed", "Confirmed")
    if allergy.no_known_allergies:
        resource["code"] = concept(SNOMED, *NO_KNOWN_ALLERGY, text="No known allergies")
    else:
        resource["code"] = {"text": allergy.substance}
    resource["patient"] = {"reference": chart.request.patient_reference}
    resource["recordedDate"] = allergy.noted_on.isoformat()
    severity = allergy.severity if allergy.severity != AllergySeverity.UNKNOWN else ""
    if allergy.reaction or severity:
        # A reaction needs a manifestation in FHIR; a severity recorded without one says so.
        reaction: dict[str, Any] = {"manifestation": [{"text": allergy.reaction or "Reaction not recorded"}]}
        if severity:
            reaction["severity"] = severity
        resource["reaction"] = [reaction]
    return resource


def _observation(
    chart: Chart, vitals: Vitals, key: str, *, profile: str, codings: tuple[tuple[str, str], ...], category: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": derived_id("vitals", vitals.public_id, key),
        "status": "entered-in-error" if vitals.in_error else "final",
        "category": [
            concept(
                TERMINOLOGY + "observation-category",
                category,
                "Vital Signs" if category == "vital-signs" else "Survey",
            )
        ],
        "code": {"coding": [coding(LOINC, code, display) for code, display in codings], "text": codings[0][1]},
        "subject": {"reference": chart.request.patient_reference},
        "effectiveDateTime": vitals.taken_at.isoformat(),
    }
    if profile:
        resource["meta"] = {"profile": [US_CORE + profile]}
    if vitals.encounter is not None:
        resource["encounter"] = {"reference": url(vitals.encounter.public_id)}
    if vitals.in_error and vitals.in_error_reason:
        resource["note"] = [{"text": f"Entered in error: {vitals.in_error_reason}"}]
    return resource


def _quantity(value: Decimal | int, code: str, unit: str = "") -> dict[str, Any]:
    return {"value": number(value), "unit": unit or code, "system": UCUM, "code": code}


def _vitals_resources(chart: Chart, vitals: Vitals) -> list[dict[str, Any]]:
    resources = []
    if vitals.systolic is not None and vitals.diastolic is not None:
        panel = _observation(
            chart, vitals, "bp", profile="us-core-blood-pressure", codings=(BP_PANEL,), category="vital-signs"
        )
        panel["component"] = [
            {"code": concept(LOINC, *BP_SYSTOLIC), "valueQuantity": _quantity(vitals.systolic, "mm[Hg]", "mmHg")},
            {"code": concept(LOINC, *BP_DIASTOLIC), "valueQuantity": _quantity(vitals.diastolic, "mm[Hg]", "mmHg")},
        ]
        resources.append(panel)
    for field, profile, codings, unit in VITAL_SIGNS:
        value = getattr(vitals, field)
        if value is None:
            continue
        observation = _observation(chart, vitals, field, profile=profile, codings=codings, category="vital-signs")
        observation["valueQuantity"] = _quantity(value, unit)
        resources.append(observation)
    if vitals.pain is not None:
        # Not a vital sign in FHIR or US Core: a reported score, category "survey", no profile claimed.
        observation = _observation(chart, vitals, "pain", profile="", codings=(PAIN,), category="survey")
        observation["valueQuantity"] = _quantity(vitals.pain, "{score}")
        resources.append(observation)
    return resources


def _text_attachment(text: str, *, title: str, created: datetime) -> dict[str, Any]:
    return {
        "contentType": "text/plain",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "title": title,
        "creation": created.isoformat(),
    }


_FORMAT = coding(
    "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
    "urn:ihe:iti:xds:2017:mimeTypeSufficient",
    "mimeType Sufficient",
)


def _note_text(note: VisitNote) -> str:
    return "\n\n".join(
        f"{name.capitalize()}\n{getattr(note, name).strip()}"
        for name, _ in SECTION_NAMES
        if getattr(note, name).strip()
    )


def _document(
    chart: Chart, *, key: Any, kind: tuple[str, str], encounter: Encounter, signed_at: datetime, text: str, title: str
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": str(key),
        "meta": {"profile": [US_CORE + "us-core-documentreference"]},
        "identifier": identifier("document", key),
        "status": "current",
        "type": concept(LOINC, *kind),
        "category": [
            concept(
                "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "clinical-note",
                "Clinical Note",
            ),
        ],  # fmt: skip
        "subject": {"reference": chart.request.patient_reference},
        "date": signed_at.isoformat(),
        "content": [{"attachment": _text_attachment(text, title=title, created=signed_at), "format": _FORMAT}],
        "context": {
            "encounter": [{"reference": url(encounter.public_id)}],
            "period": {"start": encounter.date_of_service.isoformat()},
        },
    }


def _note_resources(chart: Chart, encounter: Encounter, note: VisitNote) -> list[dict[str, Any]]:
    assert note.signed_at is not None  # noqa: S101  (only signed notes reach here)
    addenda = chart.addenda.get(note.pk, [])
    document = _document(
        chart, key=note.public_id, kind=PROGRESS_NOTE, encounter=encounter, signed_at=note.signed_at,
        text=_note_text(note), title=f"Visit note {us_date(encounter.date_of_service)}",
    )  # fmt: skip
    document["docStatus"] = "amended" if addenda else "final"
    authors = [{"display": str(note.signed_by)}]
    if note.author_id != note.signed_by_id:
        authors.append({"display": str(note.author)})
    document["author"] = authors
    document["authenticator"] = {"display": str(note.signed_by)}
    resources = [document]
    for addendum in addenda:
        appended = _document(
            chart, key=addendum.public_id, kind=ADDENDUM, encounter=encounter, signed_at=addendum.signed_at,
            text=addendum.text, title=f"Addendum {us_date(timezone.localtime(addendum.signed_at).date())}",
        )  # fmt: skip
        appended["docStatus"] = "final"
        appended["author"] = [{"display": str(addendum.author)}]
        appended["relatesTo"] = [{"code": "appends", "target": {"reference": url(note.public_id)}}]
        if addendum.amendment_request_id:
            appended["description"] = "Amendment made at the patient's request (HIPAA 164.526)"
        resources.append(appended)
    return resources


_RECALL_STATUS = {
    RecallStatus.DUE: "active",
    RecallStatus.CONTACTED: "active",
    RecallStatus.SCHEDULED: "completed",  # booked: the request is done
    RecallStatus.CLOSED: "revoked",  # closed without a booking
}


def _recall_resource(chart: Chart, recall: Recall) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(recall.public_id),
        "identifier": identifier("recall", recall.public_id),
        "status": _RECALL_STATUS[RecallStatus(recall.status)],
        "intent": "plan",
        "code": concept(SNOMED, *FOLLOW_UP, text=f"{recall.appointment_type.name}: {recall.reason}"),
        "subject": {"reference": chart.request.patient_reference},
        "occurrenceDateTime": recall.due_on.isoformat(),
        "authoredOn": recall.created_at.isoformat(),
        "reasonCode": [{"text": recall.reason}],
    }
    if recall.encounter is not None:
        resource["encounter"] = {"reference": url(recall.encounter.public_id)}
    if recall.provider_id:
        resource["performer"] = [who(recall.provider)]
    return resource


_AMENDMENT_STATUS = {
    AmendmentStatus.PENDING: "requested",
    AmendmentStatus.ACCEPTED: "completed",
    AmendmentStatus.DENIED: "rejected",
}


def _amendment_resource(chart: Chart, request: AmendmentRequest, included_notes: set[int]) -> dict[str, Any]:
    """The request as a FHIR Task to change the record (task-code "change"), with its outcome."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(request.public_id),
        "identifier": identifier("amendment", request.public_id),
        "status": _AMENDMENT_STATUS[AmendmentStatus(request.status)],
        "intent": "proposal",
        "code": concept(
            "http://hl7.org/fhir/CodeSystem/task-code",
            "change",
            "Change the focal resource",
            text="Request to amend the record (HIPAA 164.526)",
        ),  # fmt: skip
        "description": request.requested_change,
        "for": {"reference": chart.request.patient_reference},
        "requester": {"reference": chart.request.patient_reference},
        "authoredOn": request.received_on.isoformat(),
    }
    if request.note is not None and request.note.pk in included_notes:
        resource["focus"] = {"reference": url(request.note.public_id)}
    if request.decided_at:
        resource["lastModified"] = request.decided_at.isoformat()
    if request.status == AmendmentStatus.DENIED:
        resource["statusReason"] = {"text": request.denial_reason}
    addendum = getattr(request, "addendum", None)
    if request.status == AmendmentStatus.ACCEPTED and addendum is not None:
        resource["output"] = [{"type": {"text": "Addendum"}, "valueReference": {"reference": url(addendum.public_id)}}]
    return resource


def _entries(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"fullUrl": url(resource["id"]), "resource": resource} for resource in resources]


def fhir_entries(chart: Chart) -> list[dict[str, Any]]:
    today = timezone.localtime(chart.request.now, chart.request.zone).date()
    resources: list[dict[str, Any]] = []
    included_notes: set[int] = set()
    for encounter in chart.encounters:
        resources.append(_encounter_resource(chart, encounter, today))
        resources += [_diagnosis_resource(chart, encounter, d) for d in chart.diagnoses.get(encounter.pk, [])]
        note = chart.signed_note(encounter)
        if note is not None:
            included_notes.add(note.pk)
            resources += _note_resources(chart, encounter, note)
    resources += [_problem_resource(chart, problem) for problem in chart.problems]
    statuses = _prescription_statuses(chart)
    prescriptions_of: dict[int, list[str]] = defaultdict(list)
    for prescription in chart.prescriptions:
        prescriptions_of[prescription.medication_id].append(url(prescription.public_id))
    resources += [_medication_resource(chart, m, prescriptions_of.get(m.pk, [])) for m in chart.medications]
    resources += [_prescription_resource(chart, p, statuses[p.pk]) for p in chart.prescriptions]
    resources += [_allergy_resource(chart, allergy) for allergy in chart.allergies]
    for vitals in chart.vitals:
        resources += _vitals_resources(chart, vitals)
    resources += [_recall_resource(chart, recall) for recall in chart.recalls]
    resources += [_amendment_resource(chart, request, included_notes) for request in chart.amendments]
    return _entries(resources)
