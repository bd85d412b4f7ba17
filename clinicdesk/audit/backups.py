"""The audit trail's part in backups: it records each backup and restore, and checks the
restored chain (core runs the backups but sits below audit, so it signals and we listen)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from clinicdesk.core.backup import CheckResult, register
from clinicdesk.core.signals import backup_finished, restore_finished

from .models import Action, ObjectType, Outcome
from .services import audit_record
from .verify import audit_verify, default_jobs

OBJECT_TYPE = ObjectType.DATABASE_BACKUP


def _outcome(value: str) -> str:
    return Outcome.SUCCESS if value == "success" else Outcome.FAILURE


@receiver(backup_finished)
def record_backup(sender, archive: str, outcome: str, detail: str, **kwargs) -> None:
    """An archive of every record left the database: an export, in HIPAA's terms."""
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_username="system:backup",
            action=Action.EXPORT,
            object_type=OBJECT_TYPE,
            object_id=archive,
            outcome=_outcome(outcome),
            detail=detail,
        )


@receiver(restore_finished)
def record_restore(sender, archive: str, outcome: str, detail: str, **kwargs) -> None:
    """Recorded in the restored database itself, after its chain was verified."""
    with transaction.atomic():
        audit_record(
            actor=None,
            actor_username="system:restore",
            action=Action.EXECUTE,
            object_type=OBJECT_TYPE,
            object_id=archive,
            outcome=_outcome(outcome),
            detail=detail,
        )


def audit_chain_intact(using: str) -> CheckResult:
    result = audit_verify(using=using, jobs=default_jobs())
    if result.ok:
        return CheckResult("audit trail", True, f"{result.count} events, chain intact (head {result.head_hash})")
    broken = result.broken
    assert broken is not None  # noqa: S101  (not ok means broken)
    return CheckResult("audit trail", False, f"BROKEN at seq {broken.seq}: {broken.kind} — {broken.why}")


register("audit trail", audit_chain_intact)
