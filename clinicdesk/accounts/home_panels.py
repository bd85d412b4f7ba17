"""Accounts' panels on the home page (see core/home.py): emergency-access openings waiting for
review (office manager, privacy officer) and the staff on today (office manager).

There is no shift model yet, so "on today" means *signed in today*: the people with a successful
sign-in in the audit trail since the practice's day began. The number opens the audit report
filtered to today's sign-ins, which lists who and when.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Min
from django.urls import reverse

from clinicdesk.audit.models import Action, AuditEvent, Outcome
from clinicdesk.core import clock, home
from clinicdesk.core.capabilities import Cap, Role
from clinicdesk.core.datetimes import weekday_date_text
from clinicdesk.core.home import Figure, PanelContent, PanelRequest, Section

from .models import EmergencyAccess


def emergency_reviews(asked: PanelRequest) -> PanelContent:
    """Emergency-access openings nobody has reviewed yet, and since when the oldest waits."""
    found = EmergencyAccess.objects.filter(reviewed_at__isnull=True).aggregate(n=Count("id"), oldest=Min("granted_at"))
    oldest = found["oldest"]
    hint = ""
    if oldest is not None:
        local = oldest.astimezone(clock.zone_named(None))
        hint = f"oldest opened {weekday_date_text(local, local.tzinfo)}"
    return PanelContent(
        sections=[
            Section(
                [
                    Figure(
                        "Waiting for review",
                        found["n"],
                        reverse("accounts:emergency_review"),
                        hint=hint,
                        attention=found["n"] > 0,
                    )
                ]
            )
        ]
    )


def staff_today(asked: PanelRequest) -> PanelContent:
    """How many people signed in today (the practice's day), by role."""
    zone = clock.zone_named(None)
    today = asked.now.astimezone(zone).date()
    since = datetime.combine(today, time.min, zone)
    until = datetime.combine(today + timedelta(days=1), time.min, zone)  # the day the report lists
    people = (
        AuditEvent.objects.filter(
            action=Action.LOGIN, outcome=Outcome.SUCCESS, at__gte=since, at__lt=until, actor__isnull=False
        )
        .order_by()
        .values_list("actor_role", "actor_id")
        .distinct()
    )
    roles: dict[str, set[int]] = {}
    everyone: set[int] = set()
    for role, actor_id in people:
        roles.setdefault(role, set()).add(actor_id)
        everyone.add(actor_id)
    labels = dict(Role.choices)
    hint = ", ".join(
        f"{len(ids)} {labels.get(role, role or 'no role')}"
        for role, ids in sorted(roles.items(), key=lambda item: (-len(item[1]), item[0]))
    )
    query = urlencode({"action": Action.LOGIN, "date_from": today.isoformat(), "date_to": today.isoformat()})
    return PanelContent(
        sections=[Section([Figure("Signed in today", len(everyone), f"{reverse('audit:report')}?{query}", hint=hint)])],
        note="No shift schedule yet: these are the people who signed in today.",
    )


home.register(
    name="accounts.emergency_reviews",
    title="Emergency access reviews",
    capability=Cap.EMERGENCY_REVIEW,
    roles={Role.OFFICE_MANAGER, Role.AUDITOR},
    order=30,
    build=emergency_reviews,
)
home.register(
    name="accounts.staff_today",
    title="Staff on today",
    capability=Cap.AUDIT_READ,
    roles={Role.OFFICE_MANAGER},
    order=40,
    build=staff_today,
)
