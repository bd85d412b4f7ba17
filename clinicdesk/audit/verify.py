"""Reading the chain back out of the database and checking it, on several cores if there are."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, contextmanager, nullcontext

from django.db import connections, transaction

from .chain import CHAINED_FIELDS, GENESIS, VerifyResult, missing_break, verify_rows
from .models import AuditEvent

BATCH = 20_000
TABLE = AuditEvent._meta.db_table
# Below this many events one process is quicker than starting several.
PARALLEL_MIN = 200_000
CHUNK = 100_000

# `at` is read as text that `chain._canonical_time` rewrites by slicing: turning a million
# timestamps into datetimes and back was a third of the time of a verify. PostgreSQL formats
# it canonically itself; SQLite hands back the text Django stored (CAST drops the declared
# type that would make the driver parse it).
_TIME_AS_TEXT = {
    "postgresql": """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')""",
    "sqlite": "CAST(at AS TEXT)",
}


def _rows(
    using: str, on_batch: Callable[[int], None] | None, start: int | None = None, end: int | None = None
) -> Generator[tuple, None, None]:
    connection = connections[using]
    at = _TIME_AS_TEXT.get(connection.vendor, "at")
    columns = ", ".join(["prev_hash", "hash", *(at if name == "at" else name for name in CHAINED_FIELDS)])
    where, params = ("WHERE seq >= %s AND seq < %s", [start, end]) if start is not None else ("", [])
    # A server-side cursor on PostgreSQL keeps memory flat over millions of rows.
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {TABLE} {where} ORDER BY seq", params)  # noqa: S608  (constant names)
        while True:
            batch = cursor.fetchmany(BATCH)
            if not batch:
                return
            yield from batch
            if on_batch:
                on_batch(len(batch))


@contextmanager
def chain_rows(
    *,
    using: str = "default",
    on_batch: Callable[[int], None] | None = None,
    start: int | None = None,
    end: int | None = None,
) -> Iterator[Iterator[tuple]]:
    """Rows of (prev_hash, hash, *CHAINED_FIELDS) in seq order, streamed in batches; `at` as text.

    With `start` and `end`, only events with start <= seq < end. Outside a transaction Django
    declares PostgreSQL's server-side cursor WITH HOLD, which makes the server copy the whole
    result before the first row arrives, so there the rows are read inside one. SQLite reads a
    consistent snapshot without one, and a transaction there would take the database's write
    lock for the whole walk.
    """
    in_transaction = transaction.atomic(using=using) if connections[using].vendor == "postgresql" else nullcontext()
    with in_transaction, closing(_rows(using, on_batch, start, end)) as rows:
        yield rows


def _verify_range(using: str, start: int, end: int, on_batch: Callable[[int], None] | None = None) -> VerifyResult:
    """Verify events start <= seq < end, linking the first to the stored hash of start - 1."""
    events = AuditEvent.objects.using(using)
    if start == 1:
        start_prev: str | None = GENESIS
    else:
        start_prev = events.filter(seq=start - 1).values_list("hash", flat=True).first()

    def known_hash(value: str) -> bool:
        return events.filter(hash=value).exists()

    with chain_rows(using=using, on_batch=on_batch, start=start, end=end) as rows:
        return verify_rows(rows, known_hashes=known_hash, first_seq=start, start_prev=start_prev, end_seq=end)


# Shared by the worker processes (set by the pool's initializer): the lowest seq at which any
# part found a break, 0 while none has. A part starting after it returns at once instead of
# checking events that can no longer be the first break; parts before it still run in full.
_first_break = None


def _init_worker(first_break) -> None:
    global _first_break
    _first_break = first_break


def _verify_part(args: tuple[str, int, int]) -> VerifyResult | None:
    start = args[1]
    if _first_break is not None and 0 < _first_break.value < start:
        return None
    result = _verify_range(*args)
    if result.broken is not None and _first_break is not None:
        with _first_break.get_lock():
            if _first_break.value == 0 or result.broken.seq < _first_break.value:
                _first_break.value = result.broken.seq
    return result


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def audit_verify(
    *,
    using: str = "default",
    on_batch: Callable[[int], None] | None = None,
    jobs: int = 1,
    chunk: int = CHUNK,
    parallel_min: int = PARALLEL_MIN,
) -> VerifyResult:
    """Walk the whole chain in seq order. Stops at, and names, the first broken event.

    With `jobs` > 1 and a long chain, consecutive parts of `chunk` events are checked by
    separate processes (each with its own connection) and the first break in seq order wins.
    Each part checks its link to the part before and that no event is missing from its end,
    so the parts together check exactly what one walk would.
    """
    aggregate = AuditEvent.objects.using(using).order_by().values_list("seq", flat=True)
    last = aggregate.order_by("-seq").first()
    if last is None:
        return VerifyResult(0, 0, None)
    end = last + 1
    if jobs <= 1 or last < parallel_min:
        return _verify_range(using, 1, end, on_batch)

    parts = [(using, start, min(start + chunk, end)) for start in range(1, end, chunk)]
    # Child processes must not share the parent's open connections; they open their own.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    first_break = context.Value("q", 0)
    count, head = 0, GENESIS
    # close() and join(), never terminate(): killing workers mid-task can leave the pool's
    # queue lock held and hang the parent.
    pool = context.Pool(processes=jobs, initializer=_init_worker, initargs=(first_break,))
    try:
        for result in pool.imap(_verify_part, parts):
            if result is None:
                continue  # starts after a break, which an earlier part in this order reports
            if result.broken is not None:
                broken = result.broken
                if broken.kind == "deleted":
                    # A gap at the end of a part may run on into the next part: name all of it.
                    after = AuditEvent.objects.using(using).filter(seq__gt=broken.seq).order_by("seq")
                    next_present = after.values_list("seq", flat=True).first() or end
                    broken = missing_break(broken.seq, next_present)
                return VerifyResult(count + result.count, result.last_seq, broken)
            count += result.count
            head = result.head_hash
            if on_batch:
                on_batch(result.count)
    finally:
        pool.close()
        pool.join()
    return VerifyResult(count, last, None, head)


def audit_event_count(*, using: str = "default") -> int:
    return AuditEvent.objects.using(using).count()
