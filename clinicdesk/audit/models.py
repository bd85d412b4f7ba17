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


class ObjectType(models.TextChoices):
    """What an audit event is about: every write names one of these (`audit_record` refuses a bare
    string). The values are the strings stored in `AuditEvent.object_type` since the first event;
    a new kind of record adds a member here, and a value once written never changes."""

    ADDENDUM = "addendum"
    ALLERGY = "allergy"
    AMENDMENT_REQUEST = "amendment_request"
    API_TOKEN = "api_token"
    APPOINTMENT = "appointment"
    APPOINTMENT_SERIES = "appointment_series"
    APPOINTMENT_TYPE = "appointment_type"
    AUDIT_REPORT = "audit_report"
    AUDIT_TRAIL = "audit_trail"
    AVAILABILITY_EXCEPTION = "availability_exception"
    AVAILABILITY_TEMPLATE = "availability_template"
    CALENDAR_FEED = "calendar_feed"
    CLINICAL_TODAY = "clinical_today"
    COMM_PREFERENCE = "comm_preference"
    CONFIRMATION_LIST = "confirmation_list"
    CONSENT = "consent"
    COVERAGE = "coverage"
    DATABASE_BACKUP = "database_backup"
    DISCLOSURE = "disclosure"
    DISCLOSURE_ACCOUNTING = "disclosure_accounting"
    EMERGENCY_ACCESS = "emergency_access"
    ENCOUNTER = "encounter"
    ENCOUNTER_DIAGNOSES = "encounter_diagnoses"
    ENCRYPTION_KEYS = "encryption_keys"
    FLOW_BOARD = "flow_board"
    GUARANTOR = "guarantor"
    HOLIDAY_OVERRIDE = "holiday_override"
    LOCATION = "location"
    MEDICATION = "medication"
    MFA = "mfa"
    NOTE_TEMPLATE = "note_template"
    NOTE_WORKLIST = "note_worklist"
    NPP_ACK = "npp_ack"
    PATIENT = "patient"
    PATIENT_ACCESS_REPORT = "patient_access_report"
    PATIENT_DUPLICATES = "patient_duplicates"
    PATIENT_IMPORT = "patient_import"
    PATIENT_MERGE = "patient_merge"
    PATIENT_RECORD = "patient_record"
    PATIENT_SEARCH = "patient_search"
    PAYER = "payer"
    PRESCRIPTION = "prescription"
    PROBLEM = "problem"
    PROVIDER = "provider"
    RECALL = "recall"
    RECALL_WORKLIST = "recall_worklist"
    RESTRICTION = "restriction"
    ROOM = "room"
    ROUTE = "route"
    SCHEDULE_DAY = "schedule_day"
    SCHEDULE_WEEK = "schedule_week"
    SESSION = "session"
    STAFF = "staff"
    VISIT_NOTE = "visit_note"
    VITALS = "vitals"
    VITALS_DUE = "vitals_due"
    WAITLIST = "waitlist"
    WAITLIST_ENTRY = "waitlist_entry"
    WAITLIST_MATCHES = "waitlist_matches"
    WAITLIST_OFFER = "waitlist_offer"
    WAITLIST_OFFERS = "waitlist_offers"


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
