"""Writes of the practice setup: locations (with opening hours), rooms, providers, appointment types.

Every function is keyword-only with the acting person first, validates everything before
writing, raises ValidationError keyed by field name (Conflict for a name or NPI already taken)
and writes one audit event in the same transaction as the change. Nothing here is PHI.
Nothing is deleted: rows are made inactive, because appointments will point at them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Role
from clinicdesk.core.errors import Conflict
from clinicdesk.patients.services import phone_e164
from clinicdesk.patients.us import STATES, zip_normalize

from .feeds import feeds_revoke_all
from .models import (
    WEEKDAY_KEYS,
    AppointmentType,
    Location,
    OpeningHours,
    PatientKind,
    Provider,
    Room,
    Weekday,
    default_holiday_country,
    default_holiday_subdivision,
    default_time_zone,
)
from .validators import color_problem, country_problem, npi_problem, taxonomy_problem, time_zone_problem

Errors = dict[str, list[str]]

# Staff roles that can be booked. Nurses and medical assistants run nurse visits (injections,
# blood pressure checks) on their own schedule; the other roles never see patients by booking.
PROVIDER_ROLES = (Role.CLINICIAN, Role.NURSE)
MAX_DURATION_MINUTES = 720
MAX_BUFFER_MINUTES = 240
MAX_OVERBOOK_LIMIT = 20


@dataclass
class HoursInput:
    weekday: int  # Weekday: Monday is 0
    opens: time
    closes: time


@dataclass
class LocationInput:
    name: str
    address_line1: str
    city: str
    state: str
    zip_code: str
    address_line2: str = ""
    phone: str = ""
    time_zone: str = ""  # blank: the practice's TIME_ZONE setting
    holiday_country: str = ""  # blank: CLINICDESK_HOLIDAY_COUNTRY (and its subdivision) from settings
    holiday_subdivision: str = ""
    active: bool = True
    # None leaves the opening hours as they are (on create: closed every day until set).
    opening_hours: list[HoursInput] | None = None


@dataclass
class RoomInput:
    name: str
    active: bool = True


@dataclass
class ProviderInput:
    specialty: str
    locations: Sequence[Location]
    npi: str = ""
    taxonomy_code: str = ""
    active: bool = True
    user: User | None = None  # required on create; a provider's staff account never changes


@dataclass
class AppointmentTypeInput:
    name: str
    duration_minutes: int
    providers: Sequence[Provider]
    color: str = "#1F77B4"
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    patient_kind: str = PatientKind.ANY
    telehealth: bool = False
    default_reason: str = ""
    rooms: Sequence[Room] = field(default_factory=list)
    overbook_allowed: bool = False
    overbook_limit: int = 0
    active: bool = True


LOCATION_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "time_zone",
    "holiday_country",
    "holiday_subdivision",
    "active",
)
TYPE_FIELDS = (
    "name",
    "duration_minutes",
    "color",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "patient_kind",
    "telehealth",
    "default_reason",
    "overbook_allowed",
    "overbook_limit",
    "active",
)


def _text(values: dict[str, Any], errors: Errors) -> None:
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
            if "\x00" in value:  # PostgreSQL cannot store it; nobody types it
                errors.setdefault(name, []).append("Remove the invisible control character from this field.")


def _add(errors: Errors, name: str, message: str | None) -> None:
    if message:
        errors.setdefault(name, []).append(message)


def _save_unique(obj: models.Model, conflict: Errors) -> None:
    """Save `obj`; a unique constraint that fires (two managers at once) becomes a Conflict on the field."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


def _apply(obj: models.Model, values: dict[str, Any]) -> list[str]:
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


# --- Locations and opening hours -------------------------------------------------------------


def _hours_clean(hours: list[HoursInput], errors: Errors) -> list[HoursInput]:
    seen: set[int] = set()
    for span in hours:
        if span.weekday not in Weekday.values:
            _add(errors, "opening_hours", "A weekday is Monday (0) to Sunday (6).")
            continue
        key = f"opening_hours.{WEEKDAY_KEYS[span.weekday]}"
        if span.weekday in seen:
            _add(errors, key, f"{Weekday(span.weekday).label} is given twice; a location has one span a day.")
        seen.add(span.weekday)
        if span.closes <= span.opens:
            _add(errors, key, f"{Weekday(span.weekday).label}: closing time must be after opening time.")
    return sorted(hours, key=lambda span: span.weekday)


def _location_clean(data: LocationInput, *, exclude: Location | None = None) -> tuple[dict[str, Any], list | None]:
    values = {name: getattr(data, name) for name in LOCATION_FIELDS}
    errors: Errors = {}
    _text(values, errors)
    if not values["name"]:
        _add(errors, "name", "Enter the name patients know this location by, e.g. Main Street Clinic.")
    for name, what in (("address_line1", "street address"), ("city", "city")):
        if not values[name]:
            _add(errors, name, f"Enter the {what}; it goes on claims and letters.")
    values["state"] = values["state"].upper()
    if values["state"] not in STATES:
        _add(errors, "state", "Use the two-letter USPS code, e.g. NY.")
    try:
        values["zip_code"] = zip_normalize(values["zip_code"])
    except ValueError as exc:
        _add(errors, "zip_code", str(exc))
    if values["phone"]:
        try:
            values["phone"] = phone_e164(values["phone"])
        except ValueError as exc:
            _add(errors, "phone", str(exc))
    values["time_zone"] = values["time_zone"] or default_time_zone()
    _add(errors, "time_zone", time_zone_problem(values["time_zone"]))
    if not values["holiday_country"]:
        values["holiday_country"] = default_holiday_country()
        values["holiday_subdivision"] = values["holiday_subdivision"] or default_holiday_subdivision()
    values["holiday_country"] = values["holiday_country"].upper()
    values["holiday_subdivision"] = values["holiday_subdivision"].upper()
    _add(errors, "holiday_country", country_problem(values["holiday_country"]))
    if values["holiday_country"] == "US" and values["holiday_subdivision"] not in ("", *STATES):
        _add(errors, "holiday_subdivision", "For the US, use the state's two-letter code (e.g. NY), or leave it blank.")
    if len(values["holiday_subdivision"]) > 10:
        _add(errors, "holiday_subdivision", "Use the subdivision code of the holidays calendar, e.g. NY.")
    hours = None if data.opening_hours is None else _hours_clean(list(data.opening_hours), errors)
    taken = Location.objects.filter(name__iexact=values["name"])
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if values["name"] and taken.exists():
        # With nothing else wrong this is a clash (409 in the API); otherwise one more field error.
        if not errors:
            raise Conflict({"name": ["Another location already has this name."]})
        _add(errors, "name", "Another location already has this name.")
    if errors:
        raise ValidationError(errors)
    return values, hours


def _hours_replace(location: Location, hours: list[HoursInput]) -> bool:
    """Make the location's opening hours exactly `hours`; True when anything changed."""
    before = [(h.weekday, h.opens, h.closes) for h in location.opening_hours.all()]
    after = [(h.weekday, h.opens, h.closes) for h in hours]
    if before == after:
        return False
    location.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(location=location, weekday=h.weekday, opens=h.opens, closes=h.closes) for h in hours
    )
    return True


@transaction.atomic
def location_create(*, actor: User, data: LocationInput) -> Location:
    """Add a location (with its opening hours when given). Raises ValidationError by field."""
    values, hours = _location_clean(data)
    location = Location(**values)
    _save_unique(location, {"name": ["Another location already has this name."]})
    changed = [name for name, value in values.items() if value not in ("", None)]
    if hours:
        _hours_replace(location, hours)
        changed.append("opening_hours")
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.LOCATION,
        object_id=location.public_id,
        changed_fields=changed,
    )
    return location


@transaction.atomic
def location_update(*, actor: User, location: Location, data: LocationInput) -> list[str]:
    """Change a location; returns the fields that really changed (audited when any did)."""
    values, hours = _location_clean(data, exclude=location)
    changed = _apply(location, values)
    if changed:
        _save_unique(location, {"name": ["Another location already has this name."]})
    if hours is not None and _hours_replace(location, hours):
        changed.append("opening_hours")
    if changed:
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.LOCATION,
            object_id=location.public_id,
            changed_fields=changed,
        )
    return changed


# --- Rooms -----------------------------------------------------------------------------------


def _room_clean(location: Location, data: RoomInput, *, exclude: Room | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {"name": data.name, "active": bool(data.active)}
    errors: Errors = {}
    _text(values, errors)
    if not values["name"]:
        _add(errors, "name", "Enter the room's name or number as staff say it, e.g. Exam 2.")
    if errors:
        raise ValidationError(errors)
    taken = Room.objects.filter(location=location, name__iexact=values["name"])
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict({"name": [f"{location.name} already has a room called {values['name']}."]})
    return values


@transaction.atomic
def room_create(*, actor: User, location: Location, data: RoomInput) -> Room:
    """Add a room to `location`. Room names are unique within a location (case ignored)."""
    values = _room_clean(location, data)
    room = Room(location=location, **values)
    _save_unique(room, {"name": [f"{location.name} already has a room called {values['name']}."]})
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.ROOM,
        object_id=room.public_id,
        changed_fields=["location", *values],
    )
    return room


@transaction.atomic
def room_update(*, actor: User, room: Room, data: RoomInput) -> list[str]:
    """Rename a room or make it (in)active; returns the changed fields."""
    values = _room_clean(room.location, data, exclude=room)
    changed = _apply(room, values)
    if changed:
        _save_unique(room, {"name": [f"{room.location.name} already has a room called {values['name']}."]})
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.ROOM,
            object_id=room.public_id,
            changed_fields=changed,
        )
    return changed


# --- Providers -------------------------------------------------------------------------------


def _provider_clean(data: ProviderInput, *, role: str, exclude: Provider | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {
        "npi": data.npi,
        "taxonomy_code": data.taxonomy_code,
        "specialty": data.specialty,
        "active": bool(data.active),
    }
    errors: Errors = {}
    _text(values, errors)
    values["npi"] = values["npi"].replace(" ", "").replace("-", "")
    values["taxonomy_code"] = values["taxonomy_code"].upper()
    clinician = role == Role.CLINICIAN
    if values["npi"] or clinician:
        _add(errors, "npi", npi_problem(values["npi"]) if values["npi"] else "Enter the clinician's 10-digit NPI.")
    if values["taxonomy_code"] or clinician:
        _add(
            errors,
            "taxonomy_code",
            taxonomy_problem(values["taxonomy_code"])
            if values["taxonomy_code"]
            else "Enter the NUCC taxonomy code the clinician bills under, e.g. 207Q00000X.",
        )
    if not values["specialty"]:
        _add(errors, "specialty", "Enter the specialty patients and staff book by, e.g. Family medicine.")
    locations = list(data.locations)
    if not locations:
        _add(errors, "locations", "Choose at least one location where this provider sees patients.")
    if errors:
        raise ValidationError(errors)
    if values["npi"]:
        taken = Provider.objects.filter(npi=values["npi"])
        if exclude is not None:
            taken = taken.exclude(pk=exclude.pk)
        if taken.exists():
            raise Conflict({"npi": ["Another provider already has this NPI."]})
    return values


def _user_check(user: User | None) -> User:
    if user is None:
        raise ValidationError({"user": ["Choose the staff member who sees patients."]})
    if user.role not in PROVIDER_ROLES or not user.is_active:
        raise ValidationError({"user": ["Only active clinicians and nurses/MAs can be booked as providers."]})
    if Provider.objects.filter(user=user).exists():
        raise Conflict({"user": ["This staff member is already set up as a provider."]})
    return user


@transaction.atomic
def provider_create(*, actor: User, data: ProviderInput) -> Provider:
    """Make a clinician or nurse bookable. Clinicians need a valid NPI and taxonomy code."""
    user = _user_check(data.user)
    values = _provider_clean(data, role=user.role)
    provider = Provider(user=user, **values)
    _save_unique(provider, {"npi": ["Another provider already has this NPI."]})
    provider.locations.set(data.locations)
    changed = ["user", "locations", *(name for name, value in values.items() if value not in ("", None))]
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.PROVIDER,
        object_id=provider.public_id,
        changed_fields=changed,
    )
    return provider


@transaction.atomic
def provider_update(*, actor: User, provider: Provider, data: ProviderInput) -> list[str]:
    """Change a provider's identifiers, specialty, locations or status; returns the changed fields."""
    if data.user is not None and data.user.pk != provider.user_id:
        raise ValidationError({"user": ["A provider's staff account cannot be changed; add a new provider instead."]})
    values = _provider_clean(data, role=provider.user.role, exclude=provider)
    changed = _apply(provider, values)
    if changed:
        _save_unique(provider, {"npi": ["Another provider already has this NPI."]})
    if {loc.pk for loc in data.locations} != set(provider.locations.values_list("pk", flat=True)):
        provider.locations.set(data.locations)
        changed.append("locations")
    if changed:
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.PROVIDER,
            object_id=provider.public_id,
            changed_fields=changed,
        )
    if "active" in changed and not provider.active:
        feeds_revoke_all(actor=actor, provider=provider, why="provider deactivated")
    return changed


# --- Appointment types -----------------------------------------------------------------------


def _type_clean(data: AppointmentTypeInput, *, exclude: AppointmentType | None = None) -> dict[str, Any]:
    values = {name: getattr(data, name) for name in TYPE_FIELDS}
    errors: Errors = {}
    _text(values, errors)
    if not values["name"]:
        _add(errors, "name", "Enter the name staff book by, e.g. Follow-up.")
    if not isinstance(values["duration_minutes"], int) or not 0 < values["duration_minutes"] <= MAX_DURATION_MINUTES:
        _add(errors, "duration_minutes", f"Give the length in minutes, from 1 to {MAX_DURATION_MINUTES}.")
    for name in ("buffer_before_minutes", "buffer_after_minutes"):
        if not isinstance(values[name], int) or not 0 <= values[name] <= MAX_BUFFER_MINUTES:
            _add(errors, name, f"Give the buffer in minutes, from 0 to {MAX_BUFFER_MINUTES}.")
    values["color"] = values["color"].upper()
    _add(errors, "color", color_problem(values["color"]))
    if values["patient_kind"] not in PatientKind.values:
        _add(errors, "patient_kind", "Choose new patients, established patients, or both.")
    values["telehealth"] = bool(values["telehealth"])
    values["overbook_allowed"] = bool(values["overbook_allowed"])
    values["active"] = bool(values["active"])
    if not values["overbook_allowed"]:
        values["overbook_limit"] = 0  # a limit left in the form means nothing without the permission
    elif not isinstance(values["overbook_limit"], int) or not 1 <= values["overbook_limit"] <= MAX_OVERBOOK_LIMIT:
        _add(errors, "overbook_limit", f"Allow from 1 to {MAX_OVERBOOK_LIMIT} overbooked appointments a day.")
    providers, rooms = list(data.providers), list(data.rooms)
    if not providers:
        _add(errors, "providers", "Choose at least one provider who may take this appointment type.")
    if values["telehealth"] and rooms:
        _add(errors, "rooms", "A telehealth visit takes no room; clear the rooms or untick telehealth.")
    worked_at = {loc_id for p in providers for loc_id in p.locations.values_list("pk", flat=True)}
    for room in rooms:
        if providers and room.location_id not in worked_at:
            _add(errors, "rooms", f"{room} is at a location where none of the chosen providers works.")
    if errors:
        raise ValidationError(errors)
    taken = AppointmentType.objects.filter(name__iexact=values["name"])
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise Conflict({"name": ["Another appointment type already has this name."]})
    return values


_TYPE_TAKEN = {"name": ["Another appointment type already has this name."]}


@transaction.atomic
def appointment_type_create(*, actor: User, data: AppointmentTypeInput) -> AppointmentType:
    """Add an appointment type with the providers (and rooms) that may take it."""
    values = _type_clean(data)
    kind = AppointmentType(**values)
    _save_unique(kind, _TYPE_TAKEN)
    kind.providers.set(data.providers)
    kind.rooms.set(data.rooms)
    changed = [name for name, value in values.items() if value not in ("", None, False, 0)]
    changed += ["providers"] + (["rooms"] if data.rooms else [])
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.APPOINTMENT_TYPE,
        object_id=kind.public_id,
        changed_fields=changed,
    )
    return kind


@transaction.atomic
def appointment_type_update(*, actor: User, kind: AppointmentType, data: AppointmentTypeInput) -> list[str]:
    """Change an appointment type; returns the changed fields. Booked appointments keep their times."""
    values = _type_clean(data, exclude=kind)
    changed = _apply(kind, values)
    if changed:
        _save_unique(kind, _TYPE_TAKEN)
    for name, chosen in (("providers", data.providers), ("rooms", data.rooms)):
        related = getattr(kind, name)
        if {obj.pk for obj in chosen} != set(related.values_list("pk", flat=True)):
            related.set(chosen)
            changed.append(name)
    if changed:
        audit_record(
            actor=actor,
            action=Action.UPDATE,
            object_type=ObjectType.APPOINTMENT_TYPE,
            object_id=kind.public_id,
            changed_fields=changed,
        )
    return changed
