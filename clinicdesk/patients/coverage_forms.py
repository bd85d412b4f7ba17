"""Forms for the payer directory and coverages. They check shapes only; the services hold the rules."""

from __future__ import annotations

from django import forms

from clinicdesk.core import clock
from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.money import MoneyField
from clinicdesk.core.ranges import Span

from .coverage import COPAY_MAX_CENTS, COPAY_MESSAGES, SUBSCRIBER_FIELDS, CoverageInput
from .forms import DATE_FORMATS
from .models import CoveragePriority, PayerType, Relationship, Sex
from .payers import PAYER_FIELDS, PayerInput, payer_list
from .us import STATES

_STATE_CHOICES = [("", "—"), *sorted(STATES.items())]


def _date_field(*, span: Span = Span.RECORD, **kwargs) -> forms.DateField:
    return PlausibleDateField(
        span=span,
        input_formats=DATE_FORMATS,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        **kwargs,
    )


class PayerForm(forms.Form):
    name = forms.CharField(max_length=200)
    payer_type = forms.ChoiceField(choices=PayerType.choices, label="Type")
    payer_id = forms.CharField(
        max_length=80, required=False, label="X12 payer id", help_text="From the clearinghouse list."
    )
    address_line1 = forms.CharField(max_length=200, required=False, label="Claims address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100, required=False)
    state = forms.ChoiceField(choices=_STATE_CHOICES, required=False)
    zip_code = forms.CharField(max_length=10, required=False, label="ZIP code")
    phone = forms.CharField(max_length=30, required=False, label="Provider services phone")
    active = forms.BooleanField(
        required=False, initial=True, help_text="Inactive payers are not offered for new coverages."
    )

    def to_input(self) -> PayerInput:
        data = self.cleaned_data
        text = {name: data.get(name) or "" for name in PAYER_FIELDS if name != "active"}
        return PayerInput(**text, active=bool(data.get("active")))


class CoverageForm(forms.Form):
    payer = forms.ModelChoiceField(
        queryset=payer_list(include_inactive=False), empty_label="— choose —", to_field_name="public_id"
    )
    priority = forms.ChoiceField(choices=CoveragePriority.choices)
    plan_name = forms.CharField(max_length=200, required=False)
    member_id = forms.CharField(
        max_length=80,
        required=False,
        label="Member id",
        help_text="As on the card. Medicare: the 11-character MBI, e.g. 1EG4-TE5-MK73.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    group_number = forms.CharField(max_length=50, required=False)
    effective_date = _date_field(label="Effective date", help_text="e.g. 01/01/2026")
    end_date = _date_field(
        required=False, label="End date", help_text="Only when the termination date is already known."
    )
    # Staff type dollars ("25", "$25.50"); the field cleans to cents.
    copay_cents = MoneyField(
        required=False,
        label="Copay amount ($)",
        max_cents=COPAY_MAX_CENTS,
        help_text="Dollars per visit as on the card, e.g. 25.00. Leave blank when the card gives none.",
        error_messages=COPAY_MESSAGES,
    )
    copay_notes = forms.CharField(max_length=200, required=False, label="Copay notes")
    coinsurance_notes = forms.CharField(max_length=200, required=False, label="Coinsurance")
    deductible_notes = forms.CharField(max_length=200, required=False, label="Deductible")
    relationship = forms.ChoiceField(
        choices=Relationship.choices, initial=Relationship.SELF, label="Patient's relationship to the subscriber"
    )
    subscriber_first_name = forms.CharField(max_length=100, required=False, label="Subscriber first name")
    subscriber_last_name = forms.CharField(max_length=100, required=False, label="Subscriber last name")
    subscriber_date_of_birth = _date_field(span=Span.PAST, required=False, label="Subscriber date of birth")
    subscriber_sex = forms.ChoiceField(choices=[("", "—"), *Sex.choices], required=False, label="Subscriber sex")
    subscriber_address_line1 = forms.CharField(max_length=200, required=False, label="Subscriber address")
    subscriber_address_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    subscriber_city = forms.CharField(max_length=100, required=False, label="City")
    subscriber_state = forms.ChoiceField(choices=_STATE_CHOICES, required=False, label="State")
    subscriber_zip_code = forms.CharField(max_length=10, required=False, label="ZIP code")

    GROUPS = (
        ("Policy", ("payer", "priority", "plan_name", "member_id", "group_number", "effective_date", "end_date")),
        ("Patient cost", ("copay_cents", "copay_notes", "coinsurance_notes", "deductible_notes")),
        ("Subscriber (leave blank when the patient is the subscriber)", ("relationship", *SUBSCRIBER_FIELDS)),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Evaluated per form, so a payer added a minute ago is offered.
        self.fields["payer"].queryset = payer_list(include_inactive=False)  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset

    def groups(self):
        return [(legend, [self[name] for name in names]) for legend, names in self.GROUPS]

    def to_input(self) -> CoverageInput:
        data = self.cleaned_data
        return CoverageInput(
            payer=data.get("payer"),
            priority=data.get("priority") or "",
            effective_date=data.get("effective_date"),
            end_date=data.get("end_date"),
            relationship=data.get("relationship") or "",
            **{
                name: data.get(name) or ""
                for name in (
                    "member_id",
                    "plan_name",
                    "group_number",
                    "copay_notes",
                    "coinsurance_notes",
                    "deductible_notes",
                    *[n for n in SUBSCRIBER_FIELDS if n != "subscriber_date_of_birth"],
                )
            },  # fmt: skip
            subscriber_date_of_birth=data.get("subscriber_date_of_birth"),
            copay_cents=data.get("copay_cents"),
        )


class CoverageEndForm(forms.Form):
    end_date = _date_field(label="Last day of coverage", help_text="e.g. 12/31/2026")
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. “new employer plan”, “entered in error”.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["end_date"].initial = clock.today()
