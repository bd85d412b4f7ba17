from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from clinicdesk.core.scheduler.loop import DEFAULT_INTERVAL, SchedulerThread, tick_safely
from clinicdesk.core.scheduler.services import process_label


class Command(BaseCommand):
    help = (
        "Run the background task worker (database-backed queue) with the scheduler of periodic jobs "
        "beside it. Ctrl-C stops it after the current task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Queue due periodic jobs, run the due tasks, exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls of the queue.")
        parser.add_argument("--no-scheduler", action="store_true", help="Do not queue periodic jobs from this worker.")
        parser.add_argument(
            "--scheduler-interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help=f"Seconds between the scheduler's passes (default {DEFAULT_INTERVAL:g}).",
        )

    def handle(self, *args, **options):
        if not options["no_scheduler"]:
            if options["batch"]:
                tick_safely(holder=f"worker on {process_label()}")
            else:
                SchedulerThread(interval=options["scheduler_interval"]).start()
        extra = ["--batch"] if options["batch"] else []
        # No auto-reloader: it would run the worker as a child of this process, and `serve`
        # (which restarts a worker that dies) must see the worker itself.
        call_command("db_worker", "--interval", str(options["interval"]), "--no-reload", *extra)
