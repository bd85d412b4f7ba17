from __future__ import annotations

from django.db.models import QuerySet

from clinicdesk.accounts.models import User
from clinicdesk.accounts.selectors import record_is_restricted
from clinicdesk.core.capabilities import Role

from .models import Patient, PatientFieldChange


def clinicians() -> QuerySet[User]:
    return User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("display_name", "username")


def patient_changes(*, patient: Patient, limit: int = 100) -> QuerySet[PatientFieldChange]:
    return patient.changes.select_related("changed_by")[:limit]


def patient_is_restricted(*, patient: Patient) -> bool:
    return record_is_restricted(patient_id=patient.mrn)


def import_jobs_recent(*, limit: int = 10):
    from .models import ImportJob

    return ImportJob.objects.select_related("created_by")[:limit]


def import_job_get(*, public_id: str):
    """The job, or None for a missing or malformed id."""
    import uuid

    from .models import ImportJob

    try:
        return ImportJob.objects.get(public_id=uuid.UUID(str(public_id)))
    except (ValueError, ImportJob.DoesNotExist):
        return None
