"""The access anomalies page: what the rules of anomalies.py found in the last days, each finding
linked to the audit report filtered to it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinicdesk.core import clock
from clinicdesk.core.capabilities import Cap
from clinicdesk.core.guards import requires

from . import anomalies


def chosen_days(text: str) -> int:
    """?days= as a whole number of days between 1 and MAX_DAYS; anything else: the default."""
    return int(text) if text.isdigit() and 1 <= int(text) <= anomalies.MAX_DAYS else anomalies.DEFAULT_DAYS


@requires(Cap.AUDIT_READ)
@require_GET
def anomaly_list(request: HttpRequest) -> HttpResponse:
    days = chosen_days(request.GET.get("days", ""))
    since, until, first = anomalies.period(clock.now(), days)
    found = anomalies.anomalies_find(since=since, until=until)
    groups = [
        {
            "rule": rule,
            "title": anomalies.RULE_TITLES[rule],
            "text": anomalies.rule_text(rule),
            "rows": [a for a in found if a.rule == rule],
        }
        for rule in anomalies.RULES
    ]
    context = {"groups": groups, "days": days, "first": first, "total": len(found), "max_days": anomalies.MAX_DAYS}
    return render(request, "audit/anomalies.html", context)
