"""Shared setup of the list tests (problems, diagnoses, medications, prescriptions, allergies).

Test modules import the fixtures they use from here. A handful of real ICD-10-CM codes is
loaded through the codes app's own loader: categories and headers (not billable) and the
billable codes below them.
"""

from __future__ import annotations

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.codes.services import icd10_load
from clinicdesk.codes.sources import CodeEntry

from .factories import make_clinic, make_encounter

CODES = [
    CodeEntry("E11", "Type 2 diabetes mellitus", False, "", 4),
    CodeEntry("E11.6", "Type 2 diabetes mellitus with other specified complications", False, "E11", 4),
    CodeEntry("E11.65", "Type 2 diabetes mellitus with hyperglycemia", True, "E11.6", 4),
    CodeEntry("E11.9", "Type 2 diabetes mellitus without complications", True, "E11", 4),
    CodeEntry("I10", "Essential (primary) hypertension", True, "", 9),
    CodeEntry("J45", "Asthma", False, "", 10),
    CodeEntry("J45.90", "Unspecified asthma", False, "J45", 10),
    CodeEntry("J45.909", "Unspecified asthma, uncomplicated", True, "J45.90", 10),
    CodeEntry("R05", "Cough", False, "", 18),
    CodeEntry("R05.9", "Cough, unspecified", True, "R05", 18),
    CodeEntry("Z00.00", "Encounter for general adult medical examination without abnormal findings", True, "Z00.0", 21),
    CodeEntry("Z00", "Encounter for general examination without complaint", False, "", 21),
    CodeEntry("Z00.0", "Encounter for general adult medical examination", False, "Z00", 21),
    CodeEntry("M54.50", "Low back pain, unspecified", True, "M54.5", 13),
    CodeEntry("M54.5", "Low back pain", False, "M54", 13),
    CodeEntry("M54", "Dorsalgia", False, "", 13),
    CodeEntry("K21.9", "Gastro-esophageal reflux disease without esophagitis", True, "K21", 11),
    CodeEntry("K21", "Gastro-esophageal reflux disease", False, "", 11),
    CodeEntry("F41.1", "Generalized anxiety disorder", True, "F41", 5),
    CodeEntry("F41", "Other anxiety disorders", False, "", 5),
    CodeEntry("E78.5", "Hyperlipidemia, unspecified", True, "E78", 4),
    CodeEntry("E78", "Disorders of lipoprotein metabolism and other lipidemias", False, "", 4),
    CodeEntry("N39.0", "Urinary tract infection, site not specified", True, "N39", 14),
    CodeEntry("N39", "Other disorders of urinary system", False, "", 14),
    CodeEntry("R51", "Headache", False, "", 18),
    CodeEntry("R51.9", "Headache, unspecified", True, "R51", 18),
    CodeEntry("R10", "Abdominal and pelvic pain", False, "", 18),
    CodeEntry("R10.9", "Unspecified abdominal pain", True, "R10", 18),
]
BILLABLE = [
    "E11.9", "I10", "J45.909", "R05.9", "Z00.00", "M54.50", "K21.9", "F41.1", "E78.5", "N39.0", "E11.65", "R51.9",
    "R10.9",
]  # fmt: skip


@pytest.fixture
def icd10(db):
    """The CODES above, loaded as release 2026."""
    icd10_load(entries=CODES, release="2026")
    return CODES


@pytest.fixture
def clinic(office_manager, clinician, icd10):
    """A practice (location, provider for the clinician), a patient and the sample codes."""
    return make_clinic(office_manager, clinician)


@pytest.fixture
def patient(clinic):
    return clinic.patient


@pytest.fixture
def encounter(clinic, clinician):
    return make_encounter(clinician, clinic)


def events_since(seq: int, **filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq, **filters).order_by("seq"))


def audit_head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0
