"""The clinical part of a patient's right-of-access copy (HIPAA 164.524, the designated record set).

Registered in apps.py as the `clinical` export section (scope FULL: only the whole-record copy,
which only roles that read note text may make). For one patient, in a fixed number of queries,
it gives the export both forms of the same facts:

- FHIR R4 resources, following US Core (6.1) where it profiles the resource: Encounter,
  Condition (problem list and encounter diagnoses, ICD-10-CM), MedicationStatement (the
  medication list; US Core has no profile for it) and MedicationRequest (prescriptions),
  AllergyIntolerance (with "no known allergies" as SNOMED 716186003), Observation (vital
  signs with their LOINC codes and UCUM units; blood pressure as a panel), DocumentReference
  (signed notes, LOINC 11506-3, and addenda, 55107-7, which "append" their note), ServiceRequest
  (follow-ups; no profile claimed) and Task (amendment requests and their decisions).
- PDF sections in plain words for the patient.

What is in and what is not:

- Only SIGNED notes and their addenda. A draft is work in progress, not yet part of the
  designated record set; the copy lists the visits whose note is not signed yet.
- Entries entered in error are kept and marked, as FHIR marks them (Condition and
  AllergyIntolerance `verificationStatus` entered-in-error with no `clinicalStatus`;
  Observation, MedicationStatement and MedicationRequest `status` entered-in-error); the PDF
  lists them apart, greyed, under "Entered in error". The patient may see everything the record
  held; a receiving system will not take them for facts.
- Practitioners travel as references with a display name and the NPI as identifier, not as
  Practitioner resources (the staff account holds one display name, not the family and given
  names US Core Practitioner requires).
"""

from __future__ import annotations

import base64
import re
import uuid
from collections import defaultdict
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinicdesk.core.datetimes import datetime_text
from clinicdesk.patients.export.sections import (
    Facts,
    Heading,
    PdfSection,
    SectionOutput,
    SectionRequest,
    Table,
    Text,
    long_date,
    us_date,
)

from .models import (
    Addendum,
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
from .notes import amendment_due_on, when_text
from .vitals import c_to_f, cm_to_in, kg_to_lb

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
_TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
_ID_SYSTEM = "urn:clinicdesk:"

# field, US Core profile, LOINC codings, UCUM code, unit as shown. Pulse oximetry carries both
# codes US Core asks for (2708-6 and 59408-5); blood pressure is a panel, built apart.
VITAL_SIGNS: tuple[tuple[str, str, tuple[tuple[str, str], ...], str], ...] = (
    ("pulse", "us-core-heart-rate", (("8867-4", "Heart rate"),), "/min"),
    ("respiratory_rate", "us-core-respiratory-rate", (("9279-1", "Respiratory rate"),), "/min"),
    ("temperature_c", "us-core-body-temperature", (("8310-5", "Body temperature"),), "Cel"),
    ("height_cm", "us-core-body-height", (("8302-2", "Body height"),), "cm"),
    ("weight_kg", "us-core-body-weight", (("29463-7", "Body weight"),), "kg"),
    ("bmi", "us-core-bmi", (("39156-5", "Body mass index (BMI) [Ratio]"),), "kg/m2"),
    (
        "spo2",
        "us-core-pulse-oximetry",
        (
            ("2708-6", "Oxygen saturation in Arterial blood"),
            ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry"),
        ),
        "%",
    ),
)
BP_PANEL = ("85354-9", "Blood pressure panel with all children optional")
BP_SYSTOLIC = ("8480-6", "Systolic blood pressure")
BP_DIASTOLIC = ("8462-4", "Diastolic blood pressure")
PAIN = ("72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")
NO_KNOWN_ALLERGY = ("716186003", "No known allergy (situation)")
PROGRESS_NOTE = ("11506-3", "Progress note")
ADDENDUM = ("55107-7", "Addendum Document")
FOLLOW_UP = ("390906007", "Follow-up encounter (procedure)")
_SECTION_NAMES = (
    ("subjective", "What you told us (subjective):"),
    ("objective", "What we found (objective):"),
    ("assessment", "What we think (assessment):"),
    ("plan", "What we will do (plan):"),
)


# --- Small helpers ---------------------------------------------------------------------------


def _url(key: Any) -> str:
    return f"urn:uuid:{key}"


def _derived_id(*parts: Any) -> str:
    """A stable resource id for something with no public id of its own (a diagnosis, one vital sign)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, _ID_SYSTEM + ":".join(str(p) for p in parts)))


def _coding(system: str, code: str, display: str = "") -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [_coding(system, code, display)]}
    if text:
        concept["text"] = text
    return concept


def _identifier(kind: str, key: Any) -> list[dict[str, str]]:
    return [{"system": f"{_ID_SYSTEM}{kind}", "value": str(key)}]


def _who(provider: Any) -> dict[str, Any]:
    """A reference to a clinician: the display name, and the NPI when they have one."""
    reference: dict[str, Any] = {"display": str(provider)}
    if getattr(provider, "npi", ""):
        reference["identifier"] = {"system": NPI, "value": provider.npi}
    return reference


def _number(value: Decimal | int) -> int | float:
    return value if isinstance(value, int) else float(value)


def _moment_text(moment: datetime, zone: tzinfo) -> str:
    """ "03/02/2026 9:41 AM" in `zone` (readings outside a visit)."""
    local = timezone.localtime(moment, zone)
    return datetime_text(local, zone)


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{word} ({count})" if count == 1 else f"{plural or word + 's'} ({count})"


# --- Reading the chart -----------------------------------------------------------------------


class _Chart:
    """Everything the copy shows, read once: one query per kind of row."""

    def __init__(self, request: SectionRequest) -> None:
        patient = request.patient
        self.request = request
        self.encounters = list(
            Encounter.objects.filter(patient=patient)
            .select_related("provider__user", "location", "appointment__appointment_type")
            .order_by("-date_of_service", "-opened_at", "-pk")
        )
        self.notes = {
            note.encounter_id: note
            for note in VisitNote.objects.filter(encounter__patient=patient).select_related(
                "signed_by", "cosigned_by", "author"
            )
        }
        self.addenda: dict[int, list[Addendum]] = defaultdict(list)
        for addendum in (
            Addendum.objects.filter(note__encounter__patient=patient, note__status="signed")
            .select_related("author", "amendment_request")
            .order_by("signed_at", "pk")
        ):
            self.addenda[addendum.note_id].append(addendum)
        self.diagnoses: dict[int, list[EncounterDiagnosis]] = defaultdict(list)
        for diagnosis in EncounterDiagnosis.objects.filter(encounter__patient=patient).order_by("encounter", "rank"):
            self.diagnoses[diagnosis.encounter_id].append(diagnosis)
        self.problems = list(Problem.objects.filter(patient=patient).select_related("encounter").order_by("code", "pk"))
        self.medications = list(
            Medication.objects.filter(patient=patient).select_related("prescriber__user").order_by("name", "pk")
        )
        self.prescriptions = list(
            Prescription.objects.filter(medication__patient=patient)
            .select_related("medication", "prescriber__user", "encounter")
            .order_by("-written_on", "-pk")
        )
        self.allergies = list(
            Allergy.objects.filter(patient=patient).order_by("-no_known_allergies", "substance", "pk")
        )
        self.vitals = list(Vitals.objects.filter(patient=patient).select_related("encounter").order_by("-taken_at"))
        self.recalls = list(
            Recall.objects.filter(patient=patient)
            .select_related("appointment_type", "provider__user", "encounter")
            .order_by("-due_on", "-pk")
        )
        self.amendments = list(
            AmendmentRequest.objects.filter(patient=patient)
            .select_related("note__encounter", "decided_by", "addendum")
            .order_by("-received_on", "-pk")
        )
        self.encounter_by_id = {e.pk: e for e in self.encounters}

    def signed_note(self, encounter: Encounter) -> VisitNote | None:
        note = self.notes.get(encounter.pk)
        return note if note is not None and note.is_signed else None


# --- FHIR ------------------------------------------------------------------------------------


def _encounter_resource(chart: _Chart, encounter: Encounter, today: date) -> dict[str, Any]:
    # The visit took place on its date of service; an encounter still open today is in progress,
    # one left open from an earlier day is a finished visit whose note is not signed yet.
    in_progress = encounter.status == EncounterStatus.OPEN and encounter.date_of_service >= today
    appointment = encounter.appointment
    kind = appointment.appointment_type.name if appointment is not None else "Unscheduled visit"
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": str(encounter.public_id),
        "meta": {"profile": [US_CORE + "us-core-encounter"]},
        "identifier": _identifier("encounter", encounter.public_id),
        "status": "in-progress" if in_progress else "finished",
        "class": _coding(_TERMINOLOGY + "v3-ActCode", "AMB", "ambulatory"),
        "type": [_concept(SNOMED, "308335008", "Patient encounter procedure", text=kind)],
        "subject": {"reference": chart.request.patient_reference},
        "participant": [
            {
                "type": [_concept(_TERMINOLOGY + "v3-ParticipationType", "PPRF", "primary performer")],
                "individual": _who(encounter.provider),
            }
        ],
        "period": {"start": encounter.date_of_service.isoformat()},
        "reasonCode": [{"text": encounter.reason}],
        "location": [{"location": {"display": encounter.location.name}}],
    }
    diagnoses = chart.diagnoses.get(encounter.pk, [])
    if diagnoses:
        resource["diagnosis"] = [
            {"condition": {"reference": _url(_derived_id("diagnosis", encounter.public_id, d.code))}, "rank": d.rank}
            for d in diagnoses
        ]
    return resource


def _diagnosis_resource(chart: _Chart, encounter: Encounter, diagnosis: EncounterDiagnosis) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": _derived_id("diagnosis", encounter.public_id, diagnosis.code),
        "meta": {"profile": [US_CORE + "us-core-condition-encounter-diagnosis"]},
        "verificationStatus": _concept(_TERMINOLOGY + "condition-ver-status", "confirmed", "Confirmed"),
        "category": [_concept(_TERMINOLOGY + "condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
        "code": _concept(ICD10CM, diagnosis.code, diagnosis.description, text=diagnosis.description),
        "subject": {"reference": chart.request.patient_reference},
        "encounter": {"reference": _url(encounter.public_id)},
        "recordedDate": encounter.date_of_service.isoformat(),
    }


def _problem_resource(chart: _Chart, problem: Problem) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Condition",
        "id": str(problem.public_id),
        "meta": {"profile": [US_CORE + "us-core-condition-problems-health-concerns"]},
        "identifier": _identifier("problem", problem.public_id),
    }
    if problem.status == ProblemStatus.IN_ERROR:
        # FHIR: no clinicalStatus on an entry entered in error (invariant con-5).
        resource["verificationStatus"] = _concept(
            _TERMINOLOGY + "condition-ver-status", "entered-in-error", "Entered in Error"
        )
    else:
        active = problem.status == ProblemStatus.ACTIVE
        resource["clinicalStatus"] = _concept(
            _TERMINOLOGY + "condition-clinical", "active" if active else "resolved", "Active" if active else "Resolved"
        )
        resource["verificationStatus"] = _concept(_TERMINOLOGY + "condition-ver-status", "confirmed", "Confirmed")
    resource["category"] = [_concept(_TERMINOLOGY + "condition-category", "problem-list-item", "Problem List Item")]
    resource["code"] = _concept(ICD10CM, problem.code, problem.description, text=problem.description)
    resource["subject"] = {"reference": chart.request.patient_reference}
    if problem.encounter is not None:
        resource["encounter"] = {"reference": _url(problem.encounter.public_id)}
    if problem.onset:
        resource["onsetDateTime"] = problem.onset.isoformat()
    if problem.resolved_on and problem.status == ProblemStatus.RESOLVED:
        resource["abatementDateTime"] = problem.resolved_on.isoformat()
    resource["recordedDate"] = problem.created_at.isoformat()
    if problem.note:
        resource["note"] = [{"text": problem.note}]
    return resource


_MED_STATUS = {MedicationStatus.ACTIVE: "active", MedicationStatus.STOPPED: "stopped", MedicationStatus.IN_ERROR: "entered-in-error"}  # fmt: skip


def _medication_resource(chart: _Chart, medication: Medication, based_on: list[str]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": str(medication.public_id),
        "identifier": _identifier("medication", medication.public_id),
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


def _prescription_resource(chart: _Chart, prescription: Prescription, status: str) -> dict[str, Any]:
    medication = prescription.medication
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(prescription.public_id),
        "meta": {"profile": [US_CORE + "us-core-medicationrequest"]},
        "identifier": _identifier("prescription", prescription.public_id),
        "status": status,
        "intent": "order",
        "category": [
            _concept(_TERMINOLOGY + "medicationrequest-category", "community", "Community"),
        ],
        "reportedBoolean": False,
        "medicationCodeableConcept": {"text": str(medication)},
        "subject": {"reference": chart.request.patient_reference},
        "authoredOn": prescription.written_on.isoformat(),
        "requester": _who(prescription.prescriber),
        "dosageInstruction": [{"text": prescription.directions}],
        "dispenseRequest": {"numberOfRepeatsAllowed": prescription.refills},
        "substitution": {"allowedBoolean": not prescription.dispense_as_written},
    }
    if prescription.encounter is not None:
        resource["encounter"] = {"reference": _url(prescription.encounter.public_id)}
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


def _prescription_statuses(chart: _Chart) -> dict[int, str]:
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


def _allergy_resource(chart: _Chart, allergy: Allergy) -> dict[str, Any]:
    verification = _TERMINOLOGY + "allergyintolerance-verification"
    resource: dict[str, Any] = {
        "resourceType": "AllergyIntolerance",
        "id": str(allergy.public_id),
        "meta": {"profile": [US_CORE + "us-core-allergyintolerance"]},
        "identifier": _identifier("allergy", allergy.public_id),
    }
    if allergy.status == AllergyStatus.IN_ERROR:
        # FHIR: no clinicalStatus on an entry entered in error (invariant ait-2).
        resource["verificationStatus"] = _concept(verification, "entered-in-error", "Entered in Error")
    else:
        active = allergy.status == AllergyStatus.ACTIVE
        resource["clinicalStatus"] = _concept(
            _TERMINOLOGY + "allergyintolerance-clinical", "active" if active else "inactive",
            "Active" if active else "Inactive",
        )  # fmt: skip
        resource["verificationStatus"] = _concept(verification, "confirmed", "Confirmed")
    if allergy.no_known_allergies:
        resource["code"] = _concept(SNOMED, *NO_KNOWN_ALLERGY, text="No known allergies")
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
    chart: _Chart, vitals: Vitals, key: str, *, profile: str, codings: tuple[tuple[str, str], ...], category: str
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": _derived_id("vitals", vitals.public_id, key),
        "status": "entered-in-error" if vitals.in_error else "final",
        "category": [
            _concept(
                _TERMINOLOGY + "observation-category",
                category,
                "Vital Signs" if category == "vital-signs" else "Survey",
            )
        ],
        "code": {"coding": [_coding(LOINC, code, display) for code, display in codings], "text": codings[0][1]},
        "subject": {"reference": chart.request.patient_reference},
        "effectiveDateTime": vitals.taken_at.isoformat(),
    }
    if profile:
        resource["meta"] = {"profile": [US_CORE + profile]}
    if vitals.encounter is not None:
        resource["encounter"] = {"reference": _url(vitals.encounter.public_id)}
    if vitals.in_error and vitals.in_error_reason:
        resource["note"] = [{"text": f"Entered in error: {vitals.in_error_reason}"}]
    return resource


def _quantity(value: Decimal | int, code: str, unit: str = "") -> dict[str, Any]:
    return {"value": _number(value), "unit": unit or code, "system": UCUM, "code": code}


def _vitals_resources(chart: _Chart, vitals: Vitals) -> list[dict[str, Any]]:
    resources = []
    if vitals.systolic is not None and vitals.diastolic is not None:
        panel = _observation(
            chart, vitals, "bp", profile="us-core-blood-pressure", codings=(BP_PANEL,), category="vital-signs"
        )
        panel["component"] = [
            {"code": _concept(LOINC, *BP_SYSTOLIC), "valueQuantity": _quantity(vitals.systolic, "mm[Hg]", "mmHg")},
            {"code": _concept(LOINC, *BP_DIASTOLIC), "valueQuantity": _quantity(vitals.diastolic, "mm[Hg]", "mmHg")},
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


_FORMAT = _coding(
    "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode",
    "urn:ihe:iti:xds:2017:mimeTypeSufficient",
    "mimeType Sufficient",
)


def _note_text(note: VisitNote) -> str:
    return "\n\n".join(
        f"{name.capitalize()}\n{getattr(note, name).strip()}"
        for name, _ in _SECTION_NAMES
        if getattr(note, name).strip()
    )


def _document(
    chart: _Chart, *, key: Any, kind: tuple[str, str], encounter: Encounter, signed_at: datetime, text: str, title: str
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": str(key),
        "meta": {"profile": [US_CORE + "us-core-documentreference"]},
        "identifier": _identifier("document", key),
        "status": "current",
        "type": _concept(LOINC, *kind),
        "category": [
            _concept(
                "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category",
                "clinical-note",
                "Clinical Note",
            ),
        ],  # fmt: skip
        "subject": {"reference": chart.request.patient_reference},
        "date": signed_at.isoformat(),
        "content": [{"attachment": _text_attachment(text, title=title, created=signed_at), "format": _FORMAT}],
        "context": {
            "encounter": [{"reference": _url(encounter.public_id)}],
            "period": {"start": encounter.date_of_service.isoformat()},
        },
    }


def _note_resources(chart: _Chart, encounter: Encounter, note: VisitNote) -> list[dict[str, Any]]:
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
        appended["relatesTo"] = [{"code": "appends", "target": {"reference": _url(note.public_id)}}]
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


def _recall_resource(chart: _Chart, recall: Recall) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(recall.public_id),
        "identifier": _identifier("recall", recall.public_id),
        "status": _RECALL_STATUS[RecallStatus(recall.status)],
        "intent": "plan",
        "code": _concept(SNOMED, *FOLLOW_UP, text=f"{recall.appointment_type.name}: {recall.reason}"),
        "subject": {"reference": chart.request.patient_reference},
        "occurrenceDateTime": recall.due_on.isoformat(),
        "authoredOn": recall.created_at.isoformat(),
        "reasonCode": [{"text": recall.reason}],
    }
    if recall.encounter is not None:
        resource["encounter"] = {"reference": _url(recall.encounter.public_id)}
    if recall.provider_id:
        resource["performer"] = [_who(recall.provider)]
    return resource


_AMENDMENT_STATUS = {
    AmendmentStatus.PENDING: "requested",
    AmendmentStatus.ACCEPTED: "completed",
    AmendmentStatus.DENIED: "rejected",
}


def _amendment_resource(chart: _Chart, request: AmendmentRequest, included_notes: set[int]) -> dict[str, Any]:
    """The request as a FHIR Task to change the record (task-code "change"), with its outcome."""
    resource: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(request.public_id),
        "identifier": _identifier("amendment", request.public_id),
        "status": _AMENDMENT_STATUS[AmendmentStatus(request.status)],
        "intent": "proposal",
        "code": _concept(
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
        resource["focus"] = {"reference": _url(request.note.public_id)}
    if request.decided_at:
        resource["lastModified"] = request.decided_at.isoformat()
    if request.status == AmendmentStatus.DENIED:
        resource["statusReason"] = {"text": request.denial_reason}
    addendum = getattr(request, "addendum", None)
    if request.status == AmendmentStatus.ACCEPTED and addendum is not None:
        resource["output"] = [{"type": {"text": "Addendum"}, "valueReference": {"reference": _url(addendum.public_id)}}]
    return resource


def _entries(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"fullUrl": _url(resource["id"]), "resource": resource} for resource in resources]


def _fhir(chart: _Chart) -> list[dict[str, Any]]:
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
        prescriptions_of[prescription.medication_id].append(_url(prescription.public_id))
    resources += [_medication_resource(chart, m, prescriptions_of.get(m.pk, [])) for m in chart.medications]
    resources += [_prescription_resource(chart, p, statuses[p.pk]) for p in chart.prescriptions]
    resources += [_allergy_resource(chart, allergy) for allergy in chart.allergies]
    for vitals in chart.vitals:
        resources += _vitals_resources(chart, vitals)
    resources += [_recall_resource(chart, recall) for recall in chart.recalls]
    resources += [_amendment_resource(chart, request, included_notes) for request in chart.amendments]
    return _entries(resources)


# --- PDF -------------------------------------------------------------------------------------


def _visits_section(chart: _Chart) -> PdfSection:
    rows = []
    for encounter in chart.encounters:
        diagnoses = "\n".join(f"{d.description} ({d.code})" for d in chart.diagnoses.get(encounter.pk, []))
        rows.append(
            (us_date(encounter.date_of_service), str(encounter.provider), encounter.location.name, encounter.reason,
             diagnoses or "—")
        )  # fmt: skip
    return PdfSection(
        title="Visits",
        intro="Each visit, newest first, with the conditions your clinician addressed (diagnoses).",
        blocks=(
            Table(
                columns=("Date", "Clinician", "Where", "Reason for the visit", "Diagnoses"),
                rows=tuple(rows),
                widths=(0.95, 1.35, 1.25, 1.6, 2.1),
                empty="No visits recorded.",
            ),
        ),
    )


def _notes_section(chart: _Chart) -> PdfSection:
    blocks: list[Any] = []
    unsigned: list[Encounter] = []
    for encounter in chart.encounters:
        note = chart.signed_note(encounter)
        if note is None:
            if encounter.pk in chart.notes:
                unsigned.append(encounter)
            continue
        assert note.signed_at is not None  # noqa: S101  (signed)
        blocks.append(
            Heading(f"{long_date(encounter.date_of_service)} — {encounter.provider}, {encounter.location.name}")
        )
        signed = f"Signed by {note.signed_by} on {when_text(note.signed_at, encounter)}."
        if note.cosigned_at and note.cosigned_by_id:
            signed += f" Co-signed by {note.cosigned_by} on {when_text(note.cosigned_at, encounter)}."
        blocks.append(Text(f"Reason for the visit: {encounter.reason}. {signed}", muted=True))
        for name, label in _SECTION_NAMES:
            text = getattr(note, name).strip()
            if text:
                blocks.append(Text(text, label=label))
        for addendum in chart.addenda.get(note.pk, []):
            lead = f"Addendum by {addendum.author}, {when_text(addendum.signed_at, encounter)}"
            if addendum.amendment_request is not None:
                lead += f", at your request of {us_date(addendum.amendment_request.received_on)}"
            blocks.append(Text(addendum.text, label=lead + ":"))
    if not blocks:
        blocks.append(Text("No signed visit notes yet."))
    if unsigned:
        days = ", ".join(f"{us_date(e.date_of_service)} ({e.provider})" for e in unsigned)
        blocks.append(
            Text(
                f"Not signed yet, so not in this copy: the notes of the visits on {days}. They will be in your next "
                "copy once signed.",
                muted=True,
            )
        )
    return PdfSection(
        title="Visit notes",
        intro="The notes your clinicians wrote and signed, newest first. Corrections or additions made later are "
        "shown beneath a note as addenda; a signed note itself never changes.",
        blocks=tuple(blocks),
    )


_IN_ERROR_CAPTION = "Entered in error (kept for the record; not part of your care):"


def _problems_section(chart: _Chart) -> PdfSection:
    def row(p: Problem) -> tuple[str, ...]:
        status = "Active" if p.status == ProblemStatus.ACTIVE else f"Resolved {us_date(p.resolved_on)}".strip()
        return (p.description, p.code, us_date(p.onset) or "—", status if p.status != ProblemStatus.IN_ERROR else "")

    current = [p for p in chart.problems if p.status == ProblemStatus.ACTIVE]
    current += [p for p in chart.problems if p.status == ProblemStatus.RESOLVED]
    wrong = [p for p in chart.problems if p.status == ProblemStatus.IN_ERROR]
    columns = ("Health problem", "ICD-10-CM code", "Since", "Status")
    widths = (3.6, 1.1, 1.0, 1.3)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(p) for p in current), widths=widths, empty="No health problems recorded.")
    ]
    if wrong:
        blocks.append(
            Table(columns=columns[:3], rows=tuple(row(p)[:3] for p in wrong), widths=widths[:3], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Health problems", blocks=tuple(blocks))


def _medications_section(chart: _Chart) -> PdfSection:
    def row(m: Medication) -> tuple[str, ...]:
        if m.status == MedicationStatus.ACTIVE:
            status = "Taking"
        elif m.status == MedicationStatus.STOPPED:
            status = " ".join(p for p in ("Stopped", us_date(m.stop_date)) if p)
            status += f": {m.stop_reason}" if m.stop_reason else ""
        else:
            status = ""
        return (str(m), m.directions or "—", us_date(m.start_date) or "—", str(m.prescriber or "—"), status)

    ordered = [m for m in chart.medications if m.status == MedicationStatus.ACTIVE]
    ordered += [m for m in chart.medications if m.status == MedicationStatus.STOPPED]
    wrong = [m for m in chart.medications if m.status == MedicationStatus.IN_ERROR]
    columns = ("Medication", "How to take it", "Started", "Prescribed by", "Status")
    widths = (1.8, 2.0, 0.85, 1.3, 1.3)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(m) for m in ordered), widths=widths, empty="No medications recorded.")
    ]
    if wrong:
        blocks.append(
            Table(columns=columns[:4], rows=tuple(row(m)[:4] for m in wrong), widths=widths[:4], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Medications", blocks=tuple(blocks))


def _prescriptions_section(chart: _Chart) -> PdfSection:
    rows = []
    for p in chart.prescriptions:
        medication = str(p.medication) + (" (dispense as written)" if p.dispense_as_written else "")
        if p.medication.status == MedicationStatus.IN_ERROR:
            medication += " — entered in error"
        rows.append((us_date(p.written_on), medication, p.directions, p.quantity, str(p.refills), str(p.prescriber)))
    return PdfSection(
        title="Prescriptions",
        intro="Prescriptions written for you here, newest first.",
        blocks=(
            Table(
                columns=("Written", "Medication", "Directions", "Quantity", "Refills", "Prescriber"),
                rows=tuple(rows),
                widths=(0.85, 1.7, 1.9, 0.9, 0.6, 1.3),
                empty="No prescriptions written.",
            ),
        ),
    )


def _allergies_section(chart: _Chart) -> PdfSection:
    def row(a: Allergy) -> tuple[str, ...]:
        severity = a.get_severity_display() if a.severity != AllergySeverity.UNKNOWN else "—"
        status = {AllergyStatus.ACTIVE: "Active", AllergyStatus.INACTIVE: "No longer active"}.get(
            AllergyStatus(a.status), ""
        )
        if a.no_known_allergies:
            return ("No known allergies", "—", "—", us_date(a.noted_on), status)
        return (a.substance, a.reaction or "—", severity, us_date(a.noted_on), status)

    current = [a for a in chart.allergies if a.status == AllergyStatus.ACTIVE]
    current += [a for a in chart.allergies if a.status == AllergyStatus.INACTIVE]
    wrong = [a for a in chart.allergies if a.status == AllergyStatus.IN_ERROR]
    columns = ("Allergy", "Reaction", "Severity", "Noted", "Status")
    widths = (1.9, 2.1, 0.9, 0.9, 1.2)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(a) for a in current), widths=widths,
              empty="No allergies recorded, and no statement of \u201cno known allergies\u201d either.")
    ]  # fmt: skip
    if wrong:
        blocks.append(
            Table(columns=columns[:4], rows=tuple(row(a)[:4] for a in wrong), widths=widths[:4], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Allergies", blocks=tuple(blocks))


def _vitals_row(v: Vitals, zone: tzinfo) -> tuple[str, ...]:
    def both(value: Decimal | None, convert: Any, unit: str, metric: str) -> str:
        return f"{convert(value)} {unit}\n({value} {metric})" if value is not None else "—"

    height = "—"
    if v.height_cm is not None:
        inches = cm_to_in(v.height_cm)
        feet, rest = divmod(inches, 12)
        height = f"{int(feet)} ft {rest.quantize(Decimal('0.1'))} in\n({v.height_cm} cm)"
    return (
        _moment_text(v.taken_at, zone).replace(" ", "\n", 1),
        f"{v.systolic}/{v.diastolic}" if v.systolic is not None else "—",
        f"{v.pulse}/min" if v.pulse is not None else "—",
        both(v.temperature_c, c_to_f, "°F", "°C"),
        f"{v.respiratory_rate}/min" if v.respiratory_rate is not None else "—",
        f"{v.spo2}%" if v.spo2 is not None else "—",
        height,
        both(v.weight_kg, kg_to_lb, "lb", "kg"),
        str(v.bmi) if v.bmi is not None else "—",
        f"{v.pain}/10" if v.pain is not None else "—",
    )


def _vitals_section(chart: _Chart) -> PdfSection:
    zone = chart.request.zone
    columns = ("Taken", "Blood pressure (mmHg)", "Pulse", "Temperature", "Breathing", "Oxygen", "Height", "Weight",
               "BMI", "Pain")  # fmt: skip
    widths = (0.8, 0.75, 0.5, 0.88, 0.65, 0.55, 0.8, 0.75, 0.4, 0.4)
    good = [v for v in chart.vitals if not v.in_error]
    wrong = [v for v in chart.vitals if v.in_error]
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(_vitals_row(v, zone) for v in good), widths=widths,
              empty="No vital signs recorded.")
    ]  # fmt: skip
    if wrong:
        blocks.append(
            Table(columns=columns, rows=tuple(_vitals_row(v, zone) for v in wrong), widths=widths, muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(
        title="Vital signs",
        intro="Newest first. Breathing is breaths per minute; oxygen is the saturation measured on your finger; "
        "pain is what you reported on a scale of 0 to 10.",
        blocks=tuple(blocks),
    )


_RECALL_WORDS = {
    RecallStatus.DUE: "To book",
    RecallStatus.CONTACTED: "To book (we contacted you)",
    RecallStatus.SCHEDULED: "Booked",
    RecallStatus.CLOSED: "Closed",
}


def _recalls_section(chart: _Chart) -> PdfSection:
    rows = tuple(
        (us_date(r.due_on), r.reason, r.appointment_type.name, str(r.provider or "Any clinician"),
         _RECALL_WORDS[RecallStatus(r.status)])
        for r in chart.recalls
    )  # fmt: skip
    return PdfSection(
        title="Follow-up visits",
        intro="Visits your clinician asked you to book, and by when.",
        blocks=(
            Table(
                columns=("Book by", "What for", "Type of visit", "With", "Status"),
                rows=rows,
                widths=(0.9, 2.0, 1.5, 1.5, 1.3),
                empty="No follow-up visits requested.",
            ),
        ),
    )


def _amendments_section(chart: _Chart) -> PdfSection:
    blocks: list[Any] = []
    for request in chart.amendments:
        blocks.append(Heading(f"Request received {long_date(request.received_on)}"))
        facts = []
        if request.note is not None:
            facts.append(("About", f"the note of your visit on {us_date(request.note.encounter.date_of_service)}"))
        if request.status == AmendmentStatus.PENDING:
            facts.append(("Decision", f"Not decided yet; due by {us_date(amendment_due_on(request))}."))
        else:
            decided = timezone.localtime(request.decided_at, chart.request.zone).date() if request.decided_at else None
            word = "Accepted" if request.status == AmendmentStatus.ACCEPTED else "Denied"
            facts.append(("Decision", f"{word} on {us_date(decided)} by {request.decided_by}."))
        blocks.append(Facts(rows=tuple(facts)))
        blocks.append(Text(request.requested_change, label="What you asked:"))
        if request.status == AmendmentStatus.ACCEPTED:
            blocks.append(Text("The correction was added to the note as an addendum (see Visit notes).", muted=True))
        elif request.status == AmendmentStatus.DENIED:
            blocks.append(Text(request.denial_reason, label="Why it was denied:"))
            blocks.append(
                Text(
                    "You may send us a written statement of disagreement; it will be kept with your record and "
                    "included whenever this part of the record is disclosed (HIPAA, 45 CFR 164.526(d)).",
                    muted=True,
                )
            )
    if not blocks:
        blocks.append(Text("You have not asked us to change your record."))
    return PdfSection(title="Requests to change your record", blocks=tuple(blocks))


def _disclosed(chart: _Chart) -> list[str]:
    """What the clinical part held, by category with counts, for the accounting of disclosures."""
    signed = [e for e in chart.encounters if chart.signed_note(e) is not None]
    addenda = sum(len(chart.addenda.get(chart.notes[e.pk].pk, [])) for e in signed)
    counts = (
        (len(chart.encounters), "visit", ""),
        (len(signed), "signed visit note", ""),
        (addenda, "addendum", "addenda"),
        (len(chart.problems), "problem", ""),
        (len(chart.medications), "medication", ""),
        (len(chart.prescriptions), "prescription", ""),
        (len(chart.allergies), "allergy entry", "allergy entries"),
        (len(chart.vitals), "set of vital signs", "sets of vital signs"),
        (len(chart.recalls), "follow-up", ""),
        (len(chart.amendments), "amendment request", ""),
    )
    return [_plural(count, word, plural) for count, word, plural in counts if count]


def clinical_sections(request: SectionRequest) -> SectionOutput:
    """The clinical record of `request.patient` for the whole-record copy (see the module docstring)."""
    chart = _Chart(request)
    return SectionOutput(
        entries=_fhir(chart),
        pdf=[
            _visits_section(chart),
            _notes_section(chart),
            _problems_section(chart),
            _medications_section(chart),
            _prescriptions_section(chart),
            _allergies_section(chart),
            _vitals_section(chart),
            _recalls_section(chart),
            _amendments_section(chart),
        ],
        disclosed=_disclosed(chart),
    )
