"""The core app's tables: the scheduler's (clinicdesk/core/scheduler/models.py)."""

from .scheduler.models import RunOutcome, ScheduledRun, SchedulerLease

__all__ = ["RunOutcome", "ScheduledRun", "SchedulerLease"]
