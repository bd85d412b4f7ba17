"""Pages of the encounter part: the clinician's Today list, the encounter page with its vitals,
and the note templates of the appointment types. Thin: parse, call a service or selector, render.

Errors in a form come back next to its fields: a plain POST answers 422 with the whole page; an
htmx POST answers the refreshed fragment with the messages in it (htmx swaps only successful
responses, the flow board's rule), so the typed values are never lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.patients.display import patient_lens
from clinicdesk.patients.search.pick import access_patient_pick, pick_urls
from clinicdesk.scheduling.access import access_appointment
from clinicdesk.scheduling.models import AppointmentType, Provider

from . import encounters, note_templates, selectors, vitals
from .access import access_encounter, access_today_visits, access_vitals, reads_clinical_detail
from .encounter_forms import InErrorForm, NoteTemplateForm, UnscheduledForm, VitalsForm
from .models import Encounter, Vitals
from .recall_views import follow_up_rows


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- Today -----------------------------------------------------------------------------------


def _chosen_provider(request: StaffRequest) -> Provider | None:
    """?provider=<public id>, else the signed-in person's own provider record (if any)."""
    wanted = request.GET.get("provider") or request.POST.get("provider")
    if wanted:
        try:
            return selectors.active_providers().filter(public_id=UUID(wanted)).first()
        except ValueError:
            return None
    return selectors.active_providers().filter(user=request.user).first()


def _today_context(
    request: StaffRequest, provider: Provider | None, form: UnscheduledForm | None = None, picks: list | None = None
) -> dict:
    lines = access_today_visits(actor=request.user, provider=provider) if provider is not None else []
    locations = provider.locations.filter(active=True) if provider is not None else None
    if form is None:
        # ?mrn= is a patient chosen in the patient box's list of matches.
        initial = {"date_of_service": clock.today(), "mrn": request.GET.get("mrn", "")}
        form = UnscheduledForm(locations=locations, initial=initial)
    today_url = reverse("clinical:today") + (f"?provider={provider.public_id}" if provider is not None else "")
    return {
        "provider": provider,
        "providers": selectors.active_providers(),
        "lines": lines,
        "lens": patient_lens(viewer=request.user),
        "form": form,
        "today": clock.today(),
        "today_url": today_url,
        "picks": picks or [],
    }


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_GET
def today(request: StaffRequest) -> HttpResponse:
    provider = _chosen_provider(request)
    return render(request, "clinical/today.html", _today_context(request, provider))


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def encounter_open_view(request: StaffRequest, public_id: UUID) -> HttpResponse:
    """One click on Today: open (or reopen) the appointment's encounter and go to it."""
    appointment = access_appointment(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    try:
        encounter = encounters.encounter_open(actor=request.user, appointment=appointment)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        back = reverse("clinical:today")
        return redirect(f"{back}?{urlencode({'provider': str(appointment.provider.public_id)})}")
    return redirect("clinical:encounter", public_id=encounter.public_id)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def encounter_new_unscheduled(request: StaffRequest) -> HttpResponse:
    provider = _chosen_provider(request)
    locations = provider.locations.filter(active=True) if provider is not None else None
    form = UnscheduledForm(request.POST, locations=locations)
    if provider is None:
        form.add_error(None, "Choose the provider first (the list at the top of the page).")
    picks: list = []
    if form.is_valid() and provider is not None:
        data = form.cleaned_data
        pick = access_patient_pick(
            actor=request.user,
            text=data["mrn"],
            need=Cap.CLINICAL_NOTE_WRITE,
            purpose="open encounter",
            hint="Check it on the patient's chart or wristband, or type the name.",
        )
        patient = pick.patient
        if patient is None:
            form.add_error("mrn", pick.problem)
            today = reverse("clinical:today") + f"?provider={provider.public_id}"
            picks = pick_urls(pick.hits, to=today, name="mrn", keep=QueryDict())
        else:
            try:
                encounter = encounters.encounter_open_unscheduled(
                    actor=request.user,
                    patient=patient,
                    provider=provider,
                    location=data["location"],
                    date_of_service=data["date_of_service"],
                    reason=data["reason"],
                    unscheduled_reason=data["unscheduled_reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("clinical:encounter", public_id=encounter.public_id)
    return render(request, "clinical/today.html", _today_context(request, provider, form, picks), status=422)


# --- The encounter page ----------------------------------------------------------------------


@dataclass
class VitalsRow:
    """One vitals entry as the table shows it, both units side by side."""

    entry: Vitals
    bp: str
    temperature: str
    height: str
    weight: str
    in_this_encounter: bool


def _dec(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def vitals_rows(entries: list[Vitals], encounter: Encounter) -> list[VitalsRow]:
    rows = []
    for entry in entries:
        rows.append(
            VitalsRow(
                entry=entry,
                bp=f"{entry.systolic}/{entry.diastolic}" if entry.systolic is not None else "",
                temperature=vitals.reading_text(entry, "temperature"),
                height=vitals.reading_text(entry, "height"),
                weight=vitals.reading_text(entry, "weight"),
                in_this_encounter=entry.encounter_id == encounter.pk,
            )
        )
    return rows


def _note_url(encounter: Encounter) -> str | None:
    """The note editor's address, once the notes part provides it (until then: no placeholder)."""
    try:
        return reverse("clinical:note", args=[encounter.public_id])
    except NoReverseMatch:
        return None


def _vitals_context(request: StaffRequest, encounter: Encounter, form: VitalsForm | None = None, **extra) -> dict:
    return {
        "enc": encounter,
        "vitals_form": form or VitalsForm(),
        "vitals_rows": vitals_rows(selectors.vitals_of(patient=encounter.patient), encounter),
        "can_write": role_can(request.user.role, Cap.CLINICAL_NOTE_WRITE),
        **extra,
    }


@requires(Cap.CLINICAL_ENCOUNTER_READ)
@require_GET
def encounter_page(request: StaffRequest, public_id: UUID) -> HttpResponse:
    encounter = access_encounter(actor=request.user, public_id=public_id)
    full = reads_clinical_detail(request.user)
    context = {"enc": encounter, "full": full, "age": encounter.patient.age_on(encounter.date_of_service)}
    if full:
        context |= _vitals_context(request, encounter) | {
            "note_url": _note_url(encounter),
            "follow_ups": follow_up_rows(request, encounter),
        }
    return render(request, "clinical/encounter_page.html", context)


def _vitals_answer(request: StaffRequest, encounter: Encounter, context: dict, *, ok: bool) -> HttpResponse:
    if _is_htmx(request):
        return render(request, "clinical/encounter_page.html#vitals_section", context)
    if ok:
        return redirect(f"{reverse('clinical:encounter', args=[encounter.public_id])}#vitals")
    page = {
        "full": True,
        "age": encounter.patient.age_on(encounter.date_of_service),
        "note_url": _note_url(encounter),
        "follow_ups": follow_up_rows(request, encounter),
    }
    return render(request, "clinical/encounter_page.html", context | page, status=422)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def vitals_record_view(request: StaffRequest, public_id: UUID) -> HttpResponse:
    encounter = access_encounter(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    form = VitalsForm(request.POST)
    recorded = None
    if form.is_valid():
        try:
            recorded = vitals.vitals_record(
                actor=request.user, patient=encounter.patient, encounter=encounter, data=form.to_input()
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
    if recorded is None:
        return _vitals_answer(request, encounter, _vitals_context(request, encounter, form), ok=False)
    note = "Vitals recorded." + (f" Flagged: {recorded.flags}." if recorded.flags else "")
    if not _is_htmx(request):
        messages.success(request, note)
    # A fresh form keeps the units just used, so the next patient's reading starts the same way.
    units = {name: form.cleaned_data[name] for name in ("temperature_unit", "height_unit", "weight_unit")}
    fresh = VitalsForm(initial=units)
    return _vitals_answer(request, encounter, _vitals_context(request, encounter, fresh, vitals_note=note), ok=True)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def vitals_in_error_view(request: StaffRequest, public_id: UUID, vitals_id: UUID) -> HttpResponse:
    encounter = access_encounter(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    entry = access_vitals(actor=request.user, public_id=vitals_id)
    if entry.patient_id != encounter.patient_id:
        raise Http404
    form = InErrorForm(request.POST)
    problem = ""
    if form.is_valid():
        try:
            vitals.vitals_mark_in_error(actor=request.user, vitals=entry, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            problem = " ".join(exc.messages)
    else:
        problem = "Say why this entry is in error (e.g. wrong patient, typo)."
    note = problem or "The entry is marked in error. Record the correct reading if it was taken."
    context = _vitals_context(request, encounter, vitals_note=note, vitals_problem=bool(problem))
    if _is_htmx(request):
        return render(request, "clinical/encounter_page.html#vitals_section", context)
    (messages.error if problem else messages.success)(request, note)
    return redirect(f"{reverse('clinical:encounter', args=[encounter.public_id])}#vitals")


CONVERTIBLE = {"temperature": "temperature_unit", "height": "height_unit", "weight": "weight_unit"}
OTHER_UNIT = {"F": "C", "C": "F", "in": "cm", "cm": "in", "lb": "kg", "kg": "lb"}


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_GET
def vitals_convert(request: StaffRequest) -> HttpResponse:
    """htmx: the reading being typed, in the other unit ("= 37.0 °C"), or nothing.

    Only numbers and units travel here (no patient), so it is not audited. What is stored is
    worked out again by the service when the form is sent.
    """
    for kind, unit_field in CONVERTIBLE.items():
        text, unit = request.GET.get(kind, "").strip(), request.GET.get(unit_field, "")
        if not text or unit not in OTHER_UNIT:
            continue
        try:
            typed = vitals.parse_reading(text)
        except ValueError:
            return HttpResponse("")
        if typed is None or typed < 0 or typed > 10_000:
            return HttpResponse("")
        other = OTHER_UNIT[unit]
        shown = vitals.to_display(kind, vitals.to_stored(kind, typed, unit), other)
        return HttpResponse(f"= {shown} {vitals.UNIT_LABEL[other]}")
    return HttpResponse("")


# --- Note templates --------------------------------------------------------------------------


@requires(Cap.CLINICAL_TEMPLATE_MANAGE)
@require_GET
def template_list(request: StaffRequest) -> HttpResponse:
    context = {
        "kinds": selectors.appointment_types_with_templates(),
        "default": note_templates.note_template_of(None),
    }
    return render(request, "clinical/template_list.html", context)


def _template_kind(type_id: UUID | None) -> AppointmentType | None:
    if type_id is None:
        return None
    kind = selectors.appointment_type_by_id(type_id)
    if kind is None:
        raise Http404
    return kind


@requires(Cap.CLINICAL_TEMPLATE_MANAGE)
@require_http_methods(["GET", "POST"])
def template_edit(request: StaffRequest, type_id: UUID | None = None) -> HttpResponse:
    kind = _template_kind(type_id)
    current = note_templates.note_template_of(kind)
    if request.method == "POST":
        form = NoteTemplateForm(request.POST)
        if form.is_valid():
            try:
                note_templates.note_template_save(actor=request.user, appointment_type=kind, values=form.cleaned_data)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"Note template for {kind.name if kind else 'any visit'} saved.")
                return redirect("clinical:templates")
    else:
        initial = {name: getattr(current, name) for name in note_templates.SECTIONS} if current else {}
        form = NoteTemplateForm(initial=initial)
    fallback = None if kind is None or current is not None else note_templates.note_template_of(None)
    context = {"form": form, "kind": kind, "current": current, "fallback": fallback}
    status = 422 if request.method == "POST" else 200
    return render(request, "clinical/template_edit.html", context, status=status)
