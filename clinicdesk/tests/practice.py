"""A small practice with one of every kind of record a route takes, for the route walk.

One clinic, one provider, one person per role, and two patients with the same records: Jane
(an ordinary chart) and Rex (a restricted one). Each patient has a visit today that was checked
in, an encounter with vitals, a signed note and an addendum, a problem, a medication with its
prescription, an allergy, a follow-up, a waitlist entry with a slot offered, a coverage, a
consent, a requested restriction, an amendment request and a disclosure. Beside them: a payer,
a weekly series, an availability version and exception, a calendar feed, a patient import, an
emergency-access grant waiting for review and every staff member's own API token.

Everything is written through the services, as the people who do it in the office, with the
clock set to a Wednesday morning in March; the walk itself runs at `WALK_AT`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from clinicdesk.accounts.models import User
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Role
from conftest import api_token_for, make_staff

# Wednesday 4 March 2026 in New York (EST, UTC-5): the clinic opens at 08:00.
SEEDED_AT = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)  # 08:00 local: both visits still ahead
ARRIVED_AT = datetime(2026, 3, 4, 14, 5, tzinfo=UTC)  # 09:05 local: the first patient checks in
WALK_AT = datetime(2026, 3, 4, 15, 30, tzinfo=UTC)  # 10:30 local: the walk looks at the day
HOLIDAY = date(2026, 5, 25)  # Memorial Day: a holiday the location may open on

ROLE_USERNAMES = {
    Role.OFFICE_MANAGER: "walk_manager",
    Role.FRONT_DESK: "walk_desk",
    Role.CLINICIAN: "walk_doctor",
    Role.NURSE: "walk_nurse",
    Role.BILLER: "walk_biller",
    Role.AUDITOR: "walk_auditor",
    Role.ADMIN: "walk_admin",
    "": "walk_norole",
}

IMPORT_CSV = "id,first,last,dob,sex,mobile\nA1,Ann,Lee,1990-01-02,F,(518) 555-0101\nA2,Bob,Ray,1985-02-30,M,\n"


@dataclass
class PatientRecords:
    """One patient and one of each record of theirs that a route names."""

    patient: Any
    appointment: Any
    encounter: Any
    vitals: Any
    note: Any
    amendment: Any
    problem: Any
    medication: Any
    prescription: Any
    allergy: Any
    recall: Any
    waitlist_entry: Any
    offer: Any
    coverage: Any
    consent: Any
    restriction: Any
    disclosure: Any
    series_visit: Any


@dataclass
class SeededPractice:
    people: dict[str, User]  # role ("" for no role) -> that person
    tokens: dict[str, Any]  # role -> that person's own API token (ApiToken)
    staff_member: User  # someone the staff pages manage
    location: Any
    room: Any
    provider: Any
    kind: Any
    template: Any
    exception: Any
    payer: Any
    feed: Any
    feed_token: str
    import_job: Any
    grant: Any
    jane: PatientRecords
    rex: PatientRecords  # restricted
    extra: dict[str, Any] = field(default_factory=dict)


def _codes() -> None:
    from clinicdesk.codes.services import icd10_load
    from clinicdesk.codes.sources import CodeEntry

    icd10_load(
        entries=[
            CodeEntry("I10", "Essential (primary) hypertension", True, "", 9),
            CodeEntry("R05", "Cough", False, "", 18),
            CodeEntry("R05.9", "Cough, unspecified", True, "R05", 18),
        ],
        release="2026",
    )


def _setup(manager: User, doctor: User) -> SimpleNamespace:
    from clinicdesk.scheduling.availability import exception_add
    from clinicdesk.scheduling.setup import HoursInput
    from clinicdesk.scheduling.tests.factories import (
        make_location,
        make_provider,
        make_room,
        make_template,
        make_type,
    )

    hours = [HoursInput(weekday=day, opens=time(8), closes=time(17)) for day in range(5)]
    location = make_location(manager, opening_hours=hours)
    room = make_room(manager, location, "Exam 1")
    provider = make_provider(manager, doctor, [location])
    kind = make_type(manager, [provider])
    template = make_template(manager, provider, location, date(2026, 1, 1), [(d, "08:00", "17:00") for d in range(5)])
    exception = exception_add(
        actor=manager,
        kind="blocked",
        starts_at=datetime(2026, 3, 20, 17, 0, tzinfo=UTC),
        ends_at=datetime(2026, 3, 20, 18, 0, tzinfo=UTC),
        reason="Staff meeting",
        provider=provider,
    )
    return SimpleNamespace(location=location, room=room, provider=provider, kind=kind, template=template,
                           exception=exception)  # fmt: skip


def _patient(desk: User, first: str, last: str) -> Any:
    from clinicdesk.scheduling.tests.factories import make_patient

    return make_patient(desk, first, last)


def _records(people: dict[str, User], setup: SimpleNamespace, payer: Any, patient: Any, hour: int) -> PatientRecords:
    """Every record of one patient; their visit today starts at `hour`:00 local (EST)."""
    from clinicdesk.clinical.allergies import allergy_add
    from clinicdesk.clinical.amendments import amendment_request_record
    from clinicdesk.clinical.encounters import encounter_open
    from clinicdesk.clinical.medications import MedicationInput, medication_add, prescription_write
    from clinicdesk.clinical.notes import addendum_add, note_save_draft, note_sign, note_start
    from clinicdesk.clinical.problems import problem_add
    from clinicdesk.clinical.recalls import recall_create
    from clinicdesk.clinical.vitals import VitalsInput, vitals_record
    from clinicdesk.patients.coverage import CoverageInput, coverage_add
    from clinicdesk.patients.disclosures import DisclosureInput, disclosure_record
    from clinicdesk.patients.paperwork import ConsentInput, RestrictionInput, consent_record, restriction_request
    from clinicdesk.scheduling.booking import BookingInput, appointment_book
    from clinicdesk.scheduling.flow import flow_transition
    from clinicdesk.scheduling.series import series_book
    from clinicdesk.scheduling.waitlist import WaitlistInput, offer_slot, waitlist_add

    manager, desk = people[Role.OFFICE_MANAGER], people[Role.FRONT_DESK]
    doctor, nurse = people[Role.CLINICIAN], people[Role.NURSE]
    today = date(2026, 3, 4)
    visit_at = datetime(2026, 3, 4, hour + 5, 0, tzinfo=UTC)

    def booking(starts_at: datetime) -> BookingInput:
        return BookingInput(patient=patient, provider=setup.provider, location=setup.location,
                            appointment_type=setup.kind, starts_at=starts_at, reason="Follow-up")  # fmt: skip

    clock.install(clock.FrozenClock(SEEDED_AT))
    appointment = appointment_book(actor=desk, data=booking(visit_at))
    series = series_book(actor=desk, data=booking(visit_at + timedelta(days=7)), unit="weeks", interval=1, count=2,
                         choices={})  # fmt: skip
    from clinicdesk.scheduling.series import series_members

    series_visit = series_members(series_id=series.pk)[0]
    entry = waitlist_add(actor=desk, data=WaitlistInput(patient=patient, appointment_type=setup.kind,
                                                        wait_until=date(2026, 4, 30)))  # fmt: skip
    offer = offer_slot(actor=desk, entry=entry, provider=setup.provider, location=setup.location,
                       starts_at=datetime(2026, 3, 5, 15 + hour - 9, 0, tzinfo=UTC))  # fmt: skip
    coverage = coverage_add(actor=desk, patient=patient, data=CoverageInput(
        payer=payer, priority="primary", effective_date=date(2026, 1, 1), member_id=f"MEM{hour}0001",
        plan_name="Gold PPO"))  # fmt: skip
    consent = consent_record(actor=desk, patient=patient, data=ConsentInput(
        kind="release", signed_on=date(2026, 3, 1), recipient_name="Sam Doe", recipient_relationship="spouse",
        scope="Appointment times", expires_on=date(2027, 3, 1)))  # fmt: skip
    restriction = restriction_request(actor=desk, patient=patient, data=RestrictionInput(
        text="Do not tell my employer", requested_on=date(2026, 3, 1)))  # fmt: skip
    disclosure = disclosure_record(actor=manager, patient=patient, data=DisclosureInput(
        recipient_kind="third_party", method="fax", recipient_name="County Health Department",
        recipient_address="1 Health Plaza, Kingston NY", purpose="Public health report",
        description="Immunization record", basis="public_health", disclosed_on=date(2026, 3, 2)))  # fmt: skip

    clock.install(clock.FrozenClock(visit_at + timedelta(minutes=5)))
    flow_transition(actor=desk, appointment=appointment, to="arrived")
    encounter = encounter_open(actor=nurse, appointment=appointment)
    vitals = vitals_record(actor=nurse, patient=patient, encounter=encounter, data=VitalsInput(
        systolic=Decimal(128), diastolic=Decimal(82), pulse=Decimal(72), weight=Decimal(150)))  # fmt: skip
    problem = problem_add(actor=doctor, patient=patient, code="I10", encounter=encounter, onset=date(2025, 6, 1))
    medication = medication_add(actor=doctor, patient=patient, data=MedicationInput(
        name="Lisinopril", strength="10 mg", form="tablet", directions="1 tablet by mouth once daily",
        quantity="90 tablets", refills=1, prescriber=setup.provider, start_date=today, encounter=encounter))  # fmt: skip
    prescription = prescription_write(actor=doctor, medication=medication, encounter=encounter,
                                      directions="1 tablet by mouth once daily", quantity="90 tablets", refills=1)  # fmt: skip
    allergy = allergy_add(actor=nurse, patient=patient, substance="Penicillin", reaction="Hives", severity="moderate")
    recall = recall_create(actor=doctor, patient=patient, appointment_type=setup.kind, reason="BP check",
                           interval="3 months", encounter=encounter, provider=setup.provider)  # fmt: skip
    note = note_start(actor=doctor, encounter=encounter)
    note = note_save_draft(actor=doctor, note=note, version=note.version, subjective="Here for blood pressure.",
                           objective="Heart regular.", assessment="Hypertension.", plan="Continue.")  # fmt: skip
    note = note_sign(actor=doctor, note=note)
    addendum_add(actor=doctor, note=note, text="Lab results reviewed by phone; no change.")
    amendment = amendment_request_record(actor=doctor, patient=patient, note=note, received_on=today,
                                         requested_change="The visit date is wrong.")  # fmt: skip
    return PatientRecords(
        patient=patient, appointment=appointment, encounter=encounter, vitals=vitals, note=note, amendment=amendment,
        problem=problem, medication=medication, prescription=prescription, allergy=allergy, recall=recall,
        waitlist_entry=entry, offer=offer, coverage=coverage, consent=consent, restriction=restriction,
        disclosure=disclosure, series_visit=series_visit,
    )  # fmt: skip


def seed_practice(var_dir: Path) -> SeededPractice:
    """Write the practice (the caller rolls it back). Leaves the application clock as it found it."""
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from clinicdesk.accounts.services import emergency_access_grant, record_restrict
    from clinicdesk.patients.import_jobs import import_job_create, import_job_run
    from clinicdesk.patients.payers import PayerInput, payer_create
    from clinicdesk.scheduling.feeds import feed_create
    from conftest import enrol_totp

    previous = clock.install(clock.FrozenClock(SEEDED_AT))
    try:
        people = {role: make_staff(username, role) for role, username in ROLE_USERNAMES.items()}
        for person in people.values():
            enrol_totp(person)
            RecoveryCodes.activate(person)  # the recovery-code pages show a person's own codes
        tokens = {}
        from clinicdesk.accounts.models import ApiToken

        for role, person in people.items():
            api_token_for(person, name="walk")
            tokens[role] = ApiToken.objects.get(user=person)
        staff_member = make_staff("walk_colleague", Role.FRONT_DESK)
        second_nurse = make_staff("walk_nurse_two", Role.NURSE)
        enrol_totp(second_nurse)
        manager, doctor = people[Role.OFFICE_MANAGER], people[Role.CLINICIAN]
        _codes()
        setup = _setup(manager, doctor)
        payer = payer_create(actor=manager, data=PayerInput(name="Acme Health", payer_type="commercial",
                                                           payer_id="ACME1"))  # fmt: skip
        jane = _records(people, setup, payer, _patient(people[Role.FRONT_DESK], "Jane", "Walker"), hour=9)
        rex = _records(people, setup, payer, _patient(people[Role.FRONT_DESK], "Rex", "Hidden"), hour=9 + 1)
        clock.install(clock.FrozenClock(WALK_AT - timedelta(minutes=20)))
        record_restrict(actor=manager, patient_id=rex.patient.mrn, note="Staff member's own chart")
        grant = emergency_access_grant(actor=second_nurse, patient_id=rex.patient.mrn,
                                       reason="Covering the clinic, patient called with chest pain")  # fmt: skip
        feed, feed_token = feed_create(actor=manager, provider=setup.provider)
        with override_settings(VAR_DIR=var_dir):
            job = import_job_create(actor=manager, upload=SimpleUploadedFile("old.csv", IMPORT_CSV.encode()))
            import_job_run(public_id=str(job.public_id))
        job.refresh_from_db()
        return SeededPractice(
            people=people, tokens=tokens, staff_member=staff_member, location=setup.location, room=setup.room,
            provider=setup.provider, kind=setup.kind, template=setup.template, exception=setup.exception,
            payer=payer, feed=feed, feed_token=feed_token, import_job=job, grant=grant, jane=jane, rex=rex,
        )  # fmt: skip
    finally:
        clock.install(previous)
