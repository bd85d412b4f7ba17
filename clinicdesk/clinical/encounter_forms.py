"""Forms of the encounter pages. They parse and keep what was typed; the services decide.

Every reading is a text box (inputmode decimal/numeric) so that whatever was typed comes back
unchanged beside its message; the vitals service says what is wrong, in words, per field.
"""

from __future__ import annotations

from django import forms

from clinicdesk.core import clock
from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.ranges import Span
from clinicdesk.scheduling.models import Location

from .note_templates import SECTION_MAX
from .vitals import VitalsInput


def _number(label: str, *, decimal: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=12,
        help_text=help_text,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal" if decimal else "numeric", "autocomplete": "off", "size": 6}
        ),
    )


def _unit(choices: list[tuple[str, str]], label: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, initial=choices[0][0], widget=forms.RadioSelect(attrs={"class": "unit-toggle"})
    )


class VitalsForm(forms.Form):
    systolic = _number("Systolic (mmHg)")
    diastolic = _number("Diastolic (mmHg)")
    pulse = _number("Pulse (/min)")
    temperature = _number("Temperature", decimal=True)
    temperature_unit = _unit([("F", "°F"), ("C", "°C")], "Temperature unit")
    respiratory_rate = _number("Respiratory rate (/min)")
    spo2 = _number("SpO2 (%)")
    height = _number("Height", decimal=True, help_text="Leave empty to use the latest height (adults).")
    height_unit = _unit([("in", "in"), ("cm", "cm")], "Height unit")
    weight = _number("Weight", decimal=True)
    weight_unit = _unit([("lb", "lb"), ("kg", "kg")], "Weight unit")
    pain = _number("Pain (0–10)")

    # Rows of the form as the page lays them out: (reading, its unit toggle or None).
    LAYOUT = (
        ("systolic", None),
        ("diastolic", None),
        ("pulse", None),
        ("temperature", "temperature_unit"),
        ("respiratory_rate", None),
        ("spo2", None),
        ("height", "height_unit"),
        ("weight", "weight_unit"),
        ("pain", None),
    )

    def rows(self):
        return [(self[name], self[unit] if unit else None) for name, unit in self.LAYOUT]

    def to_input(self) -> VitalsInput:
        data = self.cleaned_data
        readings = {name: (data.get(name) or "").strip() or None for name, _ in self.LAYOUT}
        return VitalsInput(
            **readings,  # type: ignore[arg-type]  # text; the service parses and names what is wrong
            temperature_unit=data.get("temperature_unit") or "F",
            height_unit=data.get("height_unit") or "in",
            weight_unit=data.get("weight_unit") or "lb",
        )


class InErrorForm(forms.Form):
    reason = forms.CharField(label="Why is this entry in error?", max_length=200)


class UnscheduledForm(forms.Form):
    mrn = forms.CharField(label="Patient", max_length=200)  # a name, date of birth, phone or MRN
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), to_field_name="public_id", empty_label=None, label="Location"
    )
    date_of_service = PlausibleDateField(
        span=Span.PAST, label="Date of service", widget=forms.DateInput(attrs={"type": "date"}), initial=clock.today
    )
    reason = forms.CharField(label="Reason for visit", max_length=200)
    unscheduled_reason = forms.CharField(
        label="Why there is no appointment", max_length=200, help_text="e.g. walk-in, same-day add-on, phone visit"
    )

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self.fields["location"]
        chosen.queryset = locations if locations is not None else Location.objects.filter(active=True)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset

    def clean_mrn(self) -> str:
        return self.cleaned_data["mrn"].strip()


class NoteTemplateForm(forms.Form):
    subjective = forms.CharField(label="Subjective", required=False, max_length=SECTION_MAX, widget=forms.Textarea)
    objective = forms.CharField(label="Objective", required=False, max_length=SECTION_MAX, widget=forms.Textarea)
    assessment = forms.CharField(label="Assessment", required=False, max_length=SECTION_MAX, widget=forms.Textarea)
    plan = forms.CharField(label="Plan", required=False, max_length=SECTION_MAX, widget=forms.Textarea)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.strip = False  # type: ignore[attr-defined]  # starting text keeps its layout
            field.widget.attrs.setdefault("rows", 6)
