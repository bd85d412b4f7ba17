from __future__ import annotations

from django import forms

from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.patient_refs import patient_ref, unknown_patient_message

from .models import Action
from .selectors import SORTABLE


def _patient_mrn(value: str) -> str:
    """The MRN events of the patient `value` names are recorded under (MRN or public id given).

    The record's own MRN, not a survivor's: events before a merge name the merged record.
    A value naming no patient is refused, rather than showing an empty list that reads as
    "nobody opened it".
    """
    if not value.strip():
        return ""
    ref = patient_ref(value)
    if ref is None:
        raise forms.ValidationError(unknown_patient_message(value))
    return ref.mrn


class AuditFilterForm(forms.Form):
    person = forms.CharField(required=False, max_length=150, label="Person (username)")
    patient = forms.CharField(required=False, max_length=64, label="Patient (MRN or public id)")
    action = forms.ChoiceField(required=False, choices=[("", "Any action"), *Action.choices])
    date_from = PlausibleDateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = PlausibleDateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    time_from = forms.TimeField(
        required=False, label="From time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    time_to = forms.TimeField(
        required=False,
        label="Until time",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Practice time, each day; 20:00 until 06:00 runs through the night.",
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, k) for k in SORTABLE] + [(f"-{k}", f"-{k}") for k in SORTABLE],
        widget=forms.HiddenInput,
    )

    def clean_patient(self) -> str:
        return _patient_mrn(self.cleaned_data.get("patient", ""))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class PatientAccessForm(forms.Form):
    patient = forms.CharField(max_length=64, label="Patient id", help_text="The patient's MRN or public id.")

    def clean_patient(self) -> str:
        return _patient_mrn(self.cleaned_data.get("patient", ""))
