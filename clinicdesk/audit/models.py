from __future__ import annotations

from django.conf import settings
from django.db import models

from clinicdesk.core.capabilities import Role


class Action(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXECUTE = "execute", "Execute"
    LOGIN = "login", "Login"
    LOGIN_FAILED = "login-failed", "Login failed"
    LOGOUT = "logout", "Logout"
    PRINT = "print", "Print"
    EXPORT = "export", "Export"
    EMERGENCY_ACCESS = "emergency-access", "Emergency access"


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit trail.

    `seq` has no gaps; `hash` is SHA-256 over `prev_hash` and the canonical form of the other
    fields (see `chain.canonical`). Database triggers refuse UPDATE and DELETE, and
    `clinicdesk audit verify` finds any row changed, removed or moved behind their back.
    Text fields hold references (public ids, field names), never note text or names of
    patients.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    actor_role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    patient_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    changed_fields = models.CharField(max_length=1000, blank=True)
    detail = models.CharField(max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["at"], name="audit_at"),
            models.Index(fields=["actor", "at"], name="audit_actor_at"),
            models.Index(fields=["patient_id", "at"], name="audit_patient_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor_username or 'system'}"

    @property
    def actor_role_label(self) -> str:
        """The role as people say it ("Front desk"); the stored code if it is no longer a role."""
        return Role(self.actor_role).label if self.actor_role in Role.values else (self.actor_role or "—")
