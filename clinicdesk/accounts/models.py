from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from clinicdesk.core import clock
from clinicdesk.core.capabilities import Role
from clinicdesk.core.datetimes import datetime_text
from clinicdesk.core.models import PublicIdModel


class User(AbstractUser, PublicIdModel):
    """A member of staff. Nobody signs up: the office manager creates accounts.

    `role` drives every permission through the capability matrix in `core.capabilities`;
    Django's own is_staff/is_superuser flags are unused (there is no Django admin).
    Accounts are deactivated, never deleted, because the audit trail points at them.
    """

    role = models.CharField(max_length=32, choices=Role.choices)
    display_name = models.CharField(max_length=150, blank=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # When the password last changed or the second factor was reset or removed, by anyone.
    # API tokens issued before it stop working, as sessions end; None until the first change.
    credentials_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        return Role(self.role).label if self.role in Role.values else "—"


class StaffSession(models.Model):
    """A signed-in session of one person, so the office manager can end them all at once.

    Django's session table cannot be searched by user (the user id is inside the encoded
    data); this row links the two and remembers when the session began, for the 12-hour
    absolute limit.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=clock.now)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return f"session of {self.user_id} since {datetime_text(self.started_at)}"


class ApiToken(PublicIdModel):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once.

    The token acts with its owner's current role (never more), stops working when it
    expires, is revoked, its owner is deactivated, or its owner's password or second factor
    changes after it was issued. While MFA is required, its owner must also be enrolled
    (checked by `services.api_token_authenticate`, which reads the authenticators).
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def ended_because(self, now) -> str | None:
        """Why the token no longer works at `now` (one of TOKEN_ENDINGS), or None while it does.

        The first reason that applies, in this order: revoked, expired, owner deactivated,
        owner's credentials changed after it was issued. A token issued at the very moment of
        the change (the same microsecond, or under a stopped test clock) counts as issued after
        it, because a new account's first password is such a change.
        """
        changed = self.user.credentials_changed_at
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        if not self.user.is_active:
            return "deactivated"
        if changed is not None and self.created_at < changed:
            return "credentials"
        return None

    @property
    def ending_label(self) -> str:
        """What the owner's token list says: "" while the token works, else why it ended."""
        ended = self.ended_because(clock.now())
        return TOKEN_ENDINGS[ended] if ended else ""


# What the owner's token list says about a token that ended, by `ApiToken.ended_because`.
TOKEN_ENDINGS = {
    "revoked": "Revoked",
    "expired": "Expired",
    "deactivated": "Owner deactivated",
    "credentials": "Ended by a password or two-factor change",
}


class EmergencyAccess(PublicIdModel):
    """A "break the glass" grant: one person, one restricted record, for a limited time.

    Granted on a typed reason, written to the audit trail as emergency-access, and listed
    for the office manager (or privacy officer) to review with a comment.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="emergency_grants")
    patient_id = models.CharField(max_length=64, db_index=True)
    reason = models.CharField(max_length=500)
    granted_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="emergency_reviews"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        indexes = [models.Index(fields=["user", "patient_id", "expires_at"], name="emergency_active")]

    def __str__(self) -> str:
        return f"emergency access {self.public_id}"


class RestrictedRecord(models.Model):
    """A patient record flagged restricted (e.g. a staff member's own chart, a VIP).

    Opening it needs an emergency-access grant. The patients app owns patients; this table
    holds the flag by public id so the rule lives below it, in one place.
    """

    patient_id = models.CharField(max_length=64, unique=True)
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    flagged_at = models.DateTimeField(default=clock.now)
    note = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"restricted {self.patient_id}"
