"""Reproducible (seeded) data for the benchmarks.

The audit chain is computed here in Python with the application's own hashing
(`clinicdesk.audit.chain.event_hash`) and loaded with one bulk statement per batch
(executemany on SQLite, COPY on PostgreSQL), so a million events take seconds rather than
the hour that a million `audit_record` calls would. The result is a chain that
`audit_verify` accepts, indistinguishable from one written by the application.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from clinicdesk.audit.chain import CHAINED_FIELDS, GENESIS, event_hash

SEED = 20261127
STAFF_COUNT = 50
PATIENT_COUNT = 2_000
CHAIN_START = datetime(2025, 1, 6, 13, 0, tzinfo=UTC)

# Column order of a loaded row: the chained fields, then the two hashes.
LOAD_COLUMNS: tuple[str, ...] = (*CHAINED_FIELDS, "prev_hash", "hash")

_ROLES = ["front_desk", "clinician", "nurse", "biller", "office_manager"]
_USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "clinicdesk-api/1.0 python-httpx/0.28",
]
# (action, object_type, reason, changed_fields), weighted roughly as a practice's day looks.
_KINDS = [
    ("read", "patient", "treatment", ""),
    ("read", "patient", "treatment", ""),
    ("read", "patient", "treatment", ""),
    ("read", "appointment", "operations", ""),
    ("read", "note", "treatment", ""),
    ("read", "claim", "payment", ""),
    ("update", "patient", "", "address,phone"),
    ("update", "appointment", "", "start,status"),
    ("create", "appointment", "", ""),
    ("create", "note", "", ""),
    ("login", "session", "", ""),
    ("print", "patient", "treatment", ""),
]


def bench_staff(rng: random.Random) -> list[dict]:
    """Field values of the staff accounts that act in the generated chain."""
    return [
        {
            "username": f"bench-staff-{i:02d}",
            "role": _ROLES[i % len(_ROLES)],
            "public_id": uuid.UUID(int=rng.getrandbits(128), version=4),
        }
        for i in range(STAFF_COUNT)
    ]


def bench_patient_ids(rng: random.Random, count: int = PATIENT_COUNT) -> list[str]:
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(count)]


def audit_chain(
    count: int,
    *,
    staff: list[tuple[int, str, str]],
    seed: int = SEED,
    adapt_time: Callable[[datetime], object] = lambda at: at,
) -> Iterator[tuple]:
    """Yield `count` chained events in LOAD_COLUMNS order, starting from the genesis hash.

    `staff` is (id, username, role) of existing accounts. `adapt_time` turns the aware UTC
    time into what the database driver should receive (SQLite gets Django's naive text).
    About one event in a million has zero microseconds, which SQLite then stores without a
    fraction: verify has to cope with that, as it would with a real chain.
    """
    rng = random.Random(seed)
    patients = bench_patient_ids(rng)
    ips = [f"10.0.{rng.randrange(1, 8)}.{rng.randrange(2, 250)}" for _ in range(40)]
    prev = GENESIS
    at = CHAIN_START
    for seq in range(1, count + 1):
        at += timedelta(microseconds=rng.randrange(1, 3_000_000))
        actor_id, username, role = staff[rng.randrange(len(staff))]
        action, object_type, reason, changed = _KINDS[rng.randrange(len(_KINDS))]
        patient = patients[rng.randrange(len(patients))] if object_type != "session" else ""
        object_id = patient if object_type == "patient" else (f"{object_type[:3]}-{seq}" if patient else "")
        detail = "" if action != "print" else "face sheet"
        values = [
            seq,
            at,
            actor_id,
            username,
            role,
            action,
            object_type,
            object_id,
            patient,
            reason,
            "success",
            ips[rng.randrange(len(ips))],
            _USER_AGENTS[rng.randrange(len(_USER_AGENTS))],
            changed,
            detail,
        ]
        digest = event_hash(prev, values)
        values[1] = adapt_time(at)
        yield (*values, prev, digest)
        prev = digest
