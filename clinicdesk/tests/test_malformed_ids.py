"""A public id in a URL or a query is whatever a person or a client typed: a malformed one is
answered like a missing record (404), on a route of each app, never with a 500. A NUL byte is
refused before any view runs by the NUL guard (core/nul_guard.py): 400 on a page, 422 problem
details from the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.urls import reverse

from clinicdesk.scheduling.models import Provider

MALFORMED = ["x", "0" * 400, "\x00", f"{uuid.UUID(int=1)}\x00", "not-a-uuid-zzzz-zzzz-zzzzzzzzzzzz", "%00"]


def refused(bad: str, *, api: bool = False) -> int:
    if "\x00" in bad:
        return 422 if api else 400
    return 404


@pytest.fixture(autouse=True)
def _a_fixed_day(clock):
    clock.set(datetime(2026, 3, 10, 15, 0, tzinfo=UTC))


@pytest.mark.parametrize("bad", MALFORMED)
def test_a_staff_page_with_a_malformed_id_is_a_404(as_user, office_manager, bad):
    response = as_user(office_manager).get(reverse("accounts:staff_detail", kwargs={"public_id": bad}))
    assert response.status_code == refused(bad)


@pytest.mark.parametrize("bad", MALFORMED)
def test_the_staff_api_with_a_malformed_id_is_a_404(as_user, office_manager, bad):
    response = as_user(office_manager).get(f"/api/v1/staff/{quote(bad, safe='')}")
    assert response.status_code == refused(bad, api=True)


@pytest.mark.parametrize("bad", MALFORMED)
def test_an_encounters_diagnoses_with_a_malformed_id_are_a_404(as_user, clinician, bad):
    response = as_user(clinician).get(f"/api/v1/clinical/encounters/{quote(bad, safe='')}/diagnoses")
    assert response.status_code == refused(bad, api=True)


@pytest.mark.parametrize("bad", ["", *MALFORMED])
def test_copying_availability_from_a_malformed_template_id_is_a_404(as_user, office_manager, clinician, bad):
    provider = Provider.objects.create(user=clinician, specialty="Family medicine")
    url = reverse("scheduling_setup:availability_template_new", kwargs={"public_id": provider.public_id})
    client = as_user(office_manager)
    assert client.get(url).status_code == 200
    response = client.get(url, {"copy": bad or " "})
    assert response.status_code == refused(bad)
