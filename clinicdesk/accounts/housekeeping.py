"""Nightly housekeeping of sign-in data, run by the scheduler (registered in apps.py).

What it removes is already dead: a session past its expiry can never be used again (Django
refuses it), and a StaffSession row whose session is gone only clutters the "sessions" list.
Emergency-access grants and API tokens are records for review and audit and are kept.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction

from clinicdesk.core import clock

from .models import StaffSession

# A sign-in links its StaffSession row before the session row is first saved (at the end of
# that request); rows younger than this are left alone so a sign-in in progress is not undone.
ORPHAN_GRACE = timedelta(hours=1)


@transaction.atomic
def sessions_clear_expired() -> dict[str, int]:
    """Delete expired sessions and the StaffSession rows left without a session.

    Returns the counts: {"expired sessions": n, "orphaned staff sessions": m}. Expiry is the
    session framework's own (its real-time expiry date), as Django's `clearsessions` does it.
    """
    before = Session.objects.count()
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    expired = before - Session.objects.count()
    orphans, _ = (
        StaffSession.objects.filter(started_at__lt=clock.now() - ORPHAN_GRACE)
        .exclude(session_key__in=Session.objects.values("session_key"))
        .delete()
    )
    return {"expired sessions": expired, "orphaned staff sessions": orphans}
