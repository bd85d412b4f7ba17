"""The problem list's ICD-10-CM typeahead in a real browser, with the keyboard alone, under the strict CSP.

Dr. Okafor types "E11" in the code field: the billable codes under E11 appear in a listbox (the
codes app's fragment, fetched by htmx); Down, Down, Enter picks E11.9 and a second Enter adds
the problem. Then she searches by words ("hyperglyc"), picks with Down and Enter, and a
category typed by hand is refused next to the field. On the encounter's diagnoses she fills
the boxes from the problem list and picks a third code by words.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from clinicdesk.clinical.models import EncounterDiagnosis, Problem
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.clinical.tests.helpers import CODES
from clinicdesk.codes.services import icd10_load
from clinicdesk.core.capabilities import Role
from clinicdesk.tests.browser.helpers import fresh_code, sign_in
from conftest import PASSWORD, enrol_totp, make_staff

pytestmark = pytest.mark.browser


def test_a_clinician_picks_codes_with_the_keyboard_and_a_category_is_refused(page: Page, live_app):
    icd10_load(entries=CODES, release="2026")
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    clinic = make_clinic(manager, doctor)
    patient = clinic.patient
    encounter = make_encounter(doctor, clinic)
    secret = enrol_totp(doctor)
    sign_in(page, doctor.username, PASSWORD)
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")

    page.goto(f"/clinical/patients/{patient.mrn}/problems/")
    code = page.get_by_role("combobox", name="ICD-10-CM code")
    code.focus()
    code.press_sequentially("E11", delay=40)
    listbox = page.get_by_role("listbox", name="ICD-10-CM codes")
    expect(listbox.get_by_role("option")).to_have_count(2)  # E11.65 and E11.9; the category is not billable
    expect(code).to_have_attribute("aria-expanded", "true")
    code.press("ArrowDown")
    code.press("ArrowDown")
    expect(code).to_have_attribute("aria-activedescendant", "problem-code-options-1")
    code.press("Enter")
    expect(code).to_have_value("E11.9")
    expect(listbox).to_have_count(0)
    code.press("Enter")  # the list is closed: Enter sends the form
    expect(page.locator("#problems")).to_contain_text("Type 2 diabetes mellitus without complications")
    assert list(Problem.objects.values_list("code", flat=True)) == ["E11.9"]

    code = page.get_by_role("combobox", name="ICD-10-CM code")
    code.focus()
    code.press_sequentially("hyperglyc", delay=30)
    expect(page.get_by_role("option")).to_have_count(1)
    code.press("ArrowDown")
    code.press("Enter")
    expect(code).to_have_value("E11.65")
    code.press("Escape")
    page.get_by_role("button", name="Add problem").click()
    expect(page.locator("#problems")).to_contain_text("with hyperglycemia")

    code = page.get_by_role("combobox", name="ICD-10-CM code")
    code.fill("J45")
    code.press("Escape")
    page.get_by_role("button", name="Add problem").click()
    expect(page.locator(".field-error")).to_contain_text(
        "J45 is a category, not a billable code; choose a more specific code such as J45.909"
    )
    expect(page.get_by_role("combobox", name="ICD-10-CM code")).to_have_value("J45")
    assert Problem.objects.count() == 2

    # The encounter's diagnoses: filled from the problem list, a third one picked by words.
    page.goto(f"/clinical/encounters/{encounter.public_id}/diagnoses/edit/")
    page.get_by_role("link", name="Fill in from the problem list").click()
    expect(page.get_by_role("combobox", name="Diagnosis 1 (primary)")).not_to_have_value("")
    third = page.get_by_role("combobox", name="Diagnosis 3", exact=True)
    third.focus()
    third.press_sequentially("cough", delay=30)
    expect(page.locator("#dx_3-options").get_by_role("option")).to_have_count(1)
    third.press("ArrowDown")
    third.press("Enter")
    expect(third).to_have_value("R05.9")
    page.get_by_role("button", name="Save diagnoses").click()
    expect(page.locator("#diagnoses")).to_contain_text("Cough, unspecified")
    ranked = list(EncounterDiagnosis.objects.order_by("rank").values_list("rank", "code"))
    assert ranked[2] == (3, "R05.9") and {code for _, code in ranked[:2]} == {"E11.9", "E11.65"}
