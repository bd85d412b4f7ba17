"""Right of access (HIPAA 45 CFR 164.524): a patient's record as a FHIR R4 Bundle and as a PDF.

`patient_record_export` is the one entry point for the chart buttons and the API. It opens
the record through `access_patient` (capability check, restricted-record rule, read audit)
and writes an `export` audit event in the same transaction, so a copy never leaves without
its trail entry and a failed build leaves neither.

What goes in, and what deliberately does not:

- Identity, contact, language, status, emergency contact, primary-care provider and
  insurance coverages (active and past).
- Not the SSN, not even its last four digits: the patient already knows it, and a file
  that is e-mailed or printed at home is the likeliest place for it to leak. The PDF says
  so and tells the patient how to confirm it in person.
- Not the front-desk alerts: they are staff working notes. Whether they belong to the
  designated record set is the privacy officer's call (docs/right-of-access.md).

Coverage facts reach both builders as `CoverageFact` rows from `patient_coverages`, the only
function that knows how coverages are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap

from ..access import access_patient
from ..models import Patient
from .facts import PURPOSE, CoverageFact, ExportFormat, patient_coverages
from .fhir import fhir_bundle
from .pdf import pdf_summary

__all__ = ["CoverageFact", "ExportFormat", "PatientExport", "fhir_bundle", "patient_coverages", "patient_record_export",
           "pdf_summary"]  # fmt: skip


@dataclass(frozen=True)
class PatientExport:
    patient: Patient
    fhir: dict[str, Any] | None = None
    pdf: bytes | None = None

    @property
    def filename(self) -> str:
        suffix = "json" if self.fhir is not None else "pdf"
        return f"record-{self.patient.mrn}-{clock.today():%Y%m%d}.{suffix}"


def patient_record_export(*, actor: User, mrn: str, fmt: ExportFormat) -> PatientExport:
    """The record of patient `mrn` as a FHIR bundle ("fhir") or a PDF ("pdf"), audited as export.

    Raises Http404 (missing or not allowed) or EmergencyAccessRequired (restricted record)
    from `access_patient`. The read event, the export event and the build happen in one
    transaction: if the build fails, no export is recorded, and none was handed out.
    """
    if fmt not in ("fhir", "pdf"):
        raise ValueError(f"unknown export format {fmt!r}")
    now = clock.now()
    with transaction.atomic():
        patient = access_patient(actor=actor, mrn=mrn, need=Cap.PATIENT_EXPORT, purpose=PURPOSE)
        phones = list(patient.phones.all())
        coverages = patient_coverages(patient=patient)
        if fmt == "fhir":
            result = PatientExport(
                patient, fhir=fhir_bundle(patient=patient, phones=phones, coverages=coverages, now=now)
            )
        else:
            result = PatientExport(
                patient, pdf=pdf_summary(patient=patient, phones=phones, coverages=coverages, now=now)
            )
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            object_type="patient_record",
            object_id=patient.mrn,
            patient_id=patient.mrn,
            reason=PURPOSE,
            detail=fmt,
        )
    return result
