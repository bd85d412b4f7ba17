"""The core app's scheduled jobs (registered in CoreConfig.ready; see docs/scheduled-jobs.md)."""

from __future__ import annotations

from .scheduler import daily


def backup_nightly() -> dict[str, object]:
    """Write tonight's backup archive (docs/backup-and-restore.md); returns its name, size and what was pruned.

    A refusal (no backup key in production, a full disk) raises BackupError with the
    operator's message, which the run records as failed.
    """
    from .backup import backup_run

    result = backup_run()
    return {"archive": result.path.name, "bytes": result.size, "older archives removed": len(result.pruned)}


def register() -> None:
    from .scheduler.services import scheduler_history_prune

    daily(name="core.backup", at="02:30", task=backup_nightly)
    daily(name="core.scheduler_history_prune", at="03:45", task=scheduler_history_prune)
