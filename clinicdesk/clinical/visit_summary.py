"""The visit summary handed to the patient: what was addressed, their medications, instructions
and follow-up, as a letter-size PDF (reportlab).

Read in a fixed number of queries (`summary_facts`). The instructions are the note's Plan
section as the clinician wrote it; a summary printed before the note is signed says it is
preliminary on every page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone

from clinicdesk.core.datetimes import date_text, datetime_text
from clinicdesk.patients.export.pdf import practice_name

from .models import (
    Allergy,
    AllergyStatus,
    Encounter,
    EncounterDiagnosis,
    Medication,
    MedicationStatus,
    Recall,
    RecallStatus,
    VisitNote,
    Vitals,
)


@dataclass
class SummaryFacts:
    encounter: Encounter
    note: VisitNote | None
    diagnoses: list[EncounterDiagnosis]
    vitals: list[Vitals]
    medications: list[Medication]
    allergies: list[Allergy]
    recalls: list[Recall]

    @property
    def preliminary(self) -> bool:
        return self.note is None or not self.note.is_signed


def summary_facts(encounter: Encounter) -> SummaryFacts:
    patient = encounter.patient
    note = VisitNote.objects.filter(encounter=encounter).first()
    return SummaryFacts(
        encounter=encounter,
        note=note,
        diagnoses=list(EncounterDiagnosis.objects.filter(encounter=encounter).order_by("rank")),
        vitals=list(Vitals.objects.filter(encounter=encounter, in_error=False).order_by("taken_at")),
        medications=list(Medication.objects.filter(patient=patient, status=MedicationStatus.ACTIVE).order_by("name")),
        allergies=list(Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE).order_by("substance")),
        recalls=list(
            Recall.objects.filter(patient=patient, status__in=(RecallStatus.DUE, RecallStatus.CONTACTED))
            .select_related("appointment_type", "provider__user")
            .order_by("due_on")
        ),
    )


def _reading_name(patient) -> str:
    """ "Jane A. Doe Jr.": the name as the patient reads it, not the list order "Doe, Jane"."""
    first = patient.preferred_name or patient.first_name
    middle = f" {patient.middle_name[0]}." if patient.middle_name else ""
    suffix = f" {patient.suffix}" if patient.suffix else ""
    return f"{first}{middle} {patient.last_name}{suffix}"


def _long_date(day: date) -> str:
    return date_text(day)


def _vitals_line(v: Vitals) -> str:
    parts = []
    if v.systolic is not None:
        parts.append(f"Blood pressure {v.systolic}/{v.diastolic} mmHg")
    if v.pulse is not None:
        parts.append(f"pulse {v.pulse}/min")
    if v.temperature_c is not None:
        parts.append(f"temperature {(v.temperature_c * 9 / 5 + 32).quantize(Decimal('0.1'))} °F")
    if v.weight_kg is not None:
        parts.append(f"weight {(v.weight_kg * Decimal('2.20462')).quantize(Decimal('0.1'))} lb")
    if v.bmi is not None:
        parts.append(f"BMI {v.bmi}")
    if v.spo2 is not None:
        parts.append(f"oxygen {v.spo2}%")
    return ", ".join(parts)


def visit_summary_pdf(facts: SummaryFacts, *, now: datetime) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import letter
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    from clinicdesk.core.pdf import PageFrame, numbered_canvas

    encounter = facts.encounter
    patient = encounter.patient
    printed = timezone.localtime(now)
    footer = f"Printed {datetime_text(printed, printed.tzinfo)}."
    if facts.preliminary:
        footer = "PRELIMINARY: the visit note is not signed yet. " + footer
    margin = 0.75 * inch
    NumberedCanvas = numbered_canvas(
        PageFrame(
            page_size=letter, margin=margin, heading=practice_name(), heading_size=13,
            header_right="Visit summary", header_y=0.6 * inch, rule_y=0.7 * inch,
            footer=footer, footer_y=0.55 * inch, footer_rule_y=0.75 * inch,
        )
    )  # fmt: skip
    styles = getSampleStyleSheet()
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=18, leading=22, alignment=0, spaceAfter=2)
    h2 = ParagraphStyle(
        "h2", parent=styles["Heading2"], fontSize=12.5, leading=16, spaceBefore=12, spaceAfter=4,
        textColor=colors.HexColor("#1f3b57"), keepWithNext=1,
    )  # fmt: skip
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10.5, leading=14)
    muted = ParagraphStyle("muted", parent=body, textColor=colors.HexColor("#555555"))

    def para(text: str, style=body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    story = [
        Paragraph(f"Your visit on {_long_date(encounter.date_of_service)}", title),
        para(
            f"{_reading_name(patient)} · born {date_text(patient.date_of_birth)} · MRN {patient.mrn}\n"
            f"Seen by {encounter.provider} at {encounter.location.name}",
            muted,
        ),
        Paragraph("Why you came", h2),
        para(encounter.reason),
    ]
    if facts.vitals:
        story += [Paragraph("Your measurements", h2), *[para(_vitals_line(v)) for v in facts.vitals]]
    story.append(Paragraph("What we addressed", h2))
    if facts.diagnoses:
        story += [para(f"{d.description} ({d.code})") for d in facts.diagnoses]
    else:
        story.append(para("See your care plan below.", muted))
    story.append(Paragraph("Your care plan and instructions", h2))
    plan = (facts.note.plan if facts.note else "").strip()
    story.append(para(plan or "Your clinician will give you instructions.", body if plan else muted))
    story.append(Paragraph("Your medications", h2))
    if facts.medications:
        story += [
            para(" ".join(p for p in (str(m), "—" if m.directions else "", m.directions) if p))
            for m in facts.medications
        ]
    else:
        story.append(para("No medications on your list.", muted))
    story.append(Paragraph("Allergies", h2))
    if not facts.allergies:
        story.append(para("Not recorded. Tell us about any allergies.", muted))
    elif facts.allergies[0].no_known_allergies:
        story.append(para("No known allergies."))
    else:
        story += [para(f"{a.substance}" + (f": {a.reaction}" if a.reaction else "")) for a in facts.allergies]
    story.append(Paragraph("Follow-up", h2))
    if facts.recalls:
        for r in facts.recalls:
            who = f" with {r.provider}" if r.provider else ""
            story.append(para(f"{r.reason}: book a {r.appointment_type.name}{who} by {date_text(r.due_on)}."))
    else:
        story.append(para("No follow-up visit is planned. Call us if anything changes.", muted))
    story += [Spacer(1, 10), para("Questions? Call the office. In an emergency call 911.", muted)]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=letter, leftMargin=margin, rightMargin=margin, topMargin=1.0 * inch,
        bottomMargin=0.95 * inch, title="Visit summary", author=practice_name(),
    )  # fmt: skip
    doc.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()
