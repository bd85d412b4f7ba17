"""Real processes for the multi-process tests: app servers, workers and schedulers on the test database.

``Processes`` starts each with its output in a log file, and stops every one of them (and
their children) however the test ends.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """DATABASE_URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(settings_module: str = "clinicdesk.tests.servers_settings", **extra: str) -> dict[str, str]:
    """The environment of a started process: this test's database and keys, nothing of the demo."""
    env = {k: v for k, v in os.environ.items() if k not in ("CLINICDESK_DEMO", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=database_url(),
        CLINICDESK_SECRET_KEY=settings.SECRET_KEY,
        CLINICDESK_ENCRYPTION_KEYS=settings.CLINICDESK_ENCRYPTION_KEYS,
        CLINICDESK_BLIND_INDEX_KEY=settings.CLINICDESK_BLIND_INDEX_KEY,
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


def wait_until(check: Callable[[], object], *, seconds: float, what: str, logs: list[Path] | None = None):
    """``check()``'s first truthy answer, polled until ``seconds`` pass; then fail naming ``what``."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer:
            return answer
        if time.monotonic() > deadline:
            tails = "".join(f"\n--- {log.name}:\n{log.read_text()[-3000:]}" for log in logs or [])
            raise AssertionError(f"waited {seconds:g} s for {what}{tails}")
        time.sleep(0.1)


def fetch(url: str, *, timeout: float = 30) -> tuple[int, str]:
    """(status, body) of GET ``url``; (0, why) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def healthy(url: str) -> Callable[[], bool]:
    """A check for ``wait_until``: /healthz of ``url`` answers 200 (the last answer is kept for the failure message)."""
    last: list[str] = []

    def check() -> bool:
        status, body = fetch(f"{url}/healthz")
        last[:] = [f"{status} {body}"]
        return status == 200

    check.last = last  # type: ignore[attr-defined]  # read by the test when waiting fails
    return check


def children_of(pid: int) -> list[int]:
    """The direct child processes of ``pid`` (Linux /proc)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text()

    def port(self, seconds: float = 90) -> int:
        """The port gunicorn (this process or one it started) listens on, read from its log."""
        found = wait_until(
            lambda: re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.output()),
            seconds=seconds,
            what=f"{self.name} to listen",
            logs=[self.log],
        )
        return int(found.group(1))


class Processes:
    """Processes started for one test, each in its own process group, all stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[Started] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> Started:
        log = self.folder / f"{name}.log"
        # The nightly backup job runs (late) as soon as a worker starts: into this test's folder.
        env = {"CLINICDESK_BACKUP_DIR": str(self.folder / "backups"), **env}
        with open(log, "wb") as out:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                [sys.executable, *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        started = Started(name=name, process=process, log=log)
        self.started.append(started)
        return started

    def app_server(self, name: str, env: dict[str, str]) -> Started:
        """A gunicorn app server on a free loopback port (``Started.port()`` reads which).

        One process with four threads boots faster than several processes on a busy test
        machine; the long timeout lets a request that queues for the SQLite write lock on
        such a machine finish instead of being killed by gunicorn (which answers 500 then).
        """
        args = ["-m", "gunicorn", "clinicdesk.wsgi:application", "--bind", "127.0.0.1:0", "--workers", "1"]
        # No control socket: every gunicorn on a machine would share its one default path.
        extra = ["--threads", "4", "--timeout", "120", "--graceful-timeout", "2", "--no-control-socket"]
        return self.start(name, [*args, *extra], env)

    def stop_all(self) -> None:
        for each in self.started:
            if each.process.poll() is None:
                try:
                    os.killpg(each.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for each in self.started:
            try:
                each.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(each.pid, signal.SIGKILL)  # whatever is left of its group (gunicorn's workers)
            except ProcessLookupError:
                pass
            if each.process.poll() is None:
                each.process.wait(timeout=5)
