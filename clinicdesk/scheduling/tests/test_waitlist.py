"""The waitlist: who fits a freed slot, in what order, and offers that book (or move) the patient."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.booking import BookingRefused, appointment_cancel
from clinicdesk.scheduling.models import Appointment, OfferStatus, WaitlistEntry, WaitlistOffer
from clinicdesk.scheduling.waitlist import (
    WaitlistInput,
    access_waitlist,
    offer_accept,
    offer_decline,
    offer_slot,
    waitlist_add,
    waitlist_close,
    waitlist_matches,
)

from .helpers import at, book_now, registered_patient


def entry_for(place, patient="ann", **extra) -> WaitlistEntry:
    values = {
        "patient": place[patient],
        "appointment_type": place["type"],
        "wait_until": place["monday"] + timedelta(days=30),
    }
    values.update(extra)
    return waitlist_add(actor=place["actor"], data=WaitlistInput(**values))


@pytest.fixture
def waiting(clinic):
    clinic["ann"] = registered_patient(clinic["actor"], "Ann", "Poe")
    clinic["bo"] = registered_patient(clinic["actor"], "Bo", "Lee")
    return clinic


def matches(place, *, hour=10, provider="provider", exclude=None, kind="type"):
    return waitlist_matches(
        provider=place[provider],
        location=place["location"],
        appointment_type=place[kind],
        starts_at=at(place["monday"], hour),
        exclude_patient=place[exclude] if exclude else None,
    )


# --- Adding ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"wait_until": "yesterday"}, "wait_until"),
        ({"earliest_time": time(11), "latest_time": time(9)}, "latest_time"),
        ({"earliest_time": time(9), "latest_time": time(9)}, "latest_time"),
        ({"weekdays": [0, 7]}, "weekdays"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"providers": "not taking"}, "providers"),
    ],
)
def test_a_waitlist_entry_with_a_mistake_is_refused_by_field_and_not_saved(waiting, change, field, office_manager):
    from conftest import make_staff

    from .factories import make_provider

    if change.get("wait_until") == "yesterday":
        change = {"wait_until": app_clock.today() - timedelta(days=1)}
    if change.get("providers") == "not taking":
        stranger = make_provider(
            office_manager, make_staff("drno", "clinician"), [waiting["location"]], npi="1003000126"
        )
        change = {"providers": [stranger]}
    with pytest.raises(ValidationError) as caught:
        entry_for(waiting, **change)
    assert field in caught.value.message_dict
    assert not WaitlistEntry.objects.exists()


def test_adding_an_entry_is_audited_with_the_patients_mrn(waiting):
    entry = entry_for(waiting, weekdays=[2, 0, 0])
    assert entry.weekdays == [0, 2]
    event = AuditEvent.objects.get(object_type="waitlist_entry", action="create")
    assert event.patient_id == waiting["ann"].mrn


# --- Matching ----------------------------------------------------------------------------------

# Each row: what the entry asks for, and whether the 10:00 Monday slot with the first provider fits.
MATCH_RULES = [
    ("anything", {}, True),
    ("this provider among others", {"providers": ["provider", "other"]}, True),
    ("another provider only", {"providers": ["other"]}, False),
    ("this location", {"location": "location"}, True),
    ("Mondays", {"weekdays": [0]}, True),
    ("Tuesdays and Fridays only", {"weekdays": [1, 4]}, False),
    ("from 09:00 to 10:00 (edges count)", {"earliest_time": time(9), "latest_time": time(10)}, True),
    ("afternoons", {"earliest_time": time(13)}, False),
    ("before 09:30", {"latest_time": time(9, 30)}, False),
    ("until the day of the slot", {"wait_until": "slot day"}, True),
    ("until the day before the slot", {"wait_until": "day before"}, False),
    ("another type", {"appointment_type": "quick"}, False),
]


@pytest.mark.parametrize(("label", "wants", "fits"), MATCH_RULES, ids=[r[0] for r in MATCH_RULES])
def test_a_freed_slot_matches_the_entries_that_would_take_it(waiting, label, wants, fits):
    values = {}
    for name, value in wants.items():
        if name == "providers":
            values[name] = [waiting[v] for v in value]
        elif name in ("location", "appointment_type"):
            values[name] = waiting[value]
        elif value == "slot day":
            values[name] = waiting["monday"]
        elif value == "day before":
            values[name] = waiting["monday"] - timedelta(days=1)
        else:
            values[name] = value
    entry = entry_for(waiting, **values)
    assert (matches(waiting) == [entry]) is fits


def test_closed_and_expired_entries_do_not_match(waiting):
    closed = entry_for(waiting)
    waitlist_close(actor=waiting["actor"], entry=closed)
    expired = entry_for(waiting, patient="bo")
    WaitlistEntry.objects.filter(pk=expired.pk).update(wait_until=app_clock.today() - timedelta(days=1))
    assert matches(waiting) == []


def test_the_patient_who_cancelled_is_not_offered_their_own_slot(waiting):
    entry_for(waiting, patient="jane")
    assert matches(waiting, exclude="jane") == []
    assert len(matches(waiting)) == 1


def test_a_slot_later_than_the_patients_own_appointment_is_no_gain(waiting):
    own = book_now(waiting, patient="ann", hour=11, room=1)
    entry_for(waiting, current_appointment=own)
    assert matches(waiting, hour=10) != [] and matches(waiting, hour=13) == []


def test_matches_are_ranked_by_how_long_they_waited(waiting):
    newer = entry_for(waiting, patient="ann")
    older = entry_for(waiting, patient="bo")
    WaitlistEntry.objects.filter(pk=older.pk).update(created_at=app_clock.now() - timedelta(days=20))
    assert matches(waiting) == [older, newer]


# --- Offers ------------------------------------------------------------------------------------


def _offer(place, entry, hour=10):
    return offer_slot(
        actor=place["actor"],
        entry=entry,
        provider=place["provider"],
        location=place["location"],
        starts_at=at(place["monday"], hour),
    )


def test_an_offer_is_recorded_for_the_front_desk_and_audited(waiting):
    entry = entry_for(waiting)
    offer = _offer(waiting, entry)
    assert (offer.status, offer.channel, offer.booked) == (OfferStatus.OFFERED, "staff", None)
    assert AuditEvent.objects.get(object_type="waitlist_offer").patient_id == waiting["ann"].mrn
    with pytest.raises(ValidationError, match="already been offered"):
        _offer(waiting, entry)


def test_a_slot_that_does_not_fit_the_entry_cannot_be_offered(waiting):
    entry = entry_for(waiting, weekdays=[1])
    with pytest.raises(ValidationError, match="cannot come on Mondays"):
        _offer(waiting, entry)
    assert not WaitlistOffer.objects.exists()


def test_accepting_an_offer_books_the_patient_and_closes_the_entry(waiting):
    entry = entry_for(waiting)
    offer = _offer(waiting, entry)
    other_entry = entry_for(waiting, patient="bo")
    rival = _offer(waiting, other_entry)
    appointment = offer_accept(actor=waiting["actor"], offer=offer)
    assert (appointment.patient, appointment.starts_at) == (waiting["ann"], at(waiting["monday"], 10))
    assert appointment.room is not None
    offer.refresh_from_db()
    entry.refresh_from_db()
    rival.refresh_from_db()
    assert (offer.status, offer.booked) == (OfferStatus.ACCEPTED, appointment)
    assert not entry.active and entry.closed_at is not None
    assert rival.status == OfferStatus.EXPIRED  # the slot is gone
    with pytest.raises(ValidationError, match="already accepted"):
        offer_accept(actor=waiting["actor"], offer=offer)


def test_accepting_moves_the_patients_later_appointment_instead_of_booking_a_second(waiting):
    later = book_now(waiting, patient="ann", hour=15, room=1)
    entry = entry_for(waiting, current_appointment=later)
    appointment = offer_accept(actor=waiting["actor"], offer=_offer(waiting, entry))
    assert appointment.public_id == later.public_id
    assert Appointment.objects.filter(patient=waiting["ann"]).count() == 1
    later.refresh_from_db()
    assert later.starts_at == at(waiting["monday"], 10)
    assert later.changes.filter(what="moved", note="earlier slot from the waitlist").exists()


def test_a_slot_taken_meanwhile_refuses_the_acceptance_and_changes_nothing(waiting):
    entry = entry_for(waiting)
    offer = _offer(waiting, entry)
    book_now(waiting, patient="bo")  # someone else got the 10:00 first
    with pytest.raises(BookingRefused, match="already has an appointment"):
        offer_accept(actor=waiting["actor"], offer=offer)
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert offer.status == OfferStatus.OFFERED and entry.active


def test_declining_keeps_the_patient_on_the_waitlist(waiting):
    entry = entry_for(waiting)
    offer = offer_decline(actor=waiting["actor"], offer=_offer(waiting, entry))
    entry.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED and offer.answered_at and entry.active
    assert matches(waiting) == [entry]


# --- Pages -------------------------------------------------------------------------------------


def test_cancelling_shows_who_waits_and_one_click_books_them(waiting, as_user):
    freed = book_now(waiting, patient="jane")
    older = entry_for(waiting, patient="bo")
    WaitlistEntry.objects.filter(pk=older.pk).update(created_at=app_clock.now() - timedelta(days=9))
    newer = entry_for(waiting, patient="ann")
    client = as_user(waiting["actor"])
    cancel = reverse("scheduling:appointment_cancel", kwargs={"public_id": freed.public_id})
    assert "2 patients are on the waitlist" in client.get(cancel).content.decode()
    screen = client.post(cancel, {"reason": "Patient called"}, follow=True)
    body = screen.content.decode()
    assert screen.status_code == 200
    assert body.index(waiting["bo"].display_name) < body.index(waiting["ann"].display_name)

    offer_url = reverse("scheduling:slot_offer", kwargs={"public_id": freed.public_id})
    nobody = client.post(offer_url, {})  # no one chosen: the page says so and offers nothing
    assert nobody.status_code == 422 and "Choose who on the waitlist gets the slot." in nobody.content.decode()
    assert not WaitlistOffer.objects.exists()
    assert client.post(offer_url, {"entry": newer.public_id}).status_code == 302
    assert WaitlistOffer.objects.get().entry == newer
    response = client.post(offer_url, {"entry": older.public_id, "book": "1"})
    booked = Appointment.objects.get(patient=waiting["bo"])
    assert response.status_code == 302 and str(booked.public_id) in response["Location"]
    assert booked.starts_at == freed.starts_at and booked.room == freed.room
    assert WaitlistOffer.objects.get(entry=newer).status == OfferStatus.EXPIRED


def test_accept_and_decline_buttons_record_the_answer(waiting, as_user):
    freed = book_now(waiting, patient="jane")
    appointment_cancel(actor=waiting["actor"], appointment=freed, reason="Patient called")
    offer = _offer(waiting, entry_for(waiting))
    client = as_user(waiting["actor"])
    decline = reverse("scheduling:offer_decline", kwargs={"public_id": offer.public_id})
    assert client.post(decline, {"freed": freed.public_id}).status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    again = _offer(waiting, offer.entry)
    accept = reverse("scheduling:offer_accept", kwargs={"public_id": again.public_id})
    response = client.post(accept, {"freed": freed.public_id})
    assert response.status_code == 302
    assert Appointment.objects.get(patient=waiting["ann"]).room == freed.room


def test_the_waitlist_page_lists_adds_and_closes_entries(waiting, as_user):
    client = as_user(waiting["actor"])
    response = client.post(
        reverse("scheduling:waitlist_new"),
        {
            "patient": waiting["ann"].mrn,
            "appointment_type": waiting["type"].public_id,
            "wait_until": (app_clock.today() + timedelta(days=20)).isoformat(),
            "weekdays": ["0", "2"],
            "earliest_time": "09:00",
            "latest_time": "12:00",
        },
    )
    assert response.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert (entry.weekdays, entry.earliest_time) == ([0, 2], time(9))
    listing = client.get(reverse("scheduling:waitlist")).content.decode()
    assert waiting["ann"].display_name in listing and "Mon, Wed" in listing
    bad = client.post(
        reverse("scheduling:waitlist_new"),
        {"patient": waiting["bo"].mrn, "appointment_type": waiting["type"].public_id, "wait_until": "2001-01-01"},
    )
    assert bad.status_code == 422 and "That day has passed" in bad.content.decode()
    close = reverse("scheduling:waitlist_close", kwargs={"public_id": entry.public_id})
    assert client.post(close).status_code == 302
    entry.refresh_from_db()
    assert not entry.active


def test_the_waitlist_form_takes_the_patient_by_name(waiting, as_user):
    client = as_user(waiting["actor"])
    ann = waiting["ann"]
    data = {
        "patient": ann.display_name,
        "appointment_type": waiting["type"].public_id,
        "wait_until": (app_clock.today() + timedelta(days=20)).isoformat(),
    }
    assert client.post(reverse("scheduling:waitlist_new"), data).status_code == 302
    assert WaitlistEntry.objects.get().patient == ann
    # Several patients of that name: each is offered, a link that chooses the patient.
    al = registered_patient(waiting["actor"], "Al", "Poe")
    kind = waiting["type"].public_id
    page = client.get(reverse("scheduling:waitlist_new"), {"patient": "poe", "type": kind})
    body = page.content.decode().replace("&amp;", "&")
    assert " patients match “poe”: choose one." in body
    for person in (ann, al):
        assert f'href="/scheduling/waitlist/new/?type={kind}&patient={person.mrn}"' in body
    chosen = client.get(reverse("scheduling:waitlist_new"), {"patient": al.mrn, "type": kind}).content.decode()
    assert f"<strong>{al.display_name}</strong>" in chosen


def test_a_clinician_sees_the_waitlist_but_cannot_offer_or_add(waiting, as_user, clinician):
    entry = entry_for(waiting)
    freed = book_now(waiting, patient="jane")
    appointment_cancel(actor=waiting["actor"], appointment=freed, reason="Patient called")
    client = as_user(clinician)
    assert client.get(reverse("scheduling:waitlist")).status_code == 200
    assert client.get(reverse("scheduling:waitlist_new")).status_code == 403
    offer_url = reverse("scheduling:slot_offer", kwargs={"public_id": freed.public_id})
    assert client.post(offer_url, {"entry": entry.public_id, "book": "1"}).status_code == 403
    assert not WaitlistOffer.objects.exists()


def test_the_waitlist_leaves_restricted_records_out_at_one_query_however_many(waiting):
    """Restricted records without a grant are not listed; deciding that costs the same queries
    for one restricted entry as for four (no query per row), and a grant lists the entry."""
    actor = waiting["actor"]
    ann, bo = entry_for(waiting, "ann"), entry_for(waiting, "bo")
    record_restrict(actor=actor, patient_id=waiting["bo"].mrn)
    with CaptureQueriesContext(connection) as one:
        assert access_waitlist(actor=actor) == [ann]
    for n in range(3):
        waiting[f"hidden{n}"] = registered_patient(actor, "Hidden", f"Person{n}")
        entry_for(waiting, f"hidden{n}")
        record_restrict(actor=actor, patient_id=waiting[f"hidden{n}"].mrn)
    with CaptureQueriesContext(connection) as four:
        assert access_waitlist(actor=actor) == [ann]
    assert len(four.captured_queries) == len(one.captured_queries)
    emergency_access_grant(actor=actor, patient_id=waiting["bo"].mrn, reason="Patient called about chest pain")
    assert access_waitlist(actor=actor) == [ann, bo]
