"""A personal API token works only while its owner could sign in to the app themselves.

It stops with the owner's deactivation, revocation and expiry; while MFA is required it needs
an owner enrolled in two-factor sign-in; and it ends with every change of the owner's password
or second factor, whoever makes it, as the owner's sessions end.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from clinicdesk.accounts.models import ApiToken
from clinicdesk.accounts.services import api_token_create, staff_deactivate
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from conftest import PASSWORD, api_operations, api_token_for, enrol_totp, sign_in

PROBLEM = "application/problem+json"
NOT_ENROLLED = "This token's owner must set up two-factor sign-in before the API accepts it."
CREDENTIALS = "issued before its owner's password or two-factor sign-in last changed"


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _refusals(detail: str):
    return AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED,
        object_type="api_token",
        outcome=Outcome.DENIED,
        detail=f"API token refused: {detail}",
    )


def _token_of_unenrolled(user) -> tuple[ApiToken, str]:
    """A token made while the practice ran without required MFA (the demo setting)."""
    with override_settings(CLINICDESK_MFA_REQUIRED=False):
        return api_token_create(actor=user, name="made in the demo", days=30)


def test_a_token_of_an_owner_without_two_factor_is_refused_on_every_endpoint(client, office_manager):
    """The walk covers every method and path of the API, reads of PHI and writes alike."""
    token, secret = _token_of_unenrolled(office_manager)
    answers = {}
    for method, path in api_operations():
        response = client.generic(method, path, data="{}", content_type="application/json", **_bearer(secret))
        answers[(method, path)] = (response.status_code, response["Content-Type"], response.json().get("detail"))
    wrong = {op: answer for op, answer in answers.items() if answer != (403, PROBLEM, NOT_ENROLLED)}
    assert not wrong
    token.refresh_from_db()
    assert token.last_used_at is None
    assert _refusals("owner has not set up two-factor sign-in").count() == len(answers)


def test_the_same_token_works_once_its_owner_enrols(client, front_desk):
    token, secret = _token_of_unenrolled(front_desk)
    assert client.get("/api/v1/patients?q=smith", **_bearer(secret)).status_code == 403
    enrol_totp(front_desk)
    response = client.get("/api/v1/me", **_bearer(secret))
    assert response.status_code == 200 and response.json()["username"] == "luis"


@override_settings(CLINICDESK_MFA_REQUIRED=False)
def test_without_required_mfa_an_unenrolled_owners_token_works(client, front_desk):
    secret = api_token_create(actor=front_desk, name="demo", days=1)[1]
    assert client.get("/api/v1/me", **_bearer(secret)).status_code == 200


def test_no_token_is_issued_to_someone_without_two_factor(front_desk):
    with pytest.raises(ValidationError) as refused:
        api_token_create(actor=front_desk, name="script", days=30)
    assert "two-factor" in str(refused.value)
    assert not ApiToken.objects.exists()


# Every way a person's credentials change, as each is made in the app.


def _manager_sets_password(person, office_manager):
    manager = sign_in(Client(), office_manager)
    answer = manager.post(f"/staff/{person.public_id}/password/", {"password": "temporary pass 2026!"})
    assert answer.status_code == 302


def _manager_resets_mfa(person, office_manager):
    manager = sign_in(Client(), office_manager)
    assert manager.post(f"/staff/{person.public_id}/reset-mfa/").status_code == 302
    assert not Authenticator.objects.filter(user=person).exists()
    enrol_totp(person)  # and the person enrols a new phone at once: the old token stays dead


def _owner_changes_password(person, office_manager):
    own = sign_in(Client(), person)
    answer = own.post(
        "/account/password/change/",
        {"oldpassword": PASSWORD, "password1": "brand new phrase 77", "password2": "brand new phrase 77"},
    )
    assert answer.status_code == 302
    assert own.get("/").status_code == 200  # their own session carries on


def _password_changed_outside_the_app(person, office_manager):
    # What Django's `changepassword` command does: set_password and save, nothing else.
    person.set_password("changed at the console 1")
    person.save()


@pytest.mark.parametrize(
    "change",
    [_manager_sets_password, _manager_resets_mfa, _owner_changes_password, _password_changed_outside_the_app],
    ids=["manager sets a password", "manager resets MFA", "owner changes password", "password set by a command"],
)
def test_a_change_of_credentials_ends_the_tokens_issued_before_it(client, clock, office_manager, front_desk, change):
    old = api_token_for(front_desk, name="before")
    assert client.get("/api/v1/me", **_bearer(old)).status_code == 200
    clock.advance(seconds=5)

    change(front_desk, office_manager)

    front_desk.refresh_from_db()
    assert front_desk.credentials_changed_at == clock()
    for method, path in (("GET", "/api/v1/me"), ("GET", "/api/v1/patients?q=smith"), ("POST", "/api/v1/patients")):
        refused = client.generic(method, path, data="{}", content_type="application/json", **_bearer(old))
        assert refused.status_code == 401 and refused["Content-Type"] == PROBLEM
        assert CREDENTIALS in refused.json()["detail"]
        assert 'error="invalid_token"' in refused["WWW-Authenticate"]
    assert _refusals("issued before the owner's last password or two-factor change").count() == 3

    clock.advance(seconds=5)
    new = api_token_for(front_desk, name="after")
    assert client.get("/api/v1/me", **_bearer(new)).status_code == 200


@override_settings(CLINICDESK_MFA_REQUIRED=False)
def test_switching_my_second_factor_off_ends_my_tokens(clock, front_desk):
    secret = api_token_for(front_desk)
    clock.advance(seconds=5)
    own = sign_in(Client(), front_desk)
    assert own.post("/account/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert own.post("/account/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=front_desk, type=Authenticator.Type.TOTP).exists()
    refused = Client().get("/api/v1/me", **_bearer(secret))
    assert refused.status_code == 401 and CREDENTIALS in refused.json()["detail"]


def test_a_password_rehashed_at_sign_in_is_no_change_and_keeps_the_tokens(client, clock, front_desk):
    """Signing in upgrades an old hash of the same password; that must not end anybody's tokens."""
    secret = api_token_for(front_desk)
    front_desk.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    front_desk.save(update_fields=["password"])
    stamped = front_desk.credentials_changed_at
    clock.advance(seconds=5)
    assert Client().post("/account/login/", {"login": "luis", "password": PASSWORD}).status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.password.startswith("md5$")  # the preferred hasher of the test settings
    assert front_desk.credentials_changed_at == stamped
    assert client.get("/api/v1/me", **_bearer(secret)).status_code == 200


def test_each_refusal_says_why_in_plain_words(client, clock, office_manager, front_desk):
    enrol_totp(front_desk)
    revoked, revoked_secret = api_token_create(actor=front_desk, name="revoked", days=1)
    expired, expired_secret = api_token_create(actor=front_desk, name="expired", days=1)
    active_secret = api_token_create(actor=front_desk, name="active", days=1)[1]
    revoked.revoked_at = clock()
    revoked.save()
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=clock() - timedelta(seconds=1))

    def detail(secret):
        response = client.get("/api/v1/me", **_bearer(secret))
        assert response.status_code == 401 and response["Content-Type"] == PROBLEM
        return response.json()["detail"]

    assert detail(revoked_secret) == "This token was revoked. Create a new one under My account."
    assert detail(expired_secret).startswith("This token expired on ")
    staff_deactivate(actor=office_manager, user=front_desk)
    assert detail(active_secret) == "This token's owner is deactivated, so the token no longer works."


def test_my_token_list_says_which_tokens_ended_and_why(as_user, clock, office_manager, front_desk):
    api_token_for(front_desk, name="nightly export")
    clock.advance(seconds=5)
    _manager_sets_password(front_desk, office_manager)
    front_desk.refresh_from_db()
    page = as_user(front_desk).get("/me/")
    assert page.status_code == 200
    assert b"nightly export" in page.content and b"Ended by a password or two-factor change" in page.content


def test_a_refused_token_is_refused_even_beside_a_good_session(clock, front_desk):
    """A program that sends a token means that token: a signed-in browser does not rescue it."""
    enrol_totp(front_desk)
    token, secret = api_token_create(actor=front_desk, name="x", days=1)
    browser = sign_in(Client(), front_desk)
    assert browser.get("/api/v1/me").status_code == 200
    token.revoked_at = clock()
    token.save()
    response = browser.get("/api/v1/me", **_bearer(secret))
    assert response.status_code == 401 and response.json()["detail"].startswith("This token was revoked")
