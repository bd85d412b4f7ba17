from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients.coverage import CoverageInput, coverage_add
from clinicdesk.patients.models import Coverage, Payer, PayerType
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.patients.services import PatientInput, patient_register


@pytest.fixture
def patient(front_desk):
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
        ),
    )


@pytest.fixture
def aetna(biller):
    return payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054"))


@pytest.fixture
def primary(front_desk, patient, aetna):
    return coverage_add(
        actor=front_desk,
        patient=patient,
        data=CoverageInput(payer=aetna, priority="primary", effective_date=date(2026, 1, 1), member_id="w1234"),
    )


FORM = {
    "priority": "primary",
    "member_id": "1eg4-te5-mk73",
    "plan_name": "Part B",
    "effective_date": "01/01/2026",
    "relationship": "18",
}


def test_the_chart_shows_the_active_coverages(as_user, clinician, patient, primary):
    body = as_user(clinician).get(f"/patients/{patient.mrn}/").content.decode()
    card = body.split('id="ins-h"')[1].split("</section>")[0]
    assert "Aetna" in card and "W1234" in card and "Primary" in card
    assert f"/patients/{patient.mrn}/coverages/" in card
    assert "Add coverage" not in card  # clinicians read coverage, they do not register it


def test_the_chart_offers_add_and_end_to_the_front_desk(as_user, front_desk, patient, primary):
    body = as_user(front_desk).get(f"/patients/{patient.mrn}/").content.decode()
    assert f"/patients/{patient.mrn}/coverages/new/" in body
    assert f"/patients/{patient.mrn}/coverages/{primary.public_id}/end/" in body


def test_the_front_desk_adds_a_medicare_coverage(as_user, front_desk, biller, patient):
    medicare = payer_create(actor=biller, data=PayerInput(name="Medicare", payer_type="medicare", payer_id="13202"))
    response = as_user(front_desk).post(
        f"/patients/{patient.mrn}/coverages/new/", {**FORM, "payer": medicare.public_id}
    )
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.mrn}/"
    coverage = Coverage.objects.get()
    assert (coverage.member_id, coverage.payer, coverage.created_by) == ("1EG4TE5MK73", medicare, front_desk)
    assert AuditEvent.objects.filter(action=Action.CREATE, object_type="coverage").count() == 1


def test_an_invalid_mbi_is_shown_next_to_the_field(as_user, front_desk, biller, patient):
    medicare = payer_create(actor=biller, data=PayerInput(name="Medicare", payer_type="medicare", payer_id="13202"))
    bad = {**FORM, "payer": medicare.public_id, "member_id": "1SG4TE5MK73"}
    response = as_user(front_desk).post(f"/patients/{patient.mrn}/coverages/new/", bad)
    assert response.status_code == 422
    assert "MBI" in response.context["form"].errors["member_id"][0]
    assert 'value="Part B"' in response.content.decode()
    assert not Coverage.objects.exists()


def test_a_second_primary_is_refused_on_the_page_with_the_payer_named(as_user, biller, patient, aetna, primary):
    response = as_user(biller).post(f"/patients/{patient.mrn}/coverages/new/", {**FORM, "payer": aetna.public_id})
    assert response.status_code == 422
    assert "already has an active primary coverage: Aetna" in response.context["form"].errors["priority"][0]
    assert Coverage.objects.count() == 1


def test_ending_a_coverage_from_the_page_keeps_it_in_history(as_user, biller, patient, primary):
    client = as_user(biller)
    url = f"/patients/{patient.mrn}/coverages/{primary.public_id}/end/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"end_date": "06/30/2026", "reason": "left job"})
    assert response.status_code == 302
    primary.refresh_from_db()
    assert primary.end_date == date(2026, 6, 30) and not primary.is_active
    history = client.get(f"/patients/{patient.mrn}/coverages/").content.decode()
    assert "Aetna" in history and "left job" in history
    chart = client.get(f"/patients/{patient.mrn}/").content.decode()
    assert "No coverage on file." in chart.split('id="ins-h"')[1]
    assert AuditEvent.objects.filter(action=Action.UPDATE, object_type="coverage").count() == 1


def test_a_coverage_of_another_patient_is_not_found(as_user, front_desk, patient, primary):
    other = patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Ann", "last_name": "Roe", "date_of_birth": date(1970, 1, 1), "sex_at_birth": "F"}
        ),
    )
    response = as_user(front_desk).post(
        f"/patients/{other.mrn}/coverages/{primary.public_id}/end/", {"end_date": "06/30/2026"}
    )
    assert response.status_code == 404
    primary.refresh_from_db()
    assert primary.is_active


def test_coverage_history_reads_are_audited(as_user, clinician, patient, primary):
    response = as_user(clinician).get(f"/patients/{patient.mrn}/coverages/")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=Action.READ, patient_id=patient.mrn, actor=clinician).count() == 1


@pytest.mark.parametrize("persona", ["clinician", "nurse", "auditor", "outsider"])
def test_only_front_desk_billers_and_managers_add_coverages(request, as_user, patient, aetna, persona):
    person = request.getfixturevalue(persona)
    response = as_user(person).post(f"/patients/{patient.mrn}/coverages/new/", {**FORM, "payer": aetna.public_id})
    assert response.status_code == 403 and not Coverage.objects.exists()


def test_the_biller_manages_the_payer_directory(as_user, biller):
    client = as_user(biller)
    response = client.post(
        "/payers/new/", {"name": "UnitedHealthcare", "payer_type": "commercial", "payer_id": "87726", "active": "on"}
    )
    assert response.status_code == 302
    payer = Payer.objects.get()
    assert (payer.name, payer.payer_id, payer.active) == ("UnitedHealthcare", "87726", True)
    response = client.post(
        f"/payers/{payer.public_id}/edit/", {"name": "UHC", "payer_type": "commercial", "payer_id": "87726"}
    )
    assert response.status_code == 302
    payer.refresh_from_db()
    assert (payer.name, payer.active) == ("UHC", False)
    assert b"UHC" in client.get("/payers/").content
    assert [e.action for e in AuditEvent.objects.filter(object_type="payer").order_by("seq")] == ["create", "update"]


def test_a_bad_payer_is_shown_next_to_its_fields(as_user, office_manager):
    response = as_user(office_manager).post("/payers/new/", {"name": "X", "payer_type": "commercial", "zip_code": "1"})
    assert response.status_code == 422
    assert {"payer_id", "zip_code"} <= set(response.context["form"].errors)
    assert not Payer.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "auditor"])
def test_others_cannot_edit_the_payer_directory(request, as_user, persona):
    person = request.getfixturevalue(persona)
    response = as_user(person).post("/payers/new/", {"name": "X", "payer_type": "self_pay"})
    assert response.status_code == 403 and not Payer.objects.exists()


def test_payers_is_in_the_billers_navigation_only(as_user, biller, front_desk):
    assert b'href="/payers/"' in as_user(biller).get("/").content
    assert b'href="/payers/"' not in as_user(front_desk).get("/").content


def test_coverage_pages_and_endpoints_query_no_model_directly():
    """The same rule test_layering applies to views.py and api.py, for the coverage modules."""
    package = Path(__file__).resolve().parents[1]
    for name in ("coverage_views.py", "coverage_api.py"):
        text = (package / name).read_text()
        assert not re.search(r"\.objects\b|\._default_manager\b|\.raw\(", text), name


def test_the_front_desk_records_a_copay_amount_shown_on_the_card(as_user, front_desk, patient, aetna):
    client = as_user(front_desk)
    form = {
        **FORM,
        "payer": aetna.public_id,
        "member_id": "W1234",
        "copay_cents": "$1,250.5",
        "copay_notes": "specialist $50",
    }
    response = client.post(f"/patients/{patient.mrn}/coverages/new/", form)
    assert response.status_code == 302
    coverage = Coverage.objects.get()
    assert coverage.copay_cents == 125050 and coverage.copay_notes == "specialist $50"
    chart = client.get(f"/patients/{patient.mrn}/").content.decode()
    assert "<dt>Copay</dt><dd>$1,250.50 · specialist $50</dd>" in chart


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "cannot be negative"),
        ("twenty", "as a number of dollars"),
        ("1e3", "as a number of dollars"),
        ("25.505", "at most 2 decimals"),
        ("1.250", "at most 2 decimals"),  # a thousand in much of Europe, not $1.25
        ("1000000", "under $1,000,000"),
    ],
)
def test_a_bad_copay_amount_is_shown_next_to_the_field(as_user, front_desk, patient, aetna, typed, message):
    form = {**FORM, "payer": aetna.public_id, "member_id": "W1234", "copay_cents": typed}
    response = as_user(front_desk).post(f"/patients/{patient.mrn}/coverages/new/", form)
    assert response.status_code == 422
    assert message in response.context["form"].errors["copay_cents"][0]
    body = response.content.decode()
    assert 'id="id_copay_cents_error"' in body and message in body
    assert f'value="{typed}"' in body  # what was typed stays in the box to be corrected
    assert not Coverage.objects.exists()


@pytest.mark.parametrize(
    ("cents", "message"),
    [
        (-1, "cannot be negative"),
        (100_000_000, "under $1,000,000"),
        (Decimal("25.00"), "as a number of dollars"),  # a caller that mistook the unit
        (25.5, "as a number of dollars"),
        (True, "as a number of dollars"),
    ],
)
def test_the_service_refuses_a_bad_copay_amount(front_desk, patient, aetna, cents, message):
    from django.core.exceptions import ValidationError

    data = CoverageInput(
        payer=aetna, priority="primary", effective_date=date(2026, 1, 1), member_id="W1", copay_cents=cents
    )
    with pytest.raises(ValidationError) as refused:
        coverage_add(actor=front_desk, patient=patient, data=data)
    assert message in refused.value.message_dict["copay_cents"][0]
    assert not Coverage.objects.exists()


def test_the_database_refuses_a_negative_copay(front_desk, primary):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.filter(pk=primary.pk).update(copay_cents=-1)
    Coverage.objects.filter(pk=primary.pk).update(copay_cents=0)  # nothing to pay is fine
    primary.refresh_from_db()
    assert primary.copay_cents == 0
