"""The flow board on a tablet (768 x 1024): each row's buttons stay inside the table, in one group.

Ana, at the front desk, uses the board on a 768-pixel-wide tablet. Patients are in every state
that has buttons: scheduled and late (Check in, No-show), arrived (free rooms, Room, Undo check
in), roomed (With provider, Undo room) and with the provider (Check out). Every button and list
of a row must sit inside its cell, none on top of another, and the page must not scroll sideways.
The screenshots go where the other browser tests put theirs (test_first_day.ARTIFACTS).
"""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from playwright.sync_api import Browser, expect

from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling import flow
from clinicdesk.scheduling.models import AppointmentStatus
from clinicdesk.scheduling.setup import HoursInput
from clinicdesk.scheduling.tests.factories import (
    make_appointment,
    make_location,
    make_patient,
    make_provider,
    make_room,
    make_type,
)
from clinicdesk.tests.browser.conftest import DESKTOP
from clinicdesk.tests.browser.helpers import ARTIFACTS, TABLET, Camera, clinic_zone, fresh_code, sign_in
from conftest import PASSWORD, enrol_totp, make_staff

pytestmark = pytest.mark.browser
S = AppointmentStatus


def test_the_flow_board_buttons_fit_a_tablet(chromium: Browser, live_app):
    now = app_clock.now()
    zone = clinic_zone(now)
    manager = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    ana = make_staff("ana", Role.FRONT_DESK, display_name="Ana Ruiz")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    hours = [HoursInput(weekday=day, opens=time(0), closes=time(23, 59)) for day in range(7)]
    location = make_location(manager, time_zone=zone.key, opening_hours=hours)
    rooms = [make_room(manager, location, f"Exam {n}") for n in (1, 2, 3)]
    provider = make_provider(manager, doctor, [location])
    kind = make_type(manager, [provider], color="#2CA02C")
    states = [S.SCHEDULED, S.ARRIVED, S.ROOMED, S.WITH_PROVIDER, S.SCHEDULED]
    names = ["Brennan", "Whitaker", "Lopez", "Nguyen", "Okonkwo-Armstrong"]
    for index, (state, last) in enumerate(zip(states, names, strict=True)):
        appointment = make_appointment(
            ana,
            patient=make_patient(ana, first="Maria", last=last),
            provider=provider,
            location=location,
            kind=kind,
            starts_at=now - timedelta(minutes=60) + timedelta(minutes=20 * index),
        )  # fmt: skip  (back to back: a provider's visits may not overlap, and PostgreSQL refuses it)
        steps = [S.ARRIVED, S.ROOMED, S.WITH_PROVIDER]
        for to in steps[: steps.index(state) + 1] if state in steps else []:
            flow.flow_transition(actor=ana, appointment=appointment, to=to, room=rooms[index % 3])
    secret = enrol_totp(ana)

    context = chromium.new_context(base_url=live_app.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, "ana", PASSWORD)
    page.get_by_label("Code").fill(fresh_code(secret))
    page.locator("main").get_by_role("button", name="Sign in").click()
    page.goto(f"/scheduling/flow/?location={location.public_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Flow board"))
    expect(page.get_by_role("button", name="Undo room")).to_have_count(1)
    expect(page.get_by_role("button", name="Undo check in")).to_have_count(1)
    Camera(page, "flow-board-tablet").shoot("board")  # the accessibility check, at 1280 and 768 px

    page.set_viewport_size(TABLET)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "flow-board-tablet-768.png", full_page=True)  # before the checks, to see why
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the board scrolls sideways by {overflow}px at 768 px"
    # Every control of a row's button group lies inside its cell, and no two overlap.
    problems = page.evaluate(
        """() => {
        const out = [];
        for (const group of document.querySelectorAll('.flow-actions')) {
          const cell = group.closest('td').getBoundingClientRect();
          const wrap = group.closest('.table-wrap').getBoundingClientRect();
          const boxes = [...group.querySelectorAll('button, select, a.button, .muted')].map(e => e.getBoundingClientRect());
          for (const b of boxes) {
            if (b.left < cell.left - 0.5 || b.right > cell.right + 0.5) out.push('outside its cell');
            if (b.right > wrap.right + 0.5) out.push('beyond the table edge');
          }
          for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
              out.push('two controls overlap');
          }
        }
        return out;
      }"""
    )
    assert problems == [], problems
    context.close()
