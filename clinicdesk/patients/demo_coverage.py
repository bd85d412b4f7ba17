"""Demo insurance: a small payer directory and believable coverages for the demo patients.

Demo payers and coverages are entered "by" the demo biller and front-desk accounts (the models
need a person who created them), so the audit trail of the demo reads like a real office's.
Payer ids are for the demo only. Medicare member ids are generated in valid MBI form.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.core.demo import DemoOptions, register, step_progress

from .coverage import CoverageInput, coverage_add
from .models import Coverage, CoveragePriority, Patient, PayerType, Relationship
from .payers import PayerInput, payer_create

DEMO_PAYERS = (
    PayerInput(name="Medicare Part B (demo)", payer_type=PayerType.MEDICARE, payer_id="DEMO13202", state="NY"),
    PayerInput(name="New York Medicaid (demo)", payer_type=PayerType.MEDICAID, payer_id="DEMOMCDNY", state="NY"),
    PayerInput(name="Aetna (demo)", payer_type=PayerType.COMMERCIAL, payer_id="DEMO60054"),
    PayerInput(name="Empire Blue Cross Blue Shield (demo)", payer_type=PayerType.COMMERCIAL, payer_id="DEMO00803"),
    PayerInput(name="UnitedHealthcare (demo)", payer_type=PayerType.COMMERCIAL, payer_id="DEMO87726"),
    PayerInput(name="Cigna (demo)", payer_type=PayerType.COMMERCIAL, payer_id="DEMO62308"),
    PayerInput(name="Tricare East (demo)", payer_type=PayerType.TRICARE, payer_id="DEMOTREST"),
    PayerInput(name="Self-pay", payer_type=PayerType.SELF_PAY),
)
_MBI_ALPHA = "ACDEFGHJKMNPQRTUVWXY"  # letters Medicare uses (no S L O I B Z)


def demo_mbi(rng: random.Random) -> str:
    """A Medicare Beneficiary Identifier in valid form (C A AN N A AN N A A N N)."""
    digits, alnum = "0123456789", _MBI_ALPHA + "0123456789"
    pattern = (
        "123456789", _MBI_ALPHA, alnum, digits, _MBI_ALPHA, alnum, digits, _MBI_ALPHA, _MBI_ALPHA, digits, digits,
    )  # fmt: skip
    return "".join(rng.choice(chars) for chars in pattern)


def _coverage_for(patient: Patient, payers: dict, rng: random.Random, today: date) -> list[CoverageInput]:
    age = patient.age_on(today)
    start = max(patient.date_of_birth, today - timedelta(days=rng.randint(30, 3000)))
    roll = rng.random()
    if roll < 0.08:
        return [
            CoverageInput(payer=payers[PayerType.SELF_PAY], priority=CoveragePriority.PRIMARY, effective_date=start)
        ]
    if age >= 65:
        first = CoverageInput(
            payer=payers[PayerType.MEDICARE],
            priority=CoveragePriority.PRIMARY,
            effective_date=max(
                start,
                patient.date_of_birth.replace(year=patient.date_of_birth.year + 65)
                if patient.date_of_birth.month != 2 or patient.date_of_birth.day != 29
                else date(patient.date_of_birth.year + 65, 3, 1),
            ),
            member_id=demo_mbi(rng),
            plan_name="Original Medicare",
        )
    elif roll < 0.25:
        first = CoverageInput(
            payer=payers[PayerType.MEDICAID],
            priority=CoveragePriority.PRIMARY,
            effective_date=start,
            member_id=f"{rng.choice('ABCDEFGH')}{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}"
            f"{rng.choice('ABCDEFGH')}",
            plan_name="Medicaid Managed Care",
        )
    else:
        payer = rng.choice(payers["commercial"])
        copay = rng.choice((20, 25, 30, 40))
        first = CoverageInput(
            payer=payer,
            priority=CoveragePriority.PRIMARY,
            effective_date=start,
            member_id=f"{payer.name[:1]}{rng.randint(100000000, 999999999)}",
            group_number=str(rng.randint(10000, 99999)),
            plan_name=rng.choice(("PPO", "HMO", "EPO")),
            copay_cents=copay * 100,
            copay_notes=f"${copay} office visit",
        )
        if age < 18:
            first.relationship = Relationship.CHILD
            first.subscriber_first_name = rng.choice(("Maria", "John", "Linda", "David", "Priya", "Wei"))
            first.subscriber_last_name = patient.last_name
            first.subscriber_date_of_birth = patient.date_of_birth - timedelta(days=rng.randint(20, 40) * 365)
            first.subscriber_sex = rng.choice("FM")
    coverages = [first]
    if age >= 65 and rng.random() < 0.4:
        payer = rng.choice(payers["commercial"])
        coverages.append(
            CoverageInput(
                payer=payer,
                priority=CoveragePriority.SECONDARY,
                effective_date=first.effective_date,
                member_id=f"S{rng.randint(100000000, 999999999)}",
                plan_name="Medigap Plan G",
            )
        )
    return coverages


@register(name="coverages", order=30)
def demo_coverages(options: DemoOptions) -> str:
    """Payers and coverages, once: nothing happens when any coverage exists already."""
    if options.patients == 0 or Coverage.objects.exists():
        return "coverages already present" if options.patients else "no coverages asked for"
    biller, clerk = User.objects.get(username="priya"), User.objects.get(username="luis")
    rng = random.Random(options.seed + 1)  # noqa: S311  (demo data must be reproducible, not secret)
    today = date(2026, 1, 1)
    count = 0
    with transaction.atomic():
        made = [payer_create(actor=biller, data=data) for data in DEMO_PAYERS]
        payers: dict = {p.payer_type: p for p in made if p.payer_type != PayerType.COMMERCIAL}
        payers["commercial"] = [p for p in made if p.payer_type == PayerType.COMMERCIAL]
        patients = list(Patient.objects.order_by("id"))
        with step_progress(options, "Demo coverages", len(patients)) as advance:
            for patient in patients:
                for data in _coverage_for(patient, payers, rng, today):
                    coverage_add(actor=clerk, patient=patient, data=data)
                    count += 1
                advance()
    return f"{len(DEMO_PAYERS)} payers and {count} coverages created"
