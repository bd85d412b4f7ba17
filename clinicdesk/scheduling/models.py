"""Practice setup: where the practice sees patients, in which rooms, who sees them, and for what.

None of this is PHI. Rows are made inactive rather than deleted, because appointments (a later
point of the scheduling issue) will point at them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from clinicdesk.core import clock
from clinicdesk.core.datetimes import datetime_text, time_range_text
from clinicdesk.core.models import PublicIdModel, TimestampedModel

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


class Location(TimestampedModel):
    """A site where patients are seen.

    `time_zone` is the IANA name the site's clocks follow; appointment times are stored in UTC
    and shown in it. The holiday country and subdivision are the keys of the `holidays`
    package (e.g. US / NY) and decide which public holidays the site is closed on.
    """

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
        return f"{self.get_weekday_display()} {time_range_text(self.opens, self.closes)}"

    @property
    def weekday_key(self) -> str:
        return WEEKDAY_KEYS[self.weekday]


class Room(TimestampedModel):
    """An exam or procedure room at one location. Inactive rooms are not offered for booking."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=60)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint("location", Lower("name"), name="sched_room_name_unique_per_location"),
            models.CheckConstraint(condition=~Q(name=""), name="sched_room_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.location.name} · {self.name}"


class Provider(TimestampedModel):
    """A member of staff whom patients book: a clinician, or a nurse/MA for nurse visits.

    Clinicians must have an NPI and a taxonomy code (claims carry both). Nurses and medical
    assistants may have neither (an MA has no NPI), so both may be blank for them; an NPI that
    is given is always valid and unique.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider")
    npi = models.CharField("NPI", max_length=10, blank=True)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    specialty = models.CharField(max_length=100)
    locations = models.ManyToManyField(Location, related_name="providers")
    active = models.BooleanField(default=True)

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


class AppointmentType(TimestampedModel):
    """What a patient can be booked for, how long it takes and who may see them for it.

    The slot a booking blocks is buffer_before + duration + buffer_after. No rooms listed
    means any active room at the location; telehealth types take no room. Overbooking (a
    later point of the issue): when allowed, a provider may take up to `overbook_limit`
    appointments of this type a day on top of an already booked time.
    """

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


# ---------------------------------------------------------------------------------------------
# Availability: when each provider can be booked, at which location.


class AvailabilityTemplate(PublicIdModel):
    """One version of a provider's weekly hours at one location, valid between two dates.

    A new version (say, from 1 March Tuesdays move to the afternoon) is a new row starting that
    day; the old one gets `valid_until` the day before, so past weeks keep the hours they had.
    Versions of one provider at one location never overlap (checked when saved).
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="templates")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="templates")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Last day; empty means until changed.")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["provider", "location", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="sched_template_until_after_from",
            ),
        ]
        indexes = [models.Index(fields=["provider", "valid_from"], name="sched_template_provider")]

    def __str__(self) -> str:
        return f"{self.provider} at {self.location} from {self.valid_from}"


class TemplateBlock(models.Model):
    """A span of one weekday in a template ("Mon 09:00–12:00"), in the location's local time.

    `rooms` is the pool the provider uses in that span; empty means any room the appointment
    type allows. `appointment_types` limits what may be booked in it; empty means any type
    the provider takes.
    """

    template = models.ForeignKey(AvailabilityTemplate, on_delete=models.CASCADE, related_name="blocks")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    rooms = models.ManyToManyField(Room, related_name="+", blank=True)
    appointment_types = models.ManyToManyField(AppointmentType, related_name="+", blank=True)

    class Meta:
        ordering = ["template", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=F("starts")), name="sched_block_ends_after_start"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="sched_block_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {time_range_text(self.starts, self.ends)}"


class ExceptionKind(models.TextChoices):
    VACATION = "vacation", "Vacation / leave"
    MEETING = "meeting", "Meeting"
    BLOCKED = "blocked", "Blocked time"
    EXTRA = "extra", "Extra hours"  # opens time outside the template


class AvailabilityException(PublicIdModel):
    """Time taken out of (or, for `extra`, added to) a provider's template, with a reason.

    `provider` empty means everyone at `location` (the site is closed: a snow day). Times are
    instants (UTC in the database); the forms take them in the location's local time.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="exceptions")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="exceptions")
    kind = models.CharField(max_length=10, choices=ExceptionKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="sched_exception_ends_after_start"),
            models.CheckConstraint(
                condition=Q(provider__isnull=False) | Q(location__isnull=False), name="sched_exception_has_scope"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="sched_exception_has_reason"),
        ]
        indexes = [models.Index(fields=["provider", "starts_at"], name="sched_exception_provider")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason}"


class HolidayOverride(models.Model):
    """A public holiday on which `location` opens after all (holidays are closed unless overridden)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="holiday_overrides")
    day = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["location", "day"], name="sched_holiday_override_once")]

    def __str__(self) -> str:
        return f"{self.location} open on {self.day}"


# ---------------------------------------------------------------------------------------------
# Appointments.


class AppointmentStatus(models.TextChoices):
    """The visit's place in the day, in flow order, then the two ways it ends without a visit."""

    SCHEDULED = "scheduled", "Scheduled"
    ARRIVED = "arrived", "Arrived"
    ROOMED = "roomed", "Roomed"
    WITH_PROVIDER = "with_provider", "With provider"
    CHECKED_OUT = "checked_out", "Checked out"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


# Statuses whose appointment holds its time: everything but the two that free it.
HOLDING_STATUSES = tuple(s for s in AppointmentStatus.values if s not in ("no_show", "cancelled"))


class ConfirmationStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    CONFIRMED = "confirmed", "Confirmed"
    LEFT_MESSAGE = "left_message", "Left message"
    DECLINED = "declined", "Declined"


class ConfirmationMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"
    PORTAL = "portal", "Patient portal"
    IN_PERSON = "in_person", "In person"


class AppointmentSeries(PublicIdModel):
    """A recurring booking: every `interval` days or weeks, until a date or for a count."""

    class Unit(models.TextChoices):
        DAYS = "days", "days"
        WEEKS = "weeks", "weeks"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointment_series")
    unit = models.CharField(max_length=5, choices=Unit.choices)
    interval = models.PositiveSmallIntegerField()
    until = models.DateField(null=True, blank=True)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(interval__gte=1, interval__lte=52), name="sched_series_interval"),
            models.CheckConstraint(
                condition=Q(until__isnull=False) | Q(count__isnull=False), name="sched_series_has_an_end"
            ),
        ]

    def __str__(self) -> str:
        return f"every {self.interval} {self.unit}"


class Appointment(TimestampedModel):
    """One booked visit of one patient with one provider, at a location, maybe in a room.

    `starts_at`–`ends_at` is the visit; `block_start`–`block_end` adds the type's buffers and
    is the time the booking holds. While the status holds time (anything but no-show or
    cancelled), no other such appointment of the same provider or room may overlap its block
    unless one of them is an overbooking, and no two of the same patient may overlap at all:
    on PostgreSQL exclusion constraints say so (migration 0003), on SQLite the booking service
    checks inside its IMMEDIATE transaction.

    Moving an appointment keeps the row and its public id and writes an AppointmentChange,
    so a reschedule never loses where the visit used to be.
    """

    # No single-column indexes on these four and on series: the (patient, starts_at),
    # (provider, block_start), (location, starts_at), (room, block_start) indexes and the series
    # slot constraint lead with them, and each extra index costs every booking an insert.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments", db_index=False)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments", db_index=False)
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments", db_index=False
    )
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    block_start = models.DateTimeField()
    block_end = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    overbooked = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED)
    series = models.ForeignKey(
        AppointmentSeries, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments", db_index=False
    )
    series_index = models.PositiveIntegerField(null=True, blank=True)
    # Confirmation
    confirmation = models.CharField(
        max_length=16, choices=ConfirmationStatus.choices, default=ConfirmationStatus.UNCONFIRMED
    )
    confirmation_method = models.CharField(max_length=10, choices=ConfirmationMethod.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Cancellation
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    late_cancel = models.BooleanField(default=False)
    # Flow timestamps (each set once, when the state is entered)
    arrived_at = models.DateTimeField(null=True, blank=True)
    roomed_at = models.DateTimeField(null=True, blank=True)
    with_provider_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="sched_appt_ends_after_start"),
            models.CheckConstraint(
                condition=Q(block_start__lte=F("starts_at"), block_end__gte=F("ends_at")),
                name="sched_appt_block_covers_visit",
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False) | ~Q(status="cancelled"),
                name="sched_appt_cancel_has_time",
            ),
            models.UniqueConstraint(
                fields=["series", "series_index"], condition=Q(series__isnull=False), name="sched_appt_series_slot"
            ),
        ]
        indexes = [
            # Day views, slot search and the overlap check read by provider (or room, patient)
            # and time; block_end first so "ends after the window starts" is a range scan.
            models.Index(fields=["provider", "block_start"], name="sched_appt_provider_time"),
            models.Index(fields=["location", "starts_at"], name="sched_appt_location_time"),
            models.Index(fields=["room", "block_start"], name="sched_appt_room_time"),
            models.Index(fields=["patient", "starts_at"], name="sched_appt_patient_time"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} {datetime_text(self.starts_at)}"

    @property
    def holds_time(self) -> bool:
        return self.status in HOLDING_STATUSES and not self.overbooked


class AppointmentChange(models.Model):
    """History of one appointment: every move, status change, confirmation and cancellation."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=20)  # booked, moved, status, confirmation, cancelled, ...
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.what}: {self.old_value} -> {self.new_value}"


class WaitlistEntry(PublicIdModel):
    """A patient waiting for an earlier slot, with what would suit them, until a date."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="+")
    providers = models.ManyToManyField(Provider, related_name="+", blank=True)  # empty: any who takes the type
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    weekdays = models.JSONField(default=list, blank=True)  # [0..6]; empty: any day
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    wait_until = models.DateField()
    current_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )  # the later booking they hope to swap, if any
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["active", "appointment_type"], name="sched_waitlist_open")]

    def __str__(self) -> str:
        return f"waiting for {self.appointment_type}"


class OfferStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class WaitlistOffer(PublicIdModel):
    """A freed slot offered to a waiting patient: by the front desk now, by SMS later."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    channel = models.CharField(max_length=10, default="staff")  # staff, sms, email (messaging issue)
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED)
    expires_at = models.DateTimeField(null=True, blank=True)
    booked = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(default=clock.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-offered_at"]

    def __str__(self) -> str:
        return f"offer {datetime_text(self.starts_at)} ({self.status})"


class CalendarFeed(PublicIdModel):
    """A provider's secret iCalendar URL. Only a hash of the token is kept; revoking ends it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    include_details = models.BooleanField(default=False)  # practice opted in to names/reasons
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"feed for {self.provider}"


class SetupGeneration(models.Model):
    """One row whose token changes, by database trigger, whenever the practice setup changes.

    The booking path keeps a per-process snapshot of the setup (setup_snapshot.py) and checks
    this token before using it. Triggers (migration 0004) on every setup table, and on the
    user columns a provider's name and state come from, give the row a new random token in the
    same transaction as the change, whichever way the change is made (app, admin, raw SQL).
    A token is random, never a counter: a rolled-back change leaves no token another state
    could later share.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="sched_setup_generation_one_row")]

    def __str__(self) -> str:
        return self.token
