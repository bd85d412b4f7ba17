from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from clinicdesk.core.fields import BlindIndexField, BlindIndexManager, EncryptedTextField


class Sex(models.TextChoices):
    """Sex assigned at birth, as payers and X12 record it."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DECEASED = "deceased", "Deceased"


class Patient(models.Model):
    """A patient of the practice. Found by MRN (public) or public_id; never by integer key.

    Age and display name are derived, never stored. The SSN is encrypted at rest; only its
    last four digits are kept in the clear (for display), and exact-match search goes through
    the blind index. Whether the record is restricted lives in accounts.RestrictedRecord, so
    the emergency-access rule is enforced in one place.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mrn = models.CharField("MRN", max_length=8, unique=True)
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100)
    suffix = models.CharField(max_length=20, blank=True)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=1, choices=Sex.choices)
    gender_identity = models.CharField(max_length=60, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    ssn = EncryptedTextField(null=True, blank=True)
    ssn_index = BlindIndexField(source="ssn", normalize="identifier")
    ssn_last4 = models.CharField(max_length=4, blank=True)
    preferred_language = models.CharField(max_length=40, default="English")
    email = models.EmailField(blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=20, blank=True)
    primary_care_provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="pcp_patients"
    )
    status = models.CharField(max_length=10, choices=PatientStatus.choices, default=PatientStatus.ACTIVE)
    deceased_date = models.DateField(null=True, blank=True)
    alerts = models.TextField(blank=True, help_text="Shown to the front desk on the chart header.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: BlindIndexManager[Patient] = BlindIndexManager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patient_name"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="deceased", deceased_date__isnull=False)
                | ~models.Q(status="deceased") & models.Q(deceased_date__isnull=True),
                name="patient_deceased_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    @property
    def display_name(self) -> str:
        """ "Last, First M. Suffix", with the preferred name in quotes when it differs."""
        first = self.first_name
        if self.preferred_name and self.preferred_name != self.first_name:
            first = f'{first} "{self.preferred_name}"'
        middle = f" {self.middle_name[0]}." if self.middle_name else ""
        suffix = f" {self.suffix}" if self.suffix else ""
        return f"{self.last_name}, {first}{middle}{suffix}"

    def age_on(self, day: date) -> int:
        """Whole years on `day`; someone born on 29 February turns a year older on 1 March."""
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""


class PhoneKind(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    HOME = "home", "Home"
    WORK = "work", "Work"


class PatientPhone(models.Model):
    """A phone number in E.164 form (+12025550123); at most one of each kind per patient."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="phones")
    kind = models.CharField(max_length=10, choices=PhoneKind.choices)
    number = models.CharField(max_length=20, db_index=True)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["patient", "kind"], name="patient_phone_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.number}"

    @property
    def display(self) -> str:
        import phonenumbers

        parsed = phonenumbers.parse(self.number, None)
        fmt = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if parsed.country_code == 1
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(parsed, fmt)


class PatientFieldChange(models.Model):
    """One field of one patient changed: the chart's change history for the office manager.

    The audit trail records *that* a field changed (names only); this keeps what it was and
    became, inside the patient record where PHI belongs. SSN values are kept masked.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=60)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.field} changed"
