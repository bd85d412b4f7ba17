"""A prescription on paper: letter portrait, what a pharmacist reads from top to bottom.

Practice and location, prescriber and NPI, patient (name, date of birth, address), date
written, then the drug (name, strength, form), directions, quantity in figures and in words
(so "60" cannot become "160"), refills, dispense as written, and a line for the prescriber's
signature. It is a printed prescription record; nothing is sent to a pharmacy electronically.
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from clinicdesk.core.datetimes import date_text, datetime_text

from .models import Prescription

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_words(n: int) -> str:
    """0 <= n < 1,000,000 in words: 60 -> "sixty", 115 -> "one hundred fifteen"."""
    if not 0 <= n < 1_000_000:
        raise ValueError("out of range")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{number_words(thousands)} thousand" + (f" {number_words(rest)}" if rest else "")


def quantity_in_words(quantity: str) -> str:
    """The leading whole number of `quantity` in words ("60 tablets" -> "sixty"); "" when there is none."""
    match = re.match(r"\s*(\d{1,6})(?![\d.,])", quantity)
    if not match:
        return ""
    return number_words(int(match.group(1)))


def _location_of(prescription: Prescription):
    """Where it was written: the encounter's location, else the prescriber's first active one."""
    if prescription.encounter_id and prescription.encounter is not None:
        return prescription.encounter.location
    return prescription.prescriber.locations.filter(active=True).order_by("name").first()


def prescription_pdf(*, prescription: Prescription, printed_at: datetime) -> bytes:
    """The PDF bytes of one prescription (one page)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from clinicdesk.core.pdf import PageFrame, numbered_canvas

    medication = prescription.medication
    patient = medication.patient
    prescriber = prescription.prescriber
    location = _location_of(prescription)
    practice = getattr(settings, "CLINICDESK_PRACTICE_NAME", "ClinicDesk")
    width, height = letter
    margin = 0.75 * inch
    local = timezone.localtime(printed_at)
    NumberedCanvas = numbered_canvas(
        PageFrame(
            page_size=(width, height), margin=margin, heading=practice, heading_size=14,
            header_right="Prescription", header_y=0.6 * inch, rule_y=0.72 * inch,
            footer=f"Printed prescription record, {datetime_text(local, local.tzinfo)}. Rx {str(prescription.public_id)[:8]}.",
            footer_y=0.45 * inch, footer_rule_y=0.62 * inch,
        )
    )  # fmt: skip

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10.5, leading=14)
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12, textColor=colors.HexColor("#555555"))
    label = ParagraphStyle("label", parent=small, fontName="Helvetica-Bold", textColor=colors.HexColor("#1f3b57"))
    drug = ParagraphStyle("drug", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=17)
    rx = ParagraphStyle("rx", parent=body, fontName="Helvetica-Bold", fontSize=24, leading=28)

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story: list[Any] = []
    if location is not None:
        address = ", ".join(
            part for part in (location.address_line1, location.address_line2,
                              f"{location.city}, {location.state} {location.zip_code}") if part
        )  # fmt: skip
        story.append(
            para(f"{location.name}\n{address}" + (f"\nPhone {location.phone}" if location.phone else ""), small)
        )
        story.append(Spacer(1, 10))

    prescriber_text = prescriber.display_name + (f"\nNPI {prescriber.npi}" if prescriber.npi else "")
    if prescriber.specialty:
        prescriber_text += f"\n{prescriber.specialty}"
    patient_name = f"{patient.first_name} {patient.middle_name + ' ' if patient.middle_name else ''}{patient.last_name}"
    if patient.suffix:
        patient_name += f" {patient.suffix}"
    patient_address = "\n".join(
        part for part in (patient.address_line1, patient.address_line2,
                          f"{patient.city}, {patient.state} {patient.zip_code}".strip(", ")) if part.strip()
    ) or "No address on file"  # fmt: skip
    usable = width - 2 * margin - 12  # the document frame pads 6 points on each side
    parties = Table(
        [
            [para("Prescriber", label), para("Patient", label), para("Date written", label)],
            [
                para(prescriber_text),
                para(f"{patient_name}\nDate of birth {date_text(patient.date_of_birth)}\n{patient_address}"),
                para(f"{date_text(prescription.written_on)}"),
            ],
        ],
        colWidths=[usable * 0.36, usable * 0.44, usable * 0.20],
    )
    parties.hAlign = "LEFT"
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [parties, Spacer(1, 16), para("Rx", rx), Spacer(1, 4)]

    drug_line = " ".join(part for part in (medication.name, medication.strength, medication.form) if part)
    words = quantity_in_words(prescription.quantity)
    quantity = prescription.quantity + (f" ({words})" if words else "")
    refills = "None" if prescription.refills == 0 else f"{prescription.refills} ({number_words(prescription.refills)})"
    daw = "Yes: dispense as written, no substitution" if prescription.dispense_as_written else (
        "No: substitution permitted"
    )  # fmt: skip
    rows = [
        [para("Medication", label), para(drug_line, drug)],
        [para("Directions (sig)", label), para(prescription.directions)],
        [para("Quantity", label), para(quantity)],
        [para("Refills", label), para(refills)],
        [para("Dispense as written", label), para(daw)],
    ]
    details = Table(rows, colWidths=[1.6 * inch, usable - 1.6 * inch])
    details.hAlign = "LEFT"
    details.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    story += [details, Spacer(1, 48)]

    signature = Table(
        [["", ""], [para(f"Signature of prescriber: {prescriber.display_name}", small), para("Date", small)]],
        colWidths=[usable * 0.62, usable * 0.38],
        rowHeights=[28, None],
    )
    signature.hAlign = "LEFT"
    signature.setStyle(
        TableStyle(
            [
                ("LINEABOVE", (0, 1), (0, 1), 0.8, colors.black),
                ("LINEABOVE", (1, 1), (1, 1), 0.8, colors.black),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 18),
            ]
        )
    )
    story += [signature, Spacer(1, 18)]
    story.append(
        para(
            "This is a printed prescription record from the practice's chart. It was not sent to a pharmacy "
            "electronically.",
            small,
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=letter,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=1.0 * inch,
        bottomMargin=0.9 * inch,
        title=f"Prescription {prescription.written_on.isoformat()}",
        author=practice,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
