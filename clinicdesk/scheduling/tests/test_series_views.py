"""The series pages: Repeat… → Check → choose per conflict → Book series; then this / following."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from urllib.parse import urlencode

import pytest

from clinicdesk.scheduling.models import Appointment, AppointmentSeries, AppointmentStatus

from .factories import make_weekday_practice
from .helpers import NY, book_one, book_series, local, monday_at, rows


@pytest.fixture
def p(office_manager, front_desk, clinician):
    return make_weekday_practice(office_manager, front_desk, clinician)


def _url(p, start) -> str:
    query = {
        "type": p.kind.public_id,
        "provider": p.provider.public_id,
        "location": p.location.public_id,
        "room": p.rooms[0].public_id,
        "start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "patient": p.jane.mrn,
    }
    return "/scheduling/series/new/?" + urlencode(query)


REPEAT = {"interval": "1", "unit": "weeks", "ends": "count", "count": "4", "until": ""}


def test_check_lists_each_conflict_with_skip_and_suggested_times_and_books_nothing(as_user, p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    client = as_user(p.actor)
    page = client.get(_url(p, start))
    assert page.status_code == 200 and 'for="id_count"' in page.content.decode()
    checked = client.post(_url(p, start), {**REPEAT, "action": "check"})
    body = checked.content.decode()
    assert checked.status_code == 200
    assert 'name="choice_2" id="choice_2_1" value="skip"' in body and "already has an appointment" in body
    assert body.count('name="choice_2"') >= 2 and 'name="choice_1"' not in body
    assert re.search(r"<script(?![^>]*\bsrc=)", body) is None  # strict CSP: no inline script
    assert "<style" not in body and " style=" not in body
    assert not Appointment.objects.filter(patient=p.jane).exists()


def test_book_series_needs_a_choice_for_every_conflict(as_user, p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    answer = as_user(p.actor).post(_url(p, start), {**REPEAT, "action": "book"})
    assert answer.status_code == 422
    assert 'id="choice_2_error"' in answer.content.decode()
    assert not AppointmentSeries.objects.exists()


def test_book_series_with_a_moved_and_a_skipped_conflict(as_user, p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    book_one(p, start + timedelta(weeks=2), patient=p.joe)
    moved = (start + timedelta(weeks=1, hours=3)).isoformat()
    answer = as_user(p.actor).post(_url(p, start), {**REPEAT, "action": "book", "choice_2": moved, "choice_3": "skip"})
    made = AppointmentSeries.objects.get()
    visits = rows(made)
    assert answer.status_code == 302 and answer["Location"] == f"/scheduling/series/{visits[0].public_id}/edit/"
    assert [v.series_index for v in visits] == [1, 2, 4]
    assert local(visits[1]) == (start + timedelta(weeks=1, hours=3)).astimezone(NY)


def test_a_series_of_10000_visits_is_refused_beside_the_count(as_user, p):
    answer = as_user(p.actor).post(_url(p, monday_at()), {**REPEAT, "count": "10000", "action": "check"})
    body = answer.content.decode()
    assert answer.status_code == 422 and 'id="id_count_error"' in body and "at most 104 visits" in body
    assert not Appointment.objects.exists()


def test_the_page_without_a_booking_says_to_start_from_booking(as_user, p):
    answer = as_user(p.actor).get("/scheduling/series/new/")
    assert answer.status_code == 400 and "Repeat…" in answer.content.decode()


def test_this_and_following_on_the_edit_page(as_user, p):
    made = book_series(p, monday_at(), count=6)
    third = rows(made)[2]
    client = as_user(p.actor)
    page = client.get(f"/scheduling/series/{third.public_id}/edit/")
    assert page.status_code == 200 and 'for="id_move-new_time"' in page.content.decode()
    moved = client.post(
        f"/scheduling/series/{third.public_id}/edit/",
        {"action": "move", "move-scope": "following", "move-new_time": "15:00"},
    )
    assert moved.status_code == 302
    assert [local(v).hour for v in rows(made)] == [9, 9, 15, 15, 15, 15]
    gone = client.post(
        f"/scheduling/series/{third.public_id}/edit/",
        {"action": "cancel", "cancel-scope": "this", "cancel-reason": "Patient called"},
    )
    assert gone.status_code == 302
    assert [v.status for v in rows(made)].count(AppointmentStatus.CANCELLED) == 1


def test_an_edit_that_cannot_be_done_shows_why_beside_the_time_and_changes_nothing(as_user, p):
    made = book_series(p, monday_at(), count=3)
    first = rows(made)[0]
    answer = as_user(p.actor).post(
        f"/scheduling/series/{first.public_id}/edit/",
        {"action": "move", "move-scope": "following", "move-new_time": "18:00"},
    )
    assert answer.status_code == 409 and 'id="id_move-new_time_error"' in answer.content.decode()
    assert [local(v).hour for v in rows(made)] == [9, 9, 9]


def test_the_biller_may_not_open_the_series_pages(as_user, p, biller):
    made = book_series(p, monday_at(), count=2)
    client = as_user(biller)
    assert client.get(_url(p, monday_at())).status_code == 403
    assert client.get(f"/scheduling/series/{rows(made)[0].public_id}/edit/").status_code == 403
