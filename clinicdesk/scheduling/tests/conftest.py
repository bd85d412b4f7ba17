"""Fixtures the scheduling tests share; helpers that are not fixtures are in helpers.py and factories.py."""

from datetime import date, time, timedelta
from types import SimpleNamespace

import pytest

from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.setup import HoursInput

from .factories import make_location, make_patient, make_provider, make_room, make_template, make_type
from .helpers import WEEKDAYS_8_TO_5, next_monday, registered_patient


@pytest.fixture(autouse=True)
def _setup_snapshot_holds_the_test_years(settings):
    """Scheduling tests ask about days in 2026 with a `now` in the past; the setup snapshot holds
    their exceptions when it keeps ten years of them (production keeps two days)."""
    settings.CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS = 3650


@pytest.fixture
def practice(office_manager, front_desk, clinician):
    """Two providers working weekdays 08:00-17:00 in one location with two exam rooms; Jane and Joe.

    Modules with a practice of their own (slots, flow) define their own `practice`."""
    from conftest import make_staff

    location = make_location(office_manager, opening_hours=WEEKDAYS_8_TO_5)
    rooms = [make_room(office_manager, location, f"Exam {n}") for n in (1, 2)]
    other_user = make_staff("drlee", "clinician")
    provider = make_provider(office_manager, clinician, [location])
    other = make_provider(office_manager, other_user, [location], npi="1245319599")
    for someone in (provider, other):
        make_template(office_manager, someone, location, date(2026, 1, 1), [(d, "08:00", "17:00") for d in range(5)])
    follow_up = make_type(office_manager, [provider, other], buffer_after_minutes=10)
    overbookable = make_type(
        office_manager, [provider], name="Quick check", duration_minutes=10, overbook_allowed=True, overbook_limit=1
    )
    return {
        "location": location,
        "rooms": rooms,
        "provider": provider,
        "other": other,
        "type": follow_up,
        "quick": overbookable,
        "jane": registered_patient(front_desk),
        "joe": registered_patient(front_desk, "Joe", "Roe"),
        "actor": front_desk,
    }


@pytest.fixture
def clinic(practice, office_manager):
    """`practice`, with both providers working Mondays 08:00–17:00 from a week ago, and next Monday."""
    start = app_clock.today() - timedelta(days=7)
    for provider in (practice["provider"], practice["other"]):
        make_template(office_manager, provider, practice["location"], start, [(0, "08:00", "17:00")])
    practice["monday"] = next_monday()
    return practice


@pytest.fixture
def slots_practice(office_manager, clinician):
    """Dr Lee seeing follow-ups 09:00-12:00 on weekdays; the location also opens on Sundays."""
    hours = [HoursInput(weekday=d, opens=time(8), closes=time(17)) for d in range(5)]
    hours.append(HoursInput(weekday=6, opens=time(0), closes=time(23, 59)))  # an urgent-care Sunday
    main = make_location(office_manager, opening_hours=hours, holiday_subdivision="NY")
    exam1, exam2 = make_room(office_manager, main, "Exam 1"), make_room(office_manager, main, "Exam 2")
    lee = make_provider(office_manager, clinician, [main])
    follow_up = make_type(office_manager, [lee])
    make_template(office_manager, lee, main, date(2026, 1, 1), [(d, "09:00", "12:00") for d in range(5)])
    return SimpleNamespace(
        main=main,
        exam1=exam1,
        exam2=exam2,
        lee=lee,
        follow_up=follow_up,
        manager=office_manager,
        patient=make_patient(office_manager),
    )
