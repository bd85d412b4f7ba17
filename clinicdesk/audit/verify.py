"""Reading the chain back out of the database and checking it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.db import connections

from .chain import CHAINED_FIELDS, VerifyResult, verify_rows
from .models import AuditEvent

BATCH = 20_000
TABLE = AuditEvent._meta.db_table


def _rows(using: str, on_batch: Callable[[int], None] | None) -> Iterator[tuple]:
    columns = ", ".join(["prev_hash", "hash", *CHAINED_FIELDS])
    connection = connections[using]
    # A server-side cursor on PostgreSQL keeps memory flat over millions of rows.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {TABLE} ORDER BY seq")  # noqa: S608  (constant names)
        while True:
            batch = cursor.fetchmany(BATCH)
            if not batch:
                return
            yield from batch
            if on_batch:
                on_batch(len(batch))


def audit_verify(*, using: str = "default", on_batch: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the whole chain in seq order. Stops at, and names, the first broken event."""

    def known_hash(value: str) -> bool:
        return AuditEvent.objects.using(using).filter(hash=value).exists()

    return verify_rows(_rows(using, on_batch), known_hashes=known_hash)


def audit_event_count(*, using: str = "default") -> int:
    return AuditEvent.objects.using(using).count()
