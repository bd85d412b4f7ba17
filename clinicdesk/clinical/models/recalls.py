"""Follow-ups that come back to the front desk."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.models import PublicIdModel

from .encounters import Encounter

# --- Follow-ups ------------------------------------------------------------------------------


class RecallStatus(models.TextChoices):
    DUE = "due", "Due"  # overdue is a due recall past its date, derived, never stored
    CONTACTED = "contacted", "Contacted"
    SCHEDULED = "scheduled", "Scheduled"
    CLOSED = "closed", "Closed"


class Recall(PublicIdModel):
    """A follow-up the patient should book ("return in 2 weeks for BP check").

    Created from a note's plan; worked by the front desk from the recall worklist. Booking an
    appointment of the recall's type for the patient (with the recall's provider, when it names
    one) on or after the day it was made marks it scheduled and links the appointment. A recall
    never scheduled stays on the worklist until closed with a reason.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="recalls")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="recalls")
    appointment_type = models.ForeignKey("scheduling.AppointmentType", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey(
        "scheduling.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    reason = models.CharField(max_length=200)  # what for, e.g. "BP check"; no narrative
    status = models.CharField(max_length=10, choices=RecallStatus.choices, default=RecallStatus.DUE)
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_note = models.CharField(max_length=200, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["due_on"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="clin_recall_worklist"),
            models.Index(fields=["patient", "status"], name="clin_recall_patient"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="scheduled") | Q(appointment__isnull=False), name="clin_recall_scheduled_has_appt"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | (Q(closed_at__isnull=False) & ~Q(closed_reason="")),
                name="clin_recall_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Recall {self.reason} due {date_text(self.due_on)}"
