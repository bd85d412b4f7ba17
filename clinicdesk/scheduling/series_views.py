"""Recurring-series pages: plan and book a series, then change or cancel its visits.

"Repeat…" on the booking page links to series/new/ with the booking's query (type, provider,
location, room, start, patient). "Check" shows every visit, each conflict with radio buttons
(skip, or one of the suggested times); "Book series" books them all or none. Without
JavaScript, both buttons are plain submits of one form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import ranges
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.datetimes import weekday_datetime_text
from clinicdesk.core.guards import requires
from clinicdesk.core.ranges import Span
from clinicdesk.core.text import sentence
from clinicdesk.patients.access import access_patient

from . import selectors
from . import selectors_calendar as cal
from .access import access_appointment
from .availability import day_text
from .booking import BookingInput
from .models import Appointment, AppointmentStatus
from .series import (
    MAX_OCCURRENCES,
    Occurrence,
    series_book,
    series_cancel,
    series_edit,
    series_edit_options,
    series_members,
    series_plan,
)
from .series_forms import RepeatForm, SeriesCancelForm, SeriesMoveForm


def _book_url() -> str:
    try:
        return reverse("scheduling:book")
    except NoReverseMatch:  # the booking page is another module's; the link still reads right
        return "/scheduling/book/"


def _parse_start(text: str, zone: ZoneInfo) -> datetime | None:
    """The start in the query (naive: at the location), or None when unreadable or not a plausible
    appointment time (core.ranges: within ten years of now), as year 1 is not."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    moment = moment.replace(tzinfo=zone) if timezone.is_naive(moment) else moment
    return None if ranges.datetime_problem(moment, Span.SCHEDULE, label="Start") else moment


def _booking_from_query(request: StaffRequest) -> tuple[BookingInput | None, str]:
    """The booking the series repeats, from the query; (None, what is wrong) when it is incomplete."""
    query = request.GET
    wanted = ("type", "provider", "location", "start", "patient")
    missing = [name for name in wanted if not query.get(name, "").strip()]
    if missing:
        return None, f"Open this page with “Repeat…” from the booking page (missing: {', '.join(missing)})."
    try:
        kind = selectors.appointment_type_get(public_id=query["type"])
        provider = selectors.provider_get(public_id=query["provider"])
        location = selectors.location_get(public_id=query["location"])
        room = selectors.room_get(public_id=query["room"]) if query.get("room") else None
    except Http404:
        return (
            None,
            "The visit type, provider, location or room in the link no longer exists. Start again from booking.",
        )
    starts_at = _parse_start(query["start"], ZoneInfo(location.time_zone))
    if starts_at is None:
        return None, "The start time in the link is not a date and time. Start again from booking."
    patient = access_patient(actor=request.user, mrn=query["patient"], need=Cap.SCHEDULE_WRITE, purpose="book series")
    data = BookingInput(
        patient=patient, provider=provider, location=location, appointment_type=kind, starts_at=starts_at, room=room
    )
    return data, ""


def _errors_to_form(form: Any, exc: ValidationError, rename: dict[str, str] | None = None) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            name = (rename or {}).get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _choices(post: Any, plan: list[Occurrence]) -> tuple[dict[int, datetime | None], dict[int, str]]:
    """The person's choice for every conflict, and an error beside each conflict left unanswered."""
    choices: dict[int, datetime | None] = {}
    errors: dict[int, str] = {}
    for occurrence in plan:
        if occurrence.bookable:
            continue
        value = post.get(f"choice_{occurrence.index}", "")
        if value == "skip":
            choices[occurrence.index] = None
            continue
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            errors[occurrence.index] = "Choose to skip this visit or one of the times offered."
            continue
        if timezone.is_naive(moment) or ranges.datetime_problem(moment, Span.SCHEDULE, label="Time"):
            errors[occurrence.index] = "Choose to skip this visit or one of the times offered."
            continue
        choices[occurrence.index] = moment
    return choices, errors


def _when(moment: datetime) -> str:
    return weekday_datetime_text(moment, moment.tzinfo)


def _rows(plan: list[Occurrence], chosen: dict[int, str], errors: dict[int, str]) -> list[dict[str, Any]]:
    """What the plan table shows: each visit, and for a conflict its options with the one chosen."""
    rows = []
    for occurrence in plan:
        options = []
        if not occurrence.bookable:
            picked = chosen.get(occurrence.index, "")
            options.append({"value": "skip", "label": "Skip this visit", "checked": picked == "skip"})
            for moment in occurrence.suggestions:
                value = moment.isoformat()
                options.append({"value": value, "label": f"Move to {_when(moment)}", "checked": picked == value})
        rows.append(
            {
                "occurrence": occurrence,
                "when": _when(occurrence.local_start) if occurrence.local_start else day_text(occurrence.day),
                "options": options,
                "error": errors.get(occurrence.index, ""),
            }
        )
    return rows


@requires(Cap.SCHEDULE_WRITE)
def series_new(request: StaffRequest) -> HttpResponse:
    data, problem = _booking_from_query(request)
    form = RepeatForm(request.POST or None)
    context: dict[str, Any] = {
        "data": data,
        "problem": problem,
        "form": form,
        "plan": None,
        "rows": [],
        "chosen": {},
        "book_url": _book_url(),
        "max_occurrences": MAX_OCCURRENCES,
        "query": request.GET.urlencode(),
    }
    if data is None:
        return render(request, "scheduling/series_new.html", context, status=400)
    context["zone"] = data.location.time_zone
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            plan = series_plan(data=data, **form.series_args())
        except ValidationError as exc:
            _errors_to_form(form, exc)
            return render(request, "scheduling/series_new.html", context, status=422)
        context["plan"] = plan
        context["conflicts"] = sum(1 for o in plan if not o.bookable)
        context["chosen"] = {o.index: request.POST.get(f"choice_{o.index}", "") for o in plan}
        context["rows"] = _rows(plan, context["chosen"], {})
        if request.POST.get("action") == "book":
            choices, errors = _choices(request.POST, plan)
            context["rows"] = _rows(plan, context["chosen"], errors)
            if errors:
                form.add_error(None, "Choose what to do with every conflict: skip it or take one of the times offered.")
                return render(request, "scheduling/series_new.html", context, status=422)
            try:
                series = series_book(actor=request.user, data=data, choices=choices, **form.series_args())
            except ValidationError as exc:
                _errors_to_form(form, exc)
                # Something changed since the check (another booking, perhaps): show the plan as it is now.
                plan = series_plan(data=data, **form.series_args())
                context["rows"] = _rows(plan, context["chosen"], {})
                return render(request, "scheduling/series_new.html", context, status=409)
            members = series_members(series_id=series.pk)
            messages.success(
                request, sentence(f"Booked {len(members)} visit(s) of the series for {data.patient.display_name}")
            )
            return redirect("scheduling:series_edit", public_id=members[0].public_id)
    elif request.method == "POST":
        status = 422
    return render(request, "scheduling/series_new.html", context, status=status)


def _room_choice(value: str) -> Any:
    if not value:
        return False  # keep
    if value == "none":
        return None
    room = cal.room_for(public_id=value)
    if room is None:
        raise ValidationError({"room": ["Choose a room from the list."]})
    return room


@requires(Cap.SCHEDULE_WRITE)
def series_edit_page(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    if appointment.series_id is None:
        raise Http404
    providers, rooms = series_edit_options(appointment=appointment)
    action = request.POST.get("action") if request.method == "POST" else None
    move_form = SeriesMoveForm(
        request.POST if action == "move" else None, providers=providers, rooms=rooms, prefix="move"
    )
    cancel_form = SeriesCancelForm(request.POST if action == "cancel" else None, prefix="cancel")
    status = 200
    if action == "move" and move_form.is_valid():
        values = move_form.cleaned_data
        try:
            provider = cal.providers_named(public_ids=[values["provider"]])[0] if values["provider"] else None
            changed = series_edit(
                actor=request.user,
                appointment=appointment,
                scope=values["scope"],
                starts_at_time=values["new_time"],
                day=values["day"],
                provider=provider,
                room=_room_choice(values["room"]),
                reason=values["reason"],
            )
        except (ValidationError, IndexError) as exc:
            if isinstance(exc, IndexError):
                exc = ValidationError({"provider": ["Choose a provider from the list."]})
            _errors_to_form(move_form, exc, {"starts_at_time": "new_time"})
            status = 409
        else:
            messages.success(request, f"Moved {len(changed)} visit(s).")
            return redirect("scheduling:series_edit", public_id=appointment.public_id)
    elif action == "cancel" and cancel_form.is_valid():
        values = cancel_form.cleaned_data
        try:
            cancelled = series_cancel(
                actor=request.user, appointment=appointment, scope=values["scope"], reason=values["reason"]
            )
        except ValidationError as exc:
            _errors_to_form(cancel_form, exc)
            status = 409
        else:
            messages.success(request, f"Cancelled {len(cancelled)} visit(s).")
            return redirect("scheduling:series_edit", public_id=appointment.public_id)
    elif action in ("move", "cancel"):
        status = 422
    members: list[Appointment] = series_members(series_id=appointment.series_id)
    context = {
        "appointment": appointment,
        "members": members,
        "zone": appointment.location.time_zone,
        "move_form": move_form,
        "cancel_form": cancel_form,
        "Status": AppointmentStatus,
    }
    return render(request, "scheduling/series_edit.html", context, status=status)
