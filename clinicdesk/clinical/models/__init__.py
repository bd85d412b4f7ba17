"""Clinical documentation: encounters and what is recorded in them.

An Encounter is one visit (opened from an arrived appointment, or unscheduled with a reason).
Its VisitNote is drafted (by the clinician, or by a nurse or scribe for them), then signed by
the clinician; once signed it never changes, at any level down to raw SQL (triggers, migration
0002), and corrections are Addenda. Vitals, problems, medications, allergies, prescriptions
and recalls hang off the patient and, where they came from a visit, the encounter.

Narrative text (the note, addenda, amendment requests) is encrypted at rest. Codes, dates,
statuses and who did what are not: billers and reports read those without reading narratives.
"""

from __future__ import annotations

from .chart import (
    Allergy,
    AllergySeverity,
    AllergyStatus,
    EncounterDiagnosis,
    Medication,
    MedicationStatus,
    Prescription,
    Problem,
    ProblemStatus,
)
from .encounters import Encounter, EncounterStatus, Vitals
from .notes import (
    Addendum,
    AmendmentRequest,
    AmendmentStatus,
    NoteStatus,
    NoteTemplate,
    SignedRecordError,
    VisitNote,
)
from .recalls import Recall, RecallStatus

__all__ = [
    "Addendum",
    "Allergy",
    "AllergySeverity",
    "AllergyStatus",
    "AmendmentRequest",
    "AmendmentStatus",
    "Encounter",
    "EncounterDiagnosis",
    "EncounterStatus",
    "Medication",
    "MedicationStatus",
    "NoteStatus",
    "NoteTemplate",
    "Prescription",
    "Problem",
    "ProblemStatus",
    "Recall",
    "RecallStatus",
    "SignedRecordError",
    "VisitNote",
    "Vitals",
]
