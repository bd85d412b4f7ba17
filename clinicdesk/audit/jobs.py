"""The audit app's scheduled job (registered in AuditConfig.ready; see docs/scheduled-jobs.md)."""

from __future__ import annotations

from datetime import timedelta

from clinicdesk.core.scheduler import periodic


def audit_anchor_hourly() -> dict[str, object]:
    """Append the chain's head to the anchor file (and mail it when configured), as
    `clinicdesk audit anchor` does; returns the head written."""
    from .anchors import audit_anchor_write

    head = audit_anchor_write()
    return {"seq": head.seq, "hash": head.hash[:16], "file": head.source}


def register() -> None:
    periodic(name="audit.anchor", every=timedelta(hours=1), task=audit_anchor_hourly)
