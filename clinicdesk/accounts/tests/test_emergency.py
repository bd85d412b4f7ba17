from __future__ import annotations

from datetime import timedelta

import pytest

from clinicdesk.accounts.access import EmergencyAccessRequired, access_restricted_record
from clinicdesk.accounts.models import EmergencyAccess
from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core import clock as app_clock


@pytest.fixture
def restricted(office_manager):
    """The MRN of a registered patient whose record is restricted."""
    from clinicdesk.scheduling.tests.factories import make_patient

    patient = make_patient(office_manager)
    record_restrict(actor=office_manager, patient_id=patient.mrn, note="staff member's own chart")
    return patient.mrn


def test_an_unrestricted_record_opens_without_a_reason(clinician):
    access_restricted_record(actor=clinician, patient_id="MRN-OTHER")


def test_a_restricted_record_needs_emergency_access(clinician, restricted):
    with pytest.raises(EmergencyAccessRequired):
        access_restricted_record(actor=clinician, patient_id=restricted)


def test_a_clinician_breaks_the_glass_with_a_typed_reason(as_user, clinician, restricted):
    client = as_user(clinician)
    form = client.get(f"/emergency/{restricted}/?next=/")
    assert form.status_code == 200 and b"This record is restricted" in form.content
    response = client.post(
        f"/emergency/{restricted}/", {"reason": "Chest pain in clinic, covering for Dr. Lee", "next": "/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    grant = EmergencyAccess.objects.get()
    assert grant.user == clinician and grant.expires_at - grant.granted_at == timedelta(minutes=60)
    event = AuditEvent.objects.get(action=Action.EMERGENCY_ACCESS)
    assert (event.actor, event.patient_id, event.reason) == (
        clinician,
        restricted,
        "Chest pain in clinic, covering for Dr. Lee",
    )
    access_restricted_record(actor=clinician, patient_id=restricted)  # now open


def test_a_reason_that_says_nothing_is_refused(as_user, clinician, restricted):
    response = as_user(clinician).post(f"/emergency/{restricted}/", {"reason": "  ok  "})
    assert response.status_code == 422 and b"Say in a sentence why" in response.content
    assert not EmergencyAccess.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EMERGENCY_ACCESS).exists()


def test_the_grant_ends_after_sixty_minutes(clinician, restricted):
    grant = emergency_access_grant(actor=clinician, patient_id=restricted, reason="Urgent review of results")
    EmergencyAccess.objects.filter(pk=grant.pk).update(expires_at=app_clock.now() - timedelta(seconds=1))
    with pytest.raises(EmergencyAccessRequired):
        access_restricted_record(actor=clinician, patient_id=restricted)


def test_an_offsite_next_url_is_ignored(as_user, clinician, restricted):
    response = as_user(clinician).post(
        f"/emergency/{restricted}/", {"reason": "Urgent review of results", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_front_desk_cannot_break_the_glass(as_user, front_desk, restricted):
    assert (
        as_user(front_desk).post(f"/emergency/{restricted}/", {"reason": "just curious about this"}).status_code == 403
    )
    assert not EmergencyAccess.objects.exists()


def test_the_office_manager_reviews_the_queue_with_a_comment(as_user, office_manager, clinician, restricted):
    grant = emergency_access_grant(actor=clinician, patient_id=restricted, reason="Urgent review of results")
    client = as_user(office_manager)
    queue = client.get("/emergency/review/")
    assert list(queue.context["pending"]) == [grant]
    empty = client.post(f"/emergency/review/{grant.public_id}/", {"comment": ""})
    assert empty.status_code == 422
    done = client.post(f"/emergency/review/{grant.public_id}/", {"comment": "Covering physician; appropriate."})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.reviewed_by == office_manager and grant.review_comment == "Covering physician; appropriate."
    assert list(client.get("/emergency/review/").context["pending"]) == []
    assert AuditEvent.objects.filter(object_type="emergency_access", detail="reviewed").count() == 1


def test_nobody_reviews_their_own_emergency_access(as_user, office_manager, restricted):
    from clinicdesk.core.capabilities import Role
    from conftest import make_staff

    other_manager = make_staff("kim", Role.OFFICE_MANAGER)
    grant = emergency_access_grant(actor=other_manager, patient_id=restricted, reason="Urgent review of results")
    response = as_user(other_manager).post(f"/emergency/review/{grant.public_id}/", {"comment": "fine by me"})
    assert response.status_code == 422 and b"Someone else must review" in response.content
