"""Open times offered around a date on the booking page (a recall's due date): the slot search of
slots.py run over a window around that date, the wanted provider's times first.

Nothing here finds slots itself; it only chooses the window, the providers and the start-time
grid, so the booking page offers exactly what the slot search page would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from clinicdesk.patients.models import Patient

from . import slots
from .models import AppointmentType, Provider

BEFORE_DAYS = 14  # a follow-up booked up to two weeks early still serves its purpose
AFTER_DAYS = 28
PER_GROUP = 24  # slots shown per group: enough for a few days' choice, short enough to read


@dataclass(frozen=True)
class SlotGroup:
    title: str  # "With Dr. Ada Lovelace", "Other providers", "Any provider"
    days: list[slots.SlotDay]


@dataclass(frozen=True)
class SlotOffer:
    due: date
    start_date: date
    end_date: date
    groups: list[SlotGroup]
    problem: str = ""  # why no search could be made (e.g. an established patient and a new-patient type)

    @property
    def count(self) -> int:
        return sum(len(day.slots) for group in self.groups for day in group.days)


def offer_window(due: date, today: date) -> tuple[date, date]:
    """From two weeks before `due` to four weeks after, never before `today`.

    A due date long past gives the four weeks from today: the visit is late, the soonest time serves.
    """
    start = max(today, due - timedelta(days=BEFORE_DAYS))
    end = max(due + timedelta(days=AFTER_DAYS), start + timedelta(days=AFTER_DAYS if due < today else 0))
    return start, end


def grid_for(kind: AppointmentType) -> int:
    """Start times a visit's length apart (the coarsest grid not longer than the visit), so the
    list offers distinct visits rather than every five minutes."""
    fitting = [g for g in slots.GRID_CHOICES if g <= kind.duration_minutes]
    return max(fitting) if fitting else min(slots.GRID_CHOICES)


def providers_taking(kind: AppointmentType, *, besides: Provider) -> list[Provider]:
    return list(
        Provider.objects.filter(active=True, user__is_active=True, appointment_types=kind)
        .exclude(pk=besides.pk)
        .select_related("user")
    )


def slots_near(
    *, appointment_type: AppointmentType, due: date, provider: Provider | None, patient: Patient | None, today: date
) -> SlotOffer:
    """Open `appointment_type` slots around `due`, grouped by day: `provider`'s first (when given),
    then everyone else's who takes the type; with a patient, times the patient is booked are left out.

    A search the slot finder refuses (the type taken by no one, a new-patient type for an
    established patient) comes back as `problem`, not as an exception.
    """
    start, end = offer_window(due, today)
    grid = grid_for(appointment_type)
    searches: list[tuple[str, list[Provider] | None]] = []
    if provider is not None:
        searches.append((f"With {provider.display_name}", [provider]))
        others = providers_taking(appointment_type, besides=provider)
        if others:
            searches.append(("Other providers", others))
    else:
        searches.append(("Any provider", None))
    groups: list[SlotGroup] = []
    problems: list[str] = []
    for title, chosen in searches:
        try:
            result = slots.slot_search(
                appointment_type=appointment_type,
                providers=chosen,
                start_date=start,
                end_date=end,
                patient=patient,
                limit=PER_GROUP,
                grid_minutes=grid,
            )
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        if result.days:
            groups.append(SlotGroup(title, result.days))
    problem = " ".join(dict.fromkeys(problems)) if not groups else ""
    return SlotOffer(due=due, start_date=start, end_date=end, groups=groups, problem=problem)
