from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.errors import Conflict
from clinicdesk.scheduling.models import AppointmentType, Location, OpeningHours, Provider, Room
from clinicdesk.scheduling.setup import (
    HoursInput,
    ProviderInput,
    RoomInput,
    appointment_type_update,
    location_update,
    provider_update,
    room_update,
)
from conftest import make_staff

from .factories import location_input, make_location, make_provider, make_room, make_type


def _events(object_type, action):
    return AuditEvent.objects.filter(object_type=object_type, action=action).count()


@pytest.fixture
def main(office_manager):
    return make_location(office_manager)


def test_a_location_is_created_with_its_hours_and_one_audit_event(office_manager):
    location = make_location(office_manager, phone="(845) 555-0140", zip_code="124011234")
    assert (location.zip_code, location.phone, location.time_zone) == ("12401-1234", "+18455550140", "America/New_York")
    assert [(h.weekday, h.opens, h.closes) for h in location.opening_hours.all()] == [(0, time(8), time(17))]
    assert _events("location", Action.CREATE) == 1
    event = AuditEvent.objects.get(object_type="location")
    assert event.object_id == str(location.public_id) and "opening_hours" in event.changed_fields


def test_blank_time_zone_and_holidays_take_the_practice_defaults(office_manager, settings):
    settings.TIME_ZONE = "America/Chicago"
    settings.CLINICDESK_HOLIDAY_COUNTRY = "US"
    settings.CLINICDESK_HOLIDAY_SUBDIVISION = "IL"
    location = make_location(office_manager, time_zone="", holiday_country="")
    assert (location.time_zone, location.holiday_country, location.holiday_subdivision) == (
        "America/Chicago",
        "US",
        "IL",
    )


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"time_zone": "Eastern"}, "time_zone"),
        ({"state": "XX"}, "state"),
        ({"zip_code": "1240"}, "zip_code"),
        ({"name": "  "}, "name"),
        ({"holiday_country": "USA"}, "holiday_country"),
        ({"holiday_country": "US", "holiday_subdivision": "ZZ"}, "holiday_subdivision"),
        ({"opening_hours": [HoursInput(weekday=2, opens=time(17), closes=time(8))]}, "opening_hours.wed"),
        ({"opening_hours": [HoursInput(weekday=4, opens=time(9), closes=time(9))]}, "opening_hours.fri"),
    ],
)
def test_a_bad_location_is_refused_by_field_and_nothing_is_written(office_manager, extra, field):
    with pytest.raises(ValidationError) as caught:
        make_location(office_manager, **extra)
    assert field in caught.value.message_dict
    assert Location.objects.count() == 0 and AuditEvent.objects.filter(object_type="location").count() == 0


def test_location_names_are_unique_ignoring_case(office_manager, main):
    with pytest.raises(Conflict) as caught:
        make_location(office_manager, name="main street clinic")
    assert "name" in caught.value.message_dict


def test_changing_the_hours_replaces_them_and_is_audited_once(office_manager, main):
    new_hours = [HoursInput(weekday=d, opens=time(7, 30), closes=time(16)) for d in range(5)]
    changed = location_update(actor=office_manager, location=main, data=location_input(opening_hours=new_hours))
    assert changed == ["opening_hours"]
    assert OpeningHours.objects.filter(location=main).count() == 5
    assert _events("location", Action.UPDATE) == 1
    # The same data again changes nothing and writes no event.
    assert location_update(actor=office_manager, location=main, data=location_input(opening_hours=new_hours)) == []
    assert _events("location", Action.UPDATE) == 1


def test_leaving_out_the_hours_keeps_them(office_manager, main):
    changed = location_update(
        actor=office_manager, location=main, data=location_input(city="Rhinebeck", opening_hours=None)
    )
    assert changed == ["city"] and main.opening_hours.count() == 1


def test_room_names_are_unique_within_a_location_only(office_manager, main):
    make_room(office_manager, main, "Exam 1")
    with pytest.raises(Conflict) as caught:
        make_room(office_manager, main, "EXAM 1")
    assert "name" in caught.value.message_dict
    other = make_location(office_manager, name="Riverside Clinic")
    make_room(office_manager, other, "Exam 1")
    assert Room.objects.count() == 2 and _events("room", Action.CREATE) == 2


def test_a_room_is_made_inactive_not_deleted(office_manager, main):
    room = make_room(office_manager, main)
    assert room_update(actor=office_manager, room=room, data=RoomInput(name="Exam 1", active=False)) == ["active"]
    room.refresh_from_db()
    assert room.active is False and _events("room", Action.UPDATE) == 1


def test_a_clinician_becomes_a_provider(office_manager, clinician, main):
    provider = make_provider(office_manager, clinician, [main], npi="1234-567-893", taxonomy_code="207q00000x")
    assert (provider.npi, provider.taxonomy_code) == ("1234567893", "207Q00000X")
    assert list(provider.locations.all()) == [main]
    assert _events("provider", Action.CREATE) == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"npi": "1234567890"}, "npi"),
        ({"npi": "123456789"}, "npi"),
        ({"npi": ""}, "npi"),
        ({"taxonomy_code": "207Q0000X"}, "taxonomy_code"),
        ({"taxonomy_code": ""}, "taxonomy_code"),
        ({"specialty": ""}, "specialty"),
    ],
)
def test_a_clinician_needs_a_valid_npi_and_taxonomy(office_manager, clinician, main, extra, field):
    with pytest.raises(ValidationError) as caught:
        make_provider(office_manager, clinician, [main], **extra)
    assert field in caught.value.message_dict and Provider.objects.count() == 0


def test_a_provider_works_somewhere(office_manager, clinician):
    with pytest.raises(ValidationError) as caught:
        make_provider(office_manager, clinician, [])
    assert "locations" in caught.value.message_dict


def test_a_nurse_may_be_a_provider_without_an_npi(office_manager, nurse, main):
    provider = make_provider(office_manager, nurse, [main], npi="", taxonomy_code="", specialty="Nursing")
    assert provider.npi == "" and provider.taxonomy_code == ""


def test_only_clinicians_and_nurses_are_providers(office_manager, front_desk, main):
    with pytest.raises(ValidationError) as caught:
        make_provider(office_manager, front_desk, [main])
    assert "user" in caught.value.message_dict


def test_one_staff_member_is_one_provider_and_npis_are_unique(office_manager, clinician, main):
    make_provider(office_manager, clinician, [main])
    with pytest.raises(Conflict) as caught:
        make_provider(office_manager, clinician, [main], npi="1245319599")
    assert "user" in caught.value.message_dict
    other = make_staff("lee", "clinician")
    with pytest.raises(Conflict) as caught:
        make_provider(office_manager, other, [main])
    assert "npi" in caught.value.message_dict


def test_changing_a_providers_locations_is_audited(office_manager, clinician, main):
    provider = make_provider(office_manager, clinician, [main])
    riverside = make_location(office_manager, name="Riverside Clinic")
    data = ProviderInput(
        specialty="Family medicine", npi="1234567893", taxonomy_code="207Q00000X", locations=[main, riverside]
    )
    assert provider_update(actor=office_manager, provider=provider, data=data) == ["locations"]
    assert provider.locations.count() == 2 and _events("provider", Action.UPDATE) == 1


@pytest.fixture
def okafor(office_manager, clinician, main):
    return make_provider(office_manager, clinician, [main])


def test_an_appointment_type_is_created_with_its_providers_and_rooms(office_manager, main, okafor):
    room = make_room(office_manager, main, "Procedure room")
    kind = make_type(
        office_manager,
        [okafor],
        name="Procedure",
        duration_minutes=60,
        buffer_after_minutes=10,
        rooms=[room],
        color="#d62728",
    )
    assert (kind.color, kind.blocked_minutes) == ("#D62728", 70)
    assert list(kind.providers.all()) == [okafor] and list(kind.rooms.all()) == [room]
    assert _events("appointment_type", Action.CREATE) == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": -5}, "duration_minutes"),
        ({"buffer_before_minutes": -1}, "buffer_before_minutes"),
        ({"buffer_after_minutes": 1000}, "buffer_after_minutes"),
        ({"color": "blue"}, "color"),
        ({"patient_kind": "vip"}, "patient_kind"),
        ({"overbook_allowed": True, "overbook_limit": 0}, "overbook_limit"),
        ({"name": ""}, "name"),
    ],
)
def test_a_bad_appointment_type_is_refused_by_field(office_manager, okafor, extra, field):
    with pytest.raises(ValidationError) as caught:
        make_type(office_manager, [okafor], **extra)
    assert field in caught.value.message_dict and AppointmentType.objects.count() == 0


def test_an_appointment_type_needs_a_provider(office_manager):
    with pytest.raises(ValidationError) as caught:
        make_type(office_manager, [])
    assert "providers" in caught.value.message_dict


def test_telehealth_takes_no_room(office_manager, main, okafor):
    room = make_room(office_manager, main)
    with pytest.raises(ValidationError) as caught:
        make_type(office_manager, [okafor], telehealth=True, rooms=[room])
    assert "rooms" in caught.value.message_dict


def test_a_room_must_be_where_a_chosen_provider_works(office_manager, okafor):
    elsewhere = make_location(office_manager, name="Riverside Clinic")
    with pytest.raises(ValidationError) as caught:
        make_type(office_manager, [okafor], rooms=[make_room(office_manager, elsewhere)])
    assert "rooms" in caught.value.message_dict


def test_without_overbooking_the_limit_is_zero(office_manager, okafor):
    kind = make_type(office_manager, [okafor], overbook_allowed=False, overbook_limit=3)
    assert kind.overbook_limit == 0
    allowed = make_type(office_manager, [okafor], name="Sick visit", overbook_allowed=True, overbook_limit=2)
    assert (allowed.overbook_allowed, allowed.overbook_limit) == (True, 2)


def test_appointment_type_names_are_unique_and_updates_report_changes(office_manager, okafor):
    kind = make_type(office_manager, [okafor])
    with pytest.raises(Conflict):
        make_type(office_manager, [okafor], name="FOLLOW-UP")
    from clinicdesk.scheduling.setup import AppointmentTypeInput

    data = AppointmentTypeInput(name="Follow-up", duration_minutes=25, providers=[okafor], default_reason="Recheck")
    assert appointment_type_update(actor=office_manager, kind=kind, data=data) == ["duration_minutes", "default_reason"]
    assert _events("appointment_type", Action.UPDATE) == 1


# The database refuses what the services would refuse, even when the services are bypassed.


def _refused(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_the_database_refuses_closing_before_opening(main):
    _refused(lambda: OpeningHours.objects.create(location=main, weekday=3, opens=time(17), closes=time(8)))


def test_the_database_refuses_duplicate_room_names_per_location(main):
    Room.objects.create(location=main, name="Exam 1")
    _refused(lambda: Room.objects.create(location=main, name="exam 1"))


def test_the_database_refuses_bad_npis_colours_durations_and_buffers(office_manager, clinician, okafor):
    _refused(lambda: Provider.objects.filter(pk=okafor.pk).update(npi="12345"))
    for bad in ({"color": "#12345"}, {"duration_minutes": 0}, {"overbook_allowed": True, "overbook_limit": 0}):
        values = {"name": "X", "duration_minutes": 10, "color": "#000000", **bad}
        _refused(lambda values=values: AppointmentType.objects.create(**values))
