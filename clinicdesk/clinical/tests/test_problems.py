"""The problem list: billable codes only, once per patient while active, dates in order, roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import Action
from clinicdesk.clinical.models import Problem, ProblemStatus
from clinicdesk.clinical.problems import (
    problem_add,
    problem_mark_in_error,
    problem_reactivate,
    problem_resolve,
    problems_of,
)
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict

from .helpers import audit_head, events_since

API = "/api/v1/clinical"


def _url(patient, suffix: str = "") -> str:
    return f"/clinical/patients/{patient.mrn}/problems/{suffix}"


# --- Service ---------------------------------------------------------------------------------


def test_adding_a_billable_code_copies_its_description_and_writes_one_audit_event(clinician, patient):
    head = audit_head()
    problem = problem_add(actor=clinician, patient=patient, code="e119", onset=date(2020, 5, 1), note="Diet controlled")
    assert (problem.code, problem.description) == ("E11.9", "Type 2 diabetes mellitus without complications")
    assert problem.status == ProblemStatus.ACTIVE
    events = events_since(head)
    assert [(e.action, e.object_type, e.object_id, e.patient_id) for e in events] == [
        (Action.CREATE, "problem", str(problem.public_id), patient.mrn)
    ]
    assert "Diet" not in events[0].detail + events[0].reason and "E11" not in events[0].detail


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("E11", "E11 is a category, not a billable code; choose a more specific code such as E11.9"),
        ("E11.6", "E11.6 is a header, not a billable code; choose a more specific code such as E11.65"),
        ("X99.99", "X99.99 is not an ICD-10-CM code"),
        ("", "An empty code is not an ICD-10-CM code"),
    ],
)
def test_a_code_that_is_not_billable_is_refused_on_the_code_field(clinician, patient, code, message):
    with pytest.raises(ValidationError) as refused:
        problem_add(actor=clinician, patient=patient, code=code)
    assert refused.value.message_dict == {"code": [message]}
    assert not Problem.objects.exists()


def test_the_same_active_code_twice_is_refused_but_a_resolved_one_may_come_back(clinician, patient):
    first = problem_add(actor=clinician, patient=patient, code="I10")
    with pytest.raises(Conflict) as refused:
        problem_add(actor=clinician, patient=patient, code="i10")
    assert "I10 is already on this patient's active problem list" in refused.value.message_dict["code"][0]
    problem_resolve(actor=clinician, problem=first, resolved_on=app_clock.today())
    again = problem_add(actor=clinician, patient=patient, code="I10")
    assert Problem.objects.filter(patient=patient, code="I10").count() == 2
    with pytest.raises(Conflict, match="already on this patient's active problem list"):
        problem_reactivate(actor=clinician, problem=first)
    problem_mark_in_error(actor=clinician, problem=again, reason="Duplicate entry")
    assert problem_reactivate(actor=clinician, problem=first).status == ProblemStatus.ACTIVE


def test_a_resolved_date_before_the_onset_or_in_the_future_is_refused(clinician, patient):
    problem = problem_add(actor=clinician, patient=patient, code="R05.9", onset=date(2026, 1, 10))
    with pytest.raises(ValidationError) as refused:
        problem_resolve(actor=clinician, problem=problem, resolved_on=date(2026, 1, 9))
    assert refused.value.message_dict == {"resolved_on": ["The resolved date cannot be before the onset (01/10/2026)."]}
    with pytest.raises(ValidationError, match="cannot be in the future"):
        problem_resolve(actor=clinician, problem=problem, resolved_on=app_clock.today() + timedelta(days=1))
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ACTIVE and problem.resolved_on is None
    done = problem_resolve(actor=clinician, problem=problem, resolved_on=date(2026, 1, 10))
    assert (done.status, done.resolved_on) == (ProblemStatus.RESOLVED, date(2026, 1, 10))
    with pytest.raises(Conflict, match="only an active problem is resolved"):
        problem_resolve(actor=clinician, problem=problem, resolved_on=date(2026, 1, 11))


def test_an_onset_in_the_future_is_refused(clinician, patient):
    with pytest.raises(ValidationError) as refused:
        problem_add(actor=clinician, patient=patient, code="I10", onset=app_clock.today() + timedelta(days=3))
    assert list(refused.value.message_dict) == ["onset"]


def test_entered_in_error_needs_a_reason_kept_in_the_audit_trail(clinician, patient):
    problem = problem_add(actor=clinician, patient=patient, code="I10")
    with pytest.raises(ValidationError) as refused:
        problem_mark_in_error(actor=clinician, problem=problem, reason="  ")
    assert refused.value.message_dict == {"reason": ["Say why it was entered in error."]}
    head = audit_head()
    problem_mark_in_error(actor=clinician, problem=problem, reason="Wrong patient")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_ERROR
    [event] = events_since(head)
    assert (event.action, event.reason, event.changed_fields) == (Action.UPDATE, "Wrong patient", "status")
    assert problems_of(patient=patient) == []
    assert problems_of(patient=patient, include_in_error=True) == [problem]


# --- Pages -----------------------------------------------------------------------------------


def test_a_clinician_adds_a_problem_from_the_page(as_user, clinician, patient):
    client = as_user(clinician)
    page = client.get(_url(patient))
    assert page.status_code == 200
    assert b'role="combobox"' in page.content and b"/codes/icd10/search/?billable=1" in page.content
    response = client.post(_url(patient, "add/"), {"code": "E11.65", "onset": "2024-02-01", "note": "A1c 8.1"})
    assert response.status_code == 302 and response["Location"] == _url(patient)
    problem = Problem.objects.get()
    assert (problem.code, problem.onset, problem.note, problem.created_by) == (
        "E11.65", date(2024, 2, 1), "A1c 8.1", clinician,
    )  # fmt: skip
    listed = client.get(_url(patient))
    assert b"E11.65" in listed.content and b"with hyperglycemia" in listed.content and b"A1c 8.1" in listed.content


def test_a_non_billable_code_on_the_page_answers_422_with_the_message_and_keeps_the_input(as_user, nurse, patient):
    client = as_user(nurse)
    response = client.post(_url(patient, "add/"), {"code": "E11", "onset": "2024-02-01", "note": "Kept"})
    assert response.status_code == 422
    text = response.content.decode()
    assert "E11 is a category, not a billable code; choose a more specific code such as E11.9" in text
    assert 'value="E11"' in text and 'value="Kept"' in text
    assert not Problem.objects.exists()


def test_a_duplicate_on_the_page_is_explained(as_user, clinician, patient):
    problem_add(actor=clinician, patient=patient, code="I10")
    response = as_user(clinician).post(_url(patient, "add/"), {"code": "I10"})
    assert response.status_code == 422
    assert b"already on this patient&#x27;s active problem list" in response.content
    assert Problem.objects.count() == 1


def test_resolve_reactivate_and_in_error_from_the_pages(as_user, clinician, patient):
    problem = problem_add(actor=clinician, patient=patient, code="I10", onset=date(2025, 1, 2))
    client = as_user(clinician)
    early = client.post(_url(patient, f"{problem.public_id}/resolve/"), {"resolved_on": "2025-01-01"})
    assert early.status_code == 422 and b"cannot be before the onset (01/02/2025)" in early.content
    done = client.post(_url(patient, f"{problem.public_id}/resolve/"), {"resolved_on": "2025-03-01"})
    assert done.status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.RESOLVED
    assert client.post(_url(patient, f"{problem.public_id}/reactivate/")).status_code == 302
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.ACTIVE and problem.resolved_on is None
    no_reason = client.post(_url(patient, f"{problem.public_id}/in-error/"), {"reason": ""})
    assert no_reason.status_code == 422 and b"Say why" in no_reason.content
    client.post(_url(patient, f"{problem.public_id}/in-error/"), {"reason": "Wrong chart"})
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.IN_ERROR


def test_a_biller_sees_codes_and_dates_but_not_the_note(as_user, clinician, biller, patient):
    problem_add(actor=clinician, patient=patient, code="E11.9", onset=date(2020, 5, 1), note="Secret narrative")
    page = as_user(biller).get(_url(patient))
    assert page.status_code == 200
    assert b"E11.9" in page.content and b"05/01/2020" in page.content
    assert b"Secret narrative" not in page.content and b"Add a problem" not in page.content
    assert as_user(biller).post(_url(patient, "add/"), {"code": "I10"}).status_code == 403


def test_the_front_desk_and_the_auditor_never_see_the_problem_list(as_user, clinician, front_desk, auditor, patient):
    problem_add(actor=clinician, patient=patient, code="E11.9")
    for person in (front_desk, auditor):
        assert as_user(person).get(_url(patient)).status_code == 403
        assert as_user(person).get(f"{API}/patients/{patient.mrn}/problems").status_code == 403


def test_every_read_of_the_list_is_one_audited_read_of_the_patient(as_user, biller, patient):
    client = as_user(biller)
    head = audit_head()
    client.get(_url(patient))
    [event] = events_since(head)
    assert (event.action, event.patient_id, event.reason, event.actor_username) == (
        Action.READ, patient.mrn, "problem list", biller.username,
    )  # fmt: skip


def test_a_restricted_patient_needs_emergency_access(as_user, clinician, patient):
    record_restrict(actor=clinician, patient_id=patient.mrn)
    client = as_user(clinician)
    response = client.get(_url(patient))
    assert response.status_code == 302 and f"/emergency/{patient.mrn}/" in response["Location"]
    assert client.get(f"{API}/patients/{patient.mrn}/problems").status_code == 403
    emergency_access_grant(actor=clinician, patient_id=patient.mrn, reason="Seen in clinic today for chest pain")
    assert client.get(_url(patient)).status_code == 200


def test_an_unknown_patient_or_another_patients_problem_is_a_404(as_user, clinician, patient, clinic):
    from clinicdesk.scheduling.tests.factories import make_patient

    other = make_patient(clinician.__class__.objects.get(role="office_manager"), first="Sam", last="Other")
    problem = problem_add(actor=clinician, patient=other, code="I10")
    client = as_user(clinician)
    assert client.get(_url(patient, f"{problem.public_id}/resolve/")).status_code == 404
    assert client.get("/clinical/patients/00000000/problems/").status_code == 404


# --- API -------------------------------------------------------------------------------------


def test_the_api_adds_lists_resolves_and_marks_in_error(as_user, clinician, patient):
    client = as_user(clinician)
    created = client.post(
        f"{API}/patients/{patient.mrn}/problems",
        {"code": "J45.909", "onset": "2019-04-01", "note": "Exercise induced"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["code"], body["description"], body["note"]) == (
        "J45.909", "Unspecified asthma, uncomplicated", "Exercise induced",
    )  # fmt: skip
    problem_id = body["public_id"]
    early = client.post(
        f"{API}/patients/{patient.mrn}/problems/{problem_id}/resolve",
        {"resolved_on": "2019-03-01"},
        content_type="application/json",
    )
    assert early.status_code == 422 and early.json()["errors"][0]["field"] == "resolved_on"
    resolved = client.post(
        f"{API}/patients/{patient.mrn}/problems/{problem_id}/resolve",
        {"resolved_on": "2021-01-01"},
        content_type="application/json",
    )
    assert resolved.json()["status"] == "resolved"
    listed = client.get(f"{API}/patients/{patient.mrn}/problems").json()
    assert [p["code"] for p in listed] == ["J45.909"]
    gone = client.post(
        f"{API}/patients/{patient.mrn}/problems/{problem_id}/in-error",
        {"reason": "Wrong code"},
        content_type="application/json",
    )
    assert gone.json()["status"] == "in_error"
    assert client.get(f"{API}/patients/{patient.mrn}/problems").json() == []


def test_the_api_answers_422_for_a_non_billable_code_and_409_for_a_duplicate(as_user, clinician, patient):
    client = as_user(clinician)
    url = f"{API}/patients/{patient.mrn}/problems"
    bad = client.post(url, {"code": "J45"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "code",
            "message": "J45 is a category, not a billable code; choose a more specific code such as J45.909",
        }
    ]
    assert client.post(url, {"code": "I10"}, content_type="application/json").status_code == 201
    again = client.post(url, {"code": "I10"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "code"
    assert Problem.objects.count() == 1


def test_the_api_gives_billers_codes_without_the_note(as_user, clinician, biller, nurse, patient):
    problem_add(actor=clinician, patient=patient, code="I10", note="Home readings high")
    [row] = as_user(biller).get(f"{API}/patients/{patient.mrn}/problems").json()
    assert row["code"] == "I10" and row["note"] is None
    [row] = as_user(nurse).get(f"{API}/patients/{patient.mrn}/problems").json()
    assert row["note"] == "Home readings high"
    refused = as_user(biller).post(
        f"{API}/patients/{patient.mrn}/problems", {"code": "E11.9"}, content_type="application/json"
    )
    assert refused.status_code == 403


# --- Concurrency -----------------------------------------------------------------------------


def test_two_people_adding_the_same_code_at_once_add_it_once(committed_db, office_manager, clinician, nurse):
    import threading

    from django.db import connections

    from clinicdesk.codes.services import icd10_load

    from .factories import make_clinic
    from .helpers import CODES

    icd10_load(entries=CODES, release="2026")
    patient = make_clinic(office_manager, clinician).patient
    added, refused, errors = [], [], []
    start = threading.Barrier(2)

    def add(actor):
        try:
            start.wait()
            added.append(problem_add(actor=actor, patient=patient, code="I10"))
        except Conflict as exc:
            refused.append(exc)
        except Exception as exc:  # noqa: BLE001  (collected and asserted on below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(who,)) for who in (clinician, nurse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(added) == 1 and len(refused) == 1
    assert Problem.objects.filter(patient=patient, code="I10", status=ProblemStatus.ACTIVE).count() == 1
