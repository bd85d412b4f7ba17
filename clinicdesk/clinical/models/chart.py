"""The patient's lists: problems (ICD-10-CM), diagnoses of an encounter, medications,
prescriptions and allergies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from clinicdesk.core import clock
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.models import PublicIdModel, TimestampedModel

from .encounters import Encounter

# --- Problems, medications, allergies --------------------------------------------------------


class ProblemStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    IN_ERROR = "in_error", "Entered in error"


class Problem(TimestampedModel):
    """One entry of the patient's problem list: a billable ICD-10-CM code with its dates."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="problems")
    code = models.CharField("ICD-10-CM code", max_length=8)  # dotted, e.g. E11.9; a billable code
    description = models.CharField(max_length=300)  # the code's description when it was chosen
    onset = models.DateField(null=True, blank=True)
    resolved_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.ACTIVE)
    note = models.CharField(max_length=200, blank=True)
    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="problems")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["status", "-onset", "code"]
        indexes = [models.Index(fields=["patient", "status"], name="clin_problem_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(onset__isnull=True) | Q(resolved_on__gte=models.F("onset")),
                name="clin_problem_resolved_after_onset",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_on__isnull=False), name="clin_problem_resolved_has_date"
            ),
            models.UniqueConstraint(
                fields=["patient", "code"], condition=Q(status="active"), name="clin_problem_active_code_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class EncounterDiagnosis(models.Model):
    """A diagnosis addressed in an encounter, in claim order (rank 1 is the primary)."""

    encounter = models.ForeignKey(Encounter, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField("ICD-10-CM code", max_length=8)
    description = models.CharField(max_length=300)
    rank = models.PositiveSmallIntegerField()
    problem = models.ForeignKey(Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["encounter", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "rank"], name="clin_dx_rank_unique"),
            models.UniqueConstraint(fields=["encounter", "code"], name="clin_dx_code_once"),
            models.CheckConstraint(condition=Q(rank__gte=1, rank__lte=12), name="clin_dx_rank_1_12"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.code}"


class MedicationStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"
    IN_ERROR = "in_error", "Entered in error"


class Medication(TimestampedModel):
    """A medication the patient takes (prescribed here or elsewhere)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    strength = models.CharField(max_length=60, blank=True)  # e.g. "500 mg"
    form = models.CharField(max_length=40, blank=True)  # e.g. tablet
    directions = models.CharField(max_length=300, blank=True)  # e.g. "1 tablet by mouth twice daily"
    quantity = models.CharField(max_length=40, blank=True)  # e.g. "60 tablets"
    refills = models.PositiveSmallIntegerField(default=0)
    prescriber = models.ForeignKey(
        "scheduling.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField(null=True, blank=True)
    stop_date = models.DateField(null=True, blank=True)
    stop_reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=MedicationStatus.choices, default=MedicationStatus.ACTIVE)
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="medications"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["status", "name"]
        indexes = [models.Index(fields=["patient", "status"], name="clin_med_patient")]
        constraints = [
            models.CheckConstraint(condition=Q(refills__lte=99), name="clin_med_refills_le_99"),
            models.CheckConstraint(
                condition=Q(stop_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(stop_date__gte=models.F("start_date")),
                name="clin_med_stop_after_start",
            ),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.name, self.strength, self.form) if part)


class Prescription(PublicIdModel):
    """A prescription written for a medication and printed for the patient (no e-prescribing)."""

    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="prescriptions")
    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, null=True, blank=True, related_name="prescriptions"
    )
    prescriber = models.ForeignKey("scheduling.Provider", on_delete=models.PROTECT, related_name="+")
    written_on = models.DateField()
    directions = models.CharField(max_length=300)
    quantity = models.CharField(max_length=40)
    refills = models.PositiveSmallIntegerField(default=0)
    dispense_as_written = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-written_on"]

    def __str__(self) -> str:
        return f"Rx {self.medication} {date_text(self.written_on)}"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class AllergyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"  # resolved / outgrown
    IN_ERROR = "in_error", "Entered in error"


class Allergy(TimestampedModel):
    """An allergy, or the explicit "no known allergies" entry (substance blank, nka true).

    "No known allergies" is a statement someone made on a date, not the absence of rows; it
    and an active allergy never stand together (services.allergy_add ends one for the other).
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="allergies")
    no_known_allergies = models.BooleanField(default=False)
    substance = models.CharField(max_length=120, blank=True)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN)
    status = models.CharField(max_length=10, choices=AllergyStatus.choices, default=AllergyStatus.ACTIVE)
    noted_on = models.DateField(default=clock.today)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["status", "substance"]
        verbose_name_plural = "allergies"
        indexes = [models.Index(fields=["patient", "status"], name="clin_allergy_patient")]
        constraints = [
            models.CheckConstraint(
                condition=Q(no_known_allergies=True, substance="") | Q(no_known_allergies=False) & ~Q(substance=""),
                name="clin_allergy_substance_or_nka",
            ),
            models.UniqueConstraint(
                fields=["patient"], condition=Q(no_known_allergies=True, status="active"), name="clin_allergy_one_nka"
            ),
            models.UniqueConstraint(
                "patient",
                Lower("substance"),
                condition=Q(no_known_allergies=False, status="active"),
                name="clin_allergy_active_substance_once",
            ),
        ]

    def __str__(self) -> str:
        return "No known allergies" if self.no_known_allergies else self.substance
