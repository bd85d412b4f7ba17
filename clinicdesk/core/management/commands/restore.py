"""`clinicdesk restore FILE`: bring an archive back into an empty database, then check it.

The recovery procedure around it is in docs/backup-and-restore.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from clinicdesk.core.backup import BackupError, archive_check, restore_run
from clinicdesk.core.backup.progress import console_progress


def _target() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {settings_dict['NAME']}"
    host = settings_dict.get("HOST") or "local socket"
    return f"PostgreSQL database {settings_dict['NAME']} on {host}"


class Command(BaseCommand):
    help = (
        "Restore a backup archive into the configured database, which must be empty (a new SQLite path or a new "
        "PostgreSQL database), then compare rows per table with the archive and verify the audit chain. "
        "--check only verifies the archive."
    )
    # System checks would open the database, and for SQLite opening it creates the file.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", help="The .cdbk archive.")
        parser.add_argument("--check", action="store_true", help="Verify the archive only; touch no database.")
        parser.add_argument("--no-progress", action="store_true", help="No progress display.")

    def handle(self, *args, **options):
        path = Path(options["file"])
        progress = console_progress(enabled=not options["no_progress"])
        try:
            with progress:
                if options["check"]:
                    summary = archive_check(path, progress=progress)
                    self.stdout.write(
                        f"OK: {summary.path.name} is whole and opens with the backup key (nothing restored)."
                    )
                    return
                target = _target()
                result = restore_run(path, progress=progress)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        expected = result.manifest.get("tables", {})
        width = max([len(name) for name in expected] + [5])
        self.stdout.write(f"Restored {path.name} into {target}.")
        self.stdout.write(f"{'table':<{width}}  {'archive':>10}  {'restored':>10}")
        for table in sorted(set(expected) | set(result.counts)):
            archived, restored = expected.get(table), result.counts.get(table)
            mark = "" if archived == restored else "  <- differs"
            self.stdout.write(f"{table:<{width}}  {archived if archived is not None else '-':>10}  "
                              f"{restored if restored is not None else '-':>10}{mark}")  # fmt: skip
        for check in result.checks:
            self.stdout.write(f"{check.name}: {'OK' if check.ok else 'FAILED'} — {check.message}")
        if result.pending_migrations:
            self.stdout.write(
                f"The archive predates {len(result.pending_migrations)} migrations of this version: "
                "run `clinicdesk migrate` before serving."
            )
        if not result.ok:
            problems = [f"{len(result.differences)} tables differ from the archive"] if result.differences else []
            problems += [f"{check.name} failed" for check in result.checks if not check.ok]
            raise CommandError(
                f"The database was restored but its checks failed: {'; '.join(problems)}. Do not serve it."
            )
        self.stdout.write("All checks passed: rows match the archive in every table.")
