"""Medications: add, stop, entered in error; refills 0-99; dates in order; who sees the list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinicdesk.audit.models import Action
from clinicdesk.clinical.medications import (
    MedicationInput,
    medication_add,
    medication_mark_in_error,
    medication_stop,
    medications_of,
)
from clinicdesk.clinical.models import Medication, MedicationStatus
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict

from .helpers import audit_head, events_since

API = "/api/v1/clinical"


def _metformin(**extra: Any) -> MedicationInput:
    values: dict[str, Any] = {
        "name": "Metformin", "strength": "500 mg", "form": "tablet", "directions": "1 tablet by mouth twice daily",
        "quantity": "60 tablets", "refills": 3, "start_date": date(2025, 1, 2),
    }  # fmt: skip
    values.update(extra)
    return MedicationInput(**values)


def test_a_medication_is_added_with_one_audit_event_and_no_drug_name_in_it(clinician, clinic, patient):
    head = audit_head()
    med = medication_add(actor=clinician, patient=patient, data=_metformin(prescriber=clinic.provider))
    assert (str(med), med.refills, med.prescriber, med.status) == (
        "Metformin 500 mg tablet", 3, clinic.provider, MedicationStatus.ACTIVE,
    )  # fmt: skip
    [event] = events_since(head)
    assert (event.action, event.object_type, event.patient_id) == (Action.CREATE, "medication", patient.mrn)
    assert "Metformin" not in event.detail + event.reason


def test_every_bad_field_is_named_at_once_and_nothing_is_written(clinician, patient):
    with pytest.raises(ValidationError) as refused:
        medication_add(
            actor=clinician, patient=patient,
            data=_metformin(name=" ", refills=100, stop_date=date(2025, 1, 1), strength="x" * 61),
        )  # fmt: skip
    assert refused.value.message_dict == {
        "name": ["Enter the medication's name, e.g. metformin."],
        "strength": ["Keep this under 61 characters (it has 61)."],
        "refills": ["Refills must be from 0 to 99 (got 100)."],
        "stop_date": ["The stop date cannot be before the start date (01/02/2025)."],
    }
    assert not Medication.objects.exists()


def test_the_database_refuses_refills_over_99_whatever_writes(clinician, patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Medication.objects.create(patient=patient, name="X", refills=100, created_by=clinician)


def test_stopping_needs_a_date_in_order_and_a_reason(clinician, patient):
    med = medication_add(actor=clinician, patient=patient, data=_metformin())
    with pytest.raises(ValidationError) as refused:
        medication_stop(actor=clinician, medication=med, stop_date=date(2024, 12, 31), reason="")
    assert refused.value.message_dict == {
        "reason": ["Say why it was stopped, e.g. side effects."],
        "stop_date": ["The stop date cannot be before the start date (01/02/2025)."],
    }
    with pytest.raises(ValidationError, match="cannot be in the future"):
        medication_stop(
            actor=clinician, medication=med, stop_date=app_clock.today() + timedelta(days=1), reason="GI upset"
        )
    medication_stop(actor=clinician, medication=med, stop_date=date(2025, 6, 1), reason="GI upset")
    med.refresh_from_db()
    assert (med.status, med.stop_date, med.stop_reason) == (MedicationStatus.STOPPED, date(2025, 6, 1), "GI upset")
    with pytest.raises(Conflict):
        medication_stop(actor=clinician, medication=med, stop_date=date(2025, 6, 2), reason="again")
    active, past = medications_of(patient=patient)
    assert active == [] and past == [med]


def test_entered_in_error_keeps_the_reason(clinician, patient):
    med = medication_add(actor=clinician, patient=patient, data=_metformin())
    with pytest.raises(ValidationError):
        medication_mark_in_error(actor=clinician, medication=med, reason="")
    medication_mark_in_error(actor=clinician, medication=med, reason="Wrong patient")
    med.refresh_from_db()
    assert (med.status, med.stop_reason) == (MedicationStatus.IN_ERROR, "Wrong patient")


def test_the_page_lists_active_and_past_and_adds(as_user, nurse, clinician, clinic, patient):
    stopped = medication_add(actor=clinician, patient=patient, data=_metformin(name="Lisinopril", strength="10 mg"))
    medication_stop(actor=clinician, medication=stopped, stop_date=date(2025, 3, 1), reason="Cough")
    client = as_user(nurse)
    url = f"/clinical/patients/{patient.mrn}/medications/"
    response = client.post(url + "add/", {
        "name": "Atorvastatin", "strength": "20 mg", "form": "tablet", "directions": "1 at bedtime",
        "quantity": "30 tablets", "refills": "5", "prescriber": str(clinic.provider.public_id), "start_date": "2025-02-01",
    })  # fmt: skip
    assert response.status_code == 302 and response["Location"] == url
    added = Medication.objects.get(name="Atorvastatin")
    assert (added.refills, added.prescriber, added.created_by) == (5, clinic.provider, nurse)
    page = client.get(url).content.decode()
    assert "Atorvastatin" in page and "Lisinopril" in page and "Cough" in page
    assert "/prescribe/" not in page  # a nurse writes no prescriptions


def test_refills_100_on_the_page_answers_422_and_keeps_what_was_typed(as_user, clinician, patient):
    response = as_user(clinician).post(
        f"/clinical/patients/{patient.mrn}/medications/add/", {"name": "Amoxicillin", "refills": "100"}
    )
    assert response.status_code == 422
    assert b"Refills must be from 0 to 99." in response.content and b'value="Amoxicillin"' in response.content
    assert not Medication.objects.exists()


def test_stop_and_in_error_pages(as_user, clinician, patient):
    med = medication_add(actor=clinician, patient=patient, data=_metformin())
    client = as_user(clinician)
    base = f"/clinical/patients/{patient.mrn}/medications/{med.public_id}/"
    bad = client.post(base + "stop/", {"stop_date": "2024-01-01", "reason": "Nausea"})
    assert bad.status_code == 422 and b"cannot be before the start date" in bad.content
    assert client.post(base + "stop/", {"stop_date": "2025-05-01", "reason": "Nausea"}).status_code == 302
    med.refresh_from_db()
    assert med.status == MedicationStatus.STOPPED
    assert client.post(base + "in-error/", {"reason": "Wrong chart"}).status_code == 302
    med.refresh_from_db()
    assert med.status == MedicationStatus.IN_ERROR


def test_billers_and_the_front_desk_never_see_medications(as_user, biller, front_desk, office_manager, patient):
    for person in (biller, front_desk, office_manager):
        client = as_user(person)
        assert client.get(f"/clinical/patients/{patient.mrn}/medications/").status_code == 403
        assert client.get(f"{API}/patients/{patient.mrn}/medications").status_code == 403


def test_the_api_adds_stops_and_lists(as_user, clinician, clinic, patient):
    client = as_user(clinician)
    url = f"{API}/patients/{patient.mrn}/medications"
    bad = client.post(url, {"name": "Amoxicillin", "refills": 100}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"] == [
        {"field": "refills", "message": "Refills must be from 0 to 99 (got 100)."}
    ]
    unknown = client.post(
        url,
        {"name": "Amoxicillin", "prescriber": "00000000-0000-0000-0000-000000000000"},
        content_type="application/json",
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "prescriber"
    created = client.post(
        url,
        {"name": "Amoxicillin", "strength": "500 mg", "form": "capsule", "refills": 0,
         "prescriber": str(clinic.provider.public_id), "start_date": "2026-01-05"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    med_id = created.json()["public_id"]
    stopped = client.post(
        f"{url}/{med_id}/stop",
        {"stop_date": "2026-01-15", "reason": "Course finished"},
        content_type="application/json",
    )
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    assert client.get(url).json() == []
    assert [m["name"] for m in client.get(url + "?include_past=true").json()] == ["Amoxicillin"]
    again = client.post(f"{url}/{med_id}/in-error", {"reason": "dup"}, content_type="application/json")
    assert again.json()["status"] == "in_error"
