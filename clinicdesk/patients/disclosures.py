"""The accounting of disclosures (HIPAA 45 CFR 164.528): recording them and listing them.

Every disclosure of a patient's information outside the practice is one `Disclosure` row:
the date, who received it (and their address when known), why, what categories of information
(never the information itself), on what legal basis, how it was handed over, and who at the
practice made it. Two doors write rows, both through `disclosure_record`:

- a right-of-access copy (`patients.export.patient_record_export`) records its own row in the
  transaction that builds the file, so a copy never leaves unrecorded and a failed build leaves
  no row (capability: the export's own, `patient.export` or `patient.export.full`);
- staff record a disclosure made outside ClinicDesk (a chart faxed under an authorization, a
  report to the health department) on the disclosures page or through the API
  (`patient.disclosure.record`).

Rows are never changed or deleted by the product: HIPAA keeps the right to an accounting of
the six years before a request (164.528(a), 164.530(j)). Copies given to the patient, releases
under the patient's authorization and disclosures for treatment, payment or operations are
recorded too but are not part of the accounting the law requires (`NOT_IN_ACCOUNTING`); the
list shows them, marked, and can leave them out.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.lookups import uuid_or_none

from .models import (
    NOT_IN_ACCOUNTING,
    Consent,
    ConsentKind,
    Disclosure,
    DisclosureBasis,
    DisclosureMethod,
    Patient,
    RecipientKind,
)

RETENTION_YEARS = 6
EARLIEST_DAY = date(1900, 1, 1)
PATIENT_PURPOSE = "Copy requested by the patient (right of access)"
REPRESENTATIVE_PURPOSE = "Copy requested by the patient's personal representative (right of access)"
_LIMITS = {"recipient_name": 200, "recipient_address": 300, "purpose": 300, "description": 500}

Errors = dict[str, list[str]]


@dataclass(frozen=True)
class DisclosureInput:
    """A disclosure as the form, the API or the export service describes it.

    `consent` is the public id of the patient's release-of-information consent, for the
    `authorization` basis only. `disclosed_on` defaults to today (the practice's date).
    For a copy to the patient the name, purpose and basis fill themselves in.
    """

    recipient_kind: str
    method: str
    recipient_name: str = ""
    recipient_address: str = ""
    purpose: str = ""
    description: str = ""
    basis: str = ""
    consent: Any = None
    disclosed_on: date | None = None


def _err(errors: Errors, name: str, message: str) -> None:
    errors.setdefault(name, []).append(message)


def _legal_name(patient: Patient) -> str:
    return " ".join(n for n in (patient.first_name, patient.middle_name, patient.last_name, patient.suffix) if n)


def _consent_for(patient: Patient, public_id: Any, day: date, errors: Errors) -> Consent | None:
    """The patient's release-of-information consent `public_id`, if it permitted a release on `day`."""
    key = uuid_or_none(public_id)
    consent = Consent.objects.filter(patient=patient, public_id=key).first() if key else None
    if consent is None or consent.kind != ConsentKind.RELEASE:
        _err(errors, "consent", "Choose one of this patient's release-of-information authorizations.")
        return None
    if consent.revoked_on is not None and consent.revoked_on <= day:
        _err(
            errors, "consent", f"That authorization was revoked on {date_text(consent.revoked_on)}; it permits nothing."
        )
    elif consent.signed_on > day:
        _err(errors, "consent", f"That authorization was signed on {date_text(consent.signed_on)}, after this date.")
    elif consent.expires_on is not None and consent.expires_on < day:
        _err(errors, "consent", f"That authorization expired on {date_text(consent.expires_on)}.")
    return consent


def _clean(patient: Patient, data: DisclosureInput, *, today: date, describe: bool) -> dict[str, Any]:
    """The row's values from `data`, or ValidationError naming every wrong field.

    With `describe` False the description is not required yet (the export checks the release
    before it builds the file, and describes what it put in afterwards).
    """
    values: dict[str, Any] = {f.name: getattr(data, f.name) for f in fields(DisclosureInput)}
    errors: Errors = {}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = " ".join(value.split()) if name != "recipient_address" else value.strip()
            if "\x00" in value:
                _err(errors, name, "Remove the invisible control character from this field.")
    kind, basis = values["recipient_kind"], values["basis"]
    if kind not in RecipientKind.values:
        _err(errors, "recipient_kind", "Say who received it: the patient, their representative, or someone else.")
    if values["method"] not in DisclosureMethod.values:
        _err(errors, "method", "Say how it was handed over (download, print, mail, fax, ...).")
    day = values["disclosed_on"] or today
    if not isinstance(day, date) or day > today:
        _err(errors, "disclosed_on", "The date of the disclosure cannot be in the future.")
        day = today
    elif day < EARLIEST_DAY:
        _err(errors, "disclosed_on", "The date of the disclosure cannot be before 1900.")
    values["disclosed_on"] = day

    if kind == RecipientKind.PATIENT:
        if basis and basis != DisclosureBasis.ACCESS:
            _err(errors, "basis", "A copy to the patient is given under their right of access.")
        values["basis"] = DisclosureBasis.ACCESS
        values["recipient_name"] = values["recipient_name"] or _legal_name(patient)
        values["purpose"] = values["purpose"] or PATIENT_PURPOSE
    elif kind == RecipientKind.REPRESENTATIVE:
        if basis and basis != DisclosureBasis.ACCESS:
            _err(errors, "basis", "A personal representative receives the copy under the patient's right of access.")
        values["basis"] = DisclosureBasis.ACCESS
        if not values["recipient_name"]:
            _err(errors, "recipient_name", "Name the personal representative who received it.")
        values["purpose"] = values["purpose"] or REPRESENTATIVE_PURPOSE
    elif kind == RecipientKind.THIRD_PARTY:
        if not values["recipient_name"]:
            _err(errors, "recipient_name", "Name the person or organization who received it.")
        if not values["purpose"]:
            _err(errors, "purpose", "Say why it was disclosed (e.g. “life insurance application”).")
        if basis not in DisclosureBasis.values or basis == DisclosureBasis.ACCESS:
            _err(errors, "basis", "Choose the legal basis for giving it to someone other than the patient.")

    consent = None
    if values["basis"] == DisclosureBasis.AUTHORIZATION:
        if values["consent"] in (None, ""):
            _err(errors, "consent", "Choose the patient's signed authorization (release of information) on file.")
        else:
            consent = _consent_for(patient, values["consent"], day, errors)
    elif values["consent"] not in (None, ""):
        _err(errors, "consent", "An authorization goes with the basis “the patient's signed authorization” only.")
    values["consent"] = consent

    if describe and not values["description"]:
        _err(errors, "description", "Say what was disclosed, by category (e.g. “visit notes 2025, lab results”).")
    for name, limit in _LIMITS.items():
        if len(values[name]) > limit:
            _err(errors, name, f"Keep this under {limit} characters.")
    if errors:
        raise ValidationError(errors)
    return values


def disclosure_check(*, patient: Patient, data: DisclosureInput) -> None:
    """Raise ValidationError (by field) when `data` could not be recorded; the description may be blank."""
    _clean(patient, data, today=clock.today(), describe=False)


@transaction.atomic
def disclosure_record(
    *, actor: User, patient: Patient, data: DisclosureInput, export_format: str = "", export_scope: str = ""
) -> Disclosure:
    """Record one disclosure of `patient`'s information, with its audit event, and return it.

    Without `export_format` it is a disclosure made outside ClinicDesk, which needs
    patient.disclosure.record. With it, it records the right-of-access copy being built in the
    caller's transaction, which needs the export capability of `export_scope`. Raises
    PermissionDenied or ValidationError (by field; nothing is written).
    """
    if export_format:
        need = Cap.PATIENT_EXPORT_FULL if export_scope == "full" else Cap.PATIENT_EXPORT
    else:
        need = Cap.PATIENT_DISCLOSURE_RECORD
    if not role_can(actor.role, need):
        raise PermissionDenied("Your role does not include recording disclosures.")
    values = _clean(patient, data, today=clock.today(), describe=True)
    disclosure = Disclosure.objects.create(
        patient=patient, made_by=actor, export_format=export_format, export_scope=export_scope, **values
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        object_type=ObjectType.DISCLOSURE,
        object_id=str(disclosure.public_id),
        patient_id=patient.mrn,
        changed_fields=[name for name, value in values.items() if value not in ("", None)],
        # References and codes only: the recipient's name and the purpose stay in the row.
        detail=f"basis {disclosure.basis}; method {disclosure.method}"
        + (f"; export {export_format} {export_scope}" if export_format else ""),
    )
    return disclosure


def with_description(data: DisclosureInput, description: str) -> DisclosureInput:
    """`data` with `description` (cut to fit, at a comma where it can be)."""
    limit = _LIMITS["description"]
    if len(description) > limit:
        cut = description[: limit - 1]
        description = (cut.rsplit(", ", 1)[0] if ", " in cut else cut) + "…"
    return replace(data, description=description)


# --- Reads ------------------------------------------------------------------------------------


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (28 February for a 29 February without its twin)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def accounting_period(*, today: date | None = None) -> tuple[date, date]:
    """The default period of an accounting: the six years up to and including today (164.528(a)(1))."""
    today = today or clock.today()
    return years_before(today, RETENTION_YEARS), today


def disclosures_of(
    *, patient: Patient, since: date | None = None, until: date | None = None, accounting_only: bool = False
) -> QuerySet[Disclosure]:
    """`patient`'s disclosures between `since` and `until` (inclusive, either open), newest first.

    With `accounting_only`, only those HIPAA requires in an accounting (not copies to the
    patient, not releases under an authorization, not treatment, payment or operations).
    Callers opened the patient through `access_patient`, which audited the look.
    """
    rows = Disclosure.objects.filter(patient=patient).select_related("made_by", "consent")
    if since is not None:
        rows = rows.filter(disclosed_on__gte=since)
    if until is not None:
        rows = rows.filter(disclosed_on__lte=until)
    if accounting_only:
        rows = rows.exclude(basis__in=NOT_IN_ACCOUNTING)
    return rows.order_by("-disclosed_on", "-recorded_at", "-id")


def release_consents(*, patient: Patient) -> list[Consent]:
    """The patient's release-of-information authorizations, newest first (revoked ones too: a
    disclosure recorded late may have been made while one was still in force)."""
    return list(Consent.objects.filter(patient=patient, kind=ConsentKind.RELEASE).order_by("-signed_on", "-id"))


ACCOUNTING_PURPOSE = "accounting of disclosures"


def accounting_print(
    *, actor: User, mrn: str, since: date | None, until: date, accounting_only: bool
) -> tuple[Patient, bytes]:
    """The accounting of patient `mrn` for the period as a PDF for the patient, audited as a print.

    Raises Http404 or EmergencyAccessRequired from `access_patient` (patient.disclosure.read).
    The read, the print event and the build are one transaction: a failed build leaves no event.
    """
    from .access import access_patient
    from .disclosure_pdf import accounting_pdf

    with transaction.atomic():
        patient = access_patient(actor=actor, mrn=mrn, need=Cap.PATIENT_DISCLOSURE_READ, purpose=ACCOUNTING_PURPOSE)
        rows = list(disclosures_of(patient=patient, since=since, until=until, accounting_only=accounting_only))
        content = accounting_pdf(
            patient=patient, disclosures=rows, since=since, until=until, accounting_only=accounting_only,
            now=clock.now(),
        )  # fmt: skip
        audit_record(
            actor=actor,
            action=Action.PRINT,
            object_type=ObjectType.DISCLOSURE_ACCOUNTING,
            object_id=patient.mrn,
            patient_id=patient.mrn,
            reason=ACCOUNTING_PURPOSE,
            detail=f"{since or 'start'}..{until}{' accounting only' if accounting_only else ''}; {len(rows)} rows",
        )
    return patient, content


def accounting_filename(patient: Patient) -> str:
    return f"disclosures-{patient.mrn}-{clock.today():%Y%m%d}.pdf"
