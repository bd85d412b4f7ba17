"""Requests larger than the server accepts get a clear 413 or 414, never a 500 or a traceback.

Bodies: DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) for anything but a file upload; a form's field
and file counts. Addresses: CLINICDESK_MAX_URL_BYTES (8 KB) of path and query string. Under
/api/ the answer is problem details, elsewhere a page; the server log gets one line.
"""

from __future__ import annotations

import logging

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clinicdesk.accounts.models import User
from clinicdesk.patients.models import ImportJob, Patient
from conftest import api_operations, api_token_for, sign_in

PROBLEM = "application/problem+json"
LIMIT = 2621440  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE
URL_LIMIT = 8192


def _bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def _no_tracebacks(caplog) -> None:
    assert [r for r in caplog.records if r.exc_info] == []


def _one_refusal_line(caplog, status: int) -> str:
    """The refusal's one log line (and no second one from Django's request logger)."""
    lines = [r for r in caplog.records if r.name == "clinicdesk.refusals"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.name.startswith(("django.request", "django.security"))]
    message = lines[0].getMessage()
    assert message.startswith(f"refused {status} ")
    return message


# --- bodies ----------------------------------------------------------------------------------


def test_a_ten_megabyte_api_body_is_a_413_problem_naming_the_limit(client, caplog, front_desk):
    secret = api_token_for(front_desk)
    body = b'{"first_name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post("/api/v1/patients", data=body, content_type="application/json", **_bearer(secret))
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 413 and problem["title"] == "Request too large"
    assert "10 MB" in problem["detail"] and "2.5 MB (2,621,440 bytes)" in problem["detail"]
    assert not Patient.objects.exists()
    _one_refusal_line(caplog, 413)
    _no_tracebacks(caplog)


def test_every_api_endpoint_that_takes_a_body_refuses_one_over_the_limit(client, office_manager):
    secret = api_token_for(office_manager)
    body = b"[" + b" " * LIMIT + b"]"
    answers = {
        (method, path): client.generic(method, path, data=body, content_type="application/json", **_bearer(secret))
        for method, path in api_operations()
        if method in ("POST", "PUT", "PATCH")
    }
    assert len(answers) > 50
    wrong = {op: r.status_code for op, r in answers.items() if (r.status_code, r["Content-Type"]) != (413, PROBLEM)}
    assert not wrong


def test_a_body_at_the_limit_is_read_as_usual(client, front_desk):
    secret = api_token_for(front_desk)
    body = b'{"padding": "' + b"x" * (LIMIT - 20) + b'"}'
    assert len(body) <= LIMIT
    response = client.post("/api/v1/patients", data=body, content_type="application/json", **_bearer(secret))
    assert response.status_code == 422  # read, then refused for its missing fields


@pytest.mark.parametrize("path", ["/me/", "/staff/new/", "/account/login/", "/no-such-page/"])
def test_a_form_post_over_the_limit_gets_a_413_page(caplog, office_manager, path):
    browser = sign_in(Client(), office_manager) if path != "/account/login/" else Client()
    response = browser.post(
        path, data="name=" + "x" * (3 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413 and response["Content-Type"].startswith("text/html")
    assert b"Request too large" in response.content and b"2.5 MB" in response.content
    _one_refusal_line(caplog, 413)
    _no_tracebacks(caplog)


def _many_fields(n: int) -> dict[str, str]:
    return {f"f{i}": "1" for i in range(n)}


def test_a_form_with_too_many_fields_gets_a_413_page_not_a_server_error(caplog, office_manager):
    browser = sign_in(Client(), office_manager)
    response = browser.post("/me/", _many_fields(1200))
    assert response.status_code == 413 and b"more than 1,000 fields" in response.content
    _one_refusal_line(caplog, 413)
    _no_tracebacks(caplog)


def test_a_multipart_form_whose_fields_are_too_large_gets_a_413_page(caplog, office_manager):
    browser = sign_in(Client(), office_manager)
    response = browser.post("/me/", {"name": "x" * (LIMIT + 10), "days": "30"})
    assert response.status_code == 413 and b"not counting attached files" in response.content
    _no_tracebacks(caplog)


def test_the_api_refuses_a_form_with_too_many_fields_with_a_problem(caplog, office_manager):
    # A browser session's CSRF check reads the form, which is where Django counts its fields.
    browser = sign_in(Client(enforce_csrf_checks=True), office_manager)
    assert browser.get("/me/").status_code == 200  # the CSRF cookie, as a page load gives it
    response = browser.post("/api/v1/staff", _many_fields(1200))
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert "more than 1,000 fields" in response.json()["detail"]
    assert not User.objects.filter(username__startswith="f").exists()
    _one_refusal_line(caplog, 413)
    _no_tracebacks(caplog)


def test_the_api_refuses_a_form_whose_fields_are_too_large_with_a_problem(client, caplog, office_manager):
    secret = api_token_for(office_manager)
    response = client.post("/api/v1/staff", {"username": "x" * (LIMIT + 10), "role": "nurse"}, **_bearer(secret))
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    assert "2.5 MB (2,621,440 bytes)" in response.json()["detail"]
    assert not User.objects.filter(role="nurse").exists()
    _one_refusal_line(caplog, 413)
    _no_tracebacks(caplog)


def test_a_file_upload_larger_than_the_body_limit_is_still_accepted(as_user, office_manager, settings, tmp_path):
    """Files are not counted in the body limit: the patient import takes large lists."""
    settings.VAR_DIR = tmp_path
    rows = "".join(f"A{i},Ann,Lee{i},1990-01-02,F,\n" for i in range(120000))
    upload = ("id,first,last,dob,sex,mobile\n" + rows).encode()
    assert len(upload) > LIMIT
    response = as_user(office_manager).post("/patients/import/", {"file": SimpleUploadedFile("big.csv", upload)})
    assert response.status_code == 302
    assert ImportJob.objects.count() == 1


# --- addresses -------------------------------------------------------------------------------


def test_a_ten_kilobyte_query_string_is_a_414_problem(client, caplog, front_desk):
    secret = api_token_for(front_desk)
    response = client.get("/api/v1/patients", {"q": "x" * 10240}, **_bearer(secret))
    assert response.status_code == 414 and response["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["title"] == "Address too long" and "at most 8,192 bytes" in problem["detail"]
    assert "POST" in problem["detail"]
    line = _one_refusal_line(caplog, 414)
    assert len(line) < 1000  # the address itself is cut short in the log
    _no_tracebacks(caplog)


def test_a_long_address_in_the_app_gets_a_readable_414_page(as_user, front_desk):
    response = as_user(front_desk).get("/patients/", {"q": "smith " * 2000})
    assert response.status_code == 414 and response["Content-Type"].startswith("text/html")
    assert b"Address too long" in response.content and b"at most 8,192 bytes" in response.content


@pytest.mark.parametrize(
    "path",
    ["/api/v1/me/" + "x" * URL_LIMIT, "/patients/" + "y" * URL_LIMIT, "/static/" + "z" * URL_LIMIT],
    ids=["api path", "page path", "static path"],
)
def test_a_long_path_is_refused_as_well(client, db, path):
    response = client.get(path)
    assert response.status_code == 414


def test_the_limit_counts_path_and_query_together(client, db):
    path = "/api/v1/me"
    at_limit = client.get(path, QUERY_STRING="q=" + "a" * (URL_LIMIT - len(path) - 2))
    over = client.get(path, QUERY_STRING="q=" + "a" * (URL_LIMIT - len(path) - 1))
    assert at_limit.status_code == 401  # reached the API, which asks for credentials
    assert over.status_code == 414


def test_a_post_with_a_long_query_string_is_refused_before_its_body(client, front_desk):
    secret = api_token_for(front_desk)
    response = client.post(
        "/api/v1/patients?" + "q=" * 5000, data=b"{}", content_type="application/json", **_bearer(secret)
    )
    assert response.status_code == 414 and response["Content-Type"] == PROBLEM
    assert not Patient.objects.exists()
