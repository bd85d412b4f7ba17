from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection, models
from django.test import override_settings
from django.test.utils import isolate_apps

from clinicdesk.core.crypto import DecryptionError, blind_index
from clinicdesk.core.fields import BlindIndexField, EncryptedTextField
from clinicdesk.core.tests.fieldapp.models import Identifier
from clinicdesk.core.tests.helpers import new_key

SSN = "078-05-1120"
NOTE = "prefers morning appointments"


def raw_row(pk: int) -> tuple[str | None, str, str | None]:
    """The stored (ssn, note, ssn_index) of one row, exactly as the database holds them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn, note, ssn_index FROM fieldapp_identifier WHERE id = %s", [pk])
        return cursor.fetchone()


def test_a_saved_value_reads_back_and_is_stored_as_a_token(db):
    row = Identifier.objects.create(ssn=SSN, note=NOTE)
    assert Identifier.objects.get(pk=row.pk).ssn == SSN
    assert Identifier.objects.values_list("note", flat=True).get(pk=row.pk) == NOTE
    ssn, note, _ = raw_row(row.pk)
    assert ssn.startswith("v1.") and note.startswith("v1.")
    assert SSN not in ssn and NOTE not in note


def test_the_token_is_bound_to_its_column(db):
    row = Identifier.objects.create(ssn=SSN, note=NOTE)
    assert raw_row(row.pk)[0].startswith("v1.")  # a token of fieldapp.identifier.ssn
    # The ORM would re-encrypt whatever it is given, so the copy is made in SQL, as an
    # attacker with database access or a careless data fix would make it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE fieldapp_identifier SET note = ssn WHERE id = %s", [row.pk])
    with pytest.raises(DecryptionError, match="fieldapp.identifier.note"):
        Identifier.objects.get(pk=row.pk)


def test_saving_again_writes_new_ciphertext_for_the_same_value(db):
    row = Identifier.objects.create(ssn=SSN)
    first = raw_row(row.pk)[0]
    row.save()
    assert raw_row(row.pk)[0] != first
    row.refresh_from_db()
    assert row.ssn == SSN


def test_none_is_stored_as_null_and_empty_text_as_empty_text(db):
    row = Identifier.objects.create(ssn=None, note="")
    assert raw_row(row.pk) == (None, "", None)
    row.refresh_from_db()
    assert (row.ssn, row.note, row.ssn_index) == (None, "", None)


def test_queryset_update_encrypts_like_save(db):
    row = Identifier.objects.create(ssn=SSN)
    Identifier.objects.filter(pk=row.pk).update(note=NOTE)
    assert raw_row(row.pk)[1].startswith("v1.")
    row.refresh_from_db()
    assert row.note == NOTE


def test_a_value_read_with_the_wrong_key_fails_loudly(db):
    row = Identifier.objects.create(ssn=SSN)
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k1:{new_key()}"), pytest.raises(DecryptionError) as info:
        Identifier.objects.get(pk=row.pk)
    assert "'k1'" in str(info.value) and "fieldapp.identifier.ssn" in str(info.value)


@pytest.mark.parametrize(
    "lookup",
    [
        {"ssn": SSN},
        {"ssn__iexact": SSN},
        {"ssn__startswith": "078"},
        {"ssn__in": [SSN]},
        {"note__contains": "morning"},
        {"ssn__lower": SSN},
    ],
)
def test_searching_an_encrypted_column_is_refused_with_a_clear_error(db, lookup):
    Identifier.objects.create(ssn=SSN, note=NOTE)
    with pytest.raises(FieldError, match="is encrypted"):
        list(Identifier.objects.filter(**lookup))


def test_isnull_still_works_on_an_encrypted_column(db):
    with_ssn = Identifier.objects.create(ssn=SSN)
    Identifier.objects.create(ssn=None)
    assert list(Identifier.objects.filter(ssn__isnull=False)) == [with_ssn]


def test_the_blind_index_finds_the_row_by_its_value_however_it_is_typed(db):
    wanted = Identifier.objects.create(ssn=SSN)
    Identifier.objects.create(ssn="078-05-1121")
    Identifier.objects.create(ssn=None)
    assert list(Identifier.objects.filter_by_blind_index("ssn", SSN)) == [wanted]
    assert list(Identifier.objects.filter_by_blind_index("ssn", " 078 05 1120")) == [wanted]
    digest = blind_index(SSN, context="fieldapp.identifier.ssn", normalize="identifier")
    assert list(Identifier.objects.filter(ssn_index=digest)) == [wanted]
    assert raw_row(wanted.pk)[2] == digest


def test_a_different_value_finds_nothing(db):
    Identifier.objects.create(ssn=SSN)
    assert not Identifier.objects.filter_by_blind_index("ssn", "078-05-1122").exists()


def test_an_empty_search_finds_nothing_not_every_row_without_a_value(db):
    Identifier.objects.create(ssn=None)
    Identifier.objects.create(ssn="")
    for value in (None, "", " - "):
        assert not Identifier.objects.filter_by_blind_index("ssn", value).exists()


def test_searching_a_column_without_a_blind_index_is_refused(db):
    with pytest.raises(FieldError, match="no BlindIndexField"):
        Identifier.objects.filter_by_blind_index("note", NOTE)


def test_changing_the_value_moves_the_index_with_it(db):
    row = Identifier.objects.create(ssn=SSN)
    row.ssn = "078-05-1121"
    row.save()
    assert not Identifier.objects.filter_by_blind_index("ssn", SSN).exists()
    assert Identifier.objects.filter_by_blind_index("ssn", "078051121").get() == row
    row.ssn = None
    row.save(update_fields=["ssn", "ssn_index"])
    assert raw_row(row.pk) == (None, "", None)


def test_saving_the_value_without_its_index_is_refused_and_nothing_is_written(db):
    row = Identifier.objects.create(ssn=SSN)
    before = raw_row(row.pk)
    row.ssn = "078-05-1121"
    with pytest.raises(ValueError, match="ssn_index"):
        row.save(update_fields=["ssn"])
    assert raw_row(row.pk) == before


def test_the_fields_survive_a_migration_round_trip():
    index = Identifier._meta.get_field("ssn_index")
    name, path, args, kwargs = index.deconstruct()
    assert (path, kwargs) == ("clinicdesk.core.fields.BlindIndexField", {"source": "ssn", "normalize": "identifier"})
    rebuilt = BlindIndexField(*args, **kwargs)
    assert (rebuilt.max_length, rebuilt.db_index, rebuilt.null, rebuilt.editable) == (64, True, True, False)

    pinned = EncryptedTextField(null=True, context="patients.patient.ssn")
    assert pinned.deconstruct()[3] == {"null": True, "context": "patients.patient.ssn"}
    unique_index = BlindIndexField(source="ssn", unique=True, null=False)
    assert unique_index.deconstruct()[3] == {"source": "ssn", "unique": True, "null": False}
    assert BlindIndexField(**unique_index.deconstruct()[3]).db_index is False


def test_the_test_app_migrations_match_its_models(db):
    out = io.StringIO()
    call_command("makemigrations", "fieldapp", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_a_pinned_context_keeps_values_readable_after_a_rename():
    field = EncryptedTextField(context="fieldapp.identifier.ssn")
    field.set_attributes_from_name("tax_id")
    token = field.get_prep_value(SSN)
    assert field.from_db_value(token, None, connection) == SSN


@isolate_apps("clinicdesk.core.tests.fieldapp")
def test_misdeclared_fields_fail_the_system_check():
    class Broken(models.Model):
        ssn = EncryptedTextField(unique=True)
        plain = models.TextField()
        plain_index = BlindIndexField(source="plain")
        ghost_index = BlindIndexField(source="ghost")

        class Meta:
            app_label = "fieldapp"

        def __str__(self) -> str:
            return "broken"

    errors = {(e.obj.name, e.id) for e in Broken.check()}
    assert ("ssn", "clinicdesk.E101") in errors
    assert ("plain_index", "clinicdesk.E102") in errors
    assert ("ghost_index", "clinicdesk.E102") in errors


def test_an_unknown_normaliser_is_refused():
    with pytest.raises(ValueError, match="identifier"):
        BlindIndexField(source="ssn", normalize="digits")


def test_the_database_never_holds_the_plaintext(committed_db):
    rows = [Identifier.objects.create(ssn=SSN, note=NOTE), Identifier.objects.create(ssn="078 05 1120")]
    tokens = [raw_row(row.pk)[0] for row in rows]
    secrets = [SSN.encode(), b"078051120", b"078 05 1120", NOTE.encode()]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(FULL)")
            busy = cursor.fetchone()[0]
        assert busy == 0, "the checkpoint was blocked, so the file may not hold the rows yet"
        path = Path(connection.settings_dict["NAME"])
        files = {path: path.read_bytes()}
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            files[wal] = wal.read_bytes()
        # The tokens being in the main file proves the rows reached the bytes we search.
        assert all(token.encode() in files[path] for token in tokens)
        for name, content in files.items():
            for secret in secrets:
                assert secret not in content, f"{secret!r} found in {name}"
    else:
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SELECT t::text FROM fieldapp_identifier AS t")
            stored = "\n".join(line for (line,) in cursor.fetchall())
        assert all(token in stored for token in tokens)
        for secret in secrets:
            assert secret.decode() not in stored
