"""Taking a backup, checking an archive, restoring one, and keeping the newest N.

`backup_run()` is what `clinicdesk backup` and the periodic job call; `restore_run()` is
`clinicdesk restore`; `archive_check()` is `clinicdesk backup verify` and `restore --check`.
Each takes an optional rich Progress to draw its long steps on.
"""

from __future__ import annotations

import getpass
import importlib.metadata
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from rich.progress import Progress

from clinicdesk.core import clock, crypto
from clinicdesk.core.signals import backup_finished, restore_finished

from .bundle import DATABASE_MEMBERS, MEDIA_PREFIX, Member, bundle_read, bundle_write, media_members
from .checks import CheckResult, run_checks
from .container import ArchiveInfo, ArchiveReader, ArchiveWriter, archive_integrity, sidecar_of
from .databases import (
    database_snapshot,
    fsync_dir,
    pg_restore,
    sqlite_path,
    sqlite_place,
    table_counts,
    target_refusal,
    vendor_name,
)
from .errors import ArchiveDamaged, BackupError, RestoreRefused
from .keys import BackupKey, backup_keys, key_is_generated_beside_the_data
from .retention import archive_name, prune_archives

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; one backup at a time is then up to the operator.
    fcntl = None  # type: ignore[assignment]  # fcntl does not exist on Windows; the lock then falls back

WORK_PREFIX = ".clinicdesk-backup-work-"
RESTORE_PREFIX = ".clinicdesk-restore-"
PARTIAL = ".partial"
LOCK_NAME = ".clinicdesk-backup.lock"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]
    pruned: list[Path]
    key_beside_data: bool


@dataclass(frozen=True)
class ArchiveSummary:
    path: Path
    header: dict[str, Any]
    manifest: dict[str, Any]
    sha256: str


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    manifest: dict[str, Any]
    counts: dict[str, int]
    differences: list[tuple[str, int | None, int | None]]  # table, in the archive, restored
    checks: list[CheckResult]
    pending_migrations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences and all(check.ok for check in self.checks)


@contextmanager
def _step(progress: Progress | None, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    if progress is None:
        yield lambda n: None
        return
    task = progress.add_task(description, total=total)
    try:
        yield lambda n: progress.advance(task, n)
    finally:
        progress.update(task, total=total or 1, completed=total or 1)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _media_root() -> Path | None:
    root = getattr(settings, "MEDIA_ROOT", "")
    return Path(root) if root else None


def _version() -> str:
    try:
        return importlib.metadata.version("clinicdesk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --- Backup -------------------------------------------------------------------------------------


@contextmanager
def _directory_lock(folder: Path) -> Iterator[None]:
    with open(os.open(folder / LOCK_NAME, os.O_WRONLY | os.O_CREAT, 0o600), "a") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(
                    f"Another backup is writing to {folder} right now; run this one when it has finished."
                ) from None
        yield


def _clear_leftovers(folder: Path) -> None:
    """Remove work folders and partial files of runs that died (we hold the folder's lock)."""
    for leftover in folder.iterdir():
        if leftover.name.startswith(WORK_PREFIX) and leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        elif leftover.name.endswith(PARTIAL) and leftover.is_file():
            leftover.unlink(missing_ok=True)


def _write_sidecar(archive: Path, checksum: str) -> None:
    sidecar = sidecar_of(archive)
    partial = sidecar.with_name(sidecar.name + PARTIAL)
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as out:
        out.write(f"{checksum}  {archive.name}\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, sidecar)


def _backup(folder: Path, keep: int, progress: Progress | None, using: str) -> BackupResult:
    key = backup_keys()[0]
    vendor = connections[using].vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _directory_lock(folder):
        _clear_leftovers(folder)
        created = clock.now()
        final = folder / archive_name(folder, created)
        partial = final.with_name(final.name + PARTIAL)
        # mkdtemp makes the folder private (0700): the plain dump lives there until encrypted.
        work = Path(tempfile.mkdtemp(prefix=WORK_PREFIX, dir=folder))
        try:
            with _step(progress, "Copying the database"):
                snapshot = database_snapshot(work, using=using)
            media = media_members(_media_root())
            members = [Member(DATABASE_MEMBERS[vendor], snapshot.path), *media]
            total = sum(member.source.stat().st_size for member in members if member.source.exists())
            header = {"app": "clinicdesk", "created_at": created.isoformat(), "vendor": vendor}
            manifest = {
                **header,
                "clinicdesk_version": _version(),
                "database": {"member": DATABASE_MEMBERS[vendor], "server": snapshot.server_version},
                "migrations": snapshot.migrations,
                "tables": snapshot.tables,
                # Ids only: which database keys a restore will need (never the keys themselves).
                "encryption_key_ids": list(crypto.key_ring().keys),
            }
            with (
                open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out,
                _step(progress, "Encrypting", total) as advance,
            ):
                writer = ArchiveWriter(out, key=key, header=header)
                written = bundle_write(
                    writer, members=members, manifest=manifest, mtime=created.timestamp(), on_bytes=advance
                )
                checksum = writer.close()
                out.flush()
                os.fsync(out.fileno())
            # Only a finished, synced archive ever carries the final name.
            os.replace(partial, final)
            _write_sidecar(final, checksum)
            fsync_dir(folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            partial.unlink(missing_ok=True)
        try:
            pruned = prune_archives(folder, keep=keep, written=final)
        except OSError as exc:
            raise BackupError(f"{final} was written, but removing older archives failed: {exc}.") from None
    return BackupResult(final, checksum, final.stat().st_size, written, pruned, key_is_generated_beside_the_data())


def backup_run(
    *, directory: Path | str | None = None, keep: int | None = None, progress: Progress | None = None,
    using: str = "default",
) -> BackupResult:  # fmt: skip
    """Write one archive of the database and uploaded files into `directory`, then keep the newest `keep`.

    `directory` defaults to CLINICDESK_BACKUP_DIR, `keep` to CLINICDESK_BACKUP_KEEP (0 keeps
    all); the archive just written always stays. This is the function the periodic job calls.
    Raises BackupError with a message for the operator; the audit trail records the outcome
    either way (no patient data: file name, sizes, counts).
    """
    folder = Path(directory) if directory else Path(settings.CLINICDESK_BACKUP_DIR)
    keep = settings.CLINICDESK_BACKUP_KEEP if keep is None else keep
    try:
        if keep < 0:
            raise BackupError("Keep must be 0 (keep every archive) or a number of archives to keep.")
        try:
            result = _backup(folder, keep, progress, using)
        except OSError as exc:
            raise BackupError(f"Writing the backup into {folder} failed: {exc}.") from None
    except BackupError as exc:
        try:
            backup_finished.send(sender=BackupResult, archive="", outcome="failure", detail=f"{exc} by {_os_user()}")
        except DatabaseError:
            pass  # the database may be why the backup failed, and then its trail cannot record it either
        raise
    detail = (
        f"{result.size} bytes sha256={result.sha256[:16]} tables={len(result.manifest['tables'])} "
        f"rows={sum(result.manifest['tables'].values())} files={result.manifest['media']['files']} "
        f"pruned={len(result.pruned)} by {_os_user()}"
    )
    backup_finished.send(sender=BackupResult, archive=result.path.name, outcome="success", detail=detail)
    return result


# --- Reading an archive -------------------------------------------------------------------------


def _integrity(path: Path, progress: Progress | None) -> ArchiveInfo:
    size = path.stat().st_size if path.is_file() else None
    if size is None:
        raise ArchiveDamaged(f"{path}: no such archive file.")
    with _step(progress, "Checking the checksum", size) as advance:
        try:
            return archive_integrity(path, on_bytes=advance)
        except OSError as exc:
            raise ArchiveDamaged(f"{path}: cannot be read ({exc}).") from None


def _key_for(info: ArchiveInfo) -> BackupKey:
    keys = backup_keys()
    wanted = info.header.get("key_id")
    for key in keys:
        if key.id == wanted:
            return key
    raise RestoreRefused(
        f"{info.path.name} was encrypted with the backup key whose id is {wanted}; the configured backup key "
        f"has id {', '.join(key.id for key in keys)}. Set CLINICDESK_BACKUP_KEY to the key in use when the "
        "archive was written (after a key change, list the new key first and the old one after it). "
        "Nothing was restored."
    )


def _read(info: ArchiveInfo, key: BackupKey, destination: Callable[[str], Path | None],
          progress: Progress | None) -> dict[str, Any]:  # fmt: skip
    with _step(progress, "Decrypting", info.body_end - info.body_start) as advance:
        try:
            reader = ArchiveReader(info, key, on_bytes=advance)
            try:
                manifest = bundle_read(reader, destination=destination, label=info.path.name)
                reader.finish()
            finally:
                reader.close()
        except OSError as exc:
            raise BackupError(f"{info.path.name}: reading or unpacking failed ({exc}). Nothing was restored.") from None
    if manifest.get("vendor") != info.header.get("vendor"):
        raise ArchiveDamaged(f"{info.path.name}: its manifest and header disagree about the database.")
    return manifest


def _only_known(vendor: str) -> Callable[[str], Path | None]:
    def check(name: str) -> Path | None:
        if name != DATABASE_MEMBERS.get(vendor) and not name.startswith(MEDIA_PREFIX):
            raise ArchiveDamaged(f"unexpected member {name!r} in the archive.")
        return None

    return check


def archive_check(path: Path | str, *, progress: Progress | None = None) -> ArchiveSummary:
    """Verify an archive completely without touching any database: checksum, key, every chunk,
    every member against the manifest. Raises ArchiveDamaged or RestoreRefused (wrong key)."""
    info = _integrity(Path(path), progress)
    key = _key_for(info)
    manifest = _read(info, key, _only_known(str(info.header.get("vendor"))), progress)
    return ArchiveSummary(info.path, info.header, manifest, info.sha256)


# --- Restore ------------------------------------------------------------------------------------


def _has_files(folder: Path) -> bool:
    return folder.exists() and any(files for _, _, files in os.walk(folder))


def _migration_state(manifest: dict[str, Any], label: str) -> list[str]:
    """Migrations this install has that the archive's database lacks; refuses unknown ones."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = set(loader.disk_migrations)
    applied = {tuple(pair) for pair in manifest.get("migrations", [])}
    for squashed, migration in loader.replacements.items():
        if squashed in applied:
            applied.update(migration.replaces)
        elif set(migration.replaces) <= applied:
            applied.add(squashed)
    known = on_disk | {replaced for m in loader.replacements.values() for replaced in m.replaces}
    unknown = sorted(f"{app}.{name}" for app, name in applied - known)
    if unknown:
        raise RestoreRefused(
            f"{label} comes from a newer ClinicDesk: its database has migrations this install does not know "
            f"({', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}). Install the version that wrote it "
            f"({manifest.get('clinicdesk_version', 'unknown')}) or newer, and restore again. Nothing was restored."
        )
    return sorted(f"{app}.{name}" for app, name in on_disk - applied)


def _refuse_unless_empty(using: str, media_root: Path | None) -> None:
    refusal = target_refusal(using=using)
    if refusal:
        example = (
            "a new SQLite file path (e.g. DATABASE_URL=sqlite:////srv/clinicdesk/var/restored.sqlite3)"
            if connections[using].vendor == "sqlite"
            else "a new PostgreSQL database (createdb clinicdesk_restored, then DATABASE_URL=postgres://…/clinicdesk_restored)"
        )
        raise RestoreRefused(
            f"Restore writes only into an empty database, and {refusal}. Point DATABASE_URL at {example} "
            "and run restore again. Nothing was changed."
        )
    if media_root is not None and _has_files(media_root):
        raise RestoreRefused(
            f"Restore puts uploaded files only into an empty folder, and {media_root} already holds files. Point "
            "CLINICDESK_MEDIA_ROOT at a new folder (or move this one aside) and run restore again. Nothing was changed."
        )


def _place_media(stage: Path, media_root: Path) -> None:
    if media_root.exists():
        media_root.rmdir()  # empty: checked before the restore began
    os.replace(stage, media_root)
    fsync_dir(media_root.parent)


def restore_run(path: Path | str, *, progress: Progress | None = None, using: str = "default") -> RestoreResult:
    """Restore an archive into the configured, empty database and media folder, then check it.

    Refuses (RestoreRefused / ArchiveDamaged, nothing changed) before writing anything when the
    archive is damaged, from the other database vendor, sealed with another key, from a newer
    ClinicDesk, or when the database or media folder is not empty. After writing, compares rows
    per table with the manifest and runs the registered checks (audit chain, encryption keys);
    the result says what differs. The audit trail of the restored database records the restore.
    """
    info = _integrity(Path(path), progress)
    label = info.path.name
    vendor, archived = connections[using].vendor, str(info.header.get("vendor"))
    if archived != vendor:
        raise RestoreRefused(
            f"{label} is a backup of a {vendor_name(archived)} database and this install uses {vendor_name(vendor)}. "
            f"Restore supports the same database vendor only: point DATABASE_URL at an empty {vendor_name(archived)} "
            "database. Nothing was restored."
        )
    key = _key_for(info)
    media_root = _media_root()
    _refuse_unless_empty(using, media_root)

    target = sqlite_path(using) if vendor == "sqlite" else None
    # SQLite: unpack beside the target, so the finished file moves into place by a rename.
    parent = target.parent if target is not None else None
    try:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=RESTORE_PREFIX, dir=parent))
    except OSError as exc:
        raise RestoreRefused(f"Cannot prepare {parent or 'a temporary folder'} for the restore: {exc}.") from None
    stage: Path | None = None

    def destination(name: str) -> Path | None:
        nonlocal stage
        if name == DATABASE_MEMBERS[vendor]:
            return work / name
        if name.startswith(MEDIA_PREFIX) and media_root is not None:
            if stage is None:
                media_root.parent.mkdir(parents=True, exist_ok=True)
                stage = Path(tempfile.mkdtemp(prefix=RESTORE_PREFIX, dir=media_root.parent))
            return stage.joinpath(*PurePosixPath(name[len(MEDIA_PREFIX) :]).parts)
        raise ArchiveDamaged(f"{label}: unexpected member {name!r}.")

    try:
        manifest = _read(info, key, destination, progress)
        pending = _migration_state(manifest, label)
        _refuse_unless_empty(using, media_root)  # again: reading a large archive takes a while
        with _step(progress, "Restoring the database"):
            dump = work / DATABASE_MEMBERS[vendor]
            if target is not None:
                sqlite_place(dump, target)
            else:
                pg_restore(dump, using)
        if stage is not None and media_root is not None:
            _place_media(stage, media_root)
            stage = None
    except OSError as exc:
        raise BackupError(f"Restoring {label} failed: {exc}.") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)

    with _step(progress, "Checking the restored database"):
        counts = table_counts(using=using)
        expected: dict[str, int] = manifest.get("tables", {})
        differences = [
            (table, expected.get(table), counts.get(table))
            for table in sorted(set(expected) | set(counts))
            if expected.get(table) != counts.get(table)
        ]
        checks = run_checks(using=using)
    result = RestoreResult(info.path, manifest, counts, differences, checks, pending)
    summary = "; ".join(f"{check.name} {'ok' if check.ok else 'FAILED'}" for check in checks)
    restore_finished.send(
        sender=RestoreResult,
        archive=label,
        outcome="success" if result.ok else "failure",
        detail=(
            f"written {manifest.get('created_at')} sha256={info.sha256[:16]} tables={len(counts)}: counts "
            f"{'match' if not differences else f'differ in {len(differences)} tables'}; {summary} by {_os_user()}"
        ),
    )
    return result
