"""Amendment requests (HIPAA 164.526): recorded, then accepted as a linked addendum or denied with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import amendments, notes
from clinicdesk.clinical.models import Addendum, AmendmentRequest
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict
from conftest import api_token_for

from .factories import make_clinic, make_encounter

TEXT = {"subjective": "Smoker.", "objective": "BP 150/95.", "assessment": "Hypertension.", "plan": "Recheck."}
CHANGE = "I have never smoked; please correct the history."


@pytest.fixture
def signed(office_manager, clinician, front_desk):
    encounter = make_encounter(clinician, make_clinic(office_manager, clinician, front_desk))
    note = notes.note_start(actor=clinician, encounter=encounter)
    note = notes.note_save_draft(actor=clinician, note=note, version=1, **TEXT)
    return notes.note_sign(actor=clinician, note=note)


def _record(actor, note, **extra):
    values = {"received_on": app_clock.today(), "requested_change": CHANGE}
    values.update(extra)
    return amendments.amendment_request_record(actor=actor, patient=note.encounter.patient, note=note, **values)


def test_the_office_manager_records_a_request_due_in_60_days(office_manager, signed):
    request = _record(office_manager, signed, received_on=date(2026, 3, 2))
    assert request.status == "pending" and amendments.amendment_due_on(request) == date(2026, 5, 1)
    event = AuditEvent.objects.filter(object_type="amendment_request", action="create").get()
    assert "smoked" not in event.detail


def test_a_request_needs_a_date_not_in_the_future_and_words(office_manager, signed):
    with pytest.raises(ValidationError) as refused:
        _record(office_manager, signed, received_on=app_clock.today() + timedelta(days=1), requested_change=" ")
    assert set(refused.value.message_dict) == {"received_on", "requested_change"}
    with pytest.raises(ValidationError) as missing:
        _record(office_manager, signed, received_on=None)
    assert "received_on" in missing.value.message_dict
    assert not AmendmentRequest.objects.exists()


def test_front_desk_and_nurses_do_not_record_requests(front_desk, nurse, signed):
    for person in (front_desk, nurse):
        with pytest.raises(PermissionDenied):
            _record(person, signed)


def test_a_clinician_accepts_and_the_addendum_is_linked(office_manager, clinician, signed):
    request = _record(office_manager, signed)
    with pytest.raises(PermissionDenied):  # the office manager does not write clinical text
        amendments.amendment_accept(actor=office_manager, request=request, addendum_text="Never smoked.")
    with pytest.raises(ValidationError) as blank:
        amendments.amendment_accept(actor=clinician, request=request, addendum_text="")
    assert "addendum_text" in blank.value.message_dict
    addendum = amendments.amendment_accept(actor=clinician, request=request, addendum_text="Correction: never smoked.")
    stored = AmendmentRequest.objects.get(pk=request.pk)
    assert stored.status == "accepted" and stored.decided_by == clinician and stored.addendum == addendum
    assert Addendum.objects.get(amendment_request=stored).note_id == signed.pk
    with pytest.raises(Conflict, match="already accepted"):
        amendments.amendment_deny(actor=office_manager, request=stored, reason="Too late.")


def test_a_denial_keeps_the_request_and_the_reason(office_manager, signed):
    request = _record(office_manager, signed)
    with pytest.raises(ValidationError) as blank:
        amendments.amendment_deny(actor=office_manager, request=request, reason="  ")
    assert "reason" in blank.value.message_dict
    amendments.amendment_deny(actor=office_manager, request=request, reason="The history was recorded as given.")
    stored = AmendmentRequest.objects.get(pk=request.pk)
    assert stored.status == "denied" and stored.requested_change == CHANGE
    assert stored.denial_reason == "The history was recorded as given." and not Addendum.objects.exists()


def test_the_pages_record_list_and_decide(as_user, office_manager, clinician, signed):
    patient = signed.encounter.patient
    client = as_user(office_manager)
    new_url = reverse("clinical:amendment_new", kwargs={"mrn": patient.mrn})
    form = client.get(new_url)
    assert form.status_code == 200 and b'<label for="id_requested_change">' in form.content
    bad = client.post(new_url, {"received_on": "", "requested_change": "", "note": str(signed.public_id)})
    assert bad.status_code == 422 and b"Give the date the request was received." in bad.content
    made = client.post(
        new_url, {"received_on": "2026-03-02", "requested_change": CHANGE, "note": str(signed.public_id)}
    )
    assert made.status_code == 302
    request = AmendmentRequest.objects.get()
    assert request.note_id == signed.pk
    listing = client.get(reverse("clinical:amendments", kwargs={"mrn": patient.mrn})).content.decode()
    assert "05/01/2026" in listing and "Pending" in listing
    detail_url = reverse("clinical:amendment", kwargs={"public_id": request.public_id})
    detail = client.get(detail_url).content.decode()
    assert CHANGE.replace("'", "&#x27;") in detail and "Hypertension" not in detail  # no note text for the manager
    denied = client.post(reverse("clinical:amendment_deny", kwargs={"public_id": request.public_id}), {"reason": ""})
    assert denied.status_code == 422 and b"Write the reason for the denial" in denied.content
    accept_url = reverse("clinical:amendment_accept", kwargs={"public_id": request.public_id})
    assert client.post(accept_url, {"addendum_text": "x"}).status_code == 403
    accepted = as_user(clinician).post(accept_url, {"addendum_text": "Correction: never smoked."})
    assert accepted.status_code == 302
    assert AmendmentRequest.objects.get().status == "accepted"


def test_the_api_records_and_denies(client, office_manager, biller, signed):
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(office_manager, name='t', days=1)}"}
    path = f"/api/v1/clinical/patients/{signed.encounter.patient.mrn}/amendment-requests"
    made = client.post(path, data={"received_on": "2026-03-02", "requested_change": CHANGE,
                                   "note": str(signed.public_id)}, content_type="application/json", **auth)  # fmt: skip
    assert made.status_code == 201 and made.json()["due_on"] == "2026-05-01"
    public_id = made.json()["public_id"]
    blank = client.post(f"/api/v1/clinical/amendment-requests/{public_id}/deny", data={"reason": ""},
                        content_type="application/json", **auth)  # fmt: skip
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "reason"
    denied = client.post(f"/api/v1/clinical/amendment-requests/{public_id}/deny", data={"reason": "As given."},
                         content_type="application/json", **auth)  # fmt: skip
    assert denied.status_code == 200 and denied.json()["status"] == "denied"
    assert [r["status"] for r in client.get(path, **auth).json()] == ["denied"]
    biller_auth = {"HTTP_AUTHORIZATION": f"Bearer {api_token_for(biller, name='t', days=1)}"}
    assert client.get(path, **biller_auth).status_code == 403


def test_front_desk_billers_nurses_and_the_auditor_see_no_request(as_user, office_manager, front_desk, biller, nurse,
                                                                  auditor, signed):  # fmt: skip
    request = _record(office_manager, signed)
    mrn = signed.encounter.patient.mrn
    urls = [
        reverse("clinical:amendments", kwargs={"mrn": mrn}),
        reverse("clinical:amendment_new", kwargs={"mrn": mrn}),
        reverse("clinical:amendment", kwargs={"public_id": request.public_id}),
        reverse("clinical:amendment_deny", kwargs={"public_id": request.public_id}),
        reverse("clinical:amendment_accept", kwargs={"public_id": request.public_id}),
    ]
    for person in (front_desk, biller, nurse, auditor):
        client = as_user(person)
        for url in urls:
            for method in ("get", "post"):
                answer = getattr(client, method)(url, {"reason": "x"} if method == "post" else None)
                assert answer.status_code in (403, 405), (person.role, url, method)
                assert b"never smoked" not in answer.content
    assert AmendmentRequest.objects.get().status == "pending"
