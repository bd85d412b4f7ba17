"""Clinical panels on the home page (see core/home.py): recalls due for the front desk, vitals to
take for the nurse, and the clinician's patients today, notes to sign, co-signatures waiting and
the follow-ups they added today.

Each number is counted with the queryset of the list it opens (`worklists`, `recalls`), restricted
records left out as the list leaves them out, so the two agree. Counts only: no names, no note text.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

from django.db.models import Count
from django.urls import reverse

from clinicdesk.core import clock, home
from clinicdesk.core.capabilities import Cap, Role
from clinicdesk.core.home import Figure, PanelContent, PanelRequest, Section
from clinicdesk.scheduling.home_panels import NO_LOCATION, day_text, home_location, location_day
from clinicdesk.scheduling.models import Location, Provider

from . import worklists
from .models import VisitNote
from .recalls import View, WorklistFilters, overdue_q, recall_worklist_total


def _practice_today(now: datetime) -> date:
    return now.astimezone(clock.zone_named(None)).date()


def _recalls_url(**query: str) -> str:
    return f"{reverse('clinical:recalls')}?{urlencode(query)}"


# --- Front desk --------------------------------------------------------------------------------


def recalls_due(asked: PanelRequest) -> PanelContent:
    """Open follow-ups due by today (and those overdue) for patients of the chosen location."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    today = _practice_today(asked.now)
    # Overdue recalls are open and due before today, so they are among those due by today: one query.
    due = WorklistFilters(state=View.OPEN, location=location, due_to=today)
    found = recall_worklist_total(
        actor=asked.user, filters=due, today=today, now=asked.now, within={"overdue": overdue_q(today)}
    )
    count = {"due": found["total"], "overdue": found["overdue"]}
    place = str(location.public_id)
    return PanelContent(
        sections=[
            Section(
                [
                    Figure(
                        "Due by today",
                        count["due"],
                        _recalls_url(state=View.OPEN, location=place, due_to=today.isoformat()),
                        hint="to call and book",
                    ),
                    Figure(
                        "Overdue",
                        count["overdue"],
                        _recalls_url(state=View.OVERDUE, location=place),
                        attention=count["overdue"] > 0,
                    ),
                ]
            )
        ],
        note=location.name,
    )


# --- Nurse -------------------------------------------------------------------------------------


def vitals_due(asked: PanelRequest) -> PanelContent:
    """Patients in the building today at the chosen location who have no vitals yet."""
    location, _ = home_location(asked)
    if location is None:
        return PanelContent(empty=NO_LOCATION)
    day, _, _ = location_day(location, asked.now)
    rows, _ = worklists.visible_to(
        worklists.vitals_due_rows(location=location, now=asked.now), actor=asked.user, now=asked.now
    )
    count = rows.count()
    url = f"{reverse('clinical:vitals_due')}?{urlencode({'location': str(location.public_id)})}"
    return PanelContent(
        sections=[Section([Figure("Patients without vitals", count, url, hint="checked in, in person")])],
        note=f"{location.name}, {day_text(day)}",
    )


# --- Clinician ---------------------------------------------------------------------------------


def _my_provider(asked: PanelRequest) -> Provider | None:
    return asked.shared("clinical.provider", lambda: worklists.provider_of(asked.user))


NO_PROVIDER = (
    "No patients are booked with you: you have no provider record. "
    "The office manager adds providers under Practice setup."
)


def clinician_day(asked: PanelRequest) -> PanelContent:
    """The clinician's visits today (each location's own day) and who of them is in the building."""
    provider = _my_provider(asked)
    if provider is None:
        return PanelContent(empty=NO_PROVIDER)
    day = worklists.provider_day(provider=provider, now=asked.now)
    places = {loc.pk: loc for loc in home_location(asked)[1]}
    mine = str(provider.public_id)
    figures = []
    for location_id, count in sorted(day.booked.items(), key=lambda item: -item[1]):
        location = places.get(location_id) or Location.objects.get(pk=location_id)
        query = urlencode({"location": str(location.public_id), "provider": mine})
        label = "Booked today" if len(day.booked) == 1 else f"Booked at {location.name}"
        figures.append(Figure(label, count, f"{reverse('scheduling_flow:day')}?{query}"))
    if not figures:
        first = next(iter(places.values()), None)
        query = urlencode({"provider": mine, **({"location": str(first.public_id)} if first else {})})
        figures.append(Figure("Booked today", 0, f"{reverse('scheduling_flow:day')}?{query}"))
    figures.append(
        Figure(
            "In the building",
            day.in_building,
            f"{reverse('clinical:today')}?{urlencode({'provider': mine})}",
            hint="checked in, waiting or with you",
        )
    )
    return PanelContent(sections=[Section(figures)], note=day_text(_practice_today(asked.now)))


def notes_and_follow_ups(asked: PanelRequest) -> PanelContent:
    """Draft notes of the clinician's visits, notes waiting for their co-signature, and the
    follow-ups they added today."""
    user, now = asked.user, asked.now
    # Both note lists in one count, restricted records left out as the lists leave them out.
    to_sign, to_cosign = worklists.to_sign_q(user), worklists.to_cosign_q(user)
    notes_of, _ = worklists.visible_to(
        VisitNote.objects.filter(to_sign | to_cosign), actor=user, now=now, mrn="encounter__patient__mrn"
    )
    count = notes_of.aggregate(sign=Count("pk", filter=to_sign), cosign=Count("pk", filter=to_cosign))
    today = _practice_today(now)
    added = recall_worklist_total(
        actor=user, filters=WorklistFilters(state=View.ALL, created_by=user, created_on=today), today=today, now=now
    )["total"]
    notes = reverse("clinical:note_worklist")
    signing = count["sign"]
    return PanelContent(
        sections=[
            Section(
                [
                    Figure("Notes to sign", signing, f"{notes}?show={worklists.TO_SIGN}", attention=signing > 0),
                    Figure("Co-signatures waiting", count["cosign"], f"{notes}?show={worklists.TO_COSIGN}"),
                    Figure(
                        "Follow-ups you added today",
                        added,
                        _recalls_url(state=View.ALL, mine="on", created_on=today.isoformat()),
                    ),
                ]
            )
        ]
    )


home.register(
    name="clinical.recalls_due",
    title="Recalls due",
    capability=Cap.CLINICAL_RECALL_WORK,
    roles={Role.FRONT_DESK},
    order=30,
    build=recalls_due,
)
home.register(
    name="clinical.vitals_due",
    title="Vitals to take",
    capability=Cap.CLINICAL_NOTE_WRITE,
    roles={Role.NURSE},
    order=20,
    build=vitals_due,
)
home.register(
    name="clinical.clinician_day",
    title="Your patients today",
    capability=Cap.CLINICAL_NOTE_WRITE,
    roles={Role.CLINICIAN},
    order=10,
    build=clinician_day,
)
home.register(
    name="clinical.notes",
    title="Notes and follow-ups",
    capability=Cap.CLINICAL_NOTE_SIGN,
    roles={Role.CLINICIAN},
    order=20,
    build=notes_and_follow_ups,
)
