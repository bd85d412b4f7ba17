"""The series API: plan, book with choices, this / following, problem details for refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clinicdesk.scheduling.models import Appointment, AppointmentSeries
from conftest import api_token_for

from .factories import make_weekday_practice
from .helpers import book_one, local, monday_at, rows


@pytest.fixture
def p(office_manager, front_desk, clinician):
    return make_weekday_practice(office_manager, front_desk, clinician)


@pytest.fixture
def api(client, p):
    token = api_token_for(p.actor, name="desk", days=1)

    def post(path, body):
        return client.post(
            f"/api/v1/scheduling/{path}",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    return post


def _body(p, start, **extra):
    return {
        "patient_mrn": p.jane.mrn,
        "provider": str(p.provider.public_id),
        "location": str(p.location.public_id),
        "appointment_type": str(p.kind.public_id),
        "room": str(p.rooms[0].public_id),
        "starts_at": start.isoformat(),
        "unit": "weeks",
        "interval": 1,
        "count": 4,
        **extra,
    }


def test_plan_then_book_with_choices_then_edit_and_cancel_following(api, p):
    start = monday_at()
    book_one(p, start + timedelta(weeks=1), patient=p.joe)
    plan = api("series/plan", _body(p, start))
    assert plan.status_code == 200, plan.content
    assert plan.json()["conflicts"] == 1
    second = plan.json()["occurrences"][1]
    assert not second["bookable"] and "already has an appointment" in second["problem"] and second["suggestions"]

    refused = api("series", _body(p, start))
    assert refused.status_code == 409 and refused["Content-Type"].startswith("application/problem+json")
    assert "Visit 2" in refused.json()["errors"][0]["message"] and not AppointmentSeries.objects.exists()

    made = api("series", _body(p, start, choices=[{"index": 2, "starts_at": second["suggestions"][0]}]))
    assert made.status_code == 201, made.content
    visits = made.json()["appointments"]
    assert [v["series_index"] for v in visits] == [1, 2, 3, 4]

    edited = api(
        f"appointments/{visits[2]['public_id']}/series-edit", {"scope": "following", "starts_at_time": "13:30"}
    )
    assert edited.status_code == 200, edited.content
    series = AppointmentSeries.objects.get()
    assert [(local(v).hour, local(v).minute) for v in rows(series)][2:] == [(13, 30), (13, 30)]

    cancelled = api(f"appointments/{visits[3]['public_id']}/series-cancel", {"scope": "this", "reason": "Away"})
    assert cancelled.status_code == 200 and cancelled.json()["appointments"][3]["status"] == "cancelled"
    assert Appointment.objects.filter(series=series).count() == 4


def test_bad_rules_answer_422_naming_the_field(api, p):
    start = monday_at()
    too_many = api("series/plan", _body(p, start, count=10_000))
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "count"
    assert "at most 104 visits" in too_many.json()["errors"][0]["message"]
    both = api("series", _body(p, start, until=(start + timedelta(weeks=3)).date().isoformat()))
    assert both.status_code == 422 and "not both" in both.json()["errors"][0]["message"]
    clock = api(f"appointments/{Appointment().public_id}/series-edit", {"scope": "this", "starts_at_time": 3600})
    assert clock.status_code == 422
    assert not Appointment.objects.exists()


def test_an_appointment_outside_a_series_is_refused(api, p):
    single = book_one(p, monday_at())
    answer = api(f"appointments/{single.public_id}/series-cancel", {"scope": "this", "reason": "x"})
    assert answer.status_code == 422 and "not part of a series" in answer.json()["errors"][0]["message"]
