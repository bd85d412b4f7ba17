"""The recalls API: the same services as the pages, problem details naming the field, the matrix."""

from __future__ import annotations

from datetime import timedelta

from clinicdesk.clinical.models import Recall, RecallStatus
from clinicdesk.core import clock as app_clock
from conftest import api_token_for

from .helpers import backdate, new_recall

BASE = "/api/v1/clinical/recalls"


def _auth(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(user, name='api', days=1)}"}


def _post(client, path, body, user):
    return client.post(path, data=body, content_type="application/json", **_auth(user))


def test_a_nurse_creates_a_recall_from_a_visit_with_an_interval(client, rp, nurse):
    body = {
        "encounter": str(rp.encounter.public_id),
        "appointment_type": str(rp.kind.public_id),
        "interval": "2 weeks",
        "reason": "BP check",
    }
    response = _post(client, BASE, body, nurse)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["patient_mrn"] == rp.jane.mrn
    assert data["due_on"] == (rp.encounter.date_of_service + timedelta(weeks=2)).isoformat()
    assert (data["status"], data["state"]) == ("due", "due")
    assert Recall.objects.get().encounter == rp.encounter


def test_a_bad_interval_answers_422_naming_the_field(client, rp, nurse):
    body = {"patient_mrn": rp.jane.mrn, "appointment_type": str(rp.kind.public_id), "interval": "soon", "reason": "x"}
    response = _post(client, BASE, body, nurse)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["interval"]
    assert not Recall.objects.exists()


def test_an_unknown_type_or_missing_patient_is_named(client, rp, nurse):
    unknown = _post(
        client, BASE, {"appointment_type": str(rp.jane.public_id), "interval": "1 week", "reason": "x"}, nurse
    )
    assert unknown.status_code == 422
    assert {e["field"] for e in unknown.json()["errors"]} == {"patient_mrn"}
    body = {"patient_mrn": rp.jane.mrn, "appointment_type": str(rp.jane.public_id), "interval": "1 week", "reason": "x"}
    assert [e["field"] for e in _post(client, BASE, body, nurse).json()["errors"]] == ["appointment_type"]


def test_the_front_desk_lists_contacts_and_closes(client, rp, clinician, front_desk):
    recall = backdate(new_recall(clinician, rp), app_clock.today() - timedelta(days=2))
    listed = client.get(BASE, {"state": "overdue"}, **_auth(front_desk))
    assert listed.status_code == 200
    data = listed.json()
    assert data["total"] == 1
    (item,) = data["items"]
    assert (item["public_id"], item["days_overdue"], item["phone"]) == (str(recall.public_id), 2, "(202) 555-0123")
    contacted = _post(client, f"{BASE}/{recall.public_id}/contact", {"note": "left voicemail"}, front_desk)
    assert contacted.status_code == 200 and contacted.json()["status"] == "contacted"
    blank = _post(client, f"{BASE}/{recall.public_id}/close", {"reason": ""}, front_desk)
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    closed = _post(client, f"{BASE}/{recall.public_id}/close", {"reason": "moved away"}, front_desk)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    again = _post(client, f"{BASE}/{recall.public_id}/close", {"reason": "again"}, front_desk)
    assert again.status_code == 409
    recall.refresh_from_db()
    assert (recall.status, recall.closed_reason) == (RecallStatus.CLOSED, "moved away")


def test_bad_list_filters_are_named(client, rp, front_desk):
    response = client.get(BASE, {"state": "someday"}, **_auth(front_desk))
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "state"
    today = app_clock.today()
    response = client.get(
        BASE, {"due_from": today.isoformat(), "due_to": (today - timedelta(days=1)).isoformat()}, **_auth(front_desk)
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "due_to"


def test_billers_cannot_read_or_create_and_the_front_desk_cannot_create(client, rp, clinician, biller, front_desk):
    recall = new_recall(clinician, rp)
    assert client.get(BASE, **_auth(biller)).status_code == 403
    assert client.get(f"{BASE}/{recall.public_id}", **_auth(biller)).status_code == 403
    body = {"patient_mrn": rp.jane.mrn, "appointment_type": str(rp.kind.public_id), "interval": "1 week", "reason": "x"}
    assert _post(client, BASE, body, front_desk).status_code == 403
    assert Recall.objects.count() == 1
