"""The scheduler's loops: a thread inside each task worker, and the standalone `clinicdesk scheduler`.

Both call ``scheduler_tick`` every few seconds. Any number of them may run: the database lets
one run per job and period through. A database error in one pass is logged and the next pass
tries again, so a restart of PostgreSQL does not stop scheduling.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from django.db import DatabaseError, close_old_connections

from clinicdesk.core import datetimes

from .services import Me, process_label, scheduler_lease_acquire, scheduler_lease_release, scheduler_tick

logger = logging.getLogger("clinicdesk.scheduler")

DEFAULT_INTERVAL = 15.0


def tick_safely(*, holder: str) -> None:
    """One pass of the scheduler; an error is logged, never raised (the next pass retries)."""
    try:
        close_old_connections()
        scheduler_tick(holder=holder)
    except Exception:
        logger.exception("scheduler: this pass failed; the next one tries again")
    finally:
        close_old_connections()


class SchedulerThread(threading.Thread):
    """Runs the scheduler beside a task worker, every ``interval`` seconds, until ``stop()``.

    A daemon thread: when the worker exits, so does it (a pass is one transaction per run,
    so stopping in the middle loses nothing).
    """

    def __init__(self, *, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(name="clinicdesk-scheduler", daemon=True)
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        holder = f"worker on {process_label()}"
        logger.info("scheduler: running in this worker (%s), a pass every %s s", holder, self.interval)
        try:
            while not self.stopping.is_set():
                tick_safely(holder=holder)
                self.stopping.wait(self.interval)
        finally:
            from django.db import connection

            connection.close()

    def stop(self) -> None:
        self.stopping.set()


def run_standalone(*, interval: float, say: Callable[[str], None], stopping: threading.Event) -> None:
    """The `clinicdesk scheduler` loop: schedule while holding the lease, stand by otherwise.

    A second standalone scheduler says who is running and stands by; it takes over when the
    lease expires (the first was killed, or lost its database) or is released (stopped
    cleanly). Returns when ``stopping`` is set, releasing the lease if held.
    """
    me = Me.this_process()
    # Four passes long: a slow pass or a short database hiccup does not hand the lease over,
    # and a killed scheduler's stand-in takes over within a minute at the default interval.
    ttl = timedelta(seconds=max(4 * interval, 1.0))
    holding = False
    standing_by = False
    try:
        while not stopping.is_set():
            try:
                close_old_connections()
                state = scheduler_lease_acquire(me=me, ttl=ttl)
                if state.held:
                    if not holding:
                        taken = f", taking over from {state.took_over_from}" if state.took_over_from else ""
                        say(f"Scheduler running on {me.label}{taken}; a pass every {interval:g} s.")
                    holding, standing_by = True, False
                    scheduler_tick(holder=f"scheduler on {me.label}")
                else:
                    if holding:
                        say(f"Scheduler on {me.label} lost its lease to {state.host} (pid {state.pid}); standing by.")
                    elif not standing_by:
                        since = datetimes.local(state.since)
                        say(
                            f"A scheduler is already running on {state.host} (pid {state.pid}) since "
                            f"{datetimes.datetime_text(since, since.tzinfo, seconds=True)} {since.tzname()}; "
                            "this one will stand by and take over if it stops."
                        )
                    holding, standing_by = False, True
            except DatabaseError as exc:
                say(f"Scheduler: database error ({exc}); trying again in {interval:g} s.")
            finally:
                close_old_connections()
            stopping.wait(interval)
    finally:
        if holding:
            try:
                scheduler_lease_release(me=me)
            except DatabaseError:
                pass  # the lease simply expires and a standing-by scheduler takes over then
