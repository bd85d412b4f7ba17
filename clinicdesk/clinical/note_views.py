"""Visit note pages: the draft editor (htmx autosave), signing, co-signing and addenda.

Thin: each POST calls one service in notes.py; notes are fetched through access.py only,
which checks the capability, enforces restricted records and audits the read.

htmx autosave requests get a 200 fragment even when the save is refused (a stale version, a
signed note, a section too long): htmx swaps only 2xx responses, and the message must reach
the status line while the typed text stays in the boxes. Plain form posts (no JavaScript) get
the page again with 409/422/403 and the typed text kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.datetimes import date_text
from clinicdesk.core.errors import Conflict
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.patients.access import access_patient

from . import amendments, notes
from .access import NoteAccess, access_amendment_request, access_amendment_requests, access_note
from .models import AmendmentStatus, VisitNote
from .note_forms import AddendumForm, AmendmentAcceptForm, AmendmentDenyForm, AmendmentRequestForm, NoteDraftForm
from .selectors import note_addenda_unchecked, signed_note_of_patient_unchecked, signed_notes_of_unchecked

PAGE = "clinical/note_page.html"


def _draft_form(note: VisitNote, data=None) -> NoteDraftForm:
    initial = {name: getattr(note, name) for name in notes.SECTIONS}
    initial["version"] = note.version
    return NoteDraftForm(data, initial=initial)


def _context(request: StaffRequest, opened: NoteAccess, **extra) -> dict:
    note, encounter = opened.note, opened.encounter
    user = request.user
    is_provider = encounter.provider.user_id == user.pk
    context: dict = {
        "encounter": encounter,
        "patient": encounter.patient,
        "note": note,
        "addenda": [],
        "verified": None,
        "can_write": role_can(user.role, Cap.CLINICAL_NOTE_WRITE),
        "can_sign": role_can(user.role, Cap.CLINICAL_NOTE_SIGN) and is_provider,
        "can_addendum": role_can(user.role, Cap.CLINICAL_NOTE_SIGN),
        "can_cosign": False,
        "signed_text": "",
        "cosigned_text": "",
    }
    if note is not None:
        context["saved_text"] = notes.when_text(note.updated_at, encounter, seconds=True)
        context["saved_clock"] = notes.clock_of(note.updated_at, encounter)
    if note is not None and note.is_signed and note.signed_at is not None:
        context.update(
            addenda=note_addenda_unchecked(note=note),
            verified=notes.note_verify(note),
            signed_text=notes.when_text(note.signed_at, encounter),
            can_cosign=note.cosign_required
            and note.cosigned_at is None
            and role_can(user.role, Cap.CLINICAL_NOTE_SIGN)
            and note.signed_by_id != user.pk,
        )
        if note.cosigned_at is not None:
            context["cosigned_text"] = notes.when_text(note.cosigned_at, encounter)
    elif note is not None and "form" not in extra:
        context["form"] = _draft_form(note)
    context.update(extra)
    return context


def _htmx(request: StaffRequest) -> bool:
    details = getattr(request, "htmx", None)
    return bool(details) and not getattr(details, "boosted", False)


def _render(request: StaffRequest, opened: NoteAccess, status: int = 200, **extra) -> HttpResponse:
    template = f"{PAGE}#note_panel" if _htmx(request) else PAGE
    return render(request, template, _context(request, opened, **extra), status=status)


@requires(Cap.CLINICAL_NOTE_READ)
@require_http_methods(["GET"])
def note_page(request: StaffRequest, public_id) -> HttpResponse:
    """The note of the encounter: the editor while a draft, the signed note with its addenda after.

    An htmx request gets the panel alone (the encounter page embeds it with hx-get)."""
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_READ)
    return _render(request, opened)


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def note_start_view(request: StaffRequest, public_id) -> HttpResponse:
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    try:
        notes.note_start(actor=request.user, encounter=opened.encounter)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("clinical:note", public_id=opened.encounter.public_id)


def _refusal(exc: ValidationError | PermissionDenied) -> tuple[str, int]:
    if isinstance(exc, PermissionDenied):
        return str(exc) or "You are not allowed to do that.", 403
    return " ".join(exc.messages), 409 if isinstance(exc, Conflict) else 422


def _status_fragment(request: StaffRequest, opened: NoteAccess, **extra) -> HttpResponse:
    return render(request, f"{PAGE}#save_status", _context(request, opened, **extra))


@requires(Cap.CLINICAL_NOTE_WRITE)
@require_POST
def note_save_view(request: StaffRequest, public_id) -> HttpResponse:
    """Save the draft: the htmx autosave (answers the status line) or the Save button (the page)."""
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_WRITE)
    note = opened.note
    if note is None:
        raise Http404
    form = NoteDraftForm(request.POST)
    autosave = _htmx(request)
    if not form.is_valid():
        problem = "The page is out of date (its note version is missing); reload it. Your text is still in the boxes."
        if autosave:
            return _status_fragment(request, opened, save_error=problem)
        return _render(request, opened, status=422, form=form, page_error=problem)
    sections = form.sections()
    try:
        notes.note_save_draft(actor=request.user, note=note, version=form.cleaned_data["version"], **sections)
    except (ValidationError, PermissionDenied) as exc:
        message, status = _refusal(exc)
        signed = isinstance(exc, notes.NoteSignedError)
        if autosave:
            return _status_fragment(request, opened, save_error=message, offer_addendum=signed)
        if signed:
            return _render(request, opened, status=status, page_error=message, offer_addendum=True)
        if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
            apply_service_errors(form, exc)
        return _render(request, opened, status=status, form=form, page_error=message)
    if autosave:
        return _status_fragment(request, opened, saved_now=True)
    messages.success(request, f"Draft saved {notes.when_text(clock.now(), opened.encounter, seconds=True)}.")
    return redirect("clinical:note", public_id=opened.encounter.public_id)


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_POST
def note_sign_view(request: StaffRequest, public_id) -> HttpResponse:
    """Sign the note. From the editor, the text on screen is saved first (same version rules)."""
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_SIGN)
    note = opened.note
    if note is None:
        raise Http404
    form = NoteDraftForm(request.POST) if "version" in request.POST else None
    try:
        if form is not None:
            if not form.is_valid():
                raise ValidationError({"version": ["The page is out of date; reload it before signing."]})
            if not note.is_signed:
                notes.note_save_draft(
                    actor=request.user, note=note, version=form.cleaned_data["version"], **form.sections()
                )
        notes.note_sign(actor=request.user, note=note)
    except (ValidationError, PermissionDenied) as exc:
        message, status = _refusal(exc)
        signed = isinstance(exc, notes.NoteSignedError)
        extra: dict = {"page_error": message, "offer_addendum": signed}
        if form is not None and not signed:
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                apply_service_errors(form, exc)
            extra["form"] = form
        return _render(request, opened, status=status, **extra)
    messages.success(request, f"Note signed {notes.when_text(note.signed_at or clock.now(), opened.encounter)}.")
    return redirect("clinical:note", public_id=opened.encounter.public_id)


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_POST
def note_cosign_view(request: StaffRequest, public_id) -> HttpResponse:
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_SIGN)
    if opened.note is None:
        raise Http404
    try:
        notes.note_cosign(actor=request.user, note=opened.note)
    except (ValidationError, PermissionDenied) as exc:
        message, status = _refusal(exc)
        return _render(request, opened, status=status, page_error=message)
    messages.success(request, "Note co-signed.")
    return redirect("clinical:note", public_id=opened.encounter.public_id)


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_http_methods(["GET", "POST"])
def addendum_new(request: StaffRequest, public_id) -> HttpResponse:
    """GET: the addendum form under the signed note; POST: add the signed addendum."""
    opened = access_note(actor=request.user, encounter_public_id=public_id, need=Cap.CLINICAL_NOTE_SIGN)
    if opened.note is None:
        raise Http404
    form = AddendumForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            notes.addendum_add(actor=request.user, note=opened.note, text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
            status = _refusal(exc)[1]
        else:
            messages.success(request, "Addendum added and signed.")
            return redirect(reverse("clinical:note", kwargs={"public_id": opened.encounter.public_id}) + "#addenda")
    context = _context(request, opened, addendum_form=form)
    return render(request, "clinical/addendum_form.html", context, status=status)


# --- Amendment requests ------------------------------------------------------------------------


@requires(Cap.CLINICAL_AMENDMENT_MANAGE)
@require_http_methods(["GET"])
def amendment_list(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.CLINICAL_AMENDMENT_MANAGE, purpose="amendment requests"
    )
    rows = [(r, amendments.amendment_due_on(r)) for r in access_amendment_requests(actor=request.user, patient=patient)]
    context = {"patient": patient, "rows": rows, "today": clock.today(), "Status": AmendmentStatus}
    return render(request, "clinical/amendment_list.html", context)


@requires(Cap.CLINICAL_AMENDMENT_MANAGE)
@require_http_methods(["GET", "POST"])
def amendment_new(request: StaffRequest, mrn: str) -> HttpResponse:
    patient = access_patient(
        actor=request.user, mrn=mrn, need=Cap.CLINICAL_AMENDMENT_MANAGE, purpose="amendment requests"
    )
    choices = signed_notes_of_unchecked(patient=patient)
    initial = {"received_on": clock.today(), "note": request.GET.get("note", "")}
    form = AmendmentRequestForm(request.POST or None, notes=choices, initial=initial)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            data = form.cleaned_data
            note = signed_note_of_patient_unchecked(patient=patient, public_id=data["note"]) if data["note"] else None
            try:
                made = amendments.amendment_request_record(
                    actor=request.user,
                    patient=patient,
                    note=note,
                    received_on=data["received_on"],
                    requested_change=data["requested_change"],
                )
            except (ValidationError, PermissionDenied) as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(
                    request, f"Request recorded. Decide by {date_text(amendments.amendment_due_on(made))} (60 days)."
                )
                return redirect("clinical:amendment", public_id=made.public_id)
    context = {"patient": patient, "form": form}
    return render(request, "clinical/amendment_form.html", context, status=status)


def _amendment_context(request: StaffRequest, amendment, **extra) -> dict:
    user = request.user
    context = {
        "amendment": amendment,
        "patient": amendment.patient,
        "due_on": amendments.amendment_due_on(amendment),
        "pending": amendment.status == AmendmentStatus.PENDING,
        "can_accept": role_can(user.role, Cap.CLINICAL_NOTE_SIGN),
        "can_read_notes": role_can(user.role, Cap.CLINICAL_NOTE_READ),
        "addendum": getattr(amendment, "addendum", None) if amendment.status == AmendmentStatus.ACCEPTED else None,
    }
    if "accept_form" not in extra:
        choices = [] if amendment.note_id else signed_notes_of_unchecked(patient=amendment.patient)
        context["accept_form"] = AmendmentAcceptForm(notes=choices)
    if "deny_form" not in extra:
        context["deny_form"] = AmendmentDenyForm()
    context.update(extra)
    return context


@requires(Cap.CLINICAL_AMENDMENT_MANAGE)
@require_http_methods(["GET"])
def amendment_detail(request: StaffRequest, public_id) -> HttpResponse:
    amendment = access_amendment_request(actor=request.user, public_id=public_id)
    return render(request, "clinical/amendment_detail.html", _amendment_context(request, amendment))


@requires(Cap.CLINICAL_NOTE_SIGN)
@require_POST
def amendment_accept_view(request: StaffRequest, public_id) -> HttpResponse:
    amendment = access_amendment_request(actor=request.user, public_id=public_id, need=Cap.CLINICAL_NOTE_SIGN)
    choices = [] if amendment.note_id else signed_notes_of_unchecked(patient=amendment.patient)
    form = AmendmentAcceptForm(request.POST, notes=choices)
    status = 422
    if form.is_valid():
        data = form.cleaned_data
        note = (
            signed_note_of_patient_unchecked(patient=amendment.patient, public_id=data["note"])
            if data["note"]
            else None
        )
        try:
            amendments.amendment_accept(
                actor=request.user, request=amendment, addendum_text=data["addendum_text"], note=note
            )
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
            status = _refusal(exc)[1]
        else:
            messages.success(request, "Request accepted; the amendment was added to the note as a signed addendum.")
            return redirect("clinical:amendment", public_id=amendment.public_id)
    context = _amendment_context(request, amendment, accept_form=form)
    return render(request, "clinical/amendment_detail.html", context, status=status)


@requires(Cap.CLINICAL_AMENDMENT_MANAGE)
@require_POST
def amendment_deny_view(request: StaffRequest, public_id) -> HttpResponse:
    amendment = access_amendment_request(actor=request.user, public_id=public_id)
    form = AmendmentDenyForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            amendments.amendment_deny(actor=request.user, request=amendment, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            apply_service_errors(form, exc)
            status = _refusal(exc)[1]
        else:
            messages.success(request, "Request denied; the request and the reason are kept in the record.")
            return redirect("clinical:amendment", public_id=amendment.public_id)
    context = _amendment_context(request, amendment, deny_form=form)
    return render(request, "clinical/amendment_detail.html", context, status=status)
