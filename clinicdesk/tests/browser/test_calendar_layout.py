"""The day and week calendars at 1280 x 800, in a real browser: nothing cut, nothing lost.

Riverside Clinic opens Monday to Saturday. Dr. Maximiliana Okonkwo-Armstrong's week holds a
15-minute "Quick check" for a patient with a long name and reason, 20-minute follow-ups, and a
Saturday visit. Ana at the front desk opens the week view on a 1280-pixel screen: Saturday's
column lies inside the window (no sideways scrolling to find it), and the 15-minute visit's text
is not clipped (the block shows its whole content, scrollHeight <= clientHeight). On the day view,
the provider picker shows every provider's whole name, and whole rows of the list only.

The visits are in the week after this one, so the test never depends on the time of day.
Screenshots go where the other browser tests put theirs (test-artifacts/calendar-*.png).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling.setup import HoursInput
from clinicdesk.scheduling.tests.factories import (
    VALID_NPI,
    make_appointment,
    make_location,
    make_patient,
    make_provider,
    make_type,
)
from clinicdesk.tests.browser.helpers import sign_in_with_code
from conftest import enrol_totp, make_staff

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"  # where the browser tests put screenshots
ZONE = ZoneInfo("America/New_York")
SCREEN: ViewportSize = {"width": 1280, "height": 800}
DOCTORS = ("Dr. Maximiliana Okonkwo-Armstrong", "Dr. Bartholomew Fitzgerald-Hughes", "Dr. Amara Okafor",
           "Dr. Lee Chen", "Dr. Josephine Abernathy-Castellanos")  # fmt: skip
NPIS = (VALID_NPI, "1245319599", "1679576722", "1588667638", "1497758544")  # valid check digits


def test_the_week_shows_saturday_and_short_visits_whole_at_1280(chromium: Browser, live_app):
    today = app_clock.now().astimezone(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())  # next week: every visit lies ahead
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    ana = make_staff("ana", Role.FRONT_DESK, display_name="Ana Ruiz")
    hours = [HoursInput(weekday=day, opens=time(8), closes=time(17)) for day in range(6)]
    location = make_location(manager, name="Riverside Clinic", time_zone=ZONE.key, opening_hours=hours)
    providers = []
    for index, (name, npi) in enumerate(zip(DOCTORS, NPIS, strict=True)):
        doctor = make_staff(f"doctor{index}", Role.CLINICIAN, display_name=name)
        providers.append(make_provider(manager, doctor, [location], npi=npi))
    provider = providers[0]
    quick = make_type(manager, [provider], name="Quick check", duration_minutes=15, color="#1F77B4")
    follow = make_type(manager, [provider], name="Follow-up", duration_minutes=20, color="#2CA02C")

    def visit(day: int, at: time, kind, first: str, last: str, reason: str):
        return make_appointment(
            ana, patient=make_patient(ana, first=first, last=last), provider=provider, location=location, kind=kind,
            starts_at=datetime.combine(monday + timedelta(days=day), at, ZONE), reason=reason,
        )  # fmt: skip

    short = visit(0, time(9), quick, "Maximiliana", "Vanderbilt-Okonkwo", "Blood pressure recheck after dose change")
    visit(0, time(9, 15), follow, "Tom", "Brennan", "Knee pain")
    visit(2, time(10, 30), quick, "Grace", "Whitaker", "Flu shot")
    saturday = visit(5, time(11), follow, "Luis", "Ortega", "Stitches out")
    secret = enrol_totp(ana)

    context = chromium.new_context(base_url=live_app.url, viewport=SCREEN)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in_with_code(page, ana, secret)

    page.goto(f"/scheduling/calendar/week/?location={location.public_id}&provider={provider.public_id}&date={monday}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Week"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "calendar-week-1280.png")  # the first screen, as Ana sees it

    # Saturday's column lies inside the window: no sideways scrolling to find it.
    window = page.evaluate("document.documentElement.clientWidth")
    columns = page.locator("section.cal-col")
    expect(columns).to_have_count(6)  # Monday to Saturday (Sunday is closed and empty)
    last = columns.nth(5)
    expect(last.locator(".cal-head")).to_contain_text("Sat")
    box = last.bounding_box()
    assert box is not None and box["x"] + box["width"] <= window, f"Saturday ends at {box} beyond {window}px"
    expect(last.locator(f'a[href*="{saturday.public_id}"]')).to_be_visible()

    # The 15-minute visit shows all it holds: nothing cut at its bottom, its text in the tooltip too.
    block = page.locator("article.cal-appt", has=page.locator(f'a[href*="{short.public_id}"]'))
    fits = block.evaluate("b => [b.scrollHeight, b.clientHeight]")
    assert fits[0] <= fits[1], f"the 15-minute block's text is cut: scrollHeight {fits[0]} > clientHeight {fits[1]}"
    title = block.get_attribute("title") or ""
    assert "Vanderbilt-Okonkwo" in title and "Blood pressure recheck after dose change" in title

    # The day view's provider picker: whole names, whole rows.
    page.goto(f"/scheduling/calendar/day/?location={location.public_id}&date={monday}")
    page.screenshot(path=ARTIFACTS / "calendar-day-1280.png")
    picker = page.locator("#cal-provider")
    widths = picker.evaluate("s => [s.scrollWidth, s.clientWidth, s.scrollHeight, s.clientHeight, s.size]")
    assert widths[0] <= widths[1], f"a provider's name is cut: {widths[0]}px of names in a {widths[1]}px list"
    assert widths[2] <= widths[3] and widths[4] == len(DOCTORS), f"the list shows part of a row: {widths}"
    # Five providers' columns fit beside the menu too: the day needs no sideways scrolling.
    grid = page.locator(".cal-scroll").evaluate("g => [g.scrollWidth, g.clientWidth]")
    assert grid[0] <= grid[1], f"the day's columns need {grid[0]}px in {grid[1]}px"
    context.close()
