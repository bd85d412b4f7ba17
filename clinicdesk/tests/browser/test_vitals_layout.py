"""The encounter page and the chart at 768 and 1280 px, in a real browser: nothing wider than the
screen, no number broken in the middle, and the vitals shown as they were typed.

Dr. Okafor's patient has vitals typed in pounds, inches and °F (150 lb, 65.25 in, 98.6 °F) and a
second set in kilograms. She opens the encounter and the chart on a tablet (768 px wide) and on
a desktop (1280 px): the page never scrolls sideways (the vitals history scrolls in its own
region if it must), the header's MRN and dates stay on one line each, the history says "150 lb",
and the chart's weight is in lb like its graph. Screenshots: test-artifacts/vitals-*.png.
"""

from __future__ import annotations

import time as clock_time
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.clinical.vitals import VitalsInput, vitals_record
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from conftest import PASSWORD, enrol_totp, make_staff, totp_now

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
WIDTHS = (768, 1280)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
# Each header value (MRN, birth date, date of service) is laid out on a single line.
ONE_LINE_EACH = """() => [...document.querySelectorAll('.chart-header .facts dd code, .chart-header .facts dd')]
  .filter(el => /\\d/.test(el.textContent) && el.textContent.trim().length <= 30)
  .filter(el => el.getClientRects().length > 1 || el.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(el).lineHeight || 16))
  .map(el => el.textContent.trim())"""


def _fresh_code(secret: str) -> str:
    left = 30 - clock_time.time() % 30
    if left < 4:
        clock_time.sleep(left + 0.5)
    return totp_now(secret)


def test_the_encounter_and_the_chart_fit_768_and_1280_and_show_the_vitals_as_typed(chromium: Browser, live_app):
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    doctor = make_staff("amara", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    nurse = make_staff("sam", Role.NURSE, display_name="Sam Patel")
    clinic = make_clinic(manager, doctor)
    encounter = make_encounter(doctor, clinic, day=app_clock.today(), reason="Blood pressure follow-up")
    vitals_record(actor=nurse, patient=clinic.patient, encounter=encounter, data=VitalsInput(
        systolic=Decimal("142"), diastolic=Decimal("88"), pulse=Decimal("72"), temperature=Decimal("98.6"), temperature_unit="F", respiratory_rate=Decimal("16"),
        spo2=Decimal("98"), height=Decimal("65.25"), height_unit="in", weight=Decimal("150"), weight_unit="lb", pain=Decimal("2"),
    ))  # fmt: skip
    vitals_record(actor=nurse, patient=clinic.patient, data=VitalsInput(weight=Decimal("68.5"), weight_unit="kg",
                  systolic=Decimal("138"), diastolic=Decimal("86")))  # fmt: skip
    secret = enrol_totp(doctor)

    context = chromium.new_context(base_url=live_app.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/account/login/")
    page.fill("#id_login", "amara")
    page.fill("#id_password", PASSWORD)
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(_fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Amara Okafor")

    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"/clinical/encounters/{encounter.public_id}/")
        expect(page.locator("#vitals")).to_contain_text("150 lb")
        expect(page.locator("#vitals")).not_to_contain_text("149.9")
        page.screenshot(path=ARTIFACTS / f"vitals-encounter-{width}.png", full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the encounter page scrolls sideways at {width} px"
        assert page.evaluate(ONE_LINE_EACH) == [], f"a header value breaks across lines at {width} px"
        page.goto(f"/clinical/patients/{clinic.patient.mrn}/chart/")
        expect(page.locator("#vitals-h")).to_be_visible()
        expect(page.get_by_text("Weight (lb)")).to_be_visible()
        page.screenshot(path=ARTIFACTS / f"vitals-chart-{width}.png", full_page=True)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"the chart scrolls sideways at {width} px"
    context.close()
