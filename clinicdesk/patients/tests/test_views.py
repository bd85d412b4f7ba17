from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients.models import Patient
from clinicdesk.patients.services import PatientInput, patient_register

FORM = {
    "first_name": "José",
    "last_name": "Núñez-García",
    "date_of_birth": "07/04/1985",
    "sex_at_birth": "M",
    "preferred_language": "Spanish",
    "phone_mobile": "518.555.0177",
    "address_line1": "3 Elm St",
    "city": "Albany",
    "state": "NY",
    "zip_code": "12207",
    "ssn": "123-45-6789",
    "status": "active",
}


@pytest.fixture
def patient(front_desk):
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"},
            phones={"mobile": "(518) 555-0142"},
            ssn="123-45-6789",
        ),
    )


def test_the_front_desk_registers_a_patient(as_user, front_desk):
    response = as_user(front_desk).post("/patients/new/", FORM)
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.mrn}/"
    assert (patient.first_name, patient.last_name, patient.date_of_birth) == ("José", "Núñez-García", date(1985, 7, 4))
    assert patient.phones.get().number == "+15185550177"
    assert AuditEvent.objects.filter(action=Action.CREATE, patient_id=patient.mrn).count() == 1


def test_a_bad_registration_names_each_field_and_keeps_what_was_typed(as_user, front_desk):
    bad = {**FORM, "date_of_birth": "02/30/1985", "zip_code": "1220", "phone_mobile": "555"}
    response = as_user(front_desk).post("/patients/new/", bad)
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a valid date." in body  # Feb 30 does not exist
    form = response.context["form"]
    # All three at once, though the date did not even parse.
    assert {"date_of_birth", "zip_code", "phone_mobile"} <= set(form.errors)
    assert 'value="Núñez-García"' in body and 'value="3 Elm St"' in body
    assert not Patient.objects.exists()


def test_service_errors_appear_next_to_their_fields(as_user, front_desk):
    bad = {**FORM, "zip_code": "1220", "phone_mobile": "555", "state": "NY"}
    response = as_user(front_desk).post("/patients/new/", bad)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "ZIP code like 12345" in errors["zip_code"][0] and "phone number" in errors["phone_mobile"][0]


def test_the_chart_shows_only_the_last_four_of_the_ssn(as_user, front_desk, patient):
    response = as_user(front_desk).get(f"/patients/{patient.mrn}/")
    body = response.content.decode()
    assert response.status_code == 200 and "***-**-6789" in body
    assert "123-45-6789" not in body and "123456789" not in body
    assert AuditEvent.objects.filter(action=Action.READ, patient_id=patient.mrn, actor=front_desk).count() == 1


def test_the_edit_form_never_echoes_the_ssn_but_says_one_is_on_file(as_user, front_desk, patient):
    import re

    body = as_user(front_desk).get(f"/patients/{patient.mrn}/edit/").content.decode()
    assert "123-45-6789" not in body and "123456789" not in body
    ssn_input = re.search(r"<input[^>]*name=\"ssn\"[^>]*>", body).group(0)
    assert 'type="password"' in ssn_input and "value=" not in ssn_input
    assert "On file: ***-**-6789" in body


def test_a_two_digit_birth_year_means_the_past(as_user, front_desk):
    response = as_user(front_desk).post("/patients/new/", {**FORM, "date_of_birth": "3/14/62"})
    assert response.status_code == 302
    assert Patient.objects.get().date_of_birth == date(1962, 3, 14)


def test_an_edit_through_the_form_is_kept_in_the_history(as_user, front_desk, office_manager, patient):
    client = as_user(front_desk)
    form = client.get(f"/patients/{patient.mrn}/edit/").context["form"]
    data = {name: (value if value is not None else "") for name, value in form.initial.items()}
    data.update({"city": "Troy", "date_of_birth": "03/14/1962", "primary_care_provider": ""})
    data.pop("restricted", None)
    response = client.post(f"/patients/{patient.mrn}/edit/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Troy" and patient.ssn == "123-45-6789"  # a blank SSN box leaves it alone
    history = as_user(office_manager).get(f"/patients/{patient.mrn}/history/")
    assert history.status_code == 200 and b"Troy" in history.content
    assert as_user(front_desk).get(f"/patients/{patient.mrn}/history/").status_code == 403


def test_a_restricted_chart_sends_a_clinician_to_break_the_glass(as_user, office_manager, clinician, patient):
    from clinicdesk.accounts.services import record_restrict

    record_restrict(actor=office_manager, patient_id=patient.mrn)
    client = as_user(clinician)
    response = client.get(f"/patients/{patient.mrn}/")
    assert response.status_code == 302 and response["Location"].startswith(f"/emergency/{patient.mrn}/?next=")
    client.post(
        f"/emergency/{patient.mrn}/",
        {"reason": "Patient collapsed in the waiting room", "next": f"/patients/{patient.mrn}/"},
    )
    assert client.get(f"/patients/{patient.mrn}/").status_code == 200


def test_the_auditor_cannot_open_a_chart(as_user, auditor, patient):
    assert as_user(auditor).get(f"/patients/{patient.mrn}/").status_code == 403


def test_an_unknown_mrn_is_a_404(as_user, front_desk, db):
    assert as_user(front_desk).get("/patients/12345678/").status_code == 404


def test_the_api_registers_and_reads_a_patient(client, front_desk):
    from conftest import api_token_for

    token = api_token_for(front_desk, name="kiosk", days=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    created = client.post(
        "/api/v1/patients",
        data={
            "first_name": "Ann",
            "last_name": "Lee",
            "date_of_birth": "1990-01-02",
            "sex_at_birth": "F",
            "ssn": "123-45-6789",
            "phones": {"mobile": "518-555-0100"},
        },
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (
        body["ssn_last4"] == "6789"
        and "ssn" not in body
        and body["phones"] == [{"kind": "mobile", "number": "+15185550100"}]
    )
    read = client.get(f"/api/v1/patients/{body['mrn']}", **auth)
    assert read.status_code == 200 and read.json()["display_name"] == "Lee, Ann"
    bad = client.post(
        "/api/v1/patients",
        data={"first_name": "A", "last_name": "B", "date_of_birth": 0, "sex_at_birth": "F"},
        content_type="application/json",
        **auth,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "date_of_birth"
    # A date of birth in the future is refused by the API's input range, before the service.
    future = client.post(
        "/api/v1/patients",
        data={"first_name": "A", "last_name": "B", "date_of_birth": "2999-01-01", "sex_at_birth": "F", "state": "ZZ"},
        content_type="application/json",
        **auth,
    )
    assert future.status_code == 422
    assert [e["field"] for e in future.json()["errors"]] == ["date_of_birth"]
    assert "cannot be in the future" in future.json()["errors"][0]["message"]
    # The service names every wrong field at once.
    invalid = client.post(
        "/api/v1/patients",
        data={"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-02", "sex_at_birth": "F", "state": "ZZ",
              "zip_code": "1"},
        content_type="application/json",
        **auth,
    )  # fmt: skip
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"zip_code", "state"}
    assert Patient.objects.count() == 1


def test_the_api_changes_only_the_fields_sent(client, front_desk, patient):
    from clinicdesk.patients.models import PatientFieldChange
    from conftest import api_token_for

    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(front_desk, name='k', days=1)}"}
    url = f"/api/v1/patients/{patient.mrn}"
    response = client.patch(
        url,
        data={"city": "Troy", "state": "ny", "phones": {"home": "(518) 555-0111"}},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert sorted(body["changed"]) == ["city", "phone_home", "state"] and body["patient"]["state"] == "NY"
    patient.refresh_from_db()
    assert (patient.city, patient.first_name, patient.ssn) == ("Troy", "Jane", "123-45-6789")
    assert PatientFieldChange.objects.filter(patient=patient, field="city").exists()
    removed = client.patch(url, data={"ssn": ""}, content_type="application/json", **auth)
    assert removed.json()["changed"] == ["ssn"]
    patient.refresh_from_db()
    assert patient.ssn is None and patient.ssn_last4 == ""
    null = client.patch(url, data={"last_name": None}, content_type="application/json", **auth)
    assert null.status_code == 422 and null.json()["errors"][0]["field"] == "last_name"
    bad = client.patch(url, data={"zip_code": "1"}, content_type="application/json", **auth)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "zip_code"
    patient.refresh_from_db()
    assert patient.zip_code == ""
