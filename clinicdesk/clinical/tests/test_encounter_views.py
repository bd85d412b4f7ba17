"""The Today page, the encounter page with its vitals, and who sees what on them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.models import Encounter, Vitals
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.clinical.vitals import VitalsInput, vitals_record
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.models import AppointmentStatus as S
from clinicdesk.scheduling.tests.factories import make_appointment, make_patient


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


def visit(clinic, actor, *, status=S.ROOMED, patient=None, minutes_ago=10):
    return make_appointment(
        actor,
        patient=patient or clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        kind=clinic.kind,
        starts_at=app_clock.now().replace(microsecond=0) - timedelta(minutes=minutes_ago),
        status=status,
        reason="Chest pain",
    )


# --- Today -----------------------------------------------------------------------------------


def test_today_lists_the_clinicians_checked_in_patients_with_one_click_open(as_user, clinic, clinician, front_desk):
    roomed = visit(clinic, front_desk)
    visit(clinic, front_desk, status=S.SCHEDULED, patient=make_patient(front_desk, "Ann", "Later"), minutes_ago=-60)
    response = as_user(clinician).get(reverse("clinical:today"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Doe, Jane" in page and "Later, Ann" not in page
    assert reverse("clinical:encounter_open", args=[roomed.public_id]) in page
    assert AuditEvent.objects.filter(object_type="clinical_today", detail__contains=clinic.patient.mrn).exists()

    opened = as_user(clinician).post(reverse("clinical:encounter_open", args=[roomed.public_id]))
    encounter = Encounter.objects.get(appointment=roomed)
    assert opened.status_code == 302 and opened["Location"] == reverse("clinical:encounter", args=[encounter.public_id])
    again = as_user(clinician).get(reverse("clinical:today"))
    assert "Continue encounter" in again.content.decode()


def test_a_nurse_chooses_the_provider(as_user, clinic, nurse, front_desk):
    visit(clinic, front_desk)
    mine = as_user(nurse).get(reverse("clinical:today"))
    assert mine.status_code == 200 and "Choose the provider" in mine.content.decode()
    theirs = as_user(nurse).get(reverse("clinical:today") + f"?provider={clinic.provider.public_id}")
    assert "Doe, Jane" in theirs.content.decode()


def test_opening_from_a_scheduled_appointment_says_why_not(as_user, clinic, clinician, front_desk):
    scheduled = visit(clinic, front_desk, status=S.SCHEDULED)
    response = as_user(clinician).post(reverse("clinical:encounter_open", args=[scheduled.public_id]), follow=True)
    assert "not checked in yet" in response.content.decode()
    assert not Encounter.objects.exists()


def test_an_unscheduled_encounter_opens_from_the_today_form(as_user, clinic, clinician):
    data = {
        "mrn": clinic.patient.mrn,
        "location": str(clinic.location.public_id),
        "date_of_service": app_clock.today().isoformat(),
        "reason": "Rash",
        "unscheduled_reason": "Walk-in",
    }
    response = as_user(clinician).post(reverse("clinical:encounter_new_unscheduled"), data)
    encounter = Encounter.objects.get()
    assert response.status_code == 302 and encounter.unscheduled_reason == "Walk-in" and encounter.reason == "Rash"


def test_an_unscheduled_encounter_finds_the_patient_by_name(clock, as_user, clinic, clinician, front_desk):
    data = {
        "mrn": clinic.patient.display_name,
        "location": str(clinic.location.public_id),
        "date_of_service": app_clock.today().isoformat(),
        "reason": "Rash",
        "unscheduled_reason": "Walk-in",
    }
    url = reverse("clinical:encounter_new_unscheduled") + f"?provider={clinic.provider.public_id}"
    assert as_user(clinician).post(url, data).status_code == 302
    assert Encounter.objects.get().patient == clinic.patient
    # A second patient of the same surname: both are offered, each a link back to the form.
    other = make_patient(front_desk, first="Zed", last=clinic.patient.last_name)
    data["mrn"] = clinic.patient.last_name
    refused = as_user(clinician).post(url, data)
    page = refused.content.decode().replace("&amp;", "&")
    assert refused.status_code == 422 and "2 patients match" in page
    for person in (clinic.patient, other):
        assert f"/clinical/today/?provider={clinic.provider.public_id}&mrn={person.mrn}" in page
    picked = as_user(clinician).get(
        reverse("clinical:today"), {"provider": clinic.provider.public_id, "mrn": other.mrn}
    )
    assert f'value="{other.mrn}"' in picked.content.decode()
    assert Encounter.objects.count() == 1


def test_an_unscheduled_encounter_without_its_reason_comes_back_with_the_message(as_user, clinic, clinician):
    data = {
        "mrn": clinic.patient.mrn,
        "location": str(clinic.location.public_id),
        "date_of_service": app_clock.today().isoformat(),
        "reason": "Rash",
        "unscheduled_reason": "",
    }
    response = as_user(clinician).post(reverse("clinical:encounter_new_unscheduled"), data)
    page = response.content.decode()
    assert response.status_code == 422 and "This field is required" in page and 'value="Rash"' in page
    assert not Encounter.objects.exists()
    data |= {"unscheduled_reason": "Walk-in", "mrn": "99999999"}
    unknown = as_user(clinician).post(reverse("clinical:encounter_new_unscheduled"), data)
    assert unknown.status_code == 422 and "No patient has this MRN" in unknown.content.decode()


def test_the_office_manager_cannot_open_encounters(as_user, clinic, office_manager, front_desk):
    roomed = visit(clinic, front_desk)
    assert as_user(office_manager).get(reverse("clinical:today")).status_code == 403
    assert as_user(office_manager).post(reverse("clinical:encounter_open", args=[roomed.public_id])).status_code == 403
    assert not Encounter.objects.exists()


# --- The encounter page and who sees what ----------------------------------------------------


@pytest.fixture
def encounter(clinic, clinician, nurse):
    encounter = make_encounter(clinician, clinic, reason="Chest pain")
    vitals_record(
        actor=nurse, patient=clinic.patient, encounter=encounter, data=VitalsInput(systolic="165", diastolic="95")
    )
    return encounter


def test_the_clinician_sees_the_encounter_in_full(as_user, encounter, clinician):
    response = as_user(clinician).get(reverse("clinical:encounter", args=[encounter.public_id]))
    page = response.content.decode()
    assert response.status_code == 200
    for shown in ("Doe, Jane", encounter.patient.mrn, "Chest pain", "Main Street Clinic", "165/95", "BP 165/95 high"):
        assert shown in page
    note_url = reverse("clinical:note", args=[encounter.public_id])
    assert f'<section id="note" hx-get="{note_url}" hx-trigger="load"' in page
    read = AuditEvent.objects.filter(object_type="encounter", action="read").get()
    assert read.detail.endswith("level=full") and read.patient_id == encounter.patient.mrn


@pytest.mark.parametrize("role_fixture", ["front_desk", "biller", "office_manager"])
def test_front_desk_and_billers_see_that_the_visit_happened_not_what_was_in_it(
    request, as_user, encounter, role_fixture
):
    response = as_user(request.getfixturevalue(role_fixture)).get(
        reverse("clinical:encounter", args=[encounter.public_id])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "03/02/2026" in page and "Dr. Amara Okafor" in page and "Open" in page
    assert "Chest pain" not in page and "165/95" not in page and "Walk-in" not in page and 'id="note"' not in page
    assert AuditEvent.objects.get(object_type="encounter", action="read").detail.endswith("level=existence")


def test_the_auditor_is_refused_the_encounter(as_user, encounter, auditor):
    assert as_user(auditor).get(reverse("clinical:encounter", args=[encounter.public_id])).status_code == 403


def test_a_missing_encounter_is_a_404(as_user, clinician, clinic):
    assert as_user(clinician).get(reverse("clinical:encounter", args=[clinic.location.public_id])).status_code == 404


def test_a_restricted_patient_needs_emergency_access(as_user, encounter, clinician, office_manager):
    record_restrict(actor=office_manager, patient_id=encounter.patient.mrn)
    url = reverse("clinical:encounter", args=[encounter.public_id])
    refused = as_user(clinician).get(url)
    assert refused.status_code == 302 and "emergency" in refused["Location"]
    assert not AuditEvent.objects.filter(object_type="encounter", action="read").exists()
    emergency_access_grant(actor=clinician, patient_id=encounter.patient.mrn, reason="Patient in clinic, chart needed")
    assert as_user(clinician).get(url).status_code == 200


def test_a_nurse_records_vitals_with_htmx_and_gets_the_section_back(as_user, encounter, nurse):
    url = reverse("clinical:vitals_record", args=[encounter.public_id])
    data = {"pulse": "72", "temperature": "37.5", "temperature_unit": "C", "height_unit": "in", "weight_unit": "kg",
            "weight": "80"}  # fmt: skip
    response = as_user(nurse).post(url, data, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<section id="vitals"')
    assert "Vitals recorded." in page and "37.5 °C (99.5 °F)" in page and "80 kg (176.4 lb)" in page  # as typed
    assert 'value="C" class="unit-toggle" id="id_temperature_unit_1" required checked' in page  # the units just used
    assert Vitals.objects.filter(pulse=72, encounter=encounter).exists()


def test_implausible_vitals_come_back_next_to_the_field_and_keep_what_was_typed(as_user, encounter, nurse):
    url = reverse("clinical:vitals_record", args=[encounter.public_id])
    data = {"systolic": "20", "diastolic": "10", "pulse": "72", "temperature_unit": "F", "height_unit": "in",
            "weight_unit": "lb"}  # fmt: skip
    before = Vitals.objects.count()
    plain = as_user(nurse).post(url, data)
    page = plain.content.decode()
    assert plain.status_code == 422
    assert "Systolic 20 mmHg is not plausible (60–300 mmHg). Check the reading." in page and 'value="72"' in page
    htmx = as_user(nurse).post(url, data, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and "is not plausible" in htmx.content.decode()
    assert Vitals.objects.count() == before


@pytest.mark.parametrize("role_fixture", ["front_desk", "biller", "office_manager", "auditor"])
def test_only_clinical_staff_post_vitals(request, as_user, encounter, role_fixture):
    url = reverse("clinical:vitals_record", args=[encounter.public_id])
    before = Vitals.objects.count()
    assert as_user(request.getfixturevalue(role_fixture)).post(url, {"pulse": "70"}).status_code == 403
    assert Vitals.objects.count() == before


def test_vitals_are_marked_in_error_from_the_history(as_user, encounter, clinician):
    entry = Vitals.objects.get()
    url = reverse("clinical:vitals_in_error", args=[encounter.public_id, entry.public_id])
    missing = as_user(clinician).post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert "Say why" in missing.content.decode()
    response = as_user(clinician).post(url, {"reason": "Wrong arm cuff"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Entered in error" in response.content.decode()
    entry.refresh_from_db()
    assert entry.in_error and entry.systolic == 165


def test_the_form_shows_the_reading_in_the_other_unit_as_it_is_typed(as_user, nurse, front_desk):
    url = reverse("clinical:vitals_convert")
    client = as_user(nurse)
    assert client.get(url, {"temperature": "98.6", "temperature_unit": "F"}).content.decode() == "= 37.0 °C"
    assert client.get(url, {"weight": "80", "weight_unit": "kg"}).content.decode() == "= 176.4 lb"
    assert client.get(url, {"height": "177.8", "height_unit": "cm"}).content.decode() == "= 70.00 in"
    assert client.get(url, {"height": "abc", "height_unit": "cm"}).content == b""
    assert client.get(url, {"weight": "1e400", "weight_unit": "kg"}).content == b""
    assert as_user(front_desk).get(url, {"weight": "80", "weight_unit": "kg"}).status_code == 403
