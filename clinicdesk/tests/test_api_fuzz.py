"""Fuzz the JSON API from its own OpenAPI document: whatever arrives, no 500 and no traceback.

Every generated request is sent twice through the real WSGI app: with an office manager's
token (who may use every endpoint) and with a front-desk token (refused most), so both the
validation and the refusal paths see hostile input. Errors must be RFC 9457 problem details.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from clinicdesk.api import api
from clinicdesk.core.capabilities import Role
from conftest import api_token_for, make_staff

schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
app = get_wsgi_application()


@pytest.fixture
def tokens(db):
    # Django closes its connections at the end of every WSGI request; inside a test transaction
    # that would close the test's own connection, so (as Django's test client does) not here.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    manager = make_staff("fuzz_manager", Role.OFFICE_MANAGER)
    clerk = make_staff("fuzz_clerk", Role.FRONT_DESK)
    yield [api_token_for(person, name="fuzz", days=1) for person in (manager, clerk)]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_never_fails_on_generated_input(case, tokens):
    for token in tokens:
        response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=[not_a_server_error])
        if response.status_code >= 400:
            headers = {name.lower(): values for name, values in response.headers.items()}
            assert headers["content-type"][0].startswith("application/problem+json"), response.text
            body = response.json()
            assert body["status"] == response.status_code and body["detail"]
