"""Forms of the recall pages. Shapes only; the rules live in recalls.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.scheduling.models import AppointmentType, Location, Provider

from .recalls import INTERVAL_HELP, TEXT_LIMIT, View


def _types() -> QuerySet[AppointmentType]:
    return AppointmentType.objects.filter(active=True).order_by("name")


def _providers() -> QuerySet[Provider]:
    return Provider.objects.filter(active=True).select_related("user").order_by("user__display_name", "user__username")


def _locations() -> QuerySet[Location]:
    return Location.objects.filter(active=True).order_by("name")


class _Choice(forms.ModelChoiceField):
    """A choice of a setup row by its public id (never the integer key)."""

    def __init__(self, queryset: QuerySet, **extra: Any) -> None:
        extra.setdefault("empty_label", "— choose —")
        extra.setdefault("error_messages", {"invalid_choice": "Choose one of the listed options."})
        super().__init__(queryset=queryset, to_field_name="public_id", **extra)


def _date(label: str, **extra: Any) -> forms.DateField:
    return PlausibleDateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date like 2026-03-01."},
        **extra,
    )


class RecallForm(forms.Form):
    """A follow-up: "return in 2 weeks for BP check"."""

    appointment_type = _Choice(_types(), label="Visit type to book")
    interval = forms.CharField(
        label="Return in", required=False, max_length=20, help_text=INTERVAL_HELP + " Or give a date below."
    )
    due_on = _date("Or due on")
    reason = forms.CharField(label="For", max_length=TEXT_LIMIT, help_text='A few words, e.g. "BP check".')
    provider = _Choice(_providers(), label="With provider", required=False, empty_label="— any provider —")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Querysets are evaluated per form, so types and providers added today are offered.
        self.fields["appointment_type"].queryset = _types()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        self.fields["provider"].queryset = _providers()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset


class ContactForm(forms.Form):
    note = forms.CharField(label="Contact attempt", max_length=TEXT_LIMIT, help_text='e.g. "left voicemail".')


class CloseForm(forms.Form):
    reason = forms.CharField(
        label="Reason for closing", max_length=TEXT_LIMIT, help_text='e.g. "patient declined", "moved away".'
    )


class WorklistFilterForm(forms.Form):
    """The worklist's filters (a GET form). Invalid values are named and left out; the rest apply."""

    state = forms.ChoiceField(label="Show", choices=View.CHOICES, required=False)
    location = _Choice(_locations(), label="Location", required=False, empty_label="— all —")
    provider = _Choice(_providers(), label="Provider", required=False, empty_label="— all —")
    appointment_type = _Choice(_types(), label="Visit type", required=False, empty_label="— all —")
    due_from = _date("Due from")
    due_to = _date("Due until")
    created_on = _date("Added on")
    mine = forms.BooleanField(label="Only follow-ups I added", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        self.fields["provider"].queryset = _providers()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        self.fields["appointment_type"].queryset = _types()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("due_from"), data.get("due_to")
        if start and end and end < start:
            self.add_error("due_to", "The end of the range is before its start.")
        return data

    def valid_values(self) -> dict[str, Any]:
        """The filters that were valid (call after is_valid()); a wrong one is left out, not the rest."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if name not in self.errors and value not in ("", None)}
