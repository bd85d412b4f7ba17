from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by the office manager; there is no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False


class StaffMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        """While MFA is required, nobody may switch theirs off (a manager can reset it)."""
        return not settings.CLINICDESK_MFA_REQUIRED
