"""Visit notes (drafted, signed, never changed after), addenda and amendment requests.

Narrative text is encrypted at rest; signed rows are guarded by triggers (migration 0002).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce

from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text, datetime_text
from clinicdesk.core.fields import EncryptedTextField
from clinicdesk.core.models import ClockDateTimeField, PublicIdModel

from .encounters import Encounter

# --- Notes -----------------------------------------------------------------------------------


class NoteTemplate(models.Model):
    """The starting text of a note's four sections for one appointment type (none: the default)."""

    appointment_type = models.OneToOneField(
        "scheduling.AppointmentType", on_delete=models.CASCADE, null=True, blank=True, related_name="note_template"
    )
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One template per type and one default (no type): NULLs are distinct in a unique
            # index, so the index is on the type with the default counted as type 0.
            models.UniqueConstraint(Coalesce("appointment_type", 0), name="clin_template_one_per_type"),
        ]

    def __str__(self) -> str:
        return f"Template for {self.appointment_type or 'any visit'}"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class VisitNote(PublicIdModel):
    """The SOAP note of an encounter. Drafted, autosaved, then signed by the clinician.

    Once signed, the triggers of clinical/triggers.py refuse any change to the columns the
    signature covers (triggers.COVERED) and any deletion; the co-signature is written once.

    `author` drafted it (a nurse or scribe may draft for the clinician); only a clinician with
    the signing capability signs, and signing stores who, when and the SHA-256 of the signed
    content. `version` counts autosaves, so two open editors cannot overwrite each other.
    """

    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="note")
    subjective = EncryptedTextField(blank=True, default="")
    objective = EncryptedTextField(blank=True, default="")
    assessment = EncryptedTextField(blank=True, default="")
    plan = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    cosign_required = models.BooleanField(default=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True, content_sha256="")
                | Q(
                    status="signed",
                    signed_at__isnull=False,
                    signed_by__isnull=False,
                    content_sha256__regex=r"^[0-9a-f]{64}$",
                ),
                name="clin_note_signed_has_signature",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_by__isnull=True, cosigned_at__isnull=True)
                | Q(status="signed", cosigned_by__isnull=False, cosigned_at__isnull=False),
                name="clin_note_cosign_after_sign",
            ),
        ]

    def __str__(self) -> str:
        return f"Note ({self.get_status_display().lower()})"

    def save(self, *args, **kwargs):
        # The last guard above the database's own trigger: a signed note is never written again
        # through the ORM, except its co-signature (services.note_cosign uses update_fields).
        fields = kwargs.get("update_fields")
        cosign_only = bool(fields) and set(fields) <= {"cosigned_by", "cosigned_at"}
        if (
            self.pk is not None
            and not cosign_only
            and VisitNote.objects.filter(pk=self.pk, status=NoteStatus.SIGNED).exists()
        ):
            raise SignedRecordError("This note is signed and cannot be changed. Add an addendum instead.")
        super().save(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class SignedRecordError(Exception):
    """A write to a signed note or addendum was attempted."""


class Addendum(PublicIdModel):
    """A dated, authored, signed correction or addition shown under a signed note. Never changes."""

    note = models.ForeignKey(VisitNote, on_delete=models.PROTECT, related_name="addenda")
    text = EncryptedTextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=clock.now)
    content_sha256 = models.CharField(max_length=64)
    amendment_request = models.OneToOneField(
        "AmendmentRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="addendum"
    )

    class Meta:
        ordering = ["signed_at"]
        verbose_name_plural = "addenda"
        constraints = [
            models.CheckConstraint(condition=Q(content_sha256__regex=r"^[0-9a-f]{64}$"), name="clin_addendum_hash"),
        ]

    def __str__(self) -> str:
        return f"Addendum {datetime_text(self.signed_at)}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise SignedRecordError("An addendum is signed when written and cannot be changed; add another.")
        super().save(*args, **kwargs)


class AmendmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DENIED = "denied", "Denied"


class AmendmentRequest(PublicIdModel):
    """A patient's request to amend their record (HIPAA 45 CFR 164.526), and its outcome.

    Accepted: an addendum is linked. Denied: the request and the written reason are kept (the
    practice must act within 60 days and keep both).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="amendment_requests")
    note = models.ForeignKey(
        VisitNote, on_delete=models.PROTECT, null=True, blank=True, related_name="amendment_requests"
    )
    received_on = models.DateField()
    requested_change = EncryptedTextField()
    status = models.CharField(max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.PENDING)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=clock.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    denial_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-received_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | Q(status="accepted", decided_at__isnull=False)
                | Q(status="denied", decided_at__isnull=False),  # its reason: the service (text is encrypted)
                name="clin_amendment_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment request {date_text(self.received_on)} ({self.get_status_display().lower()})"
