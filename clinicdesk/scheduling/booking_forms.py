"""Forms of the booking, appointment and waitlist pages. Shapes and local time only; rules live in
booking.py and waitlist.py.

Staff type the location's wall-clock time. `local_instant` turns it into UTC and refuses the
two kinds of wall time that do not name one instant: a time skipped when the clocks go forward
(02:30 on the spring-forward night does not exist) and a time that happens twice when they go
back (01:30 on the fall-back night). Guessing would book someone an hour off.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from clinicdesk.core.datetimes import date_text, weekday_datetime_text
from clinicdesk.core.errors import Conflict
from clinicdesk.core.forms import PlausibleDateField, apply_service_errors
from clinicdesk.core.ranges import Span

from .clock import clock_text
from .models import WEEKDAY_KEYS, Appointment, AppointmentType, Location, Provider, Room, Weekday


def _clock_text(clock: time) -> str:
    return clock_text(clock)


def _day_text(day: date) -> str:
    return date_text(day)


def local_instant(day: date, clock: time, location: Location) -> datetime:
    """The UTC instant of wall time `clock` on `day` at `location`; ValidationError when there is not exactly one."""
    tz = ZoneInfo(location.time_zone)
    naive = datetime.combine(day, clock.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise ValidationError(
            f"{_clock_text(clock)} on {_day_text(day)} does not exist at {location.name}: the clocks go forward "
            f"an hour that night ({location.time_zone}). Choose a time after the change, e.g. an hour later.",
            code="dst_gap",
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{_clock_text(clock)} on {_day_text(day)} happens twice at {location.name}: the clocks go back an "
            f"hour that night ({location.time_zone}). Choose a time outside the repeated hour.",
            code="dst_ambiguous",
        )
    return first.astimezone(UTC)


def _date_field(label: str, *, span: Span = Span.SCHEDULE, **extra: Any) -> forms.DateField:
    return PlausibleDateField(
        span=span, label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **extra
    )


def _time_field(label: str, **extra: Any) -> forms.TimeField:
    return forms.TimeField(label=label, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), **extra)


def _pick(queryset: QuerySet, value: Any) -> Any:
    """The row of `queryset` whose public id is `value` (text from a query string or form), or None."""
    if not value:
        return None
    try:
        return queryset.filter(public_id=str(value)).first()
    except (ValidationError, ValueError):
        return None


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


def active_providers(location: Location | None = None) -> QuerySet[Provider]:
    rows = Provider.objects.filter(active=True, user__is_active=True).select_related("user")
    if location is not None:
        rows = rows.filter(locations=location)
    return rows.order_by("user__display_name", "user__username")


def active_types(provider: Provider | None = None) -> QuerySet[AppointmentType]:
    rows = AppointmentType.objects.filter(active=True)
    if provider is not None:
        rows = rows.filter(providers=provider)
    return rows.order_by("name")


def allowed_rooms(location: Location | None, kind: AppointmentType | None = None) -> QuerySet[Room]:
    """Active rooms of `location` the type may use (all of them when the type names none)."""
    rows = Room.objects.filter(active=True).select_related("location")
    if location is not None:
        rows = rows.filter(location=location)
    if kind is not None and kind.rooms.exists():
        rows = rows.filter(pk__in=kind.rooms.values("pk"))
    return rows.order_by("location__name", "name")


def apply_errors(form: forms.Form, exc: ValidationError, rename: dict[str, str]) -> None:
    """A service error on `starts_at` belongs beside the time the person typed, and so on."""
    if hasattr(exc, "error_dict"):
        renamed = {rename.get(name, name): messages for name, messages in exc.message_dict.items()}
        exc = Conflict(renamed, title=exc.title) if isinstance(exc, Conflict) else ValidationError(renamed)
    apply_service_errors(form, exc)


class _Choice(forms.ModelChoiceField):
    def __init__(self, queryset: QuerySet, **extra: Any) -> None:
        extra.setdefault("empty_label", "— choose —")
        super().__init__(queryset=queryset, to_field_name="public_id", **extra)


class BookingForm(forms.Form):
    """Book one visit. `location` and `provider` usually arrive from the schedule or slot search."""

    location = _Choice(active_locations())
    provider = _Choice(active_providers())
    appointment_type = _Choice(active_types(), label="Appointment type")
    date = _date_field("Date")
    time = _time_field("Time", help_text="In the location's local time.")
    patient = forms.CharField(
        label="Patient", max_length=200, help_text="Find the patient above, or type the name, date of birth or MRN."
    )
    room = _Choice(allowed_rooms(None), required=False, empty_label="— no room (telehealth) —")
    reason = forms.CharField(max_length=200, required=False, help_text="Blank uses the type's default reason.")
    overbook = forms.BooleanField(
        required=False,
        label="Overbook: book on top of an appointment already at this time",
        help_text="Only for visit types that allow it, up to their daily limit.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.chosen_location: Location | None = _pick(active_locations(), self._raw("location"))
        self.chosen_provider: Provider | None = _pick(active_providers(), self._raw("provider"))
        self.chosen_type: AppointmentType | None = _pick(active_types(), self._raw("appointment_type"))
        f = self.fields
        if self.chosen_location is not None:
            f["provider"].queryset = active_providers(self.chosen_location)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        if self.chosen_provider is not None:
            f["appointment_type"].queryset = active_types(self.chosen_provider)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        f["room"].queryset = allowed_rooms(self.chosen_location, self.chosen_type)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        kinds = [self.chosen_type] if self.chosen_type else list(f["appointment_type"].queryset)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        self.offers_overbook = any(k.overbook_allowed for k in kinds)
        if not self.offers_overbook:
            del f["overbook"]

    def _raw(self, name: str) -> Any:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        value = self.initial.get(name)
        return getattr(value, "public_id", value)

    @property
    def slot_fixed(self) -> bool:
        """Location and provider came with the link (the slot was picked on the schedule)."""
        return self.chosen_location is not None and self.chosen_provider is not None

    def slot_fields(self) -> list:
        return [self["location"], self["provider"]]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        location, day, clock = data.get("location"), data.get("date"), data.get("time")
        if location and day and clock:
            try:
                data["starts_at"] = local_instant(day, clock, location)
            except ValidationError as exc:
                self.add_error("time", exc)
        return data

    def apply_errors(self, exc: ValidationError) -> None:
        apply_errors(self, exc, {"starts_at": "time", "appointment_type": "appointment_type"})


class MoveForm(forms.Form):
    """Reschedule: a new local date and time, and maybe another provider or room."""

    date = _date_field("New date")
    time = _time_field("New time", help_text="In the location's local time.")
    provider = _Choice(active_providers(), required=False, empty_label="— keep the same provider —")
    room = _Choice(allowed_rooms(None), required=False, empty_label="— keep the same room —")
    reason = forms.CharField(max_length=200, required=False, label="Why (optional)", help_text="Kept in the history.")

    def __init__(self, *args: Any, appointment: Appointment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.fields["provider"].queryset = active_providers(appointment.location).filter(  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
            appointment_types=appointment.appointment_type
        )
        self.fields["room"].queryset = allowed_rooms(appointment.location, appointment.appointment_type)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        if appointment.appointment_type.telehealth:
            del self.fields["room"]

    @staticmethod
    def initial_for(appointment: Appointment) -> dict[str, Any]:
        local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone))
        return {"date": local.date(), "time": local.time().replace(second=0, microsecond=0)}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        day, clock = data.get("date"), data.get("time")
        if day and clock:
            try:
                data["starts_at"] = local_instant(day, clock, self.appointment.location)
            except ValidationError as exc:
                self.add_error("time", exc)
        return data

    def apply_errors(self, exc: ValidationError) -> None:
        apply_errors(self, exc, {"starts_at": "time", "status": "__all__", "patient": "__all__"})


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=200, label="Why is it cancelled?", help_text="e.g. patient called, provider out sick."
    )


_WEEKDAY_CHOICES = [(str(day.value), day.label) for day in Weekday]


class WaitlistForm(forms.Form):
    """Put a patient on the waitlist for an earlier slot."""

    patient = forms.CharField(label="Patient", max_length=200)
    appointment_type = _Choice(active_types(), label="Appointment type")
    providers = forms.ModelMultipleChoiceField(
        queryset=active_providers(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Providers",
        help_text="None ticked: any provider who takes the type.",
    )
    location = _Choice(active_locations(), required=False, empty_label="— any location —")
    weekdays = forms.MultipleChoiceField(
        choices=_WEEKDAY_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Days the patient can come",
        help_text="None ticked: any day.",
    )
    earliest_time = _time_field("Earliest start", required=False, help_text="Local time; blank: from opening.")
    latest_time = _time_field("Latest start", required=False, help_text="Local time; blank: until closing.")
    # A record's range: a day already past is the service's to explain ("That day has passed").
    wait_until = _date_field(
        "Waiting until", span=Span.RECORD, help_text="The last day the patient wants to be offered a slot."
    )
    current_appointment = _Choice(
        Appointment.objects.none(),
        required=False,
        empty_label="— none —",
        label="Their current (later) appointment",
        help_text="Accepting an earlier slot moves this appointment there.",
    )
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, upcoming: list[Appointment] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [a.pk for a in upcoming or []]
        field = self.fields["current_appointment"]
        field.queryset = Appointment.objects.filter(pk__in=ids).select_related(  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
            "appointment_type", "provider__user", "location"
        )
        field.label_from_instance = _appointment_label  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no label_from_instance

    def weekday_values(self) -> list[int]:
        return sorted(int(v) for v in self.cleaned_data.get("weekdays") or [])


def _appointment_label(appointment: Appointment) -> str:
    local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.time_zone))
    return f"{appointment.appointment_type} · {weekday_datetime_text(local, local.tzinfo)} · {appointment.provider}"


WEEKDAY_SHORT = dict(enumerate(key.title() for key in WEEKDAY_KEYS))
