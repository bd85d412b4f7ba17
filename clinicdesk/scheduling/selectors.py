"""Reads of the practice setup. Not PHI, so reads are not audited; missing ids answer Http404.

Also one patient's appointments, for a caller that opened the patient through access_patient
(that is the audited read)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch, QuerySet

from clinicdesk.accounts.models import User
from clinicdesk.core.lookups import get_or_404
from clinicdesk.patients.models import Patient

from .models import Appointment, AppointmentStatus, AppointmentType, Location, OpeningHours, Provider, Room
from .setup import PROVIDER_ROLES

M = TypeVar("M", bound=Model)


def location_list(*, include_inactive: bool = True) -> QuerySet[Location]:
    locations = Location.objects.prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday")),
        Prefetch("rooms", queryset=Room.objects.order_by("name")),
    )
    return locations if include_inactive else locations.filter(active=True)


def location_get(*, public_id: Any) -> Location:
    return get_or_404(location_list(), public_id)


def room_list(*, location: Location | None = None, include_inactive: bool = True) -> QuerySet[Room]:
    rooms = Room.objects.select_related("location")
    if location is not None:
        rooms = rooms.filter(location=location)
    return rooms if include_inactive else rooms.filter(active=True, location__active=True)


def room_get(*, public_id: Any) -> Room:
    return get_or_404(room_list(), public_id)


def provider_list(*, include_inactive: bool = True) -> QuerySet[Provider]:
    providers = Provider.objects.select_related("user").prefetch_related(
        Prefetch("locations", queryset=Location.objects.order_by("name"))
    )
    return providers if include_inactive else providers.filter(active=True, user__is_active=True)


def provider_get(*, public_id: Any) -> Provider:
    return get_or_404(provider_list(), public_id)


def provider_candidates() -> QuerySet[User]:
    """Active clinicians and nurses who are not providers yet (the choices of 'Add a provider')."""
    return User.objects.filter(role__in=PROVIDER_ROLES, is_active=True, provider__isnull=True).order_by(
        "display_name", "username"
    )


def appointment_type_list(*, include_inactive: bool = True) -> QuerySet[AppointmentType]:
    kinds = AppointmentType.objects.prefetch_related(
        Prefetch("providers", queryset=Provider.objects.select_related("user")),
        Prefetch("rooms", queryset=Room.objects.select_related("location")),
    )
    return kinds if include_inactive else kinds.filter(active=True)


def appointment_type_get(*, public_id: Any) -> AppointmentType:
    return get_or_404(appointment_type_list(), public_id)


def staff_find(*, public_id: Any) -> User | None:
    """The staff account with `public_id`, or None (the provider service then names the field)."""
    return User.objects.filter(public_id=public_id).first()


def _all_found(queryset: QuerySet[M], public_ids: list[Any], field: str, what: str) -> list[M]:
    wanted = list(dict.fromkeys(public_ids))
    found = {obj.public_id: obj for obj in queryset.filter(public_id__in=wanted)}  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
    missing = [str(pid) for pid in wanted if pid not in found]
    if missing:
        raise ValidationError({field: [f"No {what} with id {', '.join(missing)}."]})
    return [found[pid] for pid in wanted]


def locations_find(*, public_ids: list[Any], field: str = "locations") -> list[Location]:
    """The locations with these ids, in the order given; ValidationError on `field` naming any unknown id."""
    return _all_found(Location.objects.all(), public_ids, field, "location")


def providers_find(*, public_ids: list[Any]) -> list[Provider]:
    return _all_found(Provider.objects.select_related("user"), public_ids, "providers", "provider")


def rooms_find(*, public_ids: list[Any]) -> list[Room]:
    return _all_found(Room.objects.select_related("location"), public_ids, "rooms", "room")


# --- One patient's appointments (the patient page) --------------------------------------------

PAST_APPOINTMENTS_SHOWN = 10
UPCOMING_APPOINTMENTS_SHOWN = 50


@dataclass(frozen=True)
class PatientAppointments:
    upcoming: list[Appointment]  # soonest first
    past: list[Appointment]  # latest first


def patient_appointments_unchecked(
    *, patient: Patient, now: datetime, past_limit: int = PAST_APPOINTMENTS_SHOWN
) -> PatientAppointments:
    """`patient`'s appointments not yet over at `now` (cancelled ones left out), soonest first, and
    the last `past_limit` that ended before `now`, latest first, whatever their status (a no-show
    or a late cancel matters at the desk). A visit under way counts as upcoming.

    The caller opened the patient through access_patient (the audited read).
    """
    rows = Appointment.objects.filter(patient=patient).select_related(
        "provider__user", "location", "appointment_type", "room"
    )
    upcoming = rows.filter(ends_at__gt=now).exclude(status=AppointmentStatus.CANCELLED).order_by("starts_at", "pk")
    past = rows.filter(ends_at__lte=now).order_by("-starts_at", "-pk")
    return PatientAppointments(upcoming=list(upcoming[:UPCOMING_APPOINTMENTS_SHOWN]), past=list(past[:past_limit]))
