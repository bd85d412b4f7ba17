"""Merge steps for communication preferences, guarantors and privacy paperwork (see merge.py)."""

from __future__ import annotations

from django.utils import timezone

from clinicdesk.accounts.models import User

from .merge import merge_step_move, merge_step_register
from .models import CommPreference, CommPreferenceChange, Consent, Guarantor, NppAcknowledgment, Patient, Restriction
from .paperwork import PREFERENCE_FIELDS


def _merge_preferences(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """A channel only the merged record has moves; for a channel both have, the newer state wins.

    The merged row's change log moves onto the survivor's row (no consent fact is lost), then
    the emptied row is deleted.
    """
    kept = {p.channel: p for p in CommPreference.objects.select_for_update().filter(patient=survivor)}
    count = 0
    for pref in CommPreference.objects.select_for_update().filter(patient=merged):
        target = kept.get(pref.channel)
        if target is None:
            pref.patient = survivor
            pref.save(update_fields=["patient"])
        else:
            if pref.updated_at > target.updated_at:
                for name in (*PREFERENCE_FIELDS, "updated_at", "updated_by"):
                    setattr(target, name, getattr(pref, name))
                target.save()
            CommPreferenceChange.objects.filter(preference=pref).update(preference=target)
            pref.delete()
        count += 1
    return count


def _merge_guarantors(*, survivor: Patient, merged: Patient, actor: User) -> int:
    """Guarantor rows move; the merged record's current one is superseded when the survivor has one."""
    survivor_has_current = Guarantor.objects.filter(patient=survivor, superseded_at__isnull=True).exists()
    if survivor_has_current:
        Guarantor.objects.filter(patient=merged, superseded_at__isnull=True).update(
            superseded_at=timezone.now(), superseded_by=actor
        )
    moved = Guarantor.objects.filter(patient=merged).update(patient=survivor)
    return moved + Guarantor.objects.filter(guarantor_patient=merged).update(guarantor_patient=survivor)


merge_step_register("communication preferences", _merge_preferences, covers=[(CommPreference, "patient")])
merge_step_register("guarantors", _merge_guarantors, covers=[(Guarantor, "patient"), (Guarantor, "guarantor_patient")])
merge_step_register("NPP acknowledgments", merge_step_move(NppAcknowledgment), covers=[(NppAcknowledgment, "patient")])
merge_step_register("consents", merge_step_move(Consent), covers=[(Consent, "patient")])
merge_step_register("restrictions", merge_step_move(Restriction), covers=[(Restriction, "patient")])
