"""A signed note and an addendum never change: the database refuses, whatever writes."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction

from clinicdesk.clinical.models import Addendum, Encounter, SignedRecordError, VisitNote
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.tests.factories import make_location, make_patient, make_provider


@pytest.fixture
def signed_note(office_manager, clinician):
    location = make_location(office_manager)
    provider = make_provider(office_manager, clinician, [location])
    encounter = Encounter.objects.create(
        patient=make_patient(office_manager), provider=provider, location=location, date_of_service=date(2026, 3, 2),
        reason="Cough", unscheduled_reason="Walk-in", opened_by=clinician,
    )  # fmt: skip
    note = VisitNote.objects.create(
        encounter=encounter, subjective="Cough for 3 days.", plan="Fluids.", author=clinician, last_edited_by=clinician
    )
    digest = hashlib.sha256(b"content").hexdigest()
    VisitNote.objects.filter(pk=note.pk).update(
        status="signed", signed_by=clinician, signed_at=app_clock.now(), content_sha256=digest
    )
    note.refresh_from_db()
    return note


def _refused(sql: str, params: list) -> str:
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(refused.value)


def test_a_committed_signed_note_with_an_addendum_leaves_the_database_clean_after_the_test(
    committed_db, office_manager, clinician
):
    # committed_db's teardown empties the guarded tables with their triggers dropped, then
    # restores the triggers: the tests below (run after this one) find the tables guarded again.
    location = make_location(office_manager)
    encounter = Encounter.objects.create(
        patient=make_patient(office_manager), provider=make_provider(office_manager, clinician, [location]),
        location=location, date_of_service=date(2026, 3, 2), reason="Cough", unscheduled_reason="Walk-in",
        opened_by=clinician,
    )  # fmt: skip
    note = VisitNote.objects.create(encounter=encounter, author=clinician, last_edited_by=clinician, plan="Rest.")
    VisitNote.objects.filter(pk=note.pk).update(
        status="signed", signed_by=clinician, signed_at=app_clock.now(), content_sha256="a" * 64
    )
    Addendum.objects.create(note=note, text="More rest.", author=clinician, content_sha256="b" * 64)
    assert "signed record" in _refused("DELETE FROM clinical_addendum", [])


def test_raw_sql_cannot_change_or_delete_a_signed_note(signed_note):
    assert "signed record" in _refused("UPDATE clinical_visitnote SET plan = %s WHERE id = %s", ["x", signed_note.pk])
    assert "signed record" in _refused(
        "UPDATE clinical_visitnote SET status = 'draft', signed_at = NULL, signed_by_id = NULL, content_sha256 = '' "
        "WHERE id = %s",
        [signed_note.pk],
    )
    assert "signed record" in _refused("DELETE FROM clinical_visitnote WHERE id = %s", [signed_note.pk])
    signed_note.refresh_from_db()
    assert signed_note.plan == "Fluids." and signed_note.is_signed


def test_the_orm_refuses_before_the_database_does(signed_note):
    signed_note.plan = "Antibiotics."
    with pytest.raises(SignedRecordError, match="add an addendum|Add an addendum"):
        signed_note.save()
    with pytest.raises(DatabaseError, match="signed record"), transaction.atomic():
        VisitNote.objects.filter(pk=signed_note.pk).update(plan="Antibiotics.")


def test_a_co_signature_is_written_once(signed_note, office_manager):
    signed_note.cosigned_by, signed_note.cosigned_at = office_manager, app_clock.now()
    signed_note.save(update_fields=["cosigned_by", "cosigned_at"])
    with pytest.raises(DatabaseError, match="signed record"), transaction.atomic():
        VisitNote.objects.filter(pk=signed_note.pk).update(cosigned_at=app_clock.now())


def test_a_draft_changes_freely(signed_note, clinician):
    VisitNote.objects.filter(pk=signed_note.pk)  # the signed one stays as it is
    draft = VisitNote.objects.create(
        encounter=Encounter.objects.create(
            patient=signed_note.encounter.patient, provider=signed_note.encounter.provider,
            location=signed_note.encounter.location, date_of_service=date(2026, 3, 3), reason="Follow-up",
            unscheduled_reason="Walk-in", opened_by=clinician,
        ),
        author=clinician, last_edited_by=clinician,
    )  # fmt: skip
    draft.plan = "Rest."
    draft.save()
    assert VisitNote.objects.get(pk=draft.pk).plan == "Rest."


def test_an_addendum_never_changes(signed_note, clinician):
    addendum = Addendum.objects.create(
        note=signed_note, text="Correction: 4 days.", author=clinician, content_sha256=hashlib.sha256(b"a").hexdigest()
    )
    assert "signed record" in _refused("UPDATE clinical_addendum SET content_sha256 = %s", ["0" * 64])
    assert "signed record" in _refused("DELETE FROM clinical_addendum WHERE id = %s", [addendum.pk])
    with pytest.raises(SignedRecordError):
        addendum.save()
