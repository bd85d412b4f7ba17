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
from clinicdesk.audit.models import Action, AuditEvent, ObjectType
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
                object_type=ObjectType.PATIENT,
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


# --- A design probe: several chains instead of one (PostgreSQL only) ---------------------------
#
# One chain serialises every audited transaction on PostgreSQL from its lock to its commit. The
# design measured here keeps SHARDS chains side by side: a writer takes the first chain whose
# lock is free (starting from one its backend id picks, waiting only when every chain is busy),
# links to that chain's head and inserts. Each chain is gap-free and verifiable on its own, and
# an anchor would record every chain's head. It runs here on a copy of the audit table with a
# `chain` column, through a copy of the `audit_append` SQL function changed only in how it
# locks and where it reads the head; the application is not changed.

SHARDED_TABLE = "bench_sharded_auditevent"
SHARDS = 4
_SHARD_LOCK_BASE = 0x434C4443_4200


def sharded_table_create() -> None:
    """PostgreSQL only: SHARDED_TABLE holding the audit table's rows (as chain -1, so the indexes
    are as large as the real table's) and SHARDS empty chains for the writers."""
    import importlib

    append_sql = importlib.import_module("clinicdesk.audit.migrations.0003_append_function").CREATE
    columns = ", ".join([*CHAINED_FIELDS, "prev_hash", "hash"])
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {SHARDED_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING IDENTITY, chain smallint NOT NULL)"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {SHARDED_TABLE}_chain_seq ON {SHARDED_TABLE} (chain, seq)")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE '%%UNIQUE%%'", [TABLE]
        )
        for n, (definition,) in enumerate(cursor.fetchall()):
            definition = re.sub(
                r"INDEX \S+ ON \S+", f"INDEX {SHARDED_TABLE}_i{n} ON public.{SHARDED_TABLE}", definition
            )
            cursor.execute(definition)
        cursor.execute(f"INSERT INTO {SHARDED_TABLE} ({columns}, chain) SELECT {columns}, -1 FROM {TABLE}")
        cursor.execute(f"ANALYZE {SHARDED_TABLE}")
        lock = "    PERFORM pg_advisory_xact_lock(lock_key);\n"
        head = "FROM audit_auditevent e ORDER BY e.seq DESC LIMIT 1;"
        assert lock in append_sql and head in append_sql, "the append function changed: update the probe"
        chooser = (
            "    FOR i IN 0 .. n_chains - 1 LOOP\n"
            "        IF pg_try_advisory_xact_lock(lock_key + (pg_backend_pid() + i) % n_chains) THEN\n"
            "            v_chain := (pg_backend_pid() + i) % n_chains;\n"
            "            EXIT;\n"
            "        END IF;\n"
            "    END LOOP;\n"
            "    IF v_chain IS NULL THEN  -- every chain busy: wait for this backend's own\n"
            "        v_chain := pg_backend_pid() % n_chains;\n"
            "        PERFORM pg_advisory_xact_lock(lock_key + v_chain);\n"
            "    END IF;\n"
        )
        probe = (
            append_sql.replace(
                "FUNCTION audit_append(lock_key bigint,", "FUNCTION bench_sharded_append(n_chains int, lock_key bigint,"
            )
            .replace("DECLARE\n", "DECLARE\n    v_chain int;\n", 1)
            .replace(lock, chooser)
            .replace(head, f"FROM {SHARDED_TABLE} e WHERE e.chain = v_chain ORDER BY e.seq DESC LIMIT 1;")
            .replace("INSERT INTO audit_auditevent (", f"INSERT INTO {SHARDED_TABLE} (chain, ")
            .replace("VALUES (v_seq,", "VALUES (v_chain, v_seq,")
            .replace("RETURNING audit_auditevent.id", f"RETURNING {SHARDED_TABLE}.id")
        )
        cursor.execute(probe)


def sharded_check() -> dict[int, int]:
    """Events per chain, after checking every chain is gap-free and linked (raises if not)."""
    counts: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT chain, count(*), max(seq) - min(seq) + 1, "
            f"count(*) FILTER (WHERE prev_hash <> prev_in_chain) FROM ("
            f"  SELECT chain, seq, prev_hash, lag(hash) OVER (PARTITION BY chain ORDER BY seq) AS prev_in_chain"
            f"  FROM {SHARDED_TABLE} WHERE chain >= 0) linked GROUP BY chain ORDER BY chain"
        )
        for chain, count, span, broken in cursor.fetchall():
            if span != count or broken:
                raise RuntimeError(f"chain {chain}: {count} events over {span} seqs, {broken} broken links")
            counts[chain] = count
    return counts


def _sharded_writer(actor, writer: int, run: int):
    texts = [actor.username, actor.role, "read", "patient", "", "", "treatment", "success", "", "", "", ""]
    sql = f"SELECT id FROM bench_sharded_append(%s, %s, %s, {', '.join(['%s'] * len(texts))})"

    def append(i: int, patient: str) -> None:
        values = list(texts)
        values[4] = values[5] = patient  # object_id, patient_id
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [SHARDS, _SHARD_LOCK_BASE, actor.pk, *values])
            cursor.fetchone()

    return append


WRITERS["sharded"] = _sharded_writer
