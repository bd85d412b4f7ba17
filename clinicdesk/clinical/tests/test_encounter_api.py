"""The encounter, vitals and note-template API: same services, problem details, capabilities."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.models import Encounter, NoteTemplate, Vitals
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.models import AppointmentStatus as S
from clinicdesk.scheduling.tests.factories import make_appointment

API = "/api/v1/clinical"


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


def visit(clinic, actor, status=S.ARRIVED):
    return make_appointment(
        actor, patient=clinic.patient, provider=clinic.provider, location=clinic.location, kind=clinic.kind,
        starts_at=app_clock.now().replace(microsecond=0) - timedelta(minutes=5), status=status, reason="Chest pain",
    )  # fmt: skip


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_clinician_opens_the_encounter_of_an_arrived_appointment_once(as_user, clinic, clinician, front_desk):
    appointment = visit(clinic, front_desk)
    client = as_user(clinician)
    first = post(client, f"{API}/appointments/{appointment.public_id}/encounter", {})
    second = post(client, f"{API}/appointments/{appointment.public_id}/encounter", {})
    assert first.status_code == 200 and second.status_code == 200
    body = first.json()
    assert body["public_id"] == second.json()["public_id"] == str(Encounter.objects.get().public_id)
    assert body["reason"] == "Chest pain" and body["detail_level"] == "full" and body["status"] == "open"
    assert body["appointment"] == str(appointment.public_id) and body["scheduled"] is True


def test_a_scheduled_appointment_is_refused_with_the_field(as_user, clinic, clinician, front_desk):
    appointment = visit(clinic, front_desk, status=S.SCHEDULED)
    response = post(as_user(clinician), f"{API}/appointments/{appointment.public_id}/encounter", {})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "appointment"
    assert not Encounter.objects.exists()


def test_an_unscheduled_encounter_via_the_api(as_user, clinic, nurse):
    body = {
        "patient_mrn": clinic.patient.mrn,
        "provider": str(clinic.provider.public_id),
        "location": str(clinic.location.public_id),
        "date_of_service": app_clock.today().isoformat(),
        "reason": "Rash",
        "unscheduled_reason": "",
    }
    refused = post(as_user(nurse), f"{API}/encounters", body)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "unscheduled_reason", "message": "Say why there is no appointment (e.g. walk-in, same-day add-on)."}
    ]
    created = post(as_user(nurse), f"{API}/encounters", body | {"unscheduled_reason": "Walk-in"})
    assert created.status_code == 201 and created.json()["unscheduled_reason"] == "Walk-in"
    bad_date = post(as_user(nurse), f"{API}/encounters", body | {"date_of_service": 0})
    assert bad_date.status_code == 422 and bad_date.json()["errors"][0]["field"] == "date_of_service"


def test_an_office_manager_cannot_open_encounters_by_api(as_user, clinic, office_manager, front_desk):
    appointment = visit(clinic, front_desk)
    assert post(as_user(office_manager), f"{API}/appointments/{appointment.public_id}/encounter", {}).status_code == 403
    assert not Encounter.objects.exists()


@pytest.mark.parametrize("role_fixture", ["front_desk", "biller"])
def test_front_desk_and_billers_read_encounters_at_existence_level(request, as_user, clinic, clinician, role_fixture):
    encounter = make_encounter(clinician, clinic, reason="Chest pain")
    client = as_user(request.getfixturevalue(role_fixture))
    one = client.get(f"{API}/encounters/{encounter.public_id}").json()
    assert one["detail_level"] == "existence" and one["reason"] is None and one["unscheduled_reason"] is None
    assert one["date_of_service"] == "2026-03-02" and one["provider_name"] == "Dr. Amara Okafor"
    listed = client.get(f"{API}/patients/{clinic.patient.mrn}/encounters").json()
    assert [e["public_id"] for e in listed] == [str(encounter.public_id)] and listed[0]["reason"] is None
    assert "Chest pain" not in str(listed)
    assert client.get(f"{API}/patients/{clinic.patient.mrn}/vitals").status_code == 403


def test_the_auditor_reads_no_encounter(as_user, clinic, clinician, auditor):
    encounter = make_encounter(clinician, clinic)
    assert as_user(auditor).get(f"{API}/encounters/{encounter.public_id}").status_code == 403


def test_the_encounter_list_is_newest_first_and_audited(as_user, clinic, clinician):
    from datetime import date

    older = make_encounter(clinician, clinic, day=date(2026, 1, 5))
    newer = make_encounter(clinician, clinic, day=date(2026, 2, 5))
    listed = as_user(clinician).get(f"{API}/patients/{clinic.patient.mrn}/encounters").json()
    assert [e["public_id"] for e in listed] == [str(newer.public_id), str(older.public_id)]
    assert listed[0]["reason"] == "Cough"
    assert AuditEvent.objects.filter(object_type="patient", patient_id=clinic.patient.mrn, reason="list encounters")


def test_vitals_by_api_both_units_flags_and_in_error(as_user, clinic, clinician, nurse):
    encounter = make_encounter(clinician, clinic)
    body = {"systolic": 150, "diastolic": 85, "weight": 176.4, "weight_unit": "lb", "height": 70, "temperature": 98.6}
    created = post(as_user(nurse), f"{API}/encounters/{encounter.public_id}/vitals", body)
    assert created.status_code == 201, created.json()
    out = created.json()
    assert out["weight_kg"] == "80.0" and out["weight_lb"] == "176.4" and out["height_in"] == "70.00"
    assert out["temperature_c"] == "37.0" and out["temperature_f"] == "98.6" and out["flags"] == ["BP 150/85 high"]
    listed = as_user(clinician).get(f"{API}/patients/{clinic.patient.mrn}/vitals").json()
    assert [v["public_id"] for v in listed] == [out["public_id"]]
    marked = post(as_user(clinician), f"{API}/vitals/{out['public_id']}/in-error", {"reason": "Wrong patient"})
    assert marked.status_code == 200 and marked.json()["in_error"] is True


def test_implausible_vitals_by_api_name_the_field(as_user, clinic, clinician, nurse):
    encounter = make_encounter(clinician, clinic)
    response = post(as_user(nurse), f"{API}/encounters/{encounter.public_id}/vitals", {"systolic": 20, "diastolic": 70})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "systolic", "message": "Systolic 20 mmHg is not plausible (60–300 mmHg). Check the reading."}
    ]
    unit = post(as_user(nurse), f"{API}/encounters/{encounter.public_id}/vitals", {"pulse": 70, "weight_unit": "st"})
    assert unit.status_code == 422 and unit.json()["errors"][0]["field"] == "weight_unit"
    extra = post(as_user(nurse), f"{API}/encounters/{encounter.public_id}/vitals", {"pulse": 70, "bmi": 20})
    assert extra.status_code == 422
    assert not Vitals.objects.exists()


def test_note_templates_by_api(as_user, clinic, office_manager, clinician):
    client = as_user(office_manager)
    empty = client.get(f"{API}/note-templates/default").json()
    assert empty["exists"] is False and empty["plan"] == ""
    saved = client.put(
        f"{API}/note-templates/{clinic.kind.public_id}", {"subjective": "CC:", "plan": "Return in"},
        content_type="application/json",
    )  # fmt: skip
    assert saved.status_code == 200 and saved.json()["exists"] is True and saved.json()["subjective"] == "CC:"
    assert NoteTemplate.objects.get(appointment_type=clinic.kind).plan == "Return in"
    assert client.get(f"{API}/note-templates/not-a-uuid").status_code == 404
    assert as_user(clinician).get(f"{API}/note-templates/default").status_code == 403


def test_a_restricted_patients_encounter_needs_emergency_access_first(as_user, clinic, clinician, office_manager):
    from clinicdesk.accounts.services import record_restrict

    encounter = make_encounter(clinician, clinic)
    record_restrict(actor=office_manager, patient_id=clinic.patient.mrn)
    client = as_user(clinician)
    response = client.get(f"{API}/encounters/{encounter.public_id}")
    assert response.status_code == 403 and "restricted" in response.json()["detail"]
    vitals = post(client, f"{API}/encounters/{encounter.public_id}/vitals", {"pulse": 70})
    assert vitals.status_code == 403 and not Vitals.objects.exists()
    assert not AuditEvent.objects.filter(object_type="encounter", action="read").exists()
