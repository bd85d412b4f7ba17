"""A restricted patient's appointment and flow pages offer emergency access; they never answer 500."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from clinicdesk.accounts.models import EmergencyAccess
from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import AuditEvent
from clinicdesk.scheduling.models import Appointment, AppointmentStatus

from .factories import make_appointment, make_patient, make_practice
from .helpers import FLOW_NOW as NOW


@pytest.fixture
def clock(clock):
    clock.set(NOW)
    return clock


@pytest.fixture
def restricted(clock, office_manager, clinician, front_desk):
    practice = make_practice(office_manager, clinician)
    patient = make_patient(front_desk, first="Rosa", last="Quiet")
    appointment = make_appointment(
        front_desk, patient=patient, provider=practice.provider, location=practice.location,
        kind=practice.kind, starts_at=NOW + timedelta(minutes=30),
    )  # fmt: skip
    record_restrict(actor=office_manager, patient_id=patient.mrn, note="staff member's record")
    return appointment


def _sent_to_emergency_access(response, mrn: str) -> str:
    """The `next` of a redirect to the break-the-glass form for `mrn` (fails otherwise)."""
    assert response.status_code == 302, response.status_code
    target = urlsplit(response["Location"])
    assert target.path == reverse("accounts:emergency_access", args=[mrn])
    return parse_qs(target.query)["next"][0]


@pytest.mark.parametrize("page", ["scheduling:appointment", "scheduling_flow:appointment"])
def test_opening_a_restricted_patients_appointment_offers_emergency_access(as_user, front_desk, restricted, page):
    url = reverse(page, args=[restricted.public_id])
    reads_before = AuditEvent.objects.filter(action="read", patient_id=restricted.patient.mrn).count()
    response = as_user(front_desk).get(url)
    assert _sent_to_emergency_access(response, restricted.patient.mrn) == url
    # Refused before the read: nothing of the record was shown, so no read is recorded.
    assert AuditEvent.objects.filter(action="read", patient_id=restricted.patient.mrn).count() == reads_before


def test_a_refused_click_on_the_board_comes_back_to_the_board(as_user, front_desk, restricted):
    board = reverse("scheduling_flow:board") + "?location=" + str(restricted.location.public_id)
    response = as_user(front_desk).post(
        reverse("scheduling_flow:check_in", args=[restricted.public_id]),
        {"verified": "on"},
        HTTP_REFERER=f"http://testserver{board}",
    )
    assert _sent_to_emergency_access(response, restricted.patient.mrn) == board
    restricted.refresh_from_db()
    assert restricted.status == AppointmentStatus.SCHEDULED


def test_a_post_from_another_site_comes_back_home_not_there(as_user, front_desk, restricted):
    response = as_user(front_desk).post(
        reverse("scheduling_flow:check_in", args=[restricted.public_id]), HTTP_REFERER="https://evil.example/board"
    )
    assert _sent_to_emergency_access(response, restricted.patient.mrn) == reverse("home")


def test_an_htmx_request_moves_the_whole_page_to_the_form(as_user, front_desk, restricted):
    url = reverse("scheduling_flow:appointment", args=[restricted.public_id])
    response = as_user(front_desk).get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    target = urlsplit(response["HX-Redirect"])
    assert target.path == reverse("accounts:emergency_access", args=[restricted.patient.mrn])
    assert parse_qs(target.query)["next"] == [url]


def test_the_api_answers_a_problem_not_a_redirect(as_user, front_desk, restricted):
    response = as_user(front_desk).get(f"/api/v1/scheduling/appointments/{restricted.public_id}")
    assert response.status_code == 403 and response["Content-Type"].startswith("application/problem+json")


def test_with_emergency_access_the_page_opens_and_the_read_is_audited(as_user, clinician, restricted):
    emergency_access_grant(actor=clinician, patient_id=restricted.patient.mrn, reason="patient collapsed in lobby")
    assert EmergencyAccess.objects.filter(user=clinician).count() == 1
    url = reverse("scheduling:appointment", args=[restricted.public_id])
    response = as_user(clinician).get(url)
    assert response.status_code == 200
    assert AuditEvent.objects.filter(
        action="read", object_type="appointment", object_id=str(restricted.public_id)
    ).exists()
    assert Appointment.objects.get(pk=restricted.pk).status == AppointmentStatus.SCHEDULED
