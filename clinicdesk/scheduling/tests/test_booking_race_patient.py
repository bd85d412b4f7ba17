"""One patient booked with several providers at the same moment: one booking per time, no 500.

Each request has its own connection (a live server thread), as two clerks and a patient on the
phone would. Before the booking took its locks in a fixed order (patient, provider, room),
PostgreSQL could answer "deadlock detected ... while checking exclusion constraint" here: two
bookings of the patient with different providers each inserted, then each waited for the other
in the patient's exclusion check. Every refusal must be a 409 with the refusal's own title.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import date, time, timedelta

import pytest
from django.db import connection, connections, transaction

from clinicdesk.core import clock
from clinicdesk.scheduling import booking
from clinicdesk.scheduling.booking import BookingInput
from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment, Location
from clinicdesk.scheduling.setup import HoursInput
from conftest import api_token_for, make_staff

from .factories import make_location, make_patient, make_provider, make_template, make_type

PROVIDERS = 6
CLERKS_PER_PROVIDER = 2


def _next_monday_at(hour_utc: int):
    day = clock.now() + timedelta(days=7)
    return (day - timedelta(days=day.weekday())).replace(hour=hour_utc, minute=0, second=0, microsecond=0)


def test_one_patient_booked_with_six_providers_at_once_gets_one_visit_per_time_and_only_409s(live_app):
    office_manager = make_staff("om-pat-race", "office_manager")
    front_desk = make_staff("fd-pat-race", "front_desk")
    location = make_location(
        office_manager, opening_hours=[HoursInput(weekday=d, opens=time(7), closes=time(19)) for d in range(5)]
    )
    # No public holidays: next Monday must be open whatever the date the suite runs on.
    Location.objects.filter(pk=location.pk).update(holiday_country="ZZ")
    providers = [
        make_provider(office_manager, make_staff(f"rn-race-{n}", "nurse"), [location], npi="", taxonomy_code="")
        for n in range(PROVIDERS)
    ]
    for provider in providers:
        make_template(office_manager, provider, location, date(2026, 1, 1), [(d, "07:00", "19:00") for d in range(5)])
    kind = make_type(office_manager, providers, telehealth=True)  # no room to share: only the patient clashes
    patient = make_patient(front_desk)
    token = api_token_for(front_desk, name="race", days=1)
    # Two times far apart: each is its own group of overlapping requests.
    groups = {"morning": _next_monday_at(15), "afternoon": _next_monday_at(19)}
    requests = [
        (group, provider) for group in groups for provider in providers for _clerk in range(CLERKS_PER_PROVIDER)
    ]
    barrier = threading.Barrier(len(requests))
    answers: list[tuple[str, int, dict]] = []

    def attempt(group: str, provider) -> None:
        body = {
            "patient_mrn": patient.mrn,
            "provider": str(provider.public_id),
            "location": str(location.public_id),
            "appointment_type": str(kind.public_id),
            "starts_at": groups[group].isoformat(),
        }
        request = urllib.request.Request(
            f"{live_app.url}/api/v1/scheduling/appointments",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=90) as response:  # noqa: S310 (loopback test server)
                answers.append((group, response.status, json.load(response)))
        except urllib.error.HTTPError as error:
            answers.append((group, error.code, json.load(error)))

    threads = [threading.Thread(target=attempt, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert len(answers) == len(requests)
    assert [a for a in answers if a[1] >= 500] == []
    for group in groups:
        statuses = sorted(status for g, status, _ in answers if g == group)
        assert statuses == [201] + [409] * (PROVIDERS * CLERKS_PER_PROVIDER - 1), answers
    titles = {body["title"] for _g, status, body in answers if status == 409}
    assert titles <= {booking.PATIENT_BUSY, booking.PROVIDER_BUSY, booking.BUSY}, titles
    holding = Appointment.objects.filter(patient=patient, status__in=HOLDING_STATUSES)
    assert sorted(holding.values_list("starts_at", flat=True)) == sorted(groups.values())


# --- A deadlock the database really detects -------------------------------------------------


def _practice_for_one():
    office_manager = make_staff("om-deadlock", "office_manager")
    front_desk = make_staff("fd-deadlock", "front_desk")
    location = make_location(
        office_manager, opening_hours=[HoursInput(weekday=d, opens=time(7), closes=time(19)) for d in range(5)]
    )
    Location.objects.filter(pk=location.pk).update(holiday_country="ZZ")
    location.refresh_from_db()
    provider = make_provider(office_manager, make_staff("rn-deadlock", "nurse"), [location], npi="", taxonomy_code="")
    make_template(office_manager, provider, location, date(2026, 1, 1), [(d, "07:00", "19:00") for d in range(5)])
    kind = make_type(office_manager, [provider], telehealth=True)
    return front_desk, BookingInput(
        patient=make_patient(front_desk),
        provider=provider,
        location=location,
        appointment_type=kind,
        starts_at=_next_monday_at(15),
    )


def _other_writer(data: BookingInput, holding: threading.Event, done: threading.Event, outcome: list) -> None:
    """Another transaction that takes the booking's locks in the wrong order, so the database sees
    a deadlock with the booking (PostgreSQL), or that holds the write lock a while (SQLite)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The booking, waiting longer, is the one the database picks to abort.
                cursor.execute("SET LOCAL deadlock_timeout = '10s'")
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [booking._LOCK_SPACE["provider"], data.provider.pk]
                )
                holding.set()
                _wait_for_a_waiting_advisory_lock(cursor)
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [booking._LOCK_SPACE["patient"], data.patient.pk]
                )
            else:
                cursor.execute(
                    "UPDATE scheduling_location SET updated_at = updated_at WHERE id = %s", [data.location.pk]
                )
                holding.set()
                done.wait(timeout=1.0)
        outcome.append("committed")
    except BaseException as exc:  # noqa: BLE001 (reported by the test)
        outcome.append(repr(exc))
    finally:
        connections.close_all()


def _wait_for_a_waiting_advisory_lock(cursor) -> None:
    for _ in range(200):
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        if cursor.fetchone()[0]:
            return
        threading.Event().wait(0.05)
    raise AssertionError("the booking never waited for its lock")


def _booking_against_another_writer(data: BookingInput, front_desk, *, inside_a_transaction: bool):
    holding, done = threading.Event(), threading.Event()
    outcome: list = []
    other = threading.Thread(target=_other_writer, args=(data, holding, done, outcome))
    other.start()
    assert holding.wait(timeout=30)
    try:
        if inside_a_transaction:
            with transaction.atomic():
                return booking.appointment_book(actor=front_desk, data=data), outcome
        return booking.appointment_book(actor=front_desk, data=data), outcome
    finally:
        done.set()
        other.join(timeout=60)


def test_a_booking_the_database_gives_up_on_is_run_again_and_books(committed_db):
    front_desk, data = _practice_for_one()
    appointment, outcome = _booking_against_another_writer(data, front_desk, inside_a_transaction=False)
    assert outcome == ["committed"]
    assert appointment.pk is not None
    assert Appointment.objects.filter(patient=data.patient, status__in=HOLDING_STATUSES).count() == 1


def test_inside_a_longer_transaction_it_is_a_409_to_try_again_not_a_server_error(committed_db):
    front_desk, data = _practice_for_one()
    if connection.vendor == "postgresql":
        with pytest.raises(booking.BookingRefused) as refused:
            _booking_against_another_writer(data, front_desk, inside_a_transaction=True)
        assert refused.value.title == booking.BUSY and "try again" in refused.value.messages[0]
        assert not Appointment.objects.filter(patient=data.patient).exists()
    else:
        # SQLite: the booking waits for the write lock (up to its timeout) and then books.
        appointment, outcome = _booking_against_another_writer(data, front_desk, inside_a_transaction=True)
        assert outcome == ["committed"] and appointment.pk is not None
