from __future__ import annotations

import io
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires

from .export import write_csv
from .forms import AuditFilterForm, PatientAccessForm
from .models import Action, AuditEvent, ObjectType
from .selectors import SORTABLE, AuditFilter, audit_events
from .services import audit_record

PAGE_SIZE = 50
CSV_LIMIT = 200_000


def _filters(form: AuditFilterForm) -> AuditFilter:
    data = form.cleaned_data if form.is_valid() else {}
    return AuditFilter(
        person=data.get("person", ""),
        patient=data.get("patient", ""),
        action=data.get("action", ""),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        time_from=data.get("time_from"),
        time_to=data.get("time_to"),
        sort=data.get("sort") or "-time",
    )


def _sort_links(request: HttpRequest, current: str) -> dict[str, dict[str, str]]:
    """For each column: the URL that sorts by it (toggling direction) and its aria-sort state."""
    links = {}
    params = request.GET.copy()
    params.pop("page", None)
    for key in SORTABLE:
        params["sort"] = f"-{key}" if current == key else key
        state = "ascending" if current == key else "descending" if current == f"-{key}" else "none"
        links[key] = {"url": "?" + params.urlencode(), "state": state}
    return links


@requires(Cap.AUDIT_READ)
def report(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    filters = _filters(form) if request.GET else AuditFilter()
    refused = bool(request.GET) and not form.is_valid()
    # Filters with errors list nothing: every event beside the error would read as the answer.
    events = AuditEvent.objects.none() if refused else audit_events(filters=filters)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form if request.GET else AuditFilterForm(),
        "page": page,
        "sort_links": _sort_links(request, filters.sort),
        "query": params.urlencode(),
        "csv_url": reverse("audit:report_csv") + "?" + params.urlencode(),
    }
    template = "audit/report.html#results" if getattr(request, "htmx", False) else "audit/report.html"
    return render(request, template, context, status=422 if refused else 200)


@requires(Cap.AUDIT_EXPORT)
def report_csv(request: HttpRequest) -> HttpResponse:
    """The filtered report as CSV. The download is itself an audited export.

    Filters that do not check out (an unknown patient, dates the wrong way round) answer the
    report page with the errors (422): never a file of every event instead of the ones asked for.
    """
    form = AuditFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return report(request)
    filters = _filters(form) if request.GET else AuditFilter()
    buffer = io.StringIO()
    events = audit_events(filters=filters)[:CSV_LIMIT]
    with transaction.atomic():
        count = write_csv(events.iterator(chunk_size=2000), buffer)
        audit_record(
            actor=request.user,
            action=Action.EXPORT,
            object_type=ObjectType.AUDIT_REPORT,
            detail=f"{count} events; filters {urlencode({k: v for k, v in request.GET.items() if v})}"[:500],
            patient_id=filters.patient,
        )
    stamp = clock.local_now().strftime("%Y%m%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


@requires(Cap.AUDIT_READ)
def patient_access(request: HttpRequest) -> HttpResponse:
    """Everyone who opened one patient's record, when and why. Looking is itself audited."""
    form = PatientAccessForm(request.GET or None)
    events = None
    if request.GET and form.is_valid():
        patient = form.cleaned_data["patient"].strip()
        audit_record(
            actor=request.user,
            action=Action.READ,
            object_type=ObjectType.PATIENT_ACCESS_REPORT,
            object_id=patient,
            patient_id=patient,
        )
        events = Paginator(audit_events(filters=AuditFilter(patient=patient, sort="-time")), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    status = 422 if request.GET and not form.is_valid() else 200
    return render(request, "audit/patient_access.html", {"form": form, "page": events}, status=status)
