"""The encounter of a signed note is as fixed as the note: the database refuses, whatever writes.

Before, a raw UPDATE of the encounter's patient moved a signed note into another patient's
chart, and the note itself (guarded) never noticed. Only a patient merge may move such an
encounter, inside its own transaction.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.models import Encounter, EncounterStatus, NoteStatus, VisitNote
from clinicdesk.clinical.triggers import ENCOUNTER_COVERED
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.patients.merge import patient_merge
from clinicdesk.scheduling.tests.factories import (
    make_appointment,
    make_location,
    make_patient,
    make_provider,
    make_type,
)
from conftest import make_staff


def _encounter(patient, provider, location, opened_by, *, day=date(2026, 3, 2)) -> Encounter:
    return Encounter.objects.create(
        patient=patient, provider=provider, location=location, date_of_service=day, reason="Cough",
        unscheduled_reason="Walk-in", opened_by=opened_by,
    )  # fmt: skip


def _sign(encounter: Encounter, signer) -> VisitNote:
    """A note of `encounter`, signed (written straight; signing itself is tested with the service)."""
    note = VisitNote.objects.create(
        encounter=encounter, subjective="Cough for 3 days.", author=signer, last_edited_by=signer
    )
    VisitNote.objects.filter(pk=note.pk).update(
        status=NoteStatus.SIGNED,
        signed_by=signer,
        signed_at=app_clock.now(),
        content_sha256=hashlib.sha256(b"content").hexdigest(),
    )
    Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.SIGNED)
    return note


@pytest.fixture
def visit(office_manager, clinician):
    """A signed visit of Jane, and everything another row of it could be pointed at instead."""
    location = make_location(office_manager)
    other_location = make_location(office_manager, name="River Road Clinic")
    provider = make_provider(office_manager, clinician, [location, other_location])
    other_clinician = make_staff("lee", Role.CLINICIAN)
    other_provider = make_provider(office_manager, other_clinician, [location], npi="1245319599")
    jane, joe = make_patient(office_manager), make_patient(office_manager, first="Joe", last="Roe")
    encounter = _encounter(jane, provider, location, clinician)
    note = _sign(encounter, clinician)
    kind = make_type(office_manager, [provider])
    appointment = make_appointment(
        office_manager, patient=jane, provider=provider, location=location, kind=kind,
        starts_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
    )  # fmt: skip
    return {
        "encounter": encounter,
        "note": note,
        "jane": jane,
        "joe": joe,
        # A value of the same kind, different from the stored one, for each covered column.
        "other": {
            "id": encounter.pk + 1000,
            "public_id": uuid.uuid4().hex,
            "patient_id": joe.pk,
            "appointment_id": appointment.pk,
            "provider_id": other_provider.pk,
            "location_id": other_location.pk,
            "date_of_service": date(2026, 3, 3),
            "reason": "Back pain",
            "unscheduled_reason": "Phoned in",
            "opened_by_id": other_clinician.pk,
            "opened_at": encounter.opened_at - timedelta(days=1),
        },
    }


def _refused(sql: str, params: list) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


def _row(encounter: Encounter) -> dict:
    return Encounter.objects.filter(pk=encounter.pk).values(*ENCOUNTER_COVERED).get()


def test_raw_sql_cannot_move_a_signed_encounter_to_another_patient(visit):
    encounter, joe = visit["encounter"], visit["joe"]
    message = _refused("UPDATE clinical_encounter SET patient_id = %s WHERE id = %s", [joe.pk, encounter.pk])
    assert "signed record: the encounter of a signed note cannot be moved" in message
    assert Encounter.objects.get(pk=encounter.pk).patient == visit["jane"]
    assert not VisitNote.objects.filter(encounter__patient=joe).exists()


@pytest.mark.parametrize("column", ENCOUNTER_COVERED)
def test_raw_sql_cannot_change_any_column_the_signed_record_covers(visit, column):
    encounter = visit["encounter"]
    before = _row(encounter)
    message = _refused(
        f"UPDATE clinical_encounter SET {column} = %s WHERE id = %s", [visit["other"][column], encounter.pk]
    )
    assert "signed record" in message
    assert _row(encounter) == before


def test_raw_sql_cannot_reopen_or_delete_a_signed_encounter(visit):
    encounter = visit["encounter"]
    assert "signed record" in _refused("UPDATE clinical_encounter SET status = 'open' WHERE id = %s", [encounter.pk])
    assert "signed record" in _refused("DELETE FROM clinical_encounter WHERE id = %s", [encounter.pk])
    assert Encounter.objects.get(pk=encounter.pk).status == EncounterStatus.SIGNED


def test_an_addendum_may_still_mark_it_amended_and_touch_its_time(visit):
    encounter = visit["encounter"]
    later = app_clock.now() + timedelta(minutes=5)
    Encounter.objects.filter(pk=encounter.pk).update(status=EncounterStatus.AMENDED, updated_at=later)
    encounter.refresh_from_db()
    assert encounter.status == EncounterStatus.AMENDED


def test_the_orm_is_refused_too(visit):
    encounter = visit["encounter"]
    encounter.patient = visit["joe"]
    with pytest.raises(DatabaseError, match="signed record"), transaction.atomic():
        encounter.save()


def test_an_encounter_whose_note_is_a_draft_changes_freely(visit, clinician):
    encounter = visit["encounter"]
    draft_visit = _encounter(visit["jane"], encounter.provider, encounter.location, clinician, day=date(2026, 3, 4))
    VisitNote.objects.create(encounter=draft_visit, plan="Rest.", author=clinician, last_edited_by=clinician)
    Encounter.objects.filter(pk=draft_visit.pk).update(patient=visit["joe"], date_of_service=date(2026, 3, 5))
    assert Encounter.objects.get(pk=draft_visit.pk).patient == visit["joe"]
    bare = _encounter(visit["jane"], encounter.provider, encounter.location, clinician, day=date(2026, 3, 6))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM clinical_encounter WHERE id = %s", [bare.pk])
    assert not Encounter.objects.filter(pk=bare.pk).exists()


def test_signing_through_the_service_still_closes_the_encounter(visit, clinician):
    from clinicdesk.clinical.notes import note_sign

    encounter = visit["encounter"]
    fresh = _encounter(visit["jane"], encounter.provider, encounter.location, clinician, day=date(2026, 3, 7))
    note = VisitNote.objects.create(encounter=fresh, plan="Fluids.", author=clinician, last_edited_by=clinician)
    note_sign(actor=clinician, note=note)
    assert Encounter.objects.get(pk=fresh.pk).status == EncounterStatus.SIGNED


def test_a_merge_moves_a_signed_encounter_and_the_guard_is_back_after_it(visit, office_manager):
    encounter, note = visit["encounter"], visit["note"]
    survivor, duplicate = visit["joe"], visit["jane"]
    signed = VisitNote.objects.values("subjective", "status", "content_sha256", "signed_at").get(pk=note.pk)
    patient_merge(actor=office_manager, survivor=survivor, merged=duplicate)
    encounter.refresh_from_db()
    assert encounter.patient == survivor
    assert VisitNote.objects.values("subjective", "status", "content_sha256", "signed_at").get(pk=note.pk) == signed
    moved = AuditEvent.objects.get(object_type="encounter", object_id=str(encounter.public_id), action="update")
    assert moved.patient_id == survivor.mrn and moved.detail == f"moved from {duplicate.mrn} by merge"
    # Outside the merge's transaction the guard stands again: a raw move back is refused.
    message = _refused("UPDATE clinical_encounter SET patient_id = %s WHERE id = %s", [duplicate.pk, encounter.pk])
    assert "signed record" in message
    assert "signed record" in _refused("DELETE FROM clinical_encounter WHERE id = %s", [encounter.pk])


def test_a_merge_that_fails_leaves_the_guard_in_place(visit, office_manager, monkeypatch):
    from clinicdesk.patients import merge

    def refuse(**kwargs):
        raise RuntimeError("a later step failed")

    monkeypatch.setitem(merge._steps, "zz failing step", merge._Step("zz failing step", refuse, ()))
    with pytest.raises(RuntimeError):
        patient_merge(actor=office_manager, survivor=visit["joe"], merged=visit["jane"])
    encounter = visit["encounter"]
    assert Encounter.objects.get(pk=encounter.pk).patient == visit["jane"]
    message = _refused("UPDATE clinical_encounter SET patient_id = %s WHERE id = %s", [visit["joe"].pk, encounter.pk])
    assert "signed record" in message
