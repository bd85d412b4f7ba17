from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients.models import Coverage, Payer
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.patients.services import PatientInput, patient_register

PROBLEM = "application/problem+json"


@pytest.fixture
def patient(front_desk):
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
        ),
    )


@pytest.fixture
def medicare(biller):
    return payer_create(actor=biller, data=PayerInput(name="Medicare", payer_type="medicare", payer_id="13202"))


def _body(payer, **extra):
    return {
        "payer": str(payer.public_id),
        "priority": "primary",
        "effective_date": "2026-01-01",
        "member_id": "1EG4-TE5-MK73",
        **extra,
    }


def _post(client, url, body):
    return client.post(url, data=body, content_type="application/json")


def test_coverages_are_added_listed_and_ended_through_the_api(as_user, front_desk, patient, medicare):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    created = _post(client, url, _body(medicare))
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["member_id"], body["payer"]["name"], body["active"]) == ("1EG4TE5MK73", "Medicare", True)
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="coverage").count() == 1
    listed = client.get(url).json()
    assert [c["public_id"] for c in listed] == [body["public_id"]]
    ended = _post(client, f"{url}/{body['public_id']}/end", {"end_date": "2026-03-31", "reason": "moved"})
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert client.get(url).json() == []
    assert len(client.get(f"{url}?include_ended=true").json()) == 1
    assert Coverage.objects.get().end_date == date(2026, 3, 31)
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_type="coverage").count() == 1


def test_a_second_active_primary_answers_409(as_user, front_desk, patient, medicare):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    assert _post(client, url, _body(medicare)).status_code == 201
    response = _post(client, url, _body(medicare, member_id="2C34D56EF78"))
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert errors[0]["field"] == "priority" and "active primary coverage: Medicare" in errors[0]["message"]
    assert Coverage.objects.count() == 1


def test_an_invalid_mbi_or_date_answers_422(as_user, front_desk, patient, medicare):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    response = _post(client, url, _body(medicare, member_id="1SG4TE5MK73"))
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "member_id"
    response = _post(client, url, _body(medicare, effective_date=0))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "effective_date"
    response = _post(client, url, _body(medicare, priority="fourth"))
    assert response.status_code == 422
    assert not Coverage.objects.exists()


def test_an_unknown_payer_answers_422(as_user, front_desk, patient):
    fake = Payer(name="nobody")
    response = _post(as_user(front_desk), f"/api/v1/patients/{patient.mrn}/coverages", _body(fake))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "payer"


def test_ending_twice_answers_422(as_user, biller, patient, medicare):
    client = as_user(biller)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    public_id = _post(client, url, _body(medicare)).json()["public_id"]
    assert _post(client, f"{url}/{public_id}/end", {"end_date": "2026-03-31"}).status_code == 200
    again = _post(client, f"{url}/{public_id}/end", {"end_date": "2026-04-30"})
    assert again.status_code == 422 and "already ended" in again.json()["errors"][0]["message"]


def test_a_clinician_reads_coverages_but_cannot_add_them(as_user, clinician, patient, medicare):
    client = as_user(clinician)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    assert client.get(url).status_code == 200
    assert AuditEvent.objects.filter(action=Action.READ, patient_id=patient.mrn, actor=clinician).count() == 1
    assert _post(client, url, _body(medicare)).status_code == 403
    assert not Coverage.objects.exists()


def test_the_payer_directory_through_the_api(as_user, biller, front_desk):
    created = _post(
        as_user(biller), "/api/v1/payers", {"name": "Cigna", "payer_type": "commercial", "payer_id": "62308"}
    )
    assert created.status_code == 201 and created.json()["payer_id"] == "62308"
    client = as_user(front_desk)
    assert [p["name"] for p in client.get("/api/v1/payers").json()] == ["Cigna"]
    refused = _post(client, "/api/v1/payers", {"name": "X", "payer_type": "self_pay"})
    assert refused.status_code == 403 and Payer.objects.count() == 1
    bad = _post(as_user(biller), "/api/v1/payers", {"name": "Y", "payer_type": "commercial"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "payer_id"


def test_a_nul_character_is_refused_not_a_server_error(as_user, biller, patient, medicare):
    client = as_user(biller)
    bad_payer = _post(client, "/api/v1/payers", {"name": "A\x00", "payer_type": "self_pay"})
    assert bad_payer.status_code == 422 and bad_payer.json()["errors"][0]["field"] == "name"
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    bad_coverage = _post(client, url, _body(medicare, plan_name="B\x00"))
    assert bad_coverage.status_code == 422 and bad_coverage.json()["errors"][0]["field"] == "plan_name"


def test_a_copay_in_cents_is_added_and_listed_through_the_api(as_user, front_desk, patient, medicare):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/coverages"
    response = _post(client, url, _body(medicare, copay_cents=2550))
    assert response.status_code == 201, response.content
    assert response.json()["copay_cents"] == 2550
    assert Coverage.objects.get().copay_cents == 2550
    listed = client.get(url).json()
    assert listed[0]["copay_cents"] == 2550
    none = _post(client, url, _body(medicare, priority="secondary"))
    assert none.status_code == 201 and none.json()["copay_cents"] is None
    free = _post(client, url, _body(medicare, priority="tertiary", copay_cents=0))
    assert free.status_code == 201 and free.json()["copay_cents"] == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-1, "cannot be negative"),
        (100_000_000, "under $1,000,000"),
        (10**30, "no larger than"),
        ("abc", "whole number of cents"),
        ("25.50", "whole number of cents"),  # dollars where cents are wanted
        ("2550", "whole number of cents"),
        (25.5, "whole number of cents"),
        (12.345, "whole number of cents"),
        (2550.0, "whole number of cents"),
        (True, "whole number of cents"),
    ],
)
def test_a_bad_copay_answers_422_on_the_field(as_user, front_desk, patient, medicare, amount, message):
    response = _post(
        as_user(front_desk), f"/api/v1/patients/{patient.mrn}/coverages", _body(medicare, copay_cents=amount)
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    [error] = response.json()["errors"]
    assert error["field"] == "copay_cents" and message in error["message"], error
    assert not Coverage.objects.exists()


def test_the_openapi_document_says_the_copay_is_cents(as_user, front_desk):
    schema = as_user(front_desk).get("/api/v1/openapi.json").json()["components"]["schemas"]
    field = schema["CoverageIn"]["properties"]["copay_cents"]
    assert "in cents" in field["description"] and field["minimum"] == 0 and field["maximum"] == 99_999_999
