"""The clinical part of a patient merge: every clinical row of the duplicate moves to the survivor.

Registered with the patients app's merge (`merge_step_register`); each step runs inside the
merge's transaction and writes one audit event per row it changes (field names, never text).

Encounters (and with them their notes, addenda, diagnoses and prescriptions, which hang off
the encounter and are not touched, so signed notes stay exactly as signed), vitals, problems,
medications and amendment requests simply change hands. The database refuses to move an
encounter with a signed note to another patient (clinical/triggers.py); the merge is the one
legitimate move (the two records are one person), so the encounter step lifts that guard inside
the merge's transaction only, and only when the duplicate has such an encounter (on PostgreSQL
lifting locks the encounter table until the merge commits). Two kinds of row are reconciled:

- Allergies. "No known allergies" and an active allergy never stand together, and a patient
  has at most one active NKA (a unique index): when the two records disagree the allergy wins
  (the safe reading) and the NKA statement is ended (inactive, kept); when both say NKA, the
  survivor's stays and the duplicate's ends. The same substance active on both records: the
  survivor's entry stays active and the duplicate's is inactivated (kept in the history).
- Recalls. An open recall of the duplicate for the same visit type and provider as an open
  recall of the survivor is closed as a duplicate (with that reason), so the front desk does
  not call the patient twice for one follow-up.

- Problems. A patient has one active entry per code (a unique index). The same code active on
  both records: the survivor's entry stays active and the duplicate's moves as entered in
  error (kept, with the reason in its audit event), so the list does not show it twice.
"""

from __future__ import annotations

from typing import Any

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import ObjectType
from clinicdesk.core import clock, row_guards
from clinicdesk.patients.merge import merge_audit_row, merge_step_move, merge_step_register
from clinicdesk.patients.models import Patient

from . import triggers
from .models import (
    Allergy,
    AllergyStatus,
    AmendmentRequest,
    Encounter,
    Medication,
    NoteStatus,
    Problem,
    ProblemStatus,
    Recall,
    RecallStatus,
    Vitals,
)
from .recalls import OPEN_STATUSES


def _hand_over(
    row: Any,
    fields: list[str],
    detail: str,
    *,
    survivor: Patient,
    merged: Patient,
    actor: User,
    object_type: ObjectType,
) -> None:
    """Move one reconciled row to the survivor: save the changed `fields` and audit them."""
    row.patient = survivor
    stamp = ["updated_at"] if any(f.name == "updated_at" for f in row._meta.concrete_fields) else []
    row.save(update_fields=[*fields, *stamp])
    merge_audit_row(
        actor=actor,
        object_type=object_type,
        object_id=str(row.public_id),
        patient=survivor,
        merged=merged,
        changed_fields=fields,
        detail=detail,
    )


def _allergies(*, survivor: Patient, merged: Patient, actor: User) -> int:
    mine = list(Allergy.objects.select_for_update().filter(patient=survivor, status=AllergyStatus.ACTIVE))
    theirs = list(Allergy.objects.select_for_update().filter(patient=merged).order_by("pk"))
    my_substances = {a.substance.lower() for a in mine if not a.no_known_allergies}
    my_nka = [a for a in mine if a.no_known_allergies]
    their_active = [a for a in theirs if a.status == AllergyStatus.ACTIVE]
    they_have_allergies = any(not a.no_known_allergies for a in their_active)
    for allergy in theirs:
        fields, detail = ["patient"], ""
        if allergy.status == AllergyStatus.ACTIVE:
            if allergy.no_known_allergies and (my_nka or my_substances or they_have_allergies):
                allergy.status = AllergyStatus.INACTIVE
                fields.append("status")
                detail = f"moved from {merged.mrn} by merge; no known allergies ended (the merged record lists allergies or NKA)"
            elif not allergy.no_known_allergies and allergy.substance.lower() in my_substances:
                allergy.status = AllergyStatus.INACTIVE
                fields.append("status")
                detail = f"moved from {merged.mrn} by merge; inactivated as a duplicate of an active allergy"
        _hand_over(
            allergy, fields, detail, survivor=survivor, merged=merged, actor=actor, object_type=ObjectType.ALLERGY
        )
    if they_have_allergies:
        for nka in my_nka:
            nka.status = AllergyStatus.INACTIVE
            nka.save(update_fields=["status", "updated_at"])
            merge_audit_row(
                actor=actor,
                object_type=ObjectType.ALLERGY,
                object_id=str(nka.public_id),
                patient=survivor,
                merged=merged,
                changed_fields=["status"],
                detail=f"no known allergies ended: record {merged.mrn}, merged in, lists allergies",
            )
    return len(theirs)


def _problems(*, survivor: Patient, merged: Patient, actor: User) -> int:
    active_mine = set(
        Problem.objects.filter(patient=survivor, status=ProblemStatus.ACTIVE).values_list("code", flat=True)
    )
    theirs = list(Problem.objects.select_for_update().filter(patient=merged).order_by("pk"))
    for problem in theirs:
        fields, detail = ["patient"], ""
        if problem.status == ProblemStatus.ACTIVE and problem.code in active_mine:
            problem.status = ProblemStatus.IN_ERROR
            fields.append("status")
            detail = f"moved from {merged.mrn} by merge; a duplicate of the survivor's active entry for the code"
        _hand_over(
            problem, fields, detail, survivor=survivor, merged=merged, actor=actor, object_type=ObjectType.PROBLEM
        )
    return len(theirs)


def _recalls(*, survivor: Patient, merged: Patient, actor: User) -> int:
    now = clock.now()
    open_mine = {
        (r.appointment_type_id, r.provider_id)
        for r in Recall.objects.filter(patient=survivor, status__in=OPEN_STATUSES)
    }
    theirs = list(Recall.objects.select_for_update().filter(patient=merged).order_by("pk"))
    for recall in theirs:
        fields, detail = ["patient"], ""
        if recall.status in OPEN_STATUSES and (recall.appointment_type_id, recall.provider_id) in open_mine:
            recall.status = RecallStatus.CLOSED
            recall.closed_at, recall.closed_by = now, actor
            recall.closed_reason = f"Duplicate of an open recall of record {survivor.mrn} (records merged)"
            fields += ["status", "closed_at", "closed_by", "closed_reason"]
            detail = f"moved from {merged.mrn} by merge; closed as a duplicate"
        _hand_over(recall, fields, detail, survivor=survivor, merged=merged, actor=actor, object_type=ObjectType.RECALL)
    return len(theirs)


_move_encounters = merge_step_move(Encounter, audit_as=ObjectType.ENCOUNTER)


def _encounters(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Move every encounter of `merged`; the signed-encounter guard is lifted only if one is signed.

    The encounters are locked before the look, so a note signed meanwhile waits for the merge.
    """
    list(Encounter.objects.select_for_update().filter(patient=merged).values_list("pk", flat=True))
    signed = Encounter.objects.filter(patient=merged, note__status=NoteStatus.SIGNED).exists()
    guard = row_guards.guard_of(triggers.ENCOUNTER) if signed else None
    with row_guards.lifted(guard):
        return _move_encounters(survivor=survivor, merged=merged, actor=actor)


merge_step_register("clinical encounters", _encounters, covers=[(Encounter, "patient")])
merge_step_register(
    "clinical vitals", merge_step_move(Vitals, audit_as=ObjectType.VITALS), covers=[(Vitals, "patient")]
)
merge_step_register("clinical problems", _problems, covers=[(Problem, "patient")])
merge_step_register(
    "clinical medications",
    merge_step_move(Medication, audit_as=ObjectType.MEDICATION),
    covers=[(Medication, "patient")],
)
merge_step_register("clinical allergies", _allergies, covers=[(Allergy, "patient")])
merge_step_register("clinical recalls", _recalls, covers=[(Recall, "patient")])
merge_step_register(
    "clinical amendment requests",
    merge_step_move(AmendmentRequest, audit_as=ObjectType.AMENDMENT_REQUEST),
    covers=[(AmendmentRequest, "patient")],
)
