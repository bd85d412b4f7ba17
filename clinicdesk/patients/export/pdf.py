"""The record as a readable PDF summary (reportlab)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone

from clinicdesk.core.datetimes import time_text

from ..models import Patient, PatientPhone, PatientStatus
from .facts import DEFAULT_PRACTICE_NAME, CoverageFact
from .sections import ExportScope, Facts, Heading, PdfSection, Table, Text, long_date, us_date


def practice_name() -> str:
    return getattr(settings, "CLINICDESK_PRACTICE_NAME", "") or DEFAULT_PRACTICE_NAME


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


_us_date = us_date


def pdf_summary(
    *,
    patient: Patient,
    phones: list[PatientPhone],
    coverages: list[CoverageFact],
    now: datetime,
    sections: Sequence[PdfSection] = (),
    scope: ExportScope = ExportScope.REGISTRATION,
    released_to: str = "",
) -> bytes:
    """A letter-size copy the patient can read: who we think they are, how we reach them,
    their insurance, then each registered section (`sections`: the clinical record in a FULL
    copy), and when this copy was made. Every page carries the practice name, the "as held on"
    date and "Page n of m". `released_to` names a recipient other than the patient ("Sent to
    ... for ..."), printed under the title."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from clinicdesk.core.pdf import PageFrame, numbered_canvas

    local_now = timezone.localtime(now)
    held_on = long_date(local_now.date())
    practice = practice_name()
    full = scope == ExportScope.FULL
    document = "Health record" if full else "Record summary"
    width, height = letter
    margin = 0.75 * inch

    NumberedCanvas = numbered_canvas(
        PageFrame(
            page_size=letter, margin=margin, heading=practice, heading_size=13,
            header_right=f"{document} · {patient.first_name} {patient.last_name} · MRN {patient.mrn}",
            header_y=0.6 * inch, rule_y=0.7 * inch,
            footer=f"This is your record as held by the practice on {held_on}.", footer_y=0.55 * inch,
            footer_rule_y=0.75 * inch,
        )
    )  # fmt: skip

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
    h3 = ParagraphStyle(
        "h3", parent=body, fontName="Helvetica-Bold", fontSize=10.5, leading=14, spaceBefore=8, spaceAfter=2,
        keepWithNext=1,
    )  # fmt: skip

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

    made_at = time_text(local_now, local_now.tzinfo)
    contents = ["about you", "how we reach you", "insurance", *(s.title.lower() for s in sections)]
    story: list[Any] = [
        Spacer(1, 0.05 * inch),
        para("Your health record" if full else "Your record summary", title),
        para(
            f"Prepared from the record of {legal} (MRN {patient.mrn}) on {held_on} at {made_at} for {released_to}."
            if released_to
            else f"Prepared for {legal} (MRN {patient.mrn}) on {held_on} at {made_at} "
            f"at your request, under your right of access (HIPAA, 45 CFR 164.524).",
            small,
        ),
        *([para("In this copy: " + ", ".join(contents) + ".", small)] if sections else []),
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
    for section in sections:
        story += _section_flowables(section, width=width - 2 * margin, styles=_Styles(h2, h3, body, small, cell, head))
    story += [
        para("About this copy", h2),
        para(
            (_ABOUT_FULL if full else _ABOUT_REGISTRATION)
            + " A machine-readable copy (FHIR R4) is available on request. If something is wrong, you may ask us "
            "in writing to correct it (HIPAA, 45 CFR 164.526).",
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
        title=f"{document} — {patient.mrn}",
        author=practice,
        subject="Right of access copy",
        creator="ClinicDesk",
        invariant=1,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


_ABOUT_REGISTRATION = (
    "This is the registration and insurance information the practice keeps about you; your clinical record "
    "(visit notes, problems, medications) is in the whole-record copy, which a clinician prepares on request."
)
_ABOUT_FULL = (
    "This is the information the practice keeps about you and uses to make decisions about your care (your "
    "designated record set). Entries marked \u201centered in error\u201d were recorded by mistake: they are kept "
    "so you can see everything the record held, but they are not part of your care."
)


@dataclass(frozen=True)
class _Styles:
    h2: Any
    h3: Any
    body: Any
    small: Any
    cell: Any
    head: Any


def _markup(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def _section_flowables(section: PdfSection, *, width: float, styles: _Styles) -> list[Any]:
    """A provider's section laid out like the built-in ones: a heading, then its blocks."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import KeepTogether, Paragraph, Spacer, TableStyle
    from reportlab.platypus import Table as RLTable

    grey = colors.HexColor("#666666")
    muted_cell = ParagraphStyle("muted_cell", parent=styles.cell, textColor=grey)
    out: list[Any] = [Paragraph(_markup(section.title), styles.h2)]
    if section.intro:
        out.append(Paragraph(_markup(section.intro), styles.small))
        out.append(Spacer(1, 3))
    groups: list[list[Any]] = []
    for block in section.blocks:
        group: list[Any] = []
        groups.append(group)
        if isinstance(block, Heading):
            group.append(Paragraph(_markup(block.text), styles.h3))
        elif isinstance(block, Text):
            style = styles.small if block.muted else styles.body
            lead = f"<b>{escape(block.label)}</b> " if block.label else ""
            group.append(Paragraph(lead + _markup(block.text), style))
            group.append(Spacer(1, 2))
        elif isinstance(block, Facts):
            table = RLTable(
                [
                    [Paragraph(_markup(k), styles.cell), Paragraph(_markup(v or "\u2014"), styles.cell)]
                    for k, v in block.rows
                ],
                colWidths=[1.9 * 72, width - 1.9 * 72],
            )
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("TOPPADDING", (0, 0), (-1, -1), 1),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                        ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ]
                )
            )
            group.append(table)
        elif isinstance(block, Table):
            if block.caption:
                group.append(Paragraph(_markup(block.caption), styles.small))
            if not block.rows:
                if block.empty:
                    group.append(Paragraph(_markup(block.empty), styles.body))
                continue
            style = muted_cell if block.muted else styles.cell
            weights = block.widths or tuple(1.0 for _ in block.columns)
            total = sum(weights)
            data = [[Paragraph(_markup(c), styles.head) for c in block.columns]]
            data += [[Paragraph(_markup(value), style) for value in row] for row in block.rows]
            table = RLTable(data, colWidths=[width * w / total for w in weights], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee" if block.muted else "#e8eef4")),
                        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                        ("TOPPADDING", (0, 0), (-1, -1), 3),
                        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                        ("LEFTPADDING", (0, 0), (-1, -1), 3),
                        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                    ]
                )
            )
            group.append(table)
            group.append(Spacer(1, 4))
    # A sub-heading stays on the page of what follows it (its first two blocks), so a note's
    # heading never ends a page alone.
    index = 0
    while index < len(groups):
        if isinstance(section.blocks[index], Heading):
            end = index + 1
            while end < min(index + 3, len(groups)) and not isinstance(section.blocks[end], Heading):
                end += 1
            out.append(KeepTogether([f for g in groups[index:end] for f in g]))
            index = end
        else:
            out.extend(groups[index])
            index += 1
    return out
