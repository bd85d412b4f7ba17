"""The note editor in a real browser: autosave under the strict CSP, Ctrl+S, signing, the addendum offer.

Sam (nurse) drafts the note and sees "Saved …" without pressing anything; Ctrl+S saves at once.
Dr. Okafor edits and signs it; an old tab that still shows the editor tries to save and is told
the note is signed, with a link to add an addendum, which she follows.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clinicdesk.clinical import notes
from clinicdesk.clinical.models import Addendum, VisitNote
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core.capabilities import Role
from clinicdesk.tests.browser.helpers import fresh_code, sign_in
from conftest import PASSWORD, enrol_totp, make_staff

pytestmark = pytest.mark.browser


def _sign_in(page: Page, user) -> None:
    secret = enrol_totp(user)
    sign_in(page, user.username, PASSWORD)
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def test_a_nurse_drafts_with_autosave_and_the_clinician_signs_then_is_offered_an_addendum(page: Page, live_app):
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    nurse = make_staff("sam", Role.NURSE, display_name="Sam Patel")
    encounter = make_encounter(doctor, make_clinic(manager, doctor))
    note_url = f"/clinical/encounters/{encounter.public_id}/note/"

    _sign_in(page, nurse)
    page.goto(note_url)
    page.get_by_role("button", name="Start the note").click()
    page.get_by_label("Subjective").fill("Cough for 3 days, no fever.")
    page.get_by_label("Objective").click()  # leaving the box saves it
    expect(page.locator("#note-save-status")).to_contain_text(re.compile(r"Saved \d{1,2}:\d{2}:\d{2} [AP]M"))
    expect(page.locator("#note-version")).to_have_value("2")
    # fill() types no keys, so the keyup autosave does not start; Ctrl+S saves at once, well
    # before the two-second keyup delay of the autosave its own keyup starts would.
    page.get_by_label("Objective").fill("Lungs clear.")
    page.keyboard.press("Control+s")
    expect(page.locator("#note-version")).to_have_value("3", timeout=1500)
    stored = VisitNote.objects.get(encounter=encounter)
    assert stored.subjective == "Cough for 3 days, no fever." and stored.objective == "Lungs clear."
    expect(page.get_by_role("button", name="Sign the note")).to_have_count(0)
    page.context.clear_cookies()

    _sign_in(page, doctor)
    page.goto(note_url)
    page.get_by_label("Assessment").fill("Viral URI.")
    page.get_by_label("Plan").fill("Fluids, rest. Return if worse.")
    old_tab = page.context.new_page()
    old_tab.goto(note_url)  # a second window with the editor, left open
    page.get_by_role("button", name="Sign the note").click()
    expect(page.get_by_text("Signature verified")).to_be_visible()
    assert VisitNote.objects.get(encounter=encounter).is_signed

    old_tab.get_by_label("Plan").fill("Antibiotics.")
    old_tab.get_by_label("Plan").blur()
    expect(old_tab.locator("#note-save-status")).to_contain_text("This note was signed by Dr. Amara Okafor")
    old_tab.locator("#note-save-status").get_by_role("link", name="Add an addendum instead").click()
    old_tab.get_by_label("Addendum").fill("Correction: cough for 4 days.")
    old_tab.get_by_role("button", name="Sign and add the addendum").click()
    expect(old_tab.locator("#addenda")).to_contain_text("Correction: cough for 4 days.")
    signed = VisitNote.objects.select_related("encounter", "signed_by").get(encounter=encounter)
    assert signed.plan == "Fluids, rest. Return if worse." and notes.note_verify(signed)
    assert Addendum.objects.filter(note=signed).count() == 1
