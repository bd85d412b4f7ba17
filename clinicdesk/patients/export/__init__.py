"""Right of access (HIPAA 45 CFR 164.524): a patient's record as a FHIR R4 Bundle and as a PDF.

`patient_record_export` is the one entry point for the export pages and the API. It opens
the record through `access_patient` (capability check, restricted-record rule, read audit),
writes an `export` audit event and records the copy as a disclosure to its recipient
(`disclosures.disclosure_record`) in the same transaction, so a copy never leaves without its
trail entry and a failed build leaves neither.

What goes in, and what deliberately does not:

- Identity, contact, language, status, emergency contact, primary-care provider and
  insurance coverages (active and past): every copy.
- The sections other apps register (`sections.export_section_register`): the clinical record
  (visits, signed notes and addenda, problems, medications, prescriptions, allergies, vitals,
  follow-ups, amendment decisions) in the whole-record copy only (scope FULL), which only
  roles that read note text may make; later, billing's account history.
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
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap

from ..access import access_patient
from ..disclosures import DisclosureInput, disclosure_check, disclosure_record, with_description
from ..models import Disclosure, DisclosureMethod, Patient, RecipientKind
from .facts import PURPOSE, CoverageFact, ExportFormat, patient_coverages
from .fhir import fhir_bundle, patient_reference
from .pdf import pdf_summary
from .sections import ExportScope, SectionOutput, SectionRequest, export_section_register, export_sections

__all__ = ["CoverageFact", "ExportFormat", "ExportScope", "PatientExport", "export_section_register",
           "export_sections", "fhir_bundle", "patient_coverages", "patient_record_export", "pdf_summary"]  # fmt: skip

_FORMAT_LABEL = {"pdf": "PDF", "fhir": "FHIR R4 file"}


@dataclass(frozen=True)
class PatientExport:
    patient: Patient
    fhir: dict[str, Any] | None = None
    pdf: bytes | None = None
    disclosure: Disclosure | None = None

    @property
    def filename(self) -> str:
        suffix = "json" if self.fhir is not None else "pdf"
        return f"record-{self.patient.mrn}-{clock.today():%Y%m%d}.{suffix}"


def _released_to(patient: Patient, release: DisclosureInput) -> str:
    """Who the copy is for, as its first page says it ("" when it is the patient)."""
    name = " ".join(release.recipient_name.split())
    if release.recipient_kind == RecipientKind.REPRESENTATIVE:
        return f"{name}, personal representative of the patient"
    if release.recipient_kind == RecipientKind.THIRD_PARTY:
        purpose = " ".join(release.purpose.split())
        return f"{name} ({purpose})" if purpose else name
    return ""


def _description(fmt: str, scope: ExportScope, coverages: list[CoverageFact], outputs: list[SectionOutput]) -> str:
    """What the copy held, by category with counts, for the accounting (never the content)."""
    parts = ["registration and contact details"]
    if coverages:
        parts.append(f"insurance ({len(coverages)} coverage{'s' if len(coverages) != 1 else ''})")
    for output in outputs:
        parts.extend(output.disclosed)
    return f"{scope.label}, {_FORMAT_LABEL[fmt]}: " + ", ".join(parts)


def patient_record_export(
    *,
    actor: User,
    mrn: str,
    fmt: ExportFormat,
    scope: ExportScope | str = ExportScope.REGISTRATION,
    release: DisclosureInput | None = None,
) -> PatientExport:
    """The record of patient `mrn` as a FHIR bundle ("fhir") or a PDF ("pdf"), audited as an export
    and recorded as a disclosure to the recipient `release` names (default: the patient, as a download).

    `scope` REGISTRATION (capability patient.export) carries registration, insurance and every
    registered REGISTRATION section; FULL (patient.export.full, roles that read note text) adds
    the clinical record. Raises Http404 (missing or not allowed) or EmergencyAccessRequired
    (restricted record) from `access_patient`, and ValidationError (by field) for a release that
    could not be recorded, before anything is built. The read event, the export event, the
    disclosure and the build happen in one transaction: if any fails, nothing is kept and
    nothing was handed out.
    """
    if fmt not in ("fhir", "pdf"):
        raise ValueError(f"unknown export format {fmt!r}")
    scope = ExportScope(scope)
    need = Cap.PATIENT_EXPORT_FULL if scope == ExportScope.FULL else Cap.PATIENT_EXPORT
    release = release or DisclosureInput(recipient_kind=RecipientKind.PATIENT, method=DisclosureMethod.DOWNLOAD)
    now = clock.now()
    with transaction.atomic():
        patient = access_patient(actor=actor, mrn=mrn, need=need, purpose=PURPOSE)
        disclosure_check(patient=patient, data=release)
        phones = list(patient.phones.all())
        coverages = patient_coverages(patient=patient)
        request = SectionRequest(
            patient=patient, patient_reference=patient_reference(patient), now=now, zone=clock.zone_named(None)
        )
        outputs = [section.provider(request) for section in export_sections(scope)]
        if fmt == "fhir":
            entries = [entry for output in outputs for entry in output.entries]
            bundle = fhir_bundle(patient=patient, phones=phones, coverages=coverages, now=now, entries=entries)
            result = PatientExport(patient, fhir=bundle)
        else:
            content = pdf_summary(
                patient=patient,
                phones=phones,
                coverages=coverages,
                now=now,
                sections=[section for output in outputs for section in output.pdf],
                scope=scope,
                released_to=_released_to(patient, release),
            )
            result = PatientExport(patient, pdf=content)
        audit_record(
            actor=actor,
            action=Action.EXPORT,
            object_type=ObjectType.PATIENT_RECORD,
            object_id=patient.mrn,
            patient_id=patient.mrn,
            reason=PURPOSE,
            detail=fmt if scope == ExportScope.REGISTRATION else f"{fmt} {scope}",
        )
        disclosure = disclosure_record(
            actor=actor,
            patient=patient,
            data=with_description(release, _description(fmt, scope, coverages, outputs)),
            export_format=fmt,
            export_scope=str(scope),
        )
    return PatientExport(result.patient, fhir=result.fhir, pdf=result.pdf, disclosure=disclosure)
