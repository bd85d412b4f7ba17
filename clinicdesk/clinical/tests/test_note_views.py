"""The note pages: the editor and its autosave, signing, and every route refusing a signed note."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import notes
from clinicdesk.clinical.models import Encounter, VisitNote

from .factories import make_clinic, make_encounter

TEXT = {"subjective": "Cough for 3 days.", "objective": "Lungs clear.", "assessment": "Viral URI.", "plan": "Fluids."}
SECRET = "Patient confides sensitive history"


@pytest.fixture
def encounter(office_manager, clinician, front_desk):
    return make_encounter(clinician, make_clinic(office_manager, clinician, front_desk))


def _url(name: str, encounter: Encounter) -> str:
    return reverse(f"clinical:{name}", kwargs={"public_id": encounter.public_id})


def _form(version: int, **text) -> dict:
    return {"version": version, **TEXT, **text}


def _signed(clinician, encounter, **text) -> VisitNote:
    note = notes.note_start(actor=clinician, encounter=encounter)
    note = notes.note_save_draft(actor=clinician, note=note, version=1, **{**TEXT, **text})
    return notes.note_sign(actor=clinician, note=note)


def test_a_nurse_starts_a_draft_and_sees_four_labelled_boxes_with_autosave(as_user, nurse, encounter):
    client = as_user(nurse)
    page = client.get(_url("note", encounter))
    assert page.status_code == 200 and b"Start the note" in page.content
    assert client.post(_url("note_start", encounter)).status_code == 302
    page = client.get(_url("note", encounter))
    html = page.content.decode()
    for label in ("Subjective", "Objective", "Assessment", "Plan"):
        assert f">{label}</label>" in html
    assert 'hx-trigger="keyup changed delay:2s, blur"' in html and "Ctrl+S" in html
    assert "Sign the note" not in html  # a nurse drafts, the clinician signs
    assert VisitNote.objects.get(encounter=encounter).author == nurse


def test_the_htmx_autosave_stores_the_draft_and_answers_saved_with_the_new_version(as_user, nurse, encounter):
    notes.note_start(actor=nurse, encounter=encounter)
    answer = as_user(nurse).post(_url("note_save", encounter), _form(1), HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Saved " in html and ("AM" in html or "PM" in html)
    assert 'id="note-version" value="2" hx-swap-oob="true"' in html
    stored = VisitNote.objects.get(encounter=encounter)
    assert stored.plan == "Fluids." and stored.version == 2 and stored.last_edited_by == nurse


def test_a_stale_autosave_shows_the_conflict_and_keeps_the_stored_text(as_user, nurse, clinician, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    notes.note_save_draft(actor=nurse, note=note, version=1, **TEXT)
    answer = as_user(clinician).post(_url("note_save", encounter), _form(1, plan="Antibiotics."),
                                     HTTP_HX_REQUEST="true")  # fmt: skip
    html = answer.content.decode()
    assert "changed by Sam Patel at" in html and "reload to see it" in html and 'role="alert"' in html
    assert VisitNote.objects.get(pk=note.pk).plan == "Fluids."


def test_without_javascript_a_stale_save_is_a_409_page_that_keeps_what_was_typed(as_user, nurse, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    notes.note_save_draft(actor=nurse, note=note, version=1, **TEXT)
    answer = as_user(nurse).post(_url("note_save", encounter), _form(1, plan="My unsaved words."))
    assert answer.status_code == 409
    assert b"My unsaved words." in answer.content and b"reload to see it" in answer.content


def test_a_section_too_long_is_named_next_to_its_box(as_user, nurse, encounter):
    notes.note_start(actor=nurse, encounter=encounter)
    answer = as_user(nurse).post(_url("note_save", encounter), _form(1, assessment="y" * 20_001))
    assert answer.status_code == 422
    assert b'id="id_assessment_error"' in answer.content and b"20,000 characters" in answer.content
    assert VisitNote.objects.get(encounter=encounter).version == 1


def test_the_clinician_signs_from_the_editor_with_the_text_on_screen(as_user, nurse, clinician, encounter):
    notes.note_start(actor=nurse, encounter=encounter)
    answer = as_user(clinician).post(_url("note_sign", encounter), _form(1, plan="Fluids and rest."))
    assert answer.status_code == 302
    stored = VisitNote.objects.select_related("encounter", "signed_by").get(encounter=encounter)
    assert stored.is_signed and stored.plan == "Fluids and rest." and notes.note_verify(stored)
    page = as_user(clinician).get(_url("note", encounter)).content.decode()
    assert "Signed</strong> by Dr. Amara Okafor" in page and "Signature verified" in page and "Drafted by" in page
    assert "<textarea" not in page


def test_signing_an_empty_note_is_refused_on_the_page(as_user, clinician, encounter):
    notes.note_start(actor=clinician, encounter=encounter)
    answer = as_user(clinician).post(_url("note_sign", encounter), _form(1, subjective="", objective="",
                                                                         assessment="", plan=""))  # fmt: skip
    assert answer.status_code == 422 and b"Write the note before signing" in answer.content
    assert not VisitNote.objects.get(encounter=encounter).is_signed


def test_a_nurse_cannot_reach_the_sign_route(as_user, nurse, encounter):
    notes.note_start(actor=nurse, encounter=encounter)
    assert as_user(nurse).post(_url("note_sign", encounter), _form(1)).status_code == 403
    assert not VisitNote.objects.get(encounter=encounter).is_signed


@pytest.mark.parametrize("htmx", [False, True], ids=["form-post", "htmx-autosave"])
def test_every_page_route_refuses_to_change_a_signed_note_and_offers_an_addendum(as_user, clinician, encounter, htmx):
    note = _signed(clinician, encounter)
    before = VisitNote.objects.get(pk=note.pk)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    client = as_user(clinician)
    for route in ("note_save", "note_sign"):
        answer = client.post(_url(route, encounter), _form(note.version, plan="Antibiotics."), **headers)
        html = answer.content.decode()
        assert "This note was signed by Dr. Amara Okafor on" in html and "Add an addendum instead" in html, route
        assert _url("addendum_new", encounter) in html
        assert answer.status_code == (200 if htmx and route == "note_save" else 409), route
    after = VisitNote.objects.get(pk=note.pk)
    assert (after.plan, after.content_sha256, after.signed_at) == ("Fluids.", before.content_sha256, before.signed_at)


def test_the_panel_alone_comes_back_for_htmx(as_user, clinician, encounter):
    notes.note_start(actor=clinician, encounter=encounter)
    fragment = as_user(clinician).get(_url("note", encounter), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="note-panel"' in fragment and "<html" not in fragment


def test_every_open_of_a_note_is_an_audited_read(as_user, nurse, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    as_user(nurse).get(_url("note", encounter))
    event = AuditEvent.objects.filter(action="read", object_type="visit_note").get()
    assert event.object_id == str(note.public_id) and event.patient_id == encounter.patient.mrn


def test_front_desk_billers_and_the_auditor_never_see_note_text(as_user, front_desk, biller, auditor, clinician,
                                                                 encounter):  # fmt: skip
    _signed(clinician, encounter, subjective=SECRET)
    for person in (front_desk, biller, auditor):
        client = as_user(person)
        for name in ("note", "note_save", "note_sign", "note_cosign", "addendum_new", "note_start"):
            for method in ("get", "post"):
                answer = getattr(client, method)(_url(name, encounter))
                assert answer.status_code in (403, 404, 405), (person.role, name, method, answer.status_code)
                assert SECRET.encode() not in answer.content


def test_an_unknown_encounter_is_a_404(as_user, clinician):
    import uuid

    assert as_user(clinician).get(reverse("clinical:note", kwargs={"public_id": uuid.uuid4()})).status_code == 404


def test_a_restricted_patients_note_needs_emergency_access(as_user, office_manager, clinician, encounter):
    _signed(clinician, encounter)
    record_restrict(actor=office_manager, patient_id=encounter.patient.mrn)
    refused = as_user(clinician).get(_url("note", encounter))
    assert refused.status_code == 302 and "emergency" in refused["Location"]
    emergency_access_grant(actor=clinician, patient_id=encounter.patient.mrn, reason="Patient in clinic, chart needed")
    assert as_user(clinician).get(_url("note", encounter)).status_code == 200
