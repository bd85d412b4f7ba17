"""A refusal leaves one line in the server log; only real errors leave a traceback.

The line says who, which route, what was needed and the outcome, at WARNING, on the
`clinicdesk.refusals` logger. The audit trail records the refusal as before.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings

from clinicdesk.audit.models import AuditEvent, Outcome
from conftest import api_token_for, sign_in


def _refusal_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "clinicdesk.refusals" and r.levelno == logging.WARNING]


def _tracebacks(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.exc_info]


def test_a_page_refused_for_a_missing_capability_logs_one_line_without_a_traceback(caplog, front_desk):
    browser = sign_in(Client(), front_desk)
    with caplog.at_level(logging.INFO):
        response = browser.get("/audit/")
    assert response.status_code == 403
    assert _refusal_lines(caplog) == ["refused 403 GET /audit/ user=luis role=front_desk capability=audit.read"]
    assert _tracebacks(caplog) == []
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert (
        AuditEvent.objects.filter(outcome=Outcome.DENIED, object_id="/audit/", detail="needs audit.read").count() == 1
    )


@pytest.mark.parametrize("signed_in_by", ["session", "token"])
def test_an_api_refusal_logs_the_same_one_line(caplog, front_desk, signed_in_by):
    client, headers = Client(), {}
    if signed_in_by == "session":
        sign_in(client, front_desk)
    else:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(front_desk)}"}
    response = client.get("/api/v1/staff", **headers)
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert _refusal_lines(caplog) == ["refused 403 GET /api/v1/staff user=luis role=front_desk capability=staff.manage"]
    assert _tracebacks(caplog) == []
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_every_refused_page_of_a_role_logs_one_line_each(caplog, biller):
    """A walk over pages a biller may not open: each 403 is one line, none a traceback."""
    browser = sign_in(Client(), biller)
    refused = ["/audit/", "/staff/", "/staff/new/", "/emergency/review/", "/patients/import/"]
    for path in refused:
        assert browser.get(path).status_code == 403, path
    lines = _refusal_lines(caplog)
    assert len(lines) == len(refused)
    assert all(line.startswith("refused 403 GET ") and "user=priya role=biller capability=" in line for line in lines)
    assert _tracebacks(caplog) == []


def test_a_forged_newline_in_the_address_cannot_forge_a_log_line(caplog, front_desk):
    browser = sign_in(Client(), front_desk)
    response = browser.get("/staff/x%0Arefused%20403%20GET%20fake%20user=dana/")
    assert response.status_code == 403
    (line,) = _refusal_lines(caplog)
    assert "\n" not in line and "\\n" in line


@override_settings(ROOT_URLCONF="clinicdesk.core.tests.urls_with_a_bug")
def test_a_real_error_still_logs_its_traceback(caplog, db):
    client = Client(raise_request_exception=False)
    response = client.get("/bug/")
    assert response.status_code == 500
    errors = [r for r in caplog.records if r.name == "django.request" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info and errors[0].exc_info[0] is ZeroDivisionError
    assert _refusal_lines(caplog) == []
