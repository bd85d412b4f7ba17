"""One database's patient benchmarks, run by `bench/__main__.py` in its own process.

Order: migrate, write the seeded CSV, import it with the real importer (timed; peak RSS of
this process is read right after, so it is the import's), VACUUM ANALYZE, then search latency over
what was imported, then registrations through the registration page.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, required=True)
    parser.add_argument("--searches", type=int, required=True)
    parser.add_argument("--registrations", type=int, required=True)
    parser.add_argument("--csv", type=Path, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import patients

    console = Console()
    database = connection.vendor
    console.rule(f"[bold]{database}: patients")
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    console.log(f"migrated in {time.perf_counter() - started:.1f} s")

    if not args.csv.exists():
        started = time.perf_counter()
        patients.csv_write(args.csv, args.patients)
        console.log(f"wrote {args.patients:,} seeded patients to {args.csv} in {time.perf_counter() - started:.1f} s")

    with Progress(
        TextColumn(f"[cyan]{database}[/] {{task.description}}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task(f"import {args.patients:,} patients", total=args.patients)
        imported = patients.import_bench(
            args.csv, args.csv.with_suffix(".rejects.csv"), args.patients, lambda n: bar.advance(task, n)
        )
    console.log(
        f"import {imported['per_second']:,.0f} rows/s ({imported['seconds']:.1f} s), peak RSS {imported['peak_mb']:.0f} MB"
    )
    checked = patients.check_bench(args.csv)
    imported["check_only_per_second"] = checked["per_second"]
    console.log(f"read and check only, one process: {checked['per_second']:,.0f} rows/s")
    # Written after each stage too, so a later failure does not lose the figures already measured.
    figures: dict = {"database": database, "patients": args.patients, "import": imported}
    Path(args.out).write_text(json.dumps(figures, indent=1))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # What a settled database looks like: statistics, and on PostgreSQL the visibility map
        # that index-only scans need (autovacuum would set it; this server may have it off).
        cursor.execute("VACUUM ANALYZE" if database == "postgresql" else "ANALYZE")
    analyze_seconds = time.perf_counter() - started

    rng = random.Random(patients.SEED + 2)
    per_kind = patients.queries(args.searches, rng)
    searches = patients.search_bench(per_kind)
    for kind, s in searches.items():
        console.log(f"{kind}: p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms")
    figures.update(analyze_seconds=analyze_seconds, search=searches)
    Path(args.out).write_text(json.dumps(figures, indent=1))

    registrations = patients.registration_bench(args.registrations, first_phone=args.patients + 1000, rng=rng)
    console.log(f"registration p50 {registrations['p50_ms']:.1f} ms, p95 {registrations['p95_ms']:.1f} ms")

    figures["registration"] = registrations
    Path(args.out).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
