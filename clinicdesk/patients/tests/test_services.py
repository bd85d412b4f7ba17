from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.models import Patient, PatientFieldChange
from clinicdesk.patients.mrn import mrn_is_valid
from clinicdesk.patients.services import PatientInput, patient_register, patient_update, phone_e164, ssn_clean


def jane(**overrides) -> PatientInput:
    values = {
        "first_name": "Jane",
        "last_name": "Doe",
        "date_of_birth": date(1962, 3, 14),
        "sex_at_birth": "F",
        "address_line1": "12 Main St",
        "city": "Albany",
        "state": "ny",
        "zip_code": "122071234",
    }
    values.update(overrides.pop("values", {}))
    return PatientInput(values=values, phones=overrides.pop("phones", {"mobile": "(518) 555-0142"}), **overrides)


def test_registration_stores_a_clean_record_with_an_mrn(front_desk):
    patient = patient_register(actor=front_desk, data=jane(ssn="123 45 6789"))
    patient.refresh_from_db()
    assert mrn_is_valid(patient.mrn)
    assert (patient.state, patient.zip_code) == ("NY", "12207-1234")
    assert [(p.kind, p.number) for p in patient.phones.all()] == [("mobile", "+15185550142")]
    assert (patient.ssn, patient.ssn_last4, patient.ssn_masked) == ("123-45-6789", "6789", "***-**-6789")
    assert Patient.objects.filter_by_blind_index("ssn", "123456789").get() == patient
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="patient")
    assert (event.patient_id, event.actor) == (patient.mrn, front_desk)
    assert "ssn" in event.changed_fields.split(",") and "6789" not in event.detail


def test_the_ssn_is_not_in_the_database_as_text(front_desk):
    patient = patient_register(actor=front_desk, data=jane(ssn="123-45-6789"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM patients_patient WHERE id = %s", [patient.pk])
        stored = cursor.fetchone()[0]
    assert "123-45-6789" not in stored and "123456789" not in stored


@pytest.mark.parametrize(
    "values,field,message",
    [
        ({"date_of_birth": app_clock.today() + timedelta(days=1)}, "date_of_birth", "in the future"),
        ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth", "before 1900"),
        ({"state": "XX"}, "state", "two-letter USPS code"),
        ({"zip_code": "1220"}, "zip_code", "ZIP code like 12345"),
        ({"first_name": " "}, "first_name", "legal name"),
        ({"email": "jane@"}, "email", "email address"),
        ({"sex_at_birth": "Q"}, "sex_at_birth", "Female, Male or Unknown"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_saved(front_desk, values, field, message):
    with pytest.raises(ValidationError) as info:
        patient_register(actor=front_desk, data=jane(values=values))
    assert message in " ".join(info.value.message_dict[field])
    assert not Patient.objects.exists() and not AuditEvent.objects.exists()


def test_every_problem_is_reported_at_once(front_desk):
    with pytest.raises(ValidationError) as info:
        patient_register(
            actor=front_desk,
            data=jane(values={"state": "XX", "zip_code": "1"}, phones={"home": "555"}, ssn="000-12-3456"),
        )
    assert set(info.value.message_dict) == {"state", "zip_code", "phone_home", "ssn"}


@pytest.mark.parametrize("typed", ["(518) 555-0142", "518.555.0142", "+1 518 555 0142", "5185550142", "1-518-555-0142"])
def test_phones_in_any_common_format_become_e164(typed):
    assert phone_e164(typed) == "+15185550142"


@pytest.mark.parametrize("typed", ["555", "phone", "(000) 555-0142", ""])
def test_unparseable_phones_are_refused_plainly(typed):
    with pytest.raises(ValueError, match="phone number"):
        phone_e164(typed)


@pytest.mark.parametrize(
    "typed", ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000", "12345678", "123-45-678a"]
)
def test_ssns_that_cannot_exist_are_refused(typed):
    with pytest.raises(ValueError):
        ssn_clean(typed)


def test_a_deceased_patient_needs_a_plausible_date_of_death(front_desk):
    with pytest.raises(ValidationError) as info:
        patient_register(actor=front_desk, data=jane(values={"status": "deceased"}))
    assert "deceased_date" in info.value.message_dict
    patient = patient_register(
        actor=front_desk, data=jane(values={"status": "deceased", "deceased_date": date(2020, 5, 1)})
    )
    assert patient.deceased_date == date(2020, 5, 1)


def test_an_edit_keeps_field_history_and_audits_names_only(front_desk, office_manager):
    patient = patient_register(actor=front_desk, data=jane(ssn="123-45-6789"))
    changed = patient_update(
        actor=front_desk,
        patient=patient,
        data=PatientInput(
            values={"city": "Troy", "zip_code": "12180"},
            phones={"mobile": "(518) 555-0199", "home": ""},
            ssn="234-56-7890",
        ),
    )
    assert set(changed) == {"city", "zip_code", "phone_mobile", "ssn"}
    history = {c.field: (c.old_value, c.new_value) for c in PatientFieldChange.objects.filter(patient=patient)}
    assert history["city"] == ("Albany", "Troy") and history["ssn"] == ("***-**-6789", "***-**-7890")
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="patient")
    assert set(event.changed_fields.split(",")) == set(changed)
    assert "Troy" not in event.detail and "7890" not in event.detail


def test_an_edit_with_nothing_new_changes_nothing(front_desk):
    patient = patient_register(actor=front_desk, data=jane())
    assert patient_update(actor=front_desk, patient=patient, data=PatientInput(values={"city": "Albany"})) == []
    assert not AuditEvent.objects.filter(action=Action.UPDATE).exists()


def test_a_bad_edit_leaves_the_record_as_it_was(front_desk):
    patient = patient_register(actor=front_desk, data=jane())
    with pytest.raises(ValidationError):
        patient_update(actor=front_desk, patient=patient, data=PatientInput(values={"city": "Troy", "state": "ZZ"}))
    assert (patient.city, patient.state) == ("Albany", "NY")
    patient.refresh_from_db()
    assert (patient.city, patient.state) == ("Albany", "NY")


def test_reading_a_patient_is_audited_and_restricted_records_need_emergency_access(
    front_desk, office_manager, clinician
):
    patient = patient_register(actor=office_manager, data=jane(restricted=True))
    with pytest.raises(EmergencyAccessRequired):
        access_patient(actor=clinician, mrn=patient.mrn)
    from clinicdesk.accounts.services import emergency_access_grant

    emergency_access_grant(actor=clinician, patient_id=patient.mrn, reason="Seen urgently in clinic today")
    assert access_patient(actor=clinician, mrn=patient.mrn) == patient
    read = AuditEvent.objects.filter(action=Action.READ, patient_id=patient.mrn).get()
    assert read.actor == clinician


def test_an_mrn_with_a_wrong_check_digit_is_a_404_without_a_lookup(front_desk):
    from django.http import Http404

    patient = patient_register(actor=front_desk, data=jane())
    wrong = patient.mrn[:-1] + str((int(patient.mrn[-1]) + 1) % 10)
    with pytest.raises(Http404):
        access_patient(actor=front_desk, mrn=wrong)


def test_age_is_derived_and_handles_leap_days(front_desk):
    patient = patient_register(actor=front_desk, data=jane(values={"date_of_birth": date(2000, 2, 29)}))
    assert patient.age_on(date(2001, 2, 28)) == 0 and patient.age_on(date(2001, 3, 1)) == 1
    assert patient.age == patient.age_on(app_clock.today())
