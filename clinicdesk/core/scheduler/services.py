"""The scheduler's writes: queue due runs once, run them, hold the standalone lease, prune history."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction

from clinicdesk.core import clock

from .jobs import REGISTRY, Job
from .models import RunOutcome, ScheduledRun, SchedulerLease
from .tasks import run_scheduled_job

logger = logging.getLogger("clinicdesk.scheduler")

# A run queued more than this long after its period began is marked late (a catch-up).
LATE_AFTER = timedelta(minutes=5)
STANDALONE_LEASE = "scheduler"
KEEP_RUNS = timedelta(days=90)
KEEP_TASK_RESULTS_DAYS = 30


def process_label() -> str:
    """This process as people read it: "host (pid 1234)"."""
    return f"{socket.gethostname()} (pid {os.getpid()})"


def scheduler_tick(*, holder: str, jobs: list[Job] | None = None) -> list[ScheduledRun]:
    """Queue one run of every job whose current period has none yet. Returns the runs queued here.

    Only the current period of each job is considered: after all schedulers were down for a
    while (the whole night), a job runs once for the latest period it missed, not once per
    missed period. Several schedulers may call this at the same moment; the unique
    (job, period_start) constraint lets exactly one of them queue each run and the others
    skip it.
    """
    now = clock.now()
    made = []
    for job in REGISTRY.all() if jobs is None else jobs:
        period = job.period_at(now)
        if ScheduledRun.objects.filter(job=job.name, period_start=period).exists():
            continue
        run = _enqueue_once(job=job, period=period, now=now, holder=holder)
        if run is not None:
            made.append(run)
    return made


def _enqueue_once(*, job: Job, period: datetime, now: datetime, holder: str) -> ScheduledRun | None:
    """Insert the run row and queue its task in one transaction; None when another scheduler won."""
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(
                job=job.name,
                period_start=period,
                enqueued_at=now,
                enqueued_by=holder[:200],
                late=now - period > LATE_AFTER,
            )
            # The database queue writes its task row on this same connection, inside this
            # transaction: the run row and its task are committed together or not at all.
            result = run_scheduled_job.enqueue(run_id=run.pk)
            ScheduledRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])
    except IntegrityError:
        logger.info("scheduler: %s for %s was queued by another scheduler", job.name, period.isoformat())
        return None
    logger.info("scheduler: queued %s for %s", job.name, period.isoformat())
    return ScheduledRun.objects.get(pk=run.pk)


def scheduled_run_execute(*, run_id: int) -> str:
    """Run the job of ScheduledRun ``run_id`` and write the outcome on the row.

    Returns a short summary of what the job returned. A job that raises is recorded as
    failed (exception class and message) and the exception goes on to the task queue, which
    logs it. A run whose row was pruned meanwhile does nothing; a job no longer registered in
    this process (removed from the code) fails with a message saying so.
    """
    run = ScheduledRun.objects.filter(pk=run_id).first()
    if run is None:
        return "the run was removed before it started"
    rows = ScheduledRun.objects.filter(pk=run_id)
    rows.update(outcome=RunOutcome.RUNNING, started_at=clock.now(), ran_by=process_label()[:200])
    job = REGISTRY.get(run.job)
    try:
        if job is None:
            raise LookupError(f"No scheduled job named {run.job!r} is registered in this process.")
        value = job.run()
    except BaseException as exc:  # also a worker told to stop mid-run, so the row never says "running" for ever
        rows.update(outcome=RunOutcome.FAILED, finished_at=clock.now(), detail=f"{type(exc).__name__}: {exc}"[:500])
        raise
    summary = _summary(value)
    rows.update(outcome=RunOutcome.SUCCEEDED, finished_at=clock.now(), detail=summary)
    return summary


def _summary(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())[:500]
    return str(value)[:500]


# --- the standalone scheduler's lease ------------------------------------------------------


@dataclass(frozen=True)
class Me:
    """One scheduler process: ``token`` tells two processes apart even when a pid is reused."""

    host: str
    pid: int
    token: str

    @classmethod
    def this_process(cls) -> Me:
        host, pid = socket.gethostname(), os.getpid()
        return cls(host=host[:200], pid=pid, token=f"{host}:{pid}:{uuid.uuid4().hex[:12]}"[:200])

    @property
    def label(self) -> str:
        return f"{self.host} (pid {self.pid})"


@dataclass(frozen=True)
class LeaseState:
    """Who holds the lease after an attempt to take it: ``held`` says whether it is this process.

    ``took_over_from`` names the previous holder when this attempt took an expired lease.
    """

    held: bool
    host: str
    pid: int
    since: datetime
    expires_at: datetime
    took_over_from: str | None = None


@transaction.atomic
def scheduler_lease_acquire(*, me: Me, ttl: timedelta) -> LeaseState:
    """Take or renew the standalone scheduler's lease for ``ttl``; refused while another holds it.

    The lease is free when nobody has it or its holder let it expire (stopped without
    releasing it, crashed, lost the database). Renewing keeps ``since``.
    """
    now = clock.now()
    lease, created = SchedulerLease.objects.select_for_update().get_or_create(
        name=STANDALONE_LEASE,
        defaults={
            "holder": me.token,
            "host": me.host,
            "pid": me.pid,
            "since": now,
            "renewed_at": now,
            "expires_at": now + ttl,
        },
    )
    previous = None
    if not created:
        if lease.holder != me.token and lease.expires_at > now:
            return LeaseState(
                held=False, host=lease.host, pid=lease.pid, since=lease.since, expires_at=lease.expires_at
            )
        if lease.holder != me.token:
            previous = f"{lease.host} (pid {lease.pid})"
            lease.holder, lease.host, lease.pid, lease.since = me.token, me.host, me.pid, now
        lease.renewed_at, lease.expires_at = now, now + ttl
        lease.save()
    return LeaseState(
        held=True, host=me.host, pid=me.pid, since=lease.since, expires_at=lease.expires_at, took_over_from=previous
    )


def scheduler_lease_release(*, me: Me) -> bool:
    """Give the lease up (a clean stop), so a standing-by scheduler takes over at once. True if held."""
    return SchedulerLease.objects.filter(name=STANDALONE_LEASE, holder=me.token).delete()[0] > 0


# --- housekeeping ------------------------------------------------------------------------


def scheduler_history_prune() -> dict[str, int]:
    """Delete runs older than 90 days (keeping each job's latest, which the status shows) and,
    on the database queue, finished task results older than 30 days. Returns how many went."""
    from django.core.management import call_command
    from django.db.models import Max
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    cutoff = clock.now() - KEEP_RUNS
    old = ScheduledRun.objects.filter(period_start__lt=cutoff)
    for newest in ScheduledRun.objects.values("job").annotate(last=Max("period_start")):
        old = old.exclude(job=newest["job"], period_start=newest["last"])
    runs, _ = old.delete()
    tasks = 0
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        before = DBTaskResult.objects.count()
        # The queue's own command: its rows carry the queue's (real) time, not the clinic's clock.
        call_command(
            "prune_db_task_results", "--queue-name", "*", "--min-age-days", str(KEEP_TASK_RESULTS_DAYS), verbosity=0
        )
        tasks = before - DBTaskResult.objects.count()
    return {"runs": runs, "task results": tasks}
