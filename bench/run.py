"""One database's part of `make bench`, run by `bench/__main__.py` in its own process.

The parent sets DATABASE_URL (a fresh SQLite file under bench/data/, or the `cd_bench`
PostgreSQL database) and CLINICDESK_VAR_DIR, and reads the JSON written to --out.
Order matters: the chain is loaded first so that verify sees exactly --events events;
appends and audited reads then extend that same chain, and a final untimed verify checks
that none of them, concurrent writers included, forked or broke it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--verify-rounds", type=int, default=2)
    parser.add_argument("--append-seconds", type=float, required=True)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--reads", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from clinicdesk.accounts.models import User
    from clinicdesk.audit.models import AuditEvent
    from clinicdesk.audit.verify import audit_verify

    from . import generate
    from .audit_append import WARMUP_EVENTS, append_run, plain_table_create, sharded_check, sharded_table_create
    from .audit_verify import chain_load, verify_bench
    from .audited_read import WARMUP as READ_WARMUP
    from .audited_read import read_bench

    console = Console()
    database = connection.vendor
    console.rule(f"[bold]{database}")

    def progress() -> Progress:
        return Progress(
            TextColumn(f"[cyan]{database}[/] {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    console.log(f"migrated in {time.perf_counter() - started:.1f} s")

    rng = random.Random(generate.SEED)
    User.objects.bulk_create([User(password="!", **fields) for fields in generate.bench_staff(rng)])
    stand_ins = generate.bench_patient_ids(random.Random(generate.SEED + 1))
    User.objects.bulk_create(
        [User(username=f"bench-patient-{i:05d}", password="!", role="", public_id=p) for i, p in enumerate(stand_ins)]
    )
    staff = list(
        User.objects.filter(username__startswith="bench-staff-").order_by("id").values_list("id", "username", "role")
    )

    with progress() as bar:
        task = bar.add_task(f"generate and load a chain of {args.events:,} events", total=args.events)
        started = time.perf_counter()
        chain_load(args.events, staff=staff, advance=lambda n: bar.advance(task, n))
        load_seconds = time.perf_counter() - started
    console.log(f"chain of {args.events:,} events generated and loaded in {load_seconds:.1f} s")
    plain_table_create()
    if database == "postgresql":
        sharded_table_create()  # the several-chains design, measured beside the one chain

    with progress() as bar:
        verify = verify_bench(expected=args.events, rounds=args.verify_rounds, progress=bar)
    verify["load_seconds"] = load_seconds
    console.log(
        f"verify {args.events / verify['verify_seconds']:,.0f} events/s, "
        f"fetch only {args.events / verify['fetch_seconds']:,.0f} rows/s"
    )

    appends = []
    kinds = ("plain", "orm", "chained", "sharded") if database == "postgresql" else ("plain", "orm", "chained")
    for run, (writers, kind) in enumerate((w, k) for w in args.writers for k in kinds):
        console.log(f"{kind} appends, {writers} writer(s), {args.append_seconds:g} s ...")
        result = append_run(kind, writers=writers, seconds=args.append_seconds, run=run, patients=stand_ins)
        console.log(f"  {result['per_second']:,.0f} events/s ({result['events']:,} events)")
        appends.append(result)

    if database == "postgresql":
        console.log(f"several-chains design: every chain gap-free and linked, events per chain {sharded_check()}")

    actor = User.objects.get(username="bench-staff-00")
    with progress() as bar:
        reads = read_bench(iterations=args.reads, actor=actor, public_ids=stand_ins, progress=bar)
    console.log(f"read median {reads['unaudited_median_ms']:.3f} ms, audited {reads['audited_median_ms']:.3f} ms")

    chained = [a for a in appends if a["kind"] == "chained"]
    expected = args.events + sum(a["events"] + WARMUP_EVENTS * a["writers"] for a in chained) + READ_WARMUP + args.reads
    with progress() as bar:
        task = bar.add_task("final check: the whole chain still verifies", total=expected)
        final = audit_verify(on_batch=lambda n: bar.advance(task, n))
    head = AuditEvent.objects.order_by("-seq").values_list("hash", flat=True).first()
    if not final.ok or final.count != expected or final.last_seq != expected or final.head_hash != head:
        console.print(f"[bold red]After the benchmarks the chain should hold {expected} intact events: {final}")
        sys.exit(1)
    console.log(f"final check: chain intact, {final.count:,} events")

    with open(args.out, "w") as fh:
        json.dump(
            {"database": database, "verify": verify, "appends": appends, "reads": reads, "final_count": final.count},
            fh,
            indent=1,
        )


if __name__ == "__main__":
    main()
