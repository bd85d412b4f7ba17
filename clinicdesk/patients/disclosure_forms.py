"""Forms of the right-of-access copy and of the accounting of disclosures. Shapes only;
disclosures.py holds the rules (who needs a name, a purpose, an authorization)."""

from __future__ import annotations

from datetime import date

from django import forms

from clinicdesk.core.datetimes import date_text

from .disclosures import DisclosureInput, release_consents
from .forms import DATE_FORMATS
from .models import DisclosureBasis, DisclosureMethod, Patient, RecipientKind

_BASIS_FOR_OTHERS = [("", "—"), *[c for c in DisclosureBasis.choices if c[0] != DisclosureBasis.ACCESS]]
_DATE_WIDGET = forms.DateInput(
    format="%m/%d/%Y", attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "MM/DD/YYYY"}
)


def _consent_choices(patient: Patient) -> list[tuple[str, str]]:
    choices = [("", "—")]
    for consent in release_consents(patient=patient):
        state = (
            f"revoked {date_text(consent.revoked_on)}"
            if consent.is_revoked
            else (f"until {date_text(consent.expires_on)}" if consent.expires_on else "no expiry")
        )
        choices.append(
            (str(consent.public_id), f"{consent.recipient_name}, signed {date_text(consent.signed_on)} ({state})")
        )
    return choices


class ReleaseFields(forms.Form):
    """Who receives the information, why, on what basis and how: asked of every copy and disclosure."""

    recipient_kind = forms.ChoiceField(
        choices=RecipientKind.choices, initial=RecipientKind.PATIENT, widget=forms.RadioSelect, label="Who receives it"
    )
    recipient_name = forms.CharField(
        max_length=200, required=False, label="Recipient's name",
        help_text="For a representative or someone else: the person or organization. Blank for the patient.",
    )  # fmt: skip
    recipient_address = forms.CharField(
        max_length=300, required=False, label="Recipient's address", help_text="When known (it goes in the accounting)."
    )
    purpose = forms.CharField(
        max_length=300, required=False, label="Purpose", help_text="For someone else: why they receive it."
    )
    basis = forms.ChoiceField(
        choices=_BASIS_FOR_OTHERS, required=False, label="Legal basis",
        help_text="For someone else only. A copy to the patient or their representative is under the right of access.",
    )  # fmt: skip
    # A select of the patient's authorizations, checked by the service (which knows whose they
    # are and whether one was in force on the day): the form needs no patient to read a POST.
    consent = forms.CharField(
        required=False, max_length=36, widget=forms.Select(choices=[("", "—")]), label="Authorization on file",
        help_text="With the basis “the patient's signed authorization”: the release-of-information consent it rests on.",
    )  # fmt: skip
    method = forms.ChoiceField(choices=DisclosureMethod.choices, label="How it is handed over")

    def show_consents_of(self, patient: Patient) -> None:
        """Offer `patient`'s release-of-information authorizations in the select."""
        self.fields["consent"].widget.choices = _consent_choices(patient)  # type: ignore[attr-defined]  # a Select

    def to_input(self, *, description: str = "", disclosed_on: date | None = None) -> DisclosureInput:
        data = self.cleaned_data
        return DisclosureInput(
            recipient_kind=data["recipient_kind"],
            method=data["method"],
            recipient_name=data.get("recipient_name") or "",
            recipient_address=data.get("recipient_address") or "",
            purpose=data.get("purpose") or "",
            basis=data.get("basis") or "",
            consent=data.get("consent") or None,
            description=description,
            disclosed_on=disclosed_on,
        )


class ExportForm(ReleaseFields):
    """The right-of-access copy: which form, and who receives it."""

    format = forms.ChoiceField(
        choices=[("pdf", "Readable copy (PDF)"), ("fhir", "Machine-readable copy (FHIR R4, JSON)")],
        initial="pdf",
        widget=forms.RadioSelect,
        label="Form of the copy",
    )

    field_order = ["format", "recipient_kind", "recipient_name", "recipient_address", "purpose", "basis", "consent",
                   "method"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].initial = DisclosureMethod.DOWNLOAD


class DisclosureForm(ReleaseFields):
    """A disclosure made outside ClinicDesk, recorded afterwards."""

    disclosed_on = forms.DateField(input_formats=DATE_FORMATS, widget=_DATE_WIDGET, label="Date disclosed")
    description = forms.CharField(
        max_length=500, label="What was disclosed",
        help_text="Categories only, e.g. “visit notes of 2025 and lab results”. Never copy the information itself.",
    )  # fmt: skip

    field_order = ["disclosed_on", "recipient_kind", "recipient_name", "recipient_address", "purpose", "basis",
                   "consent", "description", "method"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_kind"].initial = RecipientKind.THIRD_PARTY
        self.fields["method"].initial = DisclosureMethod.MAIL

    def to_disclosure(self) -> DisclosureInput:
        return self.to_input(
            description=self.cleaned_data["description"], disclosed_on=self.cleaned_data["disclosed_on"]
        )


class PeriodForm(forms.Form):
    """The period of the accounting: six years up to today unless the patient asks for less."""

    since = forms.DateField(input_formats=DATE_FORMATS, required=False, widget=_DATE_WIDGET, label="From")
    until = forms.DateField(input_formats=DATE_FORMATS, required=False, widget=_DATE_WIDGET, label="To")
    accounting_only = forms.BooleanField(
        required=False, label="Only what HIPAA requires in an accounting",
        help_text="Leaves out copies to the patient, releases the patient authorized, and treatment, payment or "
        "operations.",
    )  # fmt: skip

    def clean(self):
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end of the period is before its start.")
        return data
