"""Backups that restore: encrypted, checksummed archives of the database and uploaded files.

- `backup_run()` writes ``clinicdesk-backup-YYYYMMDDTHHMMSSZ.cdbk`` (and its ``.sha256``) into
  CLINICDESK_BACKUP_DIR and keeps the newest CLINICDESK_BACKUP_KEEP; `clinicdesk backup` and
  the periodic job call it.
- `archive_check()` proves an archive whole and readable without touching a database.
- `restore_run()` brings an archive back into an empty database of the same vendor and checks
  rows per table, the audit chain and the encryption keys.

Layers: `keys` (the backup key), `container` (the encrypted file), `bundle` (tar members and
manifest), `databases` (SQLite / PostgreSQL copy and restore), `retention`, `checks`, `runs`.
The operator's guide is docs/backup-and-restore.md.
"""

from .checks import CheckResult, register
from .errors import ArchiveDamaged, BackupError, RestoreRefused
from .runs import ArchiveSummary, BackupResult, RestoreResult, archive_check, backup_run, restore_run

__all__ = [
    "ArchiveDamaged",
    "ArchiveSummary",
    "BackupError",
    "BackupResult",
    "CheckResult",
    "RestoreRefused",
    "RestoreResult",
    "archive_check",
    "backup_run",
    "register",
    "restore_run",
]
