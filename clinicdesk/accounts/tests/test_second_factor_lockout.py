"""Second-factor codes are throttled like passwords: five wrong attempts lock the account.

Every step that checks a secret of the person is walked with real wrong codes through the
real views: the second sign-in step (TOTP or recovery code) and the reauthentication asked
before a sensitive change (TOTP, recovery code, or password). After the fifth failure even the
right secret is refused until the cool-off ends, with the lockout page.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from conftest import PASSWORD, enrol_totp, sign_in, totp_now

LOCKED = b"Account locked for 15 minutes"


def _wrong_code(secret: str) -> str:
    """A six-digit code that is not valid now, nor in the periods either side."""
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time() + shift) for shift in (-30, 0, 30)}
    return next(code for code in ("123456", "654321", "000000", "999999") if code not in valid)


@dataclass
class Step:
    """One place that checks a secret: where it is posted, which field, and the right value."""

    url: str
    field: str
    right: Callable[[], str]  # read when posted: a TOTP code is good for its 30 seconds only
    wrong: list[str]
    signs_in: bool  # the second sign-in step; otherwise a reauthentication of a signed-in person


def _second_step(client: Client, username: str = "luis"):
    response = client.post("/account/login/", {"login": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/2fa/authenticate/"


def _recovery_codes(user: User) -> list[str]:
    return RecoveryCodes.activate(user).get_unused_codes()


def _step(kind: str, client: Client, user: User) -> Step:
    secret = enrol_totp(user)
    codes = _recovery_codes(user)
    wrong_recovery = [
        c for c in ("00000000", "11111111", "22222222", "33333333", "44444444", "55555555") if c not in codes
    ]
    wrong_totp = [_wrong_code(secret)] * 6
    if kind.startswith("sign-in"):
        _second_step(client)
    else:
        sign_in(client, user)
    return {
        "sign-in with a TOTP code": Step(
            "/account/2fa/authenticate/", "code", lambda: totp_now(secret), wrong_totp, signs_in=True
        ),
        "sign-in with a recovery code": Step(
            "/account/2fa/authenticate/", "code", lambda: codes[0], wrong_recovery, signs_in=True
        ),
        "reauthentication with a TOTP code": Step(
            "/account/2fa/reauthenticate/", "code", lambda: totp_now(secret), wrong_totp, signs_in=False
        ),
        "reauthentication with a recovery code": Step(
            "/account/2fa/reauthenticate/", "code", lambda: codes[0], wrong_recovery, signs_in=False
        ),
        "reauthentication with the password": Step(
            "/account/reauthenticate/", "password", lambda: PASSWORD, ["not it at all"] * 6, signs_in=False
        ),
    }[kind]


KINDS = [
    "sign-in with a TOTP code",
    "sign-in with a recovery code",
    "reauthentication with a TOTP code",
    "reauthentication with a recovery code",
    "reauthentication with the password",
]


def _reauthenticated(client: Client) -> bool:
    """Whether the session counts as freshly reauthenticated (the recovery codes page opens)."""
    return client.get("/account/2fa/recovery-codes/").status_code == 200


@pytest.mark.parametrize("kind", KINDS)
def test_five_wrong_secrets_lock_the_account_and_then_even_the_right_one_is_refused(client, front_desk, kind):
    step = _step(kind, client, front_desk)
    for attempt in step.wrong[:4]:
        response = client.post(step.url, {step.field: attempt})
        assert response.status_code == 200, kind
    fifth = client.post(step.url, {step.field: step.wrong[4]})
    assert fifth.status_code == 429 and LOCKED in fifth.content

    right = client.post(step.url, {step.field: step.right()})
    assert right.status_code == 429 and LOCKED in right.content and b"even the right password or code" in right.content
    if step.signs_in:
        assert "_auth_user_id" not in client.session
    else:
        assert not _reauthenticated(client)

    attempt_row = AccessAttempt.objects.get(username="luis")
    assert attempt_row.failures_since_start >= 5
    assert step.right() not in attempt_row.post_data  # the secret is masked in axes' records
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, actor_username="luis").count() >= 5
    assert AuditEvent.objects.filter(
        action=Action.LOGIN_FAILED, outcome=Outcome.DENIED, detail="locked out after repeated failures"
    ).exists()
    # The lock is on the account, not the browser: a fresh sign-in is refused at the password.
    elsewhere = Client().post("/account/login/", {"login": "luis", "password": PASSWORD})
    assert elsewhere.status_code == 429


@pytest.mark.parametrize("kind", KINDS)
def test_after_the_cool_off_the_right_secret_works_again(client, front_desk, kind):
    step = _step(kind, client, front_desk)
    for attempt in step.wrong[:5]:
        client.post(step.url, {step.field: attempt})
    assert client.post(step.url, {step.field: step.right()}).status_code == 429
    # 16 minutes pass (axes keeps its own time, so its records are moved back instead).
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))

    if step.signs_in:
        fresh = Client()
        _second_step(fresh)
        response = fresh.post(step.url, {step.field: step.right()})
        assert response.status_code == 302 and fresh.session["_auth_user_id"] == str(front_desk.pk)
        assert not AccessAttempt.objects.filter(username="luis").exists()  # success resets the count
    else:
        response = client.post(step.url, {step.field: step.right()})
        assert response.status_code == 302 and _reauthenticated(client)


def test_wrong_codes_in_the_first_attempt_are_reported_next_to_the_field(client, front_desk):
    secret = enrol_totp(front_desk)
    _second_step(client)
    wrong = client.post("/account/2fa/authenticate/", {"code": _wrong_code(secret)})
    assert wrong.status_code == 200 and b"Incorrect code" in wrong.content
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED, object_type="mfa")
    assert (event.actor_username, event.outcome, event.detail) == ("luis", Outcome.FAILURE, "wrong MFA code")
    assert AccessAttempt.objects.get(username="luis").failures_since_start == 1


def test_wrong_passwords_and_wrong_codes_share_one_count(client, front_desk):
    secret = enrol_totp(front_desk)
    for _ in range(3):
        assert Client().post("/account/login/", {"login": "luis", "password": "not it at all"}).status_code == 200
    _second_step(client)
    assert client.post("/account/2fa/authenticate/", {"code": _wrong_code(secret)}).status_code == 200
    locked = client.post("/account/2fa/authenticate/", {"code": _wrong_code(secret)})
    assert locked.status_code == 429
    assert client.post("/account/2fa/authenticate/", {"code": totp_now(secret)}).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_new_password_from_the_manager_lifts_the_lock(client, office_manager, front_desk):
    secret = enrol_totp(front_desk)
    _second_step(client)
    for _ in range(5):
        client.post("/account/2fa/authenticate/", {"code": _wrong_code(secret)})
    assert AccessAttempt.objects.filter(username="luis").exists()
    manager = sign_in(Client(), office_manager)
    assert (
        manager.post(f"/staff/{front_desk.public_id}/password/", {"password": "temporary pass 2026!"}).status_code
        == 302
    )
    assert not AccessAttempt.objects.filter(username="luis").exists()
    fresh = Client()
    assert fresh.post("/account/login/", {"login": "luis", "password": "temporary pass 2026!"}).status_code == 302
    assert fresh.post("/account/2fa/authenticate/", {"code": totp_now(secret)}).status_code == 302
    assert fresh.session["_auth_user_id"] == str(front_desk.pk)
