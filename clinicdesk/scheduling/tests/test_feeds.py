"""Provider calendar feeds: valid iCalendar, clinic time zone, initials only, secret and revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from icalendar import Calendar

from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.feeds import feed_calendar, feed_create, feed_revoke
from clinicdesk.scheduling.models import CalendarFeed

from .helpers import AT_10, book_at
from .helpers import BOOKING_NOW as NOW


def _parse(token: str) -> Calendar:
    return Calendar.from_ical(feed_calendar(token=token, now=NOW))


def test_the_feed_is_valid_icalendar_in_clinic_time_with_initials_only(practice, office_manager):
    booked = book_at(practice, room=practice["rooms"][0])
    book_at(practice, patient="joe", at=AT_10 + timedelta(hours=1))
    _feed, token = feed_create(actor=office_manager, provider=practice["provider"])
    calendar = _parse(token)
    events = calendar.walk("VEVENT")
    assert len(events) == 2
    first = events[0]
    start = first.decoded("dtstart")
    assert str(start.tzinfo) == "America/New_York" and (start.hour, start.minute) == (10, 0)
    assert first["dtstart"].params["TZID"] == "America/New_York"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/New_York"]
    assert str(first["summary"]) == "Follow-up – J. D."
    assert str(first["location"]) == "Main Street Clinic, Exam 1"
    assert str(first["uid"]) == f"{booked.public_id}@clinicdesk"
    text = feed_calendar(token=token, now=NOW).decode()
    assert "Jane" not in text and "Doe" not in text and practice["jane"].mrn not in text


def test_names_only_when_the_office_manager_opts_in(practice, office_manager, clinician):
    book_at(practice)
    with pytest.raises(ValidationError, match="Only the office manager"):
        feed_create(actor=clinician, provider=practice["provider"], include_details=True)
    _feed, token = feed_create(actor=office_manager, provider=practice["provider"], include_details=True)
    assert str(_parse(token).walk("VEVENT")[0]["summary"]) == "Follow-up – Jane Doe"


def test_a_cancelled_visit_stays_in_the_feed_as_cancelled_so_phones_remove_it(practice, office_manager):
    from clinicdesk.scheduling.booking import appointment_cancel

    appointment_cancel(actor=practice["actor"], appointment=book_at(practice), reason="Patient called", now=NOW)
    _feed, token = feed_create(actor=office_manager, provider=practice["provider"])
    assert str(_parse(token).walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_only_a_live_token_opens_a_feed_and_every_use_is_audited(practice, office_manager):
    feed, token = feed_create(actor=office_manager, provider=practice["provider"])
    assert CalendarFeed.objects.get().token_hash != token and token not in str(CalendarFeed.objects.values().get())
    _parse(token)
    assert AuditEvent.objects.filter(object_type="calendar_feed", action="read", object_id=str(feed.public_id)).exists()
    for wrong in (token[:-1] + ("A" if token[-1] != "A" else "B"), "cdf_", "nothing", token + "x" * 200):
        with pytest.raises(Http404):
            feed_calendar(token=wrong)
    feed_revoke(actor=office_manager, feed=feed)
    with pytest.raises(Http404):
        feed_calendar(token=token)


def test_a_provider_manages_their_own_feeds_but_nobody_elses(practice, clinician, front_desk):
    feed_create(actor=clinician, provider=practice["provider"])  # their own
    with pytest.raises(PermissionDenied):
        feed_create(actor=clinician, provider=practice["other"])
    with pytest.raises(PermissionDenied):
        feed_create(actor=front_desk, provider=practice["provider"])


def test_the_feed_pages(practice, as_user, clinician, front_desk, client):
    page = as_user(clinician).post(f"/scheduling/providers/{practice['provider'].public_id}/feeds/")
    assert page.status_code == 200 and b"/scheduling/feed/cdf_" in page.content
    url = page.content.decode().split('readonly value="')[1].split('"')[0]
    client.logout()
    answer = client.get(url.split("testserver")[1])
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    assert as_user(clinician).get("/scheduling/my-feeds/").status_code == 302
    assert as_user(front_desk).get(f"/scheduling/providers/{practice['provider'].public_id}/feeds/").status_code == 404
