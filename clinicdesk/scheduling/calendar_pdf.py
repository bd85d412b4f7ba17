"""The day schedule on paper: one section per provider, a row per appointment, letter landscape.

A printout lies on the front desk all day, so it carries only what the desk works from: time,
patient name and MRN, visit type, reason, room and status; never a date of birth or phone. A
restricted patient without a grant is printed by initials, without the reason (patients/display.py).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings

from clinicdesk.core.datetimes import datetime_text, weekday_date_text

from .calendar_grid import Grid
from .clock import clock_range
from .models import AppointmentStatus


def day_schedule_pdf(*, grid: Grid, day: date, printed_at: datetime) -> bytes:
    """The PDF bytes of `grid` (a day schedule). Every page has the practice, location, day and
    "Page n of m"; a provider with nothing booked gets a line saying so."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import landscape, letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from clinicdesk.core.pdf import PageFrame, numbered_canvas

    width, height = landscape(letter)
    margin = 0.5 * inch
    practice = getattr(settings, "CLINICDESK_PRACTICE_NAME", "ClinicDesk")
    heading = f"{grid.location.name} — {weekday_date_text(day)}"
    local = printed_at.astimezone(grid.zone)
    printed = datetime_text(local, grid.zone)

    NumberedCanvas = numbered_canvas(
        PageFrame(
            page_size=(width, height), margin=margin, heading=heading, heading_size=12, header_right=practice,
            header_y=0.45 * inch, rule_y=0.55 * inch,
            footer=f"Printed {printed}. Contains patient information: shred after use.", footer_y=0.35 * inch,
            footer_size=8,
        )
    )  # fmt: skip

    styles = getSampleStyleSheet()
    h2 = ParagraphStyle(
        "h2", parent=styles["Heading2"], fontSize=11.5, leading=14, spaceBefore=8, spaceAfter=3,
        textColor=colors.HexColor("#1f3b57"), keepWithNext=1,
    )  # fmt: skip
    cell = ParagraphStyle("cell", parent=styles["BodyText"], fontSize=9, leading=11)
    head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
    muted = ParagraphStyle("muted", parent=cell, textColor=colors.HexColor("#666666"))

    def para(text: str, style: ParagraphStyle = cell) -> Paragraph:
        return Paragraph(escape(text), style)

    usable = width - 2 * margin
    widths = [1.3 * inch, 2.4 * inch, 0.85 * inch, 1.6 * inch, usable - 8.35 * inch, 0.9 * inch, 1.3 * inch]
    story: list[Any] = []
    for column in grid.columns:
        story.append(Paragraph(escape(f"{column.title}" + (f" · {column.subtitle}" if column.subtitle else "")), h2))
        if not column.blocks:
            story.append(para("Nothing booked.", muted))
            continue
        rows: list[list[Any]] = [
            [para(t, head) for t in ("Time", "Patient", "MRN", "Type", "Reason", "Room", "Status")]
        ]
        swatches = []
        for index, block in enumerate(sorted(column.blocks, key=lambda b: (b.starts, b.appointment.pk)), start=1):
            appt = block.appointment
            name = block.label if not block.label.startswith("MRN ") else "—"
            status = AppointmentStatus(appt.status).label + (" (overbooked)" if appt.overbooked else "")
            rows.append(
                [
                    para(clock_range(block.starts, block.ends)),
                    para(name),
                    para(appt.patient.mrn),
                    para(appt.appointment_type.name),
                    para(block.reason),
                    para(appt.room.name if appt.room else ""),
                    para(status),
                ]
            )
            swatches.append(("LINEBEFORE", (0, index), (0, index), 4, colors.HexColor(block.color)))
        table = Table(rows, colWidths=widths, repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                    *swatches,
                ]
            )
        )
        story.append(table)
        story.append(Spacer(1, 4))
    if not grid.columns:
        story.append(para("No provider works at this location.", muted))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(width, height),
        leftMargin=margin,
        rightMargin=margin,
        topMargin=0.75 * inch,
        bottomMargin=0.6 * inch,
        title=f"Schedule {grid.location.name} {day.isoformat()}",
        author=practice,
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
