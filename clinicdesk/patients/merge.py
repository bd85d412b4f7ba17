"""Merging a duplicate patient record into the one that stays (the survivor).

Each app that links rows to a patient registers a *merge step* that moves its rows:
`merge_step_register("appointments", move_appointments, covers=[(Appointment, "patient")])`,
usually from its AppConfig.ready. A step is `func(*, survivor, merged, actor) -> int` (rows
moved, kept or ended) and runs inside the merge transaction.

After every step has run, the merge looks at every model of the project with a foreign key
or one-to-one to Patient. If any row still points at the merged record the whole merge is
rolled back with a message naming the model, so an app that forgot to register a step can
never lose or orphan rows silently.

The merged row itself is kept, inactive, with nothing linked to it: the audit trail, old
printouts and the PatientMerge record still name a real row. Its MRN becomes an alias of the
survivor (search and the chart URL both lead there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction

from clinicdesk.accounts.models import User
from clinicdesk.accounts.selectors import record_is_restricted
from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock

from .models import Coverage, Patient, PatientFieldChange, PatientPhone, PatientStatus
from .search.models import PatientAlias, PatientMerge, PatientNamePair, PatientSearchTerm
from .search.services import search_index_patient
from .services import PLAIN_FIELDS

MergeStep = Callable[..., int]


@dataclass(frozen=True)
class _Step:
    name: str
    func: MergeStep
    covers: tuple[tuple[type[models.Model], str], ...]


_steps: dict[str, _Step] = {}

# Relations that keep pointing where they were on purpose: the records of past merges are history
# ("A went into B" stays true after B goes into C; the aliases carry the forwarding).
_STAYS_WITH_MERGED = {(PatientMerge, "merged"), (PatientMerge, "survivor")}


class MergeIncomplete(ValidationError):
    """Rows still point at the merged record after every step ran; the merge was rolled back."""


def merge_step_register(name: str, func: MergeStep, *, covers: Iterable[tuple[type[models.Model], str]] = ()) -> None:
    """Run `func(survivor=, merged=, actor=)` in every merge; `covers` names the (model, field) it empties.

    Registering the same name again replaces the step (module reloads in tests).
    """
    _steps[name] = _Step(name, func, tuple(covers))


def merge_audit_row(
    *,
    actor: User,
    object_type: ObjectType,
    object_id: str,
    patient: Patient,
    merged: Patient,
    changed_fields: Iterable[str],
    action: str = Action.UPDATE,
    detail: str = "",
) -> None:
    """Record one row a merge step changed, as the app's own service would (names of fields, never values).

    `patient` is the row's patient after the merge (usually the survivor; for a row that only
    names the merged record, its own patient). The detail always names the merged MRN.
    """
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient.mrn,
        changed_fields=list(changed_fields),
        detail=(detail or f"moved from {merged.mrn} by merge")[:500],
    )


def merge_step_move(
    model: type[models.Model], field: str = "patient", *, audit_as: ObjectType | None = None
) -> MergeStep:
    """A step for rows that simply change hands: `model.field` = survivor, nothing to reconcile.

    With `audit_as` (the audit object type the app's services use) each moved row gets its own
    update event, keyed by the row's `public_id`; the model must have one.
    """

    def move(*, survivor: Patient, merged: Patient, actor: User) -> int:
        rows = model._default_manager.filter(**{field: merged})
        if not audit_as:
            return rows.update(**{field: survivor})
        # Lock and list first, then move exactly those: a row added meanwhile stays behind and the
        # safety net in patient_merge refuses the merge, so no row moves unaudited.
        locked = list(rows.select_for_update().order_by("pk").values_list("pk", "public_id"))
        moved = model._default_manager.filter(pk__in=[pk for pk, _ in locked]).update(**{field: survivor})
        for _pk, public_id in locked:
            merge_audit_row(
                actor=actor,
                object_type=audit_as,
                object_id=str(public_id),
                patient=survivor,
                merged=merged,
                changed_fields=[field],
            )
        return moved

    return move


def merge_steps() -> list[str]:
    return list(_steps)


def patient_relations() -> list[tuple[type[models.Model], str]]:
    """(model, field name) of every foreign key and one-to-one to Patient in the project."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Patient and (field.many_to_one or field.one_to_one):
                found.append((model, field.name))
    return found


def uncovered_relations() -> list[str]:
    """Relations to Patient that no registered step claims: each would block every merge that has such rows."""
    covered = {pair for step in _steps.values() for pair in step.covers} | _STAYS_WITH_MERGED
    return sorted(f"{m._meta.label}.{f}" for m, f in patient_relations() if (m, f) not in covered)


def rows_linked_to(patient: Patient) -> dict[str, int]:
    """Rows of each model that point at `patient` ("app.Model.field" -> count), non-zero only."""
    counts = {}
    for model, field in patient_relations():
        if (model, field) in _STAYS_WITH_MERGED:
            continue
        n = model._base_manager.filter(**{field: patient.pk}).count()
        if n:
            counts[f"{model._meta.label}.{field}"] = n
    return counts


def merge_preview(*, merged: Patient) -> list[tuple[str, int]]:
    """What a merge of `merged` would move: (plural model name, rows), for the confirmation page."""
    rows = []
    for label, n in rows_linked_to(merged).items():
        app_model, _field = label.rsplit(".", 1)
        model = apps.get_model(app_model)
        rows.append((str(model._meta.verbose_name_plural), n))
    return rows


def merge_alias_target(mrn: str) -> str | None:
    """The MRN of the patient that `mrn` was merged into, or None when `mrn` is no alias."""
    return PatientAlias.objects.filter(mrn=mrn).values_list("patient__mrn", flat=True).first()


def merge_refusal(*, survivor: Patient, merged: Patient) -> str:
    """Why these two cannot be merged ("" when they can)."""
    if survivor.pk == merged.pk:
        return "A record cannot be merged into itself. Choose the other (duplicate) record's MRN."
    for patient in (merged, survivor):
        target = merge_alias_target(patient.mrn)
        if target:
            return f"Record {patient.mrn} was already merged into {target}; it cannot be merged again."
    return ""


# --- Built-in steps --------------------------------------------------------------------------

# Survivor fields that are filled from the merged record when the survivor's are blank.
_FILLABLE = tuple(name for name in PLAIN_FIELDS if name not in ("status", "deceased_date", "first_name", "last_name"))


def _fill_blanks(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Keep the survivor's demographics; only blanks are filled from the merged record (kept in history)."""
    history = []
    for name in _FILLABLE:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if mine in ("", None) and theirs not in ("", None):
            setattr(survivor, name, theirs)
            history.append(PatientFieldChange(patient=survivor, field=name, new_value=str(theirs), changed_by=actor))
    if not survivor.ssn and merged.ssn:
        survivor.ssn, survivor.ssn_last4 = merged.ssn, merged.ssn_last4
        history.append(PatientFieldChange(patient=survivor, field="ssn", new_value=merged.ssn_masked, changed_by=actor))
    if history:
        survivor.save()
        PatientFieldChange.objects.bulk_create(history)
    return len(history)


def _move_phones(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """At most one phone of each kind: the survivor's stays; a different number it replaces is kept in history."""
    kept = {p.kind: p for p in survivor.phones.all()}
    moved = 0
    for phone in list(PatientPhone.objects.filter(patient=merged)):
        mine = kept.get(phone.kind)
        if mine is None:
            phone.patient = survivor
            phone.save(update_fields=["patient"])
            moved += 1
            continue
        if mine.number != phone.number:
            PatientFieldChange.objects.create(
                patient=survivor,
                field=f"phone_{phone.kind} (merged {merged.mrn})",
                old_value=phone.number,
                new_value=mine.number,
                changed_by=actor,
            )
        phone.delete()
    return moved


def _move_coverages(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Every coverage moves. One still active whose priority the survivor already fills is ended first.

    Ended, not deleted: claims may point at it, and coverage history is never overwritten. Its
    end date is today (or its effective date, if that is later).
    """
    today, now = clock.today(), clock.now()
    taken = set(Coverage.objects.filter(patient=survivor, ended_at__isnull=True).values_list("priority", flat=True))
    moved = 0
    for coverage in Coverage.objects.select_for_update().filter(patient=merged).order_by("pk"):
        fields = ["patient"]
        if coverage.ended_at is None and coverage.priority in taken:
            coverage.end_date = max(today, coverage.effective_date)
            coverage.ended_at, coverage.ended_by = now, actor
            coverage.end_reason = f"Merged from {merged.mrn}; the {coverage.priority} slot was taken."[:200]
            fields += ["end_date", "ended_at", "ended_by", "end_reason"]
        coverage.patient = survivor
        coverage.save(update_fields=fields)
        merge_audit_row(
            actor=actor,
            object_type=ObjectType.COVERAGE,
            object_id=str(coverage.public_id),
            patient=survivor,
            merged=merged,
            changed_fields=fields,
        )
        moved += 1
    return moved


def _move_history(*, survivor: Patient, merged: Patient, actor: User) -> int:
    return PatientFieldChange.objects.filter(patient=merged).update(patient=survivor)


def _move_aliases(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Records merged into `merged` earlier now lead to the survivor too."""
    return PatientAlias.objects.filter(patient=merged).update(patient=survivor)


def _rebuild_search(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """The merged record leaves the name index; the survivor's is rebuilt (blanks may have been filled)."""
    removed, _ = PatientSearchTerm.objects.filter(patient=merged).delete()
    PatientNamePair.objects.filter(patient=merged).delete()
    search_index_patient(survivor)
    return removed


merge_step_register("demographics", _fill_blanks)
merge_step_register("phones", _move_phones, covers=[(PatientPhone, "patient")])
merge_step_register("coverages", _move_coverages, covers=[(Coverage, "patient")])
merge_step_register("field history", _move_history, covers=[(PatientFieldChange, "patient")])
merge_step_register("aliases", _move_aliases, covers=[(PatientAlias, "patient")])
merge_step_register(
    "search index", _rebuild_search, covers=[(PatientSearchTerm, "patient"), (PatientNamePair, "patient")]
)


# --- The merge ---------------------------------------------------------------------------------


@transaction.atomic
def patient_merge(*, actor: User, survivor: Patient, merged: Patient) -> PatientMerge:
    """Fold `merged` into `survivor` in one transaction; returns the PatientMerge record.

    Raises ValidationError (field "merge") for a self-merge or an already merged record, and
    MergeIncomplete (rolling everything back) when rows would be left on the merged record.
    Both rows are locked first, lower primary key first, so two merges cannot interleave.
    """
    locked = {
        p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, merged.pk]).order_by("pk")
    }
    survivor, merged = locked[survivor.pk], locked[merged.pk]
    if refusal := merge_refusal(survivor=survivor, merged=merged):
        raise ValidationError({"merge": [refusal]})
    moved: dict[str, Any] = {}
    for step in list(_steps.values()):
        moved[step.name] = step.func(survivor=survivor, merged=merged, actor=actor)
    left = rows_linked_to(merged)
    if left:
        names = ", ".join(f"{label} ({n})" for label, n in left.items())
        raise MergeIncomplete(
            {"merge": [f"Nothing was merged: rows of {names} would stay on {merged.mrn}. No merge step moves them."]}
        )
    if record_is_restricted(patient_id=merged.mrn) and not record_is_restricted(patient_id=survivor.mrn):
        record_restrict(actor=actor, patient_id=survivor.mrn, note=f"merged from {merged.mrn}")
        moved["restricted"] = 1
    merged.status, merged.deceased_date = PatientStatus.INACTIVE, None
    merged.save(update_fields=["status", "deceased_date", "updated_at"])
    PatientAlias.objects.create(mrn=merged.mrn, patient=survivor)
    PatientFieldChange.objects.create(patient=survivor, field="merged", new_value=merged.mrn, changed_by=actor)
    record = PatientMerge.objects.create(
        survivor=survivor, merged=merged, merged_mrn=merged.mrn, merged_by=actor, moved=moved
    )
    summary = ",".join(f"{name}:{n}" for name, n in moved.items() if n)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT_MERGE,
        object_id=merged.mrn,
        patient_id=survivor.mrn,
        detail=f"merged {merged.mrn} into {survivor.mrn}; {summary}"[:500],
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT,
        object_id=survivor.mrn,
        patient_id=survivor.mrn,
        changed_fields=[name for name, n in moved.items() if n],
        detail=f"absorbed {merged.mrn}",
    )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        object_type=ObjectType.PATIENT,
        object_id=merged.mrn,
        patient_id=merged.mrn,
        changed_fields=["status"],
        detail=f"merged into {survivor.mrn}",
    )
    return record
