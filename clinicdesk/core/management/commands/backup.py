"""`clinicdesk backup`: write an encrypted archive now; `clinicdesk backup verify FILE`: check one.

Nightly from cron, for instance: ``30 2 * * * clinicdesk backup --keep 14``. See
docs/backup-and-restore.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinicdesk.core.backup import BackupError, archive_check, backup_run
from clinicdesk.core.backup.databases import vendor_name
from clinicdesk.core.backup.progress import console_progress


def _size(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{count} bytes"


class Command(BaseCommand):
    help = (
        "Write a dated, encrypted, checksummed archive of the database and uploaded files into "
        "CLINICDESK_BACKUP_DIR (or --to), then keep only the newest CLINICDESK_BACKUP_KEEP (or --keep). "
        "`backup verify FILE` checks an archive without touching the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", dest="directory", help="Folder for the archive (default CLINICDESK_BACKUP_DIR).")
        parser.add_argument(
            "--keep",
            type=int,
            help="Keep this many newest archives in the folder, 0 for all (default CLINICDESK_BACKUP_KEEP).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress display.")
        sub = parser.add_subparsers(dest="action")
        verify = sub.add_parser("verify", help="Check an archive: checksum, key, every chunk and member.")
        verify.add_argument("file", help="The .cdbk archive to check.")
        verify.add_argument("--no-progress", action="store_true", help="No progress display.")

    def handle(self, *args, **options):
        progress = console_progress(enabled=not options["no_progress"])
        try:
            with progress:
                if options["action"] == "verify":
                    return self._verify(Path(options["file"]), progress)
                return self._backup(options, progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None

    def _backup(self, options, progress) -> None:
        result = backup_run(directory=options["directory"], keep=options["keep"], progress=progress)
        tables = result.manifest["tables"]
        media = result.manifest["media"]
        self.stdout.write(
            f"Wrote {result.path} ({_size(result.size)}: {len(tables)} tables, {sum(tables.values())} rows, "
            f"{media['files']} uploaded files)."
        )
        self.stdout.write(f"SHA-256 {result.sha256} (also in {result.path.name}.sha256).")
        if media.get("vanished"):
            self.stdout.write(
                f"{media['vanished']} uploaded files were deleted while the backup ran and are not in it."
            )
        if result.pruned:
            names = ", ".join(path.name for path in result.pruned)
            self.stdout.write(f"Removed {len(result.pruned)} older archives: {names}.")
        if result.key_beside_data:
            self.stderr.write(
                "Warning: the backup key was generated into var/clinicdesk_backup_key, beside the database. Keep a "
                "copy of it somewhere else (a password manager, the office safe): without it no archive can be opened."
            )

    def _verify(self, path: Path, progress) -> None:
        summary = archive_check(path, progress=progress)
        manifest = summary.manifest
        tables = manifest.get("tables", {})
        self.stdout.write(
            f"OK: {summary.path.name} is whole and opens with the backup key. Written {manifest.get('created_at')} "
            f"from {vendor_name(str(manifest.get('vendor')))} ({manifest.get('database', {}).get('server', '')}), "
            f"ClinicDesk {manifest.get('clinicdesk_version')}: {len(tables)} tables, {sum(tables.values())} rows, "
            f"{manifest.get('media', {}).get('files', 0)} uploaded files. SHA-256 {summary.sha256}."
        )
