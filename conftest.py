"""Personas and shared fixtures for the whole suite.

Every test runs on SQLite by default and on PostgreSQL when DATABASE_URL points there
(`make test` runs both in CI). Personas are fixed people with fixed roles, so test names read
like sentences: `test_front_desk_is_refused_the_audit_report(front_desk, client)`.
"""

from __future__ import annotations

import os

import pyotp
import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.triggers import drop_statements, install_statements
from clinicdesk.clinical import triggers as clinical_triggers
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role

PASSWORD = "correct horse battery staple"

# The live test server listens with a backlog of 10; the booking race opens 32 connections at
# the same instant, and a real deployment's server (gunicorn: 2048) would take them all.
ThreadedWSGIServer.request_queue_size = 64


def _test_moment():
    """The moment every test starts at when CLINICDESK_TEST_NOW is set (make test-clock), else None."""
    from datetime import datetime

    from django.conf import settings

    value = getattr(settings, "CLINICDESK_TEST_NOW", "")
    return datetime.fromisoformat(value) if value else None


@pytest.fixture(autouse=True)
def _application_clock():
    """Under CLINICDESK_TEST_NOW every test starts at that moment, with the clock running.

    Without it the application reads the real time. Either way a test that needs an exact
    time asks for the `clock` fixture and sets it.
    """
    moment = _test_moment()
    if moment is None:
        yield
        return
    with app_clock.starting_at(moment):
        yield


@pytest.fixture
def clock(_application_clock):
    """The application's clock, stopped: `clock.set(dt)`, `clock.advance(minutes=5)`.

    It stops at the current application time (the CLINICDESK_TEST_NOW moment when set);
    a test that hard-codes dates sets the clock to them first.
    """
    with app_clock.frozen(app_clock.now()) as frozen:
        yield frozen


def _pdf_text(content: bytes) -> str:
    """The text of a PDF laid out as on the page, pages separated by form feeds (pypdf: no system package)."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\f".join(page.extract_text(extraction_mode="layout") for page in reader.pages)


@pytest.fixture
def pdf_text():
    """`pdf_text(pdf_bytes)`: the PDF's text, page after page, in reading layout."""
    return _pdf_text


def make_staff(username: str, role: str, **extra) -> User:
    user = User(username=username, role=role, display_name=extra.pop("display_name", username.title()), **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def enrol_totp(user: User) -> str:
    """Give `user` a TOTP authenticator, as the enrolment page would. Returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_now(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def api_token_for(user: User, *, name: str = "test", days: int = 1) -> str:
    """A personal API token of `user`, as they would create it on My account. Returns the secret.

    The API accepts a token only from an owner enrolled in two-factor sign-in (while it is
    required), so `user` is enrolled first unless already.
    """
    from allauth.mfa.models import Authenticator

    from clinicdesk.accounts.services import api_token_create

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        enrol_totp(user)
    return api_token_create(actor=user, name=name, days=days)[1]


def api_operations() -> list[tuple[str, str]]:
    """Every (METHOD, path) the JSON API serves, path parameters filled with a zero UUID.

    Read from the OpenAPI document, so a new endpoint is in every walk that uses this.
    """
    import re

    from clinicdesk.api import api

    paths = api.get_openapi_schema()["paths"]
    zero = "00000000-0000-0000-0000-000000000000"
    return sorted((method.upper(), re.sub(r"\{[^}]+\}", zero, path)) for path, item in paths.items() for method in item)


@pytest.fixture
def office_manager(db) -> User:
    return make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")


@pytest.fixture
def front_desk(db) -> User:
    return make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")


@pytest.fixture
def clinician(db) -> User:
    return make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")


@pytest.fixture
def nurse(db) -> User:
    return make_staff("sam", Role.NURSE, display_name="Sam Patel")


@pytest.fixture
def biller(db) -> User:
    return make_staff("priya", Role.BILLER, display_name="Priya Raman")


@pytest.fixture
def auditor(db) -> User:
    return make_staff("audra", Role.AUDITOR, display_name="Audra Kim")


@pytest.fixture
def admin_user(db) -> User:
    return make_staff("alex", Role.ADMIN, display_name="Alex Admin")


@pytest.fixture
def outsider(db) -> User:
    """A signed-in account with no role: holds no capability at all."""
    return make_staff("nobody", "", display_name="No Role")


def sign_in(client, user: User, *, mfa: bool = True):
    """Sign `user` in on `client` the way a finished login would leave the session."""
    from allauth.mfa.models import Authenticator

    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        enrol_totp(user)
    client.force_login(user)
    return client


@pytest.fixture
def as_user(client):
    """`as_user(person)` returns the test client signed in as that person (MFA enrolled)."""

    def _as(user: User, *, mfa: bool = True):
        client.logout()
        return sign_in(client, user, mfa=mfa)

    return _as


def clear_audit_table(using: str = "default") -> None:
    """Empty the append-only table between transactional tests (drop triggers, delete, restore)."""
    from django.db import connections

    conn = connections[using]
    with transaction.atomic(using=using), conn.cursor() as cursor:
        for statement in drop_statements(conn.vendor):
            cursor.execute(statement)
        cursor.execute("DELETE FROM audit_auditevent")
        for statement in install_statements(conn.vendor):
            cursor.execute(statement)


def clear_signed_records(using: str = "default") -> None:
    """Empty the signed clinical tables between transactional tests (drop triggers, delete, restore).

    Every clinical guard is dropped, the note and addendum ones and the one on encounters of
    signed notes, so that the flush after it finds nothing guarded; all are back before commit.
    """
    from django.db import connections

    conn = connections[using]
    guards = (
        (clinical_triggers.drop_statements, clinical_triggers.install_statements),
        (clinical_triggers.encounter_drop_statements, clinical_triggers.encounter_install_statements),
    )
    with transaction.atomic(using=using), conn.cursor() as cursor:
        for drop, _install in guards:
            for statement in drop(conn.vendor):
                cursor.execute(statement)
        cursor.execute(f"DELETE FROM {clinical_triggers.ADDENDUM}")
        cursor.execute("DELETE FROM clinical_amendmentrequest")  # they may point at signed notes
        cursor.execute(f"DELETE FROM {clinical_triggers.NOTE} WHERE status = 'signed'")
        for _drop, install in guards:
            for statement in install(conn.vendor):
                cursor.execute(statement)


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes really commit (for concurrency and live-server tests).

    The audit table and the signed clinical records refuse DELETE, so they are emptied here,
    with their triggers briefly dropped, before pytest-django flushes the other tables.
    """
    yield
    connection.close_if_unusable_or_obsolete()
    clear_audit_table()
    clear_signed_records()


@pytest.fixture
def live_app(live_server, committed_db):
    return live_server


def database_is_postgres() -> bool:
    return connection.vendor == "postgresql"


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL", "")
    kind = "PostgreSQL" if url.startswith(("postgres", "pgsql")) else "SQLite"
    return f"ClinicDesk test database: {kind}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test is a failure: a skip proves nothing and hides a missing component."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"
