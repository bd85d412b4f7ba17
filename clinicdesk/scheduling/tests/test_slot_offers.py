"""Booking from a recall: the booking page offers the open times around the due date, found by
the slot search, the recall's provider first, and the slot search with the window when none."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape
from urllib.parse import unquote, urlencode

import pytest
from django.urls import reverse

from clinicdesk.scheduling.slot_offers import offer_window
from conftest import make_staff

from .factories import make_provider, make_type, make_weekday_practice

# A Wednesday in March, after New York moved to daylight time (UTC-4).
NOW = datetime(2027, 3, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def desk(clock, office_manager, front_desk, clinician):
    clock.set(NOW)
    return make_weekday_practice(office_manager, front_desk, clinician)


def _book_page(client, desk, *, due: date, provider=None, kind=None) -> str:
    query = {"patient": desk.jane.mrn, "type": (kind or desk.kind).public_id, "due": due.isoformat()}
    if provider is not None:
        query["provider"] = provider.public_id
    response = client.get(reverse("scheduling:book") + "?" + urlencode(query))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str) -> str:
    start = page.index('id="near-due"')
    return unquote(unescape(page[start : page.index("</section>", start)]))


def test_the_window_runs_from_two_weeks_before_to_four_weeks_after_and_never_before_today():
    today = date(2027, 3, 3)
    assert offer_window(date(2027, 3, 31), today) == (date(2027, 3, 17), date(2027, 4, 28))
    assert offer_window(date(2027, 3, 10), today) == (today, date(2027, 4, 7))
    # Long overdue: the four weeks from today.
    assert offer_window(date(2026, 12, 1), today) == (today, date(2027, 3, 31))


def test_booking_from_a_recall_offers_the_providers_open_times_around_the_due_date_first(desk, as_user):
    page = _book_page(as_user(desk.actor), desk, due=date(2027, 3, 31), provider=desk.provider)
    near = _section(page)
    assert "Open times around the due date, 03/31/2027" in near
    assert "03/17/2027 to 04/28/2027" in near
    # The recall's provider first, then the others who take the visit type.
    mine = near.index(f"With {desk.provider.display_name}")
    assert mine < near.index("Other providers")
    assert near.index("Wed 03/17/2027") > mine
    assert "03/16/2027" not in near and "Tue 03/16" not in near
    # Each time is one click: the booking page again with that slot (08:00 New York = 12:00 UTC).
    first = near[near.index('href="', mine) + 6 :].split('"', 1)[0]
    assert "start=2027-03-17T12:00:00Z" in first and f"provider={desk.provider.public_id}" in first
    assert f"patient={desk.jane.mrn}" in first
    picked = as_user(desk.actor).get(first).content.decode()
    assert 'id="near-due"' not in picked and "Wed 03/17/2027 at 8:00 AM" in picked


def test_times_the_patient_is_already_booked_are_not_offered(desk, as_user):
    from clinicdesk.scheduling.booking import BookingInput, appointment_book

    at = datetime(2027, 3, 17, 12, 0, tzinfo=UTC)
    appointment_book(
        actor=desk.actor,
        data=BookingInput(
            patient=desk.jane,
            provider=desk.other,
            location=desk.location,
            appointment_type=desk.kind,
            starts_at=at,
            room=desk.rooms[0],
        ),
    )
    near = _section(_book_page(as_user(desk.actor), desk, due=date(2027, 3, 31), provider=desk.provider))
    assert "start=2027-03-17T12:00:00Z" not in near
    assert "start=2027-03-17T12:40:00Z" in near or "start=2027-03-17T12:20:00Z" in near


def test_with_no_open_time_the_page_says_so_and_links_the_slot_search_with_the_window(desk, as_user, office_manager):
    # A visit type taken only by a provider without hours: nothing can be offered.
    idle = make_provider(office_manager, make_staff("drnone", "clinician"), [desk.location], npi="1003000126")
    lonely = make_type(office_manager, [idle], name="Nutrition consult", duration_minutes=45)
    client = as_user(desk.actor)
    near = _section(_book_page(client, desk, due=date(2027, 3, 31), provider=idle, kind=lonely))
    assert "No open times between 03/17/2027 and 04/28/2027." in near
    search = near[near.index('<a href="') + 9 :].split('"', 1)[0]
    assert search.startswith(reverse("scheduling_setup:slots") + "?")
    for part in (
        f"appointment_type={lonely.public_id}",
        f"providers={idle.public_id}",
        "start_date=2027-03-17",
        "end_date=2027-04-28",
        f"patient={desk.jane.mrn}",
        "grid_minutes=30",
    ):
        assert part in search
    found = client.get(search)
    assert found.status_code == 200
    assert 'value="2027-03-17"' in found.content.decode() and "0 slots found" in found.content.decode()


def test_a_bad_due_date_opens_the_plain_booking_page(desk, as_user):
    url = reverse("scheduling:book") + "?" + urlencode({"type": desk.kind.public_id, "due": "0001-01-01"})
    response = as_user(desk.actor).get(url)
    assert response.status_code == 200 and 'id="near-due"' not in response.content.decode()
    url = reverse("scheduling:book") + "?" + urlencode({"type": desk.kind.public_id, "due": "next tuesday"})
    assert 'id="near-due"' not in as_user(desk.actor).get(url).content.decode()
