from __future__ import annotations

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from django import forms
from django.conf import settings

from clinicdesk.core.capabilities import Role
from clinicdesk.core.forms import BoundedIntegerField

from .lockout import code_refuse_while_locked


class StaffCreateForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="What they type to sign in, e.g. luis.m")
    display_name = forms.CharField(max_length=150, required=False, label="Full name")
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=Role.choices)
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        label="Temporary password",
        help_text="At least 12 characters. Give it to them in person; they can change it after signing in.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PasswordSetForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), label="New temporary password"
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “lab results import”.")
    days = BoundedIntegerField(
        min_value=1,
        max_value=settings.CLINICDESK_API_TOKEN_MAX_DAYS,
        initial=90,
        label="Valid for (days)",
        # The service's own words, so the page says the same whichever refuses first.
        error_messages={"out_of_range": "A token lasts from {low} to {high} days{got}."},
    )


class EmergencyReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        help_text="For example: “Patient in clinic with chest pain; covering for Dr. Okafor.” It is recorded and reviewed.",
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)


class SecondFactorForm(AuthenticateForm):
    """allauth's second sign-in step (a TOTP or recovery code), refused while the account is locked.

    Wrong codes are counted by the `authentication_failed` receiver (receivers.py), so this
    form and the one below only add the check that comes before the code is looked at.
    """

    def clean_code(self) -> str:
        code_refuse_while_locked(request=context.request, user=self.user)
        return super().clean_code()


class SecondFactorReauthForm(ReauthenticateForm):
    """The code asked again before a sensitive change, refused while the account is locked."""

    def clean_code(self) -> str:
        code_refuse_while_locked(request=context.request, user=self.user)
        return super().clean_code()
