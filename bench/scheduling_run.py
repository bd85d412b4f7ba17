"""One database's scheduling benchmarks, run by `bench/__main__.py` in its own process.

Order: migrate; the seeded practice (bench/scheduling_data.py: 50 providers at 5 locations,
20 of them at the first); 300 appointments today at the first location in every flow state;
the next 90 days booked to 70 %; 10,000 appointments of history. Then, timed: slot search,
the day view (20 providers) and week view (one provider) with their query counts, the flow
board. Then the history grows to `--history` appointments and the same are timed again, so
the ratio says whether cost grows with history. Last, on PostgreSQL only, booking over HTTP:
16 clients against a real gunicorn server, 20 % of attempts aimed at a slot another client
also wants, against a raw SQL INSERT of the same rows.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": _percentile(ms, 0.95), "max_ms": max(ms)}


def _vacuum(database: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if database == "postgresql" else "ANALYZE")


def slot_bench(practice, today: date, searches: int, rng: random.Random) -> dict:
    """The next 10 slots for the visit type across all 50 providers within 90 days, for a patient."""
    from clinicdesk.patients.models import Patient
    from clinicdesk.scheduling.models import AppointmentType
    from clinicdesk.scheduling.slots import slot_search

    kind = AppointmentType.objects.get(pk=practice.type_id)
    now = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=13)
    times, found = [], []
    for i in range(-10, searches):
        start = today + timedelta(days=rng.randrange(0, 30))
        patient = Patient.objects.get(pk=rng.choice(practice.patient_ids))
        began = time.perf_counter()
        result = slot_search(
            appointment_type=kind, start_date=start, end_date=start + timedelta(days=89), patient=patient,
            limit=10, now=now,
        )  # fmt: skip
        elapsed = time.perf_counter() - began
        if i >= 0:
            times.append(elapsed)
            found.append(result.count)
    return {**_summary(times), "mean_slots": statistics.mean(found)}


def _client():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import Client

    from clinicdesk.accounts.models import User
    from clinicdesk.core.capabilities import Role

    user, made = User.objects.get_or_create(
        username="bench-desk", defaults={"role": Role.FRONT_DESK, "display_name": "Bench Desk"}
    )
    if made:
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user)
    return client


def page_bench(practice, today: date, rounds: int) -> dict:
    """Server time and query count of the day view (20 providers), week view (one provider), flow board."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinicdesk.scheduling.models import Location, Provider

    client = _client()
    main = Location.objects.get(pk=practice.location_ids[0])
    provider = Provider.objects.get(pk=practice.provider_ids[0])
    pages = {
        "day view, 20 providers": f"/scheduling/calendar/day/?location={main.public_id}&date={today.isoformat()}",
        "week view, 1 provider": (
            f"/scheduling/calendar/week/?location={main.public_id}&provider={provider.public_id}&date={today}"
        ),
        "flow board, 300 today": f"/scheduling/flow/board/?location={main.public_id}",
    }
    out = {}
    for name, url in pages.items():
        times, queries = [], set()
        for i in range(-5, rounds):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url, HTTP_HX_REQUEST="true" if "flow" in name else "")
                elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            if i >= 0:
                times.append(elapsed)
                queries.add(len(captured.captured_queries))
        out[name] = {**_summary(times), "queries": sorted(queries)}
    return out


# --- Booking over HTTP (PostgreSQL) -------------------------------------------------------------


WARM_UP = 96  # booking requests sent before the measured ones (6 a client)


def _free_slots(practice, first_day: date, wanted: int) -> list[tuple[int, datetime]]:
    """(provider, start) pairs on future days nobody has booked yet, Monday to Friday."""
    from zoneinfo import ZoneInfo

    import holidays

    from bench.scheduling_data import BUFFER, SLOTS_PER_DAY, VISIT

    zone = ZoneInfo("America/New_York")
    closed = holidays.country_holidays("US", subdiv="NY", years=range(first_day.year, first_day.year + 3))
    out, day = [], first_day
    while len(out) < wanted:
        if day.weekday() < 5 and day not in closed:
            for provider in practice.provider_ids:
                for slot in range(SLOTS_PER_DAY):
                    local = datetime.combine(day, datetime.min.time(), zone) + timedelta(
                        hours=8, minutes=slot * (VISIT + BUFFER)
                    )
                    out.append((provider, local.astimezone(UTC)))
        day += timedelta(days=1)
    return out[:wanted]


def http_booking_bench(
    practice,
    today: date,
    clients: int,
    attempts: int,
    port: int,
    *,
    workers: int = 4,
    threads: int = 1,
    first_day: int = 120,
    username: str = "bench-api",
) -> dict:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import connection

    from clinicdesk.accounts.models import User
    from clinicdesk.accounts.services import api_token_create
    from clinicdesk.core.capabilities import Role
    from clinicdesk.patients.models import Patient
    from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment, AppointmentType, Location, Provider

    desk = User.objects.create_user(username, password=None, role=Role.FRONT_DESK)
    # The API takes a token only from an owner enrolled in two-factor sign-in.
    TOTP.activate(desk, generate_totp_secret())
    token = api_token_create(actor=desk, name="bench", days=1)[1]
    kind = AppointmentType.objects.get(pk=practice.type_id)
    providers = {p.pk: p for p in Provider.objects.filter(pk__in=practice.provider_ids)}
    locations = {loc.pk: loc for loc in Location.objects.filter(pk__in=practice.location_ids)}
    mrns = dict(Patient.objects.filter(pk__in=practice.patient_ids[-attempts:]).values_list("pk", "mrn"))
    rng = random.Random(7)  # noqa: S311
    unique = int(attempts * 0.8)
    slots = _free_slots(practice, today + timedelta(days=first_day), unique)
    # 20 % of the attempts aim at a slot another attempt also wants.
    targets = slots + [rng.choice(slots) for _ in range(attempts - unique)]
    rng.shuffle(targets)
    patients = list(mrns.values())

    def body(i: int, provider: int, start: datetime) -> bytes:
        return json.dumps({
            "patient_mrn": patients[i % len(patients)], "provider": str(providers[provider].public_id),
            "location": str(locations[practice.provider_location[provider]].public_id),
            "appointment_type": str(kind.public_id), "starts_at": start.isoformat(),
        }).encode()  # fmt: skip

    bodies = [body(i, p, start) for i, (p, start) in enumerate(targets)]
    # Warm-up: the first requests of each server process pay one-time costs (lazy imports, the
    # URL resolver, the setup snapshot); these bookings, a month before the measured ones, are
    # sent and left out of every figure, as a server in use is warm.
    warm_up = [
        body(i, p, start)
        for i, (p, start) in enumerate(_free_slots(practice, today + timedelta(days=first_day - 30), WARM_UP))
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = open(Path(os.environ.get("CLINICDESK_VAR_DIR", ".")) / "bench-gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clinicdesk.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
         "--threads", str(threads), "--log-level", "warning"],
        env=env, cwd=Path(__file__).resolve().parents[1], stdout=log, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.3)
        results: list[tuple[int, float]] = []
        samples: list[str] = []  # a few refusals, to show what a colliding client reads
        lock = threading.Lock()
        queue: list[bytes] = []

        def worker():
            # One kept-alive connection per client, as a front-end proxy keeps to its app servers.
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            while True:
                with lock:
                    if not queue:
                        conn.close()
                        return
                    payload = queue.pop()
                began = time.perf_counter()
                conn.request("POST", "/api/v1/scheduling/appointments", body=payload, headers=headers)
                response = conn.getresponse()
                status, body = response.status, response.read()
                if status != 201 and len(samples) < 3:
                    samples.append(body.decode(errors="replace")[:300])
                with lock:
                    results.append((status, time.perf_counter() - began))

        def run(payloads: list[bytes]) -> None:
            queue[:] = reversed(payloads)
            threads = [threading.Thread(target=worker) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        run(warm_up)
        results.clear()
        samples.clear()
        machine_before, client_before, server_before = _machine_cpu(), _own_cpu(), _tree_cpu(server.pid)
        began = time.perf_counter()
        run(bodies)
        seconds = time.perf_counter() - began
        machine, client_cpu = _machine_cpu() - machine_before, _own_cpu() - client_before
        server_cpu = _tree_cpu(server.pid) - server_before
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    statuses: dict[int, int] = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    if set(statuses) - {201, 409}:
        raise SystemExit(f"unexpected answers: {statuses}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b "
            "ON a.provider_id = b.provider_id AND a.id < b.id AND a.block_start < b.block_end "
            "AND b.block_start < a.block_end AND NOT a.overbooked AND NOT b.overbooked "
            "WHERE a.status = ANY(%s) AND b.status = ANY(%s) AND a.starts_at >= %s",
            [list(HOLDING_STATUSES), list(HOLDING_STATUSES), slots[0][1]],
        )
        double = cursor.fetchone()[0]
    booked = Appointment.objects.filter(starts_at__gte=slots[0][1], created_by=desk).count()
    raw = _raw_insert_bench(practice, today + timedelta(days=first_day + 280), len(bodies))
    return {
        "clients": clients, "attempts": len(bodies), "seconds": seconds, "booked": booked,
        "refused": statuses.get(409, 0), "bookings_per_second": statuses.get(201, 0) / seconds,
        "attempts_per_second": len(bodies) / seconds, **_summary([t for _, t in results]),
        "double_bookings": double, "raw_inserts_per_second": raw, "refusal_samples": samples,
        # CPU ms per attempt while the clients ran: the app server (gunicorn's processes), the
        # clients (this process), and the rest of the machine (PostgreSQL, mostly).
        "cpu_ms_per_attempt": {
            "server": server_cpu * 1000 / len(bodies), "clients": client_cpu * 1000 / len(bodies),
            "rest": max(0.0, machine - server_cpu - client_cpu) * 1000 / len(bodies),
        },
    }  # fmt: skip


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _tree_cpu(pid: int) -> float:
    """CPU seconds used by process `pid` and its children (gunicorn's master and workers)."""
    total, ticks = 0, os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for each in [pid, *map(int, children)]:
        try:
            stat = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(stat[11]) + int(stat[12])  # utime, stime
    return total / ticks


def _machine_cpu() -> float:
    """CPU seconds all processes of the machine have used (user + nice + system), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (int(fields[0]) + int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def _raw_insert_bench(practice, first_day: date, count: int) -> float:
    """The same kind of rows as single-row INSERT ... commits on one connection: the database's own rate."""
    import uuid

    from django.db import connection

    from bench.scheduling_data import BUFFER, VISIT

    slots = _free_slots(practice, first_day, count)
    now = datetime.now(UTC)
    with connection.cursor() as cursor:
        began = time.perf_counter()
        for i, (provider, start) in enumerate(slots):
            cursor.execute(
                "INSERT INTO scheduling_appointment (public_id, patient_id, provider_id, location_id, room_id, "
                "appointment_type_id, starts_at, ends_at, block_start, block_end, reason, overbooked, status, "
                "confirmation, confirmation_method, cancel_reason, late_cancel, created_by_id, created_at, updated_at) "
                "VALUES (%s, %s, %s, %s, NULL, %s, %s, %s, %s, %s, '', false, 'scheduled', 'unconfirmed', '', '', "
                "false, %s, %s, %s)",
                [uuid.uuid4(), practice.patient_ids[i % len(practice.patient_ids)], provider,
                 practice.provider_location[provider], practice.type_id, start, start + timedelta(minutes=VISIT),
                 start, start + timedelta(minutes=VISIT + BUFFER), practice.creator_id, now, now],
            )  # fmt: skip
        seconds = time.perf_counter() - began
    return count / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--history", type=int, required=True)
    parser.add_argument("--searches", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--http-attempts", type=int, default=2000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from . import scheduling_data as data

    console = Console()
    database = connection.vendor
    console.rule(f"[bold]{database}: scheduling")
    call_command("migrate", verbosity=0, interactive=False)
    today = date.today()
    now = datetime.now(UTC)
    started = time.perf_counter()
    practice = data.practice_create(today)
    today_count = data.today_add(practice, day=today, now=now)
    future = data.future_add(practice, start=today + timedelta(days=1), days=90, fill=0.7)
    first_history = 10_000
    earliest = data.appointments_add(practice, past=first_history, before=today)
    _vacuum(database)
    console.log(f"practice, {today_count} today, {future:,} in the next 90 days, {first_history:,} past "
                f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    figures: dict = {"database": database, "today": today_count, "future": future, "runs": {}}
    rng = random.Random(data.SEED + 5)  # noqa: S311

    def measure(history: int) -> None:
        # The loader's objects (the practice, id lists) stay alive in this process but would not
        # exist in a server worker; frozen out of the garbage collector, its full passes over
        # them do not land inside the timed requests (they did: 3 of 30 day views took 3x longer).
        gc.collect()
        gc.freeze()
        slots = slot_bench(practice, today, args.searches, rng)
        console.log(f"history {history:,}: slot search p50 {slots['p50_ms']:.1f} ms, p95 {slots['p95_ms']:.1f} ms")
        pages = page_bench(practice, today, args.rounds)
        for name, page in pages.items():
            console.log(f"  {name}: p95 {page['p95_ms']:.1f} ms, queries {page['queries']}")
        figures["runs"][str(history)] = {"history": history, "slot_search": slots, "pages": pages}
        Path(args.out).write_text(json.dumps(figures, indent=1, default=str))

    measure(first_history)
    more = args.history - first_history
    with Progress(
        TextColumn(f"[cyan]{database}[/] history"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console,
    ) as bar:  # fmt: skip
        task = bar.add_task("history", total=more)
        began = time.perf_counter()
        data.appointments_add(
            practice, past=more, before=earliest, advance=lambda n: bar.advance(task, n), seed=data.SEED + 9
        )
    figures["history_load_seconds"] = time.perf_counter() - began
    _vacuum(database)
    measure(args.history)
    if database == "postgresql":
        http = http_booking_bench(practice, today, clients=16, attempts=args.http_attempts, port=args.port)
        console.log(
            f"HTTP booking: {http['bookings_per_second']:.0f} bookings/s, p95 {http['p95_ms']:.0f} ms, "
            f"{http['double_bookings']} double bookings; raw INSERT {http['raw_inserts_per_second']:.0f}/s"
        )
        figures["http_booking"] = http
    Path(args.out).write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
