from __future__ import annotations

import base64
import re
import zlib
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.scheduling.calendar_grid import day_schedule
from clinicdesk.scheduling.models import Appointment, AppointmentChange, AppointmentStatus

from .factories import make_appointment, make_patient, make_practice, make_provider
from .helpers import FLOW_NOW as NOW

S = AppointmentStatus
DAY = date(2030, 3, 4)  # a Monday; NOW is 10:00 New York time that day
DAY_URL = "/scheduling/calendar/day/"


@pytest.fixture
def clock(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def practice(office_manager, clinician):
    return make_practice(office_manager, clinician)


def fill(practice, actor, count: int, *, day_start=None, provider=None) -> list[Appointment]:
    """`count` back-to-back 20-minute visits from 08:00 New York time, each with its own patient
    (more than fit in a day overflow into the evening, which the grid then widens to)."""
    start = day_start or datetime(2030, 3, 4, 13, 0, tzinfo=UTC)
    made = []
    for index in range(count):
        patient = make_patient(actor, first=f"P{index:03d}", last="Test")
        made.append(
            make_appointment(
                actor,
                patient=patient,
                provider=provider or practice.provider,
                location=practice.location,
                kind=practice.kind,
                starts_at=start + timedelta(minutes=10 * index),
                overbooked=index % 2 == 1,
                reason="Blood pressure check",
            )  # fmt: skip
        )
    return made


def pdf_text(pdf: bytes) -> str:
    """The text-drawing strings of a reportlab PDF: undo each content stream's ASCII85 and Flate
    encoding (no PDF library is installed; reportlab writes exactly these two filters)."""
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1).strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data[:-2])
        try:
            data = zlib.decompress(data)
        except zlib.error:
            pass
        chunks.append(data.decode("latin-1"))
    return "\n".join(chunks).replace("\\(", "(").replace("\\)", ")")


def day_page(client, practice, day=DAY, **extra):
    return client.get(DAY_URL, {"location": str(practice.location.public_id), "date": day.isoformat(), **extra})


def test_the_day_view_shows_providers_as_columns_and_appointments_as_coloured_blocks(
    clock, as_user, front_desk, practice, office_manager, nurse
):
    second = make_provider(
        office_manager, nurse, [practice.location], npi="", taxonomy_code="", specialty="Nurse visits"
    )
    fill(practice, front_desk, 2)
    response = day_page(as_user(front_desk), practice)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dr. Amara Okafor" in body and "Sam Patel" in body and second.specialty in body
    assert "Test, P000" in body and "Test, P001" in body  # the front desk sees names
    assert 'fill="#2CA02C"' in body  # the type's colour
    assert "cal-row-1 cal-span-108" in body  # 08:00-17:00 in 5-minute rows
    assert 'class="cal-appt cal-row-1 cal-span-4 cal-lane-1' in body  # 08:00, 20 minutes
    assert "cal-lane-2" in body  # the overbooked 08:10 visit sits beside the 08:00 one
    assert "style=" not in body.split('id="main"')[1]  # the CSP forbids inline styles
    assert "<script" not in body.split('id="main"')[1]


def test_an_open_time_links_to_the_booking_page_with_provider_location_and_utc_start(
    clock, as_user, front_desk, practice
):
    fill(practice, front_desk, 1)
    body = day_page(as_user(front_desk), practice).content.decode()
    # 08:00-08:20 is taken and 10:00 is now: the first offered time is 10:00 New York = 15:00 UTC.
    start = body.index('class="cal-open')
    href = body[body.index('href="', start) + 6 : body.index('"', body.index('href="', start) + 6)].replace(
        "&amp;", "&"
    )
    url = urlparse(href)
    assert url.path == "/scheduling/book/"
    assert parse_qs(url.query) == {
        "provider": [str(practice.provider.public_id)],
        "location": [str(practice.location.public_id)],
        "start": ["2030-03-04T15:00:00Z"],
    }


def test_the_clinician_sees_the_day_but_no_booking_or_no_show_buttons(clock, as_user, clinician, front_desk, practice):
    fill(practice, front_desk, 1)
    body = day_page(as_user(clinician), practice).content.decode()
    assert "Test, P000" in body
    assert "cal-open" not in body and "No-show</button>" not in body


@pytest.mark.parametrize("persona", ["biller", "auditor"])
def test_billers_and_auditors_are_refused_the_schedule(request, as_user, practice, persona):
    person = request.getfixturevalue(persona)
    client = as_user(person)
    for url in (DAY_URL, "/scheduling/calendar/week/", "/scheduling/calendar/day.pdf", "/scheduling/flow/"):
        assert client.get(url).status_code == 403, url


def test_the_day_view_costs_the_same_queries_for_5_or_50_appointments(clock, as_user, front_desk, practice):
    client = as_user(front_desk)
    fill(practice, front_desk, 5)
    day_page(client, practice)  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert day_page(client, practice).status_code == 200
    fill(practice, front_desk, 45, day_start=datetime(2030, 3, 4, 14, 0, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        response = day_page(client, practice)
    assert response.content.decode().count('class="cal-appt ') == 50
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_the_week_view_costs_the_same_queries_for_5_or_50_appointments(clock, as_user, front_desk, practice):
    client = as_user(front_desk)
    url = f"/scheduling/calendar/week/?location={practice.location.public_id}&provider={practice.provider.public_id}&date=2030-03-06"
    fill(practice, front_desk, 5)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    fill(practice, front_desk, 45, day_start=datetime(2030, 3, 5, 13, 2, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    assert body.count('class="cal-appt ') == 50
    assert "Mon 03/04/2030" in body and "Tue 03/05/2030" in body and "Sat 03/09/2030" not in body
    assert len(many) == len(few)


def test_one_page_view_writes_one_audit_event_listing_the_patients(clock, as_user, front_desk, practice):
    made = fill(practice, front_desk, 3)
    client = as_user(front_desk)
    before = AuditEvent.objects.count()
    day_page(client, practice)
    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert len(events) == 1
    event = events[0]
    assert (event.action, event.object_type, event.actor_username) == (Action.READ, "schedule_day", "luis")
    assert "patients=3" in event.detail
    assert all(a.patient.mrn in event.detail for a in made) and "Test" not in event.detail


def test_an_empty_day_writes_no_audit_event(clock, as_user, front_desk, practice):
    client = as_user(front_desk)
    before = AuditEvent.objects.count()
    assert day_page(client, practice, day=DAY + timedelta(days=1)).status_code == 200
    assert AuditEvent.objects.count() == before


def test_the_provider_filter_and_jump_to_date(clock, as_user, front_desk, practice, office_manager, nurse):
    other = make_provider(
        office_manager, nurse, [practice.location], npi="", taxonomy_code="", specialty="Nurse visits"
    )
    fill(practice, front_desk, 1, provider=other)
    client = as_user(front_desk)
    only_nurse = day_page(client, practice, provider=str(other.public_id)).content.decode()
    assert "Sam Patel" in only_nurse and "Dr. Amara Okafor</h3>" not in only_nurse.replace("<span", "</h3><span")
    tuesday = day_page(client, practice, day=DAY + timedelta(days=1)).content.decode()
    assert "Tue 03/05/2030" in tuesday and "Test, P000" not in tuesday
    unreadable = client.get(DAY_URL, {"location": str(practice.location.public_id), "date": "31/02"})
    assert "could not be read" in unreadable.content.decode()


def test_no_show_from_the_day_view(clock, as_user, front_desk, practice):
    (appointment,) = fill(practice, front_desk, 1)
    client = as_user(front_desk)
    body = day_page(client, practice).content.decode()
    assert f"/scheduling/flow/{appointment.public_id}/no-show/" in body
    back = f"{DAY_URL}?location={practice.location.public_id}&date=2030-03-04"
    response = client.post(f"/scheduling/flow/{appointment.public_id}/no-show/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    appointment.refresh_from_db()
    assert appointment.status == S.NO_SHOW
    assert AppointmentChange.objects.filter(appointment=appointment, new_value="no_show").count() == 1


def test_the_day_prints_as_a_pdf_and_the_print_is_audited(clock, as_user, front_desk, practice):
    fill(practice, front_desk, 30)
    client = as_user(front_desk)
    before = AuditEvent.objects.count()
    response = client.get(
        "/scheduling/calendar/day.pdf", {"location": str(practice.location.public_id), "date": "2030-03-04"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 3000
    text = pdf_text(response.content)
    assert "Main Street Clinic" in text and "Test, P000" in text and "Test, P029" in text
    assert "Page 1 of 1" in text or "Page 1 of 2" in text
    event = AuditEvent.objects.order_by("seq")[before]
    assert event.action == Action.PRINT and event.object_type == "schedule_day"


def test_the_grid_widens_to_an_appointment_outside_opening_hours(clock, front_desk, practice):
    fill(practice, front_desk, 1, day_start=datetime(2030, 3, 4, 23, 30, tzinfo=UTC))  # 18:30 New York
    grid = day_schedule(location=practice.location, day=DAY)
    assert (grid.first.hour, grid.last.hour) == (8, 19)
    block = grid.columns[0].blocks[0]
    assert (block.row, block.span) == ((18 * 60 + 30 - 8 * 60) // 5 + 1, 4)


def test_the_navigation_offers_the_schedule_and_the_flow_board(as_user, front_desk, biller):
    body = as_user(front_desk).get("/").content.decode()
    assert 'href="/scheduling/calendar/day/"' in body and 'href="/scheduling/flow/"' in body
    assert "/scheduling/flow/" not in as_user(biller).get("/").content.decode()
