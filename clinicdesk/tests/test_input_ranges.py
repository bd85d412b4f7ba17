"""Every date, date-time and number the API takes has a plausible range (core.ranges).

The walk reads the API's own OpenAPI document (/api/v1/openapi.json), finds every operation
with a date, date-time or number among its path, query and body fields (nested ones too), and
sends each such field the extremes — year 0001, 9999-12-31, 1e308, -1e308, NaN and Infinity as
text, 10**30 — as a role that may use the operation. Each must answer 422 naming that field,
with the allowed range in words; never 5xx. Then it sends each field the first and the last
value of its range, on a body otherwise filled in, so rows at the edges of the ranges are
written; afterwards every page and list that shows the practice's records must still answer
200. A new endpoint with an unbounded date or number fails here.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from clinicdesk.api import api
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.core import clock, ranges
from clinicdesk.core.capabilities import Role, role_can
from clinicdesk.core.guards import declared_capability
from clinicdesk.core.ranges import Span
from clinicdesk.patients.models import Payer, PayerType
from clinicdesk.scheduling.models import AppointmentStatus
from clinicdesk.scheduling.tests.factories import make_appointment
from conftest import sign_in

BAD_DATES = ["0001-01-01", "9999-12-31", "1899-12-31"]
BAD_DATETIMES = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00-05:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-05:00",
]
BAD_NUMBERS: list[Any] = [1e308, -1e308, "NaN", "Infinity", "-Infinity", 10**30, -(10**30)]
# Roles in the order the walk picks one that holds an operation's capability.
ROLES = [Role.OFFICE_MANAGER, Role.CLINICIAN, Role.NURSE, Role.FRONT_DESK, Role.BILLER, Role.AUDITOR, Role.ADMIN]
RANGE_WORDS = re.compile(r"\b(between|from)\b.+\b(and|to)\b")


def _capabilities() -> dict[str, str | None]:
    """operationId -> the capability the endpoint declares."""
    found: dict[str, str | None] = {}

    def walk(router) -> None:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                found[api.get_openapi_operation_id(operation)] = declared_capability(operation.view_func)
        for entry in router._routers:
            walk(entry[1])

    for entry in api._routers:
        walk(entry[1])
    return found


@dataclass
class Input:
    where: str  # path, query or body
    path: tuple[str | int, ...]  # body: keys and list indexes down to the field
    kind: str  # date, date-time, integer, number
    schema: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return ".".join(str(part) for part in self.path)


class Spec:
    def __init__(self, document: dict) -> None:
        self.document = document
        self.components = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            schema = self.components[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def kind(self, schema: dict) -> tuple[str | None, dict]:
        """The scalar kind a (possibly nullable) schema takes, and the schema that says so."""
        schema = self.resolve(schema)
        for option in schema.get("anyOf", []) + schema.get("allOf", []):
            found, inner = self.kind(option)
            if found:
                merged = {**inner, **{k: v for k, v in schema.items() if k not in ("anyOf", "allOf")}}
                return found, merged
        if schema.get("format") in ("date", "date-time"):
            return schema["format"], schema
        if schema.get("type") in ("integer", "number"):
            return schema["type"], schema
        if "minimum" in schema and "maximum" in schema:  # a bounded Decimal: number or text
            return "number", schema
        return None, schema

    def inputs(self, operation: dict) -> list[Input]:
        found: list[Input] = []
        for parameter in operation.get("parameters", []):
            kind, schema = self.kind(parameter["schema"])
            if kind:
                found.append(Input(parameter["in"], (parameter["name"],), kind, schema))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            self._walk_body(self.resolve(body), (), found)
        return found

    def _walk_body(self, schema: dict, path: tuple, found: list[Input]) -> None:
        for name, sub in self.resolve(schema).get("properties", {}).items():
            kind, inner = self.kind(sub)
            if kind:
                found.append(Input("body", (*path, name), kind, inner))
                continue
            sub = self.resolve(sub)
            options = [self.resolve(o) for o in sub.get("anyOf", [sub])]
            for option in options:
                if option.get("type") == "array":
                    item_kind, item = self.kind(option.get("items", {}))
                    if item_kind:
                        found.append(Input("body", (*path, name, 0), item_kind, item))
                    elif self.resolve(option.get("items", {})).get("properties"):
                        self._walk_body(option["items"], (*path, name, 0), found)
                elif option.get("properties"):
                    self._walk_body(option, (*path, name), found)


@pytest.fixture
def world(office_manager, clinician, front_desk, nurse, biller, auditor, admin_user):
    clinic = make_clinic(office_manager, clinician, front_desk)
    encounter = make_encounter(clinician, clinic, day=clock.today())
    appointment = make_appointment(
        front_desk,
        patient=clinic.patient,
        provider=clinic.provider,
        location=clinic.location,
        kind=clinic.kind,
        starts_at=clock.now().replace(microsecond=0) + timedelta(days=3),
        status=AppointmentStatus.SCHEDULED,
    )
    payer = Payer.objects.create(name="Range Mutual", payer_id="RANGE1", payer_type=PayerType.values[0])
    people = {
        Role.OFFICE_MANAGER: office_manager,
        Role.CLINICIAN: clinician,
        Role.NURSE: nurse,
        Role.FRONT_DESK: front_desk,
        Role.BILLER: biller,
        Role.AUDITOR: auditor,
        Role.ADMIN: admin_user,
    }
    ids = {
        "mrn": clinic.patient.mrn,
        "patient_mrn": clinic.patient.mrn,
        "provider": str(clinic.provider.public_id),
        "location": str(clinic.location.public_id),
        "appointment_type": str(clinic.kind.public_id),
        "payer": str(payer.public_id),
        "encounter": str(encounter.public_id),
        "encounter_id": str(encounter.public_id),
        "appointment": str(appointment.public_id),
    }
    return type("World", (), {"clinic": clinic, "encounter": encounter, "appointment": appointment, "people": people,
                              "ids": ids})  # fmt: skip


def _client_as(client, world, capability: str | None):
    for role in ROLES:
        if capability is not None and role_can(role, capability):
            client.logout()
            return sign_in(client, world.people[role]), role
    raise AssertionError(f"no role holds {capability}")


def _path_for(template: str, world, overrides: dict[str, str]) -> str:
    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name in overrides:
            return overrides[name]
        return world.ids.get(name, str(uuid.uuid4()))

    return re.sub(r"\{(?:\w+:)?(\w+)\}", fill, template)


def _placeholder(spec: Spec, name: str, schema: dict, world) -> Any:
    """A plausible value for a required field the walk is not testing."""
    schema = spec.resolve(schema)
    if name in world.ids:
        return world.ids[name]
    if "enum" in schema:
        return schema["enum"][0]
    options = [spec.resolve(o) for o in schema.get("anyOf", [])]
    if options:
        return _placeholder(spec, name, next((o for o in options if o.get("type") != "null"), options[0]), world)
    kind, inner = spec.kind(schema)
    if kind == "date":
        return clock.today().isoformat()
    if kind == "date-time":
        return clock.now().isoformat()
    if kind in ("integer", "number"):
        return inner.get("minimum", 1)
    if schema.get("type") == "boolean":
        return False
    if schema.get("type") == "array":
        item = spec.resolve(schema.get("items", {}))
        if item.get("format") == "uuid" and name == "providers":
            return [world.ids["provider"]]
        return [_baseline(spec, item, world)] if item.get("properties") and schema.get("minItems") else []
    if schema.get("properties"):
        return _baseline(spec, schema, world)
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    return "Range check"


def _baseline(spec: Spec, schema: dict, world) -> dict:
    schema = spec.resolve(schema)
    required = set(schema.get("required", []))
    return {name: _placeholder(spec, name, sub, world) for name, sub in schema.get("properties", {}).items()
            if name in required}  # fmt: skip


def _body_with(base: dict, path: tuple, value: Any) -> dict:
    body = json.loads(json.dumps(base))
    cursor: Any = body
    for step, following in zip(path, path[1:], strict=False):
        if isinstance(step, int):
            while len(cursor) <= step:
                cursor.append({} if not isinstance(following, int) else [])
            cursor = cursor[step]
        else:
            cursor = cursor.setdefault(step, [] if isinstance(following, int) else {})
    last = path[-1]
    if isinstance(last, int):
        while len(cursor) <= last:
            cursor.append(None)
    cursor[last] = value
    return body


def _send(client, method: str, template: str, item: Input, value: Any, world, base: dict):
    path_values, query, body = {}, {}, base
    if item.where == "path":
        path_values[item.name] = str(value)
    elif item.where == "query":
        query[item.name] = value if isinstance(value, str) else json.dumps(value)
    else:
        body = _body_with(base, item.path, value)
    url = _path_for(template, world, path_values)
    if method == "get":
        return client.get(url, query)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.generic(method.upper(), url, json.dumps(body), content_type="application/json")


def _extremes(kind: str) -> list[Any]:
    return {"date": BAD_DATES, "date-time": BAD_DATETIMES}.get(kind, BAD_NUMBERS)


def _span_of(item: Input) -> Span:
    return Span(item.schema["x-range"])


def _edges(item: Input) -> list[Any]:
    """The first and the last value of the field's range (the ones that are still accepted)."""
    if item.kind == "date":
        return [day.isoformat() for day in ranges.date_bounds(_span_of(item))]
    if item.kind == "date-time":
        first, last = ranges.datetime_bounds(_span_of(item))
        return [(first + timedelta(minutes=1)).isoformat(), (last - timedelta(minutes=1)).isoformat()]
    return [item.schema["minimum"], item.schema["maximum"]]


def _operations(spec: Spec):
    for template, operations in spec.document["paths"].items():
        for method, operation in operations.items():
            inputs = spec.inputs(operation)
            if inputs:
                yield template, method, operation, inputs


def test_every_date_and_number_of_the_api_refuses_extremes_and_rows_at_the_edges_break_no_page(client, world):
    sign_in(client, world.people[Role.OFFICE_MANAGER])
    document = client.get("/api/v1/openapi.json").json()
    spec, capabilities = Spec(document), _capabilities()
    walked, unbounded, failures = 0, [], []
    for template, method, operation, inputs in _operations(spec):
        caller, _role = _client_as(client, world, capabilities[operation["operationId"]])
        body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        base = _baseline(spec, body_schema, world) if body_schema else {}
        for item in inputs:
            walked += 1
            declared = {"minimum", "maximum"} if item.kind in ("integer", "number") else {"x-range"}
            if not declared <= set(item.schema):
                unbounded.append(f"{operation['operationId']} {item.name}")
            for value in _extremes(item.kind):
                response = _send(caller, method, template, item, value, world, base)
                where = f"{method.upper()} {template} {item.name}={value!r}"
                if response.status_code != 422:
                    failures.append(f"{where}: {response.status_code} {response.content[:200]!r}")
                    continue
                # An item of a list of numbers is reported on the list ("weekdays", not "weekdays.0").
                names = {item.name, ".".join(str(p) for p in item.path[:-1]) if isinstance(item.path[-1], int) else ""}
                errors = [e for e in response.json().get("errors", []) if e["field"] in names]
                if not errors or not RANGE_WORDS.search(errors[0]["message"]):
                    failures.append(f"{where}: no range named for the field in {response.json()}")
            for value in _edges(item) if item.name not in unbounded else []:
                response = _send(caller, method, template, item, value, world, base)
                if response.status_code >= 500:
                    failures.append(f"{method.upper()} {template} {item.name}={value!r}: {response.status_code}")
    assert walked > 60
    assert unbounded == []
    assert failures == []
    _every_page_still_answers(client, world)


# --- Pages that show the practice's records ------------------------------------------------


def _html_routes():
    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    return list(walk(get_resolver().url_patterns))


PAGE_PARAMS = {"mrn", "public_id", "encounter_id"}


def _every_page_still_answers(client, world) -> None:
    """Every GET page of the patient, the encounter and the appointment (and every page without
    parameters) answers the office manager or the clinician with 200 (or a redirect); no 5xx."""
    values = {"mrn": world.clinic.patient.mrn}
    uuids = [str(world.encounter.public_id), str(world.appointment.public_id)]
    broken, shown = [], 0
    for route, _view in _html_routes():
        if route.startswith(("api/", "account/")) or "logout" in route or ".ics" in route:
            continue
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if not set(names) <= PAGE_PARAMS:
            continue
        candidates = [route]
        for name in names:
            candidates = [
                c.replace(m, value)
                for c in candidates
                for m in re.findall(rf"<(?:\w+:)?{name}>", c)[:1]
                for value in ([values[name]] if name in values else uuids)
            ]
        for path in candidates:
            path = "/" + path.replace("^", "").replace("$", "")
            answers = []
            for role in (Role.OFFICE_MANAGER, Role.CLINICIAN):
                client.logout()
                response = sign_in(client, world.people[role]).get(path)
                answers.append(response.status_code)
            if any(code >= 500 for code in answers):
                broken.append(f"{path}: {answers}")
            shown += any(code == 200 for code in answers)
    assert broken == []
    assert shown > 20


def test_the_walk_finds_the_fields_we_know_about(client, world):
    sign_in(client, world.people[Role.OFFICE_MANAGER])
    spec = Spec(client.get("/api/v1/openapi.json").json())
    names = {(operation["operationId"], item.name)
             for _t, _m, operation, inputs in _operations(spec) for item in inputs}  # fmt: skip
    for expected in [("vitals_create", "taken_at"), ("vitals_create", "temperature"), ("patient_create", "date_of_birth"),
                     ("appointment_create", "starts_at"), ("waitlist_entry_create", "weekdays.0"),
                     ("holiday_open", "day"), ("audit_event_list", "page"),
                     ("communication_preference_replace", "channels.0.consent_date")]:  # fmt: skip
        assert expected in names


def test_a_reading_at_the_patients_birth_is_kept_and_one_before_is_refused_naming_the_birth_date(client, world):
    born = world.clinic.patient.date_of_birth
    url = f"/api/v1/clinical/encounters/{world.encounter.public_id}/vitals"
    nurse = sign_in(client, world.people[Role.NURSE])
    at_birth = datetime(born.year, born.month, born.day, 12, tzinfo=UTC).isoformat()
    before = (datetime(born.year, born.month, born.day, 12, tzinfo=UTC) - timedelta(days=1)).isoformat()
    refused = nurse.post(url, {"pulse": 120, "taken_at": before}, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "taken_at"
    assert "before the patient's date of birth" in refused.json()["errors"][0]["message"]
    kept = nurse.post(url, {"pulse": 120, "taken_at": at_birth}, content_type="application/json")
    assert kept.status_code == 201
    assert world.encounter.vitals.count() == 1
    assert nurse.get(f"/clinical/encounters/{world.encounter.public_id}/").status_code == 200
