from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger("clinicdesk.serve")

# A worker that dies is started again after 1 s, then 2, 4, ... at most this long; one that
# ran this long before dying counts as healthy, and the next restart waits 1 s again.
MAX_BACKOFF = 60.0
HEALTHY_AFTER = 60.0


def _log_to_stderr() -> None:
    """The supervisor's messages go to stderr whatever CLINICDESK_LOG_LEVEL says."""
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s [serve] %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


class Command(BaseCommand):
    help = (
        "Serve ClinicDesk (gunicorn) with a task worker beside it. A worker that dies is restarted "
        "(waiting 1 s, 2 s, ... up to 60 s); the web server keeps serving. Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CLINICDESK_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CLINICDESK_WEB_WORKERS", "3")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(self, *args, **options):
        _log_to_stderr()
        # In development WhiteNoise serves static files straight from the app folders.
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinicdesk.settings"}
        web_command = [
            sys.executable,
            "-m",
            "gunicorn",
            "clinicdesk.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
            # Django refuses an over-long address itself, as problem details or a readable page
            # (core/refusals.py, CLINICDESK_MAX_URL_BYTES); gunicorn's own limit (4094 bytes)
            # would answer first with a bare HTML 414. 0 lifts it; a header may hold 16 KB, so
            # a Referer carrying the longest accepted address still fits.
            "--limit-request-line",
            "0",
            "--limit-request-field_size",
            "16384",
            # gunicorn's control socket has one default path per user: several servers on one
            # machine would take it from each other, and ClinicDesk does not use it.
            "--no-control-socket",
        ]
        worker_command = [sys.executable, "-m", "clinicdesk", "worker"]
        web = subprocess.Popen(web_command, env=env)  # noqa: S603  (our own interpreter and fixed arguments)
        worker = Supervised(worker_command, env) if not options["no_worker"] else None
        self.stdout.write(self.style.SUCCESS(f"ClinicDesk is at http://{options['bind']}/  (Ctrl-C stops it)"))
        self.stdout.flush()

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and web.poll() is None:
                if worker is not None:
                    worker.check()
                try:
                    web.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            stopping = True
        finally:
            if worker is not None:
                worker.stop()
            if web.poll() is None:
                web.send_signal(signal.SIGTERM)
            try:
                web.wait(timeout=10)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait()
            if worker is not None:
                worker.wait()
        if not stopping:
            self.stderr.write(f"The web server stopped with exit code {web.returncode}; stopping the task worker too.")
            sys.exit(1)


class Supervised:
    """The task worker as a child process that is started again whenever it dies.

    ``check()`` (called about twice a second) notices a death, logs it with the exit code, and
    starts a new worker once the back-off delay has passed.
    """

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command = command
        self.env = env
        self.backoff = 1.0
        self.restart_at: float | None = None
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603  (our own interpreter)
        self.started = time.monotonic()
        self.restart_at = None
        logger.info("task worker started (pid %s)", self.process.pid)

    def check(self) -> None:
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.start()
            return
        if self.process is None or self.process.poll() is None:
            return
        if now - self.started >= HEALTHY_AFTER:
            self.backoff = 1.0
        logger.warning(
            "task worker (pid %s) stopped unexpectedly with exit code %s; restarting it in %g s",
            self.process.pid,
            self.process.returncode,
            self.backoff,
        )
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)

    def stop(self) -> None:
        self.restart_at = None
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
