"""The one task the scheduler queues: run one ``ScheduledRun`` and record how it went.

Jobs are not queued as themselves, so that every run's outcome is written on its row whatever
the task backend (the test suite's runs tasks in place and keeps no results).
"""

from __future__ import annotations

from django_tasks import task


@task()
def run_scheduled_job(run_id: int) -> str:
    """Runs the job of ScheduledRun ``run_id``; returns the summary written on the row."""
    from .services import scheduled_run_execute

    return scheduled_run_execute(run_id=run_id)
