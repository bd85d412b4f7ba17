"""The flow board, check-in, and the one-click flow buttons. Thin: parse, call flow.py, render.

The board page holds a fragment that reloads itself every few seconds (htmx `every 5s`); the
buttons post with htmx and get the refreshed fragment back, so nothing reloads the whole page.
Without JavaScript every button is an ordinary form that posts and comes back to the board.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient
from clinicdesk.patients.coverage import coverages_active
from clinicdesk.patients.display import OPENED

from . import flow
from . import flow_board as boards
from . import selectors_calendar as cal
from .access import access_appointment
from .calendar_access import access_flow_board_page
from .models import AppointmentStatus, ConfirmationMethod, ConfirmationStatus, Location


def chosen_location(request: HttpRequest) -> Location | None:
    """The location in ?location=, else the first active one (None when the practice has none)."""
    wanted = request.GET.get("location") or request.POST.get("location")
    location = cal.location_for(public_id=wanted) if wanted else None
    return location or cal.active_locations().first()


def chosen_show(request: HttpRequest) -> str:
    """The board's ?show= filter (a key of FLOW_SHOWS, kept through the buttons' posts), else ""."""
    wanted = request.GET.get("show") or request.POST.get("show") or ""
    return wanted if wanted in boards.FLOW_SHOWS else ""


def _board_context(request: StaffRequest, location: Location | None, *, seen: Any, always: bool = False) -> dict:
    board = None
    can_write = role_can(request.user.role, Cap.SCHEDULE_WRITE)
    rows = done_rows = ""
    show = chosen_show(request)
    if location is not None:
        board = access_flow_board_page(
            actor=request.user, location=location, now=clock.now(), seen=seen, always=always, show=show
        )
        csrf = csrf_input(request)
        rows = board_rows_html(board, can_write=can_write, csrf=csrf, show=show)
        done_rows = board_rows_html(board, can_write=can_write, csrf=csrf, show=show, done=True)
    return {
        "board": board,
        "board_rows": rows,
        "done_rows": done_rows,
        "show": show,
        "show_label": boards.FLOW_SHOWS.get(show, ""),
        "location": location,
        "locations": cal.active_locations(),
        "can_write": can_write,
        "refresh_seconds": cal.flow_refresh_seconds(),
        "Status": AppointmentStatus,
    }


def board_rows_html(
    board: boards.FlowBoardPage, *, can_write: bool, csrf: str, show: str = "", done: bool = False
) -> SafeString:
    """The board's table rows: `board.lines`, or with `done` the finished visits (`board.done`). Built here rather than in the template: the fragment is rendered
    every few seconds for up to a few hundred rows, and per-row template tags ({% url %},
    {% csrf_token %}, filters) cost more than the rest of the request. Every value is escaped.

    Rooming is one small form per patient waiting to be roomed: a labelled list of the free rooms
    and a *Room* button. The list keeps the choice across the automatic refreshes (hx-preserve);
    its id names the free rooms, so when they change the refreshed list replaces it.

    The buttons of a row sit in one wrapping group (`flow-actions`), so at tablet width they wrap
    together with a gap instead of running into the table's edge. While the latest step can be
    undone the group ends with *Undo <step>* and a short list of reasons.
    """
    links = cal.RowLinks()
    location = escape(str(board.location.public_id))
    hidden_location = f'<input type="hidden" name="location" value="{location}">'
    if show:  # the refreshed board a button answers with keeps the filter
        hidden_location += f'<input type="hidden" name="show" value="{escape(show)}">'
    room_options = "".join(f'<option value="{escape(pk)}">{escape(name)}</option>' for pk, name in board.rooms)
    rooms_key = hashlib.sha256(room_options.encode()).hexdigest()[:8]
    reasons = "".join(f'<option value="{escape(why)}">{escape(short)}</option>' for short, why in UNDO_REASONS)
    out: list[str] = []
    for line in board.done if done else board.lines:
        pid = line.public_id
        label = escape(line.label)
        late = f'<br><span class="small muted">{line.late_minutes} min late</span>' if line.late_minutes else ""
        in_state = ""  # only while the patient is in the building: a finished visit is in no state
        if line.minutes_in_state is not None and line.status in boards.LIVE_STATUSES:
            since = (
                f' <span class="muted small flow-since"><span class="flow-since-word">since </span>{line.since_label}</span>'
                if line.since_label
                else ""
            )
            in_state = f"{line.minutes_in_state} min{since}"
        wait = ""
        if line.wait_minutes is not None:
            level = f'<span class="visually-hidden"> ({line.level})</span>' if line.level != "ok" else ""
            wait = f"{line.wait_minutes} min{level}"
        elif line.total_wait_minutes is not None:
            wait = f'<span class="muted small">waited {line.total_wait_minutes} min</span>'
        out.append(
            f'<tr id="flow-{pid}" class="flow-row flow-{line.status}">'
            f'<td class="nowrap">{line.time_label}{late}</td>'
            f'<td><a href="{links.appointment.format(pid)}">{label}</a></td>'
            f"<td>{escape(line.provider)}</td>"
            f'<td><svg class="swatch-inline" viewBox="0 0 1 1" aria-hidden="true" focusable="false">'
            f'<rect width="1" height="1" fill="{escape(line.color)}"/></svg>{escape(line.type_name)}</td>'
            f"<td>{escape(line.status_label)}</td>"
            f'<td class="nowrap">{in_state}</td>'
            f'<td class="wait wait-{line.level}">{wait}</td>'
            f"<td>{escape(line.room)}</td>"
        )
        if can_write:
            out.append('<td><div class="flow-actions">')
            move = links.move.format(pid)
            htmx = f'hx-post="{move}" hx-target="#flow-board" hx-swap="outerHTML"'
            for index, (to, action) in enumerate(line.actions):
                if to == AppointmentStatus.ARRIVED:
                    out.append(f'<a class="button small" href="{links.check_in.format(pid)}">Check in</a>')
                elif to == AppointmentStatus.ROOMED:
                    if not room_options:
                        out.append('<span class="small muted">No free room</span>')
                        continue
                    field = f"room-{pid}-{rooms_key}"
                    out.append(
                        f'<form method="post" action="{move}" {htmx}>{csrf}'
                        f'<input type="hidden" name="to" value="roomed">{hidden_location}'
                        f'<label class="visually-hidden" for="{field}">Free room for {label}</label>'
                        f'<select id="{field}" name="room" hx-preserve="true">{room_options}</select>'
                        f'<button type="submit" class="small{" primary" if index == 0 else ""}">Room</button></form>'
                    )
                else:
                    out.append(
                        f'<form method="post" action="{move}" {htmx}>{csrf}'
                        f'<input type="hidden" name="to" value="{to}">{hidden_location}'
                        f'<button type="submit" class="small{" primary" if index == 0 else ""}">{escape(action)}</button>'
                        "</form>"
                    )
            if line.can_no_show:
                no_show = links.no_show.format(pid)
                out.append(
                    f'<form method="post" action="{no_show}" hx-post="{no_show}" hx-target="#flow-board" '
                    f'hx-swap="outerHTML">{csrf}{hidden_location}<button type="submit" class="small">No-show</button></form>'
                )
            if line.undo:
                undo = links.undo.format(pid)
                field = f"undo-{pid}"
                out.append(
                    f'<form method="post" action="{undo}" hx-post="{undo}" hx-target="#flow-board" hx-swap="outerHTML">'
                    f'{csrf}{hidden_location}<label class="visually-hidden" for="{field}">Why undo, for {label}</label>'
                    f'<select id="{field}" name="reason" hx-preserve="true">{reasons}</select>'
                    f'<button type="submit" class="small">{escape(line.undo)}</button></form>'
                )
            out.append("</div></td>")
        out.append("</tr>\n")
    return mark_safe("".join(out))  # noqa: S308  # every interpolated value above is escaped or ours


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
    label = cal.patient_label(appointment.patient, lens=OPENED)
    done = f"{label}: {AppointmentStatus(result.appointment.status).label.lower()}."
    return _after_change(request, appointment.location, ok=done if result.changed else None, error=None)


# The reasons offered beside the board's Undo button, as (shown, recorded); short enough for the
# list to fit a tablet's board. The appointment page takes free text.
UNDO_REASONS = (("Mis-click", "Clicked by mistake"), ("Wrong patient", "Wrong patient"))


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def flow_undo(request: StaffRequest, public_id) -> HttpResponse:
    """Take back the latest flow step (board or appointment page), with the reason given."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    try:
        result = flow.flow_undo(actor=request.user, appointment=appointment, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        return _after_change(request, appointment.location, ok=None, error=_refused(exc))
    label = cal.patient_label(appointment.patient, lens=OPENED)
    back = AppointmentStatus(result.appointment.status).label.lower()
    return _after_change(request, appointment.location, ok=f"{label}: step undone, back to {back}.", error=None)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def flow_no_show(request: StaffRequest, public_id) -> HttpResponse:
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    try:
        result = flow.no_show_mark(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        return _after_change(request, appointment.location, ok=None, error=_refused(exc))
    label = cal.patient_label(appointment.patient, lens=OPENED)
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
    now = clock.now()
    changes = list(appointment.changes.select_related("by"))
    undone = [c.at for c in changes if c.what == flow.UNDO_WHAT]
    row = boards.flow_row(appointment, now=now, zone=zone, lens=OPENED, undone_at=max(undone, default=None))
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
        "changes": changes,
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
