"""The confirmations worklist page: who still has to confirm, with one-click answers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from clinicdesk.accounts.http import StaffRequest
from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap, role_can
from clinicdesk.core.forms import apply_service_errors
from clinicdesk.core.guards import requires
from clinicdesk.patients.display import patient_lens

from . import confirmations
from . import selectors_calendar as cal
from .forms import ConfirmationFilterForm
from .models import ConfirmationStatus


@requires(Cap.SCHEDULE_READ)
@require_http_methods(["GET"])
def confirmation_list(request: StaffRequest) -> HttpResponse:
    start, end = confirmations.default_window(clock.today())
    first = cal.active_locations().first()
    initial = {
        "location": first.public_id if first else None,
        "start": start,
        "end": end,
        "confirmation": [ConfirmationStatus.UNCONFIRMED, ConfirmationStatus.LEFT_MESSAGE],
    }
    # No query yet: the default list, as if the defaults had been submitted.
    form = ConfirmationFilterForm(request.GET if request.GET else initial)
    rows, status = [], 200
    lens = patient_lens(viewer=request.user)
    chosen = None
    if form.is_valid():
        data = form.cleaned_data
        chosen = confirmations.ConfirmationFilter(
            location=data["location"],
            start=data["start"],
            end=data["end"],
            statuses=tuple(data["confirmation"] or ConfirmationStatus.values),
            provider=data.get("provider"),
        )
        try:
            found = confirmations.access_confirmations(actor=request.user, f=chosen, lens=lens)
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 422
        else:
            rows = [(a, confirmations.local_time(a.starts_at, chosen.location)) for a in found]
    else:
        status = 422 if request.GET else 200
    context = {
        "form": form,
        "rows": rows,
        "filter": chosen,
        "can_write": role_can(request.user.role, Cap.SCHEDULE_WRITE),
        "here": request.get_full_path(),
        "limit": confirmations.ROW_LIMIT,
        "lens": lens,
    }
    return render(request, "scheduling/confirmation_list.html", context, status=status)
