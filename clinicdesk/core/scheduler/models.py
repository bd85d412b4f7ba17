"""The scheduler's tables: one row per run of a job and period, and the standalone scheduler's lease."""

from __future__ import annotations

from django.db import models

from clinicdesk.core.datetimes import datetime_text


class RunOutcome(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"


class ScheduledRun(models.Model):
    """One run of one job for one period.

    The row is inserted in the same transaction as the task that runs it is queued, and the
    database refuses a second row for the same job and period: that constraint, not timing or
    a lock, is why a job runs once per period however many schedulers are running. A run
    interrupted by a worker dying keeps ``running`` (the queue does not retry it).
    """

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    enqueued_at = models.DateTimeField()
    enqueued_by = models.CharField(max_length=200)
    # Queued more than a few minutes after its period began (the schedulers were all down).
    late = models.BooleanField(default=False)
    task_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices, default=RunOutcome.QUEUED)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ran_by = models.CharField(max_length=200, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-period_start", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="scheduled_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.job} for {datetime_text(self.period_start, seconds=True)} ({self.outcome})"


class SchedulerLease(models.Model):
    """Which standalone `clinicdesk scheduler` process is the active one, until ``expires_at``.

    The active one renews it on every pass; another one stands by and takes it over once it
    has expired (the holder stopped or died). It only keeps standalone schedulers from doing
    the same work twice; it guarantees nothing about runs (``ScheduledRun`` does).
    """

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=200)
    host = models.CharField(max_length=200)
    pid = models.IntegerField()
    since = models.DateTimeField()
    renewed_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.host} (pid {self.pid})"
