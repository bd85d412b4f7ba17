"""Allergies and the explicit "no known allergies" entry: never both active, one NKA, roles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinicdesk.audit.models import Action
from clinicdesk.clinical.allergies import (
    allergies_of,
    allergy_add,
    allergy_inactivate,
    allergy_mark_in_error,
    allergy_record_nka,
)
from clinicdesk.clinical.models import Allergy, AllergyStatus
from clinicdesk.core import clock as app_clock
from clinicdesk.core.errors import Conflict

from .helpers import audit_head, events_since

API = "/api/v1/clinical"


def test_adding_an_allergy_ends_no_known_allergies(clinician, patient):
    nka = allergy_record_nka(actor=clinician, patient=patient)
    head = audit_head()
    allergy = allergy_add(
        actor=clinician, patient=patient, substance=" Penicillin ", reaction="Hives", severity="severe"
    )
    nka.refresh_from_db()
    assert nka.status == AllergyStatus.INACTIVE
    assert (allergy.substance, allergy.severity, allergy.noted_on) == ("Penicillin", "severe", app_clock.today())
    assert [(e.action, e.object_id) for e in events_since(head)] == [
        (Action.UPDATE, str(nka.public_id)),
        (Action.CREATE, str(allergy.public_id)),
    ]
    assert all("Penicillin" not in e.detail + e.reason for e in events_since(head))


def test_no_known_allergies_is_refused_while_an_allergy_is_active(clinician, patient):
    latex = allergy_add(actor=clinician, patient=patient, substance="Latex")
    allergy_add(actor=clinician, patient=patient, substance="amoxicillin")
    with pytest.raises(Conflict) as refused:
        allergy_record_nka(actor=clinician, patient=patient)
    assert refused.value.messages == [
        "This patient has active allergies (amoxicillin, Latex). Inactivate them, or mark them entered in error, "
        "before recording no known allergies."
    ]
    assert not Allergy.objects.filter(no_known_allergies=True).exists()
    allergy_inactivate(actor=clinician, allergy=latex, reason="Outgrown")
    allergy_mark_in_error(actor=clinician, allergy=Allergy.objects.get(substance="amoxicillin"), reason="Wrong chart")
    assert allergy_record_nka(actor=clinician, patient=patient).no_known_allergies


def test_no_known_allergies_twice_is_refused_and_the_database_allows_one_active(clinician, patient):
    allergy_record_nka(actor=clinician, patient=patient)
    with pytest.raises(Conflict, match="already recorded"):
        allergy_record_nka(actor=clinician, patient=patient)
    with pytest.raises(IntegrityError), transaction.atomic():
        Allergy.objects.create(patient=patient, no_known_allergies=True, created_by=clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        Allergy.objects.create(patient=patient, no_known_allergies=True, substance="Peanut", created_by=clinician)


def test_the_same_substance_is_active_once_and_bad_input_is_named(clinician, patient):
    allergy_add(actor=clinician, patient=patient, substance="Peanuts")
    with pytest.raises(Conflict) as refused:
        allergy_add(actor=clinician, patient=patient, substance="PEANUTS")
    assert refused.value.message_dict == {"substance": ["PEANUTS is already on this patient's active allergy list."]}
    with pytest.raises(ValidationError) as bad:
        allergy_add(
            actor=clinician, patient=patient, substance="", severity="deadly",
            noted_on=app_clock.today() + timedelta(days=2),
        )  # fmt: skip
    assert set(bad.value.message_dict) == {"substance", "severity", "noted_on"}
    assert Allergy.objects.count() == 1


def test_inactivate_and_in_error_refuse_a_second_time(clinician, patient):
    allergy = allergy_add(actor=clinician, patient=patient, substance="Sulfa")
    allergy_inactivate(actor=clinician, allergy=allergy)
    with pytest.raises(Conflict):
        allergy_inactivate(actor=clinician, allergy=allergy)
    with pytest.raises(ValidationError) as refused:
        allergy_mark_in_error(actor=clinician, allergy=allergy, reason="")
    assert refused.value.message_dict == {"reason": ["Say why it was entered in error."]}
    allergy_mark_in_error(actor=clinician, allergy=allergy, reason="Not this patient")
    with pytest.raises(Conflict):
        allergy_mark_in_error(actor=clinician, allergy=allergy, reason="again")
    active, past = allergies_of(patient=patient)
    assert active == [] and past == [allergy]


def test_the_page_records_nka_then_an_allergy_and_explains_a_refusal(as_user, nurse, patient):
    client = as_user(nurse)
    url = f"/clinical/patients/{patient.mrn}/allergies/"
    empty = client.get(url)
    assert b"Allergies not yet recorded" in empty.content and b"Record \xe2\x80\x9cno known allergies" in empty.content
    assert client.post(url + "no-known-allergies/").status_code == 302
    assert b"No known allergies" in client.get(url).content
    bad = client.post(url + "add/", {"substance": "", "reaction": "Rash", "severity": "mild"})
    assert bad.status_code == 422 and b"Enter the substance" in bad.content and b'value="Rash"' in bad.content
    added = client.post(url + "add/", {"substance": "Codeine", "reaction": "Vomiting", "severity": "moderate"})
    assert added.status_code == 302
    assert list(Allergy.objects.filter(status="active").values_list("substance", flat=True)) == ["Codeine"]
    refused = client.post(url + "no-known-allergies/")
    assert refused.status_code == 409 and b"This patient has active allergies (Codeine)" in refused.content
    codeine = Allergy.objects.get(substance="Codeine")
    assert client.post(url + f"{codeine.public_id}/in-error/", {"reason": ""}).status_code == 422
    assert client.post(url + f"{codeine.public_id}/inactivate/", {"reason": ""}).status_code == 302
    codeine.refresh_from_db()
    assert codeine.status == AllergyStatus.INACTIVE


def test_billers_the_front_desk_and_the_office_manager_never_see_allergies(
    as_user, biller, front_desk, office_manager, patient
):
    for person in (biller, front_desk, office_manager):
        client = as_user(person)
        assert client.get(f"/clinical/patients/{patient.mrn}/allergies/").status_code == 403
        assert client.get(f"{API}/patients/{patient.mrn}/allergies").status_code == 403


def test_the_api_adds_records_nka_and_answers_409_beside_an_allergy(as_user, clinician, patient):
    client = as_user(clinician)
    url = f"{API}/patients/{patient.mrn}/allergies"
    nka = client.post(url + "/no-known-allergies", {}, content_type="application/json")
    assert nka.status_code == 201 and nka.json()["no_known_allergies"] is True
    bad = client.post(url, {"substance": "Egg", "severity": "deadly"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "severity"
    added = client.post(
        url, {"substance": "Egg", "reaction": "Wheeze", "severity": "severe", "noted_on": "2026-01-04"},
        content_type="application/json",
    )  # fmt: skip
    assert added.status_code == 201 and added.json()["noted_on"] == "2026-01-04"
    again = client.post(url + "/no-known-allergies", {}, content_type="application/json")
    assert again.status_code == 409 and "active allergies (Egg)" in again.json()["errors"][0]["message"]
    listing = client.get(url).json()
    assert [a["substance"] for a in listing["active"]] == ["Egg"]
    assert [a["no_known_allergies"] for a in listing["past"]] == [True]
    egg_id = added.json()["public_id"]
    done = client.post(f"{url}/{egg_id}/in-error", {"reason": "Wrong patient"}, content_type="application/json")
    assert done.json()["status"] == "in_error"
    assert client.post(f"{url}/{egg_id}/inactivate", {}, content_type="application/json").status_code == 409
    assert date.fromisoformat(listing["past"][0]["noted_on"]) <= app_clock.today()
