from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from clinicdesk.core import crypto

# allauth seals the TOTP secret, the recovery-code seed and any migrated recovery codes
# through the same two adapter hooks without saying which, so one context covers them all.
MFA_SECRET_CONTEXT = "mfa.secret"


class StaffAccountAdapter(DefaultAccountAdapter):
    """Staff accounts are created by the office manager; there is no public sign-up."""

    def is_open_for_signup(self, request) -> bool:
        return False


class StaffMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator) -> bool:
        """While MFA is required, nobody may switch theirs off (a manager can reset it)."""
        return not settings.CLINICDESK_MFA_REQUIRED

    def encrypt(self, text: str) -> str:
        """Seal an MFA secret under the newest encryption key (see core.crypto)."""
        return crypto.encrypt(text, context=MFA_SECRET_CONTEXT)

    def decrypt(self, encrypted_text: str) -> str:
        """Open a sealed MFA secret. Plaintext or a lost key raises DecryptionError: none was ever
        stored unsealed, so anything that is not a token is damage to report, not to accept."""
        return crypto.decrypt(encrypted_text, context=MFA_SECRET_CONTEXT)
