from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from clinicdesk.audit.models import AuditEvent
from clinicdesk.patients.coverage import CoverageInput, coverage_add
from clinicdesk.patients.models import CoveragePriority, PayerType
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.scheduling.models import Appointment, AppointmentChange, AppointmentStatus

from .factories import make_appointment, make_patient, make_practice
from .helpers import FLOW_NOW as NOW

S = AppointmentStatus
BOARD = "/scheduling/flow/"
FRAGMENT = "/scheduling/flow/board/"


@pytest.fixture
def clock(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def practice(office_manager, clinician):
    return make_practice(office_manager, clinician)


@pytest.fixture
def appointment(practice, front_desk):
    return make_appointment(
        front_desk, patient=make_patient(front_desk), provider=practice.provider, location=practice.location,
        kind=practice.kind, starts_at=NOW - timedelta(minutes=5),
    )  # fmt: skip


def where(practice) -> dict:
    return {"location": str(practice.location.public_id)}


def test_the_board_page_holds_a_fragment_that_refreshes_itself(clock, as_user, front_desk, practice, appointment):
    body = as_user(front_desk).get(BOARD, where(practice)).content.decode()
    assert 'id="flow-board"' in body and 'hx-trigger="every 5s"' in body
    assert f'hx-get="{FRAGMENT}?location={practice.location.public_id}"' in body
    assert "Doe, Jane" in body and "5 min late" in body
    assert "<script" not in body.split('id="main"')[1] and "style=" not in body.split('id="main"')[1]


def test_the_fragment_is_only_the_board(clock, as_user, front_desk, practice, appointment):
    response = as_user(front_desk).get(FRAGMENT, where(practice), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="flow-board"') and "<html" not in body
    assert 'hx-trigger="every 5s"' in body  # the refreshed fragment keeps refreshing


def test_refreshes_are_audited_only_when_the_patients_shown_change(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    before = AuditEvent.objects.filter(object_type="flow_board").count()
    client.get(BOARD, where(practice))
    for _ in range(3):
        client.get(FRAGMENT, where(practice), HTTP_HX_REQUEST="true")
    assert AuditEvent.objects.filter(object_type="flow_board").count() == before + 1
    make_appointment(
        front_desk, patient=make_patient(front_desk, first="New"), provider=practice.provider,
        location=practice.location, kind=practice.kind, starts_at=NOW + timedelta(hours=2),
    )  # fmt: skip
    client.get(FRAGMENT, where(practice), HTTP_HX_REQUEST="true")
    events = AuditEvent.objects.filter(object_type="flow_board").order_by("seq")
    assert events.count() == before + 2 and "patients=2" in events.last().detail


def test_one_click_rooms_the_patient_and_returns_the_refreshed_board(clock, as_user, nurse, practice, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW - timedelta(minutes=20))
    client = as_user(nurse)
    board = client.get(BOARD, where(practice)).content.decode()
    exam_1 = f'<option value="{practice.rooms[0].public_id}">Exam 1</option>'
    assert "wait-amber" in board and exam_1 in board  # one labelled list of the free rooms, and a Room button
    assert re.search(r'<label class="visually-hidden" for="(room-[^"]+)">Free room for Doe, Jane</label>'
                     r'<select id="\1" name="room" hx-preserve="true">', board)  # fmt: skip
    assert ">Room</button>" in board
    assert f'hx-post="/scheduling/flow/{appointment.public_id}/move/"' in board
    response = client.post(
        f"/scheduling/flow/{appointment.public_id}/move/",
        {"to": "roomed", "room": str(practice.rooms[0].public_id), **where(practice)},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="flow-board"')
    assert "Doe, Jane: roomed." in body and exam_1 not in body  # Exam 1 is taken now
    appointment.refresh_from_db()
    assert appointment.status == S.ROOMED and appointment.room == practice.rooms[0] and appointment.roomed_at == NOW


def test_a_refused_click_shows_why_on_the_board(clock, as_user, front_desk, practice, appointment):
    response = as_user(front_desk).post(
        f"/scheduling/flow/{appointment.public_id}/move/",
        {"to": "checked_out", **where(practice)},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "first check the patient in" in body
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_without_javascript_the_button_posts_and_comes_back(clock, as_user, front_desk, practice, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW)
    response = as_user(front_desk).post(
        f"/scheduling/flow/{appointment.public_id}/move/", {"to": "roomed", "room": str(practice.rooms[1].public_id)}
    )
    assert response.status_code == 302 and response["Location"].startswith(BOARD)


def test_check_in_shows_demographics_and_coverage_copay_and_records_verification(
    clock, as_user, front_desk, biller, practice, appointment
):
    payer = payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))
    coverage_add(
        actor=front_desk,
        patient=appointment.patient,
        data=CoverageInput(
            payer=payer,
            priority=CoveragePriority.PRIMARY,
            effective_date=date(2030, 1, 1),
            member_id="W123",
            copay_notes="$25 office visit",
            coinsurance_notes="20% after deductible",
        ),  # fmt: skip
    )
    client = as_user(front_desk)
    url = f"/scheduling/flow/{appointment.public_id}/check-in/"
    page = client.get(url).content.decode()
    assert "Aetna" in page and "$25 office visit" in page and "20% after deductible" in page
    assert 'name="demographics_verified"' in page and "03/14/1962" in page
    assert AuditEvent.objects.filter(object_type="patient", patient_id=appointment.patient.mrn, action="read").exists()
    response = client.post(url, {"demographics_verified": "on"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED and appointment.arrived_at == NOW
    assert AppointmentChange.objects.get(appointment=appointment).note == "Demographics verified."


def test_the_check_in_button_on_the_board_opens_the_check_in_page(clock, as_user, front_desk, practice, appointment):
    body = as_user(front_desk).get(BOARD, where(practice)).content.decode()
    assert f'href="/scheduling/flow/{appointment.public_id}/check-in/"' in body


def test_the_appointment_page_records_a_confirmation(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    page = client.get(f"/scheduling/flow/{appointment.public_id}/").content.decode()
    assert "Unconfirmed" in page and 'name="method"' in page
    response = client.post(
        f"/scheduling/flow/{appointment.public_id}/confirmation/", {"status": "left_message", "method": "phone"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.confirmation, appointment.confirmed_by) == ("left_message", front_desk)
    page = client.get(f"/scheduling/flow/{appointment.public_id}/").content.decode()
    assert "Left message" in page and "left_message (phone)" in page


def test_the_clinician_sees_the_board_without_buttons(clock, as_user, clinician, practice, appointment):
    body = as_user(clinician).get(BOARD, where(practice)).content.decode()
    assert "Doe, Jane" in body and "/move/" not in body and "check-in" not in body
    assert as_user(clinician).post(f"/scheduling/flow/{appointment.public_id}/no-show/").status_code == 403


def test_the_board_shows_times_on_the_12_hour_clock(clock, as_user, front_desk, practice, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW - timedelta(minutes=20))
    body = as_user(front_desk).get(BOARD, where(practice)).content.decode()
    # 14:55 UTC start and 14:40 arrival are 9:55 and 9:40 in New York; updated at 10:00:00.
    assert '<td class="nowrap">9:55 AM' in body and "Updated 10:00:00 AM." in body
    assert '<span class="flow-since-word">since </span>9:40 AM' in body
    assert "09:55" not in body and "14:55" not in body


def test_undo_on_the_board_takes_the_step_back_and_returns_the_refreshed_board(
    clock, as_user, nurse, practice, appointment
):
    client = as_user(nurse)
    client.post(
        f"/scheduling/flow/{appointment.public_id}/move/",
        {"to": "roomed", "room": str(practice.rooms[0].public_id), **where(practice)},
        HTTP_HX_REQUEST="true",
    )  # refused: not checked in yet
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW - timedelta(minutes=20))
    client.post(
        f"/scheduling/flow/{appointment.public_id}/move/",
        {"to": "roomed", "room": str(practice.rooms[0].public_id), **where(practice)},
        HTTP_HX_REQUEST="true",
    )
    board = client.get(BOARD, where(practice)).content.decode()
    undo = f"/scheduling/flow/{appointment.public_id}/undo/"
    assert f'hx-post="{undo}"' in board and ">Undo room</button>" in board
    assert re.search(r'<label class="visually-hidden" for="(undo-[^"]+)">Why undo, for Doe, Jane</label>'
                     r'<select id="\1" name="reason"', board)  # fmt: skip
    assert '<div class="flow-actions">' in board
    clock.advance(minutes=2)
    response = client.post(undo, {"reason": "Clicked by mistake", **where(practice)}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="flow-board"')
    assert "Doe, Jane: step undone, back to arrived." in body and ">Undo room</button>" not in body
    appointment.refresh_from_db()
    assert (appointment.status, appointment.room, appointment.roomed_at) == (S.ARRIVED, None, None)
    change = AppointmentChange.objects.filter(appointment=appointment).latest("id")
    assert (change.what, change.by, change.old_value, change.new_value) == ("status undone", nurse, "roomed", "arrived")
    assert "Reason: Clicked by mistake" in change.note


def test_a_refused_undo_shows_why_on_the_board(clock, as_user, front_desk, practice, appointment):
    response = as_user(front_desk).post(
        f"/scheduling/flow/{appointment.public_id}/undo/", {"reason": "Oops", **where(practice)}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in body and "Nothing to undo" in body
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED
    assert not AppointmentChange.objects.filter(appointment=appointment).exists()


def test_the_appointment_page_undoes_the_last_step_with_a_reason(clock, as_user, front_desk, practice, appointment):
    client = as_user(front_desk)
    client.post(f"/scheduling/flow/{appointment.public_id}/check-in/", {"demographics_verified": "on"})
    page_url = f"/scheduling/flow/{appointment.public_id}/"
    page = client.get(page_url).content.decode()
    assert ">Undo check in</button>" in page and '<label for="undo-reason">Why undo the last step</label>' in page
    assert "10:00 AM" in page  # the arrival time, 12-hour
    clock.advance(minutes=5)
    response = client.post(
        f"/scheduling/flow/{appointment.public_id}/undo/", {"reason": "Wrong patient", "next": page_url}
    )
    assert response.status_code == 302 and response["Location"] == page_url
    appointment.refresh_from_db()
    assert (appointment.status, appointment.arrived_at) == (S.SCHEDULED, None)
    page = client.get(page_url).content.decode()
    assert "status undone" in page and "Reason: Wrong patient" in page and ">Undo check in</button>" not in page


def test_the_clinician_gets_no_undo_button_and_cannot_post_one(clock, as_user, clinician, practice, appointment):
    Appointment.objects.filter(pk=appointment.pk).update(status=S.ARRIVED, arrived_at=NOW)
    client = as_user(clinician)
    assert "Undo" not in client.get(BOARD, where(practice)).content.decode()
    response = client.post(f"/scheduling/flow/{appointment.public_id}/undo/", {"reason": "x"})
    assert response.status_code in (403, 404)
    appointment.refresh_from_db()
    assert appointment.status == S.ARRIVED


@pytest.mark.parametrize(
    ("cents", "notes", "shown"),
    [
        (2500, "", "<dt>Copay due</dt><dd><strong>$25.00</strong></dd>"),
        (125000, "", "<dt>Copay due</dt><dd><strong>$1,250.00</strong></dd>"),
        (0, "", "<dt>Copay due</dt><dd><strong>$0.00</strong></dd>"),
        (None, "$25 office visit", "<dt>Copay due</dt><dd>$25 office visit</dd>"),
        (None, "", "<dt>Copay due</dt><dd>not recorded</dd>"),
    ],
)
def test_check_in_shows_the_copay_amount_else_the_notes_else_not_recorded(
    clock, as_user, front_desk, biller, appointment, cents, notes, shown
):
    payer = payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))
    coverage_add(
        actor=front_desk,
        patient=appointment.patient,
        data=CoverageInput(
            payer=payer, priority=CoveragePriority.PRIMARY, effective_date=date(2030, 1, 1), member_id="W123",
            copay_cents=cents, copay_notes=notes,
        ),
    )  # fmt: skip
    page = as_user(front_desk).get(f"/scheduling/flow/{appointment.public_id}/check-in/").content.decode()
    assert shown in page
    assert "9:55 AM" in page  # the visit's start, 12-hour


def test_the_board_lists_the_longest_waiting_first_and_folds_the_finished_away(clock, as_user, front_desk, practice):
    """In the building, earliest arrival first (whatever the booked time); then those to come;
    checked out, done and no-show under a closed "Finished today" with their count, without
    "in state" minutes (a finished visit has been "in state" all afternoon)."""
    booked = [  # (surname, minutes from NOW the 20-minute visit starts, status, minutes ago the patient arrived)
        ("Early", -140, S.CHECKED_OUT, 150), ("Gone", -100, S.NO_SHOW, None), ("Roomy", -60, S.ROOMED, 20),
        ("Waits", -40, S.ARRIVED, 45), ("Seen", -20, S.WITH_PROVIDER, 10), ("Later", 30, S.SCHEDULED, None),
        ("Done", -120, S.COMPLETED, 130),
    ]  # fmt: skip
    for surname, starts, status, arrived in booked:
        stamps = {"arrived_at": NOW - timedelta(minutes=arrived)} if arrived is not None else {}
        if status == S.ROOMED:
            stamps["roomed_at"] = NOW - timedelta(minutes=5)
        if status in (S.WITH_PROVIDER, S.CHECKED_OUT, S.COMPLETED):
            stamps["with_provider_at"] = NOW - timedelta(minutes=arrived - 5)
        if status in (S.CHECKED_OUT, S.COMPLETED):
            stamps["checked_out_at"] = NOW - timedelta(minutes=arrived - 30)
        if status == S.COMPLETED:
            stamps["completed_at"] = NOW - timedelta(minutes=arrived - 35)
        if status == S.NO_SHOW:
            stamps["no_show_at"] = NOW - timedelta(minutes=60)
        make_appointment(
            front_desk, patient=make_patient(front_desk, "Pat", surname), provider=practice.provider,
            location=practice.location, kind=practice.kind, starts_at=NOW + timedelta(minutes=starts), status=status,
            room=practice.rooms[0] if status == S.ROOMED else None, **stamps,
        )  # fmt: skip
    for url in (BOARD, FRAGMENT):
        body = as_user(front_desk).get(url, where(practice)).content.decode()
        live, _, finished = body.partition('<details id="flow-done"')
        names = re.findall(r'class="flow-row flow-\w+">.*?<a href="[^"]+">(\w+), Pat</a>', live)
        assert names == ["Waits", "Roomy", "Seen", "Later"]  # arrived 45, 20 and 10 min ago; then to come
        assert re.search(r'class="flow-done">\s*<summary>Finished today: <strong>3</strong>', finished)
        assert re.findall(r'<a href="[^"]+">(\w+), Pat</a>', finished) == ["Early", "Done", "Gone"]  # by time
        assert "flow-since" in live and "flow-since" not in finished  # "in state" only while in the building
        assert "45 min" in live  # the waiting room's wait still shows
