"""Encounters (one per visit) and the vital signs taken in them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text, datetime_text
from clinicdesk.core.models import ClockDateTimeField, PublicIdModel


class EncounterStatus(models.TextChoices):
    OPEN = "open", "Open"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Amended"  # signed, with at least one addendum


class Encounter(PublicIdModel):
    """One visit of one patient with one provider at one location on one date of service."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="encounters")
    # One encounter per appointment; none for an unscheduled visit (then `unscheduled_reason`).
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="encounter"
    )
    provider = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="encounters")
    location = models.ForeignKey("scheduling.Location", on_delete=models.PROTECT, related_name="encounters")
    date_of_service = models.DateField()
    reason = models.CharField("reason for visit", max_length=200)
    unscheduled_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=EncounterStatus.choices, default=EncounterStatus.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=clock.now)
    updated_at = ClockDateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_of_service", "-opened_at"]
        indexes = [models.Index(fields=["patient", "date_of_service"], name="clin_enc_patient_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(appointment__isnull=False) | ~Q(unscheduled_reason=""),
                name="clin_enc_scheduled_or_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Encounter {date_text(self.date_of_service)}"


# --- Vitals ----------------------------------------------------------------------------------


class Vitals(PublicIdModel):
    """One set of vital signs, stored in metric units (kg, cm, °C); entered in either.

    BMI is derived from the height and weight when both are given, and stored so the chart's
    trend reads one column. A set entered by mistake is marked in error (with a reason), never
    edited or deleted.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="vitals")
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="vitals")
    taken_at = models.DateTimeField(default=clock.now)
    taken_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    systolic = models.PositiveSmallIntegerField(null=True, blank=True)  # mmHg
    diastolic = models.PositiveSmallIntegerField(null=True, blank=True)  # mmHg
    pulse = models.PositiveSmallIntegerField(null=True, blank=True)  # beats/min
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    respiratory_rate = models.PositiveSmallIntegerField(null=True, blank=True)  # breaths/min
    spo2 = models.PositiveSmallIntegerField("SpO2", null=True, blank=True)  # %
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    bmi = models.DecimalField("BMI", max_digits=4, decimal_places=1, null=True, blank=True)
    # What was typed, in the unit it was typed in ("F"/"C", "in"/"cm", "lb"/"kg"), so 150 lb is
    # shown back as 150 lb and not as 149.9 lb converted back from 68.0 kg. Empty for readings
    # recorded before the entered values were kept: those show the stored metric value.
    temperature_entered = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    temperature_unit = models.CharField(max_length=2, blank=True, default="")
    height_entered = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    height_unit = models.CharField(max_length=2, blank=True, default="")
    weight_entered = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    weight_unit = models.CharField(max_length=2, blank=True, default="")
    pain = models.PositiveSmallIntegerField("pain score (0-10)", null=True, blank=True)
    flags = models.CharField(max_length=300, blank=True)  # borderline values, in words
    in_error = models.BooleanField(default=False)
    in_error_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-taken_at"]
        verbose_name_plural = "vitals"
        indexes = [models.Index(fields=["patient", "taken_at"], name="clin_vitals_patient_time")]
        constraints = [
            models.CheckConstraint(condition=Q(pain__lte=10), name="clin_vitals_pain_0_10"),
            models.CheckConstraint(condition=Q(spo2__lte=100), name="clin_vitals_spo2_le_100"),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(systolic__isnull=False, diastolic__isnull=False, systolic__gt=models.F("diastolic")),
                name="clin_vitals_bp_pair",
            ),
            models.CheckConstraint(condition=Q(in_error=False) | ~Q(in_error_reason=""), name="clin_vitals_error_why"),
        ]

    def __str__(self) -> str:
        return f"Vitals {datetime_text(self.taken_at)}"
