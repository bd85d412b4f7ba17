"""Reading the chain back out of the database and checking it."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, nullcontext

from django.db import connections, transaction

from .chain import CHAINED_FIELDS, VerifyResult, verify_rows
from .models import AuditEvent

BATCH = 20_000
TABLE = AuditEvent._meta.db_table

# `at` is read as text that `chain._canonical_time` rewrites by slicing: turning a million
# timestamps into datetimes and back was a third of the time of a verify. PostgreSQL formats
# it canonically itself; SQLite hands back the text Django stored (CAST drops the declared
# type that would make the driver parse it).
_TIME_AS_TEXT = {
    "postgresql": """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "sqlite": "CAST(at AS TEXT)",
}


def _rows(using: str, on_batch: Callable[[int], None] | None) -> Generator[tuple, None, None]:
    connection = connections[using]
    at = _TIME_AS_TEXT.get(connection.vendor, "at")
    columns = ", ".join(["prev_hash", "hash", *(at if name == "at" else name for name in CHAINED_FIELDS)])
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


@contextmanager
def chain_rows(*, using: str = "default", on_batch: Callable[[int], None] | None = None) -> Iterator[Iterator[tuple]]:
    """Rows of (prev_hash, hash, *CHAINED_FIELDS) in seq order, streamed in batches; `at` as text.

    Outside a transaction Django declares PostgreSQL's server-side cursor WITH HOLD, which
    makes the server copy the whole result before the first row arrives, so there the rows
    are read inside one. SQLite reads a consistent snapshot without one, and a transaction
    there would take the database's write lock for the whole walk.
    """
    in_transaction = transaction.atomic(using=using) if connections[using].vendor == "postgresql" else nullcontext()
    with in_transaction, closing(_rows(using, on_batch)) as rows:
        yield rows


def audit_verify(*, using: str = "default", on_batch: Callable[[int], None] | None = None) -> VerifyResult:
    """Walk the whole chain in seq order. Stops at, and names, the first broken event."""

    def known_hash(value: str) -> bool:
        return AuditEvent.objects.using(using).filter(hash=value).exists()

    with chain_rows(using=using, on_batch=on_batch) as rows:
        return verify_rows(rows, known_hashes=known_hash)


def audit_event_count(*, using: str = "default") -> int:
    return AuditEvent.objects.using(using).count()
