"""Demo clinical records: encounters for the demo's past visits, with notes (mostly signed, a few
drafts, some with addenda), vitals, problem lists, medications, allergies and follow-ups in every
state. Written in bulk as system data (no per-row audit events), like the demo appointments.

Idempotent: skipped when the practice already has encounters.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Role
from clinicdesk.core.demo import DemoOptions, register
from clinicdesk.scheduling.models import Appointment, AppointmentType

from .models import (
    Addendum,
    Allergy,
    Encounter,
    EncounterDiagnosis,
    Medication,
    Problem,
    Recall,
    VisitNote,
    Vitals,
)
from .notes import addendum_content_digest, note_content_digest

MAX_ENCOUNTERS = 1500  # the most recent seen visits get a record; enough for every demo screen
# The newest finished visits whose notes are left as drafts (notes finished after clinic).
UNFINISHED_RECENT = 3

# Billable ICD-10-CM codes (FY2026) and their descriptions: facts, for the demo problem lists.
PROBLEMS = (
    ("I10", "Essential (primary) hypertension"),
    ("E11.9", "Type 2 diabetes mellitus without complications"),
    ("E78.5", "Hyperlipidemia, unspecified"),
    ("J45.909", "Unspecified asthma, uncomplicated"),
    ("F41.1", "Generalized anxiety disorder"),
    ("K21.9", "Gastro-esophageal reflux disease without esophagitis"),
    ("E66.9", "Obesity, unspecified"),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"),
    ("M54.50", "Low back pain, unspecified"),
    ("E03.9", "Hypothyroidism, unspecified"),
)
MEDICATIONS = {
    "I10": ("Lisinopril", "10 mg", "tablet", "1 tablet by mouth once daily", "90 tablets"),
    "E11.9": ("Metformin", "500 mg", "tablet", "1 tablet by mouth twice daily with meals", "180 tablets"),
    "E78.5": ("Atorvastatin", "20 mg", "tablet", "1 tablet by mouth at bedtime", "90 tablets"),
    "J45.909": ("Albuterol HFA", "90 mcg/actuation", "inhaler", "2 puffs every 4-6 hours as needed", "1 inhaler"),
    "F41.1": ("Sertraline", "50 mg", "tablet", "1 tablet by mouth once daily", "30 tablets"),
    "K21.9": ("Omeprazole", "20 mg", "capsule", "1 capsule by mouth before breakfast", "30 capsules"),
    "E03.9": ("Levothyroxine", "75 mcg", "tablet", "1 tablet by mouth every morning", "90 tablets"),
}
ALLERGIES = (
    ("Penicillin", "Hives", "moderate"),
    ("Sulfa drugs", "Rash", "mild"),
    ("Peanuts", "Anaphylaxis", "severe"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Codeine", "Nausea and vomiting", "moderate"),
)
NOTES = (
    (
        "Here for follow-up of blood pressure. Taking medication daily, no side effects. No chest pain, no headaches.",
        "Alert, in no distress. Heart regular, no murmur. Lungs clear.",
        "Hypertension, improving on current treatment.",
        "Continue lisinopril 10 mg daily. Low-salt diet. Check blood pressure at home twice a week. Return in 3 months.",
    ),
    (
        "Cough and congestion for 4 days. No fever, no shortness of breath. Sick contacts at home.",
        "Afebrile. Mild nasal congestion, throat without exudate. Lungs clear to auscultation.",
        "Acute viral upper respiratory infection.",
        "Fluids, rest, saline spray. Return if fever above 101 F or symptoms last beyond 10 days.",
    ),
    (
        "Diabetes check. Home sugars 110-160 fasting. Walking 20 minutes most days.",
        "Feet: sensation intact, no ulcers. Weight down 3 lb since last visit.",
        "Type 2 diabetes, fair control.",
        "Continue metformin. HbA1c today. Diabetic eye exam referral. Return in 3 months.",
    ),
    (
        "Low back pain after lifting boxes 1 week ago. No numbness, no weakness, no bladder changes.",
        "Paraspinal tenderness L4-L5, straight leg raise negative, strength 5/5.",
        "Mechanical low back pain.",
        "Ibuprofen 400 mg with food as needed, heat, gentle stretching. Return in 2 weeks if not better.",
    ),
)
ADDENDUM = "Lab results reviewed with the patient by phone; no change to the plan."
RECALL_REASONS = ("BP check", "Diabetes follow-up", "Recheck back pain", "Medication review", "Annual physical")


@register(name="clinical", order=70)
def demo_clinical(options: DemoOptions) -> str:
    if Encounter.objects.exists():
        return "skipped (the practice already has encounters)"
    rng = random.Random(options.seed + 70)  # noqa: S311 (reproducible demo data)
    now = clock.now()
    nurse = User.objects.filter(role=Role.NURSE, is_active=True).order_by("pk").first()
    seen = list(
        Appointment.objects.filter(
            status__in=("completed", "checked_out", "with_provider", "roomed"), starts_at__lt=now
        )
        .select_related("provider__user", "location", "appointment_type")
        .order_by("-starts_at")[:MAX_ENCOUNTERS]
    )
    if not seen:
        return "skipped (no past visits)"
    with transaction.atomic():
        encounters = [
            Encounter(
                patient_id=a.patient_id, appointment=a, provider=a.provider, location=a.location,
                date_of_service=timezone.localtime(a.starts_at).date(),
                reason=a.reason or a.appointment_type.default_reason or a.appointment_type.name,
                status="open" if _unfinished(a, n) else "signed", opened_by=a.provider.user,
                opened_at=a.starts_at,
            )
            for n, a in enumerate(seen)
        ]  # fmt: skip
        Encounter.objects.bulk_create(encounters, batch_size=500)
        notes, vitals, addenda_for = [], [], []
        for n, (a, e) in enumerate(zip(seen, encounters, strict=True)):
            s, o, assessment, plan = NOTES[n % len(NOTES)]
            signed = e.status == "signed"
            note = VisitNote(
                encounter=e, subjective=s, objective=o, assessment=assessment, plan=plan,
                status="signed" if signed else "draft", author=nurse if (nurse and n % 5 == 0) else a.provider.user,
                last_edited_by=a.provider.user, created_at=a.starts_at, updated_at=a.starts_at + timedelta(minutes=25),
            )  # fmt: skip
            if signed:
                note.signed_by, note.signed_at = a.provider.user, a.starts_at + timedelta(minutes=40)
                note.content_sha256 = note_content_digest(
                    encounter_public_id=e.public_id, signer_public_id=a.provider.user.public_id,
                    sections={"subjective": s, "objective": o, "assessment": assessment, "plan": plan},
                    signed_at=note.signed_at,
                )  # fmt: skip
                if n % 23 == 0:
                    addenda_for.append((note, a))
            notes.append(note)
            # Each patient keeps a height and a usual weight and pressure; visits vary a little around them.
            own = random.Random(options.seed * 100_003 + a.patient_id)  # noqa: S311 (reproducible demo data)
            height = Decimal(own.randint(150, 190))
            weight = (Decimal(own.randint(550, 1100)) + rng.randint(-15, 15)) / 10
            usual = own.randint(112, 150)
            vitals.append(
                Vitals(
                    patient_id=a.patient_id, encounter=e, taken_at=a.starts_at + timedelta(minutes=5),
                    taken_by=nurse or a.provider.user, systolic=usual + rng.randint(-8, 8),
                    diastolic=usual * 6 // 10 + rng.randint(-5, 5),
                    pulse=rng.randint(58, 96), temperature_c=Decimal(rng.randint(362, 375)) / 10,
                    respiratory_rate=rng.randint(12, 18), spo2=rng.randint(95, 100), height_cm=height, weight_kg=weight,
                    bmi=(weight / (height / 100) ** 2).quantize(Decimal("0.1")), pain=rng.randint(0, 4),
                )
            )  # fmt: skip
        VisitNote.objects.bulk_create(notes, batch_size=500)
        Vitals.objects.bulk_create(vitals, batch_size=500)
        Addendum.objects.bulk_create(
            [
                Addendum(
                    note=note, author=a.provider.user, signed_at=a.starts_at + timedelta(days=1), text=ADDENDUM,
                    content_sha256=addendum_content_digest(
                        note_public_id=note.public_id, text=ADDENDUM, author_public_id=a.provider.user.public_id,
                        signed_at=a.starts_at + timedelta(days=1),
                    ),
                )
                for note, a in addenda_for
            ]
        )  # fmt: skip
        Encounter.objects.filter(note__in=[note for note, _ in addenda_for]).update(status="amended")
        lists = _lists(seen, encounters, rng, now)
    drafts = sum(1 for note in notes if note.status == "draft")
    return (
        f"{len(encounters)} encounters ({len(notes) - drafts} signed notes, {drafts} drafts, {len(addenda_for)} "
        f"with an addendum), {len(vitals)} sets of vitals, {lists}"
    )


def _unfinished(appointment: Appointment, newest_first_index: int) -> bool:
    """Visits still in the room have open notes; so do the newest few finished ones, whatever the
    hour the demo loads (clinicians finish some notes after clinic), so drafts always exist."""
    return appointment.status in ("roomed", "with_provider") or newest_first_index < UNFINISHED_RECENT


def _lists(seen: list[Appointment], encounters: list[Encounter], rng: random.Random, now: datetime) -> str:
    """Problem lists, medications, allergies and follow-ups of the patients seen."""
    first_visit: dict[int, tuple[Appointment, Encounter]] = {}
    for a, e in zip(seen, encounters, strict=True):
        first_visit[a.patient_id] = (a, e)  # the list is newest first: the oldest visit wins
    problems, medications, allergies, diagnoses, recalls = [], [], [], [], []
    kinds = {k.name: k for k in AppointmentType.objects.filter(active=True)}
    follow_up = kinds.get("Follow-up") or next(iter(kinds.values()), None)
    for n, (patient_id, (a, e)) in enumerate(sorted(first_visit.items())):
        chosen = rng.sample(PROBLEMS, rng.randint(0, 3))
        for rank, (code, description) in enumerate(chosen, start=1):
            problems.append(Problem(
                patient_id=patient_id, code=code, description=description, encounter=e, created_by=a.provider.user,
                onset=e.date_of_service - timedelta(days=rng.randint(30, 2000)),
            ))  # fmt: skip
            diagnoses.append(EncounterDiagnosis(encounter=e, code=code, description=description, rank=rank))
            if code in MEDICATIONS:
                name, strength, form, directions, quantity = MEDICATIONS[code]
                medications.append(Medication(
                    patient_id=patient_id, name=name, strength=strength, form=form, directions=directions,
                    quantity=quantity, refills=rng.choice((0, 1, 3, 5)), prescriber=a.provider, encounter=e,
                    start_date=e.date_of_service, created_by=a.provider.user,
                ))  # fmt: skip
        roll = rng.random()
        if roll < 0.35:
            allergies.append(Allergy(patient_id=patient_id, no_known_allergies=True, created_by=a.provider.user,
                                     noted_on=e.date_of_service))  # fmt: skip
        elif roll < 0.6:
            substance, reaction, severity = rng.choice(ALLERGIES)
            allergies.append(Allergy(patient_id=patient_id, substance=substance, reaction=reaction, severity=severity,
                                     created_by=a.provider.user, noted_on=e.date_of_service))  # fmt: skip
        if follow_up is not None and n % 4 == 0:
            due = e.date_of_service + timedelta(days=rng.choice((14, 30, 60, 90, 180)))
            recall = Recall(
                patient_id=patient_id, encounter=e, appointment_type=follow_up, due_on=due,
                reason=rng.choice(RECALL_REASONS), created_by=a.provider.user,
                provider=a.provider if rng.random() < 0.5 else None,
            )  # fmt: skip
            if n % 12 == 4:
                recall.status, recall.contacted_at, recall.contacted_by = (
                    "contacted",
                    now - timedelta(days=2),
                    a.provider.user,
                )
                recall.contact_note = "Left voicemail"
            elif n % 12 == 8:
                recall.status, recall.closed_at, recall.closed_by = "closed", now - timedelta(days=1), a.provider.user
                recall.closed_reason = "Patient declined"
            recalls.append(recall)
    Problem.objects.bulk_create(problems, batch_size=500)
    EncounterDiagnosis.objects.bulk_create(diagnoses, batch_size=500)
    Medication.objects.bulk_create(medications, batch_size=500)
    Allergy.objects.bulk_create(allergies, batch_size=500)
    Recall.objects.bulk_create(recalls, batch_size=500)
    overdue = sum(1 for r in recalls if r.status == "due" and r.due_on < now.astimezone(UTC).date())
    return (
        f"{len(problems)} problems, {len(medications)} medications, {len(allergies)} allergy entries, "
        f"{len(recalls)} follow-ups ({overdue} overdue)"
    )
