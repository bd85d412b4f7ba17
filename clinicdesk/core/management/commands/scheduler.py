from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from clinicdesk.core import datetimes
from clinicdesk.core.scheduler.loop import DEFAULT_INTERVAL, run_standalone
from clinicdesk.core.scheduler.selectors import job_statuses, scheduler_lease_current
from clinicdesk.core.scheduler.services import process_label, scheduler_tick


class Command(BaseCommand):
    help = (
        "Periodic jobs. `clinicdesk scheduler` runs a standalone scheduler (one at a time; a second one "
        "stands by); `status` lists each job's last run and next period; `once` queues what is due now and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", nargs="?", default="run", choices=["run", "status", "once"])
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help=f"Seconds between passes of `run` (default {DEFAULT_INTERVAL:g}).",
        )

    def handle(self, *args, **options):
        try:
            if options["action"] == "status":
                self._status()
            elif options["action"] == "once":
                runs = scheduler_tick(holder=f"`scheduler once` on {process_label()}")
                for run in runs:
                    self.stdout.write(f"Queued {run.job} for the period starting {_local(run.period_start)}.")
                if not runs:
                    self.stdout.write("Nothing was due.")
            else:
                self._run(options["interval"])
        except DatabaseError as exc:
            raise CommandError(f"The database is not reachable or not migrated ({exc}).") from exc

    def _run(self, interval: float) -> None:
        if interval <= 0:
            raise CommandError("--interval must be more than 0 seconds.")
        stopping = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        try:
            run_standalone(interval=interval, say=say, stopping=stopping)
        except KeyboardInterrupt:
            stopping.set()
        say("Scheduler stopped.")

    def _status(self) -> None:
        rows = [("job", "schedule", "last run (period)", "outcome", "next period")]
        for status in job_statuses():
            last = status.last
            if last is None:
                last_text, outcome = "never", ""
            else:
                last_text = _local(last.period_start) + (" (late)" if last.late else "")
                outcome = last.outcome + (f" — {last.detail}" if last.detail else "")
            if status.due is not None:
                outcome = (outcome + "; " if outcome else "") + f"due now (period of {_local(status.due)})"
            rows.append((status.job.name, status.job.describe(), last_text, outcome, _local(status.next_period)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            self.stdout.write(
                "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]])
            )
        lease = scheduler_lease_current()
        if lease is None:
            self.stdout.write("\nNo standalone scheduler holds the lease (task workers schedule by themselves).")
        else:
            self.stdout.write(
                f"\nStandalone scheduler: {lease.host} (pid {lease.pid}) since {_local(lease.since)}, "
                f"last seen {_local(lease.renewed_at)}."
            )


def _local(moment) -> str:
    local = datetimes.local(moment)
    return f"{datetimes.datetime_text(local, local.tzinfo, seconds=True)} {local.tzname()}"
