"""The JSON API: authentication by session or token, one problem-details error shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from clinicdesk.accounts.models import ApiToken, User
from clinicdesk.accounts.services import api_token_create, staff_deactivate, token_digest
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from conftest import api_token_for, enrol_totp

PROBLEM = "application/problem+json"


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def manager_token(office_manager):
    return api_token_for(office_manager, name="scripts", days=30)


def test_a_token_works_and_acts_with_its_owners_role(client, manager_token):
    response = client.get("/api/v1/me", **_bearer(manager_token))
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "dana" and body["role"] == Role.OFFICE_MANAGER
    assert "staff.manage" in body["capabilities"] and "clinical.note.read" not in body["capabilities"]


def test_the_token_secret_is_stored_only_as_a_hash(office_manager, manager_token):
    token = ApiToken.objects.get()
    assert token.digest == token_digest(manager_token) and manager_token not in token.digest
    assert token.prefix == manager_token[:10]
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="api_token")
    assert manager_token not in event.detail and event.object_id == str(token.public_id)


def test_the_token_page_shows_the_secret_once(as_user, front_desk):
    client = as_user(front_desk)
    created = client.post("/me/", {"name": "label printer", "days": 30})
    assert created.status_code == 200
    secret = created.context["new_secret"]
    assert secret.startswith("cdk_") and secret.encode() in created.content
    again = client.get("/me/")
    assert secret.encode() not in again.content and b"label printer" in again.content


def test_a_token_cannot_do_more_than_its_owner(client, front_desk):
    secret = api_token_for(front_desk, name="x", days=1)
    response = client.get("/api/v1/staff", **_bearer(secret))
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 403
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, object_id="/api/v1/staff").count() == 1


def test_a_revoked_token_is_refused(as_user, client, front_desk):
    enrol_totp(front_desk)
    token, secret = api_token_create(actor=front_desk, name="x", days=1)
    browser = as_user(front_desk)
    assert browser.post(f"/me/tokens/{token.public_id}/revoke/").status_code == 302
    response = Client().get("/api/v1/me", **_bearer(secret))
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED, detail="API token refused: revoked").count() == 1


def test_an_expired_token_is_refused(client, front_desk):
    enrol_totp(front_desk)
    token, secret = api_token_create(actor=front_desk, name="x", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=app_clock.now() - timedelta(seconds=1))
    assert client.get("/api/v1/me", **_bearer(secret)).status_code == 401


def test_a_token_of_a_deactivated_person_is_refused_and_audited(client, office_manager, front_desk):
    secret = api_token_for(front_desk, name="x", days=1)
    staff_deactivate(actor=office_manager, user=front_desk)
    response = client.get("/api/v1/me", **_bearer(secret))
    assert response.status_code == 401
    assert "deactivated" in response.json()["detail"]
    assert (
        AuditEvent.objects.filter(
            action=Action.LOGIN_FAILED, actor_username="luis", detail="API token refused: account deactivated"
        ).count()
        == 1
    )


def test_nobody_revokes_someone_elses_token(as_user, front_desk, biller):
    enrol_totp(front_desk)
    token, _ = api_token_create(actor=front_desk, name="x", days=1)
    response = as_user(biller).post(f"/me/tokens/{token.public_id}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_token_lifetime_outside_the_limit_is_refused(as_user, front_desk):
    response = as_user(front_desk).post("/me/", {"name": "forever", "days": 100000})
    assert response.status_code == 422 and b"A token lasts from 1 to 365 days" in response.content
    assert not ApiToken.objects.exists()


def test_no_credentials_is_a_401_problem(client, db):
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "Sign-in required" and response["WWW-Authenticate"].startswith("Bearer")


def test_malformed_json_is_a_400_problem(client, manager_token):
    response = client.post("/api/v1/staff", data="{not json", content_type="application/json", **_bearer(manager_token))
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "The request body is not valid JSON."


def test_invalid_fields_are_a_422_problem_naming_each_field(client, manager_token):
    response = client.post(
        "/api/v1/staff",
        data={"username": "x", "role": "janitor", "surprise": 1},
        content_type="application/json",
        **_bearer(manager_token),
    )
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"role", "password", "surprise"} <= fields


@pytest.mark.parametrize("value", ["0", "1700000000", "yesterday", "2026-13-45", "03/01/2026"])
def test_a_date_that_is_not_iso_text_is_rejected(client, auditor, value):
    secret = api_token_for(auditor, name="x", days=1)
    response = client.get("/api/v1/audit/events", {"date_from": value}, **_bearer(secret))
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "date_from"


def test_a_date_as_a_json_number_is_rejected():
    from pydantic import TypeAdapter, ValidationError

    from clinicdesk.core.schemas import StrictDate, StrictDateTime

    for raw in (0, 0.0, 1700000000):
        with pytest.raises(ValidationError):
            TypeAdapter(StrictDate).validate_python(raw)
        with pytest.raises(ValidationError):
            TypeAdapter(StrictDateTime).validate_python(raw)
    assert str(TypeAdapter(StrictDate).validate_python("2026-03-01")) == "2026-03-01"


def test_an_iso_date_filters_the_audit_events(client, auditor):
    secret = api_token_for(auditor, name="x", days=1)
    today = app_clock.today().isoformat()
    response = client.get("/api/v1/audit/events", {"date_from": today, "date_to": today}, **_bearer(secret))
    assert response.status_code == 200
    assert response.json()["count"] == 1  # the token creation itself


def test_a_taken_username_is_a_409_conflict(client, manager_token, front_desk):
    response = client.post(
        "/api/v1/staff",
        data={"username": "LUIS", "role": "biller", "password": "long enough pass 1"},
        content_type="application/json",
        **_bearer(manager_token),
    )
    assert response.status_code == 409 and response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [{"field": "username", "message": "That username is taken. Choose another."}]


def test_the_api_and_the_page_create_staff_through_one_service(client, manager_token):
    before = AuditEvent.objects.count()
    response = client.post(
        "/api/v1/staff",
        data={"username": "newbie", "role": "nurse", "password": "long enough pass 1"},
        content_type="application/json",
        **_bearer(manager_token),
    )
    assert response.status_code == 201 and response.json()["role"] == "nurse"
    assert User.objects.get(username="newbie").role == Role.NURSE
    assert AuditEvent.objects.filter(seq__gt=before, action=Action.CREATE, object_type="staff").count() == 1


def test_a_missing_record_is_a_404_problem(client, manager_token):
    response = client.get("/api/v1/staff/00000000-0000-0000-0000-000000000000", **_bearer(manager_token))
    assert response.status_code == 404 and response["Content-Type"] == PROBLEM


def test_session_writes_need_the_csrf_token(office_manager):
    from conftest import enrol_totp

    enrol_totp(office_manager)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(office_manager)
    response = browser.post("/api/v1/staff", data={}, content_type="application/json")
    assert response.status_code in (401, 403) and response["Content-Type"] == PROBLEM


def test_the_openapi_document_describes_the_api(as_user, front_desk):
    client = as_user(front_desk)
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200 and "/api/v1/me" in spec.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_a_wrong_method_is_a_405_problem_naming_the_allowed_ones(client, manager_token):
    response = client.delete("/api/v1/me", **_bearer(manager_token))
    assert response.status_code == 405 and response["Content-Type"] == PROBLEM
    assert "GET" in response["Allow"] and "takes: GET" in response.json()["detail"]


def test_text_with_a_nul_character_is_a_422_not_a_server_error(client, manager_token):
    response = client.post(
        "/api/v1/staff",
        data={"username": "a\u0000b", "role": "nurse", "password": "long enough pass 1"},
        content_type="application/json",
        **_bearer(manager_token),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "username"
