"""Choosing a patient in a form by name, date of birth, phone or MRN, and the box's list of matches."""

from __future__ import annotations

from html import unescape
from urllib.parse import unquote

from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.patients.search.pick import access_patient_pick
from clinicdesk.scheduling.tests.factories import make_patient

PICK = "/patients/pick/"


def test_a_name_with_one_match_chooses_that_patient_and_audits_the_search_and_the_read(clock, front_desk):
    jane = make_patient(front_desk)
    make_patient(front_desk, "Joe", "Roe")
    pick = access_patient_pick(actor=front_desk, text="doe, jane", purpose="slot search")
    assert pick.patient == jane and not pick.problem
    assert AuditEvent.objects.filter(object_type="patient_search", detail__contains=jane.mrn).exists()
    assert AuditEvent.objects.filter(action="read", patient_id=jane.mrn, reason="slot search").exists()


def test_several_matches_are_offered_and_nobody_is_chosen(clock, front_desk):
    make_patient(front_desk)
    make_patient(front_desk, "John", "Doe")
    pick = access_patient_pick(actor=front_desk, text="doe", purpose="slot search")
    assert pick.patient is None and pick.problem == "2 patients match “doe”: choose one."
    assert sorted(hit.display_name for hit in pick.hits) == ["Doe, Jane", "Doe, John"]


def test_an_mrn_opens_that_record_and_nonsense_is_named(clock, front_desk):
    jane = make_patient(front_desk)
    assert access_patient_pick(actor=front_desk, text=f" {jane.mrn} ", purpose="x").patient == jane
    assert "No patient has this MRN" in access_patient_pick(actor=front_desk, text="12345678", purpose="x").problem
    assert access_patient_pick(actor=front_desk, text="zzyzx", purpose="x").problem.startswith("No patient matches")
    assert access_patient_pick(actor=front_desk, text="  ", purpose="x").patient is None


def test_the_box_lists_matches_as_links_back_to_the_form_with_its_values_kept(clock, as_user, front_desk):
    jane = make_patient(front_desk)
    query = {
        "patient": "doe",
        "pick_field": "patient",
        "pick_to": "/scheduling/setup/slots/",
        "appointment_type": "abc",
        "csrfmiddlewaretoken": "secret",
    }
    response = as_user(front_desk).get(PICK, query, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = unquote(unescape(response.content.decode()))
    assert "<html" not in body and "Choose Doe, Jane" in body
    assert f'href="/scheduling/setup/slots/?appointment_type=abc&patient={jane.mrn}"' in body
    assert "secret" not in body


def test_the_box_never_links_off_the_site(clock, as_user, front_desk):
    make_patient(front_desk)
    query = {"patient": "doe", "pick_to": "https://elsewhere.example/steal"}
    body = unescape(as_user(front_desk).get(PICK, query).content.decode())
    assert "elsewhere.example" not in body and f'href="{reverse("patient_search:pick")}?patient=' in body


def test_the_box_is_refused_to_roles_without_demographics(clock, as_user, auditor):
    assert as_user(auditor).get(PICK, {"patient": "doe"}).status_code == 403
