"""Practice setup pages. Thin: parse the form, call one service in setup.py or one selector, render.

Anyone who reads the schedule may read the setup lists (SCHEDULE_READ); only the office
manager changes them (SCHEDULE_SETUP), so the add and edit links show for that role alone.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires

from . import selectors, setup
from .forms import AppointmentTypeForm, LocationForm, ProviderForm, RoomForm


def _saved(request: StaffRequest, what: str, changed: list[str]) -> None:
    messages.success(request, f"{what}: saved {', '.join(changed)}." if changed else f"{what}: nothing changed.")


def _context(request: StaffRequest, **extra) -> dict:
    return {"can_setup": role_can(request.user.role, Cap.SCHEDULE_SETUP), **extra}


def _status(request: HttpRequest) -> int:
    return 422 if request.method == "POST" else 200


@requires(Cap.SCHEDULE_READ)
@require_GET
def setup_index(request: StaffRequest) -> HttpResponse:
    context = _context(
        request,
        locations=selectors.location_list().count(),
        providers=selectors.provider_list().count(),
        types=selectors.appointment_type_list().count(),
    )
    return render(request, "scheduling/setup_index.html", context)


# --- Locations and rooms ---------------------------------------------------------------------


@requires(Cap.SCHEDULE_READ)
@require_GET
def location_list_view(request: StaffRequest) -> HttpResponse:
    return render(request, "scheduling/location_list.html", _context(request, locations=selectors.location_list()))


@requires(Cap.SCHEDULE_READ)
@require_GET
def location_detail(request: StaffRequest, public_id) -> HttpResponse:
    location = selectors.location_get(public_id=public_id)
    context = _context(request, location=location, room_form=RoomForm())
    return render(request, "scheduling/location_detail.html", context)


@requires(Cap.SCHEDULE_SETUP)
def location_new(request: StaffRequest) -> HttpResponse:
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = setup.location_create(actor=request.user, data=form.to_input())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"{location.name} added. Now add its rooms.")
            return redirect("scheduling_setup:location", public_id=location.public_id)
    context = _context(request, form=form, title="Add a location")
    return render(request, "scheduling/location_form.html", context, status=_status(request))


@requires(Cap.SCHEDULE_SETUP)
def location_edit(request: StaffRequest, public_id) -> HttpResponse:
    location = selectors.location_get(public_id=public_id)
    form = LocationForm(request.POST or None, initial=LocationForm.initial_for(location))
    if request.method == "POST" and form.is_valid():
        try:
            changed = setup.location_update(actor=request.user, location=location, data=form.to_input())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            _saved(request, location.name, changed)
            return redirect("scheduling_setup:location", public_id=location.public_id)
    context = _context(request, form=form, location=location, title=f"Edit {location.name}")
    return render(request, "scheduling/location_form.html", context, status=_status(request))


@requires(Cap.SCHEDULE_SETUP)
@require_POST
def room_new(request: StaffRequest, public_id) -> HttpResponse:
    location = selectors.location_get(public_id=public_id)
    form = RoomForm(request.POST)
    if form.is_valid():
        try:
            room = setup.room_create(actor=request.user, location=location, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{room.name} added to {location.name}.")
            return redirect("scheduling_setup:location", public_id=location.public_id)
    context = _context(request, location=location, room_form=form)
    return render(request, "scheduling/location_detail.html", context, status=422)


@requires(Cap.SCHEDULE_SETUP)
def room_edit(request: StaffRequest, public_id) -> HttpResponse:
    room = selectors.room_get(public_id=public_id)
    form = RoomForm(request.POST or None, initial={"name": room.name, "active": room.active})
    if request.method == "POST" and form.is_valid():
        try:
            changed = setup.room_update(actor=request.user, room=room, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _saved(request, str(room), changed)
            return redirect("scheduling_setup:location", public_id=room.location.public_id)
    context = _context(request, form=form, room=room, title=f"Edit {room}")
    return render(request, "scheduling/room_form.html", context, status=_status(request))


# --- Providers -------------------------------------------------------------------------------


@requires(Cap.SCHEDULE_READ)
@require_GET
def provider_list_view(request: StaffRequest) -> HttpResponse:
    return render(request, "scheduling/provider_list.html", _context(request, providers=selectors.provider_list()))


@requires(Cap.SCHEDULE_SETUP)
def provider_new(request: StaffRequest) -> HttpResponse:
    form = ProviderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            provider = setup.provider_create(actor=request.user, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{provider} can now be booked.")
            return redirect("scheduling_setup:providers")
    context = _context(request, form=form, title="Add a provider")
    return render(request, "scheduling/provider_form.html", context, status=_status(request))


@requires(Cap.SCHEDULE_SETUP)
def provider_edit(request: StaffRequest, public_id) -> HttpResponse:
    provider = selectors.provider_get(public_id=public_id)
    form = ProviderForm(request.POST or None, initial=ProviderForm.initial_for(provider), provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            changed = setup.provider_update(actor=request.user, provider=provider, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _saved(request, str(provider), changed)
            return redirect("scheduling_setup:providers")
    context = _context(request, form=form, provider=provider, title=f"Edit {provider}")
    return render(request, "scheduling/provider_form.html", context, status=_status(request))


# --- Appointment types -----------------------------------------------------------------------


@requires(Cap.SCHEDULE_READ)
@require_GET
def appointment_type_list_view(request: StaffRequest) -> HttpResponse:
    context = _context(request, kinds=selectors.appointment_type_list())
    return render(request, "scheduling/appointment_type_list.html", context)


@requires(Cap.SCHEDULE_SETUP)
def appointment_type_new(request: StaffRequest) -> HttpResponse:
    form = AppointmentTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = setup.appointment_type_create(actor=request.user, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{kind.name} added.")
            return redirect("scheduling_setup:appointment_types")
    context = _context(request, form=form, title="Add an appointment type")
    return render(request, "scheduling/appointment_type_form.html", context, status=_status(request))


@requires(Cap.SCHEDULE_SETUP)
def appointment_type_edit(request: StaffRequest, public_id) -> HttpResponse:
    kind = selectors.appointment_type_get(public_id=public_id)
    form = AppointmentTypeForm(request.POST or None, initial=AppointmentTypeForm.initial_for(kind))
    form.keep_chosen(providers=list(kind.providers.all()), rooms=list(kind.rooms.all()))
    if request.method == "POST" and form.is_valid():
        try:
            changed = setup.appointment_type_update(actor=request.user, kind=kind, data=form.to_input())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            _saved(request, kind.name, changed)
            return redirect("scheduling_setup:appointment_types")
    context = _context(request, form=form, kind=kind, title=f"Edit {kind.name}")
    return render(request, "scheduling/appointment_type_form.html", context, status=_status(request))
