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

from clinicdesk.patients.export.sections import SectionOutput, SectionRequest

from .chart import (
    Chart,
    count_text,
)
from .fhir import fhir_entries
from .pdf import (
    allergies_section,
    amendments_section,
    medications_section,
    notes_section,
    prescriptions_section,
    problems_section,
    recalls_section,
    visits_section,
    vitals_section,
)


def _disclosed(chart: Chart) -> list[str]:
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
    return [count_text(count, word, plural) for count, word, plural in counts if count]


def clinical_sections(request: SectionRequest) -> SectionOutput:
    """The clinical record of `request.patient` for the whole-record copy (see the module docstring)."""
    chart = Chart(request)
    return SectionOutput(
        entries=fhir_entries(chart),
        pdf=[
            visits_section(chart),
            notes_section(chart),
            problems_section(chart),
            medications_section(chart),
            prescriptions_section(chart),
            allergies_section(chart),
            vitals_section(chart),
            recalls_section(chart),
            amendments_section(chart),
        ],
        disclosed=_disclosed(chart),
    )
