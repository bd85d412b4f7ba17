"""The audit report, its CSV, the patient access report and the API name a real patient, or refuse.

An identifier naming no patient (a public id where events are keyed by MRN, a typo) used to show
an empty list, which reads as "nobody opened this record", and the CSV download then held every
event instead of the ones asked for.
"""

from __future__ import annotations

import csv
import io

import pytest

from clinicdesk.audit.models import Action, AuditEvent, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.patients.mrn import mrn_is_valid
from clinicdesk.scheduling.tests.factories import make_patient

NOBODYS_MRN = next(f"7654321{d}" for d in range(10) if mrn_is_valid(f"7654321{d}"))


@pytest.fixture
def opened(office_manager, clinician):
    """A patient whose record the clinician opened once, for treatment."""
    patient = make_patient(office_manager)
    audit_record(
        actor=clinician,
        action=Action.READ,
        object_type=ObjectType.PATIENT,
        object_id=patient.mrn,
        patient_id=patient.mrn,
        reason="treatment",
    )
    return patient


def test_the_patient_access_report_takes_the_public_id_and_lists_the_mrns_events(as_user, auditor, opened):
    response = as_user(auditor).get("/audit/patient-access/", {"patient": str(opened.public_id)})
    assert response.status_code == 200
    # Newest first: the report's own look, then the clinician's.
    assert ("okafor", "treatment") in [(e.actor_username, e.reason) for e in response.context["page"]]
    looked = AuditEvent.objects.filter(object_type="patient_access_report").get()
    assert looked.patient_id == opened.mrn


def test_the_patient_access_report_refuses_an_identifier_of_no_patient(as_user, auditor, opened):
    response = as_user(auditor).get("/audit/patient-access/", {"patient": NOBODYS_MRN})
    assert response.status_code == 422
    assert f"No patient has the MRN or id “{NOBODYS_MRN}”".encode() in response.content
    assert response.context["page"] is None
    assert not AuditEvent.objects.filter(object_type="patient_access_report").exists()


def test_the_report_filter_refuses_an_identifier_of_no_patient_and_lists_nothing(as_user, auditor, opened):
    response = as_user(auditor).get("/audit/", {"patient": "not-a-patient"})
    assert response.status_code == 422 and "No patient has the MRN or id “not-a-patient”" in response.text
    assert list(response.context["page"]) == []


def test_the_csv_of_a_filter_naming_no_patient_is_refused_not_everything(as_user, auditor, opened):
    client = as_user(auditor)
    before = AuditEvent.objects.count()
    response = client.get("/audit/csv/", {"patient": NOBODYS_MRN})
    assert response.status_code == 422 and not response["Content-Type"].startswith("text/csv")
    assert AuditEvent.objects.count() == before  # no export was recorded: none happened
    by_public_id = client.get("/audit/csv/", {"patient": str(opened.public_id)})
    rows = list(csv.DictReader(io.StringIO(by_public_id.content.decode())))
    assert rows and {r["patient_id"] for r in rows} == {opened.mrn}


def test_the_api_filter_takes_the_public_id_and_refuses_no_patient(as_user, auditor, opened):
    client = as_user(auditor)
    response = client.get("/api/v1/audit/events", {"patient": str(opened.public_id)})
    assert response.status_code == 200
    assert {e["patient_id"] for e in response.json()["results"]} == {opened.mrn}
    refused = client.get("/api/v1/audit/events", {"patient": NOBODYS_MRN})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "patient", "message": refused.json()["errors"][0]["message"]},
    ]
    assert NOBODYS_MRN in refused.json()["errors"][0]["message"]
