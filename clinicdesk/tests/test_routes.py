"""Every route declares a capability, and the matrix decides who gets through.

The walk covers the whole URLconf, including the allauth screens we mount and every API
operation, so a new page or endpoint without a declared capability fails here.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from clinicdesk.core.capabilities import ALL_CAPABILITIES, Role, role_can
from clinicdesk.core.guards import PUBLIC, SECRET_LINK, declared_capability
from conftest import enrol_totp, make_staff

FAKE_ID = str(uuid.uuid4())


@dataclass(frozen=True)
class Route:
    path: str
    name: str
    capability: str | None
    methods: tuple[str, ...]  # the methods the route answers (API); () for HTML views
    is_api: bool


def _fill(route: str) -> str:
    route = re.sub(r"<(?:\w+:)?\w+>", FAKE_ID, route)
    return "/" + route.replace("^", "").replace("$", "")


def _ninja_path_view(callback):
    for cell in getattr(callback, "__closure__", None) or ():
        contents = cell.cell_contents
        if hasattr(contents, "operations"):
            return contents
    return None


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            full = prefix + str(entry.pattern)
            path_view = _ninja_path_view(entry.callback)
            if path_view is not None:
                for operation in path_view.operations:
                    yield Route(
                        _fill(full),
                        entry.name or "",
                        declared_capability(operation.view_func),
                        tuple(operation.methods),
                        True,
                    )
            else:
                yield Route(_fill(full), entry.name or "", declared_capability(entry.callback), (), False)


ROUTES = list(_walk(get_resolver().url_patterns))


def test_the_walk_finds_the_routes_we_know_about():
    paths = {r.path for r in ROUTES}
    for expected in ("/", "/healthz", "/account/login/", "/audit/", "/staff/", "/api/v1/me", "/api/v1/audit/events"):
        assert expected in paths
    assert len(ROUTES) > 30


def test_every_route_declares_a_capability():
    undeclared = [f"{r.path} ({r.name})" for r in ROUTES if r.capability is None]
    assert undeclared == []
    unknown = [r.path for r in ROUTES if r.capability not in ALL_CAPABILITIES | {PUBLIC, SECRET_LINK}]
    assert unknown == []


def test_only_login_logout_health_and_mfa_step_are_public():
    public = sorted(r.name for r in ROUTES if r.capability == PUBLIC)
    assert public == sorted(["account_login", "account_logout", "account_inactive", "mfa_authenticate", "healthz"])


def test_only_calendar_feeds_are_reached_by_a_secret_link():
    assert sorted(r.name for r in ROUTES if r.capability == SECRET_LINK) == ["calendar_feed"]


ROLES = [*Role.values, ""]  # "" is an account with no role at all


def _request(client, route: Route, method: str):
    if route.is_api and method in ("POST", "PUT", "PATCH"):
        return getattr(client, method.lower())(route.path, data="{}", content_type="application/json")
    return getattr(client, method.lower())(route.path)


@pytest.mark.parametrize("role", ROLES, ids=[r or "no-role" for r in ROLES])
def test_each_role_gets_exactly_what_the_matrix_allows(client, db, role):
    person = make_staff(f"user_{role or 'none'}", role)
    enrol_totp(person)
    failures = []
    for route in ROUTES:
        if route.capability in (PUBLIC, SECRET_LINK):  # secret links: see their own test below
            continue
        allowed = role_can(role, route.capability)
        for method in route.methods or ("GET", "POST"):
            client.force_login(person)  # a fresh session: a previous route may have signed out
            response = _request(client, route, method)
            status = response.status_code
            if status == 405:
                continue
            if status >= 500:
                failures.append(f"{method} {route.path}: {status}")
            elif allowed and status == 403:
                failures.append(f"{method} {route.path}: refused {role} holding {route.capability}")
            elif not allowed and status not in (403, 404):
                failures.append(
                    f"{method} {route.path}: let {role or 'no-role'} in without {route.capability} ({status})"
                )
    assert failures == []


def test_anonymous_visitors_are_sent_to_sign_in_or_told_401(client, db):
    failures = []
    for route in ROUTES:
        if route.capability in (PUBLIC, SECRET_LINK):
            continue
        for method in route.methods or ("GET",):
            response = _request(client, route, method)
            if route.is_api:
                ok = response.status_code == 401 and response["Content-Type"] == "application/problem+json"
            else:
                ok = response.status_code in (302, 405) and (
                    response.status_code == 405 or "/account/login/" in response["Location"]
                )
            if not ok:
                failures.append(f"{method} {route.path}: {response.status_code}")
    assert failures == []


def test_public_routes_never_fail_for_anyone(client, db):
    for route in ROUTES:
        if route.capability != PUBLIC:
            continue
        assert client.get(route.path).status_code < 500, route.path


def test_a_secret_link_without_its_secret_is_a_404_for_everyone(client, db):
    people = [None, *(make_staff(f"link_{role or 'none'}", role) for role in ROLES)]
    for person in people[1:]:
        enrol_totp(person)
    for route in (r for r in ROUTES if r.capability == SECRET_LINK):
        for person in people:
            client.logout()
            if person is not None:
                client.force_login(person)
            assert client.get(route.path).status_code == 404, (route.path, person)


def test_unknown_routes_get_a_plain_404(client, db):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    api_response = client.get("/api/v1/no-such-thing")
    assert api_response.status_code == 404
    assert api_response.json()["status"] == 404
