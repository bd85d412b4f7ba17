"""Benchmark 1: appending to the audit chain, against plain INSERTs of the same rows.

Writers are separate processes, each with its own database connection, as gunicorn workers
would be; each event is its own transaction. The chained writer calls `audit_record` (advisory
lock on PostgreSQL, read of the chain head, hash, insert). The plain writer INSERTs the same
values into `bench_plain_auditevent`, a copy of the audit table with the same columns,
indexes, foreign key and the same rows already in it, but no chain: no lock, no read of
the previous row, no hash. A third writer saves the same event through the ORM into that
plain table: between it and the chained writer lies only the chain itself.
"""

from __future__ import annotations

import multiprocessing
import re
import time
import traceback

from django.db import connection, connections, transaction
from django.utils import timezone

from clinicdesk.audit.chain import CHAINED_FIELDS, GENESIS
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.audit.services import audit_record

TABLE = AuditEvent._meta.db_table
PLAIN_TABLE = "bench_plain_auditevent"
WARMUP_EVENTS = 20
# Plain rows need a unique seq without reading the table: each writer of each run counts
# from its own offset, far above the loaded chain.
PLAIN_SEQ_BASE = 10**12


def plain_table_create() -> None:
    """Copy the audit table's definition (not its triggers) and its rows into PLAIN_TABLE."""
    columns = ", ".join([*CHAINED_FIELDS, "prev_hash", "hash"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {PLAIN_TABLE} (LIKE {TABLE} INCLUDING ALL)")
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
                [TABLE],
            )
            for n, (definition,) in enumerate(cursor.fetchall()):
                cursor.execute(f"ALTER TABLE {PLAIN_TABLE} ADD CONSTRAINT {PLAIN_TABLE}_fk{n} {definition}")
        else:
            cursor.execute(
                "SELECT type, sql FROM sqlite_master WHERE tbl_name = %s AND type IN ('table', 'index') "
                "AND sql IS NOT NULL ORDER BY type DESC",
                [TABLE],
            )
            for _kind, sql in cursor.fetchall():
                sql = re.sub(r'^CREATE (UNIQUE )?INDEX "(\w+)"', rf'CREATE \1INDEX "{PLAIN_TABLE}_\2"', sql)
                cursor.execute(sql.replace(f'"{TABLE}"', f'"{PLAIN_TABLE}"'))
        cursor.execute(f"INSERT INTO {PLAIN_TABLE} ({columns}) SELECT {columns} FROM {TABLE}")
        cursor.execute(f"ANALYZE {PLAIN_TABLE}")


def _plain_writer(actor, writer: int, run: int):
    columns = [*CHAINED_FIELDS, "prev_hash", "hash"]
    sql = f"INSERT INTO {PLAIN_TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
    seq_base = PLAIN_SEQ_BASE + run * 10**9 + writer * 10**8
    placeholder_hash = "f" * 64
    adapt_time = connection.ops.adapt_datetimefield_value  # what the ORM does to `at`

    def append(i: int, patient: str) -> None:
        values = [
            seq_base + i,
            adapt_time(timezone.now()),
            actor.pk,
            actor.username,
            actor.role,
            "read",
            "patient",
            patient,
            patient,
            "treatment",
            "success",
            "",
            "",
            "",
            "",
            GENESIS,
            placeholder_hash,
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, values)

    return append


def _orm_writer(actor, writer: int, run: int):
    # Only in this forked writer process: the ORM saves audit events into the plain table,
    # which shows how much of the chained cost is the ORM rather than the chain.
    AuditEvent._meta.db_table = PLAIN_TABLE
    seq_base = PLAIN_SEQ_BASE + run * 10**9 + writer * 10**8

    def append(i: int, patient: str) -> None:
        with transaction.atomic():
            AuditEvent(
                seq=seq_base + i,
                at=timezone.now(),
                actor=actor,
                actor_username=actor.get_username(),
                actor_role=actor.role,
                action=Action.READ,
                object_type="patient",
                object_id=patient,
                patient_id=patient,
                reason="treatment",
                prev_hash=GENESIS,
                hash="f" * 64,
            ).save(force_insert=True)

    return append


def _chained_writer(actor, writer: int, run: int):
    def append(i: int, patient: str) -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=Action.READ,
                object_type="patient",
                object_id=patient,
                patient_id=patient,
                reason="treatment",
            )

    return append


WRITERS = {"plain": _plain_writer, "orm": _orm_writer, "chained": _chained_writer}


def _worker(kind: str, writer: int, run: int, seconds: float, patients: list[str], barrier, results) -> None:
    from clinicdesk.accounts.models import User

    try:
        actor = User.objects.get(username=f"bench-staff-{writer:02d}")
        append = WRITERS[kind](actor, writer, run)
        for i in range(WARMUP_EVENTS):
            append(i, patients[i % len(patients)])
        barrier.wait(timeout=120)
        started = time.perf_counter()
        deadline = started + seconds
        n = WARMUP_EVENTS
        while time.perf_counter() < deadline:
            append(n, patients[n % len(patients)])
            n += 1
        results.put((writer, n - WARMUP_EVENTS, started, time.perf_counter(), None))
    except BaseException:  # noqa: BLE001  (reported to the parent, which fails the run)
        results.put((writer, 0, 0.0, 0.0, traceback.format_exc()))
    finally:
        connections.close_all()


def append_run(kind: str, *, writers: int, seconds: float, run: int, patients: list[str]) -> dict:
    """Events per second of `writers` processes appending for `seconds`, after a warm-up.

    Throughput is all events counted over the span from the first writer's start to the last
    writer's end (perf_counter is the system-wide monotonic clock on Linux).
    """
    # Forked children must open their own connections, never share the parent's.
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(writers)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(kind, w, run, seconds, patients, barrier, results)) for w in range(writers)
    ]
    for p in procs:
        p.start()
    reports = [results.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    errors = [r[4] for r in reports if r[4]]
    if errors:
        raise RuntimeError(f"{kind} writer failed:\n" + "\n".join(errors))
    events = sum(r[1] for r in reports)
    elapsed = max(r[3] for r in reports) - min(r[2] for r in reports)
    return {"kind": kind, "writers": writers, "events": events, "seconds": elapsed, "per_second": events / elapsed}
