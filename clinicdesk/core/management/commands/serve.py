from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve ClinicDesk (gunicorn) with a task worker beside it. Ctrl-C stops both."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("CLINICDESK_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("CLINICDESK_WEB_WORKERS", "3")))
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(self, *args, **options):
        # In development WhiteNoise serves static files straight from the app folders.
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        procs: list[subprocess.Popen] = []
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "clinicdesk.settings"}
        web = [
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
        ]
        procs.append(subprocess.Popen(web, env=env))  # noqa: S603  (our own interpreter and fixed arguments)
        if not options["no_worker"]:
            procs.append(subprocess.Popen([sys.executable, "-m", "clinicdesk", "worker"], env=env))  # noqa: S603
        self.stdout.write(self.style.SUCCESS(f"ClinicDesk is at http://{options['bind']}/  (Ctrl-C stops it)"))

        def stop(*_):
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(p.poll() is None for p in procs):
                try:
                    procs[0].wait(timeout=1)
                except subprocess.TimeoutExpired:
                    continue
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p for p in procs if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            self.stderr.write(f"A process stopped with exit code {failed[0].returncode}.")
            sys.exit(1)
