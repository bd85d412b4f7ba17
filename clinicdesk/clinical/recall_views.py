"""Recall pages: the front desk's worklist, one recall (contact, close, book), and the small
"add follow-up" form a clinician or nurse fills from a visit or a patient.

Thin: each POST calls one service in recalls.py; recalls, encounters and patients are opened
through the access functions only (capability, restricted records, audited read). Every form
works without JavaScript; the add-follow-up form also answers htmx with its fragment only, so
the note editor can place it in the page (`hx-get` of `clinical:recall_new`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.core.text import sentence
from clinicdesk.patients.access import access_patient

from . import recalls, selectors
from .access import access_encounter, access_recall, access_recall_worklist
from .models import Encounter, Recall
from .recall_forms import CloseForm, ContactForm, RecallForm, WorklistFilterForm


def book_url(recall: Recall) -> str:
    """The booking page prefilled for `recall`: patient, visit type, provider (and the visit's
    location), offering the open times around its due date."""
    query = {
        "patient": recall.patient.mrn,
        "type": str(recall.appointment_type.public_id),
        "due": recall.due_on.isoformat(),  # the booking page offers open times around it
    }
    if recall.provider is not None:
        query["provider"] = str(recall.provider.public_id)
    if recall.encounter is not None:
        query["location"] = str(recall.encounter.location.public_id)
    return reverse("scheduling:book") + "?" + urlencode(query)


@dataclass(frozen=True)
class FollowUpRow:
    """One follow-up of a visit as the encounter page lists it."""

    recall: Recall
    state: str
    label: str
    book_url: str  # "" when it is booked, closed, or the reader does not book
    appointment_url: str  # the booked appointment, when there is one


def follow_up_rows(request: StaffRequest, encounter: Encounter) -> list[FollowUpRow]:
    """The follow-ups added from `encounter` (opened through access_encounter), with what to do next."""
    today = clock.today()
    can_book = role_can(request.user.role, Cap.SCHEDULE_WRITE)
    rows = []
    for recall in selectors.encounter_recalls_unchecked(encounter=encounter):
        state, label, _late = recalls.recall_state(recall, today)
        bookable = can_book and state not in (recalls.View.SCHEDULED, recalls.View.CLOSED)
        appointment = recall.appointment
        rows.append(
            FollowUpRow(
                recall=recall,
                state=state,
                label=label,
                book_url=book_url(recall) if bookable else "",
                appointment_url=reverse("scheduling:appointment", args=[appointment.public_id]) if appointment else "",
            )
        )
    return rows


def _is_htmx(request: StaffRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request


def _back(request: StaffRequest) -> str:
    """Where to go after an action: the worklist page the person came from (same site only)."""
    target = request.POST.get("next", "") or request.GET.get("next", "")
    worklist = reverse("clinical:recalls")
    allowed = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False)
    return target if allowed and target.startswith(worklist) else worklist


# --- The worklist ----------------------------------------------------------------------------


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < len(text) < 6 else 1


def page_links(page: int, pages: int, *, around: int = 2) -> list[int | None]:
    """The page numbers to link: the first, the last and `around` either side of `page`; None
    where numbers are left out ("1 … 4 5 6 7 8 … 20")."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@requires(Cap.CLINICAL_RECALL_WORK)
@require_http_methods(["GET"])
def recall_worklist(request: StaffRequest) -> HttpResponse:
    """Recalls by due date, filtered; one audited read of the MRNs shown. Bad filters are named (422)."""
    form = WorklistFilterForm(request.GET)
    form.is_valid()
    valid = form.valid_values()
    filters = recalls.WorklistFilters(
        state=valid.get("state") or recalls.View.OPEN,
        location=valid.get("location"),
        provider=valid.get("provider"),
        appointment_type=valid.get("appointment_type"),
        due_from=valid.get("due_from"),
        due_to=valid.get("due_to"),
        created_by=request.user if valid.get("mine") else None,
        created_on=valid.get("created_on"),
    )
    worklist = access_recall_worklist(
        actor=request.user, filters=filters, page=_page_number(request.GET.get("page", ""))
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "worklist": worklist,
        "rows": [(row, book_url(row.recall)) for row in worklist.rows],
        "first_shown": (worklist.page - 1) * recalls.PAGE_SIZE + 1,
        "last_shown": (worklist.page - 1) * recalls.PAGE_SIZE + len(worklist.rows),
        "page_links": page_links(worklist.page, worklist.pages),
        "state": filters.state,
        "can_book": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "here": request.get_full_path(),
        "query": query.urlencode(),
    }
    return render(request, "clinical/recall_worklist.html", context, status=422 if form.errors else 200)


# --- One recall ------------------------------------------------------------------------------


def _recall_page(
    request: StaffRequest,
    recall: Recall,
    *,
    contact: ContactForm | None = None,
    close: CloseForm | None = None,
    status: int = 200,
    refusal: str = "",
) -> HttpResponse:
    state, label, late = recalls.recall_state(recall, clock.today())
    context = {
        "recall": recall,
        "state": state,
        "state_label": label,
        "days_overdue": late,
        "contact_form": contact or ContactForm(),
        "close_form": close or CloseForm(),
        "book_url": book_url(recall),
        "can_book": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "next": _back(request),
        "refusal": refusal,
    }
    return render(request, "clinical/recall_detail.html", context, status=status)


@requires(Cap.CLINICAL_RECALL_WORK)
@require_http_methods(["GET"])
def recall_detail(request: StaffRequest, public_id) -> HttpResponse:
    recall = access_recall(actor=request.user, public_id=public_id)
    return _recall_page(request, recall)


def _status(exc: ValidationError) -> int:
    return 409 if isinstance(exc, Conflict) else 422


@requires(Cap.CLINICAL_RECALL_WORK)
@require_POST
def recall_contact(request: StaffRequest, public_id) -> HttpResponse:
    """Log a contact attempt; back to the worklist, or the recall's page with the reason (422/409)."""
    recall = access_recall(actor=request.user, public_id=public_id)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            recalls.recall_log_contact(actor=request.user, recall=recall, note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return _recall_page(request, recall, contact=form, status=_status(exc), refusal=" ".join(exc.messages))
        messages.success(request, sentence(f"Contact attempt logged for {recall.patient.display_name}"))
        return redirect(_back(request))
    return _recall_page(request, recall, contact=form, status=422)


@requires(Cap.CLINICAL_RECALL_WORK)
@require_POST
def recall_close(request: StaffRequest, public_id) -> HttpResponse:
    """Close a recall with its reason; back to the worklist, or the recall's page with the reason (422/409)."""
    recall = access_recall(actor=request.user, public_id=public_id)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            recalls.recall_close(actor=request.user, recall=recall, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
            return _recall_page(request, recall, close=form, status=_status(exc), refusal=" ".join(exc.messages))
        messages.success(request, sentence(f"Recall closed for {recall.patient.display_name}"))
        return redirect(_back(request))
    return _recall_page(request, recall, close=form, status=422)


# --- Adding a follow-up ----------------------------------------------------------------------


def _new_form_response(
    request: StaffRequest,
    *,
    form: RecallForm,
    action: str,
    patient,
    encounter: Encounter | None,
    status: int,
    added: str = "",
) -> HttpResponse:
    context = {"form": form, "action": action, "patient": patient, "encounter": encounter, "added": added}
    template = "clinical/recall_form.html"
    if _is_htmx(request):
        template += "#recall_form"
        # htmx swaps only 2xx answers (no CSP-safe hook here to change that), so the fragment that
        # shows the errors beside the fields comes back as 200; the page itself answers 422.
        status = 200 if status >= 400 else status
    response = render(request, template, context, status=status)
    if _is_htmx(request) and added and encounter is not None:
        # The encounter page's list of follow-ups and its status line change beside the form
        # (out of band), so the new row appears and a screen reader hears the confirmation.
        listed = {"enc": encounter, "follow_ups": follow_up_rows(request, encounter), "added": added, "oob": True}
        response.content += render(request, "clinical/encounter_page.html#follow_up_list", listed).content
    patch_vary_headers(response, ("HX-Request",))
    return response


def _recall_new(request: StaffRequest, *, patient, encounter: Encounter | None, action: str) -> HttpResponse:
    if request.method != "POST":
        initial = {}
        if encounter is not None:
            initial["provider"] = encounter.provider.public_id
        form = RecallForm(initial=initial)
        return _new_form_response(request, form=form, action=action, patient=patient, encounter=encounter, status=200)
    form = RecallForm(request.POST)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        try:
            recall = recalls.recall_create(
                actor=request.user,
                patient=patient,
                encounter=encounter,
                appointment_type=data["appointment_type"],
                provider=data.get("provider"),
                interval=data.get("interval", ""),
                due_on=data.get("due_on"),
                reason=data["reason"],
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
            status = _status(exc) if isinstance(exc, ValidationError) else 403
        else:
            text = f"Follow-up added: {recall.reason}, {recall.appointment_type.name} due {date_text(recall.due_on)}."
            if _is_htmx(request):
                # The confirmation is in the answer itself (not a message for the next page).
                fresh = RecallForm(initial={"provider": recall.provider.public_id if recall.provider else None})
                response = _new_form_response(
                    request, form=fresh, action=action, patient=patient, encounter=encounter, status=201, added=text
                )
                response["HX-Trigger"] = "recallAdded"
                return response
            messages.success(request, text)
            if encounter is not None:
                return redirect(reverse("clinical:encounter", args=[encounter.public_id]) + "#follow-up")
            return redirect("clinical:chart", mrn=patient.mrn)
    return _new_form_response(request, form=form, action=action, patient=patient, encounter=encounter, status=status)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def recall_new(request: StaffRequest, public_id) -> HttpResponse:
    """Add a follow-up from a visit: its patient, provider and date of service (the interval's start)."""
    encounter = access_encounter(
        actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE, purpose="add follow-up"
    )
    action = reverse("clinical:recall_new", args=[encounter.public_id])
    return _recall_new(request, patient=encounter.patient, encounter=encounter, action=action)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def recall_new_for_patient(request: StaffRequest, mrn: str) -> HttpResponse:
    """Add a follow-up for a patient without a visit (the interval counts from today)."""
    patient = access_patient(actor=request.user, mrn=mrn, need=Cap.CLINICAL_NOTE_WRITE, purpose="add follow-up")
    action = reverse("clinical:recall_new_patient", args=[patient.mrn])
    return _recall_new(request, patient=patient, encounter=None, action=action)
