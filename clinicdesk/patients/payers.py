"""The payer directory: writes (create, update) and reads. Payers hold no PHI.

Payers are never deleted (coverages and claims point at them); one that is no longer used is
made inactive and is then not offered for new coverages.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record

from .models import Payer, PayerType
from .services import phone_e164
from .us import STATES, zip_normalize


@dataclass
class PayerInput:
    name: str
    payer_type: str
    payer_id: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    phone: str = ""
    active: bool = True


PAYER_FIELDS = tuple(f.name for f in fields(PayerInput))


def _clean(data: PayerInput) -> dict[str, Any]:
    values = {name: getattr(data, name) for name in PAYER_FIELDS}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
            if "\x00" in value:  # PostgreSQL cannot store it; nobody types it
                errors[name] = ["Remove the invisible control character from this field."]
    if not values["name"]:
        errors["name"] = ["Enter the payer's name as the clearinghouse lists it."]
    if values["payer_type"] not in PayerType.values:
        errors["payer_type"] = ["Choose the kind of payer (commercial, Medicare, Medicaid, ...)."]
    values["payer_id"] = values["payer_id"].upper()
    if values["payer_id"] and not values["payer_id"].replace("-", "").isalnum():
        errors["payer_id"] = ["The X12 payer id has only letters and digits, e.g. 00431 or SX107."]
    if values["payer_type"] not in (PayerType.SELF_PAY, "") and not values["payer_id"]:
        errors["payer_id"] = ["Enter the X12 payer id from the clearinghouse list; claims cannot go out without it."]
    if values["state"]:
        values["state"] = values["state"].upper()
        if values["state"] not in STATES:
            errors["state"] = ["Use the two-letter USPS code, e.g. NY."]
    if values["zip_code"]:
        try:
            values["zip_code"] = zip_normalize(values["zip_code"])
        except ValueError as exc:
            errors["zip_code"] = [str(exc)]
    if values["phone"]:
        try:
            values["phone"] = phone_e164(values["phone"])
        except ValueError as exc:
            errors["phone"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return values


@transaction.atomic
def payer_create(*, actor: User, data: PayerInput) -> Payer:
    """Add a payer to the directory. Raises ValidationError by field."""
    values = _clean(data)
    payer = Payer.objects.create(**values)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.PAYER,
        object_id=payer.public_id,
        changed_fields=[name for name, value in values.items() if value not in ("", None)],
    )
    return payer


@transaction.atomic
def payer_update(*, actor: User, payer: Payer, data: PayerInput) -> list[str]:
    """Change a payer; returns the names of the fields that really changed (audited when any did)."""
    values = _clean(data)
    changed = [name for name, value in values.items() if getattr(payer, name) != value]
    if changed:
        for name in changed:
            setattr(payer, name, values[name])
        payer.save()
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.PAYER,
            object_id=payer.public_id,
            changed_fields=changed,
        )
    return changed


def payer_list(*, include_inactive: bool = True) -> QuerySet[Payer]:
    payers = Payer.objects.all()
    return payers if include_inactive else payers.filter(active=True)


def payer_get(*, public_id: Any) -> Payer:
    """The payer with `public_id`; Http404 when there is none."""
    try:
        return Payer.objects.get(public_id=public_id)
    except (Payer.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404 from exc


def payer_find(*, public_id: Any) -> Payer | None:
    """The payer with `public_id`, or None (the coverage service then names the field)."""
    return Payer.objects.filter(public_id=public_id).first()
