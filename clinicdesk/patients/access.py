"""The only way views and endpoints open a patient record.

`access_patient` checks the capability, answers Http404 for a missing record and a refused
one alike, enforces the restricted-record rule (emergency access), and writes the read to the
audit trail in the same breath.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Subquery
from django.http import Http404

from clinicdesk.accounts.access import access_restricted_record
from clinicdesk.accounts.models import RestrictedRecord, User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can

from .models import Patient
from .mrn import mrn_is_valid
from .search.models import PatientAlias


def access_patient(*, actor: User, mrn: str, need: str = Cap.PATIENT_DEMOGRAPHICS_READ, purpose: str = "") -> Patient:
    """The patient with `mrn`, if `actor` may `need` it. Raises Http404 or EmergencyAccessRequired.

    A malformed MRN (wrong length or check digit) is a 404 without touching the database. The
    MRN of a record merged into another is an alias: it opens the survivor, whose own MRN the
    caller finds on the returned patient (the chart redirects there).
    """
    if not role_can(actor.role, need) or not mrn_is_valid(mrn):
        raise Http404
    # One query on the common path: the record, whether its MRN is now an alias, whether it is
    # restricted. A merged record (kept, with its MRN) leads to its survivor: a second query.
    found = Patient.objects.select_related("primary_care_provider").annotate(
        survivor=Subquery(PatientAlias.objects.filter(mrn=OuterRef("mrn")).values("patient_id")[:1]),
        restricted=Exists(RestrictedRecord.objects.filter(patient_id=OuterRef("mrn"))),
    )
    patient = found.filter(mrn=mrn).first()
    if patient is not None and patient.survivor is not None and patient.survivor != patient.pk:
        patient = found.filter(pk=patient.survivor).first()
    if patient is None:
        raise Http404
    if patient.restricted:
        access_restricted_record(actor=actor, patient_id=patient.mrn)
    audit_record(
        actor=actor,
        action=Action.READ,
        object_type=ObjectType.PATIENT,
        object_id=patient.mrn,
        patient_id=patient.mrn,
        reason=purpose,
        detail=f"needs {need}",
    )
    return patient
