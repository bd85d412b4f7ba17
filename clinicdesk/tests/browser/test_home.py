"""The home page in a real browser: a number leads to its list, with the keyboard and the mouse.

Wednesday 4 March 2026, 10:30 at Main Street Clinic (the application clock stands still there;
the live server shares it). Luis, at the front desk, signs in and sees that one patient is late:
he tabs to that number, presses Enter and the flow board lists that patient alone, saying so.
Dr. Okafor signs in, sees a note to sign, clicks the number and then the note. Every page is
photographed at both widths with the basic accessibility check of the first-day test.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from clinicdesk.clinical.models import VisitNote
from clinicdesk.clinical.tests.factories import make_encounter
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling.tests.factories import make_appointment, make_patient, make_practice
from clinicdesk.tests.browser.helpers import DesktopCamera, fresh_code, sign_in, sign_out
from conftest import PASSWORD, enrol_totp, make_staff

pytestmark = pytest.mark.browser

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=NY)


def at(hour: int, minute: int = 0) -> datetime:
    return NOW.replace(hour=hour, minute=minute)


def sign_in_with_code(page: Page, username: str, secret: str, name: str) -> None:
    sign_in(page, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def test_the_front_desk_and_the_clinician_follow_a_number_to_its_list(page: Page, clock):
    clock.set(NOW)
    dana = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    luis = make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")
    okafor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    luis_secret, okafor_secret = enrol_totp(luis), enrol_totp(okafor)
    practice = make_practice(dana, okafor)
    grace, tom, maria = (make_patient(luis, first, last) for first, last in
                         (("Grace", "Whitaker"), ("Tom", "Brennan"), ("Maria", "Lopez")))  # fmt: skip

    def visit(patient, start, status, **stamps):
        return make_appointment(luis, patient=patient, provider=practice.provider, location=practice.location,
                                kind=practice.kind, starts_at=start, status=status, **stamps)  # fmt: skip

    seen = visit(maria, at(9), "checked_out", arrived_at=at(8, 55), with_provider_at=at(9, 10),
                 checked_out_at=at(9, 25))  # fmt: skip
    visit(tom, at(10), "arrived", arrived_at=at(9, 58))
    visit(grace, at(10, 20), "scheduled")  # late: not here at 10:30
    visit(maria, at(11), "scheduled")
    encounter = make_encounter(okafor, practice, day=NOW.date(), appointment=seen, reason="Cough")
    VisitNote.objects.create(encounter=encounter, subjective="Cough for a week.", author=okafor,
                             last_edited_by=okafor)  # fmt: skip

    camera = DesktopCamera(page, "home")
    sign_in_with_code(page, "luis", luis_secret, "Luis Moreno")
    main = page.locator("main")
    expect(main.get_by_role("heading", level=2, name="Today's arrivals")).to_be_visible()
    expect(main.get_by_role("heading", level=2, name="Notes and follow-ups")).to_have_count(0)
    late = main.get_by_role("link", name="1 Late, not checked in")
    expect(late).to_be_visible()
    expect(main.get_by_role("link", name="4 Booked today")).to_be_visible()
    camera.shoot("front-desk")

    # With the keyboard alone: tab until the late number has the focus, then Enter.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate(
            "document.activeElement && document.activeElement.textContent.includes('Late, not checked in')"
        ):
            break
    else:  # pragma: no cover - the assertion below says what went wrong
        pytest.fail("the late number is never reached with Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/scheduling/flow/\?location=[0-9a-f-]+&show=late$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Flow board · Main Street Clinic")
    expect(main).to_contain_text("Listing only patients who are late")
    rows = main.locator("tr.flow-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Whitaker, Grace")
    camera.shoot("front-desk-late-patients")
    sign_out(page)

    sign_in_with_code(page, "okafor", okafor_secret, "Dr. Amara Okafor")
    expect(main.get_by_role("heading", level=2, name="Today's arrivals")).to_have_count(0)
    expect(main).not_to_contain_text("Cough for a week")
    camera.shoot("clinician")
    main.get_by_role("link", name="1 Notes to sign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notes to sign")
    expect(main.get_by_role("heading", level=2)).to_have_text("1 note")
    expect(main).to_contain_text("Lopez, Maria")
    camera.shoot("clinician-notes-to-sign")
    main.get_by_role("link", name=re.compile("Open note")).click()
    expect(page).to_have_url(re.compile(rf"/clinical/encounters/{encounter.public_id}/note/$"))
    expect(main).to_contain_text("Cough for a week")
