"""Audit events at a chosen moment, for tests about when things happened.

`audit_record` takes the time from the database on PostgreSQL (inside its append function) and
from the application clock on SQLite, so a test that needs an event at 21:15 last Monday writes
it here instead: the next link of the real chain (seq, previous hash, SHA-256), with `at` given.
The append-only triggers refuse UPDATE and DELETE, not INSERT.
"""

from __future__ import annotations

from datetime import datetime

from clinicdesk.audit.chain import CHAINED_FIELDS, GENESIS, event_hash
from clinicdesk.audit.models import AuditEvent, Outcome


def event_at(at: datetime, *, actor, action: str, patient_id: str = "", object_type: str = "patient",
             outcome: str = Outcome.SUCCESS, actor_username: str = "") -> AuditEvent:  # fmt: skip
    """Append one event at `at` by `actor` (a User, or None with `actor_username`)."""
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = (head[0] + 1, head[1]) if head else (1, GENESIS)
    event = AuditEvent(
        seq=seq, at=at, actor=actor, actor_username=actor.username if actor else actor_username,
        actor_role=actor.role if actor else "", action=action, object_type=object_type,
        object_id=patient_id, patient_id=patient_id, outcome=outcome, prev_hash=prev,
    )  # fmt: skip
    event.hash = event_hash(prev, [getattr(event, name) for name in CHAINED_FIELDS])
    event.save(force_insert=True)
    return event
