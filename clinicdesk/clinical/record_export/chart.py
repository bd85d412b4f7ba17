"""The patient's chart as the right-of-access copy reads it (in a fixed number of queries), with the
code systems and small helpers the FHIR and PDF parts share.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinicdesk.core.datetimes import datetime_text
from clinicdesk.patients.export.sections import (
    SectionRequest,
)

from ..models import (
    Addendum,
    Allergy,
    AmendmentRequest,
    Encounter,
    EncounterDiagnosis,
    Medication,
    Prescription,
    Problem,
    Recall,
    VisitNote,
    Vitals,
)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
ID_SYSTEM = "urn:clinicdesk:"

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
SECTION_NAMES = (
    ("subjective", "What you told us (subjective):"),
    ("objective", "What we found (objective):"),
    ("assessment", "What we think (assessment):"),
    ("plan", "What we will do (plan):"),
)


# --- Small helpers ---------------------------------------------------------------------------


def url(key: Any) -> str:
    return f"urn:uuid:{key}"


def derived_id(*parts: Any) -> str:
    """A stable resource id for something with no public id of its own (a diagnosis, one vital sign)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, ID_SYSTEM + ":".join(str(p) for p in parts)))


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        concept["text"] = text
    return concept


def identifier(kind: str, key: Any) -> list[dict[str, str]]:
    return [{"system": f"{ID_SYSTEM}{kind}", "value": str(key)}]


def who(provider: Any) -> dict[str, Any]:
    """A reference to a clinician: the display name, and the NPI when they have one."""
    reference: dict[str, Any] = {"display": str(provider)}
    if getattr(provider, "npi", ""):
        reference["identifier"] = {"system": NPI, "value": provider.npi}
    return reference


def number(value: Decimal | int) -> int | float:
    return value if isinstance(value, int) else float(value)


def moment_text(moment: datetime, zone: tzinfo) -> str:
    """ "03/02/2026 9:41 AM" in `zone` (readings outside a visit)."""
    local = timezone.localtime(moment, zone)
    return datetime_text(local, zone)


def count_text(count: int, word: str, plural: str = "") -> str:
    return f"{word} ({count})" if count == 1 else f"{plural or word + 's'} ({count})"


# --- Reading the chart -----------------------------------------------------------------------


class Chart:
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
