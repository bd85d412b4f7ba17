"""Forms of the availability pages and the slot search. Shapes only; availability.py and slots.py hold the rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError

from clinicdesk.core.forms import BoundedIntegerField, PlausibleDateField, apply_service_errors
from clinicdesk.core.ranges import Span

from .availability import BlockInput, local_to_utc
from .models import AppointmentType, ExceptionKind, Location, Provider, Room, Weekday
from .slots import DEFAULT_GRID_MINUTES, GRID_CHOICES, MAX_LIMIT

BLOCK_ROWS = 10
_WEEKDAY_CHOICES = [("", "—"), *((str(d.value), d.label) for d in Weekday)]


def _date(label: str, required: bool = True, **extra: Any) -> forms.DateField:
    return PlausibleDateField(
        span=Span.SCHEDULE, label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}), **extra
    )


def _time(label: str, required: bool = True) -> forms.TimeField:
    return forms.TimeField(
        label=label, required=required, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )


class _Checks(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class TemplateVersionForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), to_field_name="public_id", empty_label=None)
    valid_from = _date(
        "First day", help_text="The new hours apply from this day; the current version ends the day before."
    )
    valid_until = _date("Last day", required=False, help_text="Leave empty: until changed.")

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        locations = provider.locations.filter(active=True)
        location_field = self.fields["location"]
        assert isinstance(location_field, forms.ModelChoiceField)
        location_field.queryset = locations
        rooms = Room.objects.filter(location__in=locations, active=True).select_related("location")
        kinds = provider.appointment_types.filter(active=True)
        for i in range(BLOCK_ROWS):
            self.fields[f"block_{i}_weekday"] = forms.ChoiceField(
                label=f"Block {i + 1}: weekday", choices=_WEEKDAY_CHOICES, required=False
            )
            self.fields[f"block_{i}_starts"] = _time(f"Block {i + 1}: starts", required=False)
            self.fields[f"block_{i}_ends"] = _time(f"Block {i + 1}: ends", required=False)
            self.fields[f"block_{i}_rooms"] = _Checks(
                queryset=rooms, to_field_name="public_id", required=False, label=f"Block {i + 1}: rooms"
            )
            self.fields[f"block_{i}_types"] = _Checks(
                queryset=kinds, to_field_name="public_id", required=False, label=f"Block {i + 1}: only these types"
            )

    def rows(self) -> list[dict]:
        return [
            {
                "number": i + 1,
                "fields": [self[f"block_{i}_{name}"] for name in ("weekday", "starts", "ends")],
                "rooms": self[f"block_{i}_rooms"],
                "types": self[f"block_{i}_types"],
            }
            for i in range(BLOCK_ROWS)
        ]

    @staticmethod
    def initial_from(template: Any) -> dict[str, Any]:
        """Prefill the rows from an existing version (the usual start of a change)."""
        initial: dict[str, Any] = {"location": template.location.public_id}
        for i, block in enumerate(list(template.blocks.all())[:BLOCK_ROWS]):
            initial[f"block_{i}_weekday"] = str(block.weekday)
            initial[f"block_{i}_starts"] = block.starts
            initial[f"block_{i}_ends"] = block.ends
            initial[f"block_{i}_rooms"] = [r.public_id for r in block.rooms.all()]
            initial[f"block_{i}_types"] = [t.public_id for t in block.appointment_types.all()]
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(BLOCK_ROWS):
            parts = [data.get(f"block_{i}_{name}") for name in ("weekday", "starts", "ends")]
            if any(parts) and not all(parts):
                self.add_error(f"block_{i}_ends", "Give the weekday, the start and the end, or leave the row empty.")
        return data

    def blocks(self) -> list[tuple[int, BlockInput]]:
        data = self.cleaned_data
        found = []
        for i in range(BLOCK_ROWS):
            if data.get(f"block_{i}_weekday") and data.get(f"block_{i}_starts") and data.get(f"block_{i}_ends"):
                found.append(
                    (
                        i,
                        BlockInput(
                            weekday=int(data[f"block_{i}_weekday"]),
                            starts=data[f"block_{i}_starts"],
                            ends=data[f"block_{i}_ends"],
                            rooms=list(data.get(f"block_{i}_rooms") or []),
                            appointment_types=list(data.get(f"block_{i}_types") or []),
                        ),
                    )
                )
        return found

    def apply_errors(self, exc: ValidationError, rows: list[int]) -> None:
        """Service errors on "blocks.N.ends" belong beside the form row the Nth block came from."""
        renamed: dict[str, list[str]] = {}
        for name, messages in exc.message_dict.items():
            parts = name.split(".")
            if parts[0] == "blocks" and len(parts) == 3:
                row = rows[int(parts[1])]
                name = f"block_{row}_{'types' if parts[2] == 'appointment_types' else parts[2]}"
            elif name == "blocks":
                name = "block_0_weekday"
            renamed.setdefault(name, []).extend(messages)
        apply_service_errors(self, ValidationError(renamed))


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(choices=ExceptionKind.choices, label="What")
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Every location the provider works at",
        help_text="Extra hours need one location. Times are that location's local time.",
    )
    whole_location = forms.BooleanField(
        required=False, label="Close the whole location (everyone), not just this provider"
    )
    start_date = _date("From (date)")
    start_time = _time("From (time)")
    end_date = _date("Until (date)")
    end_time = _time("Until (time)")
    reason = forms.CharField(max_length=200, help_text="Staff see it, e.g. Staff meeting, Vacation, Snow day.")

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.provider = provider
        field = self.fields["location"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = provider.locations.filter(active=True)

    def to_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        location = data.get("location")
        zone_of = location or self.provider.locations.first()
        tz = ZoneInfo(zone_of.time_zone) if zone_of else ZoneInfo("UTC")
        whole = bool(data.get("whole_location")) and location is not None
        return {
            "kind": data["kind"],
            "provider": None if whole else self.provider,
            "location": location,
            "starts_at": local_to_utc(data["start_date"], data["start_time"], tz),
            "ends_at": local_to_utc(data["end_date"], data["end_time"], tz, end=True),
            "reason": data["reason"],
        }

    def apply_errors(self, exc: ValidationError) -> None:
        renamed: dict[str, list[str]] = {}
        for name, messages in exc.message_dict.items():
            target = {"starts_at": "start_time", "ends_at": "end_time", "provider": "location"}.get(name, name)
            renamed.setdefault(target, []).extend(messages)
        apply_service_errors(self, ValidationError(renamed))


class HolidayForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.all(), to_field_name="public_id")
    day = PlausibleDateField(span=Span.SCHEDULE, label="Day")
    note = forms.CharField(max_length=200, required=False)


class _Names(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class SlotSearchForm(forms.Form):
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.filter(active=True), to_field_name="public_id", empty_label="— choose —"
    )
    providers = _Names(
        queryset=Provider.objects.filter(active=True, user__is_active=True).select_related("user"),
        to_field_name="public_id",
        required=False,
        help_text="None ticked: everyone who takes the type.",
    )
    locations = _Names(
        queryset=Location.objects.filter(active=True),
        to_field_name="public_id",
        required=False,
        help_text="None ticked: everywhere.",
    )
    start_date = _date("From")
    end_date = _date("Until", help_text="At most 366 days.")
    patient = forms.CharField(
        max_length=200,
        required=False,
        label="Patient",
        help_text="Optional: skips times the patient is already booked.",
    )
    limit = BoundedIntegerField(min_value=1, max_value=MAX_LIMIT, initial=10, label="How many slots")
    grid_minutes = forms.TypedChoiceField(
        choices=[(g, f"every {g} minutes") for g in GRID_CHOICES],
        coerce=int,
        initial=DEFAULT_GRID_MINUTES,
        label="Start times",
    )

    @staticmethod
    def defaults(today: date) -> dict[str, Any]:
        return {
            "start_date": today,
            "end_date": today + timedelta(days=28),
            "limit": 10,
            "grid_minutes": DEFAULT_GRID_MINUTES,
        }
