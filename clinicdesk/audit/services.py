"""Writing to the audit trail. Every other app records its events through `audit_record`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from clinicdesk.core import clock
from clinicdesk.core.request_context import current_origin

from .chain import CHAINED_FIELDS, GENESIS, event_hash
from .models import Action, AuditEvent, ObjectType, Outcome

# Key of the PostgreSQL advisory lock that serialises appends to the chain. SQLite needs none:
# every transaction there begins IMMEDIATE and so already holds the database's write lock.
CHAIN_LOCK_KEY = 0x434C4443_4155  # "CLDC" "AU"

_TABLE = AuditEvent._meta.db_table
# The chained names are the model's attribute names, which are also its column names.
_COLUMNS = [*CHAINED_FIELDS, "prev_hash", "hash"]
# Every PHI read writes one of these, so the append goes through the cursor: the ORM's query
# building costs more than the lock, the head read and the hash together (bench/RESULTS.md).
_HEAD_SQL = f"SELECT seq, hash FROM {_TABLE} ORDER BY seq DESC LIMIT 1"  # noqa: S608  (constant)
_INSERT_SQL = f"INSERT INTO {_TABLE} ({', '.join(_COLUMNS)}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})"  # noqa: S608


_PG_APPEND_SQL = "SELECT id, seq, at, prev_hash, hash FROM audit_append(%s, %s, {})".format(  # noqa: S608
    ", ".join(["%s"] * (len(CHAINED_FIELDS) - 3))  # placeholders only
)


def _append(event: AuditEvent) -> None:
    """Lock the chain, link `event` to its head, hash it and insert it (caller holds a transaction)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One round trip: the function in migration 0003 does what the branch below does.
            texts = [getattr(event, name) for name in CHAINED_FIELDS[3:]]
            cursor.execute(_PG_APPEND_SQL, [CHAIN_LOCK_KEY, event.actor_id, *texts])
            event.pk, event.seq, event.at, event.prev_hash, event.hash = cursor.fetchone()
        else:
            cursor.execute(_HEAD_SQL)
            head = cursor.fetchone()
            event.seq, event.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
            # The time is read under the lock, so time order and seq order agree.
            event.at = clock.now()
            values = [getattr(event, name) for name in CHAINED_FIELDS]
            event.hash = event_hash(event.prev_hash, values)
            params = values + [event.prev_hash, event.hash]
            params[1] = connection.ops.adapt_datetimefield_value(event.at)
            cursor.execute(_INSERT_SQL, params)
            event.pk = cursor.lastrowid
    event._state.adding = False
    event._state.db = connection.alias


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: ObjectType,
    object_id: Any = "",
    patient_id: Any = "",
    reason: str = "",
    outcome: str = Outcome.SUCCESS,
    changed_fields: Iterable[str] = (),
    detail: str = "",
    actor_username: str = "",
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    Call it inside the same `transaction.atomic()` as the change it records: if the change
    rolls back, so does the event, and a committed change always has its event. `actor` may
    be None for system work (then `actor_username` names the job, e.g. "system:rotate-keys")
    or an anonymous visitor (login failures name the attempted username in `detail`-free
    `actor_username`). `object_type` is an `ObjectType` member, never a bare string (TypeError),
    so the trail's kinds of record stay one list; `object_id` and `patient_id` are written as
    text (a UUID as its canonical form). The lock taken here is held until the caller's
    transaction ends, which is what keeps `seq` gap-free and the chain unforked under
    concurrent writers.
    """
    if not isinstance(object_type, ObjectType):
        raise TypeError(f"audit object_type must be an ObjectType member, not {object_type!r}")
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if outcome not in Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    origin = current_origin()
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        actor=user,
        actor_username=(user.get_username() if user else actor_username)[:150],
        actor_role=(getattr(user, "role", "") or "") if user else "",
        action=action,
        object_type=object_type.value,
        object_id=str(object_id)[:200],
        patient_id=str(patient_id)[:64],
        reason=reason[:500],
        outcome=outcome,
        ip=origin.ip,
        user_agent=origin.user_agent,
        changed_fields=",".join(sorted(set(changed_fields)))[:1000],
        detail=detail[:500],
    )
    # No savepoint inside the caller's transaction: if the append fails, the whole change rolls
    # back with it (a change must never commit without its event).
    with transaction.atomic(savepoint=False):
        _append(event)
    return event
