"""Visit note services: drafting, autosave versions, signing, co-signing, verification."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import notes
from clinicdesk.clinical.models import Encounter, EncounterStatus, NoteTemplate, SignedRecordError, VisitNote
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict
from clinicdesk.scheduling.tests.factories import make_provider
from conftest import make_staff

from .factories import make_clinic, make_encounter

TEXT = {"subjective": "Cough for 3 days.", "objective": "Lungs clear.", "assessment": "Viral URI.", "plan": "Fluids."}


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


@pytest.fixture
def encounter(clinic, clinician):
    return make_encounter(clinician, clinic)


def draft(actor, encounter, **text) -> VisitNote:
    note = notes.note_start(actor=actor, encounter=encounter)
    return notes.note_save_draft(actor=actor, note=note, version=note.version, **{**TEXT, **text})


def _events(**filters) -> int:
    return AuditEvent.objects.filter(**filters).count()


def test_a_nurse_starts_the_note_and_it_is_one_per_encounter(nurse, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    again = notes.note_start(actor=nurse, encounter=encounter)
    assert again.pk == note.pk and note.author == nurse and note.status == "draft" and note.version == 1
    assert VisitNote.objects.filter(encounter=encounter).count() == 1
    assert _events(object_type="visit_note", action="create") == 1


def test_the_starting_text_comes_from_the_visit_types_template(office_manager, clinician, clinic):
    NoteTemplate.objects.create(subjective="Chief complaint:", plan="Return if worse.", updated_by=office_manager)
    note = notes.note_start(actor=clinician, encounter=make_encounter(clinician, clinic))
    assert note.subjective == "Chief complaint:" and note.plan == "Return if worse." and note.objective == ""


def test_front_desk_biller_and_auditor_cannot_start_or_save(front_desk, biller, auditor, nurse, encounter):
    for person in (front_desk, biller, auditor):
        with pytest.raises(PermissionDenied):
            notes.note_start(actor=person, encounter=encounter)
    note = notes.note_start(actor=nurse, encounter=encounter)
    with pytest.raises(PermissionDenied):
        notes.note_save_draft(actor=front_desk, note=note, version=1, **TEXT)
    assert VisitNote.objects.get(pk=note.pk).subjective == ""


def test_autosave_bumps_the_version_and_audits_the_sections_without_text(nurse, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    saved = notes.note_save_draft(actor=nurse, note=note, version=1, **{**TEXT, "plan": ""})
    assert saved.version == 2 and saved.last_edited_by == nurse
    event = AuditEvent.objects.filter(object_type="visit_note", action="update").get()
    assert event.changed_fields == "assessment,objective,subjective"
    assert "Cough" not in event.detail and "Cough" not in event.changed_fields
    stored = VisitNote.objects.get(pk=note.pk)
    assert stored.subjective == TEXT["subjective"] and stored.version == 2


def test_saving_the_same_text_again_writes_nothing(nurse, encounter):
    note = draft(nurse, encounter)
    before = _events()
    again = notes.note_save_draft(actor=nurse, note=note, version=note.version, **TEXT)
    assert again.version == 2 and _events() == before


def test_a_stale_version_is_a_conflict_naming_who_changed_it(nurse, clinician, encounter):
    note = draft(nurse, encounter)  # version 2, by the nurse
    with pytest.raises(Conflict) as stale:
        notes.note_save_draft(actor=clinician, note=note, version=1, **{**TEXT, "plan": "Antibiotics."})
    message = stale.value.message_dict["version"][0]
    assert "changed by Sam Patel at" in message and "in another window; reload to see it" in message
    assert VisitNote.objects.get(pk=note.pk).plan == "Fluids."


def test_a_page_one_version_behind_that_sends_the_stored_text_is_no_conflict(nurse, encounter):
    note = draft(nurse, encounter)  # its own autosave raced ahead of the Sign button's post
    same = notes.note_save_draft(actor=nurse, note=note, version=1, **TEXT)
    assert same.version == 2


def test_a_section_over_the_limit_is_refused_by_name(nurse, encounter):
    note = notes.note_start(actor=nurse, encounter=encounter)
    with pytest.raises(ValidationError) as refused:
        notes.note_save_draft(actor=nurse, note=note, version=1, **{**TEXT, "objective": "x" * 20_001})
    assert "20,000 characters" in refused.value.message_dict["objective"][0]
    assert VisitNote.objects.get(pk=note.pk).version == 1


def test_the_provider_signs_and_the_hash_covers_the_canonical_content(clinician, nurse, encounter):
    note = draft(nurse, encounter)
    signed = notes.note_sign(actor=clinician, note=note)
    stored = VisitNote.objects.select_related("encounter", "signed_by").get(pk=note.pk)
    assert stored.status == "signed" and stored.signed_by == clinician and stored.signed_at is not None
    payload = {
        **TEXT,
        "encounter": str(encounter.public_id),
        "signer": str(clinician.public_id),
        "signed_at": stored.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored.content_sha256 == hashlib.sha256(canonical.encode()).hexdigest() == signed.content_sha256
    assert notes.note_verify(stored)
    assert Encounter.objects.get(pk=encounter.pk).status == EncounterStatus.SIGNED
    assert _events(object_type="visit_note", action="update", detail__startswith="signed") == 1


def test_verification_fails_when_the_stored_text_differs_from_the_signature(clinician, encounter):
    note = notes.note_sign(actor=clinician, note=draft(clinician, encounter))
    stored = VisitNote.objects.select_related("encounter", "signed_by").get(pk=note.pk)
    stored.plan = "Something else."  # in memory only: the database would refuse this
    assert not notes.note_verify(stored)


def test_a_nurse_cannot_sign(nurse, encounter):
    note = draft(nurse, encounter)
    with pytest.raises(PermissionDenied, match="Only a clinician"):
        notes.note_sign(actor=nurse, note=note)
    assert VisitNote.objects.get(pk=note.pk).status == "draft"


def test_another_clinician_cannot_sign_the_providers_note(office_manager, clinician, encounter):
    covering = make_staff("drlee", "clinician", display_name="Dr. Lee")
    note = draft(clinician, encounter)
    with pytest.raises(PermissionDenied, match="Dr. Amara Okafor"):
        notes.note_sign(actor=covering, note=note)
    assert not VisitNote.objects.get(pk=note.pk).is_signed


def test_an_empty_note_is_not_signed(clinician, encounter):
    note = notes.note_start(actor=clinician, encounter=encounter)
    note = notes.note_save_draft(actor=clinician, note=note, version=1, subjective="  ", objective="\n",
                                 assessment="", plan="")  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        notes.note_sign(actor=clinician, note=note)
    assert refused.value.message_dict["note"] == ["Write the note before signing: all four sections are blank."]
    assert Encounter.objects.get(pk=encounter.pk).status == "open"


def test_signing_twice_says_who_signed_and_when(clinician, encounter):
    note = notes.note_sign(actor=clinician, note=draft(clinician, encounter))
    first = VisitNote.objects.get(pk=note.pk)
    with pytest.raises(notes.NoteSignedError) as twice:
        notes.note_sign(actor=clinician, note=note)
    assert "This note was signed by Dr. Amara Okafor on" in twice.value.messages[0]
    again = VisitNote.objects.get(pk=note.pk)
    assert (again.signed_at, again.content_sha256) == (first.signed_at, first.content_sha256)


def test_a_signed_note_refuses_a_draft_save_and_the_orm_refuses_too(clinician, encounter):
    note = notes.note_sign(actor=clinician, note=draft(clinician, encounter))
    with pytest.raises(notes.NoteSignedError, match="Add an addendum instead"):
        notes.note_save_draft(actor=clinician, note=note, version=note.version, **{**TEXT, "plan": "Changed."})
    stale = VisitNote.objects.get(pk=note.pk)
    stale.plan = "Changed."
    with pytest.raises(SignedRecordError):
        stale.save()
    assert VisitNote.objects.get(pk=note.pk).plan == "Fluids."


def test_a_new_note_needs_an_open_encounter(clinician, encounter):
    Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.SIGNED)
    encounter.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        notes.note_start(actor=clinician, encounter=encounter)
    assert "encounter" in refused.value.message_dict


# --- Co-signature ----------------------------------------------------------------------------


@pytest.fixture
def np_encounter(office_manager, clinic):
    practitioner = make_staff("np_rivera", "clinician", display_name="Jo Rivera, NP")
    provider = make_provider(office_manager, practitioner, [clinic.location], npi="1245319599",
                             taxonomy_code="363LF0000X")  # fmt: skip
    encounter = Encounter.objects.create(
        patient=clinic.patient, provider=provider, location=clinic.location, date_of_service=app_clock.today(),
        reason="BP check", unscheduled_reason="Walk-in", opened_by=practitioner,
    )  # fmt: skip
    return encounter, practitioner


def test_without_the_setting_nobody_needs_a_co_signature(np_encounter, settings):
    settings.CLINICDESK_NOTE_COSIGN = False
    encounter, practitioner = np_encounter
    assert not notes.note_sign(actor=practitioner, note=draft(practitioner, encounter)).cosign_required


def test_with_the_setting_a_nurse_practitioners_note_is_co_signed_once_by_another_clinician(
    np_encounter, clinician, settings
):
    settings.CLINICDESK_NOTE_COSIGN = True
    encounter, practitioner = np_encounter
    note = notes.note_sign(actor=practitioner, note=draft(practitioner, encounter))
    assert note.cosign_required
    with pytest.raises(PermissionDenied, match="another clinician"):
        notes.note_cosign(actor=practitioner, note=note)
    notes.note_cosign(actor=clinician, note=note)
    stored = VisitNote.objects.get(pk=note.pk)
    assert stored.cosigned_by == clinician and stored.cosigned_at is not None
    with pytest.raises(ValidationError, match="already co-signed"):
        notes.note_cosign(actor=clinician, note=note)
    assert notes.note_verify(VisitNote.objects.select_related("encounter", "signed_by").get(pk=note.pk))


def test_a_physicians_note_needs_no_co_signature_even_with_the_setting(clinician, encounter, settings):
    settings.CLINICDESK_NOTE_COSIGN = True
    note = notes.note_sign(actor=clinician, note=draft(clinician, encounter))
    assert not note.cosign_required
    with pytest.raises(ValidationError, match="does not need"):
        notes.note_cosign(actor=make_staff("drlee", "clinician"), note=note)


def test_two_windows_saving_at_once_one_wins_and_the_other_gets_a_conflict(committed_db, office_manager, clinician,
                                                                           nurse):  # fmt: skip
    clinic = make_clinic(office_manager, clinician)
    note = notes.note_start(actor=nurse, encounter=make_encounter(nurse, clinic))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(person, plan):
        try:
            barrier.wait()
            fresh = VisitNote.objects.get(pk=note.pk)
            notes.note_save_draft(actor=person, note=fresh, version=1, **{**TEXT, "plan": plan})
            outcomes.append("saved")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(p, t)) for p, t in ((nurse, "A"), (clinician, "B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"]
    assert VisitNote.objects.get(pk=note.pk).version == 2
