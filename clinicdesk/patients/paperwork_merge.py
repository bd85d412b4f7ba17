"""Merge steps for communication preferences, guarantors, privacy paperwork and the accounting of
disclosures (see merge.py).

Every row of the merged record that a step moves, folds or re-points gets one audit event of
the object type the paperwork services use (`comm_preference`, `guarantor`, `npp_ack`,
`consent`, `restriction`), like the coverage step does; the merge's own event counts them per
step.
"""

from __future__ import annotations

from django.db.models import Q

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.core import clock

from .merge import merge_audit_row, merge_step_move, merge_step_register
from .models import (
    CommPreference,
    CommPreferenceChange,
    Consent,
    Disclosure,
    Guarantor,
    GuarantorKind,
    GuarantorRelationship,
    NppAcknowledgment,
    Patient,
    PatientFieldChange,
    Restriction,
)
from .paperwork import PREFERENCE_FIELDS


def _merge_preferences(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """A channel only the merged record has moves; for a channel both have, the newer state wins.

    The merged row's change log moves onto the survivor's row (no consent fact is lost), then
    the emptied row is deleted; its audit event (a delete) names the row it was folded into.
    """
    kept = {p.channel: p for p in CommPreference.objects.select_for_update().filter(patient=survivor)}
    count = 0
    for pref in CommPreference.objects.select_for_update().filter(patient=merged).order_by("pk"):
        target = kept.get(pref.channel)
        if target is None:
            pref.patient = survivor
            pref.save(update_fields=["patient"])
            merge_audit_row(
                actor=actor,
                object_type=ObjectType.COMM_PREFERENCE,
                object_id=str(pref.public_id),
                patient=survivor,
                merged=merged,
                changed_fields=["patient"],
            )
        else:
            taken: list[str] = []
            newer = pref.updated_at > target.updated_at
            if newer:
                taken = [name for name in PREFERENCE_FIELDS if getattr(target, name) != getattr(pref, name)]
                for name in (*PREFERENCE_FIELDS, "updated_at", "updated_by"):
                    setattr(target, name, getattr(pref, name))
                target.save()
            history = CommPreferenceChange.objects.filter(preference=pref).update(preference=target)
            pref.delete()
            merge_audit_row(
                actor=actor,
                action=Action.DELETE,
                object_type=ObjectType.COMM_PREFERENCE,
                object_id=str(pref.public_id),
                patient=survivor,
                merged=merged,
                changed_fields=taken,
                detail=(
                    f"from {merged.mrn} by merge: folded into {target.public_id}, {history} history rows moved, "
                    f"{'its newer state kept' if newer else 'the survivor state kept'}"
                ),
            )
        count += 1
    return count


def _names_own_record(survivor: Patient, merged: Patient) -> Q:
    """Guarantor rows of either record that name either record: after the merge each would name its own patient."""
    pair = [survivor.pk, merged.pk]
    return Q(patient__in=pair, guarantor_patient__in=pair)


def _merge_guarantors(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Guarantor rows move; the merged record's current one is superseded when the survivor has one.

    Rows of other patients that named the merged record now name the survivor. Rows that would
    end up naming their own patient are left to the next step ("guarantors now self").
    """
    now = clock.now()
    survivor_has_current = Guarantor.objects.filter(patient=survivor, superseded_at__isnull=True).exists()
    rows = (
        Guarantor.objects.select_for_update()
        .select_related("patient")
        .filter(Q(patient=merged) | Q(guarantor_patient=merged))
        .exclude(_names_own_record(survivor, merged))
        .order_by("pk")
    )
    count = 0
    for row in rows:
        changed = []
        if row.patient_id == merged.pk:
            if row.superseded_at is None and survivor_has_current:
                row.superseded_at, row.superseded_by = now, actor
                changed += ["superseded_at", "superseded_by"]
            row.patient = survivor
            changed.append("patient")
        if row.guarantor_patient_id == merged.pk:
            row.guarantor_patient = survivor
            changed.append("guarantor_patient")
        row.save(update_fields=changed)
        merge_audit_row(
            actor=actor,
            object_type=ObjectType.GUARANTOR,
            object_id=str(row.public_id),
            patient=row.patient,
            merged=merged,
            changed_fields=changed,
        )
        count += 1
    return count


def _guarantors_now_self(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """A guarantor row of either record that names the other one becomes "self": they are one person now.

    Left as it was it would name its own patient, which the guarantor service refuses ("choose
    self instead"). The row is rewritten in place, not superseded, because merging says it was
    always the patient's own bill; the old value goes into the survivor's change history and
    the row gets an audit event. A current row from the merged record is superseded when the
    survivor already has a current guarantor, as in the step before.
    """
    now = clock.now()
    survivor_has_current = Guarantor.objects.filter(patient=survivor, superseded_at__isnull=True).exists()
    rows = (
        Guarantor.objects.select_for_update()
        .select_related("guarantor_patient")
        .filter(_names_own_record(survivor, merged))
        .order_by("pk")
    )
    count = 0
    for row in rows:
        changed = ["kind", "guarantor_patient", "relationship"]
        named = row.guarantor_patient.mrn if row.guarantor_patient else "?"
        was = f"patient {named} ({row.get_relationship_display()})"
        if row.patient_id == merged.pk:
            if row.superseded_at is None and survivor_has_current:
                row.superseded_at, row.superseded_by = now, actor
                changed += ["superseded_at", "superseded_by"]
            row.patient = survivor
            changed.append("patient")
        row.kind, row.guarantor_patient, row.relationship = (
            GuarantorKind.SELF,
            None,
            GuarantorRelationship.SELF,
        )
        row.save(update_fields=changed)
        PatientFieldChange.objects.create(
            patient=survivor,
            field=f"guarantor (merged {merged.mrn})",
            old_value=was,
            new_value=GuarantorKind.SELF,
            changed_by=actor,
        )
        merge_audit_row(
            actor=actor,
            object_type=ObjectType.GUARANTOR,
            object_id=str(row.public_id),
            patient=survivor,
            merged=merged,
            changed_fields=changed,
            detail=f"named {named}; the same patient after merging {merged.mrn}, so now self",
        )
        count += 1
    return count


merge_step_register("communication preferences", _merge_preferences, covers=[(CommPreference, "patient")])
merge_step_register("guarantors", _merge_guarantors, covers=[(Guarantor, "patient"), (Guarantor, "guarantor_patient")])
merge_step_register(
    "guarantors now self", _guarantors_now_self, covers=[(Guarantor, "patient"), (Guarantor, "guarantor_patient")]
)
merge_step_register(
    "NPP acknowledgments",
    merge_step_move(NppAcknowledgment, audit_as=ObjectType.NPP_ACK),
    covers=[(NppAcknowledgment, "patient")],
)
merge_step_register("consents", merge_step_move(Consent, audit_as=ObjectType.CONSENT), covers=[(Consent, "patient")])
merge_step_register(
    "restrictions", merge_step_move(Restriction, audit_as=ObjectType.RESTRICTION), covers=[(Restriction, "patient")]
)
# The accounting of disclosures follows the person: the survivor's accounting lists what was
# disclosed from either record (the rows themselves never change otherwise).
merge_step_register(
    "disclosures", merge_step_move(Disclosure, audit_as=ObjectType.DISCLOSURE), covers=[(Disclosure, "patient")]
)
