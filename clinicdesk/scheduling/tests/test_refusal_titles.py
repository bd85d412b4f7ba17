"""Each kind of booking refusal has its own title, over the API and on the booking form.

A booking in the past used to come back titled "Conflict" with "This clashes with an existing
record", like a double booking. Every refusal kind is made to happen here, once through
POST /api/v1/scheduling/appointments (the problem's title and detail) and once through the
booking page (the heading of the error box), and nothing is booked either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient, PatientStatus
from clinicdesk.scheduling import booking
from clinicdesk.scheduling.booking import BookingInput, appointment_book, appointment_cancel
from clinicdesk.scheduling.models import Appointment, AppointmentType, PatientKind
from clinicdesk.scheduling.tests.factories import make_patient, make_type, make_weekday_practice

# A Monday noon in New York; every time below is computed from it, and the clock stands there.
NOW = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
TUESDAY_10 = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)  # 10:00 in New York
SATURDAY_10 = datetime(2026, 12, 12, 15, 0, tzinfo=UTC)


@pytest.fixture
def practice(clock, office_manager, front_desk, clinician):
    clock.set(NOW)
    found = make_weekday_practice(office_manager, front_desk, clinician)
    found.quick = make_type(
        office_manager,
        [found.provider],
        name="Quick check",
        duration_minutes=10,
        overbook_allowed=True,
        overbook_limit=1,
    )
    found.sam = make_patient(front_desk, "Sam", "Poe")
    return found


def _book(practice, *, patient=None, provider=None, at=TUESDAY_10, room=None, kind=None, overbook=False):
    return appointment_book(
        actor=practice.actor,
        data=BookingInput(
            patient=patient or practice.jane,
            provider=provider or practice.provider,
            location=practice.location,
            appointment_type=kind or practice.kind,
            starts_at=at,
            room=room,
            overbook=overbook,
        ),
    )


@dataclass
class Case:
    """One refusal: what to set up first, then the booking that is refused."""

    title: str
    arrange: Any  # practice -> None
    request: dict  # what differs from Joe at Tuesday 10:00 with the provider
    on_the_page: bool = True  # the page offers no overbook box for a type that does not allow it


def _nothing(practice) -> None:
    return None


def _provider_busy(practice) -> None:
    _book(practice)


def _patient_busy(practice) -> None:
    _book(practice, patient=practice.joe, provider=practice.other)


def _room_busy(practice) -> None:
    _book(practice, provider=practice.other, room=practice.rooms[0])


def _patient_inactive(practice) -> None:
    Patient.objects.filter(pk=practice.joe.pk).update(status=PatientStatus.INACTIVE)


def _established_only(practice) -> None:
    AppointmentType.objects.filter(pk=practice.kind.pk).update(patient_kind=PatientKind.ESTABLISHED)


def _limit_reached(practice) -> None:
    _book(practice, kind=practice.quick)
    _book(practice, patient=practice.sam, kind=practice.quick, overbook=True)


CASES = {
    "past": Case(booking.PAST, _nothing, {"at": NOW - timedelta(days=1)}),
    "provider busy": Case(booking.PROVIDER_BUSY, _provider_busy, {}),
    "patient busy": Case(booking.PATIENT_BUSY, _patient_busy, {}),
    "room busy": Case(booking.ROOM_BUSY, _room_busy, {"room": 0}),
    "not open": Case(booking.UNAVAILABLE, _nothing, {"at": SATURDAY_10}),
    "patient inactive": Case(booking.PATIENT_INACTIVE, _patient_inactive, {}),
    "wrong kind of patient": Case(booking.WRONG_PATIENT_KIND, _established_only, {}),
    "no overbooking": Case(booking.NO_OVERBOOKING, _provider_busy, {"overbook": True}, on_the_page=False),
    "overbook limit": Case(booking.OVERBOOK_LIMIT, _limit_reached, {"overbook": True, "kind": "quick"}),
}


def _titles_are_distinct() -> None:
    titles = [case.title for case in CASES.values()]
    assert len(set(titles)) == len(titles)


def test_every_refusal_kind_has_a_title_of_its_own():
    _titles_are_distinct()
    assert "clash" not in booking.PAST.lower() and booking.PAST == "Appointment time is in the past"


@pytest.mark.parametrize("name", CASES)
def test_the_api_answers_each_refusal_with_its_own_title(name, practice, as_user, front_desk):
    case = CASES[name]
    case.arrange(practice)
    before = Appointment.objects.count()
    kind = practice.quick if case.request.get("kind") == "quick" else practice.kind
    room = case.request.get("room")
    body = {
        "patient_mrn": practice.joe.mrn,
        "provider": str(practice.provider.public_id),
        "location": str(practice.location.public_id),
        "appointment_type": str(kind.public_id),
        "starts_at": case.request.get("at", TUESDAY_10).isoformat(),
        "overbook": case.request.get("overbook", False),
    }
    if room is not None:
        body["room"] = str(practice.rooms[room].public_id)
    answer = as_user(front_desk).post("/api/v1/scheduling/appointments", body, content_type="application/json")
    assert answer.status_code == 409, answer.content
    problem = answer.json()
    assert problem["title"] == case.title
    assert "clashes with an existing record" not in problem["detail"]
    assert problem["detail"] == " ".join(error["message"] for error in problem["errors"])
    assert Appointment.objects.count() == before


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case.on_the_page])
def test_the_booking_page_heads_each_refusal_with_its_own_title(name, practice, as_user, front_desk):
    case = CASES[name]
    case.arrange(practice)
    before = Appointment.objects.count()
    at = case.request.get("at", TUESDAY_10).astimezone(ZoneInfo(practice.location.time_zone))
    kind = practice.quick if case.request.get("kind") == "quick" else practice.kind
    form = {
        "location": str(practice.location.public_id),
        "provider": str(practice.provider.public_id),
        "appointment_type": str(kind.public_id),
        "date": at.date().isoformat(),
        "time": at.strftime("%H:%M"),
        "patient": practice.joe.mrn,
    }
    if case.request.get("room") is not None:
        form["room"] = str(practice.rooms[case.request["room"]].public_id)
    if case.request.get("overbook"):
        form["overbook"] = "on"
    page = as_user(front_desk).post("/scheduling/book/", form)
    assert page.status_code == 409, page.content.decode()[:2000]
    assert f'<p class="form-error-title"><strong>{case.title}</strong></p>' in page.content.decode()
    assert Appointment.objects.count() == before


def test_moving_or_cancelling_a_cancelled_visit_is_titled_as_no_longer_scheduled(practice, as_user, front_desk):
    visit = _book(practice)
    appointment_cancel(actor=front_desk, appointment=visit, reason="Patient called")
    client = as_user(front_desk)
    moved = client.post(
        f"/api/v1/scheduling/appointments/{visit.public_id}/move",
        {"starts_at": (TUESDAY_10 + timedelta(hours=1)).isoformat()},
        content_type="application/json",
    )
    assert moved.status_code == 409 and moved.json()["title"] == booking.NOT_SCHEDULED
    with pytest.raises(Conflict) as refused:
        appointment_cancel(actor=front_desk, appointment=visit, reason="again")
    assert refused.value.title == booking.NOT_SCHEDULED
    with pytest.raises(Conflict) as no_reason:
        appointment_cancel(actor=front_desk, appointment=visit, reason=" ")
    assert no_reason.value.title == booking.REASON_NEEDED
    assert Appointment.objects.get(pk=visit.pk).starts_at == TUESDAY_10


def test_a_refusal_passed_on_by_a_series_keeps_its_title(practice, as_user, front_desk):
    _book(practice)
    body = {
        "patient_mrn": practice.joe.mrn,
        "provider": str(practice.provider.public_id),
        "location": str(practice.location.public_id),
        "appointment_type": str(practice.kind.public_id),
        "starts_at": TUESDAY_10.isoformat(),
        "unit": "weeks",
        "interval": 1,
        "count": 2,
    }
    answer = as_user(front_desk).post("/api/v1/scheduling/series", body, content_type="application/json")
    assert answer.status_code == 409, answer.content
    assert answer.json()["title"] == booking.PROVIDER_BUSY
    assert Appointment.objects.count() == 1
