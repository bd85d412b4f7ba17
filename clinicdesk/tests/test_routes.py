"""Every route declares a capability, and the matrix decides who gets through, on real records.

The walk covers the whole URLconf, including the allauth screens we mount and every API
operation, found the way Django and the API find them. Each route's parameters are filled with
the records of a small seeded practice (`practice.py`): the same appointment, encounter, note,
problem... for every role. A role the matrix allows must get its page or its answer (a
redirect that is not to sign-in or emergency access; a 400/409/422 for a write sent empty),
a role it refuses must get 403, and nothing may answer 500. A route with a parameter the walk
cannot fill fails the walk: add it to `FILL`.

A second walk opens the restricted patient's records as every role the matrix lets in, none
of whom holds an emergency grant: each gets the emergency-access offer, never the record.
"""

from __future__ import annotations

import re
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from clinicdesk.core.capabilities import ALL_CAPABILITIES, Role, role_can
from clinicdesk.core.guards import PUBLIC, SECRET_LINK, declared_capability

from .practice import ROLE_USERNAMES, WALK_AT, PatientRecords, SeededPractice, seed_practice

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # as written in the URLconf, parameters included: "patients/<str:mrn>/"
    name: str  # "namespace:name" of the URL (for API operations, the path's first name)
    capability: str | None
    methods: tuple[str, ...]  # the methods the operation (API) or page answers; () for a page that takes any
    is_api: bool

    @property
    def label(self) -> str:
        return f"{'/'.join(self.methods) or 'page'} /{self.pattern}"

    @property
    def parameters(self) -> list[str]:
        return [m["name"] for m in PARAMETER.finditer(self.pattern)]


def _ninja_path_view(callback):
    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if hasattr(contents, "operations"):
            return contents
    return None


def _page_methods(view) -> tuple[str, ...]:
    """The methods a page accepts when it says so (`require_POST` and friends), else ()."""
    while view is not None:
        names = getattr(getattr(view, "__code__", None), "co_freevars", ())
        if "request_method_list" in names:
            cell = view.__closure__[names.index("request_method_list")]
            return tuple(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return ()


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, (namespace, entry.namespace)))
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            full = (prefix + str(entry.pattern)).replace("^", "").replace("$", "")
            name = ":".join(filter(None, (namespace, entry.name or "")))
            path_view = _ninja_path_view(entry.callback)
            if path_view is None:
                yield Route(full, name, declared_capability(entry.callback), _page_methods(entry.callback), False)
                continue
            for operation in path_view.operations:
                yield Route(full, name, declared_capability(operation.view_func), tuple(operation.methods), True)


def _routes() -> list[Route]:
    """Every route once: ninja registers one path under several URL names, one per operation."""
    seen: dict[tuple[str, tuple[str, ...]], Route] = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault((route.pattern, route.methods), route)
    return list(seen.values())


ROUTES = _routes()

# --- Filling the parameters ------------------------------------------------------------------
#
# A parameter is named by the path segment before it (and, where one segment serves two kinds
# of record, the segment after it): "patients/<mrn>" is an MRN, "waitlist/offers/<public_id>"
# an offer. Each rule answers the value from the seeded practice, one patient's records and
# the role walking (a person's API tokens are their own).

Fill = Callable[[SeededPractice, PatientRecords, str], str]


def _record(attribute: str) -> Fill:
    return lambda practice, records, role: str(getattr(records, attribute).public_id)


def _setup(attribute: str) -> Fill:
    return lambda practice, records, role: str(getattr(practice, attribute).public_id)


FILL: dict[tuple[str, ...], Fill] = {
    ("patients", "mrn"): lambda practice, records, role: records.patient.mrn,
    ("emergency", "patient_id"): lambda practice, records, role: records.patient.mrn,
    ("appointments", "public_id"): _record("appointment"),
    ("appointments", "public_id", "series-edit"): _record("series_visit"),
    ("appointments", "public_id", "series-cancel"): _record("series_visit"),
    ("flow", "public_id"): _record("appointment"),
    ("series", "public_id"): _record("series_visit"),
    ("waitlist", "public_id"): _record("waitlist_entry"),
    ("offers", "public_id"): _record("offer"),
    ("encounters", "public_id"): _record("encounter"),
    ("encounters", "encounter_id"): _record("encounter"),
    ("vitals", "vitals_id"): _record("vitals"),
    ("vitals", "public_id"): _record("vitals"),
    ("amendments", "public_id"): _record("amendment"),
    ("amendment-requests", "request_id"): _record("amendment"),
    ("problems", "problem_id"): _record("problem"),
    ("medications", "medication_id"): _record("medication"),
    ("prescriptions", "prescription_id"): _record("prescription"),
    ("allergies", "allergy_id"): _record("allergy"),
    ("recalls", "public_id"): _record("recall"),
    ("coverages", "coverage_id"): _record("coverage"),
    ("consents", "consent_id"): _record("consent"),
    ("restrictions", "restriction_id"): _record("restriction"),
    ("staff", "public_id"): lambda practice, records, role: str(practice.staff_member.public_id),
    ("tokens", "public_id"): lambda practice, records, role: str(practice.tokens[role].public_id),
    ("review", "public_id"): _setup("grant"),
    ("import", "public_id"): _setup("import_job"),
    ("payers", "public_id"): _setup("payer"),
    ("locations", "public_id"): _setup("location"),
    ("rooms", "public_id"): _setup("room"),
    ("providers", "public_id"): _setup("provider"),
    ("appointment-types", "public_id"): _setup("kind"),
    ("templates", "type_id"): _setup("kind"),
    ("note-templates", "type_id"): _setup("kind"),
    ("versions", "public_id"): _setup("template"),
    ("templates", "public_id"): _setup("template"),
    ("exceptions", "public_id"): _setup("exception"),
    ("feeds", "public_id"): _setup("feed"),
    ("feed", "token"): lambda practice, records, role: practice.feed_token,
    ("holidays", "day"): lambda practice, records, role: "2026-05-25",
    ("icd10", "code"): lambda practice, records, role: "I10",
}

# The records of a patient: a route naming one of these opens that patient's chart.
PATIENT_FILLS = {
    key
    for key, fill in FILL.items()
    if key[:2] in {("patients", "mrn"), ("emergency", "patient_id")} or fill.__qualname__.startswith("_record")
}


def _rule(route: Route, match: re.Match) -> tuple[str, ...]:
    before = [s for s in route.pattern[: match.start()].split("/") if s]
    after = [s for s in route.pattern[match.end() :].split("/") if s]
    segment, name = (before[-1] if before else ""), match["name"]
    if after and (segment, name, after[0]) in FILL:
        return (segment, name, after[0])
    return (segment, name)


def _rules(route: Route) -> list[tuple[str, ...]]:
    return [_rule(route, m) for m in PARAMETER.finditer(route.pattern)]


def _path(route: Route, practice: SeededPractice, records: PatientRecords, role: str) -> str:
    def value(match: re.Match) -> str:
        return FILL[_rule(route, match)](practice, records, role)

    path = "/" + PARAMETER.sub(value, route.pattern)
    query = QUERY.get(route.name if not route.is_api else route.pattern)
    return f"{path}?{query(practice, records)}" if query else path


# Pages and endpoints that answer only with a query naming what to show (a location, a day, a
# booking to repeat): the query the screens that link to them send.
Query = Callable[[SeededPractice, PatientRecords], str]

QUERY: dict[str, Query] = {
    "scheduling:series_new": lambda p, r: (
        f"type={p.kind.public_id}&provider={p.provider.public_id}&location={p.location.public_id}"
        f"&start=2026-03-11T14:00&patient={r.patient.mrn}"
    ),
    "api/v1/scheduling/flow-board": lambda p, r: f"location={p.location.public_id}",
    "api/v1/scheduling/day-schedule": lambda p, r: f"location={p.location.public_id}&date=2026-03-04",
    "api/v1/scheduling/slots": lambda p, r: (
        f"appointment_type={p.kind.public_id}&start_date=2026-03-05&end_date=2026-03-06"
    ),
    "api/v1/scheduling/confirmations": lambda p, r: f"location={p.location.public_id}&start=2026-03-04&end=2026-03-06",
    "api/v1/scheduling/waitlist/matches": lambda p, r: (
        f"provider={p.provider.public_id}&location={p.location.public_id}"
        f"&appointment_type={p.kind.public_id}&starts_at=2026-03-05T15:00:00Z"
    ),
}

# The one form field a POST-only page reads before anything else, to find a second record.
BODY: dict[str, Callable[[SeededPractice, PatientRecords], dict[str, str]]] = {
    "scheduling:slot_offer": lambda p, r: {"entry": str(r.waitlist_entry.public_id)},
}


# Pages whose query (above) names the patient, so they open that patient's chart too.
PATIENT_QUERIES = {"scheduling:series_new"}


def _opens_a_chart(route: Route) -> bool:
    return route.name in PATIENT_QUERIES or any(rule in PATIENT_FILLS for rule in _rules(route))


# --- The seeded practice, shared by the whole module ------------------------------------------


@pytest.fixture(scope="module")
def practice(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[SeededPractice]:
    """The practice of practice.py, written once for this module and rolled back after it.

    Each test runs inside it (pytest-django's transaction is a savepoint of this one), and
    each request of the walk in a savepoint of its own, so that what one route writes (a
    check-in, a revoked token) never changes what the next one finds.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed_practice(tmp_path_factory.mktemp("walk-var"))
        transaction.set_rollback(True)


@pytest.fixture
def walk_clock(clock):
    clock.set(WALK_AT)
    return clock


def _send(client, route: Route, method: str, path: str, body: dict[str, str] | None = None):
    """One request in a savepoint that is rolled back; an exception in the view is a 500."""
    with transaction.atomic():
        try:
            if route.is_api and method in ("POST", "PUT", "PATCH"):
                return getattr(client, method.lower())(path, data="{}", content_type="application/json")
            if method == "POST":
                return client.post(path, body or {})
            return getattr(client, method.lower())(path)
        except Exception as exc:  # noqa: BLE001 (a server error of any kind is what the walk reports)
            return ServerError(exc)
        finally:
            transaction.set_rollback(True)


class ServerError:
    status_code = 500

    def __init__(self, exc: Exception) -> None:
        self.reason = "".join(traceback.format_exception_only(exc)).strip()[:300]

    def get(self, name: str, default: str = "") -> str:
        return default


def _requests(client, route: Route, path: str, practice: SeededPractice, records: PatientRecords):
    """(method, response) for each way the route is called: its API methods, else GET, and a
    POST with an empty body (but for `BODY`) when the page answers POST only."""
    if route.is_api:
        for method in route.methods:
            yield method, _send(client, route, method, path)
        return
    response = None if route.methods and "GET" not in route.methods else _send(client, route, "GET", path)
    if response is None or response.status_code == 405:
        body = BODY[route.name](practice, records) if route.name in BODY else None
        yield "POST", _send(client, route, "POST", path, body)
    else:
        yield "GET", response


def _where(response) -> str:
    return response.get("Location", "") or response.get("HX-Redirect", "")


# Routes where the matrix lets a role in but the record itself narrows it further, so a role
# holding the capability gets 404 for another's record ("missing" and "not yours" alike).
# A provider's calendar feeds are managed by the office manager and by that provider alone.
# My feeds takes a provider to their own feeds page; staff who are not providers have none.
NARROWER = {
    "scheduling:my_feeds": {Role.CLINICIAN},
    "scheduling:feed_revoke": {Role.OFFICE_MANAGER, Role.CLINICIAN},
    "scheduling:feeds": {Role.OFFICE_MANAGER, Role.CLINICIAN},
}


def _problem(route: Route, role: str, method: str, response) -> str | None:
    """What is wrong with `response` to `role`, or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {getattr(response, 'reason', '')}".strip()
    assert route.capability is not None  # every route declares one (test_every_route_declares_a_capability)
    if not role_can(role, route.capability):
        return None if status == 403 else f"let in without {route.capability} ({status})"
    if route.name in NARROWER and role not in NARROWER[route.name]:
        return None if status == 404 else f"{status}, not the 404 of another's record"
    write = method != "GET"
    if status in (403, 404):
        return f"refused a role holding {route.capability} ({status})"
    if 300 <= status < 400 or (status == 204 and _where(response)):
        where = _where(response)
        if where.startswith(("/account/login", "/emergency/", "/account/2fa")):
            return f"sent to {where}"
        return None
    if 200 <= status < 300 or (write and status in (400, 409, 422)):
        return None
    return f"answered {status}"


# --- The catalogue ---------------------------------------------------------------------------


def test_the_walk_finds_the_routes_we_know_about():
    paths = {r.pattern for r in ROUTES}
    for expected in ("", "healthz", "account/login/", "audit/", "staff/", "api/v1/me", "api/v1/audit/events"):
        assert expected in paths
    assert len(ROUTES) > 250


def test_every_route_declares_a_capability():
    undeclared = [f"/{r.pattern} ({r.name})" for r in ROUTES if r.capability is None]
    assert undeclared == []
    unknown = [r.pattern for r in ROUTES if r.capability not in ALL_CAPABILITIES | {PUBLIC, SECRET_LINK}]
    assert unknown == []


def test_only_login_logout_health_and_mfa_step_are_public():
    public = sorted(r.name for r in ROUTES if r.capability == PUBLIC)
    assert public == sorted(["account_login", "account_logout", "account_inactive", "mfa_authenticate", "healthz"])


def test_only_calendar_feeds_are_reached_by_a_secret_link():
    assert sorted(r.name for r in ROUTES if r.capability == SECRET_LINK) == ["scheduling:calendar_feed"]


def test_every_parameter_of_every_route_has_a_record_to_fill_it():
    """A new route whose parameter names a kind of record the walk does not know fails here."""
    unfilled = [f"{route.label}: {rule}" for route in ROUTES for rule in _rules(route) if rule not in FILL]
    assert unfilled == [], "add the parameter to FILL in test_routes.py (and the record to practice.py)"


def test_the_walk_knows_which_pages_take_a_post_only():
    by_name = {r.name: r for r in ROUTES if not r.is_api}
    assert by_name["scheduling_flow:check_in"].methods == ()  # the check-in page shows a form
    assert by_name["scheduling_flow:move"].methods == ("POST",)
    assert by_name["accounts:token_revoke"].methods == ("POST",)


def test_the_rules_fill_a_series_visit_for_series_routes_and_the_appointment_elsewhere():
    by_pattern = {r.pattern: r for r in ROUTES}
    series = by_pattern["api/v1/scheduling/appointments/<public_id>/series-edit"]
    single = by_pattern["api/v1/scheduling/appointments/<public_id>/move"]
    assert _rules(series) == [("appointments", "public_id", "series-edit")]
    assert _rules(single) == [("appointments", "public_id")]
    assert _opens_a_chart(single) and not _opens_a_chart(by_pattern["api/v1/scheduling/rooms/<uuidstr:public_id>"])


# --- Every role against every route, on the same records -------------------------------------

ROLES = [*Role.values, ""]  # "" is an account with no role at all
ROLE_IDS = [r or "no-role" for r in ROLES]


@pytest.mark.parametrize("role", ROLES, ids=ROLE_IDS)
def test_each_role_gets_exactly_what_the_matrix_allows_on_real_records(client, practice, walk_clock, db, role):
    client.force_login(practice.people[role])
    failures = []
    for route in ROUTES:
        if route.capability in (PUBLIC, SECRET_LINK):  # see their own tests below
            continue
        path = _path(route, practice, practice.jane, role)
        for method, response in _requests(client, route, path, practice, practice.jane):
            problem = _problem(route, role, method, response)
            if problem:
                failures.append(f"{method} {path}: {problem}")
    assert not failures, f"{ROLE_USERNAMES[role]} ({role or 'no role'}):\n" + "\n".join(failures)


# The routes that open one of the restricted patient's records.
CHART_ROUTES = [r for r in ROUTES if r.capability not in (PUBLIC, SECRET_LINK) and _opens_a_chart(r)]
# The break-the-glass form itself is how a restricted record is opened.
CHART_ROUTES = [r for r in CHART_ROUTES if r.name != "accounts:emergency_access"]


@pytest.mark.parametrize("role", ROLES, ids=ROLE_IDS)
def test_a_restricted_record_offers_emergency_access_and_shows_nothing(client, practice, walk_clock, db, role):
    """Every role the matrix lets in, none holding a grant, gets the offer (pages) or a 403
    saying the record is restricted (API), on each of the restricted patient's records."""
    client.force_login(practice.people[role])
    rex = practice.rex
    failures = []
    for route in CHART_ROUTES:
        if not role_can(role, route.capability):
            continue
        path = _path(route, practice, rex, role)
        for method, response in _requests(client, route, path, practice, rex):
            status, where = response.status_code, _where(response)
            if route.is_api and method != "GET" and status == 422:
                ok = True  # the empty body was refused before the endpoint ran: nothing was read
            elif route.is_api:
                ok = status == 403 and "restricted" in response.json().get("detail", "")
            else:
                ok = status in (302, 204) and where.startswith(f"/emergency/{rex.patient.mrn}/")
            if not ok:
                failures.append(f"{method} {path}: {status} {where or getattr(response, 'reason', '')}".strip())
    assert not failures, f"{ROLE_USERNAMES[role]} ({role or 'no role'}):\n" + "\n".join(failures)


def test_the_walk_of_the_restricted_record_covers_every_kind_of_chart_route():
    assert len(CHART_ROUTES) > 100
    kinds = {rule[:2] for route in CHART_ROUTES for rule in _rules(route)}
    assert {("patients", "mrn"), ("encounters", "public_id"), ("appointments", "public_id")} <= kinds
    assert "scheduling:series_new" in {route.name for route in CHART_ROUTES}


def test_a_nurse_with_emergency_access_opens_the_restricted_chart(client, practice, walk_clock, db):
    """The grant the practice holds for review is live: its holder gets the pages the others did not."""
    holder = practice.grant.user
    client.force_login(holder)
    rex = practice.rex
    failures = []
    for route in CHART_ROUTES:
        if route.is_api or not role_can(holder.role, route.capability):
            continue
        path = _path(route, practice, rex, holder.role)
        for method, response in _requests(client, route, path, practice, rex):
            if method == "GET" and response.status_code != 200:
                failures.append(f"{path}: {response.status_code} {_where(response)}")
    assert not failures, "\n".join(failures)


# --- Signed out ------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_or_told_401(client, practice, walk_clock, db):
    failures = []
    for route in ROUTES:
        if route.capability in (PUBLIC, SECRET_LINK):
            continue
        path = _path(route, practice, practice.jane, Role.OFFICE_MANAGER)
        for method in route.methods or ("GET",):
            response = _send(client, route, method, path)
            if route.is_api:
                ok = response.status_code == 401 and response["Content-Type"] == "application/problem+json"
            else:
                ok = response.status_code in (302, 405) and (
                    response.status_code == 405 or response["Location"].startswith("/account/login/")
                )
            if not ok:
                failures.append(f"{method} {path}: {response.status_code}")
    assert failures == []


def test_public_routes_never_fail_for_anyone(client, practice, walk_clock, db):
    for route in ROUTES:
        if route.capability == PUBLIC:
            assert client.get("/" + route.pattern).status_code < 500, route.pattern


def test_a_calendar_feed_opens_with_its_secret_and_is_a_404_without_it_for_everyone(client, practice, walk_clock, db):
    (route,) = [r for r in ROUTES if r.capability == SECRET_LINK]
    real = _path(route, practice, practice.jane, "")
    assert _send(client, route, "GET", real).status_code == 200
    fake = real.replace(practice.feed_token, uuid.uuid4().hex)
    for person in [None, *practice.people.values()]:
        client.logout()
        if person is not None:
            client.force_login(person)
        assert client.get(fake).status_code == 404, person


def test_unknown_routes_get_a_plain_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    api_response = client.get("/api/v1/no-such-thing")
    assert api_response.status_code == 404
    assert api_response.json()["status"] == 404
