"""Forms of the note pages: the draft editor, addenda and amendment requests.

Forms parse and label; the rules (size limits, who may sign, what a signed note allows) are
in notes.py, whose ValidationErrors are shown next to the fields they name.
"""

from __future__ import annotations

from django import forms

from clinicdesk.core import ranges
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.forms import BoundedIntegerField, PlausibleDateField
from clinicdesk.core.ranges import Span

from .notes import SECTION_MAX

_SECTION_LABELS = {
    "subjective": ("Subjective", "What the patient reports: history, symptoms, concerns."),
    "objective": ("Objective", "What was observed and measured: exam, results."),
    "assessment": ("Assessment", "Diagnoses and clinical impression."),
    "plan": ("Plan", "Treatment, orders, instructions, follow-up."),
}


def _section(name: str) -> forms.CharField:
    label, help_text = _SECTION_LABELS[name]
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        help_text=f"{help_text} Up to {SECTION_MAX:,} characters.",
        widget=forms.Textarea(attrs={"rows": 6, "class": "note-section", "spellcheck": "true"}),
    )


class NoteDraftForm(forms.Form):
    version = BoundedIntegerField(
        widget=forms.HiddenInput(attrs={"id": "note-version"}), min_value=1, max_value=ranges.LARGEST_INTEGER
    )
    subjective = _section("subjective")
    objective = _section("objective")
    assessment = _section("assessment")
    plan = _section("plan")

    def sections(self) -> dict[str, str]:
        """The four sections as typed (also when the form is invalid, so nothing is lost)."""
        source = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        typed: dict[str, str] = {}
        for name in ("subjective", "objective", "assessment", "plan"):
            value = source.get(name)
            typed[name] = str(value if value is not None else self.data.get(name, ""))
        return typed


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        required=False,  # the service says what is wrong, in the same words for the API
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A correction or addition. It is signed with your name and the time when you save it, "
        "and shown under the note; it cannot be changed afterwards.",
    )


class AmendmentRequestForm(forms.Form):
    received_on = PlausibleDateField(
        span=Span.PAST, label="Date received", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    note = forms.ChoiceField(label="About the visit note", required=False)
    requested_change = forms.CharField(
        label="What the patient asks to change",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="In the patient's words, or attach their letter to the chart and summarize it here.",
    )

    def __init__(self, *args, notes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].choices = [("", "No particular note (the record in general)")] + [
            (str(n.public_id), note_choice_label(n)) for n in notes
        ]


class AmendmentAcceptForm(forms.Form):
    note = forms.ChoiceField(label="Signed note the amendment goes under", required=False)
    addendum_text = forms.CharField(
        label="Amendment (added to the note as a signed addendum)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, notes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].choices = [("", "Choose a note")] + [
            (str(n.public_id), note_choice_label(n)) for n in notes
        ]


class AmendmentDenyForm(forms.Form):
    reason = forms.CharField(
        label="Reason for the denial",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept with the request and sent to the patient with their right to file a statement of "
        "disagreement (45 CFR 164.526(d)).",
    )


def note_choice_label(note) -> str:
    """ "03/02/2026 · Dr. Okafor · Main Street Clinic": no reason for visit, which is clinical text
    that the office manager (who records amendment requests) does not read."""
    encounter = note.encounter
    return f"{date_text(encounter.date_of_service)} · {encounter.provider.user} · {encounter.location.name}"
