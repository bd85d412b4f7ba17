"""Backups that restore (docs/backup-and-restore.md): back up a real practice, restore it into an
empty database through the real command line, and check what came back; refuse every bad input
before anything is written."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from clinicdesk.audit.models import AuditEvent
from clinicdesk.audit.verify import audit_verify
from clinicdesk.clinical import notes
from clinicdesk.clinical.models import VisitNote
from clinicdesk.core.backup import BackupError, backup_run
from clinicdesk.core.backup.container import END, sidecar_of
from clinicdesk.core.backup.databases import table_counts
from clinicdesk.patients.models import Patient

from .conftest import new_backup_key


def _backup(tmp_path, **options):
    return backup_run(directory=tmp_path / "backups", **options)


def _restored_events(alias: str, **filters):
    return AuditEvent.objects.using(alias).filter(object_type="database_backup", **filters)


def test_a_backup_restores_into_an_empty_database_with_its_trail_counts_files_and_signed_note(
    small_practice, media_root, empty_database, clinicdesk_command, tmp_path
):
    scan = media_root / "scans" / "2026" / "referral.pdf"
    scan.parent.mkdir(parents=True)
    # Random bytes do not compress: the archive is several 1 MiB chunks long.
    scan.write_bytes(os.urandom(3_000_000))
    before = table_counts()

    result = _backup(tmp_path)

    assert result.manifest["tables"] == before
    assert result.path.name == "clinicdesk-backup-20260302T140000Z.cdbk"
    assert sidecar_of(result.path).read_text() == f"{result.sha256}  {result.path.name}\n"
    raw = result.path.read_bytes()
    assert b"Quintero" not in raw and small_practice.rosa.mrn.encode() not in raw and b"Lungs clear" not in raw
    backed_up = AuditEvent.objects.get(object_type="database_backup")
    assert (backed_up.action, backed_up.outcome, backed_up.object_id) == ("export", "success", result.path.name)
    assert "Quintero" not in backed_up.detail and small_practice.rosa.mrn not in backed_up.detail

    done = clinicdesk_command("restore", str(result.path), "--no-progress", database=empty_database)

    assert done.returncode == 0, done.stderr
    assert "All checks passed" in done.stdout and "audit trail: OK" in done.stdout
    alias = empty_database.open()
    restored = table_counts(using=alias)
    # The restore itself is the one event more.
    assert restored == {**before, "audit_auditevent": before["audit_auditevent"] + 1}
    assert audit_verify(using=alias).ok
    event = _restored_events(alias).get()
    assert (event.action, event.outcome, event.object_id) == ("execute", "success", result.path.name)
    assert "Quintero" not in event.detail
    note = VisitNote.objects.using(alias).get(public_id=small_practice.note.public_id)
    assert note.status == "signed" and note.objective == "Lungs clear."
    assert note.content_sha256 == small_practice.note.content_sha256 and notes.note_verify(note)
    assert Patient.objects.using(alias).get(mrn=small_practice.rosa.mrn).ssn == "219-09-9999"
    copied = empty_database.media_root / "scans" / "2026" / "referral.pdf"
    assert copied.read_bytes() == scan.read_bytes()


def test_it_refuses_to_restore_into_a_database_that_is_not_empty_and_changes_nothing(
    small_practice, backup_key, tmp_path
):
    result = _backup(tmp_path)
    before = table_counts()

    with pytest.raises(CommandError, match="Restore writes only into an empty database") as refused:
        call_command("restore", str(result.path), "--no-progress")

    assert "already holds" in str(refused.value) and "Nothing was changed" in str(refused.value)
    assert table_counts() == before
    assert not AuditEvent.objects.filter(object_type="database_backup", action="execute").exists()


def _truncate(path, key):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return {}


def _flip_a_byte(path, key):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return {}


def _other_key(path, key):
    return {"CLINICDESK_BACKUP_KEY": new_backup_key()}


def _files_in_the_media_folder(path, key):
    return {"__media__": "1"}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncate, "the file is truncated"),
        (_flip_a_byte, "checksum mismatch"),
        (_other_key, "was encrypted with the backup key whose id is"),
        (_files_in_the_media_folder, "already holds files"),
    ],
    ids=["truncated", "flipped-byte", "wrong-key", "media-not-empty"],
)
def test_a_bad_archive_or_target_is_refused_and_the_empty_database_stays_empty(
    damage, message, small_practice, empty_database, clinicdesk_command, backup_key, tmp_path
):
    result = _backup(tmp_path)
    extra = damage(result.path, backup_key)
    if extra.pop("__media__", None):
        (empty_database.media_root / "old").mkdir(parents=True)
        (empty_database.media_root / "old" / "letter.pdf").write_bytes(b"%PDF")

    done = clinicdesk_command("restore", str(result.path), "--no-progress", database=empty_database, **extra)

    assert done.returncode == 1
    assert message in done.stderr and "Traceback" not in done.stderr
    assert "Nothing was" in done.stderr
    assert empty_database.table_names() == []
    media = empty_database.media_root
    assert not media.exists() or sorted(p.name for p in media.rglob("*")) == ["letter.pdf", "old"]


def test_a_restore_under_other_database_keys_fails_its_encryption_check(
    small_practice, empty_database, clinicdesk_command, tmp_path
):
    result = _backup(tmp_path)
    other_ring = "k9:" + new_backup_key()

    done = clinicdesk_command(
        "restore", str(result.path), "--no-progress", database=empty_database, CLINICDESK_ENCRYPTION_KEYS=other_ring
    )

    assert done.returncode == 1, done.stdout
    assert "encryption keys: FAILED" in done.stdout and "not in CLINICDESK_ENCRYPTION_KEYS" in done.stdout
    assert "checks failed" in done.stderr and "Do not serve it" in done.stderr
    event = _restored_events(empty_database.open()).get()
    assert event.outcome == "failure"


def _verify(path) -> str:
    try:
        call_command("backup", "verify", str(path), "--no-progress")
    except CommandError as exc:
        return str(exc)
    return "OK"


def test_backup_verify_names_each_kind_of_damage(small_practice, backup_key, tmp_path, capsys):
    result = _backup(tmp_path)
    good = result.path.read_bytes()
    header_end = good.index(b"}") + 1
    copy = tmp_path / "copy.cdbk"

    def damaged(data: bytes) -> str:
        copy.write_bytes(data)
        return _verify(copy)

    assert _verify(result.path) == "OK"
    assert "is whole and opens with the backup key" in capsys.readouterr().out
    assert "truncated" in damaged(good[:-1])
    assert "truncated" in damaged(good[: len(good) // 3])
    assert "truncated" in damaged(good[:30])
    assert "the file is empty" in damaged(b"")
    assert "not a ClinicDesk backup archive" in damaged(b"PK\x03\x04 a zip file")
    assert "checksum mismatch" in damaged(good[: header_end - 3] + b"X" + good[header_end - 2 :])
    flipped = bytearray(good)
    flipped[-END.size - 100] ^= 0x80
    assert "checksum mismatch" in damaged(bytes(flipped))
    assert "bytes after its end marker" in damaged(good + good[-END.size :])
    sidecar_of(copy).write_text("0" * 64 + "  copy.cdbk\n")
    assert f"checksum mismatch with {copy.name}.sha256" in damaged(good)


def test_restore_check_verifies_the_archive_and_touches_no_database(small_practice, backup_key, tmp_path, capsys):
    result = _backup(tmp_path)
    before = table_counts()

    call_command("restore", str(result.path), "--check", "--no-progress")

    assert "is whole and opens with the backup key (nothing restored)" in capsys.readouterr().out
    assert table_counts() == before


def test_an_archive_of_the_other_database_vendor_is_refused(backup_key, tmp_path, db):
    from clinicdesk.core.backup.container import ArchiveWriter
    from clinicdesk.core.backup.keys import backup_keys

    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    path = tmp_path / "other.cdbk"
    with open(path, "wb") as out:
        writer = ArchiveWriter(out, key=backup_keys()[0], header={"vendor": other, "created_at": "2026-03-02"})
        writer.write(b"anything")
        writer.close()

    with pytest.raises(CommandError, match="Restore supports the same database vendor only"):
        call_command("restore", str(path), "--no-progress")


def test_retention_keeps_the_newest_n_and_never_the_one_just_written(small_practice, backup_key, clock, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an archive")
    # An archive stamped later than the clock (the clock was set back): newest by name.
    future = folder / "clinicdesk-backup-20300101T000000Z.cdbk"
    future.write_bytes(b"x")
    written = []
    for _ in range(4):
        clock.advance(days=1)
        written.append(backup_run(directory=folder, keep=3))

    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    assert names == sorted(
        [
            "notes.txt",
            future.name,
            written[2].path.name,
            written[2].path.name + ".sha256",
            written[3].path.name,
            written[3].path.name + ".sha256",
        ]
    )
    assert [p.name for p in written[3].pruned] == [written[1].path.name]
    assert written[3].path.name == "clinicdesk-backup-20260306T140000Z.cdbk"


def test_two_archives_in_one_second_get_distinct_names_and_keep_zero_keeps_all(small_practice, backup_key, tmp_path):
    first = _backup(tmp_path, keep=0)
    second = _backup(tmp_path, keep=0)

    assert first.path.name == "clinicdesk-backup-20260302T140000Z.cdbk"
    assert second.path.name == "clinicdesk-backup-20260302T140000Z-1.cdbk"
    assert first.path.exists() and second.pruned == []


def test_a_backup_without_a_key_is_refused_writes_nothing_and_is_audited(db, settings, tmp_path):
    settings.CLINICDESK_BACKUP_KEY = ""
    settings.CLINICDESK_BACKUP_KEY_FILE = ""

    with pytest.raises(CommandError, match="No backup key: set CLINICDESK_BACKUP_KEY"):
        call_command("backup", "--to", str(tmp_path / "backups"), "--no-progress")

    assert not (tmp_path / "backups").exists()
    event = AuditEvent.objects.get(object_type="database_backup")
    assert (event.action, event.outcome) == ("export", "failure")


def test_the_key_may_come_from_a_file_and_a_malformed_key_is_named(db, settings, tmp_path):
    key_file = tmp_path / "backup.key"
    key_file.write_text(new_backup_key() + "\n")
    settings.CLINICDESK_BACKUP_KEY = ""
    settings.CLINICDESK_BACKUP_KEY_FILE = str(key_file)
    from clinicdesk.core.backup.keys import backup_keys, key_id, parse_backup_keys

    assert [k.secret for k in backup_keys()] == [parse_backup_keys(key_file.read_text().strip())[0].secret]
    assert len(key_id(b"k" * 32)) == 16
    settings.CLINICDESK_BACKUP_KEY = "c2hvcnQ"
    with pytest.raises(BackupError, match="CLINICDESK_BACKUP_KEY entry 1 is 5 bytes"):
        backup_keys()
    settings.CLINICDESK_BACKUP_KEY = new_backup_key() + ",,"
    with pytest.raises(BackupError, match="entry 2 is empty"):
        backup_keys()
    settings.CLINICDESK_BACKUP_KEY = ""
    settings.CLINICDESK_BACKUP_KEY_FILE = str(tmp_path / "missing.key")
    with pytest.raises(BackupError, match="cannot be read"):
        backup_keys()


def test_an_old_key_listed_after_the_new_one_still_opens_old_archives(small_practice, settings, backup_key, tmp_path):
    old = _backup(tmp_path)
    settings.CLINICDESK_BACKUP_KEY = f"{new_backup_key()},{backup_key}"

    assert _verify(old.path) == "OK"
    settings.CLINICDESK_BACKUP_KEY = new_backup_key()
    assert "was encrypted with the backup key whose id is" in _verify(old.path)


def test_a_second_backup_while_one_is_writing_is_refused_and_leftovers_of_a_crash_are_cleared(
    small_practice, backup_key, tmp_path
):
    import fcntl

    folder = tmp_path / "backups"
    folder.mkdir()
    stale_work = folder / ".clinicdesk-backup-work-dead"
    stale_work.mkdir()
    (stale_work / "database.sqlite3").write_bytes(b"plain")
    stale_partial = folder / "clinicdesk-backup-20260101T000000Z.cdbk.partial"
    stale_partial.write_bytes(b"half")
    with open(folder / ".clinicdesk-backup.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(BackupError, match="Another backup is writing to"):
            backup_run(directory=folder)
        fcntl.flock(held, fcntl.LOCK_UN)

    result = backup_run(directory=folder)

    assert not stale_work.exists() and not stale_partial.exists()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        result.path.name,
        result.path.name + ".sha256",
    ]


def test_the_backup_is_stamped_with_the_project_clock(small_practice, backup_key, clock, tmp_path):
    clock.set(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))

    result = _backup(tmp_path)

    assert result.path.name == "clinicdesk-backup-20261231T235959Z.cdbk"
    assert result.manifest["created_at"] == "2026-12-31T23:59:59+00:00"


def _applied_on_disk() -> list[list[str]]:
    from django.db.migrations.loader import MigrationLoader

    return [[app, name] for app, name in sorted(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)]


def test_an_archive_from_a_newer_clinicdesk_is_refused_and_an_older_one_asks_for_migrate():
    from clinicdesk.core.backup.errors import RestoreRefused
    from clinicdesk.core.backup.runs import _migration_state

    applied = _applied_on_disk()
    newer = {"migrations": [*applied, ["clinical", "9999_from_the_future"]], "clinicdesk_version": "9.0.0"}
    with pytest.raises(RestoreRefused, match=r"newer ClinicDesk.*clinical\.9999_from_the_future.*\(9\.0\.0\) or newer"):
        _migration_state(newer, "a.cdbk")

    last = applied[-1]
    older = {"migrations": applied[:-1]}
    assert _migration_state(older, "a.cdbk") == [f"{last[0]}.{last[1]}"]
    assert _migration_state({"migrations": applied}, "a.cdbk") == []
