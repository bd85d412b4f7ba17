"""The confirmations worklist: who still has to confirm, filtered, answered with one click, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.patients.models import PatientPhone
from clinicdesk.scheduling.confirmations import ConfirmationFilter, access_confirmations, default_window
from clinicdesk.scheduling.models import Appointment, ConfirmationStatus
from conftest import api_token_for

from .helpers import AT_10, book_at, registered_patient

MONDAY = date(2026, 12, 7)


def _three(practice):
    unconfirmed = book_at(practice)
    left = book_at(practice, patient="joe", at=AT_10 + timedelta(hours=1))
    practice["ann"] = registered_patient(practice["actor"], "Ann", "Poe")
    done = book_at(practice, patient="ann", at=AT_10 + timedelta(hours=2))
    Appointment.objects.filter(pk=left.pk).update(confirmation=ConfirmationStatus.LEFT_MESSAGE)
    Appointment.objects.filter(pk=done.pk).update(confirmation=ConfirmationStatus.CONFIRMED)
    return unconfirmed, left, done


def test_the_list_holds_the_statuses_asked_for_soonest_first_and_is_audited(practice, front_desk):
    unconfirmed, left, done = _three(practice)
    f = ConfirmationFilter(location=practice["location"], start=MONDAY, end=MONDAY)
    assert access_confirmations(actor=front_desk, f=f) == [unconfirmed, left]
    everyone = ConfirmationFilter(location=practice["location"], start=MONDAY, end=MONDAY,
                                  statuses=tuple(ConfirmationStatus.values))  # fmt: skip
    assert access_confirmations(actor=front_desk, f=everyone) == [unconfirmed, left, done]
    other_day = ConfirmationFilter(
        location=practice["location"], start=MONDAY + timedelta(days=1), end=MONDAY + timedelta(days=2)
    )
    assert access_confirmations(actor=front_desk, f=other_day) == []
    event = AuditEvent.objects.filter(object_type="confirmation_list").first()
    assert event is not None and practice["jane"].mrn in event.detail


def test_bad_filters_and_roles_are_refused(practice, front_desk, biller):
    with pytest.raises(ValidationError, match="before the first"):
        access_confirmations(
            actor=front_desk,
            f=ConfirmationFilter(location=practice["location"], start=MONDAY, end=MONDAY - timedelta(days=1)),
        )
    with pytest.raises(ValidationError, match="at most 31 days"):
        access_confirmations(
            actor=front_desk,
            f=ConfirmationFilter(location=practice["location"], start=MONDAY, end=MONDAY + timedelta(days=40)),
        )
    with pytest.raises(Http404):
        access_confirmations(
            actor=biller, f=ConfirmationFilter(location=practice["location"], start=MONDAY, end=MONDAY)
        )


def test_the_default_window_is_tomorrow_and_the_next_working_day():
    assert default_window(date(2026, 12, 3)) == (date(2026, 12, 4), date(2026, 12, 7))  # Thursday: Friday to Monday
    assert default_window(date(2026, 12, 7)) == (date(2026, 12, 8), date(2026, 12, 9))


def test_the_page_lists_and_one_click_records_the_answer(practice, as_user, front_desk):
    unconfirmed, left, _done = _three(practice)
    client = as_user(front_desk)
    query = {"location": practice["location"].public_id, "start": "2026-12-07", "end": "2026-12-07",
             "confirmation": ["unconfirmed", "left_message"]}  # fmt: skip
    page = client.get("/scheduling/confirmations/", query)
    body = page.content.decode()
    assert page.status_code == 200 and "2 appointments" in body and "Poe" not in body
    here = page.wsgi_request.get_full_path()
    answered = client.post(f"/scheduling/flow/{unconfirmed.public_id}/confirmation/",
                           {"status": "confirmed", "method": "phone", "next": here})  # fmt: skip
    assert answered.status_code == 302 and answered["Location"] == here
    unconfirmed.refresh_from_db()
    assert (unconfirmed.confirmation, unconfirmed.confirmation_method, unconfirmed.confirmed_by) == (
        "confirmed", "phone", front_desk,
    )  # fmt: skip
    assert "1 appointment" in client.get("/scheduling/confirmations/", query).content.decode()
    bad = client.get("/scheduling/confirmations/", {**query, "end": "2026-12-01"})
    assert bad.status_code == 422 and "before the first" in bad.content.decode()


def test_the_api_lists_by_confirmation(client, practice, front_desk):
    _three(practice)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(front_desk, name='t', days=1)}"}
    url = f"/api/v1/scheduling/confirmations?location={practice['location'].public_id}&start=2026-12-07&end=2026-12-07"
    answer = client.get(url + "&confirmation=left_message", **auth)
    assert answer.status_code == 200 and [a["patient_mrn"] for a in answer.json()] == [practice["joe"].mrn]
    assert len(client.get(url, **auth).json()) == 3
    assert client.get(url.replace("2026-12-07&end", "0&end"), **auth).status_code == 422


def test_the_call_list_shows_each_patients_phones_mobile_first_as_tel_links(
    practice, as_user, front_desk, office_manager
):
    _three(practice)
    PatientPhone.objects.create(patient=practice["jane"], kind="home", number="+12025550111")
    PatientPhone.objects.create(patient=practice["jane"], kind="mobile", number="+12025550122")
    PatientPhone.objects.create(patient=practice["joe"], kind="work", number="+15185550133")
    record_restrict(actor=office_manager, patient_id=practice["joe"].mrn, note="staff member's record")
    query = {"location": practice["location"].public_id, "start": "2026-12-07", "end": "2026-12-07",
             "confirmation": ["unconfirmed", "left_message"]}  # fmt: skip
    body = as_user(front_desk).get("/scheduling/confirmations/", query).content.decode()
    mobile = '<a href="tel:+12025550122">(202) 555-0122</a> <span class="muted small">mobile</span>'
    home = '<a href="tel:+12025550111">(202) 555-0111</a> <span class="muted small">home</span>'
    assert mobile in body and home in body and body.index(mobile) < body.index(home)
    assert "555-0133" not in body  # a restricted record shown by initials shows no number either
    event = AuditEvent.objects.filter(object_type="confirmation_list").latest("seq")
    assert "phones shown" in event.detail and practice["jane"].mrn in event.detail
    rows = access_confirmations(actor=front_desk, f=ConfirmationFilter(location=practice["location"], start=MONDAY,
                                                                       end=MONDAY))  # fmt: skip
    assert [[p.kind for p in row.phones_to_call] for row in rows] == [["Mobile", "Home"], []]
