"""One database's home page benchmark, run by `bench/__main__.py` in its own process.

The demo practice (`clinicdesk demo`: 2,000 patients, two clinics, five providers, three months
of appointments either side of today, 1,500 encounters) is loaded as of 10:30 on a Wednesday in
the practice's zone, and the clock then runs on from there, so today's board holds patients in
every state. A week of record reads is appended to the audit trail (8,000 reads by the demo
staff in working hours, about 15 an hour each, with one busy hour and some evening reads), so the privacy officer's anomaly rules have
something to look through.

Then, with Django's test Client signed in as each demo role: GET / (every panel of the role,
built on the server) and GET of each of the role's panel routes (what the page's refresh asks
for), p50/p95 server time and queries per request after 10 warm-up requests. Baselines measured
in the same run: the biller's home page (the same page with no panels: session, navigation,
template) and a raw SQL count of today's appointments at a location.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

ROLES = {"luis": "Front desk", "sam": "Nurse / MA", "okafor": "Clinician", "dana": "Office manager",
         "audra": "Auditor"}  # fmt: skip
BASELINE_USER = "priya"  # the biller: the home page without panels
TARGET_MS = 100.0
WEEK_OF_READS = 8_000


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _moment():
    """10:30 on this week's Wednesday in the practice's zone (a weekday morning, whatever the day of the run)."""
    from clinicdesk.core import clock

    local = clock.local_now()
    wednesday = local.date() - timedelta(days=local.weekday() - 2)
    return datetime.combine(wednesday, clock_time(10, 30), local.tzinfo)


def _week_of_reads(now: datetime) -> int:
    """WEEK_OF_READS patient reads by the demo staff over the 7 days before `now`, in working hours
    mostly, plus one person's busy hour (45 patients) and a few evening reads. Written through
    `audit_record` (the real chain), in one transaction."""
    from django.db import transaction

    from clinicdesk.accounts.models import User
    from clinicdesk.audit.models import Action, ObjectType
    from clinicdesk.audit.services import audit_record
    from clinicdesk.core import clock
    from clinicdesk.patients.models import Patient

    rng = random.Random(20261207)  # noqa: S311 (reproducible benchmark data)
    now = now.astimezone(clock.zone_named(None))  # working hours are the practice's
    staff = list(User.objects.filter(username__in=["luis", "sam", "okafor", "dana", "lee", "nguyen", "garcia"]))
    mrns = list(Patient.objects.values_list("mrn", flat=True)[:2000])
    moments = []
    for _ in range(WEEK_OF_READS):
        day = now.date() - timedelta(days=rng.randrange(7))
        minute = rng.randrange(7 * 60, 18 * 60) if rng.random() < 0.98 else rng.randrange(19 * 60, 23 * 60)
        at = datetime.combine(day, clock_time(minute // 60, minute % 60, rng.randrange(60)), now.tzinfo)
        if at < now:
            moments.append((at, rng.choice(staff), rng.choice(mrns)))
    busy = datetime.combine(now.date() - timedelta(days=2), clock_time(14), now.tzinfo)
    moments += [(busy + timedelta(seconds=70 * n), staff[0], mrns[n]) for n in range(45)]
    moments.sort(key=lambda item: item[0])
    with clock.frozen(moments[0][0]) as frozen, transaction.atomic():
        for at, person, mrn in moments:
            frozen.set(at)
            audit_record(
                actor=person, action=Action.READ, object_type=ObjectType.PATIENT, object_id=mrn, patient_id=mrn
            )
    return len(moments)


def _timed(client, url: str, rounds: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries = [], set()
    for i in range(-10, rounds):
        # The log keeps the last 9,000 queries only; a full log would make the count below wrong.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - began
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
        if i >= 0:
            times.append(elapsed * 1000)
            queries.add(len(captured.captured_queries))
    return {"n": len(times), "p50_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95),
            "queries": sorted(queries)}  # fmt: skip


def _raw_count(rounds: int) -> dict:
    """The baseline: one raw SQL count of today's appointments at the first location."""
    from django.db import connection

    from clinicdesk.core import clock
    from clinicdesk.scheduling import selectors_calendar as cal

    location = cal.active_locations().first()
    zone = cal.zone_of(location)
    start, end = cal.day_bounds(clock.now().astimezone(zone).date(), zone)
    times = []
    with connection.cursor() as cursor:
        for i in range(-10, rounds):
            began = time.perf_counter()
            cursor.execute(
                "SELECT COUNT(*) FROM scheduling_appointment WHERE location_id = %s AND starts_at >= %s "
                "AND starts_at < %s AND status <> 'cancelled'",
                [location.pk, start, end],
            )
            cursor.fetchone()
            if i >= 0:
                times.append((time.perf_counter() - began) * 1000)
    return {"n": len(times), "p50_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95), "queries": [1]}


def home_bench(rounds: int) -> dict:
    from django.test import Client
    from django.urls import reverse

    from clinicdesk.accounts.models import User
    from clinicdesk.core import home

    out: dict[str, dict] = {}
    for username in [*ROLES, BASELINE_USER]:
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        result = {"page": _timed(client, "/", rounds), "panels": {}}
        for panel in home.panels_for(user.role):
            result["panels"][panel.title] = _timed(client, reverse(panel.url_name), rounds)
        out[username] = result
    out["raw"] = {"page": _raw_count(rounds), "panels": {}}
    return out


def home_table(results: dict[str, dict]):
    from .report import Table

    table = Table(
        "Home page per role: server time (ms) and queries, demo practice",
        ["Database", "Role", "Request", "Requests", "p50", "p95", f"Target p95 ≤ {TARGET_MS:g} ms",
         "Queries per request", "p95 ratio to the page without panels"],
    )  # fmt: skip
    for name, result in results.items():
        runs = result["home"]
        base = runs[BASELINE_USER]["page"]["p95_ms"]
        for username, label in [*ROLES.items(), (BASELINE_USER, "Biller (no panels: baseline)")]:
            rows = [("GET / (all panels)", runs[username]["page"])]
            rows += [(f"panel: {title}", figures) for title, figures in runs[username]["panels"].items()]
            for request, f in rows:
                constant = len(f["queries"]) == 1
                table.rows.append([
                    name, label, request, str(f["n"]), f"{f['p50_ms']:.1f}", f"{f['p95_ms']:.1f}",
                    ("yes" if f["p95_ms"] <= TARGET_MS else "**no**") if request.startswith("GET /") else "",
                    ", ".join(map(str, f["queries"])) + ("" if constant else " (**not constant**)"),
                    f"{f['p95_ms'] / base:.2f}",
                ])  # fmt: skip
        raw = runs["raw"]["page"]
        table.rows.append([name, "—", "raw SQL count of today at a location", str(raw["n"]), f"{raw['p50_ms']:.2f}",
                           f"{raw['p95_ms']:.2f}", "", "1", f"{raw['p95_ms'] / base:.2f}"])  # fmt: skip
    facts = results[next(iter(results))]
    table.notes = [
        "Django's test Client in the benchmark process, 10 warm-up requests first. The demo practice "
        f"({facts['appointments']:,} appointments, {facts['encounters']:,} encounters, {facts['audit_events']:,} "
        "audit events including a week of record reads) is loaded as of 10:30 on a Wednesday, practice time, "
        "and the clock runs on from there. GET / builds every panel of the role on the server; each panel "
        "route is what the page's refresh asks for. Baselines: the biller's home page (the same page with no "
        "panels) and a raw SQL count of today's appointments at one location.",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    os.environ.setdefault("CLINICDESK_DEMO", "1")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console

    from clinicdesk.audit.models import AuditEvent
    from clinicdesk.clinical.models import Encounter
    from clinicdesk.core import clock
    from clinicdesk.scheduling.models import Appointment

    console = Console()
    console.rule(f"[bold]{connection.vendor}: home page")
    call_command("migrate", verbosity=0, interactive=False)
    moment = _moment()
    with clock.starting_at(moment):
        began = time.perf_counter()
        call_command("demo", quiet=True)
        reads = _week_of_reads(clock.now())
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        console.log(
            f"demo practice as of {moment:%a %Y-%m-%d %H:%M} and {reads:,} reads in {time.perf_counter() - began:.0f} s"
        )
        gc.collect()
        gc.freeze()
        runs = home_bench(args.rounds)
    for username, result in runs.items():
        figures = result["page"]
        console.log(f"{username}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                    f"queries {figures['queries']}")  # fmt: skip
    Path(args.out).write_text(
        json.dumps(
            {
                "database": connection.vendor,
                "home": runs,
                "appointments": Appointment.objects.count(),
                "encounters": Encounter.objects.count(),
                "audit_events": AuditEvent.objects.count(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
