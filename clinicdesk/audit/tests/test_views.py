from __future__ import annotations

import csv
import io

from clinicdesk.audit.models import Action, AuditEvent, ObjectType, Outcome
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock as app_clock


def _patient(last: str = "Doe") -> str:
    """The MRN of a patient row written straight (no registration event), as the filters need a real one."""
    from datetime import date

    from clinicdesk.patients.models import Patient
    from clinicdesk.patients.mrn import mrn_new

    return Patient.objects.create(
        mrn=mrn_new(), first_name="Jane", last_name=last, date_of_birth=date(1962, 3, 14), sex_at_birth="F"
    ).mrn


def _seed(clinician, front_desk):
    """Three events: two of one patient, one of another. Returns the first patient's MRN."""
    mrn1, mrn2 = _patient("Doe"), _patient("Roe")
    audit_record(
        actor=clinician,
        action=Action.READ,
        object_type=ObjectType.PATIENT,
        object_id=mrn1,
        patient_id=mrn1,
        reason="treatment",
    )
    audit_record(
        actor=front_desk,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT,
        object_id=mrn1,
        patient_id=mrn1,
        changed_fields=["phone"],
    )
    audit_record(actor=front_desk, action=Action.READ, object_type=ObjectType.PATIENT, object_id=mrn2, patient_id=mrn2)
    return mrn1


def test_the_auditor_filters_by_person(as_user, auditor, clinician, front_desk):
    _seed(clinician, front_desk)
    response = as_user(auditor).get("/audit/", {"person": "luis"})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert {e.actor_username for e in rows} == {"luis"} and len(rows) == 2


def test_the_report_filters_by_patient_action_and_date(as_user, auditor, clinician, front_desk):
    mrn1 = _seed(clinician, front_desk)
    today = app_clock.today().isoformat()
    client = as_user(auditor)
    rows = list(
        client.get("/audit/", {"patient": mrn1, "action": "update", "date_from": today, "date_to": today}).context[
            "page"
        ]
    )
    assert [(e.actor_username, e.changed_fields) for e in rows] == [("luis", "phone")]
    assert list(client.get("/audit/", {"date_from": "2001-01-01", "date_to": "2001-01-02"}).context["page"]) == []


def test_every_column_sorts_both_ways(as_user, auditor, clinician, front_desk):
    _seed(clinician, front_desk)
    client = as_user(auditor)
    for key in ("seq", "time", "person", "role", "action", "object", "patient", "outcome", "ip"):
        up = [e.seq for e in client.get("/audit/", {"sort": key}).context["page"]]
        down = [e.seq for e in client.get("/audit/", {"sort": f"-{key}"}).context["page"]]
        assert sorted(up) == sorted(down) and len(up) >= 3, key
    people = [e.actor_username for e in client.get("/audit/", {"sort": "person"}).context["page"]]
    assert people == sorted(people)
    response = client.get("/audit/", {"sort": "person"})
    assert b'aria-sort="ascending"' in response.content


def test_the_report_is_paginated(as_user, auditor):
    for i in range(120):
        audit_record(actor=auditor, action=Action.READ, object_type=ObjectType.PATIENT, object_id=str(i))
    client = as_user(auditor)
    first = client.get("/audit/")
    assert len(first.context["page"]) == 50 and first.context["page"].paginator.num_pages == 3
    last = client.get("/audit/", {"page": 3})
    assert len(last.context["page"]) >= 20
    assert b'rel="prev"' in last.content


def test_an_impossible_date_range_is_explained(as_user, auditor):
    response = as_user(auditor).get("/audit/", {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert response.status_code == 422 and b"The end date is before the start date" in response.content


def test_htmx_filtering_returns_only_the_results_fragment(as_user, auditor, clinician, front_desk):
    _seed(clinician, front_desk)
    response = as_user(auditor).get("/audit/", {"person": "okafor"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="results">') and b"<html" not in response.content


def test_the_csv_download_is_itself_audited(as_user, auditor, clinician, front_desk):
    mrn1 = _seed(clinician, front_desk)
    client = as_user(auditor)
    before = AuditEvent.objects.count()
    response = client.get("/audit/csv/", {"patient": mrn1})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["patient_id"] for r in rows] == [mrn1, mrn1]
    export = AuditEvent.objects.get(seq__gt=before)
    assert (export.action, export.actor, export.patient_id) == (Action.EXPORT, auditor, mrn1)
    assert export.detail.startswith("2 events")


def test_csv_cells_cannot_smuggle_spreadsheet_formulas(as_user, auditor):
    audit_record(actor=auditor, action=Action.READ, object_type=ObjectType.PATIENT, reason='=HYPERLINK("http://evil")')
    body = as_user(auditor).get("/audit/csv/").content.decode()
    assert "'=HYPERLINK" in body


def test_the_patient_access_report_lists_who_opened_a_record_and_why(as_user, auditor, clinician, front_desk):
    mrn1 = _seed(clinician, front_desk)
    client = as_user(auditor)
    response = client.get("/audit/patient-access/", {"patient": mrn1})
    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [(e.actor_username, e.action, e.reason) for e in rows][-2:] == [
        ("luis", Action.UPDATE, ""),
        ("okafor", Action.READ, "treatment"),
    ]
    looked = AuditEvent.objects.filter(object_type="patient_access_report").get()
    assert (looked.actor, looked.patient_id) == (auditor, mrn1)


def test_the_office_manager_may_read_the_report_but_front_desk_may_not(as_user, office_manager, front_desk):
    assert as_user(office_manager).get("/audit/").status_code == 200
    assert as_user(front_desk).get("/audit/").status_code == 403
    assert AuditEvent.objects.filter(actor=front_desk, outcome=Outcome.DENIED, object_id="/audit/").exists()
