"""Several app servers and workers on one database (issue 10 point 6).

Two gunicorn servers and two task workers, each with its scheduler, run as real processes
against this test's database (PostgreSQL in the group-practice setup; SQLite too). Bookings of
one slot raced over both servers make one appointment; the heartbeat job runs once per period
with both schedulers looking; a sign-in on one server is a sign-in on the other.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import time as time_of_day
from datetime import timedelta

from django_tasks_db.models import DBTaskResult

from clinicdesk.accounts.services import api_token_create
from clinicdesk.core import clock
from clinicdesk.core.models import RunOutcome, ScheduledRun, SchedulerLease
from clinicdesk.scheduling.models import HOLDING_STATUSES, Appointment
from clinicdesk.scheduling.setup import HoursInput
from clinicdesk.scheduling.tests.factories import (
    make_location,
    make_patient,
    make_provider,
    make_room,
    make_template,
    make_type,
)
from conftest import PASSWORD, enrol_totp, make_staff, totp_now

from .processes import healthy, process_env, wait_until

HEARTBEAT_SECONDS = 2


def _next_monday_at_10_new_york():
    local = clock.local_now("America/New_York") + timedelta(days=7)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=10, minute=0, second=0, microsecond=0)


def _start_practice(processes):
    """Two app servers and two workers; returns the servers' base URLs once both answer."""
    env = process_env(
        CLINICDESK_TEST_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS),
        CLINICDESK_LOG_LEVEL="INFO",
        CLINICDESK_SETUP_SNAPSHOT_PAST_DAYS="3650",
    )
    servers = [processes.app_server(f"app{n}", env) for n in (1, 2)]
    workers = [
        processes.start(
            f"worker{n}", ["-m", "clinicdesk", "worker", "--interval", "0.2", "--scheduler-interval", "0.25"], env
        )
        for n in (1, 2)
    ]
    urls = [f"http://127.0.0.1:{server.port()}" for server in servers]
    for url, server in zip(urls, servers, strict=True):
        check = healthy(url)
        try:
            wait_until(check, seconds=180, what=f"{url}/healthz", logs=[server.log])
        except AssertionError as failure:
            raise AssertionError(f"{failure}\nlast answer: {check.last}") from None
    return urls, workers


def _race_bookings(urls, token, bodies):
    barrier = threading.Barrier(len(bodies))
    answers: list[tuple[int, str]] = []

    def attempt(n, body):
        request = urllib.request.Request(
            f"{urls[n % 2]}/api/v1/scheduling/appointments",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
                answers.append((response.status, response.read().decode()))
        except urllib.error.HTTPError as error:
            answers.append((error.code, error.read().decode()))

    threads = [threading.Thread(target=attempt, args=(n, body)) for n, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


class Browser:
    """A person's browser: one cookie jar, whichever server it talks to."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def csrf(self) -> str:
        return next(c.value or "" for c in self.jar if c.name == "csrftoken")

    def get(self, url: str) -> tuple[int, str, str]:
        """(status, final URL after redirects, page text)."""
        try:
            with self.opener.open(url, timeout=30) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()

    def post(self, url: str, fields: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), **fields}).encode()
        try:
            with self.opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=30) as response:
                return response.status, response.url, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, url, error.read().decode()


def test_two_app_servers_and_two_workers_share_one_database_safely(processes):
    office_manager = make_staff("om-servers", "office_manager")
    front_desk = make_staff("fd-servers", "front_desk", display_name="Fiona Desk")
    secret = enrol_totp(front_desk)
    clinician = make_staff("dr-servers", "clinician")
    every_weekday = [HoursInput(weekday=d, opens=time_of_day(8), closes=time_of_day(17)) for d in range(5)]
    location = make_location(office_manager, opening_hours=every_weekday)
    make_room(office_manager, location)
    provider = make_provider(office_manager, clinician, [location])
    make_template(office_manager, provider, location, clock.today("America/New_York") - timedelta(days=1),
                  [(d, "08:00", "17:00") for d in range(5)])  # fmt: skip
    kind = make_type(office_manager, [provider])
    token = api_token_create(actor=front_desk, name="servers", days=1)[1]
    patients = [make_patient(front_desk, f"Racer{n}", "Servers") for n in range(12)]
    at = _next_monday_at_10_new_york()
    urls, workers = _start_practice(processes)

    # Bookings of one slot, raced over both servers: one is made, every other one is refused.
    bodies = [
        {
            "patient_mrn": p.mrn,
            "provider": str(provider.public_id),
            "location": str(location.public_id),
            "appointment_type": str(kind.public_id),
            "starts_at": at.isoformat(),
        }
        for p in patients
    ]
    answers = _race_bookings(urls, token, bodies)
    assert sorted(status for status, _ in answers) == [201] + [409] * 11, answers
    assert Appointment.objects.filter(provider=provider, status__in=HOLDING_STATUSES).count() == 1

    # The heartbeat job, with both workers' schedulers looking every 0.25 s, runs once a period.
    # Counted from the newest period queued so far: each process's clock is its own.
    newest = ScheduledRun.objects.filter(job="test.heartbeat").order_by("-period_start").first()
    since = newest.period_start if newest else clock.now() - timedelta(days=1)
    wait_until(
        lambda: (
            ScheduledRun.objects.filter(
                job="test.heartbeat", period_start__gt=since, outcome=RunOutcome.SUCCEEDED
            ).count()
            >= 4
        ),
        seconds=180,
        what="four heartbeat periods run",
        logs=[w.log for w in workers],
    )
    runs = list(ScheduledRun.objects.filter(job="test.heartbeat").order_by("period_start"))
    starts = [r.period_start for r in runs]
    assert len(starts) == len(set(starts))
    assert all(
        (b - a) % timedelta(seconds=HEARTBEAT_SECONDS) == timedelta(0) for a, b in zip(starts, starts[1:], strict=False)
    )
    queued = [
        t.args_kwargs["kwargs"]["run_id"]
        for t in DBTaskResult.objects.filter(task_path="clinicdesk.core.scheduler.tasks.run_scheduled_job")
    ]
    heartbeat_ids = {r.pk for r in runs}
    assert sorted(i for i in queued if i in heartbeat_ids) == sorted(heartbeat_ids)  # one task per run, no more
    finished = [r for r in runs if r.outcome == RunOutcome.SUCCEEDED]
    assert all(r.detail.startswith("beat in pid ") and r.started_at and r.finished_at for r in finished)
    for worker in workers:  # both schedulers were really looking
        assert "scheduler: running in this worker" in worker.output(), worker.output()[-2000:]

    # A sign-in on one server is a sign-in on the other, and so is signing out.
    browser = Browser()
    browser.get(f"{urls[0]}/account/login/")
    status, landed, _ = browser.post(f"{urls[0]}/account/login/", {"login": front_desk.username, "password": PASSWORD})
    assert status == 200 and "/2fa/authenticate" in landed, landed
    status, landed, page = browser.post(landed, {"code": totp_now(secret)})
    assert status == 200 and urllib.parse.urlparse(landed).path == "/", landed
    status, landed, page = browser.get(f"{urls[1]}/")
    assert status == 200 and urllib.parse.urlparse(landed).path == "/" and "Fiona Desk" in page
    status, landed, _ = browser.post(f"{urls[1]}/account/logout/", {})
    assert status == 200
    status, landed, _ = browser.get(f"{urls[0]}/")
    assert urllib.parse.urlparse(landed).path == "/account/login/"


def test_a_second_standalone_scheduler_says_who_runs_stands_by_and_takes_over_when_that_one_dies(processes):
    env = process_env(CLINICDESK_TEST_HEARTBEAT_SECONDS=str(HEARTBEAT_SECONDS))
    command = ["-m", "clinicdesk", "scheduler", "--interval", "0.5"]
    first = processes.start("scheduler1", command, env)
    wait_until(lambda: "Scheduler running on" in first.output(), seconds=180, what="the first scheduler",
               logs=[first.log])  # fmt: skip
    second = processes.start("scheduler2", command, env)
    message = wait_until(
        lambda: re.search(r"A scheduler is already running on (\S+) \(pid (\d+)\) since (.+); (.+)", second.output()),
        seconds=180,
        what="the second scheduler's message",
        logs=[second.log],
    )
    assert int(message.group(2)) == first.pid
    assert message.group(4) == "this one will stand by and take over if it stops."
    assert f"(pid {second.pid})" not in " ".join(r.enqueued_by for r in ScheduledRun.objects.all())

    first.process.kill()  # no clean stop: the lease is left to expire (4 passes, 2 s)
    first.process.wait(timeout=10)
    wait_until(
        lambda: f"taking over from {message.group(1)} (pid {first.pid})" in second.output(),
        seconds=60,
        what="the take-over",
        logs=[second.log],
    )
    # Nothing lost: the heartbeat keeps being queued, now by the second scheduler.
    wait_until(
        lambda: ScheduledRun.objects.filter(job="test.heartbeat", enqueued_by__contains=f"(pid {second.pid})").exists(),
        seconds=60,
        what="a heartbeat queued by the second scheduler",
        logs=[second.log],
    )
    lease = SchedulerLease.objects.get()
    assert lease.pid == second.pid

    second.process.terminate()
    assert second.process.wait(timeout=20) == 0
    assert "Scheduler stopped." in second.output() and not SchedulerLease.objects.exists()
