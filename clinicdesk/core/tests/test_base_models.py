from __future__ import annotations

import uuid
from datetime import UTC, datetime

from django.apps import apps
from django.db import models

from clinicdesk.core.models import PublicIdModel, TimestampedModel


def _concrete_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if not m._meta.abstract and not m._meta.proxy]


def test_every_model_with_a_public_id_inherits_the_base_model():
    with_public_id = [m for m in _concrete_models() if any(f.name == "public_id" for f in m._meta.fields)]
    strays = [m._meta.label for m in with_public_id if not issubclass(m, PublicIdModel)]
    assert with_public_id, "no model has a public id: the walk found nothing"
    assert strays == []


def test_every_public_id_is_the_base_models_field():
    # A model that re-declares public_id (another default, not unique) would still pass the
    # subclass check above; the field must be the one the base defines.
    base = PublicIdModel._meta.get_field("public_id").deconstruct()[1:]
    for model in _concrete_models():
        if issubclass(model, PublicIdModel):
            assert model._meta.get_field("public_id").deconstruct()[1:] == base, model._meta.label


def test_models_keeping_both_timestamps_as_the_base_does_take_them_from_it():
    created = TimestampedModel._meta.get_field("created_at").deconstruct()[1:]
    updated = TimestampedModel._meta.get_field("updated_at").deconstruct()[1:]
    for model in _concrete_models():
        if not issubclass(model, PublicIdModel):
            continue
        names = {f.name: f for f in model._meta.fields}
        if "created_at" in names and "updated_at" in names:
            same = names["created_at"].deconstruct()[1:] == created and names["updated_at"].deconstruct()[1:] == updated
            assert issubclass(model, TimestampedModel) == same, model._meta.label


def test_a_new_record_gets_a_random_public_id_and_the_clocks_time(clock, db):
    from clinicdesk.scheduling.models import Location

    clock.set(datetime(2026, 12, 31, 23, 59, tzinfo=UTC))
    first = Location.objects.create(name="North", time_zone="America/New_York")
    second = Location.objects.create(name="South", time_zone="America/New_York")
    assert isinstance(first.public_id, uuid.UUID) and first.public_id != second.public_id
    assert first.created_at == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def test_updated_at_is_the_clocks_time_on_every_save_and_every_auto_now_field_reads_the_clock(clock, db):
    from clinicdesk.core.models import ClockDateTimeField
    from clinicdesk.scheduling.models import Location

    clock.set(datetime(2027, 3, 14, 6, 59, tzinfo=UTC))
    location = Location.objects.create(name="North", time_zone="America/New_York")
    assert location.updated_at == datetime(2027, 3, 14, 6, 59, tzinfo=UTC)
    clock.advance(minutes=90)
    location.name = "North Clinic"
    location.save()
    location.refresh_from_db()
    assert location.updated_at == datetime(2027, 3, 14, 8, 29, tzinfo=UTC)
    auto = [
        f"{model._meta.label}.{f.name}"
        for model in _concrete_models()
        if model.__module__.startswith("clinicdesk.")
        for f in model._meta.fields
        if isinstance(f, models.DateTimeField)
        and (f.auto_now or f.auto_now_add)
        and not isinstance(f, ClockDateTimeField)
    ]
    assert auto == []  # Django's own auto_now reads the system clock, not the project's
