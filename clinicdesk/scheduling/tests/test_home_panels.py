"""Scheduling's home panels on a constructed day: the numbers are right, each opens a list of
exactly what it counts, and the page costs the same queries however much the practice holds.

The clock stands at 10:30 on Wednesday 4 March 2026 at Main Street Clinic (New York). One
provider's day: 08:00 completed, 08:30 checked out, 09:00 no-show, 09:30 with the provider,
10:00 arrived (waiting room since 10:05), 10:20 not arrived (late), 10:40 video visit checked in,
11:00 and 12:00 to come, 11:30 cancelled. Tomorrow and Friday hold the confirmation calls and a
freed slot; one patient is on the waitlist.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicdesk.core.tests.homepage import figure, panels
from clinicdesk.scheduling.models import Appointment, WaitlistEntry
from clinicdesk.scheduling.tests.factories import (
    make_appointment,
    make_location,
    make_patient,
    make_practice,
    make_provider,
)
from conftest import make_staff

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=NY)


def at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    """`hour`:`minute` in New York on `day` (today, 4 March 2026, when None)."""
    day = day or NOW.date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def _visit(practice, patient, start: datetime, status: str, *, kind=None, **stamps) -> Appointment:
    return make_appointment(
        practice.actor, patient=patient, provider=practice.provider, location=practice.location,
        kind=kind or practice.kind, starts_at=start, status=status, **stamps,
    )  # fmt: skip


@pytest.fixture
def day(office_manager, clinician, front_desk, clock):
    clock.set(NOW)
    practice = make_practice(office_manager, clinician)
    practice.actor = front_desk
    ann, bob, cy = (make_patient(front_desk, first, "Doe") for first in ("Ann", "Bob", "Cy"))
    tomorrow, friday = NOW.date() + timedelta(days=1), NOW.date() + timedelta(days=2)
    v = SimpleNamespace(
        completed=_visit(practice, ann, at(8), "completed", arrived_at=at(7, 55), roomed_at=at(8, 2),
                         with_provider_at=at(8, 10), checked_out_at=at(8, 35), completed_at=at(8, 40)),
        checked_out=_visit(practice, bob, at(8, 30), "checked_out", arrived_at=at(8, 25), roomed_at=at(8, 30),
                           with_provider_at=at(8, 45), checked_out_at=at(9, 5)),
        no_show=_visit(practice, cy, at(9), "no_show", no_show_at=at(9, 20)),
        with_provider=_visit(practice, ann, at(9, 30), "with_provider", arrived_at=at(9, 20), roomed_at=at(9, 25),
                             with_provider_at=at(9, 40)),
        waiting=_visit(practice, bob, at(10), "arrived", arrived_at=at(10, 5)),
        late=_visit(practice, cy, at(10, 20), "scheduled"),
        video=_visit(practice, ann, at(10, 40), "arrived", kind=practice.video, arrived_at=at(10, 25)),
        to_come=_visit(practice, bob, at(11), "scheduled"),
        cancelled=_visit(practice, ann, at(11, 30), "cancelled", cancelled_at=at(8)),
        later=_visit(practice, ann, at(12), "scheduled", confirmation="confirmed"),
        yesterday=_visit(practice, ann, at(9, day=NOW.date() - timedelta(days=1)), "completed"),
        call=_visit(practice, ann, at(9, day=tomorrow), "scheduled"),
        messaged=_visit(practice, bob, at(9, day=friday), "scheduled", confirmation="left_message"),
        confirmed=_visit(practice, cy, at(10, day=tomorrow), "scheduled", confirmation="confirmed"),
        dropped=_visit(practice, cy, at(11, day=tomorrow), "cancelled", cancelled_at=at(8)),
        freed=_visit(practice, ann, at(14, day=tomorrow), "cancelled", cancelled_at=at(8)),
        rebooked_old=_visit(practice, ann, at(15, day=tomorrow), "cancelled", cancelled_at=at(8)),
        rebooked_new=_visit(practice, bob, at(15, day=tomorrow), "scheduled", confirmation="confirmed"),
    )  # fmt: skip
    WaitlistEntry.objects.create(patient=cy, appointment_type=practice.kind, wait_until=date(2026, 4, 1),
                                 created_by=front_desk)  # fmt: skip
    return SimpleNamespace(practice=practice, visits=v, patients=(ann, bob, cy))


def rows_of_board(page: str) -> set[str]:
    return set(re.findall(r'<tr id="flow-([0-9a-f-]{36})"', page))


def ids(*appointments: Appointment) -> set[str]:
    return {str(a.public_id) for a in appointments}


def test_the_front_desk_sees_todays_arrivals_and_each_number_opens_exactly_those_patients(as_user, front_desk, day):
    client = as_user(front_desk)
    page = client.get("/").content.decode()
    v = day.visits
    expected = {
        "Booked today": ("9", ids(v.completed, v.checked_out, v.no_show, v.with_provider, v.waiting, v.late,
                                  v.video, v.to_come, v.later)),
        "Late, not checked in": ("1", ids(v.late)),
        "Still to come": ("2", ids(v.to_come, v.later)),
        "Checked in": ("5", ids(v.completed, v.checked_out, v.with_provider, v.waiting, v.video)),
        "No-shows": ("1", ids(v.no_show)),
    }  # fmt: skip
    for label, (value, listed) in expected.items():
        shown = figure(page, "Today's arrivals", label)
        assert shown.value == value, label
        board = client.get(shown.url)
        assert board.status_code == 200
        assert rows_of_board(board.content.decode()) == listed, label
    assert figure(page, "Today's arrivals", "Late, not checked in").attention
    assert not figure(page, "Today's arrivals", "Still to come").attention
    # The filtered board keeps its filter when it refreshes itself.
    late_board = client.get(figure(page, "Today's arrivals", "Late, not checked in").url).content.decode()
    assert "show=late" in re.search(r'<div id="flow-board" hx-get="([^"]+)"', late_board)[1]
    assert "Listing only patients who are late" in late_board


def test_the_confirmation_calls_are_the_next_working_days_unconfirmed_visits(as_user, front_desk, day):
    client = as_user(front_desk)
    page = client.get("/").content.decode()
    v = day.visits
    for label, appointment in (("Not reached yet", v.call), ("Left a message", v.messaged)):
        shown = figure(page, "Confirmations to make", label)
        assert shown.value == "1"
        listed = client.get(shown.url)
        assert listed.status_code == 200
        found = set(re.findall(r"/scheduling/appointments/([0-9a-f-]{36})/", listed.content.decode()))
        assert found == ids(appointment), label
    assert "Thu 03/05/2026 to Fri 03/06/2026" in page


def test_a_freed_slot_that_someone_waiting_fits_is_a_waitlist_match(as_user, front_desk, day):
    client = as_user(front_desk)
    page = client.get("/").content.decode()
    shown = figure(page, "Waitlist matches", "Freed slots someone fits")
    # Tomorrow 14:00 and today 11:30 are free; tomorrow 15:00 was booked again, and tomorrow 11:00
    # was freed by Cy, the one patient waiting (nobody is offered their own cancelled time).
    assert (shown.value, shown.attention) == ("2", True)
    listed = client.get(shown.url).content.decode()
    assert set(re.findall(r'<tr id="freed-([0-9a-f-]{36})"', listed)) == ids(day.visits.freed, day.visits.cancelled)
    assert figure(page, "Waitlist matches", "Patients waiting").value == "1"
    WaitlistEntry.objects.update(active=False)
    assert figure(client.get("/").content.decode(), "Waitlist matches", "Freed slots someone fits").value == "0"


def test_the_nurse_sees_who_waits_to_be_roomed_and_for_how_long(as_user, nurse, day):
    client = as_user(nurse)
    page = client.get("/").content.decode()
    waiting = figure(page, "Waiting to be roomed", "To be roomed")
    longest = figure(page, "Waiting to be roomed", "Longest wait")
    assert (waiting.value, longest.value, longest.attention) == ("1", "25 min", True)
    board = client.get(waiting.url).content.decode()
    assert rows_of_board(board) == ids(day.visits.waiting)  # the video visit is never roomed
    # Both exam rooms are free, filter or not: rooming from the filtered board offers them.
    assert board.count('<option value="') >= 2 and "Exam 1" in board and "Exam 2" in board


def test_the_office_manager_sees_visits_no_shows_and_average_times(as_user, office_manager, day):
    client = as_user(office_manager)
    page = client.get("/").content.decode()
    shown = {f.label: f for f in panels(page)["Today's visits"]}
    assert shown["Visits today"].value == "9"
    assert shown["No-shows"].value == "1"
    assert shown["Average wait"].value == "18 min"  # 15, 20 and 20 minutes to the provider
    assert shown["Average visit"].value == "40 min"  # 40 and 40 minutes, check-in to check-out
    v = day.visits
    assert rows_of_board(client.get(shown["Average wait"].url).content.decode()) == ids(
        v.completed, v.checked_out, v.with_provider
    )
    assert rows_of_board(client.get(shown["Average visit"].url).content.decode()) == ids(v.completed, v.checked_out)
    assert rows_of_board(client.get(shown["No-shows"].url).content.decode()) == ids(v.no_show)


def test_the_office_manager_sees_every_location_on_its_own_day(as_user, office_manager, day):
    west = make_location(office_manager, name="Harbor Clinic", time_zone="America/Los_Angeles")
    doctor = make_provider(office_manager, make_staff("drwest", "clinician"), [west], npi="1245319599")
    kind = day.practice.kind
    kind.providers.add(doctor)
    # 10:30 in New York is 07:30 in Los Angeles: its 06:00 visit is today, yesterday's 23:00 is not.
    la = ZoneInfo("America/Los_Angeles")
    for start in (datetime(2026, 3, 4, 6, tzinfo=la), datetime(2026, 3, 3, 23, tzinfo=la)):
        make_appointment(office_manager, patient=day.patients[0], provider=doctor, location=west, kind=kind,
                         starts_at=start, status="scheduled")  # fmt: skip
    page = as_user(office_manager).get("/").content.decode()
    values = [f.value for f in panels(page)["Today's visits"] if f.label == "Visits today"]
    assert values == ["1", "9"]  # Harbor Clinic, then Main Street Clinic (by name)


def test_the_front_desk_of_the_second_clinic_chooses_it_once_for_every_panel(as_user, office_manager, front_desk, day):
    river = make_location(office_manager, name="Riverside Clinic")
    doctor = make_provider(office_manager, make_staff("drriver", "clinician"), [river], npi="1245319599")
    make_appointment(office_manager, patient=day.patients[0], provider=doctor, location=river, kind=day.practice.kind,
                     starts_at=at(13), status="scheduled")  # fmt: skip
    client = as_user(front_desk)
    page = client.get("/").content.decode()
    assert page.count('<select id="home-location" name="location">') == 1  # one choice above the panels
    assert figure(page, "Today's arrivals", "Booked today").value == "9"  # the first clinic by name
    page = client.get(f"/?location={river.public_id}").content.decode()
    assert f'<option value="{river.public_id}" selected>' in page
    booked = figure(page, "Today's arrivals", "Booked today")
    assert booked.value == "1" and str(river.public_id) in booked.url
    assert str(river.public_id) in figure(page, "Confirmations to make", "Not reached yet").url
    assert str(river.public_id) in figure(page, "Recalls due", "Due by today").url


def test_the_home_page_costs_the_same_queries_however_busy_the_practice_is(as_user, front_desk, nurse, day):
    def queries(person) -> int:
        client = as_user(person)
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    before = {person.username: queries(person) for person in (front_desk, nurse)}
    practice, ann = day.practice, day.patients[0]
    other = make_provider(practice.actor, make_staff("drlee", "clinician"), [practice.location], npi="1245319599")
    for n in range(12):
        start = at(8) + timedelta(minutes=30 * n)
        for when, status in ((start, "arrived"), (start + timedelta(days=1), "cancelled")):
            make_appointment(practice.actor, patient=make_patient(practice.actor, f"Extra{chr(65 + n)}", status.title()),
                             provider=other, location=practice.location, kind=practice.kind, starts_at=when,
                             status=status, arrived_at=at(8), cancelled_at=at(8))  # fmt: skip
        WaitlistEntry.objects.create(patient=ann, appointment_type=practice.kind, wait_until=date(2026, 4, 1),
                                     created_by=practice.actor)  # fmt: skip
    assert figure(as_user(front_desk).get("/").content.decode(), "Today's arrivals", "Checked in").value == "17"
    assert {person.username: queries(person) for person in (front_desk, nurse)} == before


def test_the_office_managers_page_costs_the_same_queries_for_one_clinic_or_three(as_user, office_manager, day):
    def queries() -> int:
        client = as_user(office_manager)
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    one = queries()
    kind = day.practice.kind
    for n, name in enumerate(("Harbor Clinic", "Riverside Clinic")):
        place = make_location(office_manager, name=name)
        visitor = make_patient(office_manager, ("Hana", "Rio")[n], "Visitor")
        doctor = make_provider(
            office_manager, make_staff(f"doc{n}", "clinician"), [place], npi=("1245319599", "1679576722")[n]
        )
        for hour in (8, 9, 10):
            make_appointment(office_manager, patient=visitor, provider=doctor, location=place, kind=kind,
                             starts_at=at(hour, 5 * n), status="completed", arrived_at=at(hour, 5 * n),
                             with_provider_at=at(hour, 5 * n + 10), checked_out_at=at(hour, 5 * n + 30))  # fmt: skip
    page = as_user(office_manager).get("/").content.decode()
    assert [f.value for f in panels(page)["Today's visits"] if f.label == "Visits today"] == ["3", "9", "3"]
    assert queries() == one
