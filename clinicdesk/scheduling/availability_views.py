"""Availability pages (office manager) and the slot search page (front desk). Thin, over availability.py and slots.py.

Everyone who reads the schedule may see a provider's availability (SCHEDULE_READ); only the
office manager changes it (SCHEDULE_SETUP). Slot search is for whoever books (SCHEDULE_WRITE).
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.guards import requires
from clinicdesk.patients.search.pick import access_patient_pick, pick_urls

from . import availability, selectors, slots
from .availability_forms import ExceptionForm, HolidayForm, SlotSearchForm, TemplateVersionForm


def _today(provider=None) -> date:
    location = provider.locations.first() if provider is not None else None
    zone = ZoneInfo(location.time_zone) if location else timezone.get_current_timezone()
    return clock.now().astimezone(zone).date()


@requires(Cap.SCHEDULE_READ)
@require_GET
def availability_index(request: StaffRequest) -> HttpResponse:
    context = {"providers": selectors.provider_list(), "can_setup": role_can(request.user.role, Cap.SCHEDULE_SETUP)}
    return render(request, "scheduling/availability_index.html", context)


def _page(request: StaffRequest, provider, *, exception_form=None, status: int = 200) -> HttpResponse:
    today = _today(provider)
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, today.year - 1), today.year + 5)
    locations = list(provider.locations.all())
    context = {
        "provider": provider,
        "today": today,
        "year": year,
        "versions": availability.template_versions(provider=provider, since=today),
        "exceptions": availability.exceptions_for(provider=provider, since=clock.now()),
        "holidays": [(loc, availability.holiday_rows(location=loc, year=year)) for loc in locations],
        "exception_form": exception_form or ExceptionForm(provider=provider),
        "can_setup": role_can(request.user.role, Cap.SCHEDULE_SETUP),
    }
    return render(request, "scheduling/availability_provider.html", context, status=status)


@requires(Cap.SCHEDULE_READ)
@require_GET
def provider_availability(request: StaffRequest, public_id) -> HttpResponse:
    return _page(request, selectors.provider_get(public_id=public_id))


@requires(Cap.SCHEDULE_SETUP)
def template_new(request: StaffRequest, public_id) -> HttpResponse:
    provider = selectors.provider_get(public_id=public_id)
    initial = {"valid_from": _today(provider) + timedelta(days=1)}
    copy = request.GET.get("copy")
    if copy:
        source = availability.template_get(public_id=copy)
        if source.provider_id != provider.pk:
            raise Http404
        initial.update(TemplateVersionForm.initial_from(source))
    form = TemplateVersionForm(request.POST or None, provider=provider, initial=initial)
    if request.method == "POST" and form.is_valid():
        rows = form.blocks()
        try:
            availability.template_version_create(
                actor=request.user,
                provider=provider,
                location=form.cleaned_data["location"],
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data.get("valid_until"),
                blocks=[block for _, block in rows],
            )
        except ValidationError as exc:
            form.apply_errors(exc, [i for i, _ in rows])
        else:
            messages.success(
                request, f"New hours for {provider} from {date_text(form.cleaned_data['valid_from'])} saved."
            )
            return redirect("scheduling_setup:availability", public_id=provider.public_id)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "scheduling/availability_template_form.html", {"form": form, "provider": provider}, status=status
    )


@requires(Cap.SCHEDULE_SETUP)
@require_POST
def template_delete(request: StaffRequest, public_id) -> HttpResponse:
    template = availability.template_get(public_id=public_id)
    provider = template.provider
    try:
        availability.template_version_delete(actor=request.user, template=template, today=_today(provider))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The version was deleted.")
    return redirect("scheduling_setup:availability", public_id=provider.public_id)


@requires(Cap.SCHEDULE_SETUP)
@require_POST
def exception_new(request: StaffRequest, public_id) -> HttpResponse:
    provider = selectors.provider_get(public_id=public_id)
    form = ExceptionForm(request.POST, provider=provider)
    if form.is_valid():
        try:
            availability.exception_add(actor=request.user, **form.to_kwargs())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Added: {form.cleaned_data['reason']}.")
            return redirect("scheduling_setup:availability", public_id=provider.public_id)
    return _page(request, provider, exception_form=form, status=422)


@requires(Cap.SCHEDULE_SETUP)
@require_POST
def exception_delete(request: StaffRequest, public_id) -> HttpResponse:
    exception = availability.exception_get(public_id=public_id)
    provider_id = request.POST.get("provider", "")
    availability.exception_remove(actor=request.user, exception=exception)
    messages.success(request, f"Removed: {exception.reason}.")
    if exception.provider is not None:
        return redirect("scheduling_setup:availability", public_id=exception.provider.public_id)
    provider = selectors.provider_get(public_id=provider_id) if provider_id else None
    if provider is not None:
        return redirect("scheduling_setup:availability", public_id=provider.public_id)
    return redirect("scheduling_setup:availability_index")


@requires(Cap.SCHEDULE_SETUP)
@require_POST
def holiday_toggle(request: StaffRequest, public_id) -> HttpResponse:
    """Open a holiday anyway (`open=1`) or close it again, for one location; back to the provider's page."""
    provider = selectors.provider_get(public_id=public_id)
    form = HolidayForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a location and a holiday.")
    else:
        location, day = form.cleaned_data["location"], form.cleaned_data["day"]
        try:
            if request.POST.get("open") == "1":
                availability.holiday_override_add(
                    actor=request.user, location=location, day=day, note=form.cleaned_data.get("note", "")
                )
                messages.success(request, f"{location.name} is open on {availability.day_text(day)}.")
            else:
                availability.holiday_override_remove(actor=request.user, location=location, day=day)
                messages.success(request, f"{location.name} is closed on {availability.day_text(day)} again.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    url = reverse("scheduling_setup:availability", kwargs={"public_id": provider.public_id})
    return redirect(f"{url}?year={request.POST.get('year', '')}#holidays" if request.POST.get("year") else url)


# --- Slot search -----------------------------------------------------------------------------


def _book_url(slot: slots.Slot, kind, patient) -> str:
    query = {
        "type": str(kind.public_id),
        "provider": str(slot.provider.public_id),
        "location": str(slot.location.public_id),
        "room": str(slot.room.public_id) if slot.room else "",
        "start": slot.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "patient": patient.mrn if patient else "",
    }
    try:
        base = reverse("scheduling:book")
    except NoReverseMatch:
        base = "/scheduling/book/"  # the booking page is built beside this one
    return f"{base}?{urlencode(query)}"


@requires(Cap.SCHEDULE_WRITE)
@require_GET
def slot_search_view(request: StaffRequest) -> HttpResponse:
    searched = "appointment_type" in request.GET
    initial = SlotSearchForm.defaults(_today()) | {"patient": request.GET.get("patient", "")}
    form = SlotSearchForm(request.GET if searched else None, initial=initial)
    result, rows, status, picks = None, [], 200, []
    patient = None
    if searched and form.is_valid():
        data = form.cleaned_data
        # The patient box takes a name, date of birth, phone or MRN: one match is the patient,
        # several are offered beside the field to choose from.
        pick = access_patient_pick(actor=request.user, text=data.get("patient", ""), purpose="slot search")
        patient = pick.patient
        if pick.problem:
            form.add_error("patient", pick.problem)
            picks = pick_urls(pick.hits, to=request.path, name="patient", keep=request.GET)
    if searched and form.is_valid():
        data = form.cleaned_data
        try:
            result = slots.slot_search(
                appointment_type=data["appointment_type"],
                providers=list(data["providers"]) or None,
                locations=list(data["locations"]) or None,
                start_date=data["start_date"],
                end_date=data["end_date"],
                patient=patient,
                limit=data["limit"],
                grid_minutes=data["grid_minutes"],
            )
        except ValidationError as exc:
            from clinicdesk.core.forms import apply_service_errors

            apply_service_errors(form, exc)
        else:
            rows = [
                (day.day, [(slot, _book_url(slot, data["appointment_type"], patient)) for slot in day.slots])
                for day in result.days
            ]
    if searched and form.errors:
        status = 422
    context = {"form": form, "result": result, "rows": rows, "searched": searched, "picks": picks, "chosen": patient}
    return render(request, "scheduling/slot_search.html", context, status=status)
