"""Key rotation re-seals signed notes and addenda: new ciphertext, same text, signatures still verify,
and the tables are guarded again afterwards."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from clinicdesk.clinical.models import Addendum, VisitNote
from clinicdesk.clinical.notes import addendum_add, addendum_verify, note_sign, note_start, note_verify
from clinicdesk.core.tests.helpers import new_key

from .factories import make_clinic, make_encounter

OLD, NEW = new_key(), new_key()


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        return cursor.fetchone()[0]


@pytest.fixture
def signed_under_old_key(office_manager, clinician):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k1:{OLD}"):
        clinic = make_clinic(office_manager, clinician)
        note = note_start(actor=clinician, encounter=make_encounter(clinician, clinic))
        VisitNote.objects.filter(pk=note.pk).update(subjective="Cough for 3 days.", plan="Fluids and rest.")
        note = note_sign(actor=clinician, note=VisitNote.objects.get(pk=note.pk))
        addendum = addendum_add(actor=clinician, note=note, text="Chest X-ray normal.")
        yield note, addendum


def test_rotation_re_seals_signed_records_which_still_verify_and_stay_guarded(signed_under_old_key):
    note, addendum = signed_under_old_key
    assert _raw("clinical_visitnote", "plan", note.pk).startswith("v1.k1.")
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k2:{NEW},k1:{OLD}"):
        out = io.StringIO()
        call_command("rotate-keys", "--no-progress", stdout=out)
        assert "clinical.VisitNote: 1 re-encrypted." in out.getvalue()
        assert "clinical.Addendum: 1 re-encrypted." in out.getvalue()
    assert _raw("clinical_visitnote", "plan", note.pk).startswith("v1.k2.")
    assert _raw("clinical_addendum", "text", addendum.pk).startswith("v1.k2.")
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k2:{NEW}"):  # the old key can go
        fresh = VisitNote.objects.select_related("encounter", "signed_by").get(pk=note.pk)
        assert fresh.plan == "Fluids and rest." and note_verify(fresh)
        assert addendum_verify(Addendum.objects.select_related("note", "author").get(pk=addendum.pk))
        with pytest.raises(DatabaseError, match="signed record"), transaction.atomic():
            VisitNote.objects.filter(pk=note.pk).update(plan="Antibiotics.")
        with pytest.raises(DatabaseError, match="signed record"), transaction.atomic():
            Addendum.objects.filter(pk=addendum.pk).delete()
