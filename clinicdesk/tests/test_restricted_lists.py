"""A restricted patient in a list shows as initials, without details, to anyone without a grant.

One practice holds two patients, each with a visit today (checked in, an encounter and a note
to sign), a visit tomorrow (unconfirmed), a recall and a waitlist entry: an ordinary one (Ottilie
Brackwater, here for a "Knee pain recheck") and a restricted one (Zebulon Quixwright, born
07/23/1961, phone 202-555-0187, here for a "Xanthelasma review"). Every list page, the printed day
sheet, the API's lists and the detailed calendar feed are read as every role. Nothing of the
restricted patient's name, birth date, phone or visit reason may appear in any of them; the
ordinary patient's name shows that the page does list patients. With an emergency-access grant
the same pages show the restricted patient's name wherever they show the ordinary one's, and
the reason wherever they show the ordinary one's reason.

A feed has no viewer to hold a grant: it keeps the initials and leaves out the reason, always.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.urls import reverse
from icalendar import Calendar

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.clinical.encounters import encounter_open
from clinicdesk.clinical.notes import note_start
from clinicdesk.clinical.recalls import recall_create
from clinicdesk.patients.services import PatientInput, patient_register
from clinicdesk.scheduling.feeds import feed_create
from clinicdesk.scheduling.models import AppointmentStatus
from clinicdesk.scheduling.tests.factories import make_appointment, make_practice
from clinicdesk.scheduling.waitlist import WaitlistInput, waitlist_add

NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York
TODAY, TOMORROW = date(2030, 3, 4), date(2030, 3, 5)
ROLES = ("front_desk", "nurse", "clinician", "office_manager", "biller", "auditor")

# What must never show of the restricted patient without a grant. The birth date is looked for
# as a date, in each way it is written: a bare "1961" also turns up by chance in random ids.
SECRETS = ("Quixwright", "Zebulon", "Xanthelasma", "07/23/1961", "7/23/1961", "1961-07-23", "Jul 23, 1961",
           "555-0187", "5550187")  # fmt: skip
NAME, REASON = "Quixwright", "Xanthelasma"
CONTROL_NAME, CONTROL_REASON = "Brackwater", "Knee pain recheck"


def _patient(actor, first: str, last: str, born: date, phone: str):
    values = {"first_name": first, "last_name": last, "date_of_birth": born, "sex_at_birth": "M"}
    return patient_register(actor=actor, data=PatientInput(values=values, phones={"mobile": phone}))


def _seed(clock, office_manager, front_desk, clinician, nurse) -> SimpleNamespace:
    clock.set(NOW - timedelta(hours=2))
    practice = make_practice(office_manager, clinician)
    control = _patient(front_desk, "Ottilie", "Brackwater", date(1975, 5, 2), "(202) 555-0142")
    hidden = _patient(front_desk, "Zebulon", "Quixwright", date(1961, 7, 23), "(202) 555-0187")
    for minutes, patient, reason in ((0, control, CONTROL_REASON), (30, hidden, "Xanthelasma review")):
        start = datetime(2030, 3, 4, 14, minutes, tzinfo=UTC)
        visit = make_appointment(
            front_desk, patient=patient, provider=practice.provider, location=practice.location, kind=practice.kind,
            starts_at=start, reason=reason, status=AppointmentStatus.ARRIVED, arrived_at=start - timedelta(minutes=5),
        )  # fmt: skip
        make_appointment(
            front_desk, patient=patient, provider=practice.provider, location=practice.location, kind=practice.kind,
            starts_at=start + timedelta(days=1), reason=reason,
        )  # fmt: skip
        clock.set(NOW - timedelta(minutes=30))
        encounter = encounter_open(actor=nurse, appointment=visit)
        note_start(actor=clinician, encounter=encounter)
        recall_create(actor=clinician, patient=patient, appointment_type=practice.kind, reason=reason,
                      due_on=TODAY + timedelta(days=20), provider=practice.provider)  # fmt: skip
        waitlist_add(actor=front_desk, data=WaitlistInput(patient=patient, appointment_type=practice.kind,
                                                          wait_until=TODAY + timedelta(days=40), note=reason))  # fmt: skip
    _, token = feed_create(actor=office_manager, provider=practice.provider, include_details=True)
    record_restrict(actor=office_manager, patient_id=hidden.mrn, note="Staff member's own chart")
    clock.set(NOW)
    return SimpleNamespace(practice=practice, hidden=hidden, control=control, feed_token=token)


def _lists(seed: SimpleNamespace) -> list[tuple[str, str]]:
    """(what, url) of every list that shows patients: pages, the printed day, the API's lists."""
    location, provider = seed.practice.location.public_id, seed.practice.provider.public_id
    at = f"location={location}"
    return [
        ("home page", "/"),
        ("day calendar", f"{reverse('scheduling_flow:day')}?{at}&date={TODAY}"),
        ("week calendar", f"{reverse('scheduling_flow:week')}?{at}&provider={provider}&date={TODAY}"),
        ("printed day sheet", f"{reverse('scheduling_flow:day_pdf')}?{at}&date={TODAY}"),
        ("flow board", f"{reverse('scheduling_flow:board')}?{at}"),
        ("flow board refresh", f"{reverse('scheduling_flow:board_fragment')}?{at}"),
        ("confirmations", f"{reverse('scheduling:confirmations')}?{at}&start={TOMORROW}&end={TOMORROW}"),
        ("waitlist", reverse("scheduling:waitlist")),
        ("today's patients", f"{reverse('clinical:today')}?provider={provider}"),
        ("vitals to take", f"{reverse('clinical:vitals_due')}?{at}"),
        ("notes to sign", reverse("clinical:note_worklist")),
        ("recalls", reverse("clinical:recalls")),
        ("API flow board", f"/api/v1/scheduling/flow-board?{at}"),
        ("API day schedule", f"/api/v1/scheduling/day-schedule?{at}&date={TODAY}"),
        ("API confirmations", f"/api/v1/scheduling/confirmations?{at}&start={TOMORROW}&end={TOMORROW}"),
        ("API waitlist", "/api/v1/scheduling/waitlist"),
        ("API recalls", "/api/v1/clinical/recalls"),
    ]


def _searches(seed: SimpleNamespace) -> list[tuple[str, str]]:
    """Patient searches that find the restricted patient by the start of the surname."""
    return [
        ("patient search", f"{reverse('patient_search:search')}?q=quixwr"),
        ("booking page search", f"{reverse('scheduling:book')}?patient_q=quixwr"),
        ("API patient search", "/api/v1/patients/search?q=quixwr"),
    ]


def _text(response, pdf_text) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        return pdf_text(response.content)
    return response.content.decode()


def _read(client, url: str, pdf_text) -> str | None:
    """The page's text, or None when the role may not read it (403/404, or sent elsewhere)."""
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)
    return _text(response, pdf_text) if response.status_code == 200 else None


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_a_restricted_patient_by_initials_until_the_viewer_holds_a_grant(
    request, role, clock, as_user, pdf_text, office_manager, front_desk, clinician, nurse
):
    seed = _seed(clock, office_manager, front_desk, clinician, nurse)
    viewer = request.getfixturevalue(role)
    client = as_user(viewer)
    pages = _lists(seed) + _searches(seed)
    shown: dict[str, str] = {}
    for what, url in pages:
        text = _read(client, url, pdf_text)
        if text is None:
            continue
        shown[what] = text
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"{what} shows {leaked} of a restricted record to the {role} without a grant"
    # The walk read something: every role but those who see no schedule reads lists of patients.
    listing = [what for what, text in shown.items() if CONTROL_NAME in text]
    if role not in ("biller", "auditor"):
        assert listing, f"no list showed the {role} any patient"
    for what, _ in _searches(seed):
        if what in shown:
            assert seed.hidden.mrn in shown[what] and "Z. Q." in shown[what], f"{what} lost the masked hit"

    emergency_access_grant(actor=viewer, patient_id=seed.hidden.mrn, reason="Patient collapsed in the waiting room")
    for what, url in pages:
        if what not in shown:
            continue
        text = _read(client, url, pdf_text)
        assert text is not None, f"{what} refused the {role} once the grant was held"
        if CONTROL_NAME in text or what in dict(_searches(seed)):
            assert NAME in text, f"{what} still hides the name from the {role} holding a grant"
        if CONTROL_REASON in text:
            assert REASON in text, f"{what} still hides the reason from the {role} holding a grant"


def test_a_detailed_feed_shows_a_restricted_patient_by_initials_without_the_reason_even_to_a_grant_holder(
    clock, client, office_manager, front_desk, clinician, nurse
):
    seed = _seed(clock, office_manager, front_desk, clinician, nurse)
    emergency_access_grant(actor=clinician, patient_id=seed.hidden.mrn, reason="Covering the clinic this evening")
    response = client.get(reverse("scheduling:calendar_feed", args=[seed.feed_token]))
    assert response.status_code == 200
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    summaries = [str(e["summary"]) for e in events]
    descriptions = [str(e.get("description", "")) for e in events]
    assert summaries.count("Follow-up – Ottilie Brackwater") == 2
    assert descriptions.count(CONTROL_REASON) == 2
    assert summaries.count("Follow-up – Z. Q.") == 2
    text = response.content.decode()
    assert not [secret for secret in SECRETS if secret in text]
