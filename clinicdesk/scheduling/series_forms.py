"""Forms of the recurring-series pages. Shape only: the limits and rules are in series.py."""

from __future__ import annotations

from typing import Any

from django import forms

from clinicdesk.core.forms import BoundedIntegerField, PlausibleDateField
from clinicdesk.core.ranges import Span

from .models import AppointmentSeries
from .series import MAX_OCCURRENCES, Scope


class RepeatForm(forms.Form):
    interval = BoundedIntegerField(label="Repeat every", min_value=1, max_value=52, initial=1)
    unit = forms.ChoiceField(label="Days or weeks", choices=AppointmentSeries.Unit.choices, initial="weeks")
    ends = forms.ChoiceField(
        label="Ends",
        choices=[("count", "After a number of visits"), ("until", "On a last date")],
        initial="count",
        widget=forms.RadioSelect,
    )
    count = BoundedIntegerField(
        label="Number of visits",
        required=False,
        min_value=1,
        max_value=1_000_000,  # more than MAX_OCCURRENCES is the service's to explain
        help_text=f"At most {MAX_OCCURRENCES} visits, within two years.",
    )
    until = PlausibleDateField(
        span=Span.SCHEDULE,
        label="Last date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The last day a visit may fall on.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        ends = cleaned.get("ends")
        if ends == "count" and cleaned.get("count") is None and "count" not in self.errors:
            self.add_error("count", "Give the number of visits.")
        if ends == "until" and cleaned.get("until") is None and "until" not in self.errors:
            self.add_error("until", "Give the last date.")
        return cleaned

    def series_args(self) -> dict[str, Any]:
        data = self.cleaned_data
        by_count = data["ends"] == "count"
        return {
            "unit": data["unit"],
            "interval": data["interval"],
            "count": data["count"] if by_count else None,
            "until": None if by_count else data["until"],
        }


class SeriesMoveForm(forms.Form):
    scope = forms.ChoiceField(label="Which visits", choices=Scope.choices, initial="this", widget=forms.RadioSelect)
    new_time = forms.TimeField(
        label="New time of day",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Local time at the location. Empty keeps each visit's time.",
    )
    day = PlausibleDateField(
        span=Span.SCHEDULE,
        label="New date (this visit only)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty keeps the date.",
    )
    provider = forms.ChoiceField(label="Provider", required=False)
    room = forms.ChoiceField(label="Room", required=False)
    reason = forms.CharField(label="Reason for the change", required=False, max_length=200)

    def __init__(self, *args: Any, providers: list, rooms: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choice("provider").choices = [("", "Keep the provider")] + [(str(p.public_id), str(p)) for p in providers]
        self._choice("room").choices = [("", "Keep the room"), ("none", "No room")] + [
            (str(r.public_id), r.name) for r in rooms
        ]

    def _choice(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not any(cleaned.get(name) for name in ("new_time", "day", "provider", "room")) and not self.errors:
            self.add_error("new_time", "Give a new time, date, provider or room.")
        return cleaned


class SeriesCancelForm(forms.Form):
    scope = forms.ChoiceField(label="Which visits", choices=Scope.choices, initial="this", widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason", max_length=200, help_text="E.g. patient called, course finished.")
