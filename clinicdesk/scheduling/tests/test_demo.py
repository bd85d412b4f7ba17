from __future__ import annotations

from clinicdesk.accounts.demo import demo_staff
from clinicdesk.audit.models import AuditEvent
from clinicdesk.core.demo import DemoOptions
from clinicdesk.core.luhn import npi_valid
from clinicdesk.scheduling.demo import demo_scheduling
from clinicdesk.scheduling.models import AppointmentType, Location, OpeningHours, Provider, Room


def _snapshot():
    return (
        Location.objects.count(),
        Room.objects.count(),
        Provider.objects.count(),
        AppointmentType.objects.count(),
        OpeningHours.objects.count(),
        AuditEvent.objects.count(),
    )


def test_the_demo_sets_up_two_locations_five_providers_and_six_types(db):
    demo_staff(DemoOptions())
    demo_scheduling(DemoOptions())
    main = Location.objects.get(name="Main Street Clinic")
    assert [(h.weekday, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}") for h in main.opening_hours.all()] == [
        *((d, "08:00", "17:00") for d in range(5)),
        (5, "09:00", "12:00"),
    ]
    assert Location.objects.get(name="Riverside Clinic").opening_hours.count() == 5
    assert Room.objects.count() == 6 and Provider.objects.count() == 5
    assert all(npi_valid(p.npi) for p in Provider.objects.all())
    procedure = AppointmentType.objects.get(name="Procedure")
    assert (procedure.duration_minutes, procedure.buffer_after_minutes, procedure.rooms.count()) == (60, 10, 2)
    assert AppointmentType.objects.get(name="Telehealth follow-up").telehealth
    assert [p.user.username for p in AppointmentType.objects.get(name="Nurse visit").providers.all()] == ["sam"]


def test_running_the_demo_twice_changes_nothing(db):
    demo_staff(DemoOptions())
    first = demo_scheduling(DemoOptions())
    before = _snapshot()
    second = demo_scheduling(DemoOptions())
    assert _snapshot() == before
    assert "0 location(s), 0 room(s), 0 provider(s) (0 new clinician login(s)), 0 appointment type(s)" in second
    assert first != second
