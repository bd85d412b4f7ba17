"""The problem list and the diagnoses of an encounter: writes, and the reads behind the pages.

Rules (docs/clinical-lists.md says the same for people):

- A problem is a billable, active ICD-10-CM code (`codes.validators.billable_icd10`); its
  description is copied from the code table when it is added, so a later code-set release
  never rewrites what the clinician chose.
- A patient has each code at most once among the active problems.
- A problem is resolved (with a date on or after its onset), reactivated, or marked entered in
  error with a reason; never edited or deleted. A problem in error stays in the history.
- An encounter has up to 12 ranked diagnoses (1 is the primary), distinct billable codes. A
  diagnosis whose code is on the patient's active problem list is linked to that problem.
  Diagnoses may still be set after the note is signed: they are codes for the claim, not part
  of the signed narrative, and coding is routinely corrected after signing. Every change is
  audited with the ranks before and after.
- Audit events name public ids and field names only, never codes, descriptions or note text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.codes.models import IcdCode
from clinicdesk.codes.selectors import icd10_code
from clinicdesk.codes.validators import billable_icd10
from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.models import Patient

from .models import Encounter, EncounterDiagnosis, Problem, ProblemStatus

MAX_DIAGNOSES = 12


def clean_text(value: str | None, *, field: str, max_length: int, required: str = "") -> str:
    """`value` stripped; ValidationError on `field` when too long, holding a NUL, or blank but `required`.

    `required` is the message to give when the text is blank ("" = optional).
    """
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationError({field: "Remove the invisible control character from this field."})
    if len(text) > max_length:
        raise ValidationError({field: f"Keep this under {max_length + 1} characters (it has {len(text)})."})
    if required and not text:
        raise ValidationError({field: required})
    return text


def patient_lists_lock(patient: Patient) -> None:
    """Serialise list writes of one patient (the "once per patient" rules have no unique index).

    SQLite transactions begin IMMEDIATE and are serialised already; PostgreSQL locks the row.
    """
    Patient.objects.select_for_update().filter(pk=patient.pk).values_list("pk", flat=True).first()


def _billable(code: str, *, field: str = "code") -> IcdCode:
    """The IcdCode for `code` or ValidationError on `field` with the validator's message."""
    try:
        billable_icd10(code)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    found = icd10_code(code)
    if found is None:  # billable_icd10 passed, so the code exists; kept for the type checker
        raise ValidationError({field: f"{code} is not an ICD-10-CM code"})
    return found


def _not_in_future(day: date | None, *, field: str, today: date, what: str) -> None:
    if day is not None and day > today:
        raise ValidationError({field: f"The {what} cannot be in the future (today is {date_text(today)})."})


@transaction.atomic
def problem_add(
    *,
    actor: User,
    patient: Patient,
    code: str,
    onset: date | None = None,
    note: str = "",
    encounter: Encounter | None = None,
) -> Problem:
    """Add `code` to the patient's active problems. Refused (ValidationError naming the field)
    for a code that is not billable, an onset in the future, a note over 200 characters, an
    encounter of another patient; Conflict when the code is already an active problem."""
    today = clock.today()
    icd = _billable(code)
    note = clean_text(note, field="note", max_length=200)
    _not_in_future(onset, field="onset", today=today, what="onset date")
    if encounter is not None and encounter.patient_id != patient.pk:
        raise ValidationError({"encounter": "That encounter belongs to another patient."})
    patient_lists_lock(patient)
    if Problem.objects.filter(patient=patient, code=icd.code, status=ProblemStatus.ACTIVE).exists():
        raise Conflict(
            {"code": f"{icd.code} is already on this patient's active problem list. Resolve that one first."}
        )
    problem = Problem.objects.create(
        patient=patient,
        code=icd.code,
        description=icd.description[:300],
        onset=onset,
        note=note,
        encounter=encounter,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.PROBLEM,
        object_id=problem.public_id,
        patient_id=problem.patient.mrn,
        changed_fields=["code", "onset", "note"] if note else ["code", "onset"],
    )
    return problem


def _locked(problem: Problem) -> Problem:
    fresh = Problem.objects.select_for_update().select_related("patient").get(pk=problem.pk)
    return fresh


@transaction.atomic
def problem_resolve(*, actor: User, problem: Problem, resolved_on: date | None) -> Problem:
    """Mark an active problem resolved on `resolved_on` (on or after its onset, not in the future)."""
    problem = _locked(problem)
    today = clock.today()
    if problem.status != ProblemStatus.ACTIVE:
        raise Conflict(f"This problem is {problem.get_status_display().lower()}; only an active problem is resolved.")
    if resolved_on is None:
        raise ValidationError({"resolved_on": "Enter the date the problem resolved, e.g. 03/02/2026."})
    _not_in_future(resolved_on, field="resolved_on", today=today, what="resolved date")
    if problem.onset is not None and resolved_on < problem.onset:
        raise ValidationError(
            {"resolved_on": f"The resolved date cannot be before the onset ({date_text(problem.onset)})."}
        )
    problem.status, problem.resolved_on = ProblemStatus.RESOLVED, resolved_on
    problem.save(update_fields=["status", "resolved_on", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PROBLEM,
        object_id=problem.public_id,
        patient_id=problem.patient.mrn,
        changed_fields=["status", "resolved_on"],
    )
    return problem


@transaction.atomic
def problem_reactivate(*, actor: User, problem: Problem) -> Problem:
    """Make a resolved problem active again (it came back); Conflict when the code is active already."""
    problem = _locked(problem)
    if problem.status != ProblemStatus.RESOLVED:
        raise Conflict(
            f"This problem is {problem.get_status_display().lower()}; only a resolved problem is reactivated."
        )
    patient_lists_lock(problem.patient)
    if Problem.objects.filter(patient_id=problem.patient_id, code=problem.code, status=ProblemStatus.ACTIVE).exists():
        raise Conflict(f"{problem.code} is already on this patient's active problem list.")
    problem.status, problem.resolved_on = ProblemStatus.ACTIVE, None
    problem.save(update_fields=["status", "resolved_on", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PROBLEM,
        object_id=problem.public_id,
        patient_id=problem.patient.mrn,
        changed_fields=["status", "resolved_on"],
    )
    return problem


@transaction.atomic
def problem_mark_in_error(*, actor: User, problem: Problem, reason: str) -> Problem:
    """Mark a problem entered in error (wrong patient, wrong code). The reason is required; it is
    kept in the audit event of the change (the problem row has no field for it)."""
    problem = _locked(problem)
    reason = clean_text(reason, field="reason", max_length=200, required="Say why it was entered in error.")
    if problem.status == ProblemStatus.IN_ERROR:
        raise Conflict("This problem is already marked entered in error.")
    problem.status = ProblemStatus.IN_ERROR
    problem.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PROBLEM,
        object_id=problem.public_id,
        patient_id=problem.patient.mrn,
        changed_fields=["status"],
        reason=reason,
    )
    return problem


def problems_of(*, patient: Patient, include_in_error: bool = False) -> list[Problem]:
    """The patient's problems: active first (newest onset first), then resolved, then (when asked)
    those entered in error."""
    found = Problem.objects.filter(patient=patient)
    if not include_in_error:
        found = found.exclude(status=ProblemStatus.IN_ERROR)
    order: dict[str, int] = {ProblemStatus.ACTIVE: 0, ProblemStatus.RESOLVED: 1, ProblemStatus.IN_ERROR: 2}
    return sorted(found, key=lambda p: (order.get(p.status, 3), -(p.onset or date.min).toordinal(), p.code))


# --- Encounter diagnoses ---------------------------------------------------------------------


@dataclass(frozen=True)
class DiagnosisInput:
    """One ranked diagnosis as typed: the code (dotted or not). Rank is its place in the list."""

    code: str


def _diagnosis_field(rank: int) -> str:
    return f"dx_{rank}"


@transaction.atomic
def encounter_diagnoses_set(
    *, actor: User, encounter: Encounter, diagnoses: list[DiagnosisInput]
) -> list[EncounterDiagnosis]:
    """Replace the encounter's diagnoses with `diagnoses`, ranked 1.. in the order given.

    Blank entries are skipped (ranks close up). Every problem is reported at once, each on its
    own field `dx_<n>` (n = the position typed): a code that is not billable, the same code
    twice, more than 12. An empty list clears the diagnoses. Codes on the patient's active
    problem list are linked to their problem.
    """
    errors: dict[str, list[str]] = {}
    chosen: list[tuple[int, IcdCode]] = []
    seen: dict[str, int] = {}
    for position, item in enumerate(diagnoses, start=1):
        if not (item.code or "").strip():
            continue
        field = _diagnosis_field(position)
        try:
            icd = _billable(item.code, field=field)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
            continue
        if icd.code in seen:
            errors.setdefault(field, []).append(f"{icd.code} is already diagnosis {seen[icd.code]}; list a code once.")
            continue
        seen[icd.code] = position
        chosen.append((position, icd))
    if len(chosen) > MAX_DIAGNOSES:
        errors.setdefault("diagnoses", []).append(f"An encounter has at most {MAX_DIAGNOSES} diagnoses.")
    if errors:
        raise ValidationError(errors)
    encounter = Encounter.objects.select_for_update().select_related("patient").get(pk=encounter.pk)
    before = list(
        EncounterDiagnosis.objects.filter(encounter=encounter).order_by("rank").values_list("code", flat=True)
    )
    problems = {
        p.code: p
        for p in Problem.objects.filter(
            patient_id=encounter.patient_id, status=ProblemStatus.ACTIVE, code__in=list(seen)
        )
    }
    EncounterDiagnosis.objects.filter(encounter=encounter).delete()
    rows = EncounterDiagnosis.objects.bulk_create(
        [
            EncounterDiagnosis(
                encounter=encounter,
                code=icd.code,
                description=icd.description[:300],
                rank=rank,
                problem=problems.get(icd.code),
            )
            for rank, (_, icd) in enumerate(chosen, start=1)
        ]
    )
    after = [row.code for row in rows]
    if before != after:
        changed = [
            f"rank {n}" for n in range(1, max(len(before), len(after)) + 1) if before[n - 1 : n] != after[n - 1 : n]
        ]
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.ENCOUNTER_DIAGNOSES,
            object_id=str(encounter.public_id),
            patient_id=encounter.patient.mrn,
            changed_fields=changed,
            detail=f"{len(before)} diagnoses before, {len(after)} after",
        )
    return rows


def encounter_diagnoses(*, encounter: Encounter) -> list[EncounterDiagnosis]:
    """The encounter's diagnoses in rank order."""
    return list(EncounterDiagnosis.objects.filter(encounter=encounter).order_by("rank"))
