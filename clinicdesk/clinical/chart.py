"""The patient's clinical chart, read in a fixed number of queries however long the history.

One query each: a page of encounters (newest first, with provider, location and note status
joined), the problem list, medications, allergies, the latest vitals (for the trend) and the
open follow-ups. Encounters come a page at a time (`ENCOUNTERS_PER_PAGE`, then "older"), so a
patient with 700 visits costs what a patient with 7 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, IntegerField, Q, Value, When

from clinicdesk.core.datetimes import date_text
from clinicdesk.patients.models import Patient

from .models import (
    Allergy,
    AllergyStatus,
    Encounter,
    Medication,
    MedicationStatus,
    Problem,
    ProblemStatus,
    Recall,
    RecallStatus,
    Vitals,
)
from .vitals import PRACTICE_UNITS, UNIT_LABEL, reading_in

ENCOUNTERS_PER_PAGE = 25
VITALS_IN_TREND = 20


@dataclass
class Chart:
    patient: Patient
    encounters: list[Encounter]
    older: Encounter | None  # the last encounter shown, when older ones exist (the "older" link)
    problems: list[Problem]
    medications: list[Medication]
    allergies: list[Allergy]
    vitals: list[Vitals]  # oldest first, at most VITALS_IN_TREND
    recalls: list[Recall]


def _status_first(field: str, first: str) -> Case:
    return Case(When(**{field: first}, then=Value(0)), default=Value(1), output_field=IntegerField())


def chart_of(patient: Patient, *, after: Encounter | None = None) -> Chart:
    """The chart of `patient`, its encounters from the one after `after` (the last one shown) on."""
    encounters = Encounter.objects.filter(patient=patient).select_related("provider__user", "location", "note")
    if after is not None:
        day, pk = after.date_of_service, after.pk
        encounters = encounters.filter(Q(date_of_service__lt=day) | Q(date_of_service=day, pk__lt=pk))
    page = list(encounters.order_by("-date_of_service", "-pk")[: ENCOUNTERS_PER_PAGE + 1])
    more = len(page) > ENCOUNTERS_PER_PAGE
    page = page[:ENCOUNTERS_PER_PAGE]
    problems = list(
        Problem.objects.filter(patient=patient)
        .exclude(status=ProblemStatus.IN_ERROR)
        .order_by(_status_first("status", ProblemStatus.ACTIVE), "code")
    )
    medications = list(
        Medication.objects.filter(patient=patient)
        .exclude(status=MedicationStatus.IN_ERROR)
        .select_related("prescriber__user")
        .order_by(_status_first("status", MedicationStatus.ACTIVE), "name")
    )
    allergies = list(
        Allergy.objects.filter(patient=patient, status=AllergyStatus.ACTIVE).order_by("no_known_allergies", "substance")
    )
    vitals = list(Vitals.objects.filter(patient=patient, in_error=False).order_by("-taken_at")[:VITALS_IN_TREND])
    vitals.reverse()
    recalls = list(
        Recall.objects.filter(patient=patient, status__in=(RecallStatus.DUE, RecallStatus.CONTACTED))
        .select_related("appointment_type", "provider__user")
        .order_by("due_on")
    )
    return Chart(
        patient=patient,
        encounters=page,
        older=page[-1] if more else None,
        problems=problems,
        medications=medications,
        allergies=allergies,
        vitals=vitals,
        recalls=recalls,
    )


# --- The vitals trend, drawn as SVG on the server ----------------------------------------------


@dataclass
class Series:
    label: str
    color: str
    points: list[tuple[int, Decimal]]  # (index in the vitals list, value)


@dataclass
class Trend:
    title: str
    unit: str
    series: list[Series]
    labels: list[str]  # x-axis labels, one per reading
    low: Decimal
    high: Decimal
    width: int = 560
    height: int = 180
    pad_left: int = 44
    pad_right: int = 30  # room for the last date label
    pad_bottom: int = 28
    pad_top: int = 12

    def x(self, index: int) -> float:
        span = max(1, len(self.labels) - 1)
        return self.pad_left + (self.width - self.pad_left - self.pad_right) * index / span

    def y(self, value: Decimal) -> float:
        span = float(self.high - self.low) or 1.0
        usable = self.height - self.pad_top - self.pad_bottom
        return self.pad_top + usable * (1 - (float(value - self.low) / span))

    def ticks(self) -> list[tuple[float, str]]:
        steps = 4
        out = []
        for n in range(steps + 1):
            value = self.low + (self.high - self.low) * n / steps
            out.append((self.y(value), f"{value:.0f}"))
        return out

    def lines(self) -> list[dict]:
        drawn = []
        for series in self.series:
            coords = [(round(self.x(i), 1), round(self.y(v), 1)) for i, v in series.points]
            drawn.append(
                {
                    "label": series.label,
                    "color": series.color,
                    "points": " ".join(f"{x},{y}" for x, y in coords),
                    "dots": coords,
                }
            )
        return drawn

    def rows(self) -> list[tuple[str, list[str]]]:
        """The same readings as a table: (date, [value of each series or ""])."""
        by_series = [dict(series.points) for series in self.series]
        return [(label, [str(values.get(i, "")) for values in by_series]) for i, label in enumerate(self.labels)]

    def x_labels(self) -> list[tuple[float, str]]:
        every = max(1, len(self.labels) // 6)
        return [(round(self.x(i), 1), label) for i, label in enumerate(self.labels) if i % every == 0]


def _bounds(values: list[Decimal], floor: Decimal, step: Decimal) -> tuple[Decimal, Decimal]:
    low, high = min(values), max(values)
    low = max(floor, (low // step) * step - step)
    high = (high // step) * step + 2 * step
    return low, high


def vitals_trends(vitals: list[Vitals]) -> list[Trend]:
    """Blood pressure and weight over the readings shown (oldest first); none without data."""
    labels = [date_text(v.taken_at) for v in vitals]
    trends = []
    bp = [
        (i, Decimal(v.systolic), Decimal(v.diastolic))
        for i, v in enumerate(vitals)
        if v.systolic is not None and v.diastolic is not None
    ]
    if bp:
        low, high = _bounds([d for _, _, d in bp] + [s for _, s, _ in bp], Decimal(0), Decimal(20))
        trends.append(
            Trend(
                "Blood pressure",
                "mmHg",
                [
                    Series("Systolic", "#c0392b", [(i, s) for i, s, _ in bp]),
                    Series("Diastolic", "#2c7fb8", [(i, d) for i, _, d in bp]),
                ],
                labels,
                low,
                high,
            )  # fmt: skip
        )
    # Weight in the practice's unit, as typed when it was typed in that unit (150 lb is 150).
    unit = PRACTICE_UNITS["weight"]
    shown = [(i, reading_in(v, "weight", unit)) for i, v in enumerate(vitals)]
    weights = [(i, value) for i, value in shown if value is not None]
    if weights:
        low, high = _bounds([w for _, w in weights], Decimal(0), Decimal(10))
        trends.append(Trend("Weight", UNIT_LABEL[unit], [Series("Weight", "#6a3d9a", weights)], labels, low, high))
    return trends
