"""The flow board's finished visits, in a real browser: folded away, and left as the person left them.

Ana's board holds a patient in the waiting room, one still to come and two finished visits (one
checked out, one no-show). The waiting patient is listed first; the finished ones sit under a
closed "Finished today: 2". Ana opens it; the board refreshes itself (every second here) and
the section stays open, now showing the finished rows; she closes it and it stays closed.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling.models import AppointmentStatus
from clinicdesk.scheduling.setup import HoursInput
from clinicdesk.scheduling.tests.factories import (
    make_appointment,
    make_location,
    make_patient,
    make_provider,
    make_type,
)
from clinicdesk.tests.browser.helpers import sign_in_with_code
from conftest import enrol_totp, make_staff

pytestmark = pytest.mark.browser

S = AppointmentStatus
ZONE = ZoneInfo("America/New_York")
SCREEN: ViewportSize = {"width": 1280, "height": 800}


def test_the_finished_visits_stay_folded_or_open_across_refreshes(chromium: Browser, live_app, settings):
    settings.CLINICDESK_FLOW_REFRESH_SECONDS = 1
    now = app_clock.now()
    local = now.astimezone(ZONE)
    # Four 15-minute visits inside today's local date, whatever the hour the test runs at.
    first = now - timedelta(minutes=min(local.hour * 60 + local.minute, 30))
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    ana = make_staff("ana", Role.FRONT_DESK, display_name="Ana Ruiz")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    hours = [HoursInput(weekday=day, opens=time(0), closes=time(23, 59)) for day in range(7)]
    location = make_location(manager, time_zone=ZONE.key, opening_hours=hours)
    provider = make_provider(manager, doctor, [location])
    kind = make_type(manager, [provider], duration_minutes=5, color="#2CA02C")
    visits = [  # (surname, status, timestamps)
        ("Whitaker", S.ARRIVED, {"arrived_at": now - timedelta(minutes=12)}),
        ("Brennan", S.CHECKED_OUT, {"arrived_at": now - timedelta(minutes=40), "with_provider_at": now - timedelta(
            minutes=30), "checked_out_at": now - timedelta(minutes=20)}),
        ("Lopez", S.NO_SHOW, {"no_show_at": now - timedelta(minutes=5)}),
        ("Nguyen", S.SCHEDULED, {}),
    ]  # fmt: skip
    for index, (last, status, stamps) in enumerate(visits):
        make_appointment(
            ana,
            patient=make_patient(ana, first="Maria", last=last),
            provider=provider,
            location=location,
            kind=kind,
            starts_at=first + timedelta(minutes=5 * index),
            status=status,
            **stamps,
        )  # fmt: skip  (back to back: a provider's visits may not overlap)
    secret = enrol_totp(ana)

    context = chromium.new_context(base_url=live_app.url, viewport=SCREEN)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in_with_code(page, ana, secret)

    page.goto(f"/scheduling/flow/?location={location.public_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Flow board"))
    live = page.locator("#flow-board > .table-wrap .flow-row")
    expect(live).to_have_count(2)
    expect(live.first).to_contain_text("Whitaker, Maria")  # in the building, before those to come
    finished = page.locator("#flow-done")
    expect(finished.locator("summary")).to_contain_text("Finished today: 2")
    expect(finished).not_to_have_attribute("open", "")
    expect(finished.get_by_role("link", name="Brennan, Maria")).to_be_hidden()

    finished.locator("summary").click()
    expect(finished.get_by_role("link", name="Brennan, Maria")).to_be_visible()
    stamp = page.locator(".flow-legend").inner_text()
    expect(page.locator(".flow-legend")).not_to_have_text(stamp, timeout=5_000)  # refreshed since
    expect(page.locator("#flow-done")).to_have_attribute("open", "")
    expect(page.locator("#flow-done").get_by_role("link", name="Lopez, Maria")).to_be_visible()

    page.locator("#flow-done summary").click()
    stamp = page.locator(".flow-legend").inner_text()
    expect(page.locator(".flow-legend")).not_to_have_text(stamp, timeout=5_000)
    expect(page.locator("#flow-done")).not_to_have_attribute("open", "")
    context.close()
