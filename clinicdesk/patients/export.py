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

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from xml.sax.saxutils import escape

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinicdesk.accounts.models import User
from clinicdesk.audit.models import Action
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap

from .access import access_patient
from .coverage import coverages_all
from .models import CoveragePriority, Patient, PatientPhone, PatientStatus, Relationship

ExportFormat = Literal["fhir", "pdf"]
PURPOSE = "right of access export"
DEFAULT_PRACTICE_NAME = "ClinicDesk demo practice"

MRN_SYSTEM = "urn:clinicdesk:mrn"
PAYER_ID_SYSTEM = "urn:clinicdesk:x12-payer-id"
_V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
_V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
_COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
_ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
_BCP47 = "urn:ietf:bcp:47"
_US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
_GENDER_IDENTITY = "http://hl7.org/fhir/StructureDefinition/individual-genderIdentity"
_PRONOUNS = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

# Sex assigned at birth -> FHIR administrative gender and the US Core birth-sex code.
_GENDER = {"F": "female", "M": "male", "U": "unknown"}
_BIRTHSEX = {"F": "F", "M": "M", "U": "UNK"}
# Languages a US practice meets most, so receiving systems get a code as well as the text.
_LANGUAGE_CODES = {
    "english": "en",
    "spanish": "es",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "yue",
    "vietnamese": "vi",
    "tagalog": "tl",
    "arabic": "ar",
    "french": "fr",
    "korean": "ko",
    "russian": "ru",
    "portuguese": "pt",
    "haitian creole": "ht",
    "german": "de",
    "polish": "pl",
    "italian": "it",
    "hindi": "hi",
    "japanese": "ja",
}


@dataclass(frozen=True)
class CoverageFact:
    """One insurance coverage as the export shows it, whatever model it is stored in.

    `key` is the coverage's public id (the bundle's fullUrl and resource id); `order` is 1
    for primary, 2 secondary, 3 tertiary, None when not ranked; `relationship` is a FHIR
    subscriber-relationship code (self, spouse, child, common, other); `active` is False once
    the coverage has been ended (history is exported too).
    """

    key: str
    payer_name: str
    payer_id: str = ""
    payer_type: str = ""
    payer_address: tuple[str, ...] = ()  # lines, then city, state, ZIP as typed
    payer_city: str = ""
    payer_state: str = ""
    payer_zip: str = ""
    payer_phone: str = ""
    plan_name: str = ""
    member_id: str = ""
    group_number: str = ""
    order: int | None = None
    relationship: str = "self"
    subscriber_name: str = ""
    start: date | None = None
    end: date | None = None
    active: bool = True
    cost_notes: str = ""

    @property
    def priority_label(self) -> str:
        return {1: "Primary", 2: "Secondary", 3: "Tertiary"}.get(self.order or 0, "")


# X12 individual relationship codes (as stored) -> FHIR subscriber-relationship codes.
_X12_TO_FHIR_RELATIONSHIP: dict[str, str] = {
    Relationship.SELF: "self",
    Relationship.SPOUSE: "spouse",
    Relationship.CHILD: "child",
    Relationship.LIFE_PARTNER: "common",
}
_PRIORITY_ORDER: dict[str, int] = {
    CoveragePriority.PRIMARY: 1,
    CoveragePriority.SECONDARY: 2,
    CoveragePriority.TERTIARY: 3,
}


def patient_coverages(*, patient: Patient) -> list[CoverageFact]:
    """Every coverage of `patient`, active ones first (primary first), then ended ones, newest first.

    This is the only function that knows how coverages are stored; both builders read its rows.
    """
    facts = []
    for coverage in coverages_all(patient=patient):
        payer = coverage.payer
        notes = "; ".join(
            f"{label} {text}"
            for label, text in (
                ("Copay:", coverage.copay_notes),
                ("Coinsurance:", coverage.coinsurance_notes),
                ("Deductible:", coverage.deductible_notes),
            )
            if text
        )
        subscriber = " ".join(n for n in (coverage.subscriber_first_name, coverage.subscriber_last_name) if n)
        facts.append(
            CoverageFact(
                key=str(coverage.public_id),
                payer_name=payer.name,
                payer_id=payer.payer_id,
                payer_type=payer.get_payer_type_display(),
                payer_address=tuple(line for line in (payer.address_line1, payer.address_line2) if line),
                payer_city=payer.city,
                payer_state=payer.state,
                payer_zip=payer.zip_code,
                payer_phone=payer.phone,
                plan_name=coverage.plan_name,
                member_id=coverage.member_id_display,
                group_number=coverage.group_number,
                order=_PRIORITY_ORDER.get(coverage.priority),
                relationship=_X12_TO_FHIR_RELATIONSHIP.get(coverage.relationship, "other"),
                subscriber_name=subscriber,
                start=coverage.effective_date,
                end=coverage.end_date,
                active=coverage.is_active,
                cost_notes=notes,
            )
        )
    return facts


# --- FHIR -----------------------------------------------------------------------------------


def _patient_resource(patient: Patient, phones: list[PatientPhone]) -> dict[str, Any]:
    given = [n for n in (patient.first_name, patient.middle_name) if n]
    official: dict[str, Any] = {"use": "official", "family": patient.last_name, "given": given}
    if patient.suffix:
        official["suffix"] = [patient.suffix]
    names = [official]
    if patient.preferred_name and patient.preferred_name != patient.first_name:
        names.append({"use": "usual", "family": patient.last_name, "given": [patient.preferred_name]})

    telecom: list[dict[str, Any]] = [{"system": "phone", "value": phone.number, "use": phone.kind} for phone in phones]
    if patient.email:
        telecom.append({"system": "email", "value": patient.email, "use": "home"})

    extensions: list[dict[str, Any]] = [{"url": _US_CORE_BIRTHSEX, "valueCode": _BIRTHSEX[patient.sex_at_birth]}]
    if patient.gender_identity:
        extensions.append(
            {
                "url": _GENDER_IDENTITY,
                "extension": [{"url": "value", "valueCodeableConcept": {"text": patient.gender_identity}}],
            }
        )
    if patient.pronouns:
        extensions.append(
            {"url": _PRONOUNS, "extension": [{"url": "value", "valueCodeableConcept": {"text": patient.pronouns}}]}
        )

    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "meta": {"lastUpdated": patient.updated_at.isoformat()},
        "extension": extensions,
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": _V2_0203, "code": "MR", "display": "Medical record number"}]},
                "system": MRN_SYSTEM,
                "value": patient.mrn,
            }
        ],
        "active": patient.status == PatientStatus.ACTIVE,
        "name": names,
        "gender": _GENDER[patient.sex_at_birth],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.status == PatientStatus.DECEASED and patient.deceased_date:
        resource["deceasedDateTime"] = patient.deceased_date.isoformat()
    else:
        resource["deceasedBoolean"] = False
    if patient.address_line1 or patient.city:
        address: dict[str, Any] = {"use": "home", "type": "both", "country": "US"}
        lines = [line for line in (patient.address_line1, patient.address_line2) if line]
        if lines:
            address["line"] = lines
        for key, value in (("city", patient.city), ("state", patient.state), ("postalCode", patient.zip_code)):
            if value:
                address[key] = value
        resource["address"] = [address]
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {
            "relationship": [{"coding": [{"system": _V2_0131, "code": "C", "display": "Emergency Contact"}]}],
            "name": {"text": patient.emergency_contact_name},
        }
        if patient.emergency_contact_relationship:
            contact["relationship"].append({"text": patient.emergency_contact_relationship})
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    if patient.preferred_language:
        language: dict[str, Any] = {"text": patient.preferred_language}
        code = _LANGUAGE_CODES.get(patient.preferred_language.strip().lower())
        if code:
            language["coding"] = [{"system": _BCP47, "code": code}]
        resource["communication"] = [{"language": language, "preferred": True}]
    if patient.primary_care_provider:
        resource["generalPractitioner"] = [{"display": str(patient.primary_care_provider)}]
    return resource


def _payer_key(coverage: CoverageFact) -> str:
    return coverage.payer_id or coverage.payer_name


def _organization_resource(coverage: CoverageFact, org_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": org_id,
        "active": True,
        "type": [{"coding": [{"system": _ORG_TYPE, "code": "pay", "display": "Payer"}]}],
        "name": coverage.payer_name,
    }
    if coverage.payer_id:
        resource["identifier"] = [{"system": PAYER_ID_SYSTEM, "value": coverage.payer_id}]
    if coverage.payer_phone:
        resource["telecom"] = [{"system": "phone", "value": coverage.payer_phone, "use": "work"}]
    if coverage.payer_address or coverage.payer_city:
        address: dict[str, Any] = {"use": "work", "country": "US"}
        if coverage.payer_address:
            address["line"] = list(coverage.payer_address)
        for key, value in (
            ("city", coverage.payer_city),
            ("state", coverage.payer_state),
            ("postalCode", coverage.payer_zip),
        ):
            if value:
                address[key] = value
        resource["address"] = [address]
    return resource


def _coverage_resource(coverage: CoverageFact, *, patient_url: str, payer_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": coverage.key,
        # An ended coverage is history, not an error: "cancelled", with its period end.
        "status": "active" if coverage.active else "cancelled",
        "beneficiary": {"reference": patient_url},
        "relationship": {"coding": [{"system": _RELATIONSHIP, "code": coverage.relationship}]},
        "payor": [{"reference": payer_url, "display": coverage.payer_name}],
    }
    if coverage.payer_type:
        resource["type"] = {"text": coverage.payer_type}
    if coverage.member_id:
        resource["subscriberId"] = coverage.member_id
    if coverage.relationship == "self":
        resource["subscriber"] = {"reference": patient_url}
    elif coverage.subscriber_name:
        resource["subscriber"] = {"display": coverage.subscriber_name}
    if coverage.start or coverage.end:
        resource["period"] = {
            key: day.isoformat() for key, day in (("start", coverage.start), ("end", coverage.end)) if day
        }
    classes = []
    if coverage.group_number:
        classes.append(_coverage_class("group", coverage.group_number))
    if coverage.plan_name:
        classes.append(_coverage_class("plan", coverage.plan_name, name=coverage.plan_name))
    if classes:
        resource["class"] = classes
    if coverage.order:
        resource["order"] = coverage.order
    return resource


def _coverage_class(code: str, value: str, *, name: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"type": {"coding": [{"system": _COVERAGE_CLASS, "code": code}]}, "value": value}
    if name:
        entry["name"] = name
    return entry


def fhir_bundle(
    *, patient: Patient, phones: list[PatientPhone], coverages: list[CoverageFact], now: datetime
) -> dict[str, Any]:
    """The record as a FHIR R4 `collection` Bundle: the Patient, then each Coverage with its payer.

    A collection (not a `document`) because nothing here is an attested clinical document that
    would need a Composition; receiving systems import the resources one by one.
    """
    patient_url = f"urn:uuid:{patient.public_id}"
    entries: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": _patient_resource(patient, phones)}]
    payer_urls: dict[str, str] = {}
    for coverage in coverages:
        key = _payer_key(coverage)
        if key not in payer_urls:
            org_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:clinicdesk:payer:{key}"))
            payer_urls[key] = f"urn:uuid:{org_id}"
            entries.append({"fullUrl": payer_urls[key], "resource": _organization_resource(coverage, org_id)})
        entries.append(
            {
                "fullUrl": f"urn:clinicdesk:coverage:{coverage.key}",
                "resource": _coverage_resource(coverage, patient_url=patient_url, payer_url=payer_urls[key]),
            }
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now.isoformat()},
        "identifier": {"system": "urn:clinicdesk:export", "value": f"{patient.mrn}-{now:%Y%m%dT%H%M%SZ}"},
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": entries,
    }


# --- PDF ------------------------------------------------------------------------------------


def practice_name() -> str:
    return getattr(settings, "CLINICDESK_PRACTICE_NAME", "") or DEFAULT_PRACTICE_NAME


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _phone_display(number: str) -> str:
    """ "+15185550199" -> "(518) 555-0199"; anything unparseable as stored."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return number
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if parsed.country_code == 1
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, fmt)


def _us_date(day: date | None) -> str:
    return day.strftime("%m/%d/%Y") if day else ""


def pdf_summary(*, patient: Patient, phones: list[PatientPhone], coverages: list[CoverageFact], now: datetime) -> bytes:
    """A letter-size summary the patient can read: who we think they are, how we reach them,
    their insurance, and when this copy was made. Every page carries the practice name, the
    "as held on" date and "Page n of m"."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.pdfgen import canvas as pdfcanvas
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    local_now = timezone.localtime(now)
    held_on = _long_date(local_now.date())
    practice = practice_name()
    width, height = letter
    margin = 0.75 * inch

    class NumberedCanvas(pdfcanvas.Canvas):
        """Draws header and footer once the page count is known ("Page 2 of 3")."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, len(self._pages))
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            self.setFont("Helvetica-Bold", 13)
            self.setFillColor(colors.HexColor("#1f3b57"))
            self.drawString(margin, height - 0.6 * inch, practice)
            self.setFont("Helvetica", 9)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawRightString(width - margin, height - 0.6 * inch, "Patient record summary")
            self.setStrokeColor(colors.HexColor("#1f3b57"))
            self.setLineWidth(1)
            self.line(margin, height - 0.7 * inch, width - margin, height - 0.7 * inch)
            self.setStrokeColor(colors.HexColor("#bbbbbb"))
            self.setLineWidth(0.5)
            self.line(margin, 0.75 * inch, width - margin, 0.75 * inch)
            self.setFont("Helvetica", 8.5)
            self.drawString(margin, 0.55 * inch, f"This is your record as held by the practice on {held_on}.")
            self.drawRightString(width - margin, 0.55 * inch, f"Page {number} of {total}")
            self.restoreState()

    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=18, leading=22, alignment=0, spaceAfter=2)
    h2 = ParagraphStyle(
        "h2", parent=styles["Heading2"], fontSize=12.5, leading=16, spaceBefore=11, spaceAfter=4,
        textColor=colors.HexColor("#1f3b57"), keepWithNext=1,
    )  # fmt: skip
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=13.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444"))
    label = ParagraphStyle("label", parent=body, textColor=colors.HexColor("#555555"))
    cell = ParagraphStyle("cell", parent=body, fontSize=9, leading=11.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def facts(rows: list[tuple[str, str]]) -> Table:
        table = Table(
            [[para(k, label), para(v or "—")] for k, v in rows],
            colWidths=[1.9 * inch, width - 2 * margin - 1.9 * inch],
        )
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        return table

    legal = " ".join(n for n in (patient.first_name, patient.middle_name, patient.last_name, patient.suffix) if n)
    status = patient.get_status_display()
    if patient.status == PatientStatus.DECEASED and patient.deceased_date:
        status = f"{status} ({_us_date(patient.deceased_date)})"
    about = [
        ("Legal name", legal),
        ("Preferred name", patient.preferred_name),
        ("Date of birth", _us_date(patient.date_of_birth)),
        ("Sex assigned at birth", patient.get_sex_at_birth_display()),
    ]
    if patient.gender_identity:
        about.append(("Gender identity", patient.gender_identity))
    if patient.pronouns:
        about.append(("Pronouns", patient.pronouns))
    about += [
        ("Medical record number", patient.mrn),
        ("Preferred language", patient.preferred_language),
        ("Status with the practice", status),
        ("Primary care provider", str(patient.primary_care_provider) if patient.primary_care_provider else ""),
        (
            "Social Security number",
            ("On file. It is left out of this copy to protect you; the front desk can confirm it in person.")
            if patient.ssn_last4
            else "Not on file.",
        ),
    ]

    address = ""
    if patient.address_line1 or patient.city:
        city_line = " ".join(
            p for p in (f"{patient.city}," if patient.city else "", patient.state, patient.zip_code) if p
        )
        address = "\n".join(line for line in (patient.address_line1, patient.address_line2, city_line) if line)
    contact = [(f"{phone.get_kind_display()} phone", phone.display) for phone in phones] or [("Phone", "")]
    contact += [("Email", patient.email), ("Home address", address)]
    if patient.emergency_contact_name:
        who = patient.emergency_contact_name
        if patient.emergency_contact_relationship:
            who += f" ({patient.emergency_contact_relationship})"
        if patient.emergency_contact_phone:
            who += f", {_phone_display(patient.emergency_contact_phone)}"
        contact.append(("Emergency contact", who))
    else:
        contact.append(("Emergency contact", ""))

    story: list[Any] = [
        Spacer(1, 0.05 * inch),
        para("Your record summary", title),
        para(
            f"Prepared for {legal} (MRN {patient.mrn}) on {held_on} at {f'{local_now:%I:%M %p}'.lstrip('0')} "
            f"at your request, under your right of access (HIPAA, 45 CFR 164.524).",
            small,
        ),
        KeepTogether([para("About you", h2), facts(about)]),
        KeepTogether([para("How we reach you", h2), facts(contact)]),
        para("Insurance", h2),
    ]
    if coverages:
        rows: list[list[Any]] = [
            [para(h, head) for h in ("Insurer and plan", "Member ID / group", "Policyholder", "Dates", "Status")]
        ]
        for coverage in coverages:
            plan = "\n".join(t for t in (coverage.payer_name, coverage.plan_name, coverage.cost_notes) if t)
            ids = coverage.member_id + (f"\nGroup {coverage.group_number}" if coverage.group_number else "")
            holder = "You" if coverage.relationship == "self" else coverage.subscriber_name
            holder = f"{holder} ({coverage.relationship})".strip() if coverage.relationship != "self" else holder
            dates = "\n".join(
                f"{word} {_us_date(day)}" for word, day in (("from", coverage.start), ("to", coverage.end)) if day
            )
            state = (coverage.priority_label or "Active") if coverage.active else "Ended"
            rows.append([para(plan, cell), para(ids, cell), para(holder, cell), para(dates, cell), para(state, cell)])
        table = Table(rows, colWidths=[2.1 * inch, 1.45 * inch, 1.2 * inch, 1.2 * inch, 1.05 * inch], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        story.append(table)
    else:
        story.append(para("No insurance on file."))
    story += [
        para("About this copy", h2),
        para(
            "This is the registration and insurance information the practice keeps about you; a machine-readable "
            "copy (FHIR R4) is available on request. If something is wrong, you may ask us in writing to correct "
            "it (HIPAA, 45 CFR 164.526).",
            small,
        ),
    ]

    buffer = io.BytesIO()
    # The frame pads its content by 6 points; the margins give that back so the text lines up
    # with the header and footer rules.
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=margin - 6,
        rightMargin=margin - 6,
        topMargin=0.95 * inch,
        bottomMargin=0.95 * inch,
        title=f"Record summary — {patient.mrn}",
        author=practice,
        subject="Right of access copy",
        creator="ClinicDesk",
        invariant=1,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


# --- the service ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientExport:
    patient: Patient
    fhir: dict[str, Any] | None = None
    pdf: bytes | None = None

    @property
    def filename(self) -> str:
        suffix = "json" if self.fhir is not None else "pdf"
        return f"record-{self.patient.mrn}-{timezone.localdate():%Y%m%d}.{suffix}"


def patient_record_export(*, actor: User, mrn: str, fmt: ExportFormat) -> PatientExport:
    """The record of patient `mrn` as a FHIR bundle ("fhir") or a PDF ("pdf"), audited as export.

    Raises Http404 (missing or not allowed) or EmergencyAccessRequired (restricted record)
    from `access_patient`. The read event, the export event and the build happen in one
    transaction: if the build fails, no export is recorded, and none was handed out.
    """
    if fmt not in ("fhir", "pdf"):
        raise ValueError(f"unknown export format {fmt!r}")
    now = timezone.now()
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
