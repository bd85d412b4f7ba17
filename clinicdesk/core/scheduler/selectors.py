"""The scheduler's reads: each job's last run and next period, and who holds the standalone lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clinicdesk.core import clock

from .jobs import REGISTRY, Job
from .models import ScheduledRun, SchedulerLease
from .services import STANDALONE_LEASE


@dataclass(frozen=True)
class JobStatus:
    """One job as the status command shows it.

    ``last`` is its newest run (None: never ran). ``due`` is the start of the current period
    when that period has no run yet (a scheduler will queue it on its next pass), else None.
    ``next_period`` is when the following period starts.
    """

    job: Job
    last: ScheduledRun | None
    due: datetime | None
    next_period: datetime


def job_statuses(*, jobs: list[Job] | None = None) -> list[JobStatus]:
    """Every registered job (or ``jobs``), by name, as of the clock's current time."""
    now = clock.now()
    statuses = []
    for job in REGISTRY.all() if jobs is None else jobs:
        last = ScheduledRun.objects.filter(job=job.name).order_by("-period_start").first()
        current = job.period_at(now)
        due = None if last is not None and last.period_start >= current else current
        statuses.append(JobStatus(job=job, last=last, due=due, next_period=job.next_after(now)))
    return statuses


def scheduler_lease_current() -> SchedulerLease | None:
    """The standalone scheduler's lease if one is held and unexpired, else None."""
    return SchedulerLease.objects.filter(name=STANDALONE_LEASE, expires_at__gt=clock.now()).first()
