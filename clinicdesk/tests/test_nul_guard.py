"""No route takes a NUL character anywhere: address, query, form field, JSON body.

PostgreSQL cannot store U+0000, so a value carrying one failed with a server error wherever a
view passed it on (dozens read request.POST or request.GET directly), and SQLite stored it. The
guard is one middleware in front of every view; these tests walk the whole URLconf with it.
"""

from __future__ import annotations

import json
import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver

from clinicdesk.audit.models import AuditEvent
from clinicdesk.core.nul_guard import MESSAGE

FAKE_ID = str(uuid.uuid4())


def _paths(patterns=None, prefix: str = ""):
    """Every route of the URLconf as a path, parameters filled with a UUID (API paths once each)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _paths(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = re.sub(r"<(?:\w+:)?\w+>", FAKE_ID, prefix + str(entry.pattern))
            yield "/" + route.replace("^", "").replace("$", "")


PATHS = sorted(set(_paths()))


def _refused(response, where: str) -> str | None:
    """Why `response` is not the guard's refusal naming `where` (None when it is)."""
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if response.status_code not in (400, 422):
        return f"answered {response.status_code}"
    if response["Content-Type"].startswith("application/problem+json"):
        errors = response.json().get("errors", [])
        return None if errors == [{"field": where, "message": MESSAGE}] else f"errors {errors}"
    return None if f"“{where}” contains a NUL character".encode() in response.content else "no message naming it"


def test_every_route_refuses_a_nul_in_the_query_or_a_form_field_before_any_view_runs(as_user, clinician):
    client = as_user(clinician)
    before = AuditEvent.objects.count()
    failures = []
    for path in PATHS:
        for method, data in (("get", {"q": "Ann\x00"}), ("post", {"note": "Fine\x00", "next": "/"})):
            response = getattr(client, method)(path, data)
            if why := _refused(response, next(iter(data))):
                failures.append(f"{method.upper()} {path}: {why}")
    assert failures == []
    assert AuditEvent.objects.count() == before  # no view ran: not even a refusal was recorded


def test_every_api_route_refuses_a_nul_in_a_json_body_naming_the_field(as_user, clinician):
    client = as_user(clinician)
    body = json.dumps({"name": "ok", "items": [{"plan_name": "B\x00"}]})
    failures = []
    for path in (p for p in PATHS if p.startswith("/api/")):
        for method in ("post", "put", "patch"):
            response = getattr(client, method)(path, body, content_type="application/json")
            if response.status_code == 405:
                continue
            if why := _refused(response, "items.0.plan_name"):
                failures.append(f"{method.upper()} {path}: {why}")
    assert failures == []


def test_a_nul_in_the_address_is_refused(as_user, clinician):
    response = as_user(clinician).get("/patients/1234567\x00/")
    assert response.status_code == 400 and "The address contains a NUL character" in response.text


def test_a_backslash_followed_by_u0000_is_text_not_a_nul(as_user, office_manager):
    body = json.dumps({"name": "Acme \\u0000 Health", "payer_type": "self_pay"})
    assert "\\\\u0000" in body  # the JSON holds an escaped backslash, then the letters
    response = as_user(office_manager).post("/api/v1/payers", body, content_type="application/json")
    assert response.status_code != 422 or "NUL" not in response.text


def test_a_view_that_reads_the_form_directly_never_stores_a_nul(as_user, front_desk):
    """The flow board's check-in note is read from request.POST, not a form: the guard answers first."""
    from clinicdesk.scheduling.models import Appointment

    before = list(Appointment.objects.values_list("pk", "status"))
    response = as_user(front_desk).post(f"/scheduling/flow/{FAKE_ID}/move/", {"to": "arrived", "note": "late\x00"})
    assert response.status_code == 400
    assert list(Appointment.objects.values_list("pk", "status")) == before


def test_a_nul_in_the_browser_name_does_not_break_the_audit_trail(as_user, clinician):
    client = as_user(clinician)
    response = client.get("/", HTTP_USER_AGENT="Mozilla/5.0\x00\x1b[31m")
    assert response.status_code == 200
    denied = client.get("/audit/", HTTP_USER_AGENT="Mozilla/5.0\x00")  # a refusal is audited
    assert denied.status_code == 403
    assert AuditEvent.objects.order_by("-seq").first().user_agent == "Mozilla/5.0?"
