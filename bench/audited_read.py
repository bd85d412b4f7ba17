"""Benchmark 3: what auditing adds to reading one PHI row.

There is no patient model yet, so a staff account (`accounts.User`, fetched by its public id)
stands in for the patient row. The unaudited read is the bare fetch; the audited read is what
`access_patient` will do: the same fetch and `audit_record(action="read")` in one transaction.
The two are interleaved so that drift (cache, checkpoints, autovacuum) hits both alike.
"""

from __future__ import annotations

import random
import statistics
import time

from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record

WARMUP = 100


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def read_bench(*, iterations: int, actor: User, public_ids: list, progress) -> dict:
    rng = random.Random(7)

    def unaudited(public_id) -> None:
        User.objects.get(public_id=public_id)

    def audited(public_id) -> None:
        with transaction.atomic():
            row = User.objects.get(public_id=public_id)
            audit_record(
                actor=actor,
                action=Action.READ,
                object_type=ObjectType.PATIENT,
                object_id=str(row.public_id),
                patient_id=str(row.public_id),
                reason="treatment",
            )

    for _ in range(WARMUP):
        unaudited(rng.choice(public_ids))
        audited(rng.choice(public_ids))
    plain_ms: list[float] = []
    audited_ms: list[float] = []
    task = progress.add_task("audited vs unaudited reads", total=iterations)
    clock = time.perf_counter_ns
    for i in range(iterations):
        public_id = rng.choice(public_ids)
        # Alternate which goes first, so neither always runs on the other's warm cache.
        pair = (unaudited, audited) if i % 2 == 0 else (audited, unaudited)
        for fn in pair:
            started = clock()
            fn(public_id)
            (plain_ms if fn is unaudited else audited_ms).append((clock() - started) / 1e6)
        progress.advance(task)
    progress.remove_task(task)
    return {
        "iterations": iterations,
        "unaudited_median_ms": statistics.median(plain_ms),
        "audited_median_ms": statistics.median(audited_ms),
        "unaudited_p95_ms": _percentile(plain_ms, 0.95),
        "audited_p95_ms": _percentile(audited_ms, 0.95),
    }
