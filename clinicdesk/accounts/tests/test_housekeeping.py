"""The nightly sign-in housekeeping job (accounts.sessions_cleanup)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session

from clinicdesk.accounts.housekeeping import sessions_clear_expired
from clinicdesk.accounts.models import EmergencyAccess, StaffSession
from clinicdesk.accounts.sessions import SessionStore
from clinicdesk.core.models import RunOutcome, ScheduledRun
from clinicdesk.core.scheduler import REGISTRY
from clinicdesk.core.scheduler.services import scheduler_tick


def _session(expires_in_seconds: int) -> str:
    store = SessionStore()
    store.set_expiry(expires_in_seconds)  # negative: already expired
    store.create()
    assert store.session_key
    return store.session_key


def test_it_deletes_expired_sessions_and_orphaned_staff_sessions_and_keeps_live_ones(db, clock, front_desk):
    live, expired = _session(900), _session(-60)
    StaffSession.objects.create(user=front_desk, session_key=live, started_at=clock.at - timedelta(hours=2))
    StaffSession.objects.create(user=front_desk, session_key=expired, started_at=clock.at - timedelta(hours=2))
    StaffSession.objects.create(user=front_desk, session_key="gone-long-ago", started_at=clock.at - timedelta(days=3))
    # A sign-in in progress: its session row is saved at the end of the request that made it.
    StaffSession.objects.create(user=front_desk, session_key="signing-in-now", started_at=clock.at)

    assert sessions_clear_expired() == {"expired sessions": 1, "orphaned staff sessions": 2}
    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert sorted(StaffSession.objects.values_list("session_key", flat=True)) == sorted([live, "signing-in-now"])


def test_it_keeps_emergency_access_grants_which_are_records_for_review(db, clock, front_desk):
    EmergencyAccess.objects.create(
        user=front_desk,
        patient_id="p-1",
        reason="Patient collapsed in the waiting room",
        granted_at=clock.at - timedelta(days=2),
        expires_at=clock.at - timedelta(days=2) + timedelta(hours=1),
    )
    sessions_clear_expired()
    assert EmergencyAccess.objects.count() == 1


def test_the_scheduler_runs_it_once_a_night_and_records_what_it_removed(db, clock):
    from datetime import UTC, datetime

    job = REGISTRY.get("accounts.sessions_cleanup")
    assert job is not None and job.describe().startswith("daily at 3:15 AM")
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))  # 04:00 in New York: the 03:15 run is due
    _session(-60)  # expired a minute ago by the project's clock
    scheduler_tick(holder="test", jobs=[job])
    scheduler_tick(holder="test", jobs=[job])
    run = ScheduledRun.objects.get(job="accounts.sessions_cleanup")
    assert run.outcome == RunOutcome.SUCCEEDED and run.detail == "expired sessions: 1, orphaned staff sessions: 0"


def test_sessions_expire_by_the_project_clock_not_the_system_clock(db, clock):
    from datetime import UTC, datetime

    clock.set(datetime(2031, 6, 1, 12, 0, tzinfo=UTC))  # years from the system's today
    store = SessionStore()
    store["who"] = "front desk"
    store.create()
    key = store.session_key
    assert Session.objects.get(session_key=key).expire_date == datetime(2031, 6, 1, 12, 15, tzinfo=UTC)
    clock.advance(minutes=14)
    assert SessionStore(key).load().get("who") == "front desk"  # still live
    clock.advance(minutes=2)
    assert SessionStore(key).load() == {}  # idle for more than 15 minutes: it no longer opens
    assert sessions_clear_expired()["expired sessions"] == 1
