from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires

from .selectors import MAX_QUERY, icd10_search


@requires(Cap.CLINICAL_CODES_READ)
def icd10_search_fragment(request: HttpRequest) -> HttpResponse:
    """The typeahead's listbox of codes for `?q=` (`&billable=1` for billable codes only).

    A fragment for a combobox input to swap in (`hx-get`, `aria-controls` = `listbox` or the
    `?id=` given); each option carries the code in `data-code`.
    """
    text = request.GET.get("q", "")[:MAX_QUERY]
    billable_only = request.GET.get("billable", "") in ("1", "true", "on")
    listbox_id = "".join(ch for ch in request.GET.get("id", "icd10-options") if ch.isalnum() or ch in "-_")[:40]
    codes = icd10_search(text, billable_only=billable_only) if text.strip() else []
    context = {"q": text, "codes": codes, "listbox_id": listbox_id or "icd10-options"}
    return render(request, "codes/icd10_search.html", context)
