"""axe-core (WCAG 2.1 A and AA) over the pages each role uses, with the demo practice loaded.

Wednesday 4 March 2026, 10:30 at the demo's clinics: the day calendar has finished, current and
coming visits, the flow board has patients waiting, notes are waiting to be signed. Every demo
login but the administrator signs in and opens the same pages: home, patient search, a patient,
the chart, an encounter, the day and week calendars, the flow board, recalls, the worklists,
the waitlist, the audit pages. A page a role may not open is checked as the refusal it gets.
Each page is checked once its htmx fragments have settled; the test fails naming every rule,
element and page that breaks WCAG 2.1 A/AA. A second test submits a form with mistakes and
expects the keyboard focus on the error summary, whose links lead to the fields.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from clinicdesk.accounts.demo import DEMO_PASSWORD, DEMO_STAFF
from clinicdesk.clinical.models import Encounter
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling.models import Location
from clinicdesk.tests.browser.accessibility import AxeWatch
from clinicdesk.tests.browser.helpers import sign_in, sign_out
from conftest import PASSWORD, make_staff

pytestmark = pytest.mark.browser

NOW = datetime(2026, 3, 4, 10, 30, tzinfo=ZoneInfo("America/New_York"))
ROLES = [Role.FRONT_DESK, Role.NURSE, Role.CLINICIAN, Role.OFFICE_MANAGER, Role.BILLER, Role.AUDITOR]


def pages_to_visit() -> list[str]:
    """The addresses every role opens, filled from the demo practice."""
    encounter = Encounter.objects.filter(status="signed").select_related("patient").order_by("pk").first()
    assert encounter is not None, "the demo has signed encounters"
    patient = encounter.patient
    location = Location.objects.order_by("name").first()
    assert location is not None
    where = f"location={location.public_id}"
    return [
        "/",
        f"/patients/?q={patient.last_name}",
        f"/patients/{patient.mrn}/",
        f"/clinical/patients/{patient.mrn}/chart/",
        f"/clinical/encounters/{encounter.public_id}/",
        f"/scheduling/calendar/day/?{where}",
        f"/scheduling/calendar/week/?{where}",
        f"/scheduling/flow/?{where}",
        "/clinical/today/",
        "/clinical/notes/",
        "/clinical/vitals-due/",
        "/clinical/recalls/",
        "/scheduling/waitlist/",
        "/audit/",
        "/audit/patient-access/",
        "/audit/anomalies/",
    ]


@pytest.fixture
def demo_practice(clock, settings, live_app):
    clock.set(NOW)
    settings.CLINICDESK_MFA_REQUIRED = False  # the demo's logins have no authenticator
    call_command("demo", "--patients", "40", "--quiet")


def open_and_check(page: Page, axe: AxeWatch, path: str) -> int:
    """Open `path`, let htmx settle, run axe there; returns the HTTP status."""
    response = page.goto(path)
    assert response is not None
    page.wait_for_load_state("networkidle")
    axe.check_page(page)
    return response.status


def test_every_role_s_pages_meet_wcag_2_1_aa(page: Page, axe: AxeWatch, demo_practice):
    usernames = {role: username for username, _name, role in DEMO_STAFF}
    paths = pages_to_visit()
    answers: dict[str, list[int]] = {}
    for role in ROLES:
        sign_in(page, usernames[role], DEMO_PASSWORD)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        for path in paths:
            answers.setdefault(path, []).append(open_and_check(page, axe, path))
        sign_out(page)

    # Every page was shown to some role (not only refused), and never broke.
    assert {path: codes for path, codes in answers.items() if 200 not in codes} == {}
    assert {path: codes for path, codes in answers.items() if any(code >= 500 for code in codes)} == {}
    checked = {re.sub(r"^https?://[^/]+", "", url) for url in axe.checked}
    assert [path for path in paths if path not in checked] == []
    assert axe.report() == ""


def test_a_form_sent_with_mistakes_puts_the_focus_on_its_error_summary(page: Page, axe: AxeWatch, settings):
    settings.CLINICDESK_MFA_REQUIRED = False
    make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")
    sign_in(page, "luis", PASSWORD)
    page.goto("/patients/new/")
    page.locator("main").get_by_role("button", name=re.compile("register", re.I)).click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("tabindex", "-1")
    # The summary links each mistake to its field, and the link takes the keyboard there.
    first = summary.get_by_role("link").first
    target = (first.get_attribute("href") or "").lstrip("#")
    field = page.locator(f"[id='{target}']")
    expect(field).to_have_attribute("aria-invalid", "true")
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    axe.check_page(page)
    assert axe.report() == ""
