"""The flow board, check-in, and the one-click flow buttons. Thin: parse, call flow.py, render.

The board page holds a fragment that reloads itself every few seconds (htmx `every 5s`); the
buttons post with htmx and get the refreshed fragment back, so nothing reloads the whole page.
Without JavaScript every button is an ordinary form that posts and comes back to the board.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from clinicdesk.accounts.models import User
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.coverage import coverages_active

from . import flow
from . import selectors_calendar as cal
from .calendar_access import access_appointment, access_flow_board
from .models import AppointmentStatus, ConfirmationMethod, ConfirmationStatus, Location


class StaffRequest(HttpRequest):
    user: User  # type: ignore[assignment]  # narrowed by the guard


def chosen_location(request: HttpRequest) -> Location | None:
    """The location in ?location=, else the first active one (None when the practice has none)."""
    wanted = request.GET.get("location") or request.POST.get("location")
    location = cal.location_for(public_id=wanted) if wanted else None
    return location or cal.active_locations().first()


def _board_context(request: StaffRequest, location: Location | None, *, seen: Any, always: bool = False) -> dict:
    board = None
    if location is not None:
        board = access_flow_board(actor=request.user, location=location, now=timezone.now(), seen=seen, always=always)
    return {
        "board": board,
        "location": location,
        "locations": cal.active_locations(),
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "refresh_seconds": cal.flow_refresh_seconds(),
        "Status": AppointmentStatus,
    }


@requires(Cap.SCHEDULE_READ)
@require_GET
def flow_board_page(request: StaffRequest) -> HttpResponse:
    # The page itself is always audited; the session remembers what it showed so the refreshes
    # that follow write an event only when the patients on the board change.
    context = _board_context(request, chosen_location(request), seen=request.session, always=True)
    return render(request, "scheduling/flow_board.html", context)


@requires(Cap.SCHEDULE_READ)
@require_GET
def flow_board_fragment(request: StaffRequest) -> HttpResponse:
    context = _board_context(request, chosen_location(request), seen=request.session)
    if context["board"] is None:
        return render(request, "scheduling/flow_board.html", context)  # no location: the page says so
    return render(request, "scheduling/flow_board.html#board", context)


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _board_url(location: Location) -> str:
    return f"{reverse('scheduling_flow:board')}?location={location.public_id}"


def _refused(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


def _after_change(request: StaffRequest, location: Location, *, ok: str | None, error: str | None) -> HttpResponse:
    """htmx: the refreshed board fragment with the message on it. Otherwise: back where it came from."""
    if getattr(request, "htmx", False):
        context = _board_context(request, location, seen=request.session)
        context["flash"] = error or ok
        context["flash_error"] = bool(error)
        # 200 even when refused: htmx swaps only successful responses, and the refusal is shown in the fragment.
        return render(request, "scheduling/flow_board.html#board", context)
    if error:
        messages.error(request, error)
    elif ok:
        messages.success(request, ok)
    return redirect(_back(request, _board_url(location)))


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def flow_move(request: StaffRequest, public_id) -> HttpResponse:
    """One click on the board: move the patient to `to` (with `room` when rooming)."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    to = request.POST.get("to", "")
    room = cal.room_for(public_id=request.POST.get("room", ""))
    if to == AppointmentStatus.ARRIVED and not getattr(request, "htmx", False):
        return redirect("scheduling_flow:check_in", public_id=appointment.public_id)
    try:
        result = flow.flow_transition(
            actor=request.user, appointment=appointment, to=to, room=room, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        return _after_change(request, appointment.location, ok=None, error=_refused(exc))
    label = cal.patient_label(appointment.patient, show_names=True)
    done = f"{label}: {AppointmentStatus(result.appointment.status).label.lower()}."
    return _after_change(request, appointment.location, ok=done if result.changed else None, error=None)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def flow_no_show(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    try:
        result = flow.no_show_mark(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        return _after_change(request, appointment.location, ok=None, error=_refused(exc))
    label = cal.patient_label(appointment.patient, show_names=True)
    return _after_change(
        request, appointment.location, ok=f"{label}: marked a no-show." if result.changed else None, error=None
    )


@requires(Cap.SCHEDULE_WRITE)
def flow_check_in(request: StaffRequest, public_id) -> HttpResponse:
    """Check-in: confirm who the patient is and their insurance, see the copay, then check in."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    patient = access_patient(actor=request.user, mrn=appointment.patient.mrn, purpose="check-in")
    error = None
    if request.method == "POST":
        try:
            flow.flow_transition(
                actor=request.user,
                appointment=appointment,
                to=AppointmentStatus.ARRIVED,
                demographics_verified=request.POST.get("demographics_verified") == "on",
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            error = _refused(exc)
        else:
            messages.success(request, f"{patient.display_name} is checked in.")
            return redirect(_back(request, _board_url(appointment.location)))
    context = {
        "appointment": appointment,
        "patient": patient,
        "phones": list(patient.phones.all()),
        "coverages": list(coverages_active(patient=patient)),
        "starts": appointment.starts_at.astimezone(cal.zone_of(appointment.location)),
        "zone": cal.zone_of(appointment.location),
        "error": error,
        "problem": flow.transition_problem(appointment, AppointmentStatus.ARRIVED)
        if appointment.status != AppointmentStatus.ARRIVED
        else "The patient is already checked in.",
        "next": _back(request, _board_url(appointment.location)),
    }
    return render(request, "scheduling/flow_check_in.html", context, status=409 if error else 200)


@requires(Cap.SCHEDULE_READ)
@require_GET
def appointment_flow(request: StaffRequest, public_id) -> HttpResponse:
    """One appointment's place in the flow, its timestamps, confirmation and history."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_READ)
    patient = access_patient(actor=request.user, mrn=appointment.patient.mrn, purpose="appointment")
    zone = cal.zone_of(appointment.location)
    now = timezone.now()
    row = cal.flow_row(appointment, now=now, zone=zone, show_names=True)
    context = {
        "appointment": appointment,
        "patient": patient,
        "row": row,
        "zone": zone,
        "stamps": [
            (label, getattr(appointment, name).astimezone(zone) if getattr(appointment, name) else None)
            for label, name in (
                ("Arrived", "arrived_at"),
                ("Roomed", "roomed_at"),
                ("With provider", "with_provider_at"),
                ("Checked out", "checked_out_at"),
                ("Completed", "completed_at"),
                ("No-show", "no_show_at"),
            )
        ],
        "changes": list(appointment.changes.select_related("by")),
        "rooms": cal.rooms_at(location=appointment.location),
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "confirmation_choices": ConfirmationStatus.choices,
        "method_choices": ConfirmationMethod.choices,
        "board_url": _board_url(appointment.location),
    }
    return render(request, "scheduling/flow_appointment.html", context)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def confirmation_change(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    here = reverse("scheduling_flow:appointment", kwargs={"public_id": appointment.public_id})
    try:
        result = flow.confirmation_set(
            actor=request.user,
            appointment=appointment,
            status=request.POST.get("status", ""),
            method=request.POST.get("method", ""),
        )
    except ValidationError as exc:
        messages.error(request, _refused(exc))
    else:
        if result.changed:
            messages.success(request, f"Confirmation: {ConfirmationStatus(result.appointment.confirmation).label}.")
    return redirect(_back(request, here))
