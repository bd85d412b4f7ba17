"""Forms of the practice setup pages. They check shapes only; the services in setup.py hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from clinicdesk.core.forms import BoundedIntegerField, PlausibleDateField, apply_service_errors
from clinicdesk.core.ranges import Span
from clinicdesk.patients.us import STATES

from . import selectors
from .models import WEEKDAY_KEYS, ConfirmationStatus, Location, PatientKind, Provider, Room, Weekday, default_time_zone
from .setup import (
    LOCATION_FIELDS,
    MAX_BUFFER_MINUTES,
    MAX_DURATION_MINUTES,
    MAX_OVERBOOK_LIMIT,
    TYPE_FIELDS,
    AppointmentTypeInput,
    HoursInput,
    LocationInput,
    ProviderInput,
    RoomInput,
)

_STATE_CHOICES = [("", "—"), *sorted(STATES.items())]


def _time_field(label: str) -> forms.TimeField:
    return forms.TimeField(label=label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))


class LocationForm(forms.Form):
    name = forms.CharField(max_length=120)
    address_line1 = forms.CharField(max_length=200, label="Street address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100)
    state = forms.ChoiceField(choices=_STATE_CHOICES)
    zip_code = forms.CharField(max_length=10, label="ZIP code")
    phone = forms.CharField(max_length=30, required=False)
    time_zone = forms.CharField(
        max_length=64,
        initial=default_time_zone,
        help_text="IANA name, e.g. America/New_York. Appointment times are shown in it.",
    )
    holiday_country = forms.CharField(
        max_length=2, required=False, label="Holiday calendar: country", help_text="Two letters, e.g. US."
    )
    holiday_subdivision = forms.CharField(
        max_length=10,
        required=False,
        label="Holiday calendar: state",
        help_text="e.g. NY for New York's state holidays; blank for federal holidays only.",
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Inactive locations are not offered for booking."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            key = WEEKDAY_KEYS[day]
            self.fields[f"{key}_opens"] = _time_field(f"{day.label} opens")
            self.fields[f"{key}_closes"] = _time_field(f"{day.label} closes")

    ADDRESS = ("name", "address_line1", "address_line2", "city", "state", "zip_code", "phone")
    SETTINGS = ("time_zone", "holiday_country", "holiday_subdivision", "active")

    def address_fields(self):
        return [self[name] for name in self.ADDRESS]

    def settings_fields(self):
        return [self[name] for name in self.SETTINGS]

    def hours_rows(self) -> list[dict]:
        return [
            {"label": day.label, "fields": [self[f"{WEEKDAY_KEYS[day]}_opens"], self[f"{WEEKDAY_KEYS[day]}_closes"]]}
            for day in Weekday
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for day in Weekday:
            key = WEEKDAY_KEYS[day]
            if bool(data.get(f"{key}_opens")) != bool(data.get(f"{key}_closes")):
                self.add_error(f"{key}_closes", f"Give both times for {day.label}, or neither if it is closed.")
        return data

    @staticmethod
    def initial_for(location: Location) -> dict[str, Any]:
        initial: dict[str, Any] = {name: getattr(location, name) for name in LOCATION_FIELDS}
        for span in location.opening_hours.all():
            initial[f"{span.weekday_key}_opens"] = span.opens
            initial[f"{span.weekday_key}_closes"] = span.closes
        return initial

    def to_input(self) -> LocationInput:
        data = self.cleaned_data
        hours = [
            HoursInput(
                weekday=day, opens=data[f"{WEEKDAY_KEYS[day]}_opens"], closes=data[f"{WEEKDAY_KEYS[day]}_closes"]
            )
            for day in Weekday
            if data.get(f"{WEEKDAY_KEYS[day]}_opens") and data.get(f"{WEEKDAY_KEYS[day]}_closes")
        ]
        text = {name: data.get(name) or "" for name in LOCATION_FIELDS if name != "active"}
        return LocationInput(**text, active=bool(data.get("active")), opening_hours=hours)

    def apply_errors(self, exc: ValidationError | PermissionDenied) -> None:
        """Service errors on "opening_hours.mon" belong beside Monday's closing time."""
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            renamed = {}
            for name, messages in exc.message_dict.items():
                day = name.removeprefix("opening_hours.")
                renamed[f"{day}_closes" if day in WEEKDAY_KEYS else name] = messages
            exc = ValidationError(renamed)
        apply_service_errors(self, exc)


class RoomForm(forms.Form):
    name = forms.CharField(max_length=60, label="Room name")
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive rooms are not offered for booking.")

    def to_input(self) -> RoomInput:
        return RoomInput(name=self.cleaned_data["name"], active=bool(self.cleaned_data.get("active")))


class _LocationChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


class ProviderForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=selectors.provider_candidates(),
        to_field_name="public_id",
        empty_label="— choose —",
        label="Staff member",
        help_text="Active clinicians and nurses/MAs who are not providers yet.",
    )
    npi = forms.CharField(
        max_length=14, required=False, label="NPI", help_text="10 digits from NPPES. Required for clinicians."
    )
    taxonomy_code = forms.CharField(
        max_length=10, required=False, help_text="NUCC code, e.g. 207Q00000X. Required for clinicians."
    )
    specialty = forms.CharField(max_length=100, help_text="As patients and staff book by it, e.g. Family medicine.")
    locations = _LocationChoice(queryset=selectors.location_list(include_inactive=False), to_field_name="public_id")
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive providers cannot be booked.")

    def __init__(self, *args: Any, provider: Provider | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if provider is not None:
            # The staff account of a provider never changes; locations it already has stay choosable.
            del self.fields["user"]
            chosen = provider.locations.values_list("pk", flat=True)
            field = self.fields["locations"]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            field.queryset = (Location.objects.filter(active=True) | Location.objects.filter(pk__in=chosen)).distinct()

    def text_fields(self):
        return [self[name] for name in ("user", "npi", "taxonomy_code", "specialty", "active") if name in self.fields]

    @staticmethod
    def initial_for(provider: Provider) -> dict[str, Any]:
        return {
            "npi": provider.npi,
            "taxonomy_code": provider.taxonomy_code,
            "specialty": provider.specialty,
            "active": provider.active,
            "locations": list(provider.locations.all()),
        }

    def to_input(self) -> ProviderInput:
        data = self.cleaned_data
        return ProviderInput(
            user=data.get("user"),
            npi=data.get("npi") or "",
            taxonomy_code=data.get("taxonomy_code") or "",
            specialty=data.get("specialty") or "",
            locations=list(data.get("locations") or []),
            active=bool(data.get("active")),
        )


class _RoomChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)  # "Main Street Clinic · Exam 1"


class _ProviderChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.specialty})"


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(max_length=80)
    duration_minutes = BoundedIntegerField(min_value=1, max_value=MAX_DURATION_MINUTES, label="Length (minutes)")
    color = forms.CharField(
        max_length=7,
        initial="#1F77B4",
        label="Colour on the schedule",
        help_text="# and six hexadecimal digits, e.g. #2CA02C.",
    )
    buffer_before_minutes = BoundedIntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        initial=0,
        label="Buffer before (minutes)",
        help_text="Kept free before the visit, e.g. to set up a room.",
    )
    buffer_after_minutes = BoundedIntegerField(
        min_value=0,
        max_value=MAX_BUFFER_MINUTES,
        initial=0,
        label="Buffer after (minutes)",
        help_text="Kept free after the visit, e.g. to clean up after a procedure.",
    )
    patient_kind = forms.ChoiceField(choices=PatientKind.choices, label="For")
    telehealth = forms.BooleanField(required=False, help_text="A video visit: takes no room.")
    default_reason = forms.CharField(
        max_length=200, required=False, help_text="Filled in as the reason for visit when booking; staff can change it."
    )
    overbook_allowed = forms.BooleanField(
        required=False, label="Allow overbooking", help_text="Lets staff book on top of a taken time."
    )
    overbook_limit = BoundedIntegerField(
        min_value=0,
        max_value=MAX_OVERBOOK_LIMIT,
        required=False,
        initial=0,
        label="Overbooked a day (per provider)",
        help_text="At most this many overbooked appointments of this type a day.",
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Inactive types are not offered for booking.")
    providers = _ProviderChoice(
        queryset=selectors.provider_list(include_inactive=False),
        to_field_name="public_id",
        help_text="Who may be booked for it.",
    )
    rooms = _RoomChoice(
        queryset=selectors.room_list(include_inactive=False),
        to_field_name="public_id",
        required=False,
        help_text="Leave all unticked for any room of the location. Telehealth takes none.",
    )

    MAIN = ("name", "duration_minutes", "color", "patient_kind", "default_reason", "telehealth", "active")
    TIMING = ("buffer_before_minutes", "buffer_after_minutes", "overbook_allowed", "overbook_limit")

    def main_fields(self):
        return [self[name] for name in self.MAIN]

    def timing_fields(self):
        return [self[name] for name in self.TIMING]

    def keep_chosen(self, *, providers: list[Provider], rooms: list[Room]) -> None:
        """Keep an inactive provider or room that is already chosen in the choices when editing."""
        for name, chosen in (("providers", providers), ("rooms", rooms)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelMultipleChoiceField)
            queryset = field.queryset
            assert queryset is not None
            field.queryset = (queryset | queryset.model.objects.filter(pk__in=[o.pk for o in chosen])).distinct()

    @staticmethod
    def initial_for(kind: Any) -> dict[str, Any]:
        initial = {name: getattr(kind, name) for name in TYPE_FIELDS}
        initial["providers"] = list(kind.providers.all())
        initial["rooms"] = list(kind.rooms.all())
        return initial

    def to_input(self) -> AppointmentTypeInput:
        data = self.cleaned_data
        return AppointmentTypeInput(
            name=data["name"],
            duration_minutes=data["duration_minutes"],
            color=data["color"],
            buffer_before_minutes=data.get("buffer_before_minutes") or 0,
            buffer_after_minutes=data.get("buffer_after_minutes") or 0,
            patient_kind=data["patient_kind"],
            telehealth=bool(data.get("telehealth")),
            default_reason=data.get("default_reason") or "",
            providers=list(data.get("providers") or []),
            rooms=list(data.get("rooms") or []),
            overbook_allowed=bool(data.get("overbook_allowed")),
            overbook_limit=data.get("overbook_limit") or 0,
            active=bool(data.get("active")),
        )


class ConfirmationFilterForm(forms.Form):
    """The filters of the confirmations worklist: one location, a provider or everyone, dates."""

    location = forms.ModelChoiceField(queryset=Location.objects.none(), to_field_name="public_id", empty_label=None)
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), to_field_name="public_id", required=False, empty_label="Everyone"
    )
    start = PlausibleDateField(span=Span.SCHEDULE, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = PlausibleDateField(span=Span.SCHEDULE, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    confirmation = forms.MultipleChoiceField(
        label="Confirmation", choices=ConfirmationStatus.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["location"]).queryset = selectors.location_list(
            include_inactive=False
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["provider"]).queryset = Provider.objects.filter(
            active=True
        ).select_related("user")
