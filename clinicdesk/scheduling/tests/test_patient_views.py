"""The patient page's Appointments section: upcoming visits, the last ten past ones, a Book button."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.models import AppointmentStatus

from .factories import make_appointment, make_weekday_practice

# A Wednesday, 9:00 in New York: standard time until Sunday 03/14/2027, daylight time after.
NOW = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def desk(clock, office_manager, front_desk, clinician):
    clock.set(NOW)
    desk = make_weekday_practice(office_manager, front_desk, clinician)

    def visit(starts_at, **extra):
        return make_appointment(
            front_desk,
            patient=desk.jane,
            provider=desk.provider,
            location=desk.location,
            kind=desk.kind,
            starts_at=starts_at,
            **extra,
        )

    desk.next_week = visit(NOW + timedelta(days=7))  # Wed 03/17/2027 10:00 AM (UTC-4)
    desk.tomorrow = visit(NOW + timedelta(days=1, hours=3))  # Thu 03/11/2027 12:00 PM (UTC-5)
    desk.dropped = visit(NOW + timedelta(days=2), status=AppointmentStatus.CANCELLED, cancelled_at=NOW)
    # Twelve past visits, one a week; the latest was a no-show.
    desk.past = [
        visit(NOW - timedelta(weeks=n), status=AppointmentStatus.COMPLETED if n > 1 else AppointmentStatus.NO_SHOW)
        for n in range(1, 13)
    ]
    return desk


def _section(client, desk):
    response = client.get(reverse("scheduling:patient_appointments", args=[desk.jane.mrn]), headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_patient_page_loads_the_appointments_section_for_those_who_read_the_schedule(desk, as_user, biller):
    url = reverse("scheduling:patient_appointments", args=[desk.jane.mrn])
    page = as_user(desk.actor).get(reverse("patients:detail", args=[desk.jane.mrn])).content.decode()
    assert f'hx-get="{url}"' in page and 'id="patient-appointments"' in page
    biller_page = as_user(biller).get(reverse("patients:detail", args=[desk.jane.mrn])).content.decode()
    assert url not in biller_page
    assert as_user(biller).get(url, headers=HTMX).status_code == 403


def test_the_front_desk_sees_upcoming_and_the_last_ten_past_visits_with_a_book_button(desk, as_user):
    section = _section(as_user(desk.actor), desk)
    assert "<html" not in section
    upcoming, past = section.split('id="appointments-past-h"')
    # Soonest first; the cancelled one is not upcoming.
    assert upcoming.index(str(desk.tomorrow.public_id)) < upcoming.index(str(desk.next_week.public_id))
    assert str(desk.dropped.public_id) not in section
    assert "Thu 03/11/2027" in upcoming and "12:00 PM" in upcoming
    assert "Wed 03/17/2027" in upcoming and "10:00 AM" in upcoming
    assert reverse("scheduling:appointment", args=[desk.tomorrow.public_id]) in upcoming
    assert desk.provider.display_name in upcoming and desk.kind.name in upcoming
    # The last ten, latest first, whatever their status.
    shown = [a for a in desk.past if str(a.public_id) in past]
    assert shown == desk.past[:10]
    assert past.index(str(desk.past[0].public_id)) < past.index(str(desk.past[1].public_id))
    assert "No-show" in past and "Wed 03/03/2027" in past
    # Book opens the booking page with the patient chosen.
    book = reverse("scheduling:book") + f"?patient={desk.jane.mrn}"
    assert f'href="{book}"' in upcoming
    booking = as_user(desk.actor).get(book).content.decode()
    assert desk.jane.display_name in booking and "Choose another patient" in booking
    assert AuditEvent.objects.filter(action="read", patient_id=desk.jane.mrn, reason="appointments").exists()


def test_a_clinician_sees_the_appointments_without_a_book_button(desk, as_user, clinician):
    section = _section(as_user(clinician), desk)
    assert str(desk.tomorrow.public_id) in section and "/scheduling/book/" not in section


def test_without_javascript_the_section_is_a_page(desk, as_user):
    url = reverse("scheduling:patient_appointments", args=[desk.jane.mrn])
    page = as_user(desk.actor).get(url).content.decode()
    assert "<html" in page and f"Appointments of {desk.jane.display_name}" in page
    assert str(desk.next_week.public_id) in page


def test_a_patient_without_appointments_says_so(desk, as_user):
    url = reverse("scheduling:patient_appointments", args=[desk.joe.mrn])
    section = as_user(desk.actor).get(url, headers=HTMX).content.decode()
    assert "No upcoming appointments." in section and "No past appointments." in section


def test_a_restricted_patients_appointments_need_emergency_access(desk, as_user, office_manager, clinician):
    record_restrict(actor=office_manager, patient_id=desk.jane.mrn, note="staff member's own chart")
    url = reverse("scheduling:patient_appointments", args=[desk.jane.mrn])
    refused = as_user(clinician).get(url)
    assert refused.status_code == 302 and "emergency" in refused["Location"]
    assert as_user(desk.actor).get(url).status_code in (302, 404)
