"""The accounts panels of the home page: emergency-access openings waiting for review, and the
staff on today (people who signed in today: there is no shift schedule yet)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clinicdesk.accounts.models import EmergencyAccess
from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.audit.tests.events import event_at
from clinicdesk.core.tests.homepage import figure

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 4, 10, 30, tzinfo=NY)


def _grant(user, hours_ago: int, reviewed_by=None) -> EmergencyAccess:
    granted = NOW - timedelta(hours=hours_ago)
    return EmergencyAccess.objects.create(
        user=user, patient_id="12345674", reason="Covering the on-call physician tonight", granted_at=granted,
        expires_at=granted + timedelta(hours=1), reviewed_by=reviewed_by,
        reviewed_at=NOW if reviewed_by else None, review_comment="Appropriate." if reviewed_by else "",
    )  # fmt: skip


def test_the_office_manager_and_the_privacy_officer_see_the_openings_waiting_for_review(
    as_user, office_manager, auditor, clinician, clock
):
    clock.set(NOW)
    waiting = [_grant(clinician, 30), _grant(clinician, 2)]
    _grant(clinician, 50, reviewed_by=auditor)
    for person in (office_manager, auditor):
        client = as_user(person)
        shown = figure(client.get("/").content.decode(), "Emergency access reviews", "Waiting for review")
        assert (shown.value, shown.attention) == ("2", True)
        assert shown.url == "/emergency/review/"
        page = client.get(shown.url).content.decode()
        assert set(re.findall(r"/emergency/review/([0-9a-f-]{36})/", page)) == {str(g.public_id) for g in waiting}
    assert "oldest opened Tue 03/03" in client.get("/").content.decode()
    assert EmergencyAccess.objects.filter(reviewed_at__isnull=True).count() == 2


def test_staff_on_today_are_the_people_who_signed_in_today(
    as_user, office_manager, front_desk, nurse, clinician, clock
):
    clock.set(NOW)
    morning = NOW.replace(hour=7)
    event_at(NOW - timedelta(days=1), actor=clinician, action=Action.LOGIN, object_type="session")  # yesterday
    event_at(morning, actor=front_desk, action=Action.LOGIN, object_type="session")
    event_at(morning, actor=nurse, action=Action.LOGIN, object_type="session")
    event_at(morning, actor=None, actor_username="okafor", action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE)
    event_at(NOW, actor=front_desk, action=Action.LOGIN, object_type="session")  # twice: one person
    client = as_user(office_manager)
    # Signing in is itself a sign-in, stamped by the database's clock on PostgreSQL and by the
    # application's on SQLite: today's only when the two agree on the day.
    day_start = NOW.replace(hour=0, minute=0)
    manager_today = AuditEvent.objects.filter(
        actor=office_manager, action=Action.LOGIN, at__gte=day_start, at__lt=day_start + timedelta(days=1)
    ).count()
    page = client.get("/").content.decode()
    shown = figure(page, "Staff on today", "Signed in today")
    assert shown.value == str(2 + bool(manager_today))
    assert "1 Front desk, 1 Nurse / MA" in page
    listed = client.get(shown.url)
    assert listed.status_code == 200
    events = re.findall(r'<tr class="outcome-(\w+)">', listed.content.decode())
    assert events == ["success"] * (3 + manager_today)  # Luis twice, Sam: not yesterday's, not the failure
    assert AuditEvent.objects.filter(action=Action.LOGIN_FAILED).count() == 1
