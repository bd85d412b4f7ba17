"""Every date and number an HTML form takes has a plausible range (core.ranges, core.forms).

Table-driven: each row is a page with a form, who may send it, and one of its date or number
fields. The field gets the extremes — year 0001, 9999-12-31, 1e308, -1e308, NaN, Infinity,
10**30 — and the page must answer with the form again (never 5xx), with a message beside the
field that names the allowed range in words, and write nothing. Afterwards the pages of the
patient, the encounter and the schedule still answer 200.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.apps import apps

from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Role
from conftest import sign_in

BAD_DATES = ["0001-01-01", "9999-12-31", "1899-12-31"]
BAD_NUMBERS = ["1e308", "-1e308", "NaN", "Infinity", "-Infinity", str(10**30), str(-(10**30))]
RANGE_WORDS = re.compile(r"\b(between|from)\b[^<]+\b(and|to)\b|\d[\d.]*–\d")
# Every table the forms below could write to: none may gain a row from a refused form.
WRITTEN = [
    "patients.Patient", "patients.Coverage", "patients.Consent", "patients.NppAcknowledgment",
    "patients.Restriction", "patients.Guarantor", "clinical.Encounter", "clinical.Vitals",
    "clinical.Problem", "clinical.Medication", "clinical.AmendmentRequest", "clinical.Recall",
    "scheduling.Appointment", "scheduling.AppointmentType", "scheduling.AvailabilityTemplate",
    "scheduling.AvailabilityException", "scheduling.HolidayOverride", "scheduling.AppointmentSeries",
    "scheduling.WaitlistEntry", "accounts.ApiToken",
]  # fmt: skip


@dataclass
class Row:
    page: str  # a URL, with {mrn}, {encounter}, {provider}, {location}
    role: str
    name: str  # the field as the form posts it
    kind: str  # "date" or "number"
    method: str = "post"
    extra: dict = field(default_factory=dict)  # other fields the page needs to take the form at all


ROWS = [
    Row("/patients/new/", Role.FRONT_DESK, "date_of_birth", "date"),
    Row("/patients/{mrn}/edit/", Role.FRONT_DESK, "deceased_date", "date"),
    Row("/patients/{mrn}/coverages/new/", Role.FRONT_DESK, "effective_date", "date"),
    Row("/patients/{mrn}/coverages/new/", Role.FRONT_DESK, "end_date", "date"),
    Row("/patients/{mrn}/coverages/new/", Role.FRONT_DESK, "subscriber_date_of_birth", "date"),
    Row("/patients/{mrn}/privacy/npp/new/", Role.FRONT_DESK, "acknowledged_on", "date"),
    Row("/patients/{mrn}/privacy/consents/new/", Role.FRONT_DESK, "signed_on", "date"),
    Row("/patients/{mrn}/privacy/consents/new/", Role.FRONT_DESK, "expires_on", "date"),
    Row("/patients/{mrn}/privacy/restrictions/new/", Role.FRONT_DESK, "requested_on", "date"),
    Row("/patients/{mrn}/guarantor/", Role.FRONT_DESK, "date_of_birth", "date", extra={"kind": "other"}),
    Row("/clinical/today/unscheduled/", Role.NURSE, "date_of_service", "date"),
    Row("/clinical/encounters/{encounter}/vitals/", Role.NURSE, "temperature", "number"),
    Row("/clinical/encounters/{encounter}/vitals/", Role.NURSE, "pulse", "number"),
    Row("/clinical/encounters/{encounter}/vitals/", Role.NURSE, "weight", "number"),
    Row("/clinical/patients/{mrn}/problems/add/", Role.CLINICIAN, "onset", "date"),
    Row("/clinical/patients/{mrn}/medications/add/", Role.CLINICIAN, "start_date", "date"),
    Row("/clinical/patients/{mrn}/medications/add/", Role.CLINICIAN, "stop_date", "date"),
    Row("/clinical/patients/{mrn}/medications/add/", Role.CLINICIAN, "refills", "number"),
    Row("/clinical/patients/{mrn}/amendments/new/", Role.CLINICIAN, "received_on", "date"),
    Row("/clinical/patients/{mrn}/recalls/new/", Role.CLINICIAN, "due_on", "date"),
    Row("/clinical/recalls/", Role.FRONT_DESK, "due_from", "date", method="get"),
    Row("/scheduling/book/", Role.FRONT_DESK, "date", "date"),
    Row("/scheduling/waitlist/new/", Role.FRONT_DESK, "wait_until", "date"),
    Row("/scheduling/series/new/?{series_query}", Role.FRONT_DESK, "until", "date"),
    Row("/scheduling/series/new/?{series_query}", Role.FRONT_DESK, "count", "number"),
    Row("/scheduling/series/new/?{series_query}", Role.FRONT_DESK, "interval", "number"),
    Row("/scheduling/confirmations/", Role.FRONT_DESK, "start", "date", method="get"),
    Row(
        "/scheduling/setup/slots/",
        Role.FRONT_DESK,
        "start_date",
        "date",
        method="get",
        extra={"appointment_type": "{kind}"},
    ),  # fmt: skip
    Row(
        "/scheduling/setup/slots/",
        Role.FRONT_DESK,
        "limit",
        "number",
        method="get",
        extra={"appointment_type": "{kind}"},
    ),  # fmt: skip
    Row("/scheduling/setup/appointment-types/new/", Role.OFFICE_MANAGER, "duration_minutes", "number"),
    Row("/scheduling/setup/appointment-types/new/", Role.OFFICE_MANAGER, "buffer_after_minutes", "number"),
    Row("/scheduling/setup/providers/{provider}/availability/new/", Role.OFFICE_MANAGER, "valid_from", "date"),
    Row("/audit/", Role.AUDITOR, "date_from", "date", method="get"),
    Row("/me/", Role.FRONT_DESK, "days", "number", extra={"name": "range check"}),
]


@pytest.fixture
def world(office_manager, clinician, front_desk, nurse, auditor):
    clinic = make_clinic(office_manager, clinician, front_desk)
    encounter = make_encounter(clinician, clinic, day=clock.today())
    people = {
        Role.OFFICE_MANAGER: office_manager,
        Role.CLINICIAN: clinician,
        Role.NURSE: nurse,
        Role.FRONT_DESK: front_desk,
        Role.AUDITOR: auditor,
    }
    values = {
        "mrn": clinic.patient.mrn,
        "encounter": str(encounter.public_id),
        "provider": str(clinic.provider.public_id),
        "location": str(clinic.location.public_id),
        "kind": str(clinic.kind.public_id),
        "series_query": urlencode(
            {
                "type": clinic.kind.public_id,
                "provider": clinic.provider.public_id,
                "location": clinic.location.public_id,
                "start": (clock.now() + timedelta(days=7)).replace(microsecond=0).isoformat(),
                "patient": clinic.patient.mrn,
            }
        ),
    }
    return type("World", (), {"clinic": clinic, "encounter": encounter, "people": people, "values": values})


def _counts() -> dict[str, int]:
    return {name: apps.get_model(name).objects.count() for name in WRITTEN}


def _send(client, row: Row, value: str, world):
    url = row.page.replace("{series_query}", world.values["series_query"]).format(**world.values)
    data = {key: text.format(**world.values) for key, text in row.extra.items()} | {row.name: value}
    return client.get(url, data) if row.method == "get" else client.post(url, data)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.page.split('{')[0]}{r.name}" for r in ROWS])
def test_every_form_refuses_extreme_dates_and_numbers_naming_the_range(client, world, row):
    caller = sign_in(client, world.people[row.role])
    before = _counts()
    for value in BAD_DATES if row.kind == "date" else BAD_NUMBERS:
        page = _send(caller, row, value, world)
        assert page.status_code < 500, (row, value)
        assert page.status_code in (200, 409, 422), (row, value, page.status_code)
        text = html.unescape(page.content.decode())
        assert RANGE_WORDS.search(text), (row.page, row.name, value, text[:3000])
    assert _counts() == before


def test_a_year_one_link_opens_the_schedule_pages_instead_of_failing(client, world):
    caller = sign_in(client, world.people[Role.FRONT_DESK])
    for url in (
        "/scheduling/calendar/day/?date=0001-01-01",
        "/scheduling/calendar/week/?date=9999-12-31",
        "/scheduling/calendar/day.pdf?date=0001-01-01",
        f"/scheduling/book/?start=0001-01-01T00:00:00%2B00:00&location={world.values['location']}",
    ):
        assert caller.get(url).status_code == 200, url
    # The series page opened from a link with a year-1 start says the link is wrong (400), no 500.
    query = world.values["series_query"].replace("start=", "start=0001-01-01T00%3A00%3A00%2B00%3A00&was=")
    refused = caller.get(f"/scheduling/series/new/?{query}")
    assert refused.status_code == 400 and "not a date and time" in html.unescape(refused.content.decode())


def test_the_pages_of_the_records_still_answer_after_the_refusals(client, world):
    for row in ROWS[:12]:
        caller = sign_in(client, world.people[row.role])
        _send(caller, row, "0001-01-01" if row.kind == "date" else "1e308", world)
    caller = sign_in(client, world.people[Role.CLINICIAN])
    mrn = world.clinic.patient.mrn
    for url in (
        f"/patients/{mrn}/",
        f"/clinical/patients/{mrn}/chart/",
        f"/clinical/encounters/{world.encounter.public_id}/",
        "/scheduling/calendar/day/",
        f"/scheduling/calendar/day/?date={(clock.today() + timedelta(days=1)).isoformat()}",
    ):
        assert caller.get(url).status_code == 200, url
