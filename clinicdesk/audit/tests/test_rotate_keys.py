from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.core.crypto import DecryptionError
from clinicdesk.core.tests.fieldapp.models import Identifier
from clinicdesk.core.tests.helpers import new_key
from conftest import enrol_totp, totp_now

OLD, NEW = new_key(), new_key()
ONLY_OLD = f"k1:{OLD}"
BOTH = f"k2:{NEW},k1:{OLD}"
ONLY_NEW = f"k2:{NEW}"
PEOPLE = [(f"078-05-11{n:02}", f"note {n}") for n in range(7)]


def stored() -> list[tuple[int, str | None, str, str | None]]:
    """Every (id, ssn, note, ssn_index) exactly as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, ssn, note, ssn_index FROM fieldapp_identifier ORDER BY id")
        return cursor.fetchall()


def readable() -> list[tuple[str | None, str]]:
    return [(row.ssn, row.note) for row in Identifier.objects.order_by("pk")]


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate-keys", "--no-progress", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sealed_under_old_key(db):
    """Seven people with values under k1, plus one row with nothing to encrypt."""
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=ONLY_OLD):
        for ssn, note in PEOPLE:
            Identifier.objects.create(ssn=ssn, note=note)
        Identifier.objects.create(ssn=None, note="")
        yield


def test_rotation_re_encrypts_every_value_under_the_newest_key(sealed_under_old_key):
    before = stored()
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        output = rotate("--batch-size", "3")
        after = stored()
        assert readable() == [*PEOPLE, (None, "")]
    assert "fieldapp.Identifier: 7 re-encrypted." in output
    assert [row[1] and row[1][:6] for row in after] == ["v1.k2."] * 7 + [None]
    assert [row[2][:6] for row in after] == ["v1.k2."] * 7 + [""]
    assert [row[3] for row in after] == [row[3] for row in before]  # the blind index is untouched
    event = AuditEvent.objects.get(detail__startswith="fieldapp.Identifier")
    assert (event.actor_id, event.actor_username, event.action, event.object_type, event.object_id) == (
        None,
        "system:rotate-keys",
        Action.EXECUTE,
        "encryption_keys",
        "k2",
    )
    assert (event.detail, event.outcome) == ("fieldapp.Identifier: 7 re-encrypted", Outcome.SUCCESS)


def test_a_second_run_changes_nothing(sealed_under_old_key):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        rotate()
        after_first = stored()
        output = rotate()
        assert stored() == after_first
    assert "fieldapp.Identifier: 0 re-encrypted." in output


def test_after_rotation_the_old_key_can_be_removed(sealed_under_old_key):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        rotate()
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=ONLY_NEW):
        assert readable() == [*PEOPLE, (None, "")]
        assert Identifier.objects.filter_by_blind_index("ssn", "078051103").get().note == "note 3"


def test_without_rotation_removing_the_old_key_makes_reads_fail(sealed_under_old_key):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=ONLY_NEW), pytest.raises(DecryptionError, match="'k1'"):
        readable()


def test_a_dry_run_counts_and_changes_nothing(sealed_under_old_key):
    before = stored()
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        output = rotate("--dry-run")
    assert "fieldapp.Identifier: 7 would be re-encrypted." in output
    assert stored() == before
    assert AuditEvent.objects.count() == 0


def test_rows_written_partly_under_each_key_are_only_re_encrypted_where_needed(sealed_under_old_key):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        first = Identifier.objects.order_by("pk").first()
        Identifier.objects.filter(pk=first.pk).update(note="rewritten under k2")
        _, ssn_under_k1, note_under_k2, _ = stored()[0]
        assert (ssn_under_k1[:6], note_under_k2[:6]) == ("v1.k1.", "v1.k2.")
        output = rotate()
        _, ssn_after, note_after, _ = stored()[0]
        assert ssn_after[:6] == "v1.k2." and note_after == note_under_k2
        assert Identifier.objects.get(pk=first.pk).note == "rewritten under k2"
    assert "fieldapp.Identifier: 7 re-encrypted." in output


def test_a_value_under_a_missing_key_stops_the_run_loudly_and_is_audited(sealed_under_old_key):
    before = stored()
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k3:{new_key()},k2:{NEW}"), pytest.raises(CommandError) as info:
        rotate()
    assert "fieldapp.Identifier pk=" in str(info.value) and "'k1'" in str(info.value)
    assert stored() == before
    event = AuditEvent.objects.get(detail__startswith="fieldapp.Identifier")
    assert event.outcome == Outcome.FAILURE
    assert event.detail.startswith("fieldapp.Identifier: 0 re-encrypted, then stopped:")


def test_a_wrong_key_under_the_old_id_stops_the_run(sealed_under_old_key):
    with (
        override_settings(CLINICDESK_ENCRYPTION_KEYS=f"k2:{NEW},k1:{new_key()}"),
        pytest.raises(CommandError, match="authenticate"),
    ):
        rotate()
    assert all(row[1] is None or row[1].startswith("v1.k1.") for row in stored())


def test_a_batch_size_below_one_is_refused(db):
    with pytest.raises(CommandError, match="batch-size"):
        rotate("--batch-size", "0")


def test_mfa_secrets_are_encrypted_and_rotated_too(office_manager):
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=ONLY_OLD):
        secret = enrol_totp(office_manager)
        authenticator = Authenticator.objects.get(user=office_manager, type=Authenticator.Type.TOTP)
        assert authenticator.data["secret"].startswith("v1.k1.") and secret not in authenticator.data["secret"]
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=BOTH):
        output = rotate()
    assert "mfa.Authenticator: 1 re-encrypted." in output
    authenticator.refresh_from_db()
    assert authenticator.data["secret"].startswith("v1.k2.")
    assert AuditEvent.objects.filter(detail="mfa.Authenticator: 1 re-encrypted").count() == 1
    with override_settings(CLINICDESK_ENCRYPTION_KEYS=ONLY_NEW):
        assert TOTP(authenticator).validate_code(totp_now(secret))


def test_an_mfa_secret_stored_in_plaintext_is_refused(office_manager):
    authenticator = Authenticator.objects.create(
        user=office_manager, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    with pytest.raises(DecryptionError, match="mfa.secret"):
        TOTP(authenticator).validate_code("123456")
    with pytest.raises(CommandError, match=f"mfa.Authenticator pk={authenticator.pk}"):
        rotate()


def test_the_command_works_with_no_encrypted_models_installed(db):
    without = [
        app
        for app in settings.INSTALLED_APPS
        if app not in {"clinicdesk.core.tests.fieldapp", "allauth.mfa", "clinicdesk.patients", "clinicdesk.clinical"}
    ]
    with override_settings(INSTALLED_APPS=without):
        output = rotate()
    assert "No encrypted columns are installed; nothing to do." in output
    assert AuditEvent.objects.count() == 0


def test_the_command_works_with_only_mfa_secrets_installed(db):
    without = [
        app
        for app in settings.INSTALLED_APPS
        if app not in {"clinicdesk.core.tests.fieldapp", "clinicdesk.patients", "clinicdesk.clinical"}
    ]
    with override_settings(INSTALLED_APPS=without):
        output = rotate()
    assert "fieldapp" not in output and "mfa.Authenticator: 0 re-encrypted." in output
