"""What goes wrong with a backup or a restore, as messages meant for the person at the console."""

from __future__ import annotations


class BackupError(Exception):
    """A backup or restore could not be done; the message says why and what to do."""


class ArchiveDamaged(BackupError):
    """The archive is truncated, fails its checksum or does not decrypt: nothing was touched."""


class RestoreRefused(BackupError):
    """The restore will not start (target not empty, other vendor, wrong key...): nothing was touched."""
