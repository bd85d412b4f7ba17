from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.test import Client

from clinicdesk.accounts.models import StaffSession, User
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.capabilities import Role
from conftest import PASSWORD, enrol_totp


def _events(**filters):
    return AuditEvent.objects.filter(**filters)


def test_the_office_manager_creates_a_front_desk_account(as_user, office_manager):
    client = as_user(office_manager)
    before = AuditEvent.objects.count()
    response = client.post(
        "/staff/new/",
        {
            "username": "maria.g",
            "display_name": "Maria Garcia",
            "role": Role.FRONT_DESK,
            "password": "a long pass phrase 42",
        },
    )
    person = User.objects.get(username="maria.g")
    assert response.status_code == 302 and response["Location"] == f"/staff/{person.public_id}/"
    assert person.role == Role.FRONT_DESK and person.is_active and person.check_password("a long pass phrase 42")
    created = AuditEvent.objects.filter(seq__gt=before)
    assert [(e.action, e.object_type, e.object_id) for e in created] == [
        (Action.CREATE, "staff", str(person.public_id))
    ]
    assert "a long pass phrase" not in created[0].detail


def test_a_weak_password_is_refused_next_to_the_field_and_nothing_is_created(as_user, office_manager):
    client = as_user(office_manager)
    before = AuditEvent.objects.count()
    response = client.post("/staff/new/", {"username": "weak", "role": Role.FRONT_DESK, "password": "password"})
    assert response.status_code == 422
    assert b"too short" in response.content and b"too common" in response.content
    assert b'value="weak"' in response.content  # what was valid is kept
    assert not User.objects.filter(username="weak").exists()
    assert AuditEvent.objects.count() == before


def test_a_password_like_the_name_is_refused(as_user, office_manager):
    client = as_user(office_manager)
    response = client.post(
        "/staff/new/",
        {
            "username": "mariagarcia2026",
            "display_name": "Maria",
            "role": Role.FRONT_DESK,
            "password": "mariagarcia2026",
        },
    )
    assert response.status_code == 422 and b"too similar" in response.content


def test_an_office_manager_cannot_hand_out_the_admin_role(as_user, office_manager, front_desk):
    client = as_user(office_manager)
    response = client.post(f"/staff/{front_desk.public_id}/role/", {"role": Role.ADMIN})
    assert response.status_code == 422 and b"Only a system administrator" in response.content
    front_desk.refresh_from_db()
    assert front_desk.role == Role.FRONT_DESK


def test_changing_a_role_is_audited_with_the_old_and_new_role(as_user, office_manager, front_desk):
    client = as_user(office_manager)
    before = AuditEvent.objects.count()
    response = client.post(f"/staff/{front_desk.public_id}/role/", {"role": Role.BILLER})
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.role == Role.BILLER
    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.action, event.changed_fields, event.detail) == (Action.UPDATE, "role", "role front_desk -> biller")


def test_deactivating_ends_that_persons_sessions_at_once(as_user, office_manager, front_desk):
    their_browser = Client()
    enrol_totp(front_desk)
    their_browser.force_login(front_desk)
    assert their_browser.get("/").status_code == 200
    assert StaffSession.objects.filter(user=front_desk).count() == 1

    client = as_user(office_manager)
    response = client.post(f"/staff/{front_desk.public_id}/deactivate/")
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert not front_desk.is_active and front_desk.deactivated_at is not None
    assert StaffSession.objects.filter(user=front_desk).count() == 0
    assert their_browser.get("/").status_code == 302  # signed out on their very next click
    event = AuditEvent.objects.filter(action=Action.UPDATE, object_id=str(front_desk.public_id)).get()
    assert event.changed_fields == "is_active" and "1 session(s) ended" in event.detail
    attempt = Client().post("/account/login/", {"login": "luis", "password": PASSWORD})
    assert attempt.status_code == 302 and attempt["Location"] == "/account/inactive/"
    assert "_auth_user_id" not in attempt.client.session


def test_nobody_deactivates_their_own_account(as_user, office_manager):
    client = as_user(office_manager)
    response = client.post(f"/staff/{office_manager.public_id}/deactivate/")
    assert response.status_code == 422 and b"cannot deactivate your own" in response.content
    office_manager.refresh_from_db()
    assert office_manager.is_active


def test_reset_mfa_removes_the_authenticator_and_signs_them_out(as_user, office_manager, clinician):
    enrol_totp(clinician)
    client = as_user(office_manager)
    response = client.post(f"/staff/{clinician.public_id}/reset-mfa/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=clinician).exists()
    assert _events(changed_fields="mfa", object_id=str(clinician.public_id)).count() == 1


def test_a_manager_sets_a_temporary_password(as_user, office_manager, nurse):
    client = as_user(office_manager)
    response = client.post(f"/staff/{nurse.public_id}/password/", {"password": "temporary pass 2026!"})
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.check_password("temporary pass 2026!")


def test_a_missing_staff_id_is_a_404_not_an_error(as_user, office_manager):
    client = as_user(office_manager)
    assert client.get("/staff/not-a-uuid/").status_code == 404
    assert client.get("/staff/2b1f4f56-3a7c-4f0c-9a55-8f0b7e1c0d11/").status_code == 404


def test_front_desk_is_refused_staff_management_and_the_refusal_is_audited(as_user, front_desk):
    client = as_user(front_desk)
    response = client.get("/staff/")
    assert response.status_code == 403
    assert b"does not include this work" in response.content
    event = AuditEvent.objects.filter(action=Action.READ, outcome="denied").get()
    assert (event.actor, event.object_id, event.detail) == (front_desk, "/staff/", "needs staff.manage")


def test_sessions_are_server_side_so_logout_really_ends_them(as_user, office_manager):
    client = as_user(office_manager)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()
    client.post("/account/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert _events(action=Action.LOGOUT).count() == 1
