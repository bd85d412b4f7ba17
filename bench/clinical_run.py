"""One database's clinical benchmarks, run by `bench/__main__.py` in its own process.

The chart page of a patient with 700 encounters (each with a signed note and vitals, plus
problems, medications, allergies and follow-ups) against the same page of a patient with 7, in
the same run: p50/p95 server time and queries per request. Django's test Client in this
process, signed in as a clinician, 10 warm-up requests first.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

BIG, SMALL = 700, 7


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _practice():
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from clinicdesk.accounts.models import User
    from clinicdesk.core.capabilities import Role
    from clinicdesk.scheduling.setup import (
        AppointmentTypeInput,
        HoursInput,
        LocationInput,
        ProviderInput,
        appointment_type_create,
        location_create,
        provider_create,
    )

    manager = User.objects.create_user("bench-manager", role=Role.OFFICE_MANAGER, display_name="Bench Manager")
    doctor = User.objects.create_user("bench-doctor", role=Role.CLINICIAN, display_name="Dr. Bench")
    TOTP.activate(doctor, generate_totp_secret())
    location = location_create(
        actor=manager,
        data=LocationInput(
            name="Bench Clinic", address_line1="1 Main St", city="Kingston", state="NY", zip_code="12401",
            time_zone="America/New_York", opening_hours=[HoursInput(weekday=d, opens=clock(8), closes=clock(17)) for d in range(5)],
        ),
    )  # fmt: skip
    provider = provider_create(
        actor=manager,
        data=ProviderInput(user=doctor, npi="1234567893", taxonomy_code="207Q00000X", specialty="Family medicine",
                           locations=[location]),
    )  # fmt: skip
    kind = appointment_type_create(
        actor=manager, data=AppointmentTypeInput(name="Follow-up", duration_minutes=20, providers=[provider])
    )
    return manager, doctor, location, provider, kind


def _patient(manager, first: str):
    from clinicdesk.patients.services import PatientInput, patient_register

    values = {"first_name": first, "last_name": "Chart", "date_of_birth": date(1958, 4, 2), "sex_at_birth": "F"}
    return patient_register(actor=manager, data=PatientInput(values=values, phones={"mobile": "(202) 555-0199"}))


def _history(patient, encounters: int, doctor, location, provider, kind) -> None:
    """`encounters` visits, one a week back from today, each with a signed note and vitals."""
    from clinicdesk.clinical.models import (
        Allergy,
        Encounter,
        Medication,
        Problem,
        Recall,
        VisitNote,
        Vitals,
    )

    today = date.today()
    rows = [
        Encounter(
            patient=patient, provider=provider, location=location, date_of_service=today - timedelta(weeks=n),
            reason="Follow-up of hypertension", unscheduled_reason="Imported history", opened_by=doctor,
            status="signed",
        )
        for n in range(encounters)
    ]  # fmt: skip
    Encounter.objects.bulk_create(rows, batch_size=500)
    saved = list(Encounter.objects.filter(patient=patient).order_by("pk"))
    signed_at = datetime.now(UTC)
    VisitNote.objects.bulk_create(
        [
            VisitNote(
                encounter=e, subjective="Feels well. No chest pain.", objective="Alert, in no distress.",
                assessment="Hypertension, controlled.", plan="Continue lisinopril. Recheck in 3 months.",
                status="signed", author=doctor, last_edited_by=doctor, signed_by=doctor, signed_at=signed_at,
                content_sha256=hashlib.sha256(str(e.public_id).encode()).hexdigest(),
            )
            for e in saved
        ],
        batch_size=500,
    )  # fmt: skip
    Vitals.objects.bulk_create(
        [
            Vitals(
                patient=patient, encounter=e, taken_by=doctor,
                taken_at=datetime.combine(e.date_of_service, clock(14), tzinfo=UTC),
                systolic=120 + n % 30, diastolic=75 + n % 15, pulse=70, weight_kg=Decimal("80.0") + n % 5,
                height_cm=Decimal("165.0"), bmi=Decimal("29.4"),
            )
            for n, e in enumerate(saved)
        ],
        batch_size=500,
    )  # fmt: skip
    Problem.objects.bulk_create(
        [Problem(patient=patient, code=f"I{10 + n}", description=f"Problem {n}", created_by=doctor) for n in range(25)]
    )
    Medication.objects.bulk_create(
        [Medication(patient=patient, name=f"Medicine {n}", strength="10 mg", form="tablet", created_by=doctor)
         for n in range(15)]
    )  # fmt: skip
    Allergy.objects.bulk_create(
        [Allergy(patient=patient, substance=s, reaction="Hives", created_by=doctor) for s in ("Penicillin", "Latex")]
    )
    Recall.objects.create(patient=patient, appointment_type=kind, due_on=today + timedelta(days=60),
                          reason="BP check", created_by=doctor)  # fmt: skip


def chart_bench(doctor, patients: dict[str, object], rounds: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(doctor)
    out = {}
    for name, patient in patients.items():
        url = f"/clinical/patients/{patient.mrn}/chart/"
        times, queries = [], set()
        for i in range(-10, rounds):
            with CaptureQueriesContext(connection) as captured:
                began = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
            if i >= 0:
                times.append(elapsed * 1000)
                queries.add(len(captured.captured_queries))
        out[name] = {
            "n": len(times), "p50_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95),
            "queries": sorted(queries),
        }  # fmt: skip
    return out


CHART_TARGET_MS = 200.0


def chart_table(results: dict[str, dict]):
    from .report import Table

    table = Table(
        "Clinical chart page: server time (ms) and queries",
        ["Database", "Patient", "Requests", "p50", "p95", f"Target p95 ≤ {CHART_TARGET_MS:g} ms",
         "Queries per request", "p95 ratio to 7 encounters"],
    )  # fmt: skip
    for name, result in results.items():
        charts = result["chart"]
        base = charts[f"{SMALL} encounters"]["p95_ms"]
        same_queries = len({q for c in charts.values() for q in c["queries"]}) == 1
        for patient, c in charts.items():
            table.rows.append([
                name, patient, str(c["n"]), f"{c['p50_ms']:.1f}", f"{c['p95_ms']:.1f}",
                "yes" if c["p95_ms"] <= CHART_TARGET_MS else "**no**",
                ", ".join(map(str, c["queries"])) + ("" if same_queries else " (**not constant**)"),
                f"{c['p95_ms'] / base:.2f}",
            ])  # fmt: skip
    table.notes = [
        f"GET /clinical/patients/<mrn>/chart/ with Django's test Client in the benchmark process, signed in as a "
        f"clinician, 10 warm-up requests first. The patient has {BIG} encounters (one a week back from today, each "
        "with a signed note and vitals), 25 problems, 15 medications, 2 allergies and a follow-up; the baseline is "
        f"the same page for a patient with {SMALL} encounters and the same lists, in the same run. The page shows "
        "the newest 25 encounters and links to older ones; queries per request must be the same for both.",
    ]
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rich.console import Console

    console = Console()
    console.rule(f"[bold]{connection.vendor}: clinical")
    call_command("migrate", verbosity=0, interactive=False)
    manager, doctor, location, provider, kind = _practice()
    big, small = _patient(manager, "Many"), _patient(manager, "Few")
    began = time.perf_counter()
    _history(big, BIG, doctor, location, provider, kind)
    _history(small, SMALL, doctor, location, provider, kind)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    console.log(f"{BIG} + {SMALL} encounters with signed notes and vitals in {time.perf_counter() - began:.0f} s")
    gc.collect()
    gc.freeze()
    charts = chart_bench(doctor, {f"{BIG} encounters": big, f"{SMALL} encounters": small}, args.rounds)
    for name, figures in charts.items():
        console.log(f"chart, {name}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
                    f"queries {figures['queries']}")  # fmt: skip
    Path(args.out).write_text(json.dumps({"database": connection.vendor, "chart": charts}, indent=1))


if __name__ == "__main__":
    main()
