"""The clinical record as PDF sections in plain words for the patient."""

from __future__ import annotations

from datetime import tzinfo
from decimal import Decimal
from typing import Any

from django.utils import timezone

from clinicdesk.patients.export.sections import (
    Facts,
    Heading,
    PdfSection,
    Table,
    Text,
    long_date,
    us_date,
)

from ..amendments import amendment_due_on
from ..models import (
    Allergy,
    AllergySeverity,
    AllergyStatus,
    AmendmentStatus,
    Encounter,
    Medication,
    MedicationStatus,
    Problem,
    ProblemStatus,
    RecallStatus,
    Vitals,
)
from ..notes import when_text
from ..vitals import c_to_f, cm_to_in, kg_to_lb
from .chart import (
    SECTION_NAMES,
    Chart,
    moment_text,
)

# --- PDF -------------------------------------------------------------------------------------


def visits_section(chart: Chart) -> PdfSection:
    rows = []
    for encounter in chart.encounters:
        diagnoses = "\n".join(f"{d.description} ({d.code})" for d in chart.diagnoses.get(encounter.pk, []))
        rows.append(
            (us_date(encounter.date_of_service), str(encounter.provider), encounter.location.name, encounter.reason,
             diagnoses or "—")
        )  # fmt: skip
    return PdfSection(
        title="Visits",
        intro="Each visit, newest first, with the conditions your clinician addressed (diagnoses).",
        blocks=(
            Table(
                columns=("Date", "Clinician", "Where", "Reason for the visit", "Diagnoses"),
                rows=tuple(rows),
                widths=(0.95, 1.35, 1.25, 1.6, 2.1),
                empty="No visits recorded.",
            ),
        ),
    )


def notes_section(chart: Chart) -> PdfSection:
    blocks: list[Any] = []
    unsigned: list[Encounter] = []
    for encounter in chart.encounters:
        note = chart.signed_note(encounter)
        if note is None:
            if encounter.pk in chart.notes:
                unsigned.append(encounter)
            continue
        assert note.signed_at is not None  # noqa: S101  (signed)
        blocks.append(
            Heading(f"{long_date(encounter.date_of_service)} — {encounter.provider}, {encounter.location.name}")
        )
        signed = f"Signed by {note.signed_by} on {when_text(note.signed_at, encounter)}."
        if note.cosigned_at and note.cosigned_by_id:
            signed += f" Co-signed by {note.cosigned_by} on {when_text(note.cosigned_at, encounter)}."
        blocks.append(Text(f"Reason for the visit: {encounter.reason}. {signed}", muted=True))
        for name, label in SECTION_NAMES:
            text = getattr(note, name).strip()
            if text:
                blocks.append(Text(text, label=label))
        for addendum in chart.addenda.get(note.pk, []):
            lead = f"Addendum by {addendum.author}, {when_text(addendum.signed_at, encounter)}"
            if addendum.amendment_request is not None:
                lead += f", at your request of {us_date(addendum.amendment_request.received_on)}"
            blocks.append(Text(addendum.text, label=lead + ":"))
    if not blocks:
        blocks.append(Text("No signed visit notes yet."))
    if unsigned:
        days = ", ".join(f"{us_date(e.date_of_service)} ({e.provider})" for e in unsigned)
        blocks.append(
            Text(
                f"Not signed yet, so not in this copy: the notes of the visits on {days}. They will be in your next "
                "copy once signed.",
                muted=True,
            )
        )
    return PdfSection(
        title="Visit notes",
        intro="The notes your clinicians wrote and signed, newest first. Corrections or additions made later are "
        "shown beneath a note as addenda; a signed note itself never changes.",
        blocks=tuple(blocks),
    )


_IN_ERROR_CAPTION = "Entered in error (kept for the record; not part of your care):"


def problems_section(chart: Chart) -> PdfSection:
    def row(p: Problem) -> tuple[str, ...]:
        status = "Active" if p.status == ProblemStatus.ACTIVE else f"Resolved {us_date(p.resolved_on)}".strip()
        return (p.description, p.code, us_date(p.onset) or "—", status if p.status != ProblemStatus.IN_ERROR else "")

    current = [p for p in chart.problems if p.status == ProblemStatus.ACTIVE]
    current += [p for p in chart.problems if p.status == ProblemStatus.RESOLVED]
    wrong = [p for p in chart.problems if p.status == ProblemStatus.IN_ERROR]
    columns = ("Health problem", "ICD-10-CM code", "Since", "Status")
    widths = (3.6, 1.1, 1.0, 1.3)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(p) for p in current), widths=widths, empty="No health problems recorded.")
    ]
    if wrong:
        blocks.append(
            Table(columns=columns[:3], rows=tuple(row(p)[:3] for p in wrong), widths=widths[:3], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Health problems", blocks=tuple(blocks))


def medications_section(chart: Chart) -> PdfSection:
    def row(m: Medication) -> tuple[str, ...]:
        if m.status == MedicationStatus.ACTIVE:
            status = "Taking"
        elif m.status == MedicationStatus.STOPPED:
            status = " ".join(p for p in ("Stopped", us_date(m.stop_date)) if p)
            status += f": {m.stop_reason}" if m.stop_reason else ""
        else:
            status = ""
        return (str(m), m.directions or "—", us_date(m.start_date) or "—", str(m.prescriber or "—"), status)

    ordered = [m for m in chart.medications if m.status == MedicationStatus.ACTIVE]
    ordered += [m for m in chart.medications if m.status == MedicationStatus.STOPPED]
    wrong = [m for m in chart.medications if m.status == MedicationStatus.IN_ERROR]
    columns = ("Medication", "How to take it", "Started", "Prescribed by", "Status")
    widths = (1.8, 2.0, 0.85, 1.3, 1.3)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(m) for m in ordered), widths=widths, empty="No medications recorded.")
    ]
    if wrong:
        blocks.append(
            Table(columns=columns[:4], rows=tuple(row(m)[:4] for m in wrong), widths=widths[:4], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Medications", blocks=tuple(blocks))


def prescriptions_section(chart: Chart) -> PdfSection:
    rows = []
    for p in chart.prescriptions:
        medication = str(p.medication) + (" (dispense as written)" if p.dispense_as_written else "")
        if p.medication.status == MedicationStatus.IN_ERROR:
            medication += " — entered in error"
        rows.append((us_date(p.written_on), medication, p.directions, p.quantity, str(p.refills), str(p.prescriber)))
    return PdfSection(
        title="Prescriptions",
        intro="Prescriptions written for you here, newest first.",
        blocks=(
            Table(
                columns=("Written", "Medication", "Directions", "Quantity", "Refills", "Prescriber"),
                rows=tuple(rows),
                widths=(0.85, 1.7, 1.9, 0.9, 0.6, 1.3),
                empty="No prescriptions written.",
            ),
        ),
    )


def allergies_section(chart: Chart) -> PdfSection:
    def row(a: Allergy) -> tuple[str, ...]:
        severity = a.get_severity_display() if a.severity != AllergySeverity.UNKNOWN else "—"
        status = {AllergyStatus.ACTIVE: "Active", AllergyStatus.INACTIVE: "No longer active"}.get(
            AllergyStatus(a.status), ""
        )
        if a.no_known_allergies:
            return ("No known allergies", "—", "—", us_date(a.noted_on), status)
        return (a.substance, a.reaction or "—", severity, us_date(a.noted_on), status)

    current = [a for a in chart.allergies if a.status == AllergyStatus.ACTIVE]
    current += [a for a in chart.allergies if a.status == AllergyStatus.INACTIVE]
    wrong = [a for a in chart.allergies if a.status == AllergyStatus.IN_ERROR]
    columns = ("Allergy", "Reaction", "Severity", "Noted", "Status")
    widths = (1.9, 2.1, 0.9, 0.9, 1.2)
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(row(a) for a in current), widths=widths,
              empty="No allergies recorded, and no statement of \u201cno known allergies\u201d either.")
    ]  # fmt: skip
    if wrong:
        blocks.append(
            Table(columns=columns[:4], rows=tuple(row(a)[:4] for a in wrong), widths=widths[:4], muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(title="Allergies", blocks=tuple(blocks))


def _vitals_row(v: Vitals, zone: tzinfo) -> tuple[str, ...]:
    def both(value: Decimal | None, convert: Any, unit: str, metric: str) -> str:
        return f"{convert(value)} {unit}\n({value} {metric})" if value is not None else "—"

    height = "—"
    if v.height_cm is not None:
        inches = cm_to_in(v.height_cm)
        feet, rest = divmod(inches, 12)
        height = f"{int(feet)} ft {rest.quantize(Decimal('0.1'))} in\n({v.height_cm} cm)"
    return (
        moment_text(v.taken_at, zone).replace(" ", "\n", 1),
        f"{v.systolic}/{v.diastolic}" if v.systolic is not None else "—",
        f"{v.pulse}/min" if v.pulse is not None else "—",
        both(v.temperature_c, c_to_f, "°F", "°C"),
        f"{v.respiratory_rate}/min" if v.respiratory_rate is not None else "—",
        f"{v.spo2}%" if v.spo2 is not None else "—",
        height,
        both(v.weight_kg, kg_to_lb, "lb", "kg"),
        str(v.bmi) if v.bmi is not None else "—",
        f"{v.pain}/10" if v.pain is not None else "—",
    )


def vitals_section(chart: Chart) -> PdfSection:
    zone = chart.request.zone
    columns = ("Taken", "Blood pressure (mmHg)", "Pulse", "Temperature", "Breathing", "Oxygen", "Height", "Weight",
               "BMI", "Pain")  # fmt: skip
    widths = (0.8, 0.75, 0.5, 0.88, 0.65, 0.55, 0.8, 0.75, 0.4, 0.4)
    good = [v for v in chart.vitals if not v.in_error]
    wrong = [v for v in chart.vitals if v.in_error]
    blocks: list[Any] = [
        Table(columns=columns, rows=tuple(_vitals_row(v, zone) for v in good), widths=widths,
              empty="No vital signs recorded.")
    ]  # fmt: skip
    if wrong:
        blocks.append(
            Table(columns=columns, rows=tuple(_vitals_row(v, zone) for v in wrong), widths=widths, muted=True,
                  caption=_IN_ERROR_CAPTION)
        )  # fmt: skip
    return PdfSection(
        title="Vital signs",
        intro="Newest first. Breathing is breaths per minute; oxygen is the saturation measured on your finger; "
        "pain is what you reported on a scale of 0 to 10.",
        blocks=tuple(blocks),
    )


_RECALL_WORDS = {
    RecallStatus.DUE: "To book",
    RecallStatus.CONTACTED: "To book (we contacted you)",
    RecallStatus.SCHEDULED: "Booked",
    RecallStatus.CLOSED: "Closed",
}


def recalls_section(chart: Chart) -> PdfSection:
    rows = tuple(
        (us_date(r.due_on), r.reason, r.appointment_type.name, str(r.provider or "Any clinician"),
         _RECALL_WORDS[RecallStatus(r.status)])
        for r in chart.recalls
    )  # fmt: skip
    return PdfSection(
        title="Follow-up visits",
        intro="Visits your clinician asked you to book, and by when.",
        blocks=(
            Table(
                columns=("Book by", "What for", "Type of visit", "With", "Status"),
                rows=rows,
                widths=(0.9, 2.0, 1.5, 1.5, 1.3),
                empty="No follow-up visits requested.",
            ),
        ),
    )


def amendments_section(chart: Chart) -> PdfSection:
    blocks: list[Any] = []
    for request in chart.amendments:
        blocks.append(Heading(f"Request received {long_date(request.received_on)}"))
        facts = []
        if request.note is not None:
            facts.append(("About", f"the note of your visit on {us_date(request.note.encounter.date_of_service)}"))
        if request.status == AmendmentStatus.PENDING:
            facts.append(("Decision", f"Not decided yet; due by {us_date(amendment_due_on(request))}."))
        else:
            decided = timezone.localtime(request.decided_at, chart.request.zone).date() if request.decided_at else None
            word = "Accepted" if request.status == AmendmentStatus.ACCEPTED else "Denied"
            facts.append(("Decision", f"{word} on {us_date(decided)} by {request.decided_by}."))
        blocks.append(Facts(rows=tuple(facts)))
        blocks.append(Text(request.requested_change, label="What you asked:"))
        if request.status == AmendmentStatus.ACCEPTED:
            blocks.append(Text("The correction was added to the note as an addendum (see Visit notes).", muted=True))
        elif request.status == AmendmentStatus.DENIED:
            blocks.append(Text(request.denial_reason, label="Why it was denied:"))
            blocks.append(
                Text(
                    "You may send us a written statement of disagreement; it will be kept with your record and "
                    "included whenever this part of the record is disclosed (HIPAA, 45 CFR 164.526(d)).",
                    muted=True,
                )
            )
    if not blocks:
        blocks.append(Text("You have not asked us to change your record."))
    return PdfSection(title="Requests to change your record", blocks=tuple(blocks))
