"""The scheduler: one run per job and period, whatever the clocks and however many schedulers."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from clinicdesk.core.models import RunOutcome, ScheduledRun, SchedulerLease
from clinicdesk.core.scheduler import REGISTRY, daily, periodic
from clinicdesk.core.scheduler.jobs import Registry
from clinicdesk.core.scheduler.selectors import job_statuses
from clinicdesk.core.scheduler.services import (
    Me,
    scheduler_history_prune,
    scheduler_lease_acquire,
    scheduler_lease_release,
    scheduler_tick,
)

NEW_YORK = ZoneInfo("America/New_York")
DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class Calls:
    """A job function that counts its calls and can be told to fail."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.moments: list[datetime] = []
        self.fail = fail

    def __call__(self):
        from clinicdesk.core import clock

        self.moments.append(clock.now())
        if self.fail is not None:
            raise self.fail
        return {"done": len(self.moments)}


@pytest.fixture
def register():
    """`register(maker, **kwargs)` registers a job for this test only and returns it."""
    names = []

    def _register(maker, **kwargs):
        job = maker(**kwargs)
        names.append(job.name)
        return job

    yield _register
    for name in names:
        REGISTRY.remove(name)


def _runs(name):
    return list(ScheduledRun.objects.filter(job=name).order_by("period_start"))


def _walk(clock, jobs, start, end, step=timedelta(minutes=10)):
    """Tick every `step` from `start` to `end` (inclusive), as a scheduler checking on a timer would."""
    clock.set(start)
    while clock.at <= end:
        scheduler_tick(holder="test", jobs=jobs)
        clock.advance(step)


def test_a_periodic_job_runs_once_per_period_however_often_the_scheduler_looks(db, clock, register):
    calls = Calls()
    job = register(periodic, name="test.every-15", every=timedelta(minutes=15), task=calls)
    clock.set(datetime(2026, 5, 4, 13, 2, tzinfo=UTC))
    for _ in range(10):
        scheduler_tick(holder="test", jobs=[job])
        clock.advance(seconds=45)  # 13:02 to 13:09:45: all in the 13:00 period
    clock.set(datetime(2026, 5, 4, 13, 15, tzinfo=UTC))
    scheduler_tick(holder="test", jobs=[job])
    runs = _runs("test.every-15")
    assert [r.period_start for r in runs] == [
        datetime(2026, 5, 4, 13, 0, tzinfo=UTC),
        datetime(2026, 5, 4, 13, 15, tzinfo=UTC),
    ]
    assert len(calls.moments) == 2
    assert all(r.outcome == RunOutcome.SUCCEEDED and r.started_at and r.finished_at for r in runs)
    assert runs[0].detail == "done: 1" and not runs[0].late


@pytest.mark.parametrize(
    ("at", "day", "expected_start"),
    [
        # Spring forward (2026-03-08): 02:30 does not exist; the run starts at the jump, 03:00 EDT.
        ("02:30", "2026-03-08", datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        ("01:30", "2026-03-08", datetime(2026, 3, 8, 6, 30, tzinfo=UTC)),  # 01:30 EST, before the jump
        # Fall back (2026-11-01): 01:30 happens twice; the run is at the first, 01:30 EDT.
        ("01:30", "2026-11-01", datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
        ("02:30", "2026-11-01", datetime(2026, 11, 1, 7, 30, tzinfo=UTC)),  # 02:30 EST, after the repeat
    ],
)
def test_a_daily_job_runs_once_on_the_nights_the_clocks_change(db, clock, register, at, day, expected_start):
    calls = Calls()
    job = register(daily, name="test.nightly", at=at, zone="America/New_York", task=calls)
    midnight = datetime.combine(datetime.fromisoformat(day).date(), datetime.min.time(), tzinfo=NEW_YORK)
    # From the evening before to the morning after, a pass every 10 minutes (UTC steps, so the
    # repeated hour of the fall-back night is walked through twice in local time).
    _walk(clock, [job], midnight - timedelta(hours=4), midnight + timedelta(hours=30))
    runs = [r for r in _runs("test.nightly") if r.period_start.astimezone(NEW_YORK).date().isoformat() == day]
    assert [r.period_start for r in runs] == [expected_start]
    on_that_day = [m for m in calls.moments if m.astimezone(NEW_YORK).date().isoformat() == day]
    assert len(on_that_day) == 1 and expected_start <= on_that_day[0] < expected_start + timedelta(minutes=10)


def test_a_daily_job_follows_the_practice_time_zone_when_none_is_given(db, clock, register, settings):
    settings.TIME_ZONE = "America/Chicago"
    job = register(daily, name="test.nightly-local", at="02:00", task=Calls())
    clock.set(datetime(2026, 7, 1, 6, 59, tzinfo=UTC))  # 01:59 in Chicago
    assert job.period_at(clock.at) == datetime(2026, 6, 30, 7, 0, tzinfo=UTC)
    assert job.next_after(clock.at) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert job.describe() == "daily at 2:00 AM America/Chicago"


def test_after_a_night_without_any_scheduler_only_the_latest_missed_period_runs(db, clock, register):
    calls = Calls()
    job = register(periodic, name="test.hourly", every=timedelta(hours=1), task=calls)
    clock.set(datetime(2026, 2, 10, 22, 5, tzinfo=UTC))
    scheduler_tick(holder="test", jobs=[job])
    clock.set(datetime(2026, 2, 11, 7, 40, tzinfo=UTC))  # every server was down for the night
    scheduler_tick(holder="test", jobs=[job])
    scheduler_tick(holder="test", jobs=[job])
    runs = _runs("test.hourly")
    assert [(r.period_start.hour, r.late) for r in runs] == [(22, False), (7, True)]
    assert len(calls.moments) == 2


def test_a_failing_job_is_recorded_with_its_message_and_the_next_period_still_runs(db, clock, register):
    calls = Calls(fail=ValueError("the payer file is missing"))
    job = register(periodic, name="test.fails", every=timedelta(minutes=5), task=calls)
    clock.set(datetime(2026, 4, 1, 9, 1, tzinfo=UTC))
    scheduler_tick(holder="test", jobs=[job])
    clock.advance(minutes=5)
    calls.fail = None
    scheduler_tick(holder="test", jobs=[job])
    first, second = _runs("test.fails")
    assert first.outcome == RunOutcome.FAILED and first.detail == "ValueError: the payer file is missing"
    assert second.outcome == RunOutcome.SUCCEEDED


def _race(attempts: int, job) -> list[BaseException]:
    """`attempts` threads, each on its own database connection, ticking at the same instant."""
    barrier = threading.Barrier(attempts)
    errors: list[BaseException] = []

    def attempt(n):
        try:
            barrier.wait()
            scheduler_tick(holder=f"racer {n}", jobs=[job])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_schedulers_racing_for_one_period_queue_exactly_one_run_and_one_task(committed_db, clock, register, settings):
    settings.TASKS = DATABASE_QUEUE
    calls = Calls()
    job = register(periodic, name="test.raced", every=timedelta(minutes=10), task=calls)
    clock.set(datetime(2026, 9, 14, 10, 3, tzinfo=UTC))
    assert _race(8, job) == []
    runs = _runs("test.raced")
    assert len(runs) == 1 and runs[0].outcome == RunOutcome.QUEUED and calls.moments == []
    assert DBTaskResult.objects.count() == 1
    assert str(DBTaskResult.objects.get().id) == runs[0].task_id
    # A real worker runs it, and the run row says how it went.
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    run = ScheduledRun.objects.get()
    assert run.outcome == RunOutcome.SUCCEEDED and run.detail == "done: 1" and len(calls.moments) == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_run_row_and_its_task_are_written_together_or_not_at_all(db, clock, register, settings):
    from django_tasks.signals import task_enqueued

    settings.TASKS = DATABASE_QUEUE
    job = register(periodic, name="test.atomic", every=timedelta(minutes=10), task=Calls())
    clock.set(datetime(2026, 9, 14, 10, 3, tzinfo=UTC))

    def queue_fails_after_writing(**kwargs):
        assert DBTaskResult.objects.count() == 1  # the task row is written by now...
        raise RuntimeError("the queue went away")  # ...and then enqueueing fails

    task_enqueued.connect(queue_fails_after_writing, dispatch_uid="test-atomic")
    try:
        with pytest.raises(RuntimeError):
            scheduler_tick(holder="test", jobs=[job])
    finally:
        task_enqueued.disconnect(dispatch_uid="test-atomic")
    assert not ScheduledRun.objects.exists() and not DBTaskResult.objects.exists()
    scheduler_tick(holder="test", jobs=[job])  # the next pass queues it after all
    assert ScheduledRun.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_a_second_standalone_scheduler_stands_by_and_takes_over_when_the_first_stops(db, clock):
    clock.set(datetime(2026, 6, 1, 12, 0, tzinfo=UTC))
    first, second = Me(host="app1", pid=101, token="app1:101:a"), Me(host="app2", pid=202, token="app2:202:b")
    ttl = timedelta(seconds=60)
    assert scheduler_lease_acquire(me=first, ttl=ttl).held
    refused = scheduler_lease_acquire(me=second, ttl=ttl)
    assert not refused.held and (refused.host, refused.pid, refused.since) == ("app1", 101, clock.at)
    clock.advance(seconds=30)
    assert scheduler_lease_acquire(me=first, ttl=ttl).held  # renewed: good for 60 s from now
    clock.advance(seconds=45)
    assert not scheduler_lease_acquire(me=second, ttl=ttl).held
    clock.advance(seconds=16)  # the first stopped renewing (killed): its lease ran out
    taken = scheduler_lease_acquire(me=second, ttl=ttl)
    assert taken.held and taken.took_over_from == "app1 (pid 101)" and taken.since == clock.at
    assert not scheduler_lease_acquire(me=first, ttl=ttl).held
    assert scheduler_lease_release(me=second) and not SchedulerLease.objects.exists()
    assert scheduler_lease_acquire(me=first, ttl=ttl).held  # a clean stop hands over at once


def test_status_shows_each_job_its_last_run_outcome_and_next_period(db, clock, register, settings):
    settings.TIME_ZONE = "America/New_York"
    job = register(daily, name="test.status", at="02:00", task=Calls(fail=OSError("disk full")))
    clock.set(datetime(2026, 1, 20, 7, 5, tzinfo=UTC))  # 02:05 in New York
    scheduler_tick(holder="test", jobs=[job])
    out = io.StringIO()
    call_command("scheduler", "status", stdout=out)
    line = next(row for row in out.getvalue().splitlines() if row.startswith("test.status"))
    assert "daily at 2:00 AM" in line and "01/20/2026 2:00:00 AM EST" in line
    assert "failed — OSError: disk full" in line and line.rstrip().endswith("01/21/2026 2:00:00 AM EST")
    # The real jobs are listed too; never run here, so due now.
    assert "accounts.sessions_cleanup" in out.getvalue() and "due now" in out.getvalue()
    statuses = {s.job.name: s for s in job_statuses(jobs=[job])}
    assert statuses["test.status"].due is None


def test_scheduler_once_queues_what_is_due_and_says_so(db, clock, register, settings):
    settings.TASKS = DATABASE_QUEUE  # queued only: the real jobs (a backup) are not run here
    job = register(periodic, name="test.once", every=timedelta(hours=6), task=Calls())
    clock.set(datetime(2026, 8, 3, 13, 0, tzinfo=UTC))
    out = io.StringIO()
    call_command("scheduler", "once", stdout=out)
    assert f"Queued {job.name} for the period starting 08/03/2026" in out.getvalue()
    again = io.StringIO()
    call_command("scheduler", "once", stdout=again)
    assert again.getvalue() == "Nothing was due.\n" and len(_runs("test.once")) == 1


def test_history_older_than_90_days_is_pruned_but_each_jobs_latest_run_is_kept(db, clock):
    clock.set(datetime(2026, 10, 1, 12, 0, tzinfo=UTC))
    old = clock.at - timedelta(days=120)
    for job, start in [("a", old), ("a", old + timedelta(days=1)), ("a", clock.at), ("b", old)]:
        ScheduledRun.objects.create(job=job, period_start=start, enqueued_at=start, enqueued_by="test")
    assert scheduler_history_prune() == {"runs": 2, "task results": 0}
    assert sorted((r.job, r.period_start) for r in ScheduledRun.objects.all()) == [("a", clock.at), ("b", old)]


def test_the_real_nightly_jobs_are_registered():
    names = [job.name for job in REGISTRY.all()]
    assert {"accounts.sessions_cleanup", "core.backup", "core.scheduler_history_prune"} <= set(names)


def test_the_nightly_backup_job_writes_an_archive_and_records_it(committed_db, clock, settings, tmp_path):
    settings.CLINICDESK_BACKUP_DIR = str(tmp_path)
    job = REGISTRY.get("core.backup")
    assert job is not None and job.describe().startswith("daily at 2:30 AM")
    clock.set(datetime(2026, 5, 12, 7, 0, tzinfo=UTC))  # 03:00 in New York: the 02:30 run is due
    scheduler_tick(holder="test", jobs=[job])
    run = ScheduledRun.objects.get(job="core.backup")
    assert run.outcome == RunOutcome.SUCCEEDED, run.detail
    archives = sorted(p.name for p in tmp_path.glob("clinicdesk-backup-*.cdbk"))
    assert len(archives) == 1 and run.detail.startswith(f"archive: {archives[0]}, bytes: ")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda r: daily(name="x.y", at="25:00", task=print, registry=r), "must be a time like '02:30'"),
        (lambda r: daily(name="x.y", at="02:00", zone="Mars/Olympus", task=print, registry=r), "Mars/Olympus"),
        (lambda r: periodic(name="x.y", every=timedelta(milliseconds=500), task=print, registry=r), "whole seconds"),
        (lambda r: periodic(name="Bad Name", every=timedelta(minutes=1), task=print, registry=r), "lower-case"),
        (lambda r: periodic(name="x.y", every=timedelta(minutes=1), task="print", registry=r), "a task or a function"),
    ],
)
def test_a_badly_defined_job_fails_at_start_up_with_a_clear_message(make, message):
    with pytest.raises((ImproperlyConfigured, Exception), match=message):
        make(Registry())


def test_two_different_jobs_under_one_name_are_refused_but_the_same_one_twice_is_not():
    registry = Registry()
    periodic(name="x.y", every=timedelta(minutes=1), task=print, registry=registry)
    periodic(name="x.y", every=timedelta(minutes=1), task=print, registry=registry)
    with pytest.raises(ImproperlyConfigured, match="Two different scheduled jobs are named 'x.y'"):
        periodic(name="x.y", every=timedelta(minutes=2), task=print, registry=registry)
    assert [job.every for job in registry.all()] == [timedelta(minutes=1)]
