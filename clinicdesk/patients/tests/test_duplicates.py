from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients.coverage import CoverageInput, coverage_add
from clinicdesk.patients.duplicates import (
    SAME_MEMBER_ID,
    SAME_NAME_DOB,
    SAME_PHONE,
    SAME_SSN,
    likely_duplicates,
    names_similar,
)
from clinicdesk.patients.models import CoveragePriority, Patient, PayerType
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.patients.services import PatientInput, patient_register

BORN = date(1962, 3, 14)


def typed(first="Jane", last="Doe", born=BORN, *, phone="", ssn=None) -> PatientInput:
    values = {"first_name": first, "last_name": last, "date_of_birth": born, "sex_at_birth": "F"}
    return PatientInput(values=values, phones={"mobile": phone} if phone else {}, ssn=ssn)


@pytest.fixture
def jane(front_desk):
    return patient_register(actor=front_desk, data=typed(phone="(518) 555-0142", ssn="123-45-6789"))


def reasons_for(data: PatientInput, **kwargs) -> dict[str, list[str]]:
    return {p.mrn: why for p, why in likely_duplicates(data, **kwargs)}


def test_same_birthday_and_a_similar_name_is_a_likely_duplicate(jane):
    for first, last in [("Jane", "Doe"), ("jane", "DOE"), ("Jnae", "Doe"), ("Jane", "Does"), ("Doe", "Jane")]:
        assert reasons_for(typed(first, last)) == {jane.mrn: [SAME_NAME_DOB]}, (first, last)


def test_nicknames_count_as_the_same_first_name(front_desk):
    william = patient_register(actor=front_desk, data=typed("William", "Smith"))
    assert reasons_for(typed("Bill", "Smith")) == {william.mrn: [SAME_NAME_DOB]}


def test_accents_and_hyphens_do_not_hide_a_duplicate(front_desk):
    jose = patient_register(actor=front_desk, data=typed("José", "Núñez-García"))
    assert reasons_for(typed("Jose", "Nunez")) == {jose.mrn: [SAME_NAME_DOB]}


def test_same_name_on_another_birthday_or_another_name_on_the_same_birthday_is_not(jane):
    assert reasons_for(typed(born=date(1962, 3, 15))) == {}
    assert reasons_for(typed("Maria", "Lopez")) == {}
    assert reasons_for(typed("Jane", "Smith")) == {}


def test_the_same_phone_typed_differently_is_a_likely_duplicate(jane):
    assert reasons_for(typed("Maria", "Lopez", date(1990, 1, 1), phone="518.555.0142")) == {jane.mrn: [SAME_PHONE]}


def test_the_same_ssn_is_found_through_the_blind_index(jane):
    assert reasons_for(typed("Maria", "Lopez", date(1990, 1, 1), ssn="123 45 6789")) == {jane.mrn: [SAME_SSN]}
    assert reasons_for(typed("Maria", "Lopez", date(1990, 1, 1), ssn="123-45-6788")) == {}


def test_the_same_member_id_on_a_coverage_is_a_likely_duplicate(jane, biller):
    aetna = payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))
    coverage_add(
        actor=biller,
        patient=jane,
        data=CoverageInput(
            payer=aetna, priority=CoveragePriority.PRIMARY, effective_date=date(2024, 1, 1), member_id="w123456"
        ),
    )
    other = typed("Maria", "Lopez", date(1990, 1, 1))
    assert reasons_for(other, member_ids=[" W123456 "]) == {jane.mrn: [SAME_MEMBER_ID]}
    assert reasons_for(other, member_ids=["W999"]) == {}


def test_several_reasons_rank_first(jane, front_desk):
    namesake = patient_register(actor=front_desk, data=typed("Janet", "Doe"))
    found = likely_duplicates(typed(phone="518-555-0142", ssn="123-45-6789"))
    assert [p.mrn for p, _ in found] == [jane.mrn, namesake.mrn]
    assert found[0][1] == [SAME_NAME_DOB, SAME_PHONE, SAME_SSN]


def test_unparseable_values_match_nothing_and_do_not_raise(jane):
    data = PatientInput(values={"first_name": "", "date_of_birth": "02/30"}, phones={"mobile": "555"}, ssn="12")
    assert likely_duplicates(data) == []


def test_names_similar_needs_both_names():
    assert names_similar("Jane", "Doe", "Jane", "Doe")
    assert not names_similar("Jane", "Doe", "Jane", "Smith-Jones")
    assert not names_similar("", "Doe", "Jane", "Doe")


def test_the_duplicate_check_reads_a_bounded_number_of_rows(jane, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        likely_duplicates(typed(phone="518-555-0142", ssn="123-45-6789"), member_ids=["X1"])


# --- the registration page ---------------------------------------------------------------------

FORM = {
    "first_name": "Jane",
    "last_name": "Doe",
    "date_of_birth": "03/14/1962",
    "sex_at_birth": "F",
    "preferred_language": "English",
    "phone_mobile": "518 555 0199",
    "address_line1": "9 Oak Ave",
    "ssn": "123-45-6789",
    "status": "active",
}


def test_registration_warns_before_saving_and_shows_the_records_side_by_side(as_user, front_desk, jane):
    response = as_user(front_desk).post("/patients/new/", FORM)
    assert response.status_code == 200
    body = response.content.decode()
    assert "This patient may already be registered" in body
    assert jane.mrn in body and "Doe, Jane" in body and "…0142" in body and "…0199" in body
    assert f'href="/patients/{jane.mrn}/"' in body
    assert 'name="not_a_duplicate" value="1"' in body
    assert 'value="9 Oak Ave"' in body  # everything typed is kept in the form
    assert "6789" not in body.replace('value="123-45-6789"', "")  # no SSN digits in the comparison
    assert Patient.objects.count() == 1
    event = AuditEvent.objects.get(object_type="patient_duplicates")
    assert (event.action, event.detail) == (Action.READ, f"results={jane.mrn}")
    assert "Jane" not in event.detail


def test_a_different_person_is_registered_after_confirming(as_user, front_desk, jane):
    response = as_user(front_desk).post("/patients/new/", {**FORM, "not_a_duplicate": "1"})
    assert response.status_code == 302
    assert Patient.objects.count() == 2
    assert not AuditEvent.objects.filter(object_type="patient_duplicates").exists()


def test_registration_without_look_alikes_saves_at_once(as_user, front_desk, jane):
    data = {**FORM, "first_name": "Maria", "last_name": "Lopez", "ssn": "", "phone_mobile": ""}
    response = as_user(front_desk).post("/patients/new/", data)
    assert response.status_code == 302
    assert Patient.objects.count() == 2


def test_a_registration_with_errors_shows_the_errors_not_the_warning(as_user, front_desk, jane):
    response = as_user(front_desk).post("/patients/new/", {**FORM, "zip_code": "1220"})
    assert response.status_code == 422
    assert "This patient may already be registered" not in response.content.decode()
