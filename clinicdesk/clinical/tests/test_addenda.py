"""Addenda: only under a signed note, by a clinician, with text; signed when written, shown under the note."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import notes
from clinicdesk.clinical.models import Addendum, Encounter, SignedRecordError, VisitNote

from .factories import make_clinic, make_encounter

TEXT = {"subjective": "Cough for 3 days.", "objective": "Lungs clear.", "assessment": "Viral URI.", "plan": "Fluids."}


@pytest.fixture
def encounter(office_manager, clinician, front_desk):
    return make_encounter(clinician, make_clinic(office_manager, clinician, front_desk))


@pytest.fixture
def signed(clinician, encounter) -> VisitNote:
    note = notes.note_start(actor=clinician, encounter=encounter)
    note = notes.note_save_draft(actor=clinician, note=note, version=1, **TEXT)
    return notes.note_sign(actor=clinician, note=note)


def _url(name, encounter):
    return reverse(f"clinical:{name}", kwargs={"public_id": encounter.public_id})


def test_an_addendum_is_signed_when_written_and_marks_the_encounter_amended(clinician, signed, encounter):
    addendum = notes.addendum_add(actor=clinician, note=signed, text="  Correction: 4 days.\r\n")
    stored = Addendum.objects.select_related("note", "author").get(pk=addendum.pk)
    assert stored.text == "Correction: 4 days." and stored.author == clinician
    payload = {"note": str(signed.public_id), "text": stored.text, "author": str(clinician.public_id),
               "signed_at": stored.signed_at.astimezone(UTC).isoformat(timespec="microseconds")}  # fmt: skip
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored.content_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert notes.addendum_verify(stored)
    assert Encounter.objects.get(pk=encounter.pk).status == "amended"
    event = AuditEvent.objects.filter(object_type="addendum", action="create").get()
    assert "Correction" not in event.detail and str(signed.public_id) in event.detail
    with pytest.raises(SignedRecordError):
        stored.save()


def test_an_addendum_without_text_is_refused(clinician, signed):
    for blank in ("", "   ", "\n\n"):
        with pytest.raises(ValidationError) as refused:
            notes.addendum_add(actor=clinician, note=signed, text=blank)
        assert refused.value.message_dict == {"text": ["Write the addendum's text."]}
    assert not Addendum.objects.exists()


def test_a_draft_gets_no_addendum_and_a_nurse_writes_none(clinician, nurse, encounter, office_manager):
    note = notes.note_start(actor=clinician, encounter=encounter)
    with pytest.raises(ValidationError, match="still a draft"):
        notes.addendum_add(actor=clinician, note=note, text="More.")
    with pytest.raises(PermissionDenied):
        notes.addendum_add(actor=nurse, note=note, text="More.")
    assert not Addendum.objects.exists()


def test_a_covering_clinician_may_add_an_addendum_to_a_signed_note(signed):
    from conftest import make_staff

    covering = make_staff("drlee", "clinician", display_name="Dr. Lee")
    addendum = notes.addendum_add(actor=covering, note=signed, text="Seen in follow-up; improving.")
    assert addendum.author == covering


def test_trying_to_edit_a_signed_note_offers_the_addendum_page_which_adds_it_under_the_note(as_user, clinician,
                                                                                           signed, encounter):  # fmt: skip
    client = as_user(clinician)
    refused = client.post(_url("note_save", encounter), {"version": signed.version, **TEXT, "plan": "Changed."})
    assert refused.status_code == 409 and _url("addendum_new", encounter).encode() in refused.content
    form = client.get(_url("addendum_new", encounter))
    assert form.status_code == 200 and b'<label for="id_text">Addendum' in form.content
    blank = client.post(_url("addendum_new", encounter), {"text": " "})
    assert blank.status_code == 422 and b"Write the addendum&#x27;s text." in blank.content
    added = client.post(_url("addendum_new", encounter), {"text": "Correction: 4 days."})
    assert added.status_code == 302 and added["Location"].endswith("#addenda")
    page = client.get(_url("note", encounter)).content.decode()
    assert "Addendum by Dr. Amara Okafor" in page and "Correction: 4 days." in page
    assert page.index("Fluids.") < page.index("Correction: 4 days.")  # shown under the note
    assert VisitNote.objects.get(pk=signed.pk).plan == "Fluids."


def test_a_nurse_cannot_open_the_addendum_page(as_user, nurse, signed, encounter):
    assert as_user(nurse).get(_url("addendum_new", encounter)).status_code == 403
