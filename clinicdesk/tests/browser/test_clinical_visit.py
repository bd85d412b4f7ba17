"""A clinical visit from vitals to the booked follow-up, clicked through in a real browser.

Jane Doe has checked in for her office visit with Dr. Okafor. Sam, the nurse, opens Today's
visits for Dr. Okafor, opens Jane's encounter, records her vitals and sees them in the history,
starts the note, types the Subjective and the Plan and sees the autosave confirm each, and adds
a follow-up: return in 2 weeks for a BP check. Dr. Okafor opens the same encounter from her own
Today list, adds her Assessment to the draft and signs it. The signed note shows who signed it
and when; it has no boxes to type in and offers an addendum, and an edit posted to the note
anyway (as an old tab would) is refused with 409 and changes nothing. She adds an addendum,
which is shown under the note. Luis, at the front desk, finds the new recall on his worklist,
presses Book, books the prefilled follow-up on the day it is due, and the recall leaves the open
list and is shown as scheduled.

Time of day: the front-desk scheduling test's clinic zone (08:00-16:00 local when the test
starts), so that "today" is one day everywhere while the test runs. The clinic is open and Dr.
Okafor works 07:00-21:00 every day, with no holiday calendar, so the follow-up's due date (a
fortnight from today, any weekday) is bookable.

Three people, three browser contexts (their own cookies and sessions), each checked for script
errors and CSP violations; the camera (and its accessibility check) is the front-desk one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from clinicdesk.clinical.models import Addendum, Recall, RecallStatus, VisitNote
from clinicdesk.clinical.notes import note_verify
from clinicdesk.core import clock as app_clock
from clinicdesk.core.capabilities import Role
from clinicdesk.scheduling.availability import BlockInput, template_version_create
from clinicdesk.scheduling.flow import flow_transition
from clinicdesk.scheduling.models import Appointment, AppointmentStatus, Location
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
from clinicdesk.tests.browser.helpers import CLOSES, OPENS, DesktopCamera, clinic_zone, labelled, sign_in_with_code
from conftest import enrol_totp, make_staff

pytestmark = pytest.mark.browser


OPEN_DISCLOSURES = """() => { for (const d of document.querySelectorAll("details:not([open])")) {
  d.open = true; d.dataset.openedForCamera = "1"; } }"""
# Playwright hides the caret for a screenshot with an inline style on each field and leaves an
# empty style="" behind. htmx copies a swapped element's old style attribute onto its new one
# while settling (attributesToSettle), which the strict CSP reports; so the camera tidies up.
AFTER_THE_SHOT = """() => {
  for (const d of document.querySelectorAll("details[data-opened-for-camera]")) {
    d.open = false; delete d.dataset.openedForCamera; }
  for (const el of document.querySelectorAll("[style='']")) el.removeAttribute("style"); }"""


class Camera(DesktopCamera):
    """The front-desk camera, with the closed disclosures (the vitals' "Mark in error") opened
    for the shot and no trace of the shot left in the page.

    Its accessibility check names a button by innerText, which is empty while the button is in a
    closed <details>; open, the button is checked (and photographed) as a person would find it.
    """

    def shoot(self, name: str) -> None:
        self.page.evaluate(OPEN_DISCLOSURES)
        try:
            super().shoot(name)
        finally:
            self.page.evaluate(AFTER_THE_SHOT)


@pytest.fixture
def browser_for(chromium: Browser, live_app) -> Iterator[Callable[[], Page]]:
    """`browser_for()` opens another browser context (its own cookies), checked like `page`."""
    contexts = []
    broken: list[str] = []

    def _open() -> Page:
        context = chromium.new_context(base_url=live_app.url, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: broken.append(f"script error: {exc}"))
        page.on(
            "console",
            lambda msg: broken.append(f"{page.url}: {msg.text}") if "Content Security Policy" in msg.text else None,
        )
        return page

    yield _open
    for context in contexts:
        context.close()
    assert broken == [], broken


def posted_to(fragment: str) -> Callable:
    """A response predicate: the answer to a POST whose address contains `fragment`."""
    return lambda response: response.request.method == "POST" and fragment in response.url


def test_a_visit_is_documented_signed_amended_and_its_follow_up_booked(browser_for, settings):
    # --- The practice, set up through the services and factories --------------------------------
    now = app_clock.now()
    zone = clinic_zone(now)
    today = now.astimezone(zone).date()
    settings.TIME_ZONE = zone.key  # the practice is the one clinic; the live server shares the settings
    dana = make_staff("dana", Role.OFFICE_MANAGER, display_name="Dana Whitfield")
    sam = make_staff("sam", Role.NURSE, display_name="Sam Patel")
    doctor = make_staff("okafor", Role.CLINICIAN, display_name="Dr. Amara Okafor")
    luis = make_staff("luis", Role.FRONT_DESK, display_name="Luis Moreno")
    secrets = {person.username: enrol_totp(person) for person in (sam, doctor, luis)}

    every_day = [HoursInput(weekday=day, opens=OPENS, closes=CLOSES) for day in range(7)]
    clinic = make_location(dana, name="Riverside Clinic", time_zone=zone.key, opening_hours=every_day)
    Location.objects.filter(pk=clinic.pk).update(holiday_country="ZZ")  # no such calendar: no holidays
    clinic.refresh_from_db()
    exam_1 = make_room(dana, clinic, "Exam 1")
    provider = make_provider(dana, doctor, [clinic])
    office_visit = make_type(dana, [provider], name="Office visit", duration_minutes=30)
    follow_up = make_type(dana, [provider], name="Follow-up", duration_minutes=20, color="#2CA02C")
    template_version_create(
        actor=dana,
        provider=provider,
        location=clinic,
        valid_from=today - timedelta(days=1),
        blocks=[BlockInput(weekday=day, starts=OPENS, ends=CLOSES) for day in range(7)],
    )
    jane = make_patient(luis)
    local_now = now.astimezone(zone).replace(second=0, microsecond=0)
    visit_start = local_now - timedelta(minutes=local_now.minute % 15)  # this quarter hour, already begun
    visit = make_appointment(
        luis,
        patient=jane,
        provider=provider,
        location=clinic,
        kind=office_visit,
        starts_at=visit_start.astimezone(ZoneInfo("UTC")),
        room=exam_1,
        reason="Blood pressure",
    )
    flow_transition(actor=luis, appointment=visit, to=AppointmentStatus.ARRIVED, demographics_verified=True)
    due = today + timedelta(days=14)
    patient_name = jane.display_name

    # --- 1. Sam, the nurse: vitals, the draft note, the follow-up ---------------------------------
    nurse = browser_for()
    camera = Camera(nurse, "clinical-visit-nurse")
    sign_in_with_code(nurse, sam, secrets["sam"])
    nurse.get_by_role("navigation", name="Main").get_by_role("link", name="Today's visits").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Today")
    nurse.get_by_label("Provider").select_option(label=str(provider))
    nurse.locator("main").get_by_role("button", name="Show").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text(f"Today · {provider}")
    row = nurse.get_by_role("row").filter(has_text=patient_name)
    expect(row).to_contain_text("Office visit")
    expect(row).to_contain_text("Arrived")
    expect(row).to_contain_text("Exam 1")
    camera.shoot("today")
    row.get_by_role("button", name=f"Open encounter for {patient_name}").click()

    expect(nurse).to_have_url(re.compile(r"/clinical/encounters/[0-9a-f-]{36}/$"))
    encounter_url = nurse.url
    expect(nurse.get_by_role("heading", level=1)).to_have_text(patient_name)
    expect(nurse.locator("main")).to_contain_text("Blood pressure")
    vitals = nurse.locator("#vitals")
    expect(vitals).to_contain_text("No vitals recorded for this patient yet.")
    vitals.get_by_label("Systolic (mmHg)").fill("138")
    vitals.get_by_label("Diastolic (mmHg)").fill("86")
    vitals.get_by_label("Pulse (/min)").fill("72")
    vitals.get_by_label("Weight", exact=True).fill("180")
    vitals.get_by_label("lb", exact=True).check()
    expect(vitals.locator("output[for=id_weight]")).to_have_text(re.compile(r"^= 81\.6\d? kg$"))
    with nurse.expect_response(posted_to("/vitals/")) as recorded:
        vitals.get_by_role("button", name="Record vitals").click()
    assert recorded.value.status == 200
    vitals = nurse.locator("#vitals")  # swapped in by htmx
    expect(vitals.locator("p[role=status]")).to_have_text("Vitals recorded.")
    history = vitals.get_by_role("region", name="History").get_by_role("table")
    taken = history.get_by_role("row").filter(has_text="this visit")
    expect(taken).to_have_count(1)
    expect(taken).to_contain_text("138/86")
    expect(taken.get_by_role("cell").nth(2)).to_have_text("72")
    # Shown as typed, with the metric value beside it (docs/clinical-encounters.md): 180 lb stays 180 lb.
    expect(taken).to_contain_text(re.compile(r"180 lb \(81\.6 kg\)"))
    expect(taken).to_contain_text("Sam Patel")
    expect(vitals.get_by_label("Systolic (mmHg)")).to_have_value("")  # a fresh form for the next reading

    note = nurse.locator("#note")
    expect(note).to_contain_text("No note has been started for this visit yet.")
    camera.shoot("vitals")
    note.get_by_role("button", name="Start the note").click()
    expect(nurse).to_have_url(re.compile(r"/note/$"))
    expect(nurse.get_by_role("heading", level=1)).to_contain_text("Visit note")
    status = nurse.locator("#note-save-status")
    nurse.get_by_label("Subjective").fill("Home BP readings around 140/90. No headache, no chest pain.")
    with nurse.expect_response(posted_to("/note/draft/")):
        nurse.get_by_label("Objective").focus()  # leaving a box saves it
    expect(status).to_contain_text(re.compile(r"Saved \d{1,2}:\d{2}:\d{2} [AP]M"))
    expect(nurse.locator("#note-version")).to_have_value("2")
    nurse.get_by_label("Plan").fill("Recheck BP in 2 weeks. Low-salt diet.")
    with nurse.expect_response(posted_to("/note/draft/")):
        nurse.get_by_label("Assessment").focus()
    expect(nurse.locator("#note-version")).to_have_value("3")
    expect(status).to_contain_text(re.compile(r"Saved \d{1,2}:\d{2}:\d{2} [AP]M"))
    expect(nurse.get_by_role("button", name="Sign the note")).to_have_count(0)  # only the provider signs
    camera.shoot("draft-saved")

    # Back to the encounter by Today, which now offers to continue it.
    nurse.get_by_role("navigation", name="Main").get_by_role("link", name="Today's visits").click()
    nurse.get_by_label("Provider").select_option(label=str(provider))
    nurse.locator("main").get_by_role("button", name="Show").click()
    nurse.get_by_role("link", name=f"Continue encounter of {patient_name}").click()
    expect(nurse).to_have_url(encounter_url)
    expect(nurse.locator("#note").get_by_label("Plan")).to_have_value("Recheck BP in 2 weeks. Low-salt diet.")
    follow = nurse.get_by_role("region", name="Follow-up")
    follow.get_by_label(labelled("Return in")).fill("2 weeks")
    follow.get_by_label(labelled("For")).fill("BP check")
    follow.get_by_label(labelled("Visit type to book")).select_option(label="Follow-up")
    expect(follow.get_by_label(labelled("With provider"))).to_have_value(str(provider.public_id))
    with nurse.expect_response(posted_to("/recalls/new/")) as added:
        follow.get_by_role("button", name="Add follow-up").click()
    assert added.value.status == 201
    expect(follow.get_by_label(labelled("Return in"))).to_have_value("")  # the form is ready for another
    # The confirmation is read out from the section's live region, and the visit lists the follow-up.
    added_text = f"Follow-up added: BP check, Follow-up due {due:%m/%d/%Y}."
    expect(follow.get_by_role("status")).to_have_text(added_text)
    expect(follow.locator("#follow-up-list tbody tr")).to_have_count(1)
    expect(follow.locator("#follow-up-list tbody tr")).to_contain_text("Not booked")
    camera.shoot("follow-up-added")
    nurse.reload()
    expect(follow.locator("#follow-up-list tbody tr")).to_contain_text(f"BP check Follow-up {provider} {due:%m/%d/%Y}")

    # --- 2. Dr. Okafor: the Assessment, signing, the refusal, the addendum ------------------------
    clinician = browser_for()
    camera = Camera(clinician, "clinical-visit-clinician")
    sign_in_with_code(clinician, doctor, secrets["okafor"])
    clinician.get_by_role("navigation", name="Main").get_by_role("link", name="Today's visits").click()
    expect(clinician.get_by_role("heading", level=1)).to_have_text(f"Today · {provider}")  # her own list
    clinician.get_by_role("link", name=f"Continue encounter of {patient_name}").click()
    expect(clinician).to_have_url(encounter_url)
    draft = clinician.locator("#note")
    expect(draft.get_by_label("Subjective")).to_have_value(re.compile(r"^Home BP readings around 140/90\."))
    expect(draft).to_contain_text("Last saved")
    expect(clinician.locator("#vitals")).to_contain_text("138/86")
    draft.get_by_label("Assessment").fill("Elevated blood pressure without diagnosis of hypertension.")
    with clinician.expect_response(posted_to("/note/draft/")):
        draft.get_by_label("Plan").focus()
    expect(draft.locator("#note-save-status")).to_contain_text(re.compile(r"Saved \d{1,2}:\d{2}:\d{2} [AP]M"))
    camera.shoot("draft-edited")
    draft.get_by_role("button", name="Sign the note").click()

    expect(clinician).to_have_url(re.compile(r"/note/$"))
    note_url = clinician.url
    expect(clinician.locator("main .messages")).to_contain_text(
        re.compile(r"Note signed \d\d/\d\d/\d{4} \d{1,2}:\d{2} [AP]M\.")
    )
    signature = clinician.locator(".note-signature")
    expect(signature).to_contain_text(
        re.compile(rf"Signed by Dr\. Amara Okafor on {today:%m/%d/%Y} \d{{1,2}}:\d{{2}} [AP]M\.")
    )
    expect(signature).to_contain_text("Drafted by Sam Patel.")
    expect(signature.get_by_text("Signature verified")).to_be_visible()
    signed_text = clinician.locator(".note-signed")
    expect(signed_text).to_contain_text("Elevated blood pressure without diagnosis of hypertension.")
    expect(signed_text).to_contain_text("Recheck BP in 2 weeks. Low-salt diet.")
    # She wants to change it: nothing on the signed note can be typed into; an addendum is offered.
    expect(clinician.locator("main").get_by_role("textbox")).to_have_count(0)
    expect(clinician.get_by_role("button", name="Sign the note")).to_have_count(0)
    expect(clinician.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(clinician.get_by_role("link", name="Add an addendum")).to_be_visible()
    camera.shoot("signed")

    # An edit sent anyway (an old tab, a crafted request) is refused and changes nothing.
    token = clinician.locator("header input[name=csrfmiddlewaretoken]").input_value()
    refused = clinician.request.post(
        f"{note_url}draft/",
        form={
            "version": "4",
            "subjective": "Changed after signing.",
            "objective": "",
            "assessment": "Hypertension.",
            "plan": "Start lisinopril.",
        },
        headers={"X-CSRFToken": token, "Referer": note_url},
    )
    assert refused.status == 409, refused.status
    assert "This note was signed by Dr. Amara Okafor on" in refused.text()
    assert "Add an addendum instead" in refused.text()
    clinician.reload()
    expect(signed_text).to_contain_text("Elevated blood pressure without diagnosis of hypertension.")
    expect(signed_text).not_to_contain_text("lisinopril")
    expect(signature.get_by_text("Signature verified")).to_be_visible()

    clinician.get_by_role("link", name="Add an addendum").click()
    expect(clinician.get_by_role("heading", level=1)).to_have_text("Add an addendum")
    clinician.get_by_label(labelled("Addendum")).fill("Patient reports she forgot her morning dose of ibuprofen.")
    camera.shoot("addendum-form")
    clinician.get_by_role("button", name="Sign and add the addendum").click()
    expect(clinician).to_have_url(re.compile(r"/note/#addenda$"))
    addenda = clinician.get_by_role("region", name="Addenda")
    expect(addenda).to_contain_text("Patient reports she forgot her morning dose of ibuprofen.")
    expect(addenda).to_contain_text(re.compile(rf"Addendum by Dr\. Amara Okafor, {today:%m/%d/%Y} "))
    expect(clinician.locator("main .messages")).to_contain_text("Addendum added and signed.")
    camera.shoot("addendum-added")

    # --- 3. Luis, at the front desk: the recall on the worklist, booked ---------------------------
    desk = browser_for()
    camera = Camera(desk, "clinical-visit-front-desk")
    sign_in_with_code(desk, luis, secrets["luis"])
    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Recalls").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text("Recalls")
    expect(desk.get_by_role("heading", level=2)).to_have_text("1 recall")
    recall_row = desk.get_by_role("row").filter(has_text=patient_name)
    expect(recall_row).to_have_count(1)
    expect(recall_row.get_by_role("cell").nth(0)).to_have_text(f"{due:%m/%d/%Y}")
    expect(recall_row.get_by_role("cell").nth(3)).to_have_text("BP check")
    expect(recall_row.get_by_role("cell").nth(4)).to_have_text("Follow-up")
    expect(recall_row.get_by_role("cell").nth(5)).to_have_text(str(provider))
    expect(recall_row.get_by_role("cell").nth(6)).to_have_text("Due")
    camera.shoot("worklist")
    recall_row.get_by_role("link", name=f"Book Follow-up for {patient_name}").click()

    expect(desk).to_have_url(re.compile(r"/scheduling/book/\?"))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Book an appointment")
    expect(desk.get_by_role("region", name="Slot")).to_contain_text(f"{provider} at Riverside Clinic")
    expect(desk.get_by_role("region", name="Patient")).to_contain_text(patient_name)
    expect(desk.get_by_label(labelled("Appointment type"))).to_have_value(str(follow_up.public_id))
    desk.get_by_label(labelled("Date")).fill(due.isoformat())
    desk.get_by_label(labelled("Time")).fill("10:00")
    camera.shoot("booking-form")
    desk.locator("main").get_by_role("button", name="Book", exact=True).click()
    expect(desk.locator("main .messages")).to_contain_text(f"Booked Follow-up for {patient_name}.")
    expect(desk.get_by_role("heading", level=1)).to_contain_text(patient_name)

    desk.get_by_role("navigation", name="Main").get_by_role("link", name="Recalls").click()
    expect(desk.get_by_role("heading", level=2)).to_have_text("0 recalls")
    expect(desk.get_by_role("row").filter(has_text=patient_name)).to_have_count(0)
    desk.get_by_label(labelled("Show")).select_option(label="Scheduled")
    desk.locator("main").get_by_role("button", name="Show", exact=True).click()
    expect(desk.get_by_role("heading", level=2)).to_have_text("1 recall")
    scheduled_row = desk.get_by_role("row").filter(has_text=patient_name)
    expect(scheduled_row.get_by_role("cell").nth(6)).to_have_text(re.compile(rf"^Scheduled\s*{due:%m/%d/%Y}$"))
    expect(scheduled_row.get_by_role("link", name=re.compile(r"^Book"))).to_have_count(0)
    camera.shoot("worklist-scheduled")

    # --- What was stored ---------------------------------------------------------------------------
    booked = Appointment.objects.get(patient=jane, appointment_type=follow_up)
    assert (booked.provider, booked.location, timezone.localtime(booked.starts_at, zone).date()) == (
        provider,
        clinic,
        due,
    )
    recall = Recall.objects.get(patient=jane)
    assert (recall.status, recall.appointment, recall.due_on, recall.reason) == (
        RecallStatus.SCHEDULED,
        booked,
        due,
        "BP check",
    )
    signed = VisitNote.objects.select_related("encounter", "signed_by").get(encounter__appointment=visit)
    assert signed.is_signed and signed.signed_by == doctor and note_verify(signed)
    assert signed.assessment == "Elevated blood pressure without diagnosis of hypertension."
    assert "lisinopril" not in signed.plan
    assert list(Addendum.objects.filter(note=signed).values_list("text", flat=True)) == [
        "Patient reports she forgot her morning dose of ibuprofen."
    ]
