from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.patients import paperwork
from clinicdesk.patients.models import CommPreferenceChange, Consent, Guarantor, NppAcknowledgment
from clinicdesk.patients.services import PatientInput, patient_register

PROBLEM = "application/problem+json"


@pytest.fixture
def patient(front_desk):
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={
                "first_name": "Jane",
                "last_name": "Doe",
                "date_of_birth": date(1962, 3, 14),
                "sex_at_birth": "F",
                "email": "jane@example.com",
            },
            phones={"mobile": "(202) 555-0123"},
        ),
    )


def _events(object_type):
    return AuditEvent.objects.filter(object_type=object_type).exclude(action=Action.READ)


def test_reminders_go_only_to_consented_opted_in_channels(front_desk, patient):
    today = app_clock.today()
    paperwork.comm_preference_set(
        actor=front_desk,
        patient=patient,
        data=paperwork.CommPreferenceInput(
            channel="sms", consent=True, consent_date=today, consent_source="in_person", reminder_opt_in=True
        ),
    )
    paperwork.comm_preference_set(
        actor=front_desk,
        patient=patient,
        data=paperwork.CommPreferenceInput(channel="email", consent=True, consent_date=today, consent_source="portal"),
    )
    assert paperwork.comm_channels_allowed(patient=patient) == ["sms"]
    assert paperwork.comm_channels_allowed(patient=patient, purpose="general") == ["email", "sms"]
    assert _events("comm_preference").count() == 2


def test_a_consent_change_is_logged_not_overwritten(front_desk, patient):
    today = app_clock.today()
    yes = paperwork.CommPreferenceInput(channel="sms", consent=True, consent_date=today, consent_source="phone")
    paperwork.comm_preference_set(actor=front_desk, patient=patient, data=yes)
    assert paperwork.comm_preference_set(actor=front_desk, patient=patient, data=yes) == []
    changed = paperwork.comm_preference_set(
        actor=front_desk, patient=patient, data=paperwork.CommPreferenceInput(channel="sms", consent=False)
    )
    assert "consent" in changed
    assert [c.consent for c in CommPreferenceChange.objects.order_by("id")] == [True, False]
    assert paperwork.comm_channels_allowed(patient=patient, purpose="general") == []


def test_bad_preferences_are_refused_by_field(front_desk, patient):
    with pytest.raises(ValidationError) as exc:
        paperwork.comm_preference_set(
            actor=front_desk,
            patient=patient,
            data=paperwork.CommPreferenceInput(channel="mail", consent=True, reminder_opt_in=False),
        )
    errors = exc.value.message_dict
    assert {"consent_date", "consent_source", "consent"} <= set(errors)
    assert "postal address" in errors["consent"][0]
    with pytest.raises(ValidationError) as exc:
        paperwork.comm_preference_set(
            actor=front_desk, patient=patient, data=paperwork.CommPreferenceInput(channel="sms", reminder_opt_in=True)
        )
    assert "consent" in exc.value.message_dict["reminder_opt_in"][0]


def test_a_new_guarantor_supersedes_the_old_one(front_desk, patient):
    person = paperwork.GuarantorInput(
        kind="person",
        relationship="parent",
        first_name="Mary",
        last_name="Doe",
        date_of_birth=date(1940, 1, 1),
        phone="202-555-0199",
        address_line1="1 Main St",
        city="Albany",
        state="ny",
        zip_code="12207",
    )
    first = paperwork.guarantor_set(actor=front_desk, patient=patient, data=person)
    assert first.phone == "+12025550199" and first.state == "NY"
    second = paperwork.guarantor_set(actor=front_desk, patient=patient, data=paperwork.GuarantorInput())
    first.refresh_from_db()
    assert not first.is_current and second.is_current and second.kind == "self"
    assert Guarantor.objects.count() == 2
    assert _events("guarantor").count() == 2


def test_a_person_guarantor_needs_name_and_address(front_desk, patient):
    with pytest.raises(ValidationError) as exc:
        paperwork.guarantor_set(actor=front_desk, patient=patient, data=paperwork.GuarantorInput(kind="person"))
    assert {"first_name", "last_name", "relationship", "address_line1", "zip_code"} <= set(exc.value.message_dict)
    assert not Guarantor.objects.exists()


def test_a_release_needs_a_recipient_scope_and_a_future_expiry(front_desk, patient):
    today = app_clock.today()
    with pytest.raises(ValidationError) as exc:
        paperwork.consent_record(
            actor=front_desk,
            patient=patient,
            data=paperwork.ConsentInput(kind="release", signed_on=today, expires_on=today - timedelta(days=1)),
        )
    errors = exc.value.message_dict
    assert {"recipient_name", "recipient_relationship", "scope"} <= set(errors)
    assert "before today" in errors["expires_on"][0]
    assert not Consent.objects.exists()


def test_a_revoked_consent_stays_in_history(front_desk, patient):
    today = app_clock.today()
    consent = paperwork.consent_record(
        actor=front_desk,
        patient=patient,
        data=paperwork.ConsentInput(
            kind="release",
            signed_on=today,
            recipient_name="John Doe",
            recipient_relationship="spouse",
            scope="appointment dates",
            expires_on=today + timedelta(days=365),
        ),
    )
    assert paperwork.consents_active(patient=patient) == [consent]
    paperwork.consent_revoke(actor=front_desk, consent=consent, reason="changed mind")
    assert paperwork.consents_active(patient=patient) == []
    assert Consent.objects.get().revoke_reason == "changed mind"
    with pytest.raises(ValidationError):
        paperwork.consent_revoke(actor=front_desk, consent=consent)
    assert [e.action for e in _events("consent").order_by("seq")] == ["create", "update"]


def test_an_npp_refusal_needs_a_reason(front_desk, patient):
    data = paperwork.NppInput(version="2026-01", acknowledged_on=app_clock.today(), method="refused")
    with pytest.raises(ValidationError) as exc:
        paperwork.npp_acknowledge(actor=front_desk, patient=patient, data=data)
    assert "note" in exc.value.message_dict
    data.note = "declined to sign"
    paperwork.npp_acknowledge(actor=front_desk, patient=patient, data=data)
    assert NppAcknowledgment.objects.get().refused
    assert _events("npp_ack").count() == 1


def test_the_chart_shows_privacy_and_communication_cards(as_user, front_desk, clinician, patient):
    paperwork.npp_acknowledge(
        actor=front_desk,
        patient=patient,
        data=paperwork.NppInput(version="2026-01", acknowledged_on=app_clock.today(), method="e_signature"),
    )
    body = as_user(clinician).get(f"/patients/{patient.mrn}/").content.decode()
    card = body.split('id="privacy-h"')[1].split("</section>")[0]
    assert "version 2026-01" in card and "Add consent" not in card
    assert 'id="comm-h"' in body
    body = as_user(front_desk).get(f"/patients/{patient.mrn}/").content.decode()
    assert f"/patients/{patient.mrn}/privacy/consents/new/" in body


def test_the_front_desk_records_a_consent_on_the_page(as_user, front_desk, patient):
    client = as_user(front_desk)
    url = f"/patients/{patient.mrn}/privacy/consents/new/"
    response = client.post(url, {"kind": "release", "signed_on": "01/02/2026", "recipient_name": "John"})
    assert response.status_code == 422 and "expires_on" in response.context["form"].errors
    assert not Consent.objects.exists()
    expiry = (app_clock.today() + timedelta(days=30)).strftime("%m/%d/%Y")
    response = client.post(
        url,
        {
            "kind": "release",
            "signed_on": "01/02/2026",
            "recipient_name": "John",
            "recipient_relationship": "brother",
            "scope": "lab results",
            "expires_on": expiry,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert (
        client.post(
            f"/patients/{patient.mrn}/privacy/consents/{consent.public_id}/revoke/",
            {"revoked_on": app_clock.today().strftime("%m/%d/%Y")},
        ).status_code
        == 302
    )
    assert "Revoked" in client.get(f"/patients/{patient.mrn}/privacy/").content.decode()


def test_the_communication_page_saves_all_channels_or_none(as_user, front_desk, patient):
    client = as_user(front_desk)
    url = f"/patients/{patient.mrn}/communication/"
    assert client.get(url).status_code == 200
    today = app_clock.today().strftime("%m/%d/%Y")
    form = {f"{c}-contact_time": "any" for c in ("email", "sms", "voice", "mail")}
    bad = {**form, "sms-consent": "on", "sms-consent_date": today, "sms-consent_source": "form", "mail-consent": "on"}
    response = client.post(url, bad)
    assert response.status_code == 422 and not paperwork.comm_channels_allowed(patient=patient, purpose="general")
    good = {
        **form,
        "sms-consent": "on",
        "sms-consent_date": today,
        "sms-consent_source": "form",
        "sms-reminder_opt_in": "on",
    }
    assert client.post(url, good).status_code == 302
    assert paperwork.comm_channels_allowed(patient=patient) == ["sms"]


@pytest.mark.parametrize("persona", ["clinician", "biller", "auditor", "outsider"])
def test_only_front_desk_and_managers_record_paperwork(request, as_user, patient, persona):
    person = request.getfixturevalue(persona)
    response = as_user(person).post(
        f"/patients/{patient.mrn}/privacy/npp/new/",
        {"version": "1", "acknowledged_on": "01/02/2026", "method": "verbal"},
    )
    assert response.status_code in (403, 404) and not NppAcknowledgment.objects.exists()


def test_the_api_records_and_revokes_consents(as_user, front_desk, patient):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/consents"
    bad = client.post(url, {"kind": "release", "signed_on": "2026-01-02"}, content_type="application/json")
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    assert {"recipient_name", "scope", "expires_on"} <= {e["field"] for e in bad.json()["errors"]}
    created = client.post(url, {"kind": "treatment", "signed_on": "2026-01-02"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["active"] is True
    cid = created.json()["public_id"]
    revoked = client.post(f"{url}/{cid}/revoke", {"reason": "x"}, content_type="application/json")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert len(client.get(url).json()) == 1


def test_the_api_sets_preferences_and_guarantor(as_user, front_desk, office_manager, patient):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/communication-preferences"
    body = {
        "channels": [
            {
                "channel": "email",
                "consent": True,
                "consent_date": "2026-01-02",
                "consent_source": "portal",
                "reminder_opt_in": True,
            }
        ]
    }
    response = client.put(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["allowed_for_reminders"] == ["email"]
    other = patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Max", "last_name": "Doe", "date_of_birth": date(1960, 1, 1), "sex_at_birth": "M"}
        ),
    )
    gurl = f"/api/v1/patients/{patient.mrn}/guarantor"
    assert client.get(gurl).json()["kind"] == "self"
    put = client.put(
        gurl, {"kind": "patient", "guarantor_mrn": other.mrn, "relationship": "spouse"}, content_type="application/json"
    )
    assert put.status_code == 200 and put.json()["guarantor_mrn"] == other.mrn
    selfref = client.put(
        gurl,
        {"kind": "patient", "guarantor_mrn": patient.mrn, "relationship": "spouse"},
        content_type="application/json",
    )
    assert selfref.status_code == 422 and selfref.json()["errors"][0]["field"] == "guarantor_mrn"


def test_paperwork_pages_and_endpoints_query_no_model_directly():
    package = Path(__file__).resolve().parents[1]
    for name in ("paperwork_views.py", "paperwork_api.py"):
        text = (package / name).read_text()
        assert not re.search(r"\.objects\b|\._default_manager\b|\.raw\(", text), name


def test_the_api_records_and_answers_a_restriction(as_user, front_desk, patient):
    client = as_user(front_desk)
    url = f"/api/v1/patients/{patient.mrn}/restrictions"
    created = client.post(
        url, {"text": "No info to my employer", "requested_on": "2026-01-02"}, content_type="application/json"
    )
    assert created.status_code == 201 and created.json()["agreed"] is None
    decide = f"{url}/{created.json()['public_id']}/decide"
    assert client.post(decide, {"agreed": True}, content_type="application/json").json()["agreed"] is True
    again = client.post(decide, {"agreed": False}, content_type="application/json")
    assert again.status_code == 422 and again.json()["errors"][0]["field"] == "agreed"
    assert [e.action for e in _events("restriction").order_by("seq")] == ["create", "update"]


def test_a_merge_moves_every_paperwork_row_and_keeps_consent_history(front_desk, office_manager, patient):
    from clinicdesk.patients.merge import patient_merge, uncovered_relations

    mine = {"CommPreference", "Guarantor", "NppAcknowledgment", "Consent", "Restriction"}
    assert [r for r in uncovered_relations() if r.split(".")[1] in mine] == []
    today = app_clock.today()
    twin = patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"},
            phones={"mobile": "(202) 555-0124"},
        ),
    )
    for who in (patient, twin):
        paperwork.comm_preference_set(
            actor=front_desk,
            patient=who,
            data=paperwork.CommPreferenceInput(channel="sms", consent=True, consent_date=today, consent_source="form"),
        )
        paperwork.guarantor_set(actor=front_desk, patient=who, data=paperwork.GuarantorInput())
        paperwork.npp_acknowledge(
            actor=front_desk,
            patient=who,
            data=paperwork.NppInput(version="1", acknowledged_on=today, method="verbal"),
        )
    paperwork.consent_record(
        actor=front_desk, patient=twin, data=paperwork.ConsentInput(kind="treatment", signed_on=today)
    )
    patient_merge(actor=office_manager, survivor=patient, merged=twin)
    assert NppAcknowledgment.objects.filter(patient=patient).count() == 2
    assert Consent.objects.get().patient == patient
    assert Guarantor.objects.filter(patient=patient).count() == 2
    assert Guarantor.objects.filter(patient=patient, superseded_at__isnull=True).count() == 1
    assert CommPreferenceChange.objects.filter(preference__patient=patient).count() == 2
    assert not Guarantor.objects.filter(patient=twin).exists()


def test_the_paperwork_pages_open_and_record(as_user, front_desk, patient):
    client = as_user(front_desk)
    base = f"/patients/{patient.mrn}"
    for page in ("privacy/", "privacy/npp/new/", "privacy/consents/new/", "privacy/restrictions/new/", "guarantor/"):
        assert client.get(f"{base}/{page}").status_code == 200, page
    response = client.post(
        f"{base}/guarantor/", {"kind": "patient", "guarantor_mrn": "12345678", "relationship": "spouse"}
    )
    assert response.status_code == 422 and "guarantor_mrn" in response.context["form"].errors
    assert client.post(f"{base}/guarantor/", {"kind": "self"}).status_code == 302
    response = client.post(
        f"{base}/privacy/restrictions/new/",
        {"text": "Not to my employer", "requested_on": "01/02/2026", "agreed": "no"},
    )
    assert response.status_code == 302
    page = client.get(f"{base}/privacy/").content.decode()
    assert "Not to my employer" in page and "Not agreed" in page and "Luis Moreno" in page
    assert Guarantor.objects.get().kind == "self"


# --- answering a restriction request on the page ---------------------------------------------------


@pytest.fixture
def pending(front_desk, patient):
    data = paperwork.RestrictionInput(text="No info to my employer", requested_on=date(2026, 1, 2))
    return paperwork.restriction_request(actor=front_desk, patient=patient, data=data)


def _decide_url(restriction):
    return f"/patients/{restriction.patient.mrn}/privacy/restrictions/{restriction.public_id}/decide/"


def test_the_office_manager_answers_a_pending_restriction_from_the_chart(as_user, office_manager, patient, pending):
    client = as_user(office_manager)
    chart = client.get(f"/patients/{patient.mrn}/").content.decode()
    assert _decide_url(pending) in chart.split('id="privacy-h"')[1].split("</section>")[0]
    assert _decide_url(pending) in client.get(f"/patients/{patient.mrn}/privacy/").content.decode()
    page = client.get(_decide_url(pending))
    assert page.status_code == 200 and "No info to my employer" in page.content.decode()

    missing = client.post(_decide_url(pending), {"agreed": ""})
    assert missing.status_code == 422 and "Choose agreed or not agreed." in missing.context["form"].errors["agreed"]
    pending.refresh_from_db()
    assert pending.agreed is None

    before = _events("restriction").count()
    response = client.post(_decide_url(pending), {"agreed": "yes"})
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.mrn}/"
    pending.refresh_from_db()
    assert (pending.agreed, pending.decided_by) == (True, office_manager)
    assert _events("restriction").count() - before == 1
    assert _decide_url(pending) not in client.get(f"/patients/{patient.mrn}/privacy/").content.decode()


def test_an_answered_restriction_is_not_answered_again_on_the_page(as_user, office_manager, patient, pending):
    client = as_user(office_manager)
    assert client.post(_decide_url(pending), {"agreed": "no"}).status_code == 302
    again = client.post(_decide_url(pending), {"agreed": "yes"})
    assert again.status_code == 422
    assert "already answered: not agreed" in again.context["form"].errors["agreed"][0]
    assert 'id="id_agreed_error"' in again.content.decode()  # beside the field, not only on top
    pending.refresh_from_db()
    assert pending.agreed is False and _events("restriction").filter(action=Action.UPDATE).count() == 1


@pytest.mark.parametrize("persona", ["clinician", "biller", "auditor", "outsider"])
def test_only_those_who_record_paperwork_answer_a_restriction(request, as_user, pending, persona):
    response = as_user(request.getfixturevalue(persona)).post(_decide_url(pending), {"agreed": "yes"})
    assert response.status_code in (403, 404)
    pending.refresh_from_db()
    assert pending.agreed is None and pending.decided_by is None


@pytest.mark.parametrize("persona", ["office_manager", "front_desk", "clinician", "biller", "auditor", "outsider"])
def test_the_page_and_the_api_let_the_same_people_answer(request, as_user, front_desk, patient, persona):
    """One capability for both ways in: whoever the API lets answer, the page lets answer, and no one else."""
    person = request.getfixturevalue(persona)
    outcomes = []
    for via_api in (False, True):
        data = paperwork.RestrictionInput(text="Not to my employer", requested_on=date(2026, 1, 2))
        restriction = paperwork.restriction_request(actor=front_desk, patient=patient, data=data)
        client = as_user(person)
        if via_api:
            url = f"/api/v1/patients/{patient.mrn}/restrictions/{restriction.public_id}/decide"
            response = client.post(url, {"agreed": True}, content_type="application/json")
        else:
            response = client.post(_decide_url(restriction), {"agreed": "yes"})
        restriction.refresh_from_db()
        outcomes.append((response.status_code in (403, 404), restriction.agreed))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] in ((True, None), (False, True))
