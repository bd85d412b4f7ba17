"""The core app's tables (the scheduler's, clinicdesk/core/scheduler/models.py) and the abstract
base models every app's records inherit."""

from __future__ import annotations

import uuid

from django.db import models

from . import clock
from .scheduler.models import RunOutcome, ScheduledRun, SchedulerLease

__all__ = ["ClockDateTimeField", "PublicIdModel", "RunOutcome", "ScheduledRun", "SchedulerLease", "TimestampedModel"]


class ClockDateTimeField(models.DateTimeField):
    """A DateTimeField whose `auto_now` / `auto_now_add` read the project's clock, not the system's.

    Django fills `auto_now` fields from its own `timezone.now()`; a frozen test clock or a
    practice-time setting would not reach them. This field is stored and migrated exactly as a
    DateTimeField (its deconstructed path is Django's), so using it changes no table.
    """

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        if self.auto_now or (self.auto_now_add and add):
            value = clock.now()
            setattr(model_instance, self.attname, value)
            return value
        return super().pre_save(model_instance, add)

    def deconstruct(self):  # type: ignore[no-untyped-def]  # Django's own signature is untyped
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DateTimeField", args, kwargs


class PublicIdModel(models.Model):
    """A record named outside the server by `public_id`, a random UUID; the integer key stays inside.

    URLs, API payloads and audit events carry `public_id` only. Look a record up by it with
    `core.lookups.get_or_404` or `uuid_or_404`, which answer 404 for a malformed id too.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class TimestampedModel(PublicIdModel):
    """A `PublicIdModel` that also keeps when it was created (the clock's time) and last saved.

    `updated_at` is set by every `save()`, and not by `QuerySet.update()`, which bypasses it.
    """

    created_at = models.DateTimeField(default=clock.now)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        abstract = True
