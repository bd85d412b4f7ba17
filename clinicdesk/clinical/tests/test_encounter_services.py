"""Opening encounters: from an arrived appointment (once), or unscheduled with a reason."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.encounters import encounter_open, encounter_open_unscheduled
from clinicdesk.clinical.models import Encounter, EncounterStatus
from clinicdesk.clinical.tests.factories import make_clinic
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.models import AppointmentStatus as S
from clinicdesk.scheduling.tests.factories import make_appointment, make_location, make_patient


def arrived_visit(clinic, actor, *, status=S.ARRIVED, starts_at=None, **extra):
    start = starts_at or app_clock.now().replace(microsecond=0) - timedelta(minutes=10)
    return make_appointment(
        actor,
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        kind=clinic.kind,
        starts_at=start,
        status=status,
        **extra,
    )


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


def encounter_events():
    return AuditEvent.objects.filter(object_type="encounter", action="create")


@pytest.mark.parametrize("status", [S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED])
def test_an_encounter_opens_from_an_appointment_whose_patient_has_arrived(clinic, clinician, status):
    appointment = arrived_visit(clinic, clinician, status=status, reason="BP check")
    encounter = encounter_open(actor=clinician, appointment=appointment)
    assert encounter.appointment == appointment and encounter.patient == clinic.patient
    assert (encounter.provider, encounter.location) == (clinic.provider, clinic.location)
    assert encounter.reason == "BP check" and encounter.status == EncounterStatus.OPEN
    assert encounter.unscheduled_reason == "" and encounter.opened_by == clinician
    event = encounter_events().get()
    assert event.object_id == str(encounter.public_id) and event.patient_id == clinic.patient.mrn
    assert "BP" not in event.detail  # references only, never the reason text


@pytest.mark.parametrize(
    ("status", "words"),
    [(S.SCHEDULED, "not checked in"), (S.CANCELLED, "cancelled"), (S.NO_SHOW, "no-show")],
)
def test_no_encounter_opens_before_arrival_or_after_a_cancellation(clinic, clinician, status, words):
    extra = {"cancelled_at": app_clock.now()} if status == S.CANCELLED else {}
    appointment = arrived_visit(clinic, clinician, status=status, **extra)
    with pytest.raises(ValidationError) as refused:
        encounter_open(actor=clinician, appointment=appointment)
    assert words in refused.value.message_dict["appointment"][0]
    assert not Encounter.objects.exists() and not encounter_events().exists()


def test_opening_twice_returns_the_first_encounter(clinic, clinician, nurse):
    appointment = arrived_visit(clinic, clinician)
    first = encounter_open(actor=nurse, appointment=appointment)
    second = encounter_open(actor=clinician, appointment=appointment)
    assert first.pk == second.pk and Encounter.objects.count() == 1
    assert encounter_events().count() == 1


def test_the_date_of_service_is_the_visit_day_at_the_location(clinic, clinician):
    # 01:30 UTC on 3 March is 20:30 on 2 March in New York.
    appointment = arrived_visit(clinic, clinician, starts_at=datetime(2026, 3, 3, 1, 30, tzinfo=UTC))
    assert encounter_open(actor=clinician, appointment=appointment).date_of_service == date(2026, 3, 2)


def test_the_reason_falls_back_to_the_type(clinic, clinician, office_manager):
    appointment = arrived_visit(clinic, clinician)
    assert encounter_open(actor=clinician, appointment=appointment).reason == "Follow-up"


@pytest.mark.parametrize("role_fixture", ["office_manager", "front_desk", "biller", "auditor"])
def test_only_people_who_document_visits_open_encounters(request, clinic, clinician, role_fixture):
    person = request.getfixturevalue(role_fixture)
    appointment = arrived_visit(clinic, clinician)
    with pytest.raises(PermissionDenied):
        encounter_open(actor=person, appointment=appointment)
    with pytest.raises(PermissionDenied):
        encounter_open_unscheduled(
            actor=person, patient=clinic.patient, provider=clinic.provider, location=clinic.location,
            date_of_service=date(2026, 3, 2), reason="Cough", unscheduled_reason="Walk-in",
        )  # fmt: skip
    assert not Encounter.objects.exists()


def test_an_unscheduled_encounter_is_opened_with_its_reasons(clinic, nurse):
    encounter = encounter_open_unscheduled(
        actor=nurse, patient=clinic.patient, provider=clinic.provider, location=clinic.location,
        date_of_service=date(2026, 3, 2), reason=" Cough ", unscheduled_reason="Walk-in",
    )  # fmt: skip
    assert encounter.appointment is None and encounter.reason == "Cough" and encounter.unscheduled_reason == "Walk-in"
    assert encounter_events().get().detail == "unscheduled"


def test_an_unscheduled_encounter_needs_every_reason_and_says_which(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        encounter_open_unscheduled(
            actor=nurse, patient=clinic.patient, provider=clinic.provider, location=clinic.location,
            date_of_service=date(2026, 3, 2), reason="  ", unscheduled_reason="",
        )  # fmt: skip
    errors = refused.value.message_dict
    assert "reason for the visit" in errors["reason"][0]
    assert "why there is no appointment" in errors["unscheduled_reason"][0]
    assert not Encounter.objects.exists() and not encounter_events().exists()


def test_an_unscheduled_encounter_is_not_dated_in_the_future(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        encounter_open_unscheduled(
            actor=nurse, patient=clinic.patient, provider=clinic.provider, location=clinic.location,
            date_of_service=app_clock.today() + timedelta(days=2), reason="Cough", unscheduled_reason="Walk-in",
        )  # fmt: skip
    assert refused.value.message_dict["date_of_service"] == ["The date of service cannot be in the future."]


def test_the_provider_must_work_at_the_location(clinic, nurse, office_manager):
    elsewhere = make_location(office_manager, name="Uptown Clinic")
    with pytest.raises(ValidationError) as refused:
        encounter_open_unscheduled(
            actor=nurse, patient=clinic.patient, provider=clinic.provider, location=elsewhere,
            date_of_service=date(2026, 3, 2), reason="Cough", unscheduled_reason="Walk-in",
        )  # fmt: skip
    assert "does not work at Uptown Clinic" in refused.value.message_dict["location"][0]


def test_two_clicks_at_once_open_one_encounter(committed_db, office_manager, clinician, nurse, front_desk):
    clinic = make_clinic(office_manager, clinician, front_desk)
    appointment = arrived_visit(clinic, clinician)
    results, errors = [], []
    start = threading.Barrier(2)

    def click(actor):
        try:
            start.wait()
            results.append(encounter_open(actor=actor, appointment=appointment).pk)
        except Exception as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(who,)) for who in (clinician, nurse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 2 and results[0] == results[1]
    assert Encounter.objects.filter(appointment=appointment).count() == 1
    assert AuditEvent.objects.filter(object_type="encounter", action="create").count() == 1


def test_a_second_patient_is_unaffected(clinic, clinician, front_desk):
    other = make_patient(front_desk, first="John", last="Roe")
    appointment = arrived_visit(clinic, clinician)
    encounter_open(actor=clinician, appointment=appointment)
    assert not Encounter.objects.filter(patient=other).exists()
