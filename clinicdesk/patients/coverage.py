"""Insurance coverages of a patient: the writes (add, end) and the reads behind the chart.

Rules (docs/insurance.md says the same for people):

- History is never overwritten. A coverage is ended, not edited or deleted; a new member id,
  plan, payer or subscriber is a new coverage, added after (or instead of) ending the old one.
  Claims already billed keep pointing at the policy they were billed to.
- At most one active coverage of each priority per patient. The database enforces it (a
  partial unique index); the service checks first so the person gets a sentence, not an error.
- Member ids are trimmed and upper-cased. A Medicare member id must be an MBI and is stored
  without dashes.
- Reads of coverages go through `access_patient` first (the caller passes the patient it
  returned), so they are audited with the chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.http import Http404

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict

from .models import Coverage, CoveragePriority, Patient, Payer, PayerType, Relationship, Sex
from .us import STATES, zip_normalize

# MBI letters leave out S, L, O, I, B and Z (they look like digits or each other).
_A = "AC-HJKMNP-RT-Y"
MBI_RE = re.compile(rf"[1-9][{_A}][{_A}0-9][0-9][{_A}][{_A}0-9][0-9][{_A}][{_A}][0-9][0-9]")
MBI_HELP = (
    "A Medicare member id (MBI) has 11 characters, like 1EG4-TE5-MK73: it starts with a digit 1-9, "
    "and never uses the letters S, L, O, I, B or Z. Check the red-white-and-blue Medicare card."
)


def mbi_normalize(text: str) -> str:
    """ "1eg4-te5-mk73", " 1EG4TE5MK73 " -> "1EG4TE5MK73"; ValueError unless it is a well-formed MBI.

    Dashes and spaces may appear anywhere (cards print 1EG4-TE5-MK73); they are dropped.
    """
    compact = re.sub(r"[\s-]", "", text).upper()
    if not MBI_RE.fullmatch(compact):
        raise ValueError(MBI_HELP)
    return compact


def member_id_normalize(text: str, *, payer_type: str) -> str:
    """The member id as stored: trimmed and upper-cased; an MBI for Medicare (ValueError if not)."""
    if payer_type == PayerType.MEDICARE:
        return mbi_normalize(text)
    return text.strip().upper()


@dataclass
class CoverageInput:
    """What the add-coverage form or API sends. Strings as typed; the service cleans them."""

    payer: Payer | None
    priority: str
    effective_date: date | None
    member_id: str = ""
    plan_name: str = ""
    group_number: str = ""
    relationship: str = Relationship.SELF
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: date | None = None
    subscriber_sex: str = ""
    subscriber_address_line1: str = ""
    subscriber_address_line2: str = ""
    subscriber_city: str = ""
    subscriber_state: str = ""
    subscriber_zip_code: str = ""
    end_date: date | None = None
    copay_cents: int | None = None  # the form and the API both give cents; None when not recorded
    copay_notes: str = ""
    coinsurance_notes: str = ""
    deductible_notes: str = ""


SUBSCRIBER_FIELDS = tuple(f.name for f in fields(CoverageInput) if f.name.startswith("subscriber_"))


COPAY_MAX_CENTS = 99_999_999  # $999,999.99; a larger copay is a typing mistake
# The copay form field shows these too (keys as in MoneyField), so the page and the API say the same.
COPAY_MESSAGES = {
    "invalid": "Enter the copay as a number of dollars, e.g. 25 or 25.00.",
    "decimals": "Enter the copay in dollars and cents, with at most 2 decimals, e.g. 25.50.",
    "negative": "The copay cannot be negative. Enter 0 when the patient pays nothing.",
    "max": "Enter a copay under $1,000,000.",
}


def copay_problem(cents: int | None) -> str | None:
    """What is wrong with a copay of `cents`, in words; None when it is fine or not given (None).

    Amounts arrive as integer cents (the form parses dollars; the API takes cents). Anything
    else, such as a float or Decimal from a caller that mistook the unit, is refused.
    """
    if cents is None:
        return None
    if not isinstance(cents, int) or isinstance(cents, bool):
        return COPAY_MESSAGES["invalid"]
    if cents < 0:
        return COPAY_MESSAGES["negative"]
    if cents > COPAY_MAX_CENTS:
        return COPAY_MESSAGES["max"]
    return None


def _clean(data: CoverageInput, *, today: date) -> tuple[dict[str, Any], dict[str, list[str]]]:
    values = {f.name: getattr(data, f.name) for f in fields(CoverageInput)}
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
            if "\x00" in value:  # PostgreSQL cannot store it; nobody types it
                err(name, "Remove the invisible control character from this field.")

    payer = data.payer
    if payer is None:
        err("payer", "Choose the insurance company from the payer list.")
    elif not payer.active:
        err("payer", f"{payer.name} is no longer in use. Choose an active payer or ask billing to reactivate it.")
    if values["priority"] not in CoveragePriority.values:
        err("priority", "Choose primary, secondary or tertiary.")
    if values["relationship"] not in Relationship.values:
        err("relationship", "Choose the patient's relationship to the subscriber.")
    if payer is not None:
        if values["member_id"]:
            try:
                values["member_id"] = member_id_normalize(values["member_id"], payer_type=payer.payer_type)
            except ValueError as exc:
                err("member_id", str(exc))
        elif payer.payer_type != PayerType.SELF_PAY:
            err("member_id", "Enter the member id from the insurance card.")
    problem = copay_problem(values["copay_cents"])
    if problem:
        err("copay_cents", problem)
    effective, end = values["effective_date"], values["end_date"]
    if not isinstance(effective, date):
        err("effective_date", "Enter the date the coverage starts, e.g. 01/01/2026.")
    elif end is not None and end < effective:
        err("end_date", "The end date is before the effective date.")
    if values["relationship"] == Relationship.SELF:
        filled = [name for name in SUBSCRIBER_FIELDS if values[name]]
        for name in filled:
            err(name, "Leave the subscriber blank when the patient is the subscriber (relationship Self).")
    elif values["relationship"] in Relationship.values:
        for name, label in (("subscriber_first_name", "first name"), ("subscriber_last_name", "last name")):
            if not values[name]:
                err(name, f"Enter the subscriber's {label} as on the insurance card.")
        born = values["subscriber_date_of_birth"]
        if not isinstance(born, date):
            err("subscriber_date_of_birth", "Enter the subscriber's date of birth; payers match on it.")
        elif born > today:
            err("subscriber_date_of_birth", "The subscriber's date of birth is in the future.")
        if values["subscriber_sex"] not in Sex.values:
            err("subscriber_sex", "Choose the subscriber's sex: Female, Male or Unknown.")
        if values["subscriber_state"]:
            values["subscriber_state"] = values["subscriber_state"].upper()
            if values["subscriber_state"] not in STATES:
                err("subscriber_state", "Use the two-letter USPS code, e.g. NY.")
        if values["subscriber_zip_code"]:
            try:
                values["subscriber_zip_code"] = zip_normalize(values["subscriber_zip_code"])
            except ValueError as exc:
                err("subscriber_zip_code", str(exc))
    return values, errors


def _priority_taken_message(existing: Coverage) -> str:
    label = existing.get_priority_display().lower()
    other = "secondary" if existing.priority == CoveragePriority.PRIMARY else "tertiary"
    return (
        f"This patient already has an active {label} coverage: {existing.payer.name}. "
        f"End it first or make this one {other}."
    )


def _active_of_priority(patient: Patient, priority: str) -> Coverage | None:
    return (
        Coverage.objects.select_related("payer")
        .filter(patient=patient, priority=priority, ended_at__isnull=True)
        .first()
    )


@transaction.atomic
def coverage_add(*, actor: User, patient: Patient, data: CoverageInput) -> Coverage:
    """Add a coverage to `patient`. Raises ValidationError by field, or Conflict when the priority is taken.

    An `end_date` may be given when the termination date is already known (COBRA, a plan year);
    the coverage still holds its priority until someone ends it.
    """
    values, errors = _clean(data, today=clock.today())
    if errors:
        raise ValidationError(errors)
    existing = _active_of_priority(patient, values["priority"])
    if existing is not None:
        raise Conflict({"priority": [_priority_taken_message(existing)]})
    coverage = Coverage(patient=patient, created_by=actor, **values)
    try:
        with transaction.atomic():
            coverage.save()
    except IntegrityError as exc:
        # Someone else added one of this priority between the check and the insert.
        existing = _active_of_priority(patient, values["priority"])
        if existing is None:
            raise
        raise Conflict({"priority": [_priority_taken_message(existing)]}) from exc
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.COVERAGE,
        object_id=str(coverage.public_id),
        patient_id=patient.mrn,
        changed_fields=[name for name, value in values.items() if value not in ("", None)],
    )
    return coverage


@transaction.atomic
def coverage_end(*, actor: User, coverage: Coverage, end_date: date, reason: str = "") -> Coverage:
    """End an active coverage on `end_date` (the last covered day); its priority becomes free.

    Ending keeps the row (history). Raises ValidationError when it already ended or when
    `end_date` is before the effective date. `end_date` may be in the future (a known
    termination) or in the past (the card was out of date).
    """
    locked = Coverage.objects.select_for_update().get(pk=coverage.pk)
    if locked.ended_at is not None:
        raise ValidationError({"end_date": ["This coverage has already ended."]})
    if not isinstance(end_date, date):
        raise ValidationError({"end_date": ["Enter the last day of coverage, e.g. 12/31/2026."]})
    if end_date < locked.effective_date:
        raise ValidationError(
            {"end_date": [f"The end date is before the effective date ({date_text(locked.effective_date)})."]}
        )
    locked.end_date = end_date
    locked.ended_at = clock.now()
    locked.ended_by = actor
    locked.end_reason = reason.strip()[:200]
    locked.save(update_fields=["end_date", "ended_at", "ended_by", "end_reason"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.COVERAGE,
        object_id=str(locked.public_id),
        patient_id=locked.patient.mrn,
        changed_fields=["end_date", "ended_at", "end_reason"] if locked.end_reason else ["end_date", "ended_at"],
    )
    for name in ("end_date", "ended_at", "ended_by", "end_reason"):
        setattr(coverage, name, getattr(locked, name))
    return coverage


# --- Reads. `patient` must come from access_patient, which audited the look at the chart. ---


def coverages_active(*, patient: Patient) -> QuerySet[Coverage]:
    """The patient's active coverages, primary first."""
    return Coverage.objects.select_related("payer").filter(patient=patient, ended_at__isnull=True)


def coverages_all(*, patient: Patient) -> QuerySet[Coverage]:
    """Every coverage the patient ever had, active ones first, then newest first."""
    return (
        Coverage.objects.select_related("payer", "created_by", "ended_by")
        .filter(patient=patient)
        .order_by(F("ended_at").desc(nulls_first=True), "priority", "-effective_date", "-id")
    )


def coverage_of(*, patient: Patient, public_id: Any) -> Coverage:
    """The coverage `public_id` of `patient`; Http404 when it is missing or belongs to someone else."""
    try:
        return Coverage.objects.select_related("payer", "patient").get(patient=patient, public_id=public_id)
    except (Coverage.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc
