"""Finding a record by its public id, the one way: a malformed id is a 404 (or a 422), never a 500.

    uuid_or_404("3f1c…")                       -> UUID("3f1c…"); Http404 for "", "x", "\\x00", 40 chars
    get_or_404(Room.objects.all(), public_id)  -> the Room; Http404 for missing and malformed alike
    one_active(Provider, "provider", public_id, active=True)
                                               -> the Provider; ValidationError on "provider"

A URL path or query may hold anything a person types; the database must never see it: a
PostgreSQL uuid column refuses "x" with an error that would be a 500, and a NUL byte breaks
the query on either database.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

M = TypeVar("M", bound=Model)


def uuid_or_none(value: Any) -> uuid.UUID | None:
    """`value` as a UUID, or None for anything that is not one (None, "", too long, NUL, not hex)."""
    if isinstance(value, uuid.UUID):
        return value
    if not isinstance(value, str):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def uuid_or_404(value: Any) -> uuid.UUID:
    """`value` as a UUID; Http404 for anything that is not one, alike with a missing record."""
    found = uuid_or_none(value)
    if found is None:
        raise Http404
    return found


def get_or_404(queryset: QuerySet[M], public_id: Any) -> M:
    """The one row of `queryset` with `public_id`; Http404 when it is missing or the id is malformed."""
    row = queryset.filter(public_id=uuid_or_404(public_id)).first()
    if row is None:
        raise Http404
    return row


def one_active(model: type[Model], field: str, public_id: Any, setup: Any = None, **active: Any) -> Any:
    """The row of `model` with `public_id` (None for None); ValidationError naming `field` when
    there is none or the id is malformed (a 422 through the API). Typed Any: callers use the
    row as the model they named, and a required id never gives None.

    With `setup` (a scheduling SetupSnapshot, for setup models only) the row comes from it, no
    query; otherwise `active` filters (`active=True`) apply.
    """
    if public_id is None:
        return None
    wanted = uuid_or_none(public_id)
    found = None
    if wanted is not None:
        if setup is not None:
            found = setup.active(model, wanted)
        else:
            found = model._default_manager.filter(public_id=wanted, **active).first()
    if found is None:
        raise ValidationError({field: [f"No active {model._meta.verbose_name} has this id."]})
    return found
