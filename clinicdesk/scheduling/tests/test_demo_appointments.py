"""The demo schedule: every state, no overlaps, inside the hours, written once."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from clinicdesk.accounts.demo import demo_staff
from clinicdesk.core import clock as app_clock
from clinicdesk.core.demo import DemoOptions
from clinicdesk.patients.demo import demo_patients
from clinicdesk.scheduling.booking_checks import availability_problem
from clinicdesk.scheduling.demo import demo_scheduling
from clinicdesk.scheduling.demo_appointments import demo_appointments
from clinicdesk.scheduling.models import Appointment, AvailabilityTemplate, WaitlistEntry

from .helpers import overlapping_pairs


def test_the_demo_books_three_months_each_way_in_every_state_without_an_overlap(db):
    options = DemoOptions(patients=300)
    demo_staff(options)
    demo_patients(options)
    demo_scheduling(options)
    summary = demo_appointments(options)
    assert "appointments" in summary, summary
    assert AvailabilityTemplate.objects.count() == 8
    today = app_clock.today()
    past = Appointment.objects.filter(starts_at__date__lt=today)
    future = Appointment.objects.filter(starts_at__date__gt=today)
    assert {"completed", "no_show", "cancelled"} <= set(past.values_list("status", flat=True))
    assert {"scheduled", "cancelled"} <= set(future.values_list("status", flat=True))
    assert past.count() > 2000 and future.count() > 1500
    assert overlapping_pairs() == []
    assert WaitlistEntry.objects.filter(active=True).count() == 6
    # Every future appointment would pass the booking checks except for the clock.
    sample = Appointment.objects.filter(status="scheduled").select_related(
        "provider__user", "location", "appointment_type", "room", "patient"
    )[:40]
    for appointment in sample:
        local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone))
        problem = availability_problem(
            appointment_type=appointment.appointment_type, provider=appointment.provider,
            location=appointment.location, room=appointment.room, starts_at=appointment.starts_at,
        )  # fmt: skip
        assert problem is None, (local, problem)
    assert demo_appointments(options).startswith("skipped")
