from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.audit.models import Action, AuditEvent


def search_events():
    return AuditEvent.objects.filter(object_type="patient_search")


def test_the_search_page_renders_results_without_javascript(as_user, front_desk, register):
    jane = register("Jane", "Doe", phone="518-555-0142")
    response = as_user(front_desk).get("/patients/", {"q": "doe, jane"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<!DOCTYPE html>" in body and 'name="q"' in body and 'value="doe, jane"' in body
    assert f'href="/patients/{jane.mrn}/"' in body and "Doe, Jane" in body and "…0142" in body
    assert "1 patient found" in body


def test_htmx_gets_only_the_results_fragment(as_user, front_desk, register):
    register("Jane", "Doe")
    response = as_user(front_desk).get("/patients/", {"q": "jane"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="patient-results"') and "<!DOCTYPE" not in body
    assert "Doe, Jane" in body
    assert "HX-Request" in response["Vary"]


def test_the_empty_page_asks_for_input_and_records_nothing(as_user, front_desk):
    response = as_user(front_desk).get("/patients/")
    assert response.status_code == 200 and "Start typing to search." in response.content.decode()
    assert not search_events().exists()


def test_each_search_is_audited_with_kind_and_mrns_but_never_the_text(as_user, front_desk, register):
    doe = register("Jane", "Doe", date(1962, 3, 14))
    dobbs = register("Janet", "Dobbs", date(1962, 3, 14))
    as_user(front_desk).get("/patients/", {"q": "03/14/1962"})
    event = search_events().get()
    assert (event.action, event.actor_id, event.patient_id) == (Action.READ, front_desk.pk, "")
    assert event.detail == f"kind=dob; results={dobbs.mrn},{doe.mrn}"
    for field in ("detail", "reason", "object_id", "changed_fields"):
        value = str(getattr(event, field))
        assert "1962" not in value and "03/14" not in value


def test_a_name_or_ssn_search_leaves_no_trace_of_what_was_typed(as_user, front_desk, register):
    register("Jane", "Doe")
    client = as_user(front_desk)
    client.get("/patients/", {"q": "Doe, Jane"})
    client.get("/patients/", {"q": "123-45-6789"})
    client.get("/patients/", {"q": "nobody-at-all"})
    rows = list(search_events().values_list("detail", "reason", "object_id"))
    assert len(rows) == 3
    text = repr(rows).lower()
    assert "doe" not in text and "jane" not in text and "6789" not in text and "nobody" not in text
    assert [r[0].split(";")[0] for r in rows] == ["kind=name", "kind=ssn", "kind=name"]


@pytest.mark.parametrize("persona", ["auditor", "admin_user", "outsider"])
def test_roles_without_demographics_read_are_refused(request, as_user, persona):
    person = request.getfixturevalue(persona)
    response = as_user(person).get("/patients/", {"q": "jane"})
    assert response.status_code == 403
    assert not search_events().exists()


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "nurse", "biller", "office_manager"])
def test_roles_with_demographics_read_may_search(request, as_user, persona, register):
    register("Jane", "Doe")
    response = as_user(request.getfixturevalue(persona)).get("/patients/", {"q": "jane"})
    assert response.status_code == 200 and "Doe, Jane" in response.content.decode()


def test_results_show_no_ssn_or_address(as_user, front_desk, register):
    from clinicdesk.patients.services import PatientInput, patient_update

    jane = register("Jane", "Doe", address_line1="3 Elm St", city="Albany", state="NY", zip_code="12207")
    patient_update(actor=front_desk, patient=jane, data=PatientInput(values={}, ssn="123-45-6789"))
    body = as_user(front_desk).get("/patients/", {"q": "jane"}).content.decode()
    assert "Doe, Jane" in body
    assert "6789" not in body and "Elm" not in body and "Albany" not in body and "12207" not in body


def test_the_navigation_offers_find_patient_to_the_front_desk_only_once_current(as_user, front_desk):
    body = as_user(front_desk).get("/patients/new/").content.decode()
    assert '<a href="/patients/">Find patient</a>' in body
    assert '<a href="/patients/new/" aria-current="page">Register patient</a>' in body


def test_the_api_searches_and_audits(as_user, biller, register):
    jane = register("Jane", "Doe", phone="518-555-0142")
    response = as_user(biller).get("/api/v1/patients", {"q": "(518) 555-0142"})
    assert response.status_code == 200
    data = response.json()
    assert data["kind"] == "phone" and data["problem"] == ""
    assert data["results"] == [
        {
            "mrn": jane.mrn,
            "display_name": "Doe, Jane",
            "date_of_birth": "1962-03-14",
            "age": jane.age,
            "phone_last4": "0142",
            "status": "",
            "restricted": False,
            "match": "phone",
        }
    ]
    assert search_events().get().detail == f"kind=phone; results={jane.mrn}"


def test_the_api_refuses_roles_without_demographics_read(as_user, auditor):
    response = as_user(auditor).get("/api/v1/patients", {"q": "jane"})
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert not search_events().exists()


def test_the_api_rejects_an_overlong_query_with_problem_details(as_user, front_desk):
    response = as_user(front_desk).get("/api/v1/patients", {"q": "x" * 201})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert "200 characters" in response.json()["errors"][0]["message"]


def test_the_api_explains_a_bad_check_digit(as_user, front_desk):
    data = as_user(front_desk).get("/api/v1/patients", {"q": "12345678"}).json()
    assert data["results"] == [] and "last digit does not match" in data["problem"]
