"""The front desk books a new patient's first visit and checks her in, clicked through in a real browser.

Grace Whitaker phones Riverside Clinic for her first visit and asks for the earliest time. Luis,
at the front desk, opens "Find a slot", asks for the next "New patient visit" for her MRN and
gets today, right after the follow-up Maria Lopez is already booked into. He opens the slot.
At the same moment Ana, at the second desk in another browser, finds the same slot for Tom
Brennan and has it on screen with Tom chosen. Luis books first; when Ana presses Book she is
told, beside the time, that the doctor already has an appointment then, and nothing is booked
for Tom. Ana keeps the flow board open. Grace walks in: Luis opens today's schedule, follows
her appointment on the day view to its flow page, checks her in after confirming her details,
and Ana's board shows her as arrived within one refresh, without the page being reloaded.

Time of day. The story needs the next available slot to be today, whenever CI runs it, and to
lie far enough ahead that it has not passed between finding and booking it. So:
- the clinic's time zone is picked from a handful spread around the globe (New York first) so
  that it is between 08:00 and 16:00 there when the test starts (the widest gap between the
  zones' offsets is 5.5 hours, so one always fits); the clinic opens 07:00-21:00 every day and
  the doctor's template covers all seven days, so the weekday never matters;
- the practice's TIME_ZONE is set to the same zone, as for any single-site practice (slot times
  are shown in the clinic's zone either way; test_availability_views checks a practice whose
  zone differs);
- if today is a public holiday on the clinic's calendar, it is opened anyway (a holiday
  override, as the office manager would add in availability);
- Maria's 45-minute follow-up starts 15 to 30 minutes from now, which leaves too little room
  before it for a 40-minute visit: the next slot is exactly when Maria's visit ends, 60 to 75
  minutes ahead (so it cannot pass during the test) and no later than about 17:15, well before
  closing.

The browser, the screenshots and the accessibility check are those of the first-day test; the
camera is the front-desk patients test's (which also refuses sideways scrolling at desktop width).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from clinicdesk.accounts.models import User
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.patients.models import Patient
from clinicdesk.patients.services import PatientInput, patient_register
from clinicdesk.scheduling.availability import (
    BlockInput,
    holiday_override_add,
    location_holidays,
    template_version_create,
)
from clinicdesk.scheduling.booking import BookingInput, appointment_book
from clinicdesk.scheduling.clock import clock_text
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, HolidayOverride, Location, PatientKind
from clinicdesk.scheduling.selectors_calendar import flow_refresh_seconds
from clinicdesk.scheduling.setup import (
    AppointmentTypeInput,
    HoursInput,
    LocationInput,
    ProviderInput,
    RoomInput,
    appointment_type_create,
    location_create,
    provider_create,
    room_create,
)
from clinicdesk.tests.browser.conftest import DESKTOP
from clinicdesk.tests.browser.helpers import CLOSES, OPENS, DesktopCamera, clinic_zone, labelled, sign_in_with_code
from conftest import enrol_totp, make_staff

pytestmark = pytest.mark.browser


@pytest.fixture
def second_page(chromium: Browser, live_app) -> Iterator[Page]:
    """Another browser (its own cookies and session), checked for script errors like `page`."""
    context = chromium.new_context(base_url=live_app.url, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    second = context.new_page()
    broken: list[str] = []
    second.on("pageerror", lambda exc: broken.append(f"script error: {exc}"))
    second.on("console", lambda msg: broken.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield second
    context.close()
    assert broken == [], broken


def register(actor: User, first: str, last: str, born: date, mobile: str) -> Patient:
    values = {"first_name": first, "last_name": last, "date_of_birth": born, "sex_at_birth": "F"}
    return patient_register(actor=actor, data=PatientInput(values=values, phones={"mobile": mobile}))


def day_heading(day: date) -> str:
    return weekday_date_text(day)  # the house style, as the slot list shows a day: "Tue 12/08/2026"


def open_slot_search(page: Page, *, kind: str, today: date, mrn: str = "") -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find a slot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Find a slot")
    page.get_by_label(labelled("Appointment type")).select_option(label=kind)
    page.get_by_label(labelled("From")).fill(today.isoformat())
    if mrn:
        page.get_by_label(labelled("Patient")).fill(mrn)
    page.locator("main").get_by_role("button", name="Find slots").click()
    expect(page).to_have_url(re.compile(r"/scheduling/setup/slots/\?"))


def test_front_desk_books_the_next_new_patient_slot_loses_no_race_and_checks_her_in(
    page: Page, second_page: Page, settings
):
    camera = DesktopCamera(page, "front-desk-scheduling")
    camera_ana = DesktopCamera(second_page, "front-desk-scheduling-second-desk")
    ana_page = second_page

    # --- The practice, set up through the services ---------------------------------------------
    now = app_clock.now()
    zone = clinic_zone(now)
    today = now.astimezone(zone).date()
    settings.TIME_ZONE = zone.key  # the practice is the one clinic; the live server shares the settings
    dana = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    luis = make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")
    ana = make_staff("ana", Role.FRONT_DESK, display_name="Ana Ruiz")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    luis_secret, ana_secret = enrol_totp(luis), enrol_totp(ana)

    clinic = location_create(
        actor=dana,
        data=LocationInput(
            name="Riverside Clinic",
            address_line1="40 River Road",
            city="Kingston",
            state="NY",
            zip_code="12401",
            time_zone=zone.key,
            holiday_country="US",
            holiday_subdivision="NY",
            opening_hours=[HoursInput(weekday=day, opens=OPENS, closes=CLOSES) for day in range(7)],
        ),
    )
    if location_holidays(clinic, today, today):
        holiday_override_add(actor=dana, location=clinic, day=today, note="Open for new patients")
    exam_1 = room_create(actor=dana, location=clinic, data=RoomInput(name="Exam 1"))
    room_create(actor=dana, location=clinic, data=RoomInput(name="Exam 2"))
    provider = provider_create(
        actor=dana,
        data=ProviderInput(
            user=doctor, locations=[clinic], npi="1234567893", taxonomy_code="207Q00000X", specialty="Family medicine"
        ),
    )
    new_visit = appointment_type_create(
        actor=dana,
        data=AppointmentTypeInput(
            name="New patient visit",
            duration_minutes=40,
            providers=[provider],
            patient_kind=PatientKind.NEW,
            default_reason="New patient",
        ),
    )
    follow_up = appointment_type_create(
        actor=dana,
        data=AppointmentTypeInput(name="Follow-up", duration_minutes=45, providers=[provider], color="#2CA02C"),
    )
    template_version_create(
        actor=dana,
        provider=provider,
        location=clinic,
        valid_from=today - timedelta(days=1),
        blocks=[BlockInput(weekday=day, starts=OPENS, ends=CLOSES) for day in range(7)],
    )
    grace = register(luis, "Grace", "Whitaker", date(1988, 6, 2), "(845) 555-0111")
    tom = register(ana, "Tom", "Brennan", date(1975, 11, 20), "(845) 555-0122")
    maria = register(luis, "Maria", "Lopez", date(1959, 1, 9), "(845) 555-0133")
    local_now = now.astimezone(zone).replace(second=0, microsecond=0)
    maria_starts = local_now + timedelta(minutes=15 - local_now.minute % 15 + 15)
    maria_visit = appointment_book(
        actor=luis,
        data=BookingInput(
            patient=maria,
            provider=provider,
            location=clinic,
            appointment_type=follow_up,
            starts_at=maria_starts.astimezone(ZoneInfo("UTC")),
            room=exam_1,
        ),
    )
    slot_start = maria_visit.ends_at.astimezone(zone)  # the first free 40 minutes after now
    slot_end = slot_start + timedelta(minutes=40)
    assert slot_start.date() == today and slot_end.time() <= CLOSES
    assert HolidayOverride.objects.filter(location=clinic).count() == (
        1 if location_holidays(clinic, today, today) else 0
    )

    sign_in_with_code(page, luis, luis_secret)
    sign_in_with_code(ana_page, ana, ana_secret)

    # --- 1. Luis finds the next new-patient slot for Grace: today, when Maria's visit ends ---------
    open_slot_search(page, kind="New patient visit", today=today, mrn=grace.mrn)
    results = page.get_by_role("region", name=re.compile(r"slots? found$"))
    expect(results.get_by_role("heading", level=3).first).to_have_text(day_heading(today))
    first = results.get_by_role("link", name=re.compile(r"^Book ")).first
    expected = f"Book {clock_text(slot_start)}–{clock_text(slot_end)} with {provider} at Riverside Clinic"
    expect(first).to_have_text(re.compile(rf"^{re.escape(expected)}(, Exam \d)?$"))
    slot_link = first.get_attribute("href") or ""
    assert f"patient={grace.mrn}" in slot_link, slot_link
    camera.shoot("slot-search")
    first.click()

    expect(page).to_have_url(re.compile(r"/scheduling/book/\?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    slot_summary = page.get_by_role("region", name="Slot")
    expect(slot_summary).to_contain_text(weekday_date_text(slot_start.date()))
    expect(slot_summary).to_contain_text(f"with {provider} at Riverside Clinic · New patient visit, 40 min")
    expect(page.get_by_role("region", name="Patient")).to_contain_text("Whitaker, Grace")
    expect(page.get_by_label(labelled("Date"))).to_have_value(today.isoformat())
    expect(page.get_by_label(labelled("Time"))).to_have_value(f"{slot_start:%H:%M}")
    camera.shoot("booking-form")

    # --- 2. Ana, at the second desk, finds the same slot and picks Tom for it ----------------------
    open_slot_search(ana_page, kind="New patient visit", today=today)
    ana_first = ana_page.get_by_role("region", name=re.compile(r"slots? found$")).get_by_role(
        "link", name=re.compile(r"^Book ")
    )
    expect(ana_first.first).to_have_text(re.compile(rf"^{re.escape(expected)}"))
    ana_first.first.click()
    expect(ana_page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    ana_page.get_by_label("Find the patient: name, date of birth, phone or MRN").press_sequentially("Brennan", delay=30)
    expect(ana_page.locator("#booking-patient-results").get_by_role("status")).to_have_text("1 patient found.")
    choose_tom = ana_page.get_by_role("list", name="Matching patients").get_by_role(
        "link", name=re.compile(r"^Choose Brennan, Tom\b")
    )
    expect(choose_tom).to_have_count(1)
    choose_tom.click()
    expect(ana_page.get_by_role("region", name="Patient")).to_contain_text("Brennan, Tom")
    expect(ana_page.get_by_label(labelled("Time"))).to_have_value(f"{slot_start:%H:%M}")
    camera_ana.shoot("booking-form-for-tom")

    # --- 3. Luis books first ------------------------------------------------------------------------
    page.locator("main").get_by_role("button", name="Book", exact=True).click()
    booked = Appointment.objects.get(patient=grace)
    expect(page).to_have_url(re.compile(rf"/scheduling/appointments/{booked.public_id}/$"))
    expect(page.locator("main")).to_contain_text("Booked New patient visit for Whitaker, Grace.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Whitaker, Grace")
    assert (booked.provider, booked.location, booked.appointment_type) == (provider, clinic, new_visit)
    assert (booked.starts_at, booked.status, booked.reason) == (slot_start, AppointmentStatus.SCHEDULED, "New patient")
    camera.shoot("booked")

    # --- 4. Ana presses Book on the same slot: refused beside the time, nothing booked --------------
    with ana_page.expect_response(lambda r: r.request.method == "POST" and "/scheduling/book/" in r.url) as posted:
        ana_page.locator("main").get_by_role("button", name="Book", exact=True).click()
    assert posted.value.status == 409
    expect(ana_page.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    time_field = ana_page.get_by_label(labelled("Time"))
    expect(time_field).to_have_attribute("aria-invalid", "true")
    error = ana_page.locator("#id_time_error")
    expect(error).to_have_text(re.compile(rf"^{re.escape(str(provider))} already has an appointment then \("))
    expect(error).to_have_class(re.compile(r"\bfield-error\b"))
    described_by = (time_field.get_attribute("aria-describedby") or "").split()
    assert "id_time_error" in described_by, described_by
    expect(ana_page.get_by_role("region", name="Patient")).to_contain_text("Brennan, Tom")
    assert not Appointment.objects.filter(patient=tom).exists()
    assert Appointment.objects.filter(starts_at=slot_start.astimezone(ZoneInfo("UTC"))).count() == 1
    camera_ana.shoot("conflict")

    # --- 5. Ana keeps the flow board open: Grace is on it, not yet arrived ---------------------------
    ana_page.get_by_role("navigation", name="Main").get_by_role("link", name="Flow board").click()
    expect(ana_page.get_by_role("heading", level=1)).to_have_text("Flow board · Riverside Clinic")
    grace_row = ana_page.get_by_role("row").filter(has=ana_page.get_by_role("link", name="Whitaker, Grace"))
    expect(grace_row).to_contain_text("Scheduled")
    expect(grace_row).to_contain_text("New patient visit")
    expect(ana_page.get_by_role("row").filter(has_text="Lopez, Maria")).to_contain_text("Scheduled")
    camera_ana.shoot("flow-board-before")
    ana_page.evaluate("window.__stillTheSamePage = 1")
    refreshes: list[str] = []
    ana_page.on("request", lambda r: refreshes.append(r.url) if "/scheduling/flow/board/" in r.url else None)
    navigations: list[str] = []
    ana_page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # --- 6. Grace arrives: Luis checks her in from today's schedule ----------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule · Riverside Clinic")
    expect(page.get_by_role("heading", level=2)).to_have_text(weekday_date_text(today))
    column = page.get_by_role("region", name=str(provider))
    expect(column.get_by_role("link", name=f"{clock_text(maria_starts)} Lopez, Maria")).to_be_visible()
    grace_block = column.get_by_role("link", name=f"{clock_text(slot_start)} Whitaker, Grace")
    expect(grace_block).to_be_visible()
    camera.shoot("day-view")
    grace_block.click()

    expect(page).to_have_url(re.compile(rf"/scheduling/flow/{booked.public_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Whitaker, Grace")
    camera.shoot("appointment-flow")
    page.locator("main").get_by_role("link", name="Check in", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/scheduling/flow/{booked.public_id}/check-in/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check in: Whitaker, Grace")
    expect(page.get_by_role("region", name="Ask the patient to confirm")).to_contain_text("06/02/1988")
    page.get_by_label("Name, date of birth, address, phone and insurance checked with the patient").check()
    camera.shoot("check-in")
    page.locator("main").get_by_role("button", name="Check in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/scheduling/flow/\?location="))
    expect(page.locator("main")).to_contain_text("Whitaker, Grace is checked in.")
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.ARRIVED and booked.arrived_at is not None
    change = booked.changes.get(what="status", new_value=AppointmentStatus.ARRIVED)
    assert (change.by, change.note) == (luis, "Demographics verified.")
    camera.shoot("flow-board-after-check-in")

    # --- 7. Ana's board shows Grace arrived within a refresh, without reloading the page -------------
    refresh = flow_refresh_seconds()
    expect(grace_row).to_contain_text("Arrived", timeout=(2 * refresh + 5) * 1000)
    assert ana_page.evaluate("window.__stillTheSamePage") == 1, "the flow board was reloaded"
    assert navigations == [], f"the flow board navigated: {navigations}"
    assert refreshes, "the board changed without asking the server for its fragment"
    expect(grace_row.get_by_role("link", name="Check in")).to_have_count(0)
    expect(ana_page.get_by_role("row").filter(has_text="Lopez, Maria")).to_contain_text("Scheduled")
    camera_ana.shoot("flow-board-arrived")
    assert ana_page.evaluate("window.__stillTheSamePage") == 1

    assert Location.objects.count() == 1
    assert sorted(Appointment.objects.values_list("patient__last_name", "status")) == [
        ("Lopez", AppointmentStatus.SCHEDULED),
        ("Whitaker", AppointmentStatus.ARRIVED),
    ]
