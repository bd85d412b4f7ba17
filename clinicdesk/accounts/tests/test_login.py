from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client, override_settings

import clinicdesk.settings as production_settings
from clinicdesk.accounts.receivers import SESSION_STARTED_KEY
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.core import clock as app_clock
from conftest import PASSWORD, enrol_totp, totp_now


def _login(client: Client, username: str, password: str):
    return client.post("/account/login/", {"login": username, "password": password})


def test_a_wrong_password_says_so_and_is_audited(client, front_desk):
    response = _login(client, "luis", "not the password at all")
    assert response.status_code == 200
    assert b"username and/or password you specified are not correct" in response.content
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert (event.actor_username, event.outcome, event.actor) == ("luis", Outcome.FAILURE, None)
    assert "_auth_user_id" not in client.session


def test_five_failures_lock_the_account_with_a_clear_message(client, front_desk):
    for _ in range(4):
        assert _login(client, "luis", "wrong wrong wrong").status_code == 200
    locked = _login(client, "luis", "wrong wrong wrong")
    assert locked.status_code == 429
    assert b"Account locked for 15 minutes" in locked.content
    # Even the right password is refused while locked.
    again = _login(Client(), "luis", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in again.client.session
    assert AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, outcome=Outcome.DENIED, detail__contains="locked out"
    ).exists()


def test_case_does_not_give_a_second_set_of_attempts(client, front_desk):
    for name in ("luis", "LUIS", "Luis", "luiS", "lUis"):
        _login(client, name, "wrong wrong wrong")
    assert _login(Client(), "luis", PASSWORD).status_code == 429


def test_with_mfa_enrolled_the_password_alone_does_not_sign_in(client, front_desk):
    secret = enrol_totp(front_desk)
    response = _login(client, "luis", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/account/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    wrong = client.post("/account/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200 and b"Incorrect code" in wrong.content
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, object_type="mfa").count() == 1

    right = client.post("/account/2fa/authenticate/", {"code": totp_now(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(front_desk.pk)
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=front_desk).count() == 1


def test_without_mfa_a_person_can_only_enrol(client, front_desk):
    response = _login(client, "luis", PASSWORD)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == "/account/2fa/totp/activate/"
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and "two-factor" in api.json()["detail"]


@override_settings(CLINICDESK_MFA_REQUIRED=False)
def test_the_demo_setting_relaxes_mfa(client, front_desk):
    _login(client, "luis", PASSWORD)
    assert client.get("/").status_code == 200


def test_changing_mfa_asks_for_the_password_again(client, front_desk):
    _login(client, "luis", PASSWORD)
    response = client.get("/account/2fa/totp/activate/")
    assert response.status_code == 302 and response["Location"].startswith("/account/reauthenticate/")
    client.post("/account/reauthenticate/", {"password": PASSWORD})
    assert client.get("/account/2fa/totp/activate/").status_code == 200


def test_changing_the_password_needs_the_old_one(as_user, front_desk):
    client = as_user(front_desk)
    response = client.post(
        "/account/password/change/",
        {"oldpassword": "guess guess guess", "password1": "brand new phrase 77", "password2": "brand new phrase 77"},
    )
    assert response.status_code == 200 and b"Please type your current password" in response.content
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)


def test_an_idle_session_ends_after_the_idle_limit(as_user, front_desk):
    client = as_user(front_desk)
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date <= app_clock.now() + timedelta(minutes=15, seconds=5)
    Session.objects.filter(pk=session.pk).update(expire_date=app_clock.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")


def test_a_session_ends_after_twelve_hours_even_when_busy(as_user, front_desk):
    client = as_user(front_desk)
    session = client.session
    session[SESSION_STARTED_KEY] = (app_clock.now() - timedelta(hours=12, minutes=1)).timestamp()
    session.save()
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    assert "_auth_user_id" not in client.session


def test_production_hashes_passwords_with_argon2():
    assert production_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        assert make_password("correct horse battery staple").startswith("argon2$argon2id$")


def test_there_is_no_public_sign_up(client, db):
    assert client.get("/account/signup/").status_code == 404


def test_changing_my_own_password_is_audited(as_user, front_desk):
    client = as_user(front_desk)
    response = client.post(
        "/account/password/change/",
        {"oldpassword": PASSWORD, "password1": "brand new phrase 77", "password2": "brand new phrase 77"},
    )
    assert response.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("brand new phrase 77")
    event = AuditEvent.objects.get(changed_fields="password", actor=front_desk)
    assert event.detail == "password changed by its owner" and "brand new" not in event.detail
