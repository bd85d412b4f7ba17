"""Recalls: created from a plan with an interval or a date, worked from the worklist, closed by a booking."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import recalls
from clinicdesk.clinical.access import access_recall_worklist
from clinicdesk.clinical.models import Encounter, Recall, RecallStatus
from clinicdesk.clinical.recalls import View, WorklistFilters
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict
from clinicdesk.scheduling.booking import appointment_cancel
from clinicdesk.scheduling.tests.factories import make_location, make_type

from .helpers import backdate, book, new_recall, next_weekday_at

NY = ZoneInfo("America/New_York")


# --- Helpers ---------------------------------------------------------------------------------


def events(object_type: str = "recall", **filters):
    return AuditEvent.objects.filter(object_type=object_type, **filters)


# --- Intervals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 days", date(2026, 3, 12)),
        ("2 weeks", date(2026, 3, 16)),
        ("2 Weeks", date(2026, 3, 16)),
        ("1 week", date(2026, 3, 9)),
        ("3 months", date(2026, 6, 2)),
        ("1 year", date(2027, 3, 2)),
        (" 6 mo ", date(2026, 9, 2)),
    ],
)
def test_simple_intervals_count_from_the_start_day(text, expected):
    assert recalls.interval_due(text, date(2026, 3, 2)) == expected


def test_a_month_from_the_31st_lands_on_the_last_day_of_a_shorter_month():
    assert recalls.interval_due("1 month", date(2026, 1, 31)) == date(2026, 2, 28)
    assert recalls.interval_due("1 year", date(2028, 2, 29)) == date(2029, 2, 28)


@pytest.mark.parametrize("text", ["soon", "2 fortnights", "two weeks", "", "-1 weeks", "2.5 weeks", "weeks 2"])
def test_anything_else_is_refused_with_the_forms_it_accepts(text):
    with pytest.raises(ValidationError) as caught:
        recalls.interval_due(text, date(2026, 3, 2))
    assert "interval" in caught.value.message_dict
    assert '"2 weeks"' in caught.value.message_dict["interval"][0]


@pytest.mark.parametrize("text", ["0 days", "6 years", "61 months"])
def test_zero_and_more_than_five_years_are_refused(text):
    with pytest.raises(ValidationError) as caught:
        recalls.interval_due(text, date(2026, 3, 2))
    assert caught.value.message_dict["interval"]


# --- Creating --------------------------------------------------------------------------------


def test_a_recall_from_a_visit_counts_its_interval_from_the_date_of_service_and_is_audited(rp, nurse):
    Encounter.objects.filter(pk=rp.encounter.pk).update(date_of_service=app_clock.today() - timedelta(days=3))
    rp.encounter.refresh_from_db()
    recall = new_recall(nurse, rp, encounter=rp.encounter, provider=rp.provider, interval="2 weeks")
    assert recall.due_on == rp.encounter.date_of_service + timedelta(weeks=2)
    assert recall.status == RecallStatus.DUE
    assert recall.created_by == nurse
    (event,) = events(action="create")
    assert event.patient_id == rp.jane.mrn
    assert event.object_id == str(recall.public_id)
    assert "BP check" not in event.detail + event.changed_fields  # references only, never the reason


def test_a_plan_documented_late_may_be_due_already_and_shows_overdue(rp, clinician):
    Encounter.objects.filter(pk=rp.encounter.pk).update(date_of_service=app_clock.today() - timedelta(days=30))
    rp.encounter.refresh_from_db()
    recall = new_recall(clinician, rp, encounter=rp.encounter, interval="2 weeks")
    assert recall.due_on == app_clock.today() - timedelta(days=16)
    state, label, late = recalls.recall_state(recall, app_clock.today())
    assert (state, label, late) == (View.OVERDUE, "Overdue", 16)


def test_a_due_date_before_today_is_refused_without_a_visit(rp, clinician):
    with pytest.raises(ValidationError) as caught:
        new_recall(clinician, rp, due_on=app_clock.today() - timedelta(days=1))
    assert "cannot be before today" in caught.value.message_dict["due_on"][0]
    assert not Recall.objects.exists()
    assert not events().exists()


def test_every_wrong_field_is_named_at_once_and_nothing_is_written(rp, clinician, office_manager):
    other = make_type(office_manager, [rp.other], name="Dermatology")
    with pytest.raises(ValidationError) as caught:
        recalls.recall_create(
            actor=clinician,
            patient=rp.jane,
            appointment_type=other,
            provider=rp.provider,
            interval="later",
            reason="  ",
        )
    assert set(caught.value.message_dict) == {"interval", "reason", "provider"}
    assert "does not see patients for Dermatology" in caught.value.message_dict["provider"][0]
    assert not Recall.objects.exists()


def test_a_due_date_and_an_interval_together_or_neither_are_refused(rp, clinician):
    with pytest.raises(ValidationError) as both:
        new_recall(clinician, rp, due_on=app_clock.today() + timedelta(days=5), interval="2 weeks")
    assert "not both" in both.value.message_dict["interval"][0]
    with pytest.raises(ValidationError) as neither:
        recalls.recall_create(actor=clinician, patient=rp.jane, appointment_type=rp.kind, reason="BP check")
    assert "due date" in neither.value.message_dict["due_on"][0]


def test_another_patients_visit_is_refused(rp, clinician):
    with pytest.raises(ValidationError) as caught:
        new_recall(clinician, rp, patient=rp.joe, encounter=rp.encounter)
    assert caught.value.message_dict["encounter"] == ["This visit belongs to another patient."]


def test_only_people_who_write_notes_create_recalls(rp, front_desk, biller):
    for person in (front_desk, biller):
        with pytest.raises(PermissionDenied):
            new_recall(person, rp)
    assert not Recall.objects.exists()


# --- Contact and close -----------------------------------------------------------------------


def test_logging_a_contact_attempt_marks_the_recall_contacted(rp, clinician, front_desk):
    recall = new_recall(clinician, rp)
    recalls.recall_log_contact(actor=front_desk, recall=recall, note="left voicemail")
    recall.refresh_from_db()
    assert (recall.status, recall.contact_note, recall.contacted_by) == ("contacted", "left voicemail", front_desk)
    (event,) = events(action="update")
    assert "left voicemail" not in event.detail


def test_a_contact_attempt_needs_a_note(rp, clinician, front_desk):
    recall = new_recall(clinician, rp)
    with pytest.raises(ValidationError) as caught:
        recalls.recall_log_contact(actor=front_desk, recall=recall, note=" ")
    assert caught.value.message_dict["note"]
    recall.refresh_from_db()
    assert recall.status == RecallStatus.DUE


def test_closing_needs_a_reason_and_happens_once(rp, clinician, front_desk):
    recall = new_recall(clinician, rp)
    with pytest.raises(ValidationError) as caught:
        recalls.recall_close(actor=front_desk, recall=recall, reason="")
    assert "Say why" in caught.value.message_dict["reason"][0]
    recall.refresh_from_db()
    assert recall.status == RecallStatus.DUE
    recalls.recall_close(actor=front_desk, recall=recall, reason="moved away")
    recall.refresh_from_db()
    assert (recall.status, recall.closed_reason, recall.closed_by) == ("closed", "moved away", front_desk)
    with pytest.raises(Conflict):
        recalls.recall_close(actor=front_desk, recall=recall, reason="again")
    with pytest.raises(Conflict):
        recalls.recall_log_contact(actor=front_desk, recall=recall, note="called")


# --- Booking closes the recall ---------------------------------------------------------------


def test_booking_the_recalls_type_schedules_it_with_the_appointment_linked(rp, clinician):
    recall = new_recall(clinician, rp, provider=rp.provider)
    appointment = book(rp)
    recall.refresh_from_db()
    assert recall.status == RecallStatus.SCHEDULED
    assert recall.appointment == appointment
    (event,) = events(action="update", object_id=str(recall.public_id))
    assert str(appointment.public_id) in event.detail


def test_a_booking_that_does_not_match_leaves_the_recall_due(rp, clinician):
    with_provider = new_recall(clinician, rp, provider=rp.provider)
    physical = new_recall(clinician, rp, kind=rp.physical)
    book(rp, provider=rp.other)  # right type, other provider
    book(rp, patient=rp.joe, at=next_weekday_at(11))  # another patient
    for recall in (with_provider, physical):
        recall.refresh_from_db()
        assert recall.status == RecallStatus.DUE


def test_a_recall_naming_no_provider_is_scheduled_by_any_provider_and_the_oldest_goes_first(rp, clinician):
    later = new_recall(clinician, rp, interval="3 months")
    sooner = new_recall(clinician, rp, interval="2 weeks")
    appointment = book(rp, provider=rp.other)
    sooner.refresh_from_db()
    later.refresh_from_db()
    assert (sooner.status, sooner.appointment) == ("scheduled", appointment)
    assert later.status == RecallStatus.DUE


def test_a_cancelled_appointment_leaves_the_recall_needing_rebooking_and_the_next_booking_takes_it(
    rp, clinician, front_desk
):
    recall = new_recall(clinician, rp)
    first = book(rp)
    appointment_cancel(actor=front_desk, appointment=first, reason="patient sick")
    recall.refresh_from_db()
    assert recalls.recall_state(recall, app_clock.today())[0] == View.NEEDS_REBOOKING
    listed = access_recall_worklist(actor=front_desk, filters=WorklistFilters(state=View.OPEN))
    assert [row.recall for row in listed.rows] == [recall]
    second = book(rp, at=next_weekday_at(14))
    recall.refresh_from_db()
    assert (recall.status, recall.appointment) == ("scheduled", second)


# --- The worklist ----------------------------------------------------------------------------


def _states(actor, **filters) -> list[str]:
    worklist = access_recall_worklist(actor=actor, filters=WorklistFilters(**filters))
    return [row.recall.reason for row in worklist.rows]


def test_the_worklist_filters_by_state_with_overdue_derived(rp, clinician, front_desk):
    today = app_clock.today()
    due = new_recall(clinician, rp, reason="due", interval="2 weeks")
    overdue = backdate(new_recall(clinician, rp, reason="overdue", interval="1 week"), today - timedelta(days=3))
    contacted = new_recall(clinician, rp, reason="contacted", interval="1 month")
    recalls.recall_log_contact(actor=front_desk, recall=contacted, note="left voicemail")
    scheduled = new_recall(clinician, rp, reason="scheduled", kind=rp.physical)
    book(rp, kind=rp.physical)
    closed = new_recall(clinician, rp, reason="closed", interval="1 year")
    recalls.recall_close(actor=front_desk, recall=closed, reason="declined")
    assert overdue.status == RecallStatus.DUE  # overdue is never stored
    assert _states(front_desk) == ["overdue", "due", "contacted"]
    assert _states(front_desk, state=View.DUE) == ["overdue", "due"]
    assert _states(front_desk, state=View.OVERDUE) == ["overdue"]
    assert _states(front_desk, state=View.CONTACTED) == ["contacted"]
    assert _states(front_desk, state=View.SCHEDULED) == ["scheduled"]
    assert _states(front_desk, state=View.CLOSED) == ["closed"]
    assert len(_states(front_desk, state=View.ALL)) == 5
    row = access_recall_worklist(actor=front_desk, filters=WorklistFilters()).rows[0]
    assert (row.state, row.days_overdue, row.phone) == (View.OVERDUE, 3, "(202) 555-0123")
    assert due.status == scheduled.status == RecallStatus.DUE


def test_the_worklist_filters_by_provider_type_location_and_due_dates(rp, clinician, front_desk, office_manager):
    today = app_clock.today()
    new_recall(clinician, rp, reason="mine", provider=rp.provider, interval="1 week")
    new_recall(clinician, rp, reason="lee", provider=rp.other, interval="2 weeks")
    new_recall(clinician, rp, reason="physical", kind=rp.physical, interval="3 weeks")
    new_recall(clinician, rp, reason="from visit", encounter=rp.encounter, interval="4 weeks")
    assert _states(front_desk, provider=rp.provider) == ["mine"]
    assert _states(front_desk, appointment_type=rp.physical) == ["physical"]
    assert _states(front_desk, due_from=today + timedelta(days=10), due_to=today + timedelta(days=22)) == [
        "lee",
        "physical",
    ]
    elsewhere = make_location(office_manager, name="Uptown Clinic")
    assert _states(front_desk, location=elsewhere) == []
    assert _states(front_desk, location=rp.location) == ["mine", "lee", "from visit"]


def test_reading_the_worklist_is_one_audited_read_listing_the_mrns(rp, clinician, front_desk):
    new_recall(clinician, rp)
    new_recall(clinician, rp, patient=rp.joe)
    before = AuditEvent.objects.count()
    access_recall_worklist(actor=front_desk, filters=WorklistFilters())
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.object_type == "recall_worklist" and event.action == "read"
    assert rp.jane.mrn in event.detail and rp.joe.mrn in event.detail
    assert "Doe" not in event.detail and "BP check" not in event.detail


def test_billers_and_auditors_cannot_read_the_worklist(rp, biller, auditor):
    from django.http import Http404

    for person in (biller, auditor):
        with pytest.raises(Http404):
            access_recall_worklist(actor=person, filters=WorklistFilters())


def test_recalls_of_restricted_records_are_left_out_and_counted(rp, clinician, front_desk, office_manager):
    from clinicdesk.accounts.services import record_restrict

    new_recall(clinician, rp)
    new_recall(clinician, rp, patient=rp.joe)
    record_restrict(actor=office_manager, patient_id=rp.joe.mrn, note="staff member")
    worklist = access_recall_worklist(actor=front_desk, filters=WorklistFilters())
    assert [row.recall.patient for row in worklist.rows] == [rp.jane]
    assert (worklist.total, worklist.restricted_hidden) == (1, 1)


def test_the_worklist_reads_in_the_same_number_of_queries_however_long_it_is(rp, clinician, front_desk):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    new_recall(clinician, rp)
    with CaptureQueriesContext(connection) as one:
        access_recall_worklist(actor=front_desk, filters=WorklistFilters())
    for n in range(6):
        new_recall(clinician, rp, patient=rp.joe if n % 2 else rp.jane, provider=rp.provider, interval=f"{n + 1} weeks")
    with CaptureQueriesContext(connection) as seven:
        worklist = access_recall_worklist(actor=front_desk, filters=WorklistFilters())
    assert len(worklist.rows) == 7
    assert len(seven) == len(one)
