"""The notes API: the same services as the pages, problem details, and who gets note text."""

from __future__ import annotations

import uuid

import pytest

from clinicdesk.clinical import notes
from clinicdesk.clinical.models import Encounter, VisitNote
from conftest import api_token_for

from .factories import make_clinic, make_encounter

TEXT = {"subjective": "Cough for 3 days.", "objective": "Lungs clear.", "assessment": "Viral URI.", "plan": "Fluids."}
SECRET = "Patient confides sensitive history"


def _auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(user, name='test', days=1)}"}


@pytest.fixture
def encounter(office_manager, clinician, front_desk):
    return make_encounter(clinician, make_clinic(office_manager, clinician, front_desk))


def _base(encounter: Encounter) -> str:
    return f"/api/v1/clinical/encounters/{encounter.public_id}/note"


def _send(client, method, path, auth, body=None):
    return getattr(client, method)(path, data=body or {}, content_type="application/json", **auth)


def test_a_nurse_starts_and_saves_a_draft_and_a_stale_version_is_a_409(client, nurse, clinician, encounter):
    nurse_auth = _auth(nurse)
    started = _send(client, "post", _base(encounter), nurse_auth)
    assert started.status_code == 201 and started.json()["status"] == "draft" and started.json()["version"] == 1
    assert _send(client, "post", _base(encounter), nurse_auth).status_code == 200  # the same note again
    saved = _send(client, "put", _base(encounter), nurse_auth, {"version": 1, **TEXT})
    assert saved.status_code == 200 and saved.json()["version"] == 2 and saved.json()["plan"] == "Fluids."
    stale = _send(client, "put", _base(encounter), _auth(clinician), {"version": 1, **TEXT, "plan": "Other."})
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["errors"][0]["field"] == "version" and "Sam Patel" in stale.json()["errors"][0]["message"]
    assert VisitNote.objects.get(encounter=encounter).plan == "Fluids."


def test_the_clinician_signs_over_the_api_and_gets_the_verified_signature(client, clinician, encounter):
    auth = _auth(clinician)
    _send(client, "post", _base(encounter), auth)
    _send(client, "put", _base(encounter), auth, {"version": 1, **TEXT})
    signed = _send(client, "post", f"{_base(encounter)}/sign", auth)
    body = signed.json()
    assert signed.status_code == 200 and body["status"] == "signed" and body["signature_verified"] is True
    assert len(body["content_sha256"]) == 64 and body["signed_by"] == "Dr. Amara Okafor"
    read = client.get(_base(encounter), **auth)
    assert read.status_code == 200 and read.json()["subjective"] == TEXT["subjective"]


def test_signing_empty_or_twice_and_editing_a_signed_note_are_refused(client, clinician, encounter):
    auth = _auth(clinician)
    _send(client, "post", _base(encounter), auth)
    empty = _send(client, "post", f"{_base(encounter)}/sign", auth)
    assert empty.status_code == 422 and empty.json()["errors"] == [
        {"field": "note", "message": "Write the note before signing: all four sections are blank."}
    ]
    _send(client, "put", _base(encounter), auth, {"version": 1, **TEXT})
    assert _send(client, "post", f"{_base(encounter)}/sign", auth).status_code == 200
    before = VisitNote.objects.get(encounter=encounter)
    twice = _send(client, "post", f"{_base(encounter)}/sign", auth)
    assert (
        twice.status_code == 409 and "This note was signed by Dr. Amara Okafor" in twice.json()["errors"][0]["message"]
    )
    edit = _send(client, "put", _base(encounter), auth, {"version": before.version, **TEXT, "plan": "Antibiotics."})
    assert edit.status_code == 409 and "Add an addendum instead" in edit.json()["errors"][0]["message"]
    after = VisitNote.objects.get(encounter=encounter)
    assert (after.plan, after.content_sha256, after.signed_at) == ("Fluids.", before.content_sha256, before.signed_at)


def test_a_nurse_cannot_sign_over_the_api(client, nurse, encounter):
    notes.note_start(actor=nurse, encounter=encounter)
    refused = _send(client, "post", f"{_base(encounter)}/sign", _auth(nurse))
    assert refused.status_code == 403
    assert not VisitNote.objects.get(encounter=encounter).is_signed


def test_addenda_over_the_api_need_text_and_a_signed_note(client, clinician, encounter):
    auth = _auth(clinician)
    note = notes.note_start(actor=clinician, encounter=encounter)
    on_draft = _send(client, "post", f"{_base(encounter)}/addenda", auth, {"text": "More."})
    assert on_draft.status_code == 422 and on_draft.json()["errors"][0]["field"] == "note"
    notes.note_save_draft(actor=clinician, note=note, version=1, **TEXT)
    notes.note_sign(actor=clinician, note=note)
    blank = _send(client, "post", f"{_base(encounter)}/addenda", auth, {"text": "   "})
    assert blank.status_code == 422 and blank.json()["errors"] == [
        {"field": "text", "message": "Write the addendum's text."}
    ]
    added = _send(client, "post", f"{_base(encounter)}/addenda", auth, {"text": "Correction: 4 days."})
    assert added.status_code == 201 and added.json()["author"] == "Dr. Amara Okafor"
    listed = client.get(f"{_base(encounter)}/addenda", **auth).json()
    assert [a["text"] for a in listed] == ["Correction: 4 days."]
    assert Encounter.objects.get(pk=encounter.pk).status == "amended"


def test_unknown_fields_and_unknown_encounters_are_told_apart(client, clinician, encounter):
    auth = _auth(clinician)
    notes.note_start(actor=clinician, encounter=encounter)
    extra = _send(client, "put", _base(encounter), auth, {"version": 1, **TEXT, "signed": True})
    assert extra.status_code == 422
    missing = client.get(f"/api/v1/clinical/encounters/{uuid.uuid4()}/note", **auth)
    assert missing.status_code == 404


def test_front_desk_billers_and_the_auditor_get_no_note_text_from_any_route(client, front_desk, biller, auditor,
                                                                            clinician, encounter):  # fmt: skip
    note = notes.note_start(actor=clinician, encounter=encounter)
    notes.note_save_draft(actor=clinician, note=note, version=1, **{**TEXT, "subjective": SECRET})
    notes.note_sign(actor=clinician, note=note)
    notes.addendum_add(actor=clinician, note=note, text=SECRET + " addendum")
    for person in (front_desk, biller, auditor):
        auth = _auth(person)
        for method, suffix in (("get", ""), ("post", ""), ("put", ""), ("post", "/sign"), ("post", "/cosign"),
                               ("get", "/addenda"), ("post", "/addenda")):  # fmt: skip
            answer = _send(client, method, _base(encounter) + suffix, auth, {"text": "x", "version": 1})
            assert answer.status_code == 403, (person.role, method, suffix)
            assert SECRET.encode() not in answer.content
