from __future__ import annotations

from django.db.models import QuerySet

from clinicdesk.accounts.models import User
from clinicdesk.accounts.selectors import record_is_restricted
from clinicdesk.core.capabilities import Role
from clinicdesk.core.lookups import uuid_or_none
from clinicdesk.core.patient_refs import PatientRef

from .models import Patient, PatientFieldChange


def clinicians() -> QuerySet[User]:
    return User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("display_name", "username")


def patient_changes(*, patient: Patient, limit: int = 100) -> QuerySet[PatientFieldChange]:
    return patient.changes.select_related("changed_by")[:limit]


def patient_is_restricted(*, patient: Patient) -> bool:
    return record_is_restricted(patient_id=patient.mrn)


def patient_ref_resolve(identifier: str) -> PatientRef | None:
    """The patient an MRN or public id names, for `core.patient_refs` (registered in apps.py).

    An MRN must be well formed (length, check digit) and a public id a UUID, else None without a
    query. The MRN of a record merged into another gives that record's own MRN and, as
    `current_mrn`, the survivor's (which the chart opens).
    """
    from .mrn import mrn_is_valid
    from .search.models import PatientAlias

    if mrn_is_valid(identifier):
        mrn = Patient.objects.filter(mrn=identifier.strip()).values_list("mrn", flat=True).first()
    else:
        public_id = uuid_or_none(identifier)
        if public_id is None:
            return None
        mrn = Patient.objects.filter(public_id=public_id).values_list("mrn", flat=True).first()
    if mrn is None:
        return None
    survivor = PatientAlias.objects.filter(mrn=mrn).values_list("patient__mrn", flat=True).first()
    return PatientRef(mrn=mrn, current_mrn=survivor or mrn)


def import_jobs_recent(*, limit: int = 10):
    from .models import ImportJob

    return ImportJob.objects.select_related("created_by")[:limit]


def import_job_get(*, public_id: str):
    """The job, or None for a missing or malformed id."""
    from .models import ImportJob

    wanted = uuid_or_none(public_id)
    return ImportJob.objects.filter(public_id=wanted).first() if wanted else None
