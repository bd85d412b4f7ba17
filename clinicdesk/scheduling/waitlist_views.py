"""Waitlist pages: the list, adding and closing entries, and the freed-slot screen with its offers.

Thin: each POST calls one service in waitlist.py. Entries, offers and appointments are loaded
through the access functions only, which check the capability and audit the read.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.errors import Conflict
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.core.text import sentence
from clinicdesk.patients.search.pick import access_patient_pick, pick_urls

from . import selectors_calendar as cal
from . import waitlist
from .access import access_appointment
from .booking_forms import WEEKDAY_SHORT, WaitlistForm
from .flow_views import chosen_location
from .models import Appointment, AppointmentStatus, OfferStatus

FREED_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


def days_text(entry) -> str:
    """ "Mon, Wed" or "Any day"."""
    return ", ".join(WEEKDAY_SHORT[d] for d in entry.weekdays if d in WEEKDAY_SHORT) or "Any day"


@requires(Cap.SCHEDULE_READ)
@require_http_methods(["GET"])
def waitlist_page(request: StaffRequest) -> HttpResponse:
    """The waiting patients, and the freed slots at the chosen location (?location=) that one fits."""
    entries = waitlist.access_waitlist(actor=request.user)
    location = chosen_location(request)
    freed = waitlist.freed_slots_with_matches(location=location, now=clock.now()) if location is not None else []
    context = {
        "rows": [(entry, days_text(entry)) for entry in entries],
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "location": location,
        "locations": cal.active_locations(),
        "freed": [(slot, cal.zone_of(location)) for slot in freed] if location is not None else [],
        "freed_days": waitlist.FREED_SLOT_DAYS,
    }
    return render(request, "scheduling/waitlist_page.html", context)


@requires(Cap.SCHEDULE_WRITE)
@require_http_methods(["GET", "POST"])
def waitlist_new(request: StaffRequest) -> HttpResponse:
    """GET (optionally ?patient=MRN&appointment=<id>&type=<id>): the form; POST: add the entry."""
    source = request.POST if request.method == "POST" else request.GET
    # The patient box takes a name, date of birth, phone or MRN; several matches are offered.
    pick = access_patient_pick(
        actor=request.user,
        text=source.get("patient", ""),
        purpose="waitlist",
        hint="Check the digits, or type the name.",
    )
    patient, problem = pick.patient, pick.problem
    picks = pick_urls(pick.hits, to=request.path, name="patient", keep=source) if pick.hits else []
    upcoming = waitlist.upcoming_appointments(patient=patient) if patient is not None else []
    if request.method == "POST":
        form = WaitlistForm(request.POST, upcoming=upcoming)
        status = 422
        if problem:
            form.add_error("patient", problem)
        if form.is_valid() and patient is not None:
            data = form.cleaned_data
            try:
                entry = waitlist.waitlist_add(
                    actor=request.user,
                    data=waitlist.WaitlistInput(
                        patient=patient,
                        appointment_type=data["appointment_type"],
                        wait_until=data["wait_until"],
                        providers=list(data.get("providers") or []),
                        location=data.get("location"),
                        weekdays=form.weekday_values(),
                        earliest_time=data.get("earliest_time"),
                        latest_time=data.get("latest_time"),
                        current_appointment=data.get("current_appointment"),
                        note=data.get("note", ""),
                    ),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"{patient.display_name} is on the waitlist for {entry.appointment_type}.")
                return redirect("scheduling:waitlist")
    else:
        status = 200
        initial: dict[str, object] = {"patient": source.get("patient", ""), "appointment_type": source.get("type", "")}
        chosen = [a for a in upcoming if str(a.public_id) == source.get("appointment", "")]
        if chosen:
            initial["current_appointment"] = chosen[0].public_id
        form = WaitlistForm(initial=initial, upcoming=upcoming)
    context = {
        "form": form,
        "patient": patient,
        "patient_problem": problem if request.method == "GET" else "",
        "picks": picks,
    }
    return render(request, "scheduling/waitlist_form.html", context, status=status)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def waitlist_close_view(request: StaffRequest, public_id) -> HttpResponse:
    entry = waitlist.access_waitlist_entry(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    try:
        waitlist.waitlist_close(actor=request.user, entry=entry, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{entry.patient.display_name} is off the waitlist.")
    return redirect("scheduling:waitlist")


# --- The freed slot ----------------------------------------------------------------------------


def _freed_context(request: StaffRequest, appointment: Appointment, **extra) -> dict:
    freed = appointment.status in FREED_STATUSES
    matches = waitlist.access_waitlist_matches(actor=request.user, appointment=appointment) if freed else []
    offers = waitlist.access_slot_offers(
        actor=request.user, provider=appointment.provider, starts_at=appointment.starts_at
    )
    offered = {o.entry_id for o in offers if o.status == OfferStatus.OFFERED}
    return {
        "appointment": appointment,
        "tz": appointment.location.time_zone,
        "freed": freed,
        "rows": [(entry, days_text(entry), entry.pk in offered) for entry in matches],
        "offers": offers,
        **extra,
    }


@requires(Cap.SCHEDULE_WRITE)
@require_http_methods(["GET"])
def slot_freed(request: StaffRequest, public_id) -> HttpResponse:
    """Who on the waitlist could take the slot this (cancelled) appointment held, longest wait first."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    return render(request, "scheduling/waitlist_freed.html", _freed_context(request, appointment))


def _refused(request: StaffRequest, appointment: Appointment, exc: ValidationError) -> HttpResponse:
    context = _freed_context(request, appointment, refusal=" ".join(exc.messages))
    status = 409 if isinstance(exc, Conflict) else 422
    return render(request, "scheduling/waitlist_freed.html", context, status=status)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def slot_offer(request: StaffRequest, public_id) -> HttpResponse:
    """One click: offer the freed slot to a waiting patient; with `book`, they accepted on the phone."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.SCHEDULE_WRITE)
    if not request.POST.get("entry"):
        return _refused(request, appointment, ValidationError({"entry": ["Choose who on the waitlist gets the slot."]}))
    entry = waitlist.access_waitlist_entry(actor=request.user, public_id=request.POST.get("entry"),
                                           need=Cap.SCHEDULE_WRITE)  # fmt: skip
    if appointment.status not in FREED_STATUSES:
        return _refused(
            request, appointment, Conflict({"slot": ["This appointment still holds its time; cancel it first."]})
        )
    provider, location, starts_at = appointment.provider, appointment.location, appointment.starts_at
    try:
        if request.POST.get("book"):
            booked = waitlist.waitlist_book_now(
                actor=request.user,
                entry=entry,
                provider=provider,
                location=location,
                starts_at=starts_at,
                prefer_room=appointment.room,
            )
        else:
            waitlist.offer_slot(
                actor=request.user, entry=entry, provider=provider, location=location, starts_at=starts_at
            )
    except ValidationError as exc:
        return _refused(request, appointment, exc)
    if request.POST.get("book"):
        messages.success(request, f"Booked {entry.patient.display_name} into the freed slot.")
        return redirect("scheduling:appointment", public_id=booked.public_id)
    messages.success(request, sentence(f"Offered to {entry.patient.display_name}") + " Record the answer below.")
    return redirect("scheduling:slot_freed", public_id=appointment.public_id)


def _freed_from_post(request: StaffRequest) -> Appointment | None:
    try:
        return access_appointment(actor=request.user, public_id=request.POST.get("freed"), need=Cap.SCHEDULE_WRITE)
    except Http404:
        return None


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def offer_accept_view(request: StaffRequest, public_id) -> HttpResponse:
    offer = waitlist.access_waitlist_offer(actor=request.user, public_id=public_id)
    freed = _freed_from_post(request)
    try:
        booked = waitlist.offer_accept(actor=request.user, offer=offer, prefer_room=freed.room if freed else None)
    except ValidationError as exc:
        if freed is not None:
            return _refused(request, freed, exc)
        messages.error(request, " ".join(exc.messages))
        return redirect("scheduling:waitlist")
    messages.success(request, f"Booked {offer.entry.patient.display_name} into the offered slot.")
    return redirect("scheduling:appointment", public_id=booked.public_id)


@requires(Cap.SCHEDULE_WRITE)
@require_POST
def offer_decline_view(request: StaffRequest, public_id) -> HttpResponse:
    offer = waitlist.access_waitlist_offer(actor=request.user, public_id=public_id)
    freed = _freed_from_post(request)
    try:
        waitlist.offer_decline(actor=request.user, offer=offer)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{offer.entry.patient.display_name} declined; they stay on the waitlist.")
    if freed is not None:
        return redirect("scheduling:slot_freed", public_id=freed.public_id)
    return redirect("scheduling:waitlist")
