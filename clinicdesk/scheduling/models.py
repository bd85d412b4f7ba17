"""Practice setup: where the practice sees patients, in which rooms, who sees them, and for what.

None of this is PHI. Rows are made inactive rather than deleted, because appointments (a later
point of the scheduling issue) will point at them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from .validators import COLOR_SQL_REGEX, NPI_SQL_REGEX


def default_time_zone() -> str:
    return settings.TIME_ZONE


def default_holiday_country() -> str:
    return getattr(settings, "CLINICDESK_HOLIDAY_COUNTRY", "US")


def default_holiday_subdivision() -> str:
    return getattr(settings, "CLINICDESK_HOLIDAY_SUBDIVISION", "")


class Weekday(models.IntegerChoices):
    """Python's numbering (date.weekday()): Monday is 0."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


# Short keys used by the API and the forms ("mon" .. "sun"), in Weekday order.
WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Location(models.Model):
    """A site where patients are seen.

    `time_zone` is the IANA name the site's clocks follow; appointment times are stored in UTC
    and shown in it. The holiday country and subdivision are the keys of the `holidays`
    package (e.g. US / NY) and decide which public holidays the site is closed on.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip_code = models.CharField(max_length=10)
    phone = models.CharField(max_length=20, blank=True)
    time_zone = models.CharField(max_length=64, default=default_time_zone)
    holiday_country = models.CharField(max_length=2, default=default_holiday_country)
    holiday_subdivision = models.CharField(max_length=10, blank=True, default=default_holiday_subdivision)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="sched_location_name_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="sched_location_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name


class OpeningHours(models.Model):
    """When a location is open on one weekday: one span a day (a day without a row is closed).

    Lunch breaks and a provider's own hours are not opening hours: they belong to provider
    availability, a later point of the scheduling issue.
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["location", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["location", "weekday"], name="sched_hours_one_span_a_day"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="sched_hours_close_after_open"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sched_hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    @property
    def weekday_key(self) -> str:
        return WEEKDAY_KEYS[self.weekday]


class Room(models.Model):
    """An exam or procedure room at one location. Inactive rooms are not offered for booking."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint("location", Lower("name"), name="sched_room_name_unique_per_location"),
            models.CheckConstraint(condition=~Q(name=""), name="sched_room_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.name}"


class Provider(models.Model):
    """A member of staff whom patients book: a clinician, or a nurse/MA for nurse visits.

    Clinicians must have an NPI and a taxonomy code (claims carry both). Nurses and medical
    assistants may have neither (an MA has no NPI), so both may be blank for them; an NPI that
    is given is always valid and unique.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider")
    npi = models.CharField("NPI", max_length=10, blank=True)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    specialty = models.CharField(max_length=100)
    locations = models.ManyToManyField(Location, related_name="providers")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user__display_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["npi"], condition=~Q(npi=""), name="sched_provider_npi_unique"),
            models.CheckConstraint(
                condition=Q(npi="") | Q(npi__regex=NPI_SQL_REGEX), name="sched_provider_npi_10_digits"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @property
    def display_name(self) -> str:
        return str(self.user)


class PatientKind(models.TextChoices):
    ANY = "any", "New or established"
    NEW = "new", "New patients only"
    ESTABLISHED = "established", "Established patients only"


class AppointmentType(models.Model):
    """What a patient can be booked for, how long it takes and who may see them for it.

    The slot a booking blocks is buffer_before + duration + buffer_after. No rooms listed
    means any active room at the location; telehealth types take no room. Overbooking (a
    later point of the issue): when allowed, a provider may take up to `overbook_limit`
    appointments of this type a day on top of an already booked time.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80)
    duration_minutes = models.PositiveSmallIntegerField()
    color = models.CharField(max_length=7, default="#1F77B4", help_text="#RRGGBB, shown on the schedule")
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    patient_kind = models.CharField(max_length=12, choices=PatientKind.choices, default=PatientKind.ANY)
    telehealth = models.BooleanField(default=False)
    default_reason = models.CharField(max_length=200, blank=True)
    providers = models.ManyToManyField(Provider, related_name="appointment_types")
    rooms = models.ManyToManyField(Room, related_name="appointment_types", blank=True)
    overbook_allowed = models.BooleanField(default=False)
    overbook_limit = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="sched_type_name_unique"),
            models.CheckConstraint(condition=~Q(name=""), name="sched_type_name_not_blank"),
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0, duration_minutes__lte=720), name="sched_type_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__gte=0, buffer_after_minutes__gte=0),
                name="sched_type_buffers_not_negative",
            ),
            models.CheckConstraint(condition=Q(color__regex=COLOR_SQL_REGEX), name="sched_type_color_rrggbb"),
            models.CheckConstraint(
                condition=Q(overbook_allowed=True, overbook_limit__gte=1) | Q(overbook_allowed=False, overbook_limit=0),
                name="sched_type_overbook_limit_when_allowed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def blocked_minutes(self) -> int:
        """Minutes of the provider's day one booking takes, buffers included."""
        return self.buffer_before_minutes + self.duration_minutes + self.buffer_after_minutes
