"""Benchmark 2: `audit verify` over a long chain, against merely fetching the same rows."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable

from django.db import connection, transaction

from clinicdesk.audit.models import AuditEvent
from clinicdesk.audit.verify import audit_verify, chain_rows, default_jobs

from .generate import LOAD_COLUMNS, audit_chain

TABLE = AuditEvent._meta.db_table
LOAD_BATCH = 20_000


def _sqlite_time(at) -> str:
    # Exactly what Django's SQLite backend stores for an aware datetime (naive UTC text).
    return str(at.replace(tzinfo=None))


def chain_load(count: int, *, staff: list[tuple[int, str, str]], advance: Callable[[int], None]) -> None:
    """Write a verifiable chain of `count` events into the real (empty) audit table.

    Only INSERTs: the append-only triggers refuse UPDATE and DELETE, not this.
    """
    if AuditEvent.objects.exists():
        raise RuntimeError("the audit table must be empty before the chain is loaded")
    columns = ", ".join(LOAD_COLUMNS)
    if connection.vendor == "postgresql":
        rows = audit_chain(count, staff=staff)
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
                for n, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if n % LOAD_BATCH == 0:
                        advance(LOAD_BATCH)
            advance(count % LOAD_BATCH)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")
        return
    rows = audit_chain(count, staff=staff, adapt_time=_sqlite_time)
    marks = ", ".join(["%s"] * len(LOAD_COLUMNS))
    sql = f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})"
    with transaction.atomic(), connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, LOAD_BATCH)):
            cursor.executemany(sql, batch)
            advance(len(batch))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _fetch_only(advance: Callable[[int], None]) -> int:
    """Pull the rows verify reads, through the same cursor and batches, and do nothing with them."""
    fetched = 0

    def on_batch(n: int) -> None:
        nonlocal fetched
        fetched += n
        advance(n)

    with chain_rows(on_batch=on_batch) as rows:
        deque(rows, maxlen=0)
    return fetched


def verify_bench(*, expected: int, rounds: int, progress) -> dict:
    """Best of `rounds` timings for fetch-only and for the full verify, alternated.

    Asserts that every verify finds the chain intact with exactly `expected` events, so a
    fast but wrong verify cannot produce a figure.
    """
    fetch_times: list[float] = []
    verify_times: list[float] = []
    single_times: list[float] = []
    jobs = default_jobs()
    for r in range(1, rounds + 1):
        task = progress.add_task(f"fetch only, round {r}/{rounds}", total=expected)
        started = time.perf_counter()
        fetched = _fetch_only(lambda n, task=task: progress.advance(task, n))
        fetch_times.append(time.perf_counter() - started)
        progress.remove_task(task)
        assert fetched == expected, f"fetched {fetched} rows, expected {expected}"

        for processes, times in ((1, single_times), (jobs, verify_times)):
            task = progress.add_task(f"audit verify, {processes} process(es), round {r}/{rounds}", total=expected)
            started = time.perf_counter()
            result = audit_verify(
                on_batch=lambda n, task=task: progress.advance(task, n), jobs=processes, parallel_min=0
            )
            times.append(time.perf_counter() - started)
            progress.remove_task(task)
            assert result.ok, f"verify found a break in the generated chain: {result.broken}"
            assert result.count == expected, f"verify counted {result.count} events, expected {expected}"
    return {
        "events": expected,
        "rounds": rounds,
        "fetch_seconds": min(fetch_times),
        "verify_seconds": min(verify_times),
        "jobs": jobs,
        "single_seconds": min(single_times),
        "all_fetch_seconds": fetch_times,
        "all_verify_seconds": verify_times,
    }
