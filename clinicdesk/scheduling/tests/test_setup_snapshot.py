"""The per-process setup snapshot: renewed by database triggers on every setup change, never stale."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.availability import BlockInput, exception_add, holiday_override_add
from clinicdesk.scheduling.booking_checks import availability_problem
from clinicdesk.scheduling.models import (
    AppointmentType,
    AvailabilityException,
    ExceptionKind,
    Location,
    OpeningHours,
    Provider,
    Room,
    SetupGeneration,
    TemplateBlock,
)
from clinicdesk.scheduling.setup_snapshot import current_setup

from .factories import make_location, make_patient, make_provider, make_room, make_template, make_type
from .helpers import SLOTS_MONDAY as MONDAY
from .helpers import SLOTS_NOW as NOW
from .helpers import at


@pytest.fixture
def practice(slots_practice):
    return slots_practice


_migration = __import__("clinicdesk.scheduling.migrations.0004_setup_generation", fromlist=["setup_tables"])


def token() -> str | None:
    return SetupGeneration.objects.filter(pk=1).values_list("token", flat=True).first()


def changes_token(action) -> bool:
    before = token()
    action()
    return token() != before


def test_the_migration_leaves_a_token(db):
    assert token()


def test_every_kind_of_setup_change_renews_the_token(practice):
    p = practice
    lee, main, kind = p.lee, p.main, p.follow_up
    block = TemplateBlock.objects.filter(template__provider=lee).first()
    changes = {
        "location": lambda: Location.objects.filter(pk=main.pk).update(phone="2025550100"),
        "opening hours": lambda: OpeningHours.objects.filter(location=main, weekday=0).update(closes=time(16)),
        "room": lambda: Room.objects.filter(pk=p.exam2.pk).update(active=False),
        "provider": lambda: Provider.objects.filter(pk=lee.pk).update(specialty="Internal medicine"),
        "type": lambda: AppointmentType.objects.filter(pk=kind.pk).update(duration_minutes=30),
        "type's providers": lambda: kind.providers.remove(lee),
        "type's rooms": lambda: kind.rooms.add(p.exam1),
        "template": lambda: make_template(p.manager, lee, main, date(2026, 6, 1), [(0, "13:00", "15:00")]),
        "block": lambda: TemplateBlock.objects.filter(pk=block.pk).update(ends=time(11)),
        "block's rooms": lambda: block.rooms.add(p.exam1),
        "block's types": lambda: block.appointment_types.add(kind),
        "exception": lambda: exception_add(
            actor=p.manager,
            kind=ExceptionKind.MEETING,
            provider=lee,
            location=main,
            starts_at=at(MONDAY, 9),
            ends_at=at(MONDAY, 10),
            reason="Staff meeting",
        ),  # fmt: skip
        "holiday override": lambda: holiday_override_add(actor=p.manager, location=main, day=date(2026, 7, 3)),
        "provider's name": lambda: type(lee.user).objects.filter(pk=lee.user_id).update(display_name="Dr. Lee Ann"),
        "provider's account": lambda: type(lee.user).objects.filter(pk=lee.user_id).update(is_active=False),
        "provider's locations": lambda: lee.locations.remove(main),
        "deletion": lambda: AvailabilityException.objects.all().delete(),
    }
    unchanged = [name for name, change in changes.items() if not changes_token(change)]
    assert unchanged == []


def test_raw_sql_renews_it_too_and_a_sign_in_does_not(practice):
    with connection.cursor() as cursor:
        assert changes_token(lambda: cursor.execute("UPDATE scheduling_room SET name = name || ' A'"))
        user_table = type(practice.lee.user)._meta.db_table
        now = app_clock.now()
        assert not changes_token(lambda: cursor.execute(f"UPDATE {user_table} SET last_login = %s", [now]))


def test_every_table_the_snapshot_reads_has_the_trigger(practice):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        exception_add(
            actor=practice.manager, kind=ExceptionKind.BLOCKED, provider=practice.lee,
            starts_at=at(MONDAY, 9), ends_at=at(MONDAY, 10), reason="Charting",
        )  # fmt: skip
        current_setup()
    reads = {
        table
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        for table in re.findall(r'(?:FROM|JOIN) "([a-z_]+)"', q["sql"])
    }
    user_table = apps.get_model("accounts", "User")._meta.db_table
    guarded = set(_migration.setup_tables(apps)) | {user_table, "scheduling_setupgeneration"}
    snapshot_reads = reads - {"audit_auditevent", "patients_patient"}
    assert snapshot_reads and snapshot_reads <= guarded, snapshot_reads - guarded


def test_the_snapshot_is_kept_while_nothing_changes_and_rebuilt_after_a_change(practice):
    first = current_setup()
    assert current_setup() is first
    with CaptureQueriesContext(connection) as captured:
        current_setup()
    assert len(captured.captured_queries) == 1  # the token only
    make_room(practice.manager, practice.main, "Procedure")
    second = current_setup()
    assert second is not first
    assert "Procedure" in {r.name for r in second.location_rooms[practice.main.pk]}


def test_a_rolled_back_change_leaves_no_stale_snapshot(practice):
    before = current_setup()
    with pytest.raises(RuntimeError), transaction.atomic():
        Room.objects.filter(pk=practice.exam1.pk).update(active=False)
        inside = current_setup()
        assert practice.exam1.pk not in {r.pk for r in inside.location_rooms[practice.main.pk]}
        raise RuntimeError("roll back")
    after = current_setup()
    assert after.token == before.token
    assert practice.exam1.pk in {r.pk for r in after.location_rooms[practice.main.pk]}


def test_turned_off_there_is_no_snapshot_and_bookings_read_the_database(practice, settings):
    settings.CLINICDESK_SETUP_SNAPSHOT = False
    assert current_setup() is None
    assert availability_problem(
        appointment_type=practice.follow_up, provider=practice.lee, location=practice.main, room=None,
        starts_at=at(MONDAY, 9), now=NOW,
    ) is None  # fmt: skip


def test_days_before_the_horizon_are_answered_from_the_database(practice, settings):
    settings.CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS = 2  # production's setting: 2026 lies before its horizon
    exception_add(
        actor=practice.manager, kind=ExceptionKind.VACATION, provider=practice.lee,
        starts_at=at(MONDAY, 0), ends_at=at(MONDAY + timedelta(days=1), 0), reason="Vacation",
    )  # fmt: skip
    assert not current_setup().covers(MONDAY)
    assert "vacation" in availability_problem(
        appointment_type=practice.follow_up, provider=practice.lee, location=practice.main, room=None,
        starts_at=at(MONDAY, 9), now=NOW,
    )  # fmt: skip


# --- Same answers either way -----------------------------------------------------------------


@pytest.fixture
def busy_practice(office_manager, clinician):
    """Two locations, rooms with pools, a telehealth type, exceptions of every kind, a holiday."""
    from clinicdesk.scheduling.setup import HoursInput

    week = [HoursInput(weekday=d, opens=time(8), closes=time(18)) for d in range(6)]
    main = make_location(office_manager, opening_hours=week, holiday_subdivision="NY")
    north = make_location(office_manager, name="North Clinic", opening_hours=week[:3])
    exam1, exam2, proc = (make_room(office_manager, main, n) for n in ("Exam 1", "Exam 2", "Procedure"))
    north_room = make_room(office_manager, north, "North 1")
    lee = make_provider(office_manager, clinician, [main, north])
    visit = make_type(office_manager, [lee], buffer_before_minutes=5, buffer_after_minutes=10)
    video = make_type(office_manager, [lee], name="Video", telehealth=True)
    minor = make_type(office_manager, [lee], name="Minor procedure", duration_minutes=45)
    minor.rooms.add(proc)
    make_template(office_manager, lee, main, date(2026, 1, 1), [
        BlockInput(0, time(9), time(12), rooms=[exam1, exam2]),
        BlockInput(0, time(13), time(17), appointment_types=[minor, video]),
        BlockInput(1, time(8), time(18)), BlockInput(4, time(9), time(11), rooms=[proc]),
    ])  # fmt: skip
    make_template(office_manager, lee, north, date(2026, 3, 1), [(2, "10:00", "16:00")], valid_until=date(2026, 3, 31))
    exception_add(
        actor=office_manager, kind=ExceptionKind.VACATION, provider=lee,
        starts_at=at(date(2026, 3, 9), 0), ends_at=at(date(2026, 3, 11), 0), reason="Vacation",
    )  # fmt: skip
    exception_add(
        actor=office_manager, kind=ExceptionKind.EXTRA, provider=lee, location=main,
        starts_at=at(date(2026, 3, 7), 9), ends_at=at(date(2026, 3, 7), 12), reason="Saturday clinic",
    )  # fmt: skip
    exception_add(
        actor=office_manager, kind=ExceptionKind.BLOCKED, location=main,
        starts_at=at(date(2026, 3, 17), 12), ends_at=at(date(2026, 3, 17), 18), reason="Fire drill",
    )  # fmt: skip
    return {
        "types": [visit, video, minor], "locations": [main, north], "rooms": [None, exam1, exam2, proc, north_room],
        "provider": lee, "patient": make_patient(office_manager),
    }  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    day=st.integers(min_value=0, max_value=30),
    minute=st.integers(min_value=6 * 12, max_value=19 * 12).map(lambda n: n * 5),
    which=st.tuples(st.integers(0, 2), st.integers(0, 1), st.integers(0, 4)),
)
def test_the_snapshot_and_the_database_give_the_same_answer(busy_practice, settings, day, minute, which):
    kind, location, room = (
        busy_practice["types"][which[0]], busy_practice["locations"][which[1]], busy_practice["rooms"][which[2]],
    )  # fmt: skip
    starts_at = at(date(2026, 3, 2) + timedelta(days=day), minute // 60, minute % 60)
    ask = {
        "appointment_type": kind, "provider": busy_practice["provider"], "location": location, "room": room,
        "starts_at": starts_at, "now": NOW,
    }  # fmt: skip
    settings.CLINICDESK_SETUP_SNAPSHOT = True
    cached = availability_problem(**ask)
    settings.CLINICDESK_SETUP_SNAPSHOT = False
    assert availability_problem(**ask) == cached
