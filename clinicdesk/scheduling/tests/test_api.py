from __future__ import annotations

import uuid

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.scheduling.models import AppointmentType, Location, Provider

from .factories import make_location, make_provider, make_room

PROBLEM = "application/problem+json"
BASE = "/api/v1/scheduling"

LOCATION = {
    "name": "Main Street Clinic",
    "address_line1": "120 Main Street",
    "city": "Kingston",
    "state": "NY",
    "zip_code": "12401",
    "time_zone": "America/New_York",
    "opening_hours": [{"weekday": "mon", "opens": "08:00", "closes": "17:00"}],
}


def _send(client, method, url, body):
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_the_office_manager_sets_up_a_location_with_rooms_through_the_api(as_user, office_manager):
    client = as_user(office_manager)
    created = _send(client, "post", f"{BASE}/locations", LOCATION)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["opening_hours"] == [{"weekday": "mon", "opens": "08:00:00", "closes": "17:00:00"}]
    assert (body["holiday_country"], body["rooms"]) == ("US", [])
    url = f"{BASE}/locations/{body['public_id']}"
    room = _send(client, "post", f"{url}/rooms", {"name": "Exam 1"})
    assert room.status_code == 201 and room.json()["location"] == body["public_id"]
    clash = _send(client, "post", f"{url}/rooms", {"name": "EXAM 1"})
    assert clash.status_code == 409 and clash["Content-Type"] == PROBLEM
    assert clash.json()["errors"][0]["field"] == "name"
    changed = _send(client, "put", url, {**LOCATION, "city": "Rhinebeck", "opening_hours": None})
    assert changed.status_code == 200 and changed.json()["city"] == "Rhinebeck"
    assert len(changed.json()["opening_hours"]) == 1 and changed.json()["rooms"][0]["name"] == "Exam 1"
    assert client.get(f"{BASE}/locations").json()[0]["public_id"] == body["public_id"]
    assert AuditEvent.objects.filter(object_type="location").count() == 2


def test_service_errors_are_problem_details_naming_the_field(as_user, office_manager):
    client = as_user(office_manager)
    bad = _send(
        client,
        "post",
        f"{BASE}/locations",
        {
            **LOCATION,
            "time_zone": "Mars/Olympus",
            "opening_hours": [{"weekday": "tue", "opens": "17:00", "closes": "08:00"}],
        },
    )
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"time_zone", "opening_hours.tue"}
    assert Location.objects.count() == 0


def test_schema_errors_are_problem_details_too(as_user, office_manager):
    client = as_user(office_manager)
    response = _send(
        client,
        "post",
        f"{BASE}/locations",
        {**LOCATION, "opening_hours": [{"weekday": "mon", "opens": 28800, "closes": "17:00"}], "extra": 1},
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert any("extra" in e["field"] for e in response.json()["errors"])


def test_providers_and_types_through_the_api(as_user, office_manager, clinician):
    location = make_location(office_manager)
    room = make_room(office_manager, location)
    client = as_user(office_manager)
    provider_body = {
        "user": str(clinician.public_id),
        "npi": "1234567890",
        "taxonomy_code": "207Q00000X",
        "specialty": "Family medicine",
        "locations": [str(location.public_id)],
    }
    refused = _send(client, "post", f"{BASE}/providers", provider_body)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "npi"
    created = _send(client, "post", f"{BASE}/providers", {**provider_body, "npi": "1234567893"})
    assert created.status_code == 201, created.content
    provider = created.json()
    assert (provider["name"], provider["role"], provider["locations"]) == (
        "Dr. Amara Okafor",
        "clinician",
        [str(location.public_id)],
    )
    update = {k: v for k, v in provider_body.items() if k != "user"}  # the staff account never changes
    unknown = _send(
        client,
        "put",
        f"{BASE}/providers/{provider['public_id']}",
        {**update, "npi": "1234567893", "locations": [str(uuid.uuid4())]},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "locations"
    kind = {
        "name": "Procedure",
        "duration_minutes": 60,
        "buffer_after_minutes": 10,
        "providers": [provider["public_id"]],
        "rooms": [str(room.public_id)],
        "overbook_allowed": True,
        "overbook_limit": 2,
    }
    made = _send(client, "post", f"{BASE}/appointment-types", kind)
    assert made.status_code == 201, made.content
    assert (made.json()["rooms"], made.json()["overbook_limit"]) == ([str(room.public_id)], 2)
    zero = _send(client, "put", f"{BASE}/appointment-types/{made.json()['public_id']}", {**kind, "duration_minutes": 0})
    assert zero.status_code == 422 and zero.json()["errors"][0]["field"] == "duration_minutes"
    assert AppointmentType.objects.get().duration_minutes == 60
    assert client.get(f"{BASE}/appointment-types/{uuid.uuid4()}").status_code == 404
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="provider").count() == 1


def test_the_front_desk_reads_the_setup_but_cannot_change_it(as_user, office_manager, front_desk, clinician):
    location = make_location(office_manager)
    make_provider(office_manager, clinician, [location])
    client = as_user(front_desk)
    assert client.get(f"{BASE}/locations/{location.public_id}").status_code == 200
    assert len(client.get(f"{BASE}/providers").json()) == 1
    refused = _send(client, "post", f"{BASE}/locations", {**LOCATION, "name": "Riverside"})
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert _send(client, "put", f"{BASE}/locations/{location.public_id}", LOCATION).status_code == 403
    assert Location.objects.count() == 1 and Provider.objects.count() == 1
