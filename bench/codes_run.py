"""One database's ICD-10-CM benchmarks, run by `bench/__main__.py` in its own process.

Order: migrate; load the whole packaged code set (timed), then load it again (timed: the
idempotent re-run that changes nothing). Then, timed: `--searches` as-you-type searches
(`icd10_search`, the selector the API and the typeahead call): realistic queries typed
letter by letter (words, and codes dotted and undotted), a third of them billable-only, in a
seeded random order after a warm-up. Baseline, interleaved with the searches: one code read by
primary key (`IcdCode.objects.get(pk=…)`), the cheapest indexed read there is.

`codes_table(results)` turns the figures of both databases into the results table.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from pathlib import Path

TARGET_P95_MS = 30.0

# What people type when they look a diagnosis up: words (prefixes, any order) and codes.
QUERIES = (
    "diab mell typ 2", "type 2 diabetes with hyperglycemia", "fracture femur", "displaced fracture right femur",
    "essential hypertension", "chronic kidney disease stage 3", "low back pain", "acute bronchitis",
    "major depressive disorder recurrent", "asthma moderate persistent", "urinary tract infection",
    "hyperlipidemia", "otitis media", "copd exacerbation", "atrial fibrillation", "migraine without aura",
    "pneumonia unspecified organism", "sprain ankle left", "generalized anxiety", "obesity bmi",
    "E11.9", "E119", "I10", "S72.001A", "J45.909", "M54.5", "Z00.00", "F32.A", "N18.3",
)  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": _percentile(ms, 0.95), "max_ms": max(ms)}


def typed_prefixes() -> list[str]:
    """Every prefix of every query as typed, letter by letter (a trailing space adds nothing)."""
    return [q[:n] for q in QUERIES for n in range(1, len(q) + 1) if not q[:n].endswith(" ")]


def search_bench(searches: int, rng: random.Random) -> dict:
    from clinicdesk.codes.models import IcdCode
    from clinicdesk.codes.selectors import icd10_search

    prefixes = typed_prefixes()
    asked = [(rng.choice(prefixes), rng.random() < 1 / 3) for _ in range(searches + 20)]
    ids = list(IcdCode.objects.filter(active=True).values_list("id", flat=True))
    search_times, baseline_times, found, slowest = [], [], [], []
    for i, (text, billable_only) in enumerate(asked):
        began = time.perf_counter()
        result = icd10_search(text, billable_only=billable_only)
        elapsed = time.perf_counter() - began
        pk = rng.choice(ids)
        began = time.perf_counter()
        IcdCode.objects.get(pk=pk)
        baseline = time.perf_counter() - began
        if i >= 20:  # the first 20 warm the caches and the connection
            search_times.append(elapsed)
            baseline_times.append(baseline)
            found.append(len(result))
            slowest.append((elapsed * 1000, text, billable_only))
    slowest.sort(reverse=True)
    return {
        "search": _summary(search_times),
        "baseline": _summary(baseline_times),
        "mean_results": statistics.mean(found),
        "distinct_queries": len(set(asked[20:])),
        "slowest": [{"ms": ms, "q": q, "billable": b} for ms, q, b in slowest[:5]],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console

    from clinicdesk.codes.models import IcdCode, IcdWord
    from clinicdesk.codes.services import icd10_load
    from clinicdesk.codes.sources import package_entries, package_release

    console = Console()
    database = connection.vendor
    console.rule(f"[bold]{database}: ICD-10-CM codes")
    call_command("migrate", verbosity=0, interactive=False)
    began = time.perf_counter()
    entries, release = package_entries(), package_release()
    read_seconds = time.perf_counter() - began
    began = time.perf_counter()
    first = icd10_load(entries=entries, release=release)
    load_seconds = time.perf_counter() - began
    began = time.perf_counter()
    again = icd10_load(entries=entries, release=release)
    reload_seconds = time.perf_counter() - began
    if first.added != len(entries) or again.changed:
        raise SystemExit(f"unexpected load results: {first} then {again}")
    console.log(f"{first.added:,} codes read in {read_seconds:.1f} s, loaded in {load_seconds:.1f} s, "
                f"re-run (no change) {reload_seconds:.1f} s")  # fmt: skip
    gc.collect()
    gc.freeze()  # the loaded entries would not exist in a server worker
    figures = {
        "database": database,
        "release": release,
        "codes": IcdCode.objects.count(),
        "billable": IcdCode.objects.filter(billable=True).count(),
        "words": IcdWord.objects.count(),
        "read_seconds": read_seconds,
        "load_seconds": load_seconds,
        "reload_seconds": reload_seconds,
        **search_bench(args.searches, random.Random(2026)),  # noqa: S311
    }
    s, b = figures["search"], figures["baseline"]
    console.log(f"search p50 {s['p50_ms']:.2f} ms, p95 {s['p95_ms']:.2f} ms, max {s['max_ms']:.2f} ms; "
                f"pk read p50 {b['p50_ms']:.3f} ms")  # fmt: skip
    Path(args.out).write_text(json.dumps(figures, indent=1, default=str))


def codes_table(results: dict[str, dict]):
    from .report import Table

    table = Table(
        "ICD-10-CM search as you type (ms)",
        ["Database", "Codes (billable) / index rows", "Searches", "Search p50", "Search p95", "Search max",
         f"Target p95 ≤ {TARGET_P95_MS:.0f} ms", "PK read p50 (baseline)", "Ratio p50 search/PK read",
         "Load / re-run (s)"],
    )  # fmt: skip
    for name, r in results.items():
        s, b = r["search"], r["baseline"]
        table.rows.append([
            name, f"{r['codes']:,} ({r['billable']:,}) / {r['words']:,}", f"{s['n']} ({r['distinct_queries']} distinct)",
            f"{s['p50_ms']:.2f}", f"{s['p95_ms']:.2f}", f"{s['max_ms']:.2f}",
            "yes" if s["p95_ms"] <= TARGET_P95_MS else "**no**", f"{b['p50_ms']:.3f}",
            f"{s['p50_ms'] / b['p50_ms']:.1f}", f"{r['load_seconds']:.1f} / {r['reload_seconds']:.1f}",
        ])  # fmt: skip
    slowest = "; ".join(
        f"{name}: "
        + ", ".join(f"`{x['q']}`{' (billable)' if x['billable'] else ''} {x['ms']:.1f}" for x in r["slowest"][:3])
        for name, r in results.items()
    )
    table.notes = [
        f"Release {next(iter(results.values()))['release']} from simple-icd-10-cm, loaded whole by `icd10_load` "
        "(the `clinicdesk codes load-icd10` path) into a fresh database; the re-run loads the same set again and "
        "changes nothing. Search = `icd10_search(text, billable_only=…)` including reading the result rows, for "
        "prefixes of realistic queries typed letter by letter (words in any order, codes dotted and undotted), "
        "a third billable-only, seeded random order, after 20 warm-up searches. Baseline = "
        "`IcdCode.objects.get(pk=…)` of a random code, interleaved with the searches.",
        f"Slowest searches (ms): {slowest}.",
    ]
    return table


if __name__ == "__main__":
    main()
