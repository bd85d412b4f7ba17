"""The booking page and the appointment page (details, history, reschedule, cancel).

Thin: parse the form, call one service in booking.py, render. Appointments are loaded through
`access_appointment` only (capability, restricted records, audited read) and patients through
`access_patient`. A refused booking re-renders the form with the reason beside the field: 409
when the time clashes with something (BookingRefused is a Conflict), 422 for a bad form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.accounts.models import User
from clinicdesk.core import clock, ranges
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import weekday_datetime_text
from clinicdesk.core.errors import Conflict
from clinicdesk.core.guards import requires
from clinicdesk.core.ranges import Span
from clinicdesk.core.text import sentence
from clinicdesk.patients.models import Patient
from clinicdesk.patients.search.access import access_patient_search
from clinicdesk.patients.search.pick import access_patient_pick
from clinicdesk.patients.search.query import MAX_QUERY

from . import booking, slot_offers, slots, waitlist
from .access import access_appointment
from .booking_forms import BookingForm, CancelForm, MoveForm
from .models import Appointment, AppointmentStatus

BOOK_QUERY = ("type", "provider", "location", "room", "start", "patient", "due")


def _refusal_status(exc: ValidationError) -> int:
    return 409 if isinstance(exc, Conflict) else 422


def patient_or_problem(
    actor: User,
    text: str,
    purpose: str,
    *,
    hint: str = "Find the patient by name above, or check the digits.",
    then: str = "",
) -> tuple[Patient | None, str]:
    """The patient `text` names (an MRN, or a name, date of birth or phone with one match), or None
    and what to tell the clerk beside the field (no 404 page mid-form).

    `hint` follows "No patient has this MRN."; `then` ends the restricted-record message with
    what to do next (", then book").
    """
    pick = access_patient_pick(actor=actor, text=text, purpose=purpose, hint=hint, then=then)
    return pick.patient, pick.problem


def _start_from_query(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if not timezone.is_aware(moment) or ranges.datetime_problem(moment, Span.SCHEDULE, label="Start"):
        return None  # a link with no usable start opens the empty form (year 1 cannot be shown)
    return moment


def _initial(query) -> dict:
    initial = {
        "location": query.get("location", ""),
        "provider": query.get("provider", ""),
        "appointment_type": query.get("type", ""),
        "room": query.get("room", ""),
        "patient": query.get("patient", ""),
    }
    return {name: value for name, value in initial.items() if value}


def _with_local_start(form: BookingForm, query) -> None:
    """Fill the local date and time from `start` (ISO 8601 UTC), as the location's clock shows it."""
    start = _start_from_query(query.get("start", ""))
    if start is not None and form.chosen_location is not None:
        local = start.astimezone(ZoneInfo(form.chosen_location.time_zone))
        form.initial["date"] = local.date()
        form.initial["time"] = local.time().replace(second=0, microsecond=0)
        form.initial["starts_at"] = start


def _slot_local(form: BookingForm) -> datetime | None:
    """The chosen start in the location's time, for the summary at the top of the page."""
    start = form.cleaned_data.get("starts_at") if form.is_bound and hasattr(form, "cleaned_data") else None
    start = start or form.initial.get("starts_at")
    if start is None or form.chosen_location is None:
        return None
    return start.astimezone(ZoneInfo(form.chosen_location.time_zone))


def _book_url(query: dict) -> str:
    kept = {k: v for k, v in query.items() if k in BOOK_QUERY and v}
    return reverse("scheduling:book") + ("?" + urlencode(kept) if kept else "")


def _due_from_query(text: str) -> date | None:
    try:
        due = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return None if ranges.date_problem(due, Span.SCHEDULE, label="Due") else due


@dataclass(frozen=True)
class NearDue:
    """The open times around a due date, each with the booking link that picks it."""

    offer: slot_offers.SlotOffer
    groups: list[tuple[str, list[tuple[date, list[tuple[slots.Slot, str]]]]]]
    search_url: str  # the slot search page with the same window, type, provider and patient


def _near_due(form: BookingForm, query, patient: Patient | None) -> NearDue | None:
    """Open times around `?due=` (booking from a recall) when no time was picked yet, else None."""
    due = _due_from_query(query.get("due", ""))
    kind = form.chosen_type
    if due is None or kind is None or form.initial.get("starts_at") is not None:
        return None
    provider = form.chosen_provider
    offer = slot_offers.slots_near(
        appointment_type=kind, due=due, provider=provider, patient=patient, today=clock.today()
    )
    mrn = patient.mrn if patient else query.get("patient", "")

    def pick(slot: slots.Slot) -> str:
        room = str(slot.room.public_id) if slot.room else ""
        start = slot.starts_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
        where = {"location": str(slot.location.public_id), "room": room, "start": start}
        return _book_url(
            {"type": str(kind.public_id), "provider": str(slot.provider.public_id), **where, "patient": mrn}
        )

    groups = [
        (group.title, [(day.day, [(slot, pick(slot)) for slot in day.slots]) for day in group.days])
        for group in offer.groups
    ]
    search = [
        ("appointment_type", str(kind.public_id)),
        *([("providers", str(provider.public_id))] if provider else []),
        ("start_date", offer.start_date.isoformat()),
        ("end_date", offer.end_date.isoformat()),
        ("patient", mrn),
        ("limit", "50"),
        ("grid_minutes", str(slot_offers.grid_for(kind))),
    ]
    return NearDue(offer=offer, groups=groups, search_url=reverse("scheduling_setup:slots") + "?" + urlencode(search))


@requires(Cap.SCHEDULE_WRITE)
@require_http_methods(["GET", "POST"])
def book(request: StaffRequest) -> HttpResponse:
    """GET: the booking form for the slot in the query; POST: book it, or show why not."""
    query = request.GET
    status = 200
    if request.method == "POST":
        form = BookingForm(request.POST)
        patient, problem = patient_or_problem(
            request.user, request.POST.get("patient", ""), "book appointment", then=", then book"
        )
        if problem:
            form.add_error("patient", problem)
        if form.is_valid() and patient is not None:
            data = form.cleaned_data
            try:
                appointment = booking.appointment_book(
                    actor=request.user,
                    data=booking.BookingInput(
                        patient=patient,
                        provider=data["provider"],
                        location=data["location"],
                        appointment_type=data["appointment_type"],
                        starts_at=data["starts_at"],
                        room=data.get("room"),
                        reason=data.get("reason", ""),
                        overbook=bool(data.get("overbook")),
                    ),
                )
            except ValidationError as exc:
                form.apply_errors(exc)
                status = _refusal_status(exc)
            else:
                messages.success(request, sentence(f"Booked {appointment.appointment_type} for {patient.display_name}"))
                return redirect("scheduling:appointment", public_id=appointment.public_id)
        else:
            status = 422
    else:
        form = BookingForm(initial=_initial(query))
        patient, problem = patient_or_problem(
            request.user, query.get("patient", ""), "book appointment", then=", then book"
        )
        _with_local_start(form, query)
    near = _near_due(form, query, patient) if request.method == "GET" else None
    search_text = query.get("patient_q", "")[:MAX_QUERY]
    result = access_patient_search(actor=request.user, text=search_text) if search_text.strip() else None
    pick_urls = []
    if result is not None:
        base = {k: query.get(k, "") for k in BOOK_QUERY}
        pick_urls = [(hit, _book_url({**base, "patient": hit.mrn})) for hit in result.hits]
    context = {
        "form": form,
        "patient": patient,
        "patient_problem": problem if request.method == "GET" else "",
        "slot_local": _slot_local(form),
        "near": near,
        "patient_q": search_text,
        "search_result": result,
        "pick_urls": pick_urls,
        "keep": {k: query.get(k, "") for k in BOOK_QUERY if k != "patient" and query.get(k)},
        "change_patient_url": _book_url({k: query.get(k, "") for k in BOOK_QUERY if k != "patient"}),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and request.method == "GET" and "patient_q" in query:
        return render(request, "scheduling/booking_page.html#patient_results", context)
    return render(request, "scheduling/booking_page.html", context, status=status)


# --- The appointment page ----------------------------------------------------------------------


def _flow_url(appointment: Appointment) -> str:
    try:
        return reverse("scheduling_flow:appointment", kwargs={"public_id": appointment.public_id})
    except NoReverseMatch:
        return ""


def _late_if_cancelled_now(appointment: Appointment) -> bool:
    return appointment.starts_at - clock.now() < timedelta(hours=settings.CLINICDESK_LATE_CANCEL_HOURS)


def _appointment_context(request: StaffRequest, appointment: Appointment, **extra) -> dict:
    can_write = role_can(request.user.role, Cap.SCHEDULE_WRITE)
    scheduled = appointment.status == AppointmentStatus.SCHEDULED
    return {
        "appointment": appointment,
        "changes": list(appointment.changes.select_related("by").order_by("at", "id")),
        "tz": appointment.location.time_zone,
        "can_write": can_write,
        "can_change": can_write and scheduled,
        "flow_url": _flow_url(appointment),
        "late_cancel_now": scheduled and _late_if_cancelled_now(appointment),
        "late_cancel_hours": settings.CLINICDESK_LATE_CANCEL_HOURS,
        "waitlist_url": reverse("scheduling:waitlist_new")
        + "?"
        + urlencode(
            {
                "patient": appointment.patient.mrn,
                "appointment": appointment.public_id,
                "type": appointment.appointment_type.public_id,
            }
        ),
        **extra,
    }


@requires(Cap.SCHEDULE_READ)
@require_http_methods(["GET"])
def appointment_page(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id)
    move_form = MoveForm(initial=MoveForm.initial_for(appointment), appointment=appointment)
    return render(
        request, "scheduling/appointment_page.html", _appointment_context(request, appointment, move_form=move_form)
    )


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def appointment_move_view(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    form = MoveForm(request.POST, appointment=appointment)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        room = data.get("room")
        try:
            moved = booking.appointment_move(
                actor=request.user,
                appointment=appointment,
                starts_at=data["starts_at"],
                provider=data.get("provider"),
                room=room if room is not None else False,
                reason=data.get("reason", ""),
            )
        except ValidationError as exc:
            form.apply_errors(exc)
            status = _refusal_status(exc)
        else:
            local = moved.starts_at.astimezone(ZoneInfo(moved.location.time_zone))
            messages.success(request, f"Moved to {weekday_datetime_text(local, local.tzinfo)} with {moved.provider}.")
            return redirect("scheduling:appointment", public_id=moved.public_id)
    context = _appointment_context(request, appointment, move_form=form)
    return render(request, "scheduling/appointment_page.html", context, status=status)


@requires(Cap.SCHEDULE_WRITE)
@require_http_methods(["GET", "POST"])
def appointment_cancel_view(request: StaffRequest, public_id) -> HttpResponse:
    """GET: the cancel screen (says whether it is a late cancel, who on the waitlist could take the
    slot); POST: cancel, then the freed-slot screen."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    form = CancelForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                booking.appointment_cancel(
                    actor=request.user, appointment=appointment, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                form.add_error(None if "status" in getattr(exc, "error_dict", {}) else "reason", exc.messages)
                status = _refusal_status(exc)
            else:
                messages.success(request, "Appointment cancelled. The slot is free again.")
                return redirect("scheduling:slot_freed", public_id=appointment.public_id)
    waiting = 0
    if appointment.status == AppointmentStatus.SCHEDULED:
        # Only a count here (no names): the list itself is shown, and audited, after the cancel.
        waiting = len(
            waitlist.waitlist_matches(
                provider=appointment.provider,
                location=appointment.location,
                appointment_type=appointment.appointment_type,
                starts_at=appointment.starts_at,
                exclude_patient=appointment.patient,
            )
        )
    context = _appointment_context(request, appointment, form=form, waiting=waiting)
    return render(request, "scheduling/appointment_cancel.html", context, status=status)
