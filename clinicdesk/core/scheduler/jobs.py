"""Periodic jobs: what runs when, and the period a moment belongs to.

A job is a name, a schedule and the function (or django-tasks task) to call. Each app
registers its jobs in its ``AppConfig.ready()``::

    periodic(name="reminders.send", every=timedelta(minutes=15), task=reminders_send)
    daily(name="accounts.sessions_cleanup", at="03:15", task=sessions_cleanup)

A schedule cuts time into periods, and a job runs once per period. The period's start is its
identity in the ``ScheduledRun`` table, whose unique (job, period_start) pair is what makes a
run happen once however many schedulers are looking (see ``services.scheduler_tick``).

- ``periodic`` periods are aligned to the Unix epoch in UTC: every 15 minutes means :00, :15,
  :30 and :45 of every UTC hour, unaffected by daylight-saving changes.
- ``daily`` periods start at a wall-clock time in a time zone (the practice's by default).
  On the night the clocks go forward, a time that does not exist that day (02:30 in New York)
  starts its period at the moment of the jump (03:00 local); on the night they go back, a time
  that happens twice (01:30) starts its period at the first of the two. Either way there is
  exactly one period per calendar day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from clinicdesk.core import clock
from clinicdesk.core.datetimes import time_text

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")


def _callable_of(task: Any) -> Callable[[], Any]:
    """The function to call for ``task``: a django-tasks Task runs its own function in place
    (the scheduler's own task is what went through the queue), a plain callable runs as is."""
    from django_tasks.base import Task

    if isinstance(task, Task):
        return task.call
    if not callable(task):
        raise ImproperlyConfigured(f"A scheduled job needs a task or a function, not {task!r}.")
    return task


@dataclass(frozen=True)
class PeriodicJob:
    """Runs once in every ``every`` (aligned to the Unix epoch, UTC)."""

    name: str
    every: timedelta
    run: Callable[[], Any]

    def period_at(self, moment: datetime) -> datetime:
        """The start of the period ``moment`` falls in (the latest start at or before it)."""
        return EPOCH + ((moment - EPOCH) // self.every) * self.every

    def next_after(self, moment: datetime) -> datetime:
        """The start of the first period after the one ``moment`` falls in."""
        return self.period_at(moment) + self.every

    def describe(self) -> str:
        seconds = int(self.every.total_seconds())
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds % size == 0:
                count = seconds // size
                return f"every {unit}" if count == 1 else f"every {count} {unit}s"
        return f"every {seconds} seconds"


@dataclass(frozen=True)
class DailyJob:
    """Runs once a day at ``at`` wall-clock time in ``zone_key`` (None: the practice's zone)."""

    name: str
    at: time
    zone_key: str | None
    run: Callable[[], Any]

    @property
    def zone(self) -> tzinfo:
        return clock.zone_named(self.zone_key)

    def start_on(self, day: date) -> datetime:
        """The UTC moment the period of local calendar day ``day`` starts.

        An ambiguous wall time (clocks going back) is its first occurrence; a skipped one
        (clocks going forward) is the moment of the jump.
        """
        zone = self.zone
        wall = datetime.combine(day, self.at)
        first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if first.astimezone(zone).replace(tzinfo=None) == wall:
            return first
        # Skipped: between the two readings of the wall time the clocks jumped. Search for the
        # first second whose local time is past it, which is the jump itself.
        before = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        low, high = min(before, first), max(before, first)
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if middle.astimezone(zone).replace(tzinfo=None) > wall:
                high = middle
            else:
                low = middle
        return high.replace(microsecond=0)

    def period_at(self, moment: datetime) -> datetime:
        """The start of the period ``moment`` falls in: today's time if it has passed, else yesterday's."""
        day = moment.astimezone(self.zone).date()
        start = self.start_on(day)
        return start if start <= moment else self.start_on(day - timedelta(days=1))

    def next_after(self, moment: datetime) -> datetime:
        """The start of the first period after the one ``moment`` falls in."""
        day = moment.astimezone(self.zone).date()
        start = self.start_on(day)
        return start if start > moment else self.start_on(day + timedelta(days=1))

    def describe(self) -> str:
        zone = self.zone_key or str(clock.zone_named(None))
        return f"daily at {time_text(self.at)} {zone}"


Job = PeriodicJob | DailyJob


class Registry:
    """The jobs of this process, by name. Apps fill it in ``ready()``; the scheduler reads it."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def add(self, job: Job) -> Job:
        """Register ``job``. The same definition twice is harmless; a different one under a
        taken name is a configuration error (two apps would fight over one history)."""
        if not NAME.match(job.name):
            raise ImproperlyConfigured(
                f"Scheduled job name {job.name!r}: use lower-case letters, digits, '.', '_' or '-' (at most 100)."
            )
        existing = self._jobs.get(job.name)
        if existing is not None and existing != job:
            raise ImproperlyConfigured(f"Two different scheduled jobs are named {job.name!r}.")
        self._jobs[job.name] = job
        return job

    def remove(self, name: str) -> None:
        self._jobs.pop(name, None)

    def get(self, name: str) -> Job | None:
        return self._jobs.get(name)

    def all(self) -> list[Job]:
        return [self._jobs[name] for name in sorted(self._jobs)]


REGISTRY = Registry()


def periodic(*, name: str, every: timedelta, task: Any, registry: Registry = REGISTRY) -> PeriodicJob:
    """Register a job that runs once in every ``every`` (at least one second, whole seconds)."""
    if every < timedelta(seconds=1) or every % timedelta(seconds=1):
        raise ImproperlyConfigured(f"Scheduled job {name!r}: `every` must be whole seconds, at least one.")
    job = PeriodicJob(name=name, every=every, run=_callable_of(task))
    registry.add(job)
    return job


def daily(*, name: str, at: str | time, task: Any, zone: str | None = None, registry: Registry = REGISTRY) -> DailyJob:
    """Register a job that runs once a day at ``at`` ("HH:MM") in ``zone`` (None: the practice's zone)."""
    if isinstance(at, str):
        try:
            at = time.fromisoformat(at)
        except ValueError:
            raise ImproperlyConfigured(
                f"Scheduled job {name!r}: `at` must be a time like '02:30', not {at!r}."
            ) from None
    if zone is not None:
        clock.zone_named(zone)  # an unknown zone fails here, at start-up, not at 2 a.m.
    job = DailyJob(name=name, at=at.replace(tzinfo=None), zone_key=zone, run=_callable_of(task))
    registry.add(job)
    return job
