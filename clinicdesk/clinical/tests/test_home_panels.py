"""Clinical home panels on a constructed day (Wednesday 4 March 2026, 10:30 in New York): the
nurse's vitals to take, the clinician's patients, notes to sign, co-signatures and follow-ups,
the front desk's recalls due. Each number opens a list of exactly what it counts, restricted
records left out of both alike."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from clinicdesk.accounts.models import RestrictedRecord
from clinicdesk.clinical.models import Recall, VisitNote, Vitals
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core.tests.homepage import figure
from clinicdesk.scheduling.models import Appointment
from clinicdesk.scheduling.tests.factories import make_appointment, make_patient, make_provider
from conftest import make_staff

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=NY)
TODAY = NOW.date()


def at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    day = day or TODAY
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


@pytest.fixture
def clinic(office_manager, clinician, front_desk, clock):
    clock.set(NOW)
    found = make_clinic(office_manager, clinician, front_desk)
    found.people = [found.patient, *(make_patient(front_desk, first, "Poe") for first in ("Abe", "Bea", "Cal", "Dee"))]
    return found


def visit(clinic, n: int, start: datetime, status: str, *, kind=None, **extra) -> Appointment:
    return make_appointment(clinic.provider.user, patient=clinic.people[n], provider=clinic.provider,
                            location=clinic.location, kind=kind or clinic.kind, starts_at=start, status=status,
                            **extra)  # fmt: skip


def vitals(patient, taken_by, taken_at: datetime, **extra) -> Vitals:
    return Vitals.objects.create(patient=patient, taken_by=taken_by, taken_at=taken_at, pulse=72, **extra)


def rows(page: str, prefix: str) -> set[str]:
    return set(re.findall(rf'id="{prefix}-([0-9a-f-]{{36}})"', page))


def ids(*objects) -> set[str]:
    return {str(o.public_id) for o in objects}


def test_the_nurse_sees_who_has_no_vitals_yet_and_the_list_shows_them(as_user, nurse, clinic, clinician):
    arrived = visit(clinic, 0, at(8), "arrived", arrived_at=at(7, 55))
    measured = visit(clinic, 1, at(8, 30), "roomed", arrived_at=at(8, 20), roomed_at=at(8, 31))
    vitals(clinic.people[1], nurse, at(8, 35))
    mistaken = visit(clinic, 2, at(9), "with_provider", arrived_at=at(8, 50), with_provider_at=at(9, 5))
    vitals(clinic.people[2], nurse, at(9, 1), in_error=True, in_error_reason="Wrong patient")
    visit(clinic, 3, at(9, 30), "arrived", kind=clinic.video, arrived_at=at(9, 25))  # telehealth: no vitals
    visit(clinic, 4, at(10, 20), "scheduled")  # not here yet
    yesterday = visit(clinic, 3, at(10), "roomed", arrived_at=at(9, 50), roomed_at=at(10, 1))
    vitals(clinic.people[3], nurse, at(15, day=TODAY - timedelta(days=1)))
    encounter = make_encounter(clinician, clinic, day=TODAY, appointment=arrived)

    client = as_user(nurse)
    shown = figure(client.get("/").content.decode(), "Vitals to take", "Patients without vitals")
    assert shown.value == "3"
    listed = client.get(shown.url)
    assert listed.status_code == 200
    page = listed.content.decode()
    assert rows(page, "vitals-due") == ids(arrived, mistaken, yesterday)
    assert f"/clinical/encounters/{encounter.public_id}/#vitals" in page  # opened: straight to its vitals
    assert f"/clinical/appointments/{mistaken.public_id}/encounter/" in page  # not yet: open it
    assert ids(measured).isdisjoint(rows(page, "vitals-due"))

    # A restricted record is left out of the number and the list alike, and the list says so.
    RestrictedRecord.objects.create(patient_id=clinic.people[2].mrn, flagged_by=nurse)
    assert figure(client.get("/").content.decode(), "Vitals to take", "Patients without vitals").value == "2"
    page = client.get(shown.url).content.decode()
    assert rows(page, "vitals-due") == ids(arrived, yesterday)
    assert "1 more patient belongs to restricted records" in page


def test_the_front_desk_cannot_open_the_clinical_worklists(as_user, front_desk, clinic):
    client = as_user(front_desk)
    assert client.get("/clinical/vitals-due/").status_code == 403
    assert client.get("/clinical/notes/").status_code == 403


def test_the_clinician_sees_todays_patients_and_the_lists_behind_them(as_user, clinician, clinic):
    visit(clinic, 0, at(8), "completed", arrived_at=at(7, 55))
    here = [visit(clinic, 1, at(9), "arrived", arrived_at=at(8, 55)),
            visit(clinic, 2, at(9, 30), "roomed", arrived_at=at(9, 20), roomed_at=at(9, 31))]  # fmt: skip
    visit(clinic, 3, at(10, 20), "scheduled")
    visit(clinic, 4, at(11), "cancelled", cancelled_at=at(8))
    visit(clinic, 4, at(9, day=TODAY - timedelta(days=1)), "completed")
    client = as_user(clinician)
    page = client.get("/").content.decode()
    booked = figure(page, "Your patients today", "Booked today")
    assert booked.value == "4"
    day_view = client.get(booked.url)
    assert day_view.status_code == 200 and f"provider={clinic.provider.public_id}" in booked.url
    in_building = figure(page, "Your patients today", "In the building")
    assert in_building.value == "2"
    assert rows(client.get(in_building.url).content.decode(), "today") == ids(*here)


def test_a_staff_member_without_a_provider_record_is_told_why_no_patients_show(as_user, db):
    scribe = make_staff("scribe", "clinician")
    page = as_user(scribe).get("/").content.decode()
    assert "you have no provider record" in page


def _signed(encounter, signer, **extra) -> VisitNote:
    return VisitNote.objects.create(
        encounter=encounter, subjective="Seen.", author=signer, last_edited_by=signer, status="signed",
        signed_by=signer, signed_at=NOW - timedelta(hours=1), content_sha256="a" * 64, **extra,
    )  # fmt: skip


def test_the_clinician_sees_notes_to_sign_co_signatures_and_follow_ups_added_today(
    as_user, office_manager, clinician, nurse, clinic
):
    colleague = make_provider(office_manager, make_staff("np_kim", "clinician"), [clinic.location],
                              npi="1245319599", taxonomy_code="363LF0000X")  # fmt: skip
    mine = [make_encounter(clinician, clinic, day=TODAY - timedelta(days=n)) for n in range(3)]
    draft = VisitNote.objects.create(encounter=mine[0], subjective="Draft.", author=nurse, last_edited_by=nurse)
    _signed(mine[1], clinician)
    _signed(mine[2], clinician, cosign_required=True)  # my own: someone else co-signs it
    theirs = [make_encounter(colleague.user, clinic, day=TODAY) for _ in range(3)]
    for encounter in theirs:
        encounter.provider = colleague
        encounter.save()
    VisitNote.objects.create(encounter=theirs[0], subjective="Their draft.", author=colleague.user,
                             last_edited_by=colleague.user)  # fmt: skip
    waiting = _signed(theirs[1], colleague.user, cosign_required=True)
    _signed(theirs[2], colleague.user, cosign_required=True, cosigned_by=clinician, cosigned_at=NOW)
    added = [
        Recall.objects.create(patient=clinic.patient, appointment_type=clinic.kind, due_on=TODAY + timedelta(days=14),
                              reason="BP check", created_by=clinician, created_at=at(h))
        for h in (8, 9)
    ]  # fmt: skip
    Recall.objects.create(patient=clinic.patient, appointment_type=clinic.kind, due_on=TODAY, reason="Labs",
                          created_by=clinician, created_at=at(17, day=TODAY - timedelta(days=1)))  # fmt: skip
    Recall.objects.create(patient=clinic.patient, appointment_type=clinic.kind, due_on=TODAY, reason="Labs",
                          created_by=nurse, created_at=at(9))  # fmt: skip

    client = as_user(clinician)
    page = client.get("/").content.decode()
    to_sign = figure(page, "Notes and follow-ups", "Notes to sign")
    assert (to_sign.value, to_sign.attention) == ("1", True)
    assert rows(client.get(to_sign.url).content.decode(), "note") == ids(draft)
    cosign = figure(page, "Notes and follow-ups", "Co-signatures waiting")
    assert cosign.value == "1"
    assert rows(client.get(cosign.url).content.decode(), "note") == ids(waiting)
    follow_ups = figure(page, "Notes and follow-ups", "Follow-ups you added today")
    assert follow_ups.value == "2"
    listed = client.get(follow_ups.url)
    assert listed.status_code == 200
    assert rows(listed.content.decode(), "recall") == ids(*added)
    # The lists are reads of the patients shown, written to the audit trail.
    from clinicdesk.audit.models import AuditEvent

    assert AuditEvent.objects.filter(actor=clinician, object_type="note_worklist").count() == 2


def test_the_front_desk_sees_recalls_due_and_overdue_at_its_location(as_user, front_desk, clinician, clinic):
    def recall(due: date, status: str = "due", **extra) -> Recall:
        return Recall.objects.create(patient=clinic.patient, appointment_type=clinic.kind, provider=clinic.provider,
                                     due_on=due, reason="Follow-up", status=status, created_by=clinician, **extra)  # fmt: skip

    overdue = recall(TODAY - timedelta(days=3))
    due_today = recall(TODAY)
    recall(TODAY + timedelta(days=7))
    recall(TODAY - timedelta(days=3), status="closed", closed_at=NOW, closed_by=clinician, closed_reason="Moved")
    client = as_user(front_desk)
    page = client.get("/").content.decode()
    shown = figure(page, "Recalls due", "Due by today")
    assert shown.value == "2"
    assert rows(client.get(shown.url).content.decode(), "recall") == ids(overdue, due_today)
    late = figure(page, "Recalls due", "Overdue")
    assert (late.value, late.attention) == ("1", True)
    assert rows(client.get(late.url).content.decode(), "recall") == ids(overdue)
    assert Recall.objects.filter(status="due").count() == 3


def test_the_clinicians_page_costs_the_same_queries_however_many_notes_and_visits(as_user, clinician, nurse, clinic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        client = as_user(clinician)
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/").status_code == 200
        return len(captured)

    visit(clinic, 0, at(8), "arrived", arrived_at=at(7, 55))
    before = queries()
    for n in range(1, 5):
        appointment = visit(clinic, n, at(8 + n), "roomed", arrived_at=at(7 + n, 50), roomed_at=at(8 + n))
        encounter = make_encounter(clinician, clinic, day=TODAY, appointment=appointment)
        VisitNote.objects.create(encounter=encounter, subjective="Draft.", author=nurse, last_edited_by=nurse)
        Recall.objects.create(patient=clinic.people[n], appointment_type=clinic.kind, due_on=TODAY, reason="Labs",
                              created_by=clinician, created_at=at(9))  # fmt: skip
    page = as_user(clinician).get("/").content.decode()
    assert figure(page, "Notes and follow-ups", "Notes to sign").value == "4"
    assert figure(page, "Your patients today", "In the building").value == "5"
    assert queries() == before
