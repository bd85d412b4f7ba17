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
    # The id this patient had in the system an import came from; makes re-running an import a no-op.
    external_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
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


# --- Insurance: the payer directory and each patient's coverages (issue 3, point 4) ---------


class PayerType(models.TextChoices):
    COMMERCIAL = "commercial", "Commercial"
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    TRICARE = "tricare", "Tricare"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    SELF_PAY = "self_pay", "Self-pay"


class Payer(models.Model):
    """An insurer (or "self-pay") the practice bills. Not PHI: the directory is shared by all patients.

    A payer that stops being used is made inactive rather than deleted, because past
    coverages and claims still point at it; inactive payers are not offered for new coverages.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    payer_id = models.CharField("X12 payer id", max_length=80, blank=True, help_text="From the clearinghouse list.")
    payer_type = models.CharField(max_length=20, choices=PayerType.choices)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "payer_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_id})" if self.payer_id else self.name


class CoveragePriority(models.TextChoices):
    """The order payers are billed in. The values happen to sort in that order too."""

    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    TERTIARY = "tertiary", "Tertiary"


class Relationship(models.TextChoices):
    """The patient's relationship to the subscriber: X12 individual relationship codes (loop 2000B SBR02 / 2000C PAT01)."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    EMPLOYEE = "20", "Employee"
    UNKNOWN = "21", "Unknown"
    ORGAN_DONOR = "39", "Organ donor"
    CADAVER_DONOR = "40", "Cadaver donor"
    LIFE_PARTNER = "53", "Life partner"
    OTHER = "G8", "Other relationship"


class Coverage(models.Model):
    """One insurance policy of one patient, at one priority, over a span of dates.

    Coverages are never overwritten. A coverage is *active* while `ended_at` is null; ending it
    (`coverage.coverage_end`) fills `end_date`, `ended_at` and `ended_by` and frees its priority.
    A new member id, plan or payer is a new coverage, so claims already sent keep pointing at
    the policy they were billed to. The database allows at most one active coverage of each
    priority per patient (a partial unique index, on SQLite and PostgreSQL alike).

    When the relationship is "18" (self) the patient is the subscriber and the subscriber
    fields stay blank; otherwise they hold the other person's name, birth date, sex and address.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    priority = models.CharField(max_length=10, choices=CoveragePriority.choices)
    plan_name = models.CharField(max_length=200, blank=True)
    member_id = models.CharField(max_length=80, blank=True, db_index=True)
    group_number = models.CharField(max_length=50, blank=True)
    relationship = models.CharField(
        "patient's relationship to subscriber", max_length=2, choices=Relationship.choices, default=Relationship.SELF
    )
    subscriber_first_name = models.CharField(max_length=100, blank=True)
    subscriber_last_name = models.CharField(max_length=100, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    subscriber_address_line1 = models.CharField(max_length=200, blank=True)
    subscriber_address_line2 = models.CharField(max_length=200, blank=True)
    subscriber_city = models.CharField(max_length=100, blank=True)
    subscriber_state = models.CharField(max_length=2, blank=True)
    subscriber_zip_code = models.CharField(max_length=10, blank=True)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    copay_notes = models.CharField(max_length=200, blank=True)
    coinsurance_notes = models.CharField(max_length=200, blank=True)
    deductible_notes = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    end_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["priority", "-effective_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "priority"],
                condition=models.Q(ended_at__isnull=True),
                name="coverage_one_active_per_priority",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("effective_date")),
                name="coverage_end_not_before_effective",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(end_date__isnull=False),
                name="coverage_ended_has_end_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_priority_display()} coverage {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def subscriber_is_patient(self) -> bool:
        return self.relationship == Relationship.SELF

    @property
    def member_id_display(self) -> str:
        """An MBI as CMS prints it (1EG4-TE5-MK73); any other member id as stored."""
        if self.payer.payer_type == PayerType.MEDICARE and len(self.member_id) == 11:
            m = self.member_id
            return f"{m[:4]}-{m[4:7]}-{m[7:]}"
        return self.member_id

    def in_force_on(self, day: date) -> bool:
        """True when the policy covers `day`: effective by then and not ended before it."""
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)
