from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from clinicdesk.core import clock
from clinicdesk.core.fields import BlindIndexField, BlindIndexManager, EncryptedTextField
from clinicdesk.core.models import PublicIdModel, TimestampedModel
from clinicdesk.core.money import CentsField


class Sex(models.TextChoices):
    """Sex assigned at birth, as payers and X12 record it."""

    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class PatientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    DECEASED = "deceased", "Deceased"


class Patient(TimestampedModel):
    """A patient of the practice. Found by MRN (public) or public_id; never by integer key.

    Age and display name are derived, never stored. The SSN is encrypted at rest; only its
    last four digits are kept in the clear (for display), and exact-match search goes through
    the blind index. Whether the record is restricted lives in accounts.RestrictedRecord, so
    the emergency-access rule is enforced in one place.
    """

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
        return self.age_on(clock.today())

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
    changed_at = models.DateTimeField(default=clock.now)
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


class Payer(TimestampedModel):
    """An insurer (or "self-pay") the practice bills. Not PHI: the directory is shared by all patients.

    A payer that stops being used is made inactive rather than deleted, because past
    coverages and claims still point at it; inactive payers are not offered for new coverages.
    """

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


class Coverage(PublicIdModel):
    """One insurance policy of one patient, at one priority, over a span of dates.

    Coverages are never overwritten. A coverage is *active* while `ended_at` is null; ending it
    (`coverage.coverage_end`) fills `end_date`, `ended_at` and `ended_by` and frees its priority.
    A new member id, plan or payer is a new coverage, so claims already sent keep pointing at
    the policy they were billed to. The database allows at most one active coverage of each
    priority per patient (a partial unique index, on SQLite and PostgreSQL alike).

    When the relationship is "18" (self) the patient is the subscriber and the subscriber
    fields stay blank; otherwise they hold the other person's name, birth date, sex and address.
    """

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
    # What the patient pays at each visit, in cents, when the card states an amount; the notes
    # say the rest (e.g. "specialist $50"). Cents, not a DecimalField: SQLite keeps decimals as
    # floats (see clinicdesk/core/money.py).
    copay_cents = CentsField(null=True, blank=True)
    copay_notes = models.CharField(max_length=200, blank=True)
    coinsurance_notes = models.CharField(max_length=200, blank=True)
    deductible_notes = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now)
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
            models.CheckConstraint(
                condition=models.Q(copay_cents__isnull=True) | models.Q(copay_cents__gte=0),
                name="coverage_copay_not_negative",
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


# --- Communication preferences, guarantor and privacy paperwork (issue 3, points 2, 3, 5) ---


class CommChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message (SMS)"
    VOICE = "voice", "Phone call"
    MAIL = "mail", "Postal mail"


class ConsentSource(models.TextChoices):
    """Where the patient told us: needed to show, later, that the consent was really given."""

    IN_PERSON = "in_person", "In person"
    PORTAL = "portal", "Patient portal"
    PHONE = "phone", "By phone"
    FORM = "form", "Paper form"


class ContactTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (8–12)"
    AFTERNOON = "afternoon", "Afternoon (12–5)"
    EVENING = "evening", "Evening (5–8)"


class CommPreference(PublicIdModel):
    """How the patient may be contacted on one channel: the current state, one row per patient and channel.

    The row is updated in place, so every change also appends a `CommPreferenceChange` with
    the full state after it: consent facts (yes/no, date, source, who recorded it) are never
    lost. No row for a channel means consent was never recorded, which counts as "no".
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="comm_preferences")
    channel = models.CharField(max_length=10, choices=CommChannel.choices)
    consent = models.BooleanField(default=False)
    consent_date = models.DateField(null=True, blank=True)
    consent_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    reminder_opt_in = models.BooleanField(default=False)
    contact_time = models.CharField(max_length=10, choices=ContactTime.choices, default=ContactTime.ANY)
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["channel"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "channel"], name="comm_preference_one_per_channel"),
            models.CheckConstraint(
                condition=models.Q(reminder_opt_in=False) | models.Q(consent=True),
                name="comm_preference_reminders_need_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} preference {self.public_id}"


class CommPreferenceChange(models.Model):
    """The state of one channel preference right after a change: the consent history. Append-only."""

    preference = models.ForeignKey(CommPreference, on_delete=models.PROTECT, related_name="changes")
    consent = models.BooleanField()
    consent_date = models.DateField(null=True, blank=True)
    consent_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    reminder_opt_in = models.BooleanField()
    contact_time = models.CharField(max_length=10, choices=ContactTime.choices)
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"change of {self.preference_id}"


class GuarantorKind(models.TextChoices):
    SELF = "self", "The patient (self)"
    PERSON = "person", "Another person"
    PATIENT = "patient", "Another patient of the practice"


class GuarantorRelationship(models.TextChoices):
    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse or partner"
    PARENT = "parent", "Parent"
    GUARDIAN = "guardian", "Legal guardian"
    CHILD = "child", "Adult child"
    OTHER = "other", "Other"


class Guarantor(PublicIdModel):
    """Who is responsible for the patient's bill, from `created_at` until superseded.

    Exactly one current row (superseded_at null) per patient, enforced by a partial unique
    index. Changing the guarantor supersedes the current row and adds a new one, so statements
    already sent keep pointing at the person they were addressed to. For kind "person" the
    name, birth date, phone and address are stored here; for kind "patient" they come from
    `guarantor_patient`; for "self" everything is blank.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="guarantors")
    kind = models.CharField(max_length=10, choices=GuarantorKind.choices, default=GuarantorKind.SELF)
    guarantor_patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="guarantor_for"
    )
    relationship = models.CharField(
        max_length=10, choices=GuarantorRelationship.choices, default=GuarantorRelationship.SELF
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=models.Q(superseded_at__isnull=True), name="guarantor_one_current"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="patient", guarantor_patient__isnull=False)
                | ~models.Q(kind="patient") & models.Q(guarantor_patient__isnull=True),
                name="guarantor_patient_iff_kind_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"guarantor {self.public_id}"

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None

    @property
    def display_name(self) -> str:
        if self.kind == GuarantorKind.PATIENT and self.guarantor_patient is not None:
            return self.guarantor_patient.display_name
        if self.kind == GuarantorKind.PERSON:
            return f"{self.last_name}, {self.first_name}"
        return "Self"


class NppMethod(models.TextChoices):
    SIGNED_PAPER = "signed_paper", "Signed on paper"
    E_SIGNATURE = "e_signature", "Electronic signature"
    VERBAL = "verbal", "Verbal acknowledgment"
    REFUSED = "refused", "Refused to acknowledge"


class NppAcknowledgment(PublicIdModel):
    """The patient acknowledged (or refused to acknowledge) one version of the Notice of Privacy Practices.

    Append-only: a new version of the notice gets a new row. A refusal is recorded with the
    reason, which is the "good faith effort" HIPAA asks the practice to document.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="npp_acknowledgments")
    version = models.CharField(max_length=40)
    acknowledged_on = models.DateField()
    method = models.CharField(max_length=15, choices=NppMethod.choices)
    note = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-acknowledged_on", "-id"]

    def __str__(self) -> str:
        return f"NPP {self.version} {self.method}"

    @property
    def refused(self) -> bool:
        return self.method == NppMethod.REFUSED


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    RELEASE = "release", "Release of information"
    OTHER = "other", "Other"


class Consent(PublicIdModel):
    """A consent or authorization the patient signed. Revoked, never deleted.

    A release of information names its recipient (name and relationship), what may be shared
    (`scope`) and when the authorization expires. `is_active_on(day)` is what the chart shows.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=10, choices=ConsentKind.choices)
    signed_on = models.DateField()
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_relationship = models.CharField(max_length=60, blank=True)
    scope = models.TextField(blank=True)
    expires_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoke_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="release") | ~models.Q(recipient_name=""),
                name="consent_release_names_recipient",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_on__isnull=False),
                name="consent_revoked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_active_on(self, day: date) -> bool:
        """Signed by `day`, not revoked, and not expired (the expiry day itself still counts)."""
        return not self.is_revoked and self.signed_on <= day and (self.expires_on is None or day <= self.expires_on)

    @property
    def is_active(self) -> bool:
        return self.is_active_on(clock.today())


class Restriction(PublicIdModel):
    """A restriction the patient requested on uses or disclosures (HIPAA 164.522(a)).

    `agreed` is null while nobody has decided; the practice may refuse most requests, so the
    answer and who gave it are recorded.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="restrictions")
    text = models.TextField()
    requested_on = models.DateField()
    agreed = models.BooleanField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-requested_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(agreed__isnull=True, decided_by__isnull=True)
                | models.Q(agreed__isnull=False, decided_by__isnull=False),
                name="restriction_decision_has_decider",
            ),
        ]

    def __str__(self) -> str:
        return f"restriction {self.public_id}"

    @property
    def status_display(self) -> str:
        return {None: "Pending", True: "Agreed", False: "Not agreed"}[self.agreed]


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Finished"
    FAILED = "failed", "Stopped"


class ImportJob(PublicIdModel):
    """One uploaded patient list and how far its import has got (the upload page polls this)."""

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    original_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=500)
    rejects_path = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.original_name}"

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


# --- Accounting of disclosures (HIPAA 45 CFR 164.528) ----------------------------------------


class RecipientKind(models.TextChoices):
    PATIENT = "patient", "The patient"
    REPRESENTATIVE = "representative", "The patient's personal representative"
    THIRD_PARTY = "third_party", "Someone else (a person or an organization)"


class DisclosureBasis(models.TextChoices):
    """Why the practice was allowed to disclose: the HIPAA section it relied on."""

    ACCESS = "access", "The patient's right of access (164.524)"
    DIRECTED = "directed", "Sent where the patient directed in writing (164.524(c)(3)(ii))"
    AUTHORIZATION = "authorization", "The patient's signed authorization (164.508)"
    TPO = "tpo", "Treatment, payment or health care operations (164.506)"
    REQUIRED_BY_LAW = "required_by_law", "Required by law (164.512(a))"
    PUBLIC_HEALTH = "public_health", "Public health (164.512(b))"
    ABUSE = "abuse", "Report of abuse, neglect or domestic violence (164.512(c))"
    OVERSIGHT = "oversight", "Health oversight (164.512(d))"
    JUDICIAL = "judicial", "Court order or subpoena (164.512(e))"
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement (164.512(f))"
    DECEDENT = "decedent", "Coroner, medical examiner or funeral director (164.512(g))"
    RESEARCH = "research", "Research without authorization (164.512(i))"
    SAFETY = "safety", "To avert a serious threat to health or safety (164.512(j))"
    WORKERS_COMP = "workers_comp", "Workers' compensation (164.512(l))"
    OTHER = "other", "Another basis (say which in the purpose)"


# 164.528(a)(1) leaves these out of the accounting a patient may ask for: (i) treatment, payment
# and operations, (ii) disclosures to the patient themselves, (iv) those under an authorization.
# They are still recorded (the list is the practice's whole log); the accounting omits them.
NOT_IN_ACCOUNTING = frozenset({DisclosureBasis.ACCESS, DisclosureBasis.AUTHORIZATION, DisclosureBasis.TPO})


class DisclosureMethod(models.TextChoices):
    DOWNLOAD = "download", "Electronic copy handed over (file)"
    PRINT = "print", "Printed and handed over"
    MAIL = "mail", "Mailed"
    FAX = "fax", "Faxed"
    EMAIL = "email", "Emailed"
    PORTAL = "portal", "Patient portal"
    API = "api", "Sent to another system through the API"
    IN_PERSON = "in_person", "Shown or told in person"
    PHONE = "phone", "Told by phone"
    OTHER = "other", "Other"


class Disclosure(PublicIdModel):
    """One disclosure of a patient's information outside the practice, kept for the accounting.

    Written by `disclosures.disclosure_record` (a disclosure made outside ClinicDesk, recorded
    by staff) or in the same transaction as a right-of-access copy. `description` names the
    categories of information disclosed (never their content: no note text, no values).
    Rows are never changed or deleted by the product; HIPAA asks for six years of them.
    `disclosed_on` is the practice's date of the disclosure; `recorded_at` when the row was
    written (the same moment for copies the product made).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_on = models.DateField()
    recorded_at = models.DateTimeField(default=clock.now)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_kind = models.CharField(max_length=16, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=300)
    description = models.CharField("what was disclosed", max_length=500)
    basis = models.CharField(max_length=16, choices=DisclosureBasis.choices)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures")
    method = models.CharField(max_length=10, choices=DisclosureMethod.choices)
    # The right-of-access copy this row records ("pdf" or "fhir", and its scope), blank otherwise.
    export_format = models.CharField(max_length=4, blank=True)
    export_scope = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["-disclosed_on", "-recorded_at", "-id"]
        indexes = [models.Index(fields=["patient", "disclosed_on"], name="disclosure_patient_day")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(recipient_name=""), name="disclosure_names_recipient"),
            models.CheckConstraint(condition=~models.Q(description=""), name="disclosure_says_what"),
            # An authorization is on file (a release-of-information consent) or it is not this basis.
            models.CheckConstraint(
                condition=models.Q(basis="authorization", consent__isnull=False)
                | (~models.Q(basis="authorization") & models.Q(consent__isnull=True)),
                name="disclosure_authorization_has_consent",
            ),
            # The patient and their representative receive under the right of access; anyone
            # else under some other basis.
            models.CheckConstraint(
                condition=models.Q(recipient_kind__in=["patient", "representative"], basis="access")
                | (models.Q(recipient_kind="third_party") & ~models.Q(basis="access")),
                name="disclosure_basis_fits_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.public_id}"

    @property
    def in_accounting(self) -> bool:
        """True when HIPAA 164.528 requires this disclosure in the accounting given to the patient."""
        return self.basis not in NOT_IN_ACCOUNTING
