"""The capability matrix: which role may do what.

This is the minimum-necessary rule written once. Views and API endpoints name a capability
(never a role); the matrix decides. Later issues add capabilities here as their features land,
and `tests/test_capabilities.py` pins the rules that must never loosen (front desk never reads
note text, billers read codes and not narratives, the auditor reads nothing clinical).
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    OFFICE_MANAGER = "office_manager", "Office manager"
    FRONT_DESK = "front_desk", "Front desk"
    CLINICIAN = "clinician", "Clinician"
    NURSE = "nurse", "Nurse / MA"
    BILLER = "biller", "Biller"
    AUDITOR = "auditor", "Auditor / privacy officer"
    ADMIN = "admin", "System administrator"


class Cap:
    """Names of capabilities. A route declares one of these."""

    ACCOUNT_SELF = "account.self"  # own home page, password, MFA, API tokens
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    AUDIT_EXPORT = "audit.export"
    EMERGENCY_ACCESS = "emergency.access"
    EMERGENCY_REVIEW = "emergency.review"
    PATIENT_DEMOGRAPHICS_READ = "patient.demographics.read"
    PATIENT_DEMOGRAPHICS_WRITE = "patient.demographics.write"
    PATIENT_HISTORY_READ = "patient.history.read"  # field-by-field change history of a chart
    PATIENT_IMPORT = "patient.import"  # bulk import of another system's patient list
    PATIENT_RESTRICT = "patient.restrict"  # flag a record restricted (emergency access applies)
    # Add and end insurance coverages: front desk registers insurance, billers fix it, neither
    # needs the other's rights (billers do not edit names or SSNs).
    PATIENT_COVERAGE_WRITE = "patient.coverage.write"
    PATIENT_EXPORT = "patient.export"  # right-of-access copy of a record (FHIR bundle, PDF)
    # The whole designated record set (HIPAA 164.524): registration, insurance AND the clinical
    # record with note text. Only roles that read note text may hold it (minimum necessary).
    PATIENT_EXPORT_FULL = "patient.export.full"
    # The accounting of disclosures (HIPAA 164.528): read the list and its PDF, or record a
    # disclosure the practice made outside ClinicDesk (a faxed chart, a report to public health).
    PATIENT_DISCLOSURE_READ = "patient.disclosure.read"
    PATIENT_DISCLOSURE_RECORD = "patient.disclosure.record"
    PATIENT_MERGE = "patient.merge"  # fold a duplicate record into another (office manager only)
    SCHEDULE_READ = "schedule.read"
    SCHEDULE_WRITE = "schedule.write"
    # Locations, rooms, providers and appointment types: how the practice is set up to book.
    SCHEDULE_SETUP = "schedule.setup"
    CLINICAL_NOTE_READ = "clinical.note.read"
    CLINICAL_NOTE_WRITE = "clinical.note.write"
    CLINICAL_NOTE_SIGN = "clinical.note.sign"
    CLINICAL_CODES_READ = "clinical.codes.read"
    # That a visit happened (date, provider, location, status), never what was written in it.
    CLINICAL_ENCOUNTER_READ = "clinical.encounter.read"
    CLINICAL_TEMPLATE_MANAGE = "clinical.template.manage"  # the note templates of visit types
    CLINICAL_RECALL_WORK = "clinical.recall.work"  # the follow-up worklist: contact, book, close
    # Record a patient's request to amend their record (HIPAA 164.526) and its decision.
    CLINICAL_AMENDMENT_MANAGE = "clinical.amendment.manage"
    BILLING_CLAIM_READ = "billing.claim.read"
    BILLING_CLAIM_SUBMIT = "billing.claim.submit"
    BILLING_PAYMENT_POST = "billing.payment.post"
    BILLING_PAYER_MANAGE = "billing.payer.manage"  # the payer directory


ALL_CAPABILITIES: frozenset[str] = frozenset(
    value for name, value in vars(Cap).items() if name.isupper() and isinstance(value, str)
)

_EVERY_STAFF = {Cap.ACCOUNT_SELF}

MATRIX: dict[str, frozenset[str]] = {
    Role.OFFICE_MANAGER: frozenset(
        _EVERY_STAFF
        | {
            Cap.STAFF_MANAGE,
            Cap.PATIENT_HISTORY_READ,
            Cap.PATIENT_IMPORT,
            Cap.PATIENT_RESTRICT,
            Cap.PATIENT_EXPORT,
            Cap.PATIENT_MERGE,
            Cap.PATIENT_DISCLOSURE_READ,
            Cap.PATIENT_DISCLOSURE_RECORD,
            Cap.AUDIT_READ,
            Cap.AUDIT_EXPORT,
            Cap.EMERGENCY_REVIEW,
            Cap.PATIENT_DEMOGRAPHICS_READ,
            Cap.PATIENT_DEMOGRAPHICS_WRITE,
            Cap.SCHEDULE_READ,
            Cap.SCHEDULE_WRITE,
            Cap.SCHEDULE_SETUP,
            Cap.CLINICAL_CODES_READ,
            Cap.BILLING_CLAIM_READ,
            Cap.BILLING_CLAIM_SUBMIT,
            Cap.BILLING_PAYMENT_POST,
            Cap.BILLING_PAYER_MANAGE,
            Cap.PATIENT_COVERAGE_WRITE,
            Cap.CLINICAL_ENCOUNTER_READ,
            Cap.CLINICAL_TEMPLATE_MANAGE,
            Cap.CLINICAL_RECALL_WORK,
            Cap.CLINICAL_AMENDMENT_MANAGE,
        }
    ),
    Role.FRONT_DESK: frozenset(
        _EVERY_STAFF
        | {
            Cap.PATIENT_DEMOGRAPHICS_READ,
            Cap.PATIENT_DEMOGRAPHICS_WRITE,
            Cap.PATIENT_COVERAGE_WRITE,
            Cap.PATIENT_EXPORT,
            Cap.PATIENT_DISCLOSURE_RECORD,
            Cap.SCHEDULE_READ,
            Cap.SCHEDULE_WRITE,
            Cap.BILLING_PAYMENT_POST,
            Cap.CLINICAL_ENCOUNTER_READ,
            Cap.CLINICAL_RECALL_WORK,
        }
    ),
    Role.CLINICIAN: frozenset(
        _EVERY_STAFF
        | {
            Cap.EMERGENCY_ACCESS,
            Cap.PATIENT_DEMOGRAPHICS_READ,
            Cap.PATIENT_EXPORT_FULL,
            Cap.SCHEDULE_READ,
            Cap.CLINICAL_NOTE_READ,
            Cap.CLINICAL_NOTE_WRITE,
            Cap.CLINICAL_NOTE_SIGN,
            Cap.CLINICAL_CODES_READ,
            Cap.CLINICAL_ENCOUNTER_READ,
            Cap.CLINICAL_RECALL_WORK,
            Cap.CLINICAL_AMENDMENT_MANAGE,
        }
    ),
    Role.NURSE: frozenset(
        _EVERY_STAFF
        | {
            Cap.EMERGENCY_ACCESS,
            Cap.PATIENT_DEMOGRAPHICS_READ,
            Cap.SCHEDULE_READ,
            Cap.SCHEDULE_WRITE,
            Cap.CLINICAL_NOTE_READ,
            Cap.CLINICAL_NOTE_WRITE,
            Cap.CLINICAL_CODES_READ,
            Cap.CLINICAL_ENCOUNTER_READ,
            Cap.CLINICAL_RECALL_WORK,
        }
    ),
    Role.BILLER: frozenset(
        _EVERY_STAFF
        | {
            Cap.PATIENT_DEMOGRAPHICS_READ,
            Cap.CLINICAL_CODES_READ,
            Cap.BILLING_CLAIM_READ,
            Cap.BILLING_CLAIM_SUBMIT,
            Cap.BILLING_PAYMENT_POST,
            Cap.BILLING_PAYER_MANAGE,
            Cap.PATIENT_COVERAGE_WRITE,
            Cap.CLINICAL_ENCOUNTER_READ,
        }
    ),
    Role.AUDITOR: frozenset(
        _EVERY_STAFF | {Cap.AUDIT_READ, Cap.AUDIT_EXPORT, Cap.EMERGENCY_REVIEW, Cap.PATIENT_DISCLOSURE_READ}
    ),
    Role.ADMIN: frozenset(_EVERY_STAFF | {Cap.STAFF_MANAGE}),
}


def role_can(role: str | None, capability: str) -> bool:
    """True when `role` holds `capability`. Unknown roles and capabilities hold nothing."""
    if capability not in ALL_CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}")
    return capability in MATRIX.get(role or "", frozenset())


def capabilities_of(role: str | None) -> frozenset[str]:
    return MATRIX.get(role or "", frozenset())
