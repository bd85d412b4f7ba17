"""Forms for communication preferences, the guarantor and privacy paperwork. Shapes only; paperwork.py holds the rules."""

from __future__ import annotations

from django import forms

from clinicdesk.core import clock
from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.ranges import Span

from .forms import DATE_FORMATS
from .models import ConsentKind, ConsentSource, ContactTime, GuarantorKind, GuarantorRelationship, NppMethod
from .paperwork import PERSON_FIELDS, CommPreferenceInput, ConsentInput, NppInput, RestrictionInput
from .us import STATES

_STATE_CHOICES = [("", "—"), *sorted(STATES.items())]


def _date_field(*, span: Span = Span.RECORD, **kwargs) -> forms.DateField:
    return PlausibleDateField(
        span=span,
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        **kwargs,
    )


def _time_field(**kwargs) -> forms.TimeField:
    return forms.TimeField(
        required=False, input_formats=["%H:%M", "%I:%M %p", "%I:%M%p", "%I %p"], help_text="e.g. 9:00 AM", **kwargs
    )


class CommPreferenceForm(forms.Form):
    """One channel; the page shows one of these per channel, each with the channel as its prefix."""

    consent = forms.BooleanField(required=False, label="Consents to be contacted this way")
    consent_date = _date_field(span=Span.PAST, required=False, label="Date of consent (or refusal)")
    consent_source = forms.ChoiceField(choices=[("", "—"), *ConsentSource.choices], required=False, label="Given")
    reminder_opt_in = forms.BooleanField(required=False, label="Appointment reminders")
    contact_time = forms.ChoiceField(choices=ContactTime.choices, initial=ContactTime.ANY, label="Best time")
    window_start = _time_field(label="Window from")
    window_end = _time_field(label="Window to")

    def __init__(self, *args, channel: str, channel_label: str, **kwargs):
        kwargs["prefix"] = channel
        super().__init__(*args, **kwargs)
        self.channel, self.channel_label = channel, channel_label

    def to_input(self) -> CommPreferenceInput:
        data = self.cleaned_data
        return CommPreferenceInput(
            channel=self.channel,
            consent=bool(data.get("consent")),
            consent_date=data.get("consent_date"),
            consent_source=data.get("consent_source") or "",
            reminder_opt_in=bool(data.get("reminder_opt_in")),
            contact_time=data.get("contact_time") or ContactTime.ANY,
            window_start=data.get("window_start"),
            window_end=data.get("window_end"),
        )


class GuarantorForm(forms.Form):
    kind = forms.ChoiceField(choices=GuarantorKind.choices, widget=forms.RadioSelect, label="Responsible for the bill")
    guarantor_mrn = forms.CharField(
        max_length=8, required=False, label="Guarantor's MRN", help_text="Only when the guarantor is a patient here."
    )
    relationship = forms.ChoiceField(
        choices=[("", "—"), *[c for c in GuarantorRelationship.choices if c[0] != "self"]],
        required=False,
        label="Relationship to the patient",
    )
    first_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, required=False)
    date_of_birth = _date_field(span=Span.PAST, required=False, label="Date of birth")
    phone = forms.CharField(max_length=30, required=False)
    address_line1 = forms.CharField(max_length=200, required=False, label="Address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100, required=False)
    state = forms.ChoiceField(choices=_STATE_CHOICES, required=False)
    zip_code = forms.CharField(max_length=10, required=False, label="ZIP code")

    GROUPS = (
        ("Who", ("kind", "relationship", "guarantor_mrn")),
        ("Another person (leave blank otherwise)", PERSON_FIELDS),
    )

    def groups(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def person_values(self) -> dict:
        data = self.cleaned_data
        values = {name: data.get(name) or "" for name in PERSON_FIELDS}
        values["date_of_birth"] = data.get("date_of_birth")
        return values


class NppForm(forms.Form):
    version = forms.CharField(max_length=40, help_text="The version printed on the notice, e.g. 2026-01.")
    acknowledged_on = _date_field(span=Span.PAST, label="Date")
    method = forms.ChoiceField(choices=NppMethod.choices, label="How")
    note = forms.CharField(
        max_length=300, required=False, help_text="Required for a refusal: what happened (good-faith effort)."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["acknowledged_on"].initial = clock.today()

    def to_input(self) -> NppInput:
        data = self.cleaned_data
        return NppInput(
            version=data.get("version") or "",
            acknowledged_on=data.get("acknowledged_on"),
            method=data.get("method") or "",
            note=data.get("note") or "",
        )


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    signed_on = _date_field(span=Span.PAST, label="Signed on")
    recipient_name = forms.CharField(max_length=200, required=False, help_text="Release of information only.")
    recipient_relationship = forms.CharField(max_length=60, required=False, label="Recipient's relationship")
    scope = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What may be released, or what the patient consented to.",
    )
    expires_on = _date_field(required=False, label="Expires on", help_text="Required for a release of information.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signed_on"].initial = clock.today()

    def to_input(self) -> ConsentInput:
        data = self.cleaned_data
        return ConsentInput(
            kind=data.get("kind") or "",
            signed_on=data.get("signed_on"),
            recipient_name=data.get("recipient_name") or "",
            recipient_relationship=data.get("recipient_relationship") or "",
            scope=data.get("scope") or "",
            expires_on=data.get("expires_on"),
        )


class ConsentRevokeForm(forms.Form):
    revoked_on = _date_field(span=Span.PAST, label="Revoked on")
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["revoked_on"].initial = clock.today()


AGREED_CHOICES = [("", "Not decided yet"), ("yes", "Agreed"), ("no", "Not agreed")]


class RestrictionForm(forms.Form):
    text = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), label="What the patient asked to restrict"
    )
    requested_on = _date_field(span=Span.PAST, label="Requested on")
    agreed = forms.ChoiceField(choices=AGREED_CHOICES, required=False, label="The practice's answer")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requested_on"].initial = clock.today()

    def to_input(self) -> RestrictionInput:
        data = self.cleaned_data
        agreed = {"yes": True, "no": False}.get(data.get("agreed") or "")
        return RestrictionInput(text=data.get("text") or "", requested_on=data.get("requested_on"), agreed=agreed)


class RestrictionDecideForm(forms.Form):
    """The practice's answer to a pending restriction request."""

    agreed = forms.ChoiceField(
        choices=[c for c in AGREED_CHOICES if c[0]],
        widget=forms.RadioSelect,
        label="The practice's answer",
        error_messages={"required": "Choose agreed or not agreed."},
        help_text="An answer is final: it cannot be changed afterwards.",
    )

    def answer(self) -> bool:
        return self.cleaned_data["agreed"] == "yes"
