"""Forms of the list pages. They parse what was typed; the services decide what is allowed."""

from __future__ import annotations

from django import forms

from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.ranges import Span
from clinicdesk.scheduling.models import Provider

from .medications import MAX_REFILLS, MedicationInput
from .models import AllergySeverity
from .problems import MAX_DIAGNOSES, DiagnosisInput

DATE_HELP = "mm/dd/yyyy"
DATE_FORMATS = ["%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"]


def _date(label: str, *, span: Span, required: bool = False, help_text: str = "") -> forms.DateField:
    return PlausibleDateField(
        span=span,
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date such as 03/02/2026."},
    )


class ProblemForm(forms.Form):
    code = forms.CharField(
        label="ICD-10-CM code",
        max_length=20,
        help_text="Type a code (E11.9) or words (type 2 diabetes), then choose a billable code from the list "
        "with the arrow keys and Enter.",
        error_messages={"required": "Enter an ICD-10-CM code, or search for one by words."},
    )
    onset = _date("Onset date", span=Span.PAST)
    note = forms.CharField(label="Note", required=False, max_length=200, help_text="Optional, up to 200 characters.")


class ResolveForm(forms.Form):
    resolved_on = _date("Resolved on", span=Span.PAST, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resolved_on"].error_messages["required"] = "Enter the date the problem resolved."


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=200,
        error_messages={"required": "Say why, e.g. wrong patient or wrong code."},
        help_text="Kept with the change in the audit trail.",
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=200, required=False)


class DiagnosesForm(forms.Form):
    """Twelve code boxes; blank ones are skipped and the ranks close up."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for rank in range(1, MAX_DIAGNOSES + 1):
            self.fields[f"dx_{rank}"] = forms.CharField(
                label=f"Diagnosis {rank}" + (" (primary)" if rank == 1 else ""),
                required=False,
                max_length=20,
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 10}),
            )

    def to_inputs(self) -> list[DiagnosisInput]:
        return [DiagnosisInput(code=self.cleaned_data.get(f"dx_{rank}") or "") for rank in range(1, MAX_DIAGNOSES + 1)]


class MedicationForm(forms.Form):
    name = forms.CharField(
        label="Medication", max_length=200, error_messages={"required": "Enter the medication's name."}
    )
    strength = forms.CharField(label="Strength", max_length=60, required=False, help_text="e.g. 500 mg")
    form = forms.CharField(label="Form", max_length=40, required=False, help_text="e.g. tablet")
    directions = forms.CharField(
        label="Directions", max_length=300, required=False, help_text="e.g. 1 tablet by mouth twice daily"
    )
    quantity = forms.CharField(label="Quantity", max_length=40, required=False, help_text="e.g. 60 tablets")
    refills = forms.IntegerField(
        label="Refills",
        required=False,
        min_value=0,
        max_value=MAX_REFILLS,
        initial=0,
        error_messages={
            "invalid": "Enter the number of refills as a whole number from 0 to 99.",
            "min_value": "Refills must be from 0 to 99.",
            "max_value": "Refills must be from 0 to 99.",
        },
    )
    prescriber = forms.ModelChoiceField(
        label="Prescriber",
        queryset=Provider.objects.none(),
        required=False,
        empty_label="— not prescribed here / unknown —",
    )
    start_date = _date("Start date", span=Span.RECORD)
    stop_date = _date("Stop date", span=Span.RECORD)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        prescriber = self.fields["prescriber"]
        assert isinstance(prescriber, forms.ModelChoiceField)  # noqa: S101  (narrowing for mypy)
        prescriber.queryset = Provider.objects.filter(active=True).select_related("user")
        prescriber.to_field_name = "public_id"

    def to_input(self) -> MedicationInput:
        data = self.cleaned_data
        return MedicationInput(
            name=data["name"],
            strength=data.get("strength", ""),
            form=data.get("form", ""),
            directions=data.get("directions", ""),
            quantity=data.get("quantity", ""),
            refills=data.get("refills") if data.get("refills") is not None else 0,
            prescriber=data.get("prescriber"),
            start_date=data.get("start_date"),
            stop_date=data.get("stop_date"),
        )


class MedicationStopForm(forms.Form):
    stop_date = _date("Stopped on", span=Span.PAST, required=True)
    reason = forms.CharField(label="Reason", max_length=200, error_messages={"required": "Say why it was stopped."})


class PrescriptionForm(forms.Form):
    directions = forms.CharField(
        label="Directions (sig)",
        max_length=300,
        error_messages={"required": "Enter the directions, e.g. 1 tablet by mouth twice daily."},
    )
    quantity = forms.CharField(
        label="Quantity", max_length=40, error_messages={"required": "Enter the quantity, e.g. 60 tablets."}
    )
    refills = forms.IntegerField(
        label="Refills",
        min_value=0,
        max_value=MAX_REFILLS,
        initial=0,
        error_messages={
            "required": "Enter the number of refills (0 for none).",
            "invalid": "Enter the number of refills as a whole number from 0 to 99.",
            "min_value": "Refills must be from 0 to 99.",
            "max_value": "Refills must be from 0 to 99.",
        },
    )
    dispense_as_written = forms.BooleanField(label="Dispense as written (no generic substitution)", required=False)


class AllergyForm(forms.Form):
    substance = forms.CharField(
        label="Substance", max_length=120, error_messages={"required": "Enter the substance, e.g. penicillin."}
    )
    reaction = forms.CharField(label="Reaction", max_length=200, required=False, help_text="e.g. hives")
    severity = forms.ChoiceField(label="Severity", choices=AllergySeverity.choices, initial=AllergySeverity.UNKNOWN)
