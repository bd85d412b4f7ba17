from __future__ import annotations

from typing import Any

from django import forms

from clinicdesk.core import clock
from clinicdesk.core.forms import PlausibleDateField
from clinicdesk.core.ranges import Span

from .models import PatientStatus, Sex
from .selectors import clinicians
from .us import STATES

DATE_FORMATS = ["%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%m/%d/%y", "%m.%d.%Y", "%d %b %Y", "%b %d %Y", "%B %d %Y"]


class PastDateField(PlausibleDateField):
    """A date that is in the past (from 1900 to today, core.ranges): a two-digit year means the most
    recent such year (3/14/62 is 1962)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(span=Span.PAST, **kwargs)

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None and parsed > clock.today() and isinstance(value, str) and _two_digit_year(value):
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed


def _two_digit_year(text: str) -> bool:
    last = text.strip().replace("-", "/").replace(".", "/").split("/")[-1]
    return len(last) == 2 and last.isdigit()


class PatientForm(forms.Form):
    """Registration and edit form. Checks only shapes; the service holds the rules."""

    first_name = forms.CharField(max_length=100, label="First name (legal)")
    middle_name = forms.CharField(max_length=100, required=False)
    last_name = forms.CharField(max_length=100, label="Last name (legal)")
    suffix = forms.CharField(max_length=20, required=False, help_text="Jr., Sr., III …")
    preferred_name = forms.CharField(max_length=100, required=False)
    date_of_birth = PastDateField(
        label="Date of birth",
        input_formats=DATE_FORMATS,
        help_text="e.g. 03/14/1962",
        widget=forms.DateInput(format="%m/%d/%Y", attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    sex_at_birth = forms.ChoiceField(choices=Sex.choices, label="Sex assigned at birth")
    gender_identity = forms.CharField(max_length=60, required=False)
    pronouns = forms.CharField(max_length=40, required=False)
    ssn = forms.CharField(
        max_length=11,
        required=False,
        label="SSN",
        help_text="Optional. Stored encrypted; only the last four digits are ever shown.",
        # Masked on screen; kept when the form comes back with a warning so it is not typed twice.
        widget=forms.PasswordInput(render_value=True, attrs={"autocomplete": "off"}),
    )
    preferred_language = forms.CharField(max_length=40, initial="English")
    phone_mobile = forms.CharField(max_length=30, required=False, label="Mobile phone")
    phone_home = forms.CharField(max_length=30, required=False, label="Home phone")
    phone_work = forms.CharField(max_length=30, required=False, label="Work phone")
    email = forms.CharField(max_length=254, required=False)
    address_line1 = forms.CharField(max_length=200, required=False, label="Address")
    address_line2 = forms.CharField(max_length=200, required=False, label="Address line 2")
    city = forms.CharField(max_length=100, required=False)
    state = forms.ChoiceField(choices=[("", "—"), *sorted(STATES.items(), key=lambda item: item[1])], required=False)
    zip_code = forms.CharField(max_length=10, required=False, label="ZIP code")
    emergency_contact_name = forms.CharField(max_length=200, required=False)
    emergency_contact_relationship = forms.CharField(max_length=60, required=False)
    emergency_contact_phone = forms.CharField(max_length=30, required=False)
    primary_care_provider = forms.ModelChoiceField(queryset=clinicians(), required=False, label="Primary-care provider")
    status = forms.ChoiceField(choices=PatientStatus.choices, initial=PatientStatus.ACTIVE)
    deceased_date = PastDateField(input_formats=DATE_FORMATS, required=False, label="Date of death")
    alerts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Front-desk alerts",
        help_text="Shown on the chart header, e.g. “Needs interpreter”.",
    )
    restricted = forms.BooleanField(required=False, label="Restricted record (emergency access only)")

    PHONE_FIELDS = {"phone_mobile": "mobile", "phone_home": "home", "phone_work": "work"}
    GROUPS = (
        ("Name", ("first_name", "middle_name", "last_name", "suffix", "preferred_name")),
        (
            "Birth and identity",
            ("date_of_birth", "sex_at_birth", "gender_identity", "pronouns", "ssn", "preferred_language"),
        ),
        ("Phone and email", ("phone_mobile", "phone_home", "phone_work", "email")),
        ("Address", ("address_line1", "address_line2", "city", "state", "zip_code")),
        ("Emergency contact", ("emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone")),
        ("Care and status", ("primary_care_provider", "status", "deceased_date", "alerts", "restricted")),
    )

    def groups(self):
        """(legend, bound fields) in the order the front desk fills them in."""
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in self.GROUPS]

    def __init__(self, *args, can_restrict: bool = False, ssn_on_file: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if ssn_on_file:
            self.fields[
                "ssn"
            ].help_text = f"On file: {ssn_on_file}. Leave blank to keep it; type a new one to replace it."
        # Evaluated per form, so a clinician added today appears without a restart.
        self.fields["primary_care_provider"].queryset = clinicians()  # type: ignore[attr-defined]  # the stubs type form fields as Field, which has no queryset
        if not can_restrict:
            del self.fields["restricted"]

    def to_input(self):
        """The cleaned form as the service's PatientInput (a blank SSN leaves the stored one alone)."""
        from .services import PLAIN_FIELDS, PatientInput

        data = self.cleaned_data  # on an invalid form: only the fields that parsed
        values = {name: data.get(name) for name in PLAIN_FIELDS if name in data}
        phones = {kind: data[name] for name, kind in self.PHONE_FIELDS.items() if name in data}
        return PatientInput(
            values=values,
            phones=phones,
            ssn=data.get("ssn") or None,
            restricted=data.get("restricted") if "restricted" in self.fields else None,
        )

    def add_service_problems(self) -> None:
        """After a failed parse, add what the service finds wrong with the fields that did parse."""
        from .services import patient_problems

        for name, messages in patient_problems(data=self.to_input()).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)
