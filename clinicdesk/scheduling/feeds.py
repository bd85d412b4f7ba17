"""A provider's iCalendar feed: a secret, revocable URL their phone or mail program subscribes to.

The URL carries a random token (256 bits); only its SHA-256 is stored, so a database copy
does not hand out anybody's schedule. Revoking a feed ends it at once. Events say what the
slot is (type, room, location) and who only by the patient's initials, the minimum a provider
needs to glance at the day; the practice may opt a feed in to names and reasons, which makes
every subscriber's phone hold PHI and is labelled so on the page; a restricted patient stays
initials without a reason even then (patients/display.py). Every fetch is audited.
A deactivated provider's feeds, and those of a deactivated staff account, answer 404 at once
and are revoked in the same transaction as the deactivation.

Times carry the location's time zone (TZID, with its VTIMEZONE), so a phone in another zone
still shows a 09:00 visit at 09:00 clinic time. RFC 5545; parsed back with `icalendar` in tests.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from icalendar import Calendar, Event

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.patients.display import PatientLens, initials, patient_lens

from .models import HOLDING_STATUSES, Appointment, CalendarFeed, Provider

TOKEN_PREFIX = "cdf_"
DAYS_BACK, DAYS_AHEAD = 30, 180


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_may_manage(actor: User, provider: Provider) -> bool:
    """The office manager manages every provider's feeds; a provider their own."""
    return role_can(actor.role, Cap.SCHEDULE_SETUP) or (
        role_can(actor.role, Cap.SCHEDULE_READ) and provider.user_id == actor.pk
    )


def feed_create(*, actor: User, provider: Provider, include_details: bool = False) -> tuple[CalendarFeed, str]:
    """A new feed for `provider`; returns it and its token, which is shown once and never stored.

    Raises ValidationError for a deactivated provider or staff account (their feeds would not open).
    """
    if not feed_may_manage(actor, provider):
        raise PermissionDenied
    if not provider.active or not provider.user.is_active:
        raise ValidationError(
            {"__all__": [f"{provider} is deactivated; reactivate the provider before giving out a calendar feed."]}
        )
    if include_details and not role_can(actor.role, Cap.SCHEDULE_SETUP):
        raise ValidationError({"include_details": ["Only the office manager can put patient names in a feed."]})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            provider=provider, token_hash=_hash(token), include_details=include_details, created_by=actor
        )
        audit_record(
            actor=actor,
            action=Action.CREATE,
            object_type=ObjectType.CALENDAR_FEED,
            object_id=str(feed.public_id),
            detail=f"provider {provider.public_id}" + (", with patient names" if include_details else ""),
        )
    return feed, token


def feed_revoke(*, actor: User, feed: CalendarFeed) -> None:
    if not feed_may_manage(actor, feed.provider):
        raise PermissionDenied
    with transaction.atomic():
        updated = CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=clock.now())
        if updated:
            audit_record(
                actor=actor, action=Action.DELETE, object_type=ObjectType.CALENDAR_FEED, object_id=str(feed.public_id)
            )


def feeds_revoke_all(*, actor: User | None, provider: Provider, why: str) -> int:
    """Revoke every live feed of `provider` (deactivated, or their account was), each audited.

    Returns how many were revoked. Called inside the deactivation's transaction, so the feeds
    end exactly when the deactivation commits. A reactivated provider gets new feeds, never the
    old addresses back: those may have been handed on while the provider was away.
    """
    now = clock.now()
    live = list(CalendarFeed.objects.select_for_update().filter(provider=provider, revoked_at__isnull=True))
    for feed in live:
        CalendarFeed.objects.filter(pk=feed.pk).update(revoked_at=now)
        audit_record(
            actor=actor,
            action=Action.DELETE,
            object_type=ObjectType.CALENDAR_FEED,
            object_id=str(feed.public_id),
            detail=f"revoked: {why}",
        )
    return len(live)


def feeds_of(provider: Provider):
    return CalendarFeed.objects.filter(provider=provider).order_by("-created_at")


def feed_calendar(*, token: str, now: datetime | None = None) -> bytes:
    """The iCalendar text of the live feed holding `token`; Http404 for any other token.

    A feed is live while it is not revoked and both the provider and their staff account are
    active: a deactivation ends the feed at once, whichever way it was made (the pages, the
    admin, a script), even before its feeds are revoked.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        raise Http404
    now = now or clock.now()
    feed = (
        CalendarFeed.objects.select_related("provider__user")
        .filter(
            token_hash=_hash(token),
            revoked_at__isnull=True,
            provider__active=True,
            provider__user__is_active=True,
        )
        .first()
    )
    if feed is None:
        raise Http404
    appointments = list(
        Appointment.objects.filter(
            provider=feed.provider,
            starts_at__gte=now - timedelta(days=DAYS_BACK),
            starts_at__lt=now + timedelta(days=DAYS_AHEAD),
        )
        .exclude(status="no_show")
        .select_related("patient", "location", "room", "appointment_type")
        .order_by("starts_at")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//ClinicDesk//Provider schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{feed.provider} – clinic schedule")
    # A feed has no viewer to hold a grant: restricted patients show by initials, without a reason.
    lens = patient_lens(viewer=None, now=now)
    for appointment in appointments:
        calendar.add_component(_event(appointment, details=feed.include_details, lens=lens, now=now))
    calendar.add_missing_timezones()
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        audit_record(
            actor=None,
            actor_username=f"calendar-feed:{feed.public_id}",
            action=Action.READ,
            object_type=ObjectType.CALENDAR_FEED,
            object_id=str(feed.public_id),
            detail=f"{len(appointments)} appointments"
            + (
                f"; patients {','.join(sorted({a.patient.mrn for a in appointments}))}"[:900]
                if feed.include_details
                else ""
            ),
        )
    return calendar.to_ical()


def _event(appointment: Appointment, *, details: bool, lens: PatientLens, now: datetime) -> Event:
    zone = ZoneInfo(appointment.location.time_zone)
    patient = appointment.patient
    details = details and not lens.masks(patient)
    who = f"{patient.first_name} {patient.last_name}" if details else initials(patient.first_name, patient.last_name)
    event = Event()
    event.add("uid", f"{appointment.public_id}@clinicdesk")
    event.add("dtstamp", now)
    event.add("dtstart", appointment.starts_at.astimezone(zone))
    event.add("dtend", appointment.ends_at.astimezone(zone))
    event.add("summary", f"{appointment.appointment_type.name} – {who}")
    where = appointment.location.name + (f", {appointment.room.name}" if appointment.room else "")
    event.add("location", "Telehealth" if appointment.appointment_type.telehealth else where)
    if details and appointment.reason:
        event.add("description", appointment.reason)
    event.add("last-modified", appointment.updated_at)
    event.add("sequence", int(appointment.updated_at.timestamp()) % 2**31)
    event.add("status", "CANCELLED" if appointment.status not in HOLDING_STATUSES else "CONFIRMED")
    return event
