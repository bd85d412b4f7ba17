"""A password "validator" that validates nothing: it is Django's hook for password changes.

Django calls `password_changed(password, user)` on every configured validator each time a user
is saved after `set_password()` — our services, allauth's change-password page, Django's
`changepassword` command — and not when it only re-hashes an unchanged password at sign-in.
That makes it the one place that sees every password change, so API tokens end there.
"""

from __future__ import annotations


class CredentialsEpoch:
    """Ends the API tokens of a person whose password changes (see services.credentials_epoch_advance)."""

    def validate(self, password: str, user=None) -> None:
        return None

    def password_changed(self, password: str, user=None) -> None:
        if user is not None and user.pk is not None:
            from .services import credentials_epoch_advance

            credentials_epoch_advance(user=user)

    def get_help_text(self) -> str:
        return "Changing a password ends the API tokens of its owner; they create new ones under My account."
