"""Periodic jobs for the task worker: registered by apps, queued once per period by the database.

Apps register jobs in ``AppConfig.ready()`` with ``periodic`` or ``daily`` (see ``jobs``);
every task worker runs a scheduler pass every few seconds (``loop.SchedulerThread``), and
``clinicdesk scheduler`` runs one on its own. ``services.scheduler_tick`` queues each run
exactly once however many passes race for it. Operator guide: docs/scheduled-jobs.md.
"""

from .jobs import REGISTRY, DailyJob, PeriodicJob, daily, periodic

__all__ = ["REGISTRY", "DailyJob", "PeriodicJob", "daily", "periodic"]
