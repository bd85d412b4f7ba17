"""The accounting of disclosures as a PDF for the patient (HIPAA 45 CFR 164.528(b)).

Landscape letter: each disclosure's date, recipient (and address when known), what was
disclosed, why, the legal basis and how it was handed over. The disclosures the law requires
come first; the others the practice recorded follow in their own table (unless the accounting
was asked for without them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from django.utils import timezone

from .export.pdf import practice_name
from .export.sections import long_date, us_date
from .models import Disclosure, Patient


def _legal_name(patient: Patient) -> str:
    return " ".join(n for n in (patient.first_name, patient.middle_name, patient.last_name, patient.suffix) if n)


def accounting_pdf(
    *,
    patient: Patient,
    disclosures: Sequence[Disclosure],
    since: date | None,
    until: date,
    accounting_only: bool,
    now: datetime,
) -> bytes:
    """The accounting of `patient`'s `disclosures` from `since` (None: from the first) to `until`.

    Every page carries the practice, the patient's name and MRN, the period and "Page n of m".
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from clinicdesk.core.pdf import PageFrame, numbered_canvas

    page = landscape(letter)
    width, _height = page
    margin = 0.6 * inch
    local_now = timezone.localtime(now)
    made_on = long_date(local_now.date())
    period = (
        f"{long_date(since)} to {long_date(until)}" if since else f"the first recorded disclosure to {long_date(until)}"
    )
    legal = _legal_name(patient)
    NumberedCanvas = numbered_canvas(
        PageFrame(
            page_size=page, margin=margin, heading=practice_name(), heading_size=13,
            header_right=f"Accounting of disclosures · {patient.first_name} {patient.last_name} · MRN {patient.mrn}",
            header_y=0.5 * inch, rule_y=0.6 * inch,
            footer=f"Accounting of disclosures from {period}, prepared on {made_on}.", footer_y=0.45 * inch,
            footer_rule_y=0.65 * inch,
        )
    )  # fmt: skip
    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=17, leading=21, alignment=0, spaceAfter=2)
    h2 = ParagraphStyle(
        "h2", parent=styles["Heading2"], fontSize=12, leading=15, spaceBefore=10, spaceAfter=4,
        textColor=colors.HexColor("#1f3b57"), keepWithNext=1,
    )  # fmt: skip
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=13.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444"))
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    def table(rows: Sequence[Disclosure]) -> Table:
        columns = ("Date", "Given to", "What was disclosed", "Purpose", "Legal basis", "How")
        data: list[list[Any]] = [[para(c, head) for c in columns]]
        for d in rows:
            who = d.recipient_name + (f"\n{d.recipient_address}" if d.recipient_address else "")
            if d.recipient_kind != "third_party":
                who += f"\n({d.get_recipient_kind_display().lower()})"
            basis = d.get_basis_display() + (
                f"\nAuthorization signed {us_date(d.consent.signed_on)}" if d.consent_id and d.consent else ""
            )
            data.append(
                [para(us_date(d.disclosed_on), cell), para(who, cell), para(d.description, cell),
                 para(d.purpose, cell), para(basis, cell), para(d.get_method_display(), cell)]
            )  # fmt: skip
        weights = (0.8, 1.7, 2.6, 1.7, 1.6, 1.2)
        usable = width - 2 * margin
        result = Table(data, colWidths=[usable * w / sum(weights) for w in weights], repeatRows=1)
        result.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("TOPPADDING", (0, 0), (-1, -1), 3),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    ("LEFTPADDING", (0, 0), (-1, -1), 3),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ]
            )
        )
        return result

    required = [d for d in disclosures if d.in_accounting]
    others = [d for d in disclosures if not d.in_accounting]
    story: list[Any] = [
        Spacer(1, 0.05 * inch),
        para("Accounting of disclosures of your health information", title),
        para(
            f"Prepared for {legal} (MRN {patient.mrn}, born {us_date(patient.date_of_birth)}) on {made_on}, "
            f"for the period from {period}.",
            small,
        ),
        para(
            "HIPAA (45 CFR 164.528) gives you the right to a list of the disclosures of your health information the "
            "practice made in the six years before you ask, except those for your treatment, for payment and for "
            "the practice's own operations, those made to you, and those you authorized in writing.",
            small,
        ),
        para("Disclosures the law requires us to list", h2),
        table(required) if required else para("None in this period."),
    ]
    if not accounting_only:
        story += [
            para("Other releases we recorded", h2),
            para(
                "Copies given to you or your personal representative, releases you authorized in writing, and "
                "disclosures for treatment, payment or operations. The law does not require them in this list; we "
                "show them so you can see every release we recorded.",
                small,
            ),
            Spacer(1, 3),
            table(others) if others else para("None in this period."),
        ]
    story += [
        Spacer(1, 8),
        para(
            "Questions about this list, or a request for a list of another period, go to the practice's privacy "
            "officer. The first list in any 12 months is free.",
            small,
        ),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=page, leftMargin=margin - 6, rightMargin=margin - 6, topMargin=0.85 * inch,
        bottomMargin=0.85 * inch, title=f"Accounting of disclosures — {patient.mrn}", author=practice_name(),
        subject="Accounting of disclosures (HIPAA 164.528)", creator="ClinicDesk", invariant=1,
    )  # fmt: skip
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
