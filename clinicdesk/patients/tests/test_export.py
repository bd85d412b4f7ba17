from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from fhir.resources.R4B.bundle import Bundle

from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core.capabilities import Role, role_can
from clinicdesk.patients.coverage import CoverageInput, coverage_add, coverage_end
from clinicdesk.patients.export import CoverageFact, fhir_bundle, pdf_summary
from clinicdesk.patients.models import Patient, PatientStatus
from clinicdesk.patients.payers import PayerInput, payer_create
from clinicdesk.patients.services import PatientInput, patient_register

NOW = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)

COVERAGES = [
    CoverageFact(
        key="cov-1",
        payer_name="Aetna Better Health",
        payer_id="60054",
        payer_type="Commercial",
        plan_name="Choice POS II",
        member_id="W555000111",
        group_number="GRP-0042",
        order=1,
        start=date(2024, 1, 1),
    ),
    CoverageFact(
        key="cov-2",
        payer_name="Medicare Part B",
        payer_id="MCRB",
        payer_type="Medicare",
        member_id="1EG4TE5MK73",
        order=2,
        relationship="spouse",
        subscriber_name="Robert Doe",
        start=date(2025, 6, 1),
    ),
    CoverageFact(
        key="cov-0",
        payer_name="Aetna Better Health",
        payer_id="60054",
        plan_name="Old HMO",
        member_id="W000000001",
        start=date(2019, 1, 1),
        end=date(2023, 12, 31),
        active=False,
    ),
]


@pytest.fixture
def patient(front_desk, clinician) -> Patient:
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={
                "first_name": "Jane",
                "middle_name": "Quinn",
                "last_name": "Doe-Núñez",
                "preferred_name": "Janie",
                "date_of_birth": date(1962, 3, 14),
                "sex_at_birth": "F",
                "pronouns": "she/her",
                "preferred_language": "Spanish",
                "email": "jane@example.org",
                "address_line1": "3 Elm St",
                "address_line2": "Apt 2",
                "city": "Albany",
                "state": "NY",
                "zip_code": "12207",
                "emergency_contact_name": "Robert Doe",
                "emergency_contact_relationship": "Spouse",
                "emergency_contact_phone": "+15185550199",
                "primary_care_provider": clinician,
            },
            phones={"mobile": "(518) 555-0142", "home": "518-555-0100"},
            ssn="123-45-6789",
        ),
    )


def _exports(mrn: str):
    return AuditEvent.objects.filter(action=Action.EXPORT, patient_id=mrn)


# --- the FHIR bundle ------------------------------------------------------------------------


def test_the_bundle_is_a_valid_fhir_r4_collection_with_the_patient(patient):
    bundle = fhir_bundle(patient=patient, phones=list(patient.phones.all()), coverages=[], now=NOW)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection" and len(parsed.entry) == 1
    resource = bundle["entry"][0]["resource"]
    assert resource["identifier"][0] | {"type": None} == {
        "use": "usual", "type": None, "system": "urn:clinicdesk:mrn", "value": patient.mrn,
    }  # fmt: skip
    assert resource["name"][0] == {"use": "official", "family": "Doe-Núñez", "given": ["Jane", "Quinn"]}
    assert resource["name"][1]["use"] == "usual" and resource["name"][1]["given"] == ["Janie"]
    assert resource["gender"] == "female" and resource["birthDate"] == "1962-03-14"
    assert {(t["system"], t["use"], t["value"]) for t in resource["telecom"]} == {
        ("phone", "mobile", "+15185550142"),
        ("phone", "home", "+15185550100"),
        ("email", "home", "jane@example.org"),
    }
    assert resource["address"][0]["line"] == ["3 Elm St", "Apt 2"] and resource["address"][0]["postalCode"] == "12207"
    assert resource["communication"][0]["language"]["coding"][0]["code"] == "es"
    assert resource["deceasedBoolean"] is False
    assert resource["generalPractitioner"] == [{"display": "Dr. Amara Okafor"}]


def test_the_bundle_never_carries_the_ssn(patient):
    text = json.dumps(fhir_bundle(patient=patient, phones=list(patient.phones.all()), coverages=[], now=NOW))
    assert "123-45-6789" not in text and "123456789" not in text and "6789" not in text
    assert "us-ssn" not in text.lower()


@pytest.mark.parametrize(("sex", "gender"), [("F", "female"), ("M", "male"), ("U", "unknown")])
def test_sex_at_birth_maps_to_fhir_gender(patient, sex, gender):
    patient.sex_at_birth = sex
    bundle = fhir_bundle(patient=patient, phones=[], coverages=[], now=NOW)
    Bundle.model_validate(bundle)
    assert bundle["entry"][0]["resource"]["gender"] == gender


def test_a_deceased_patient_carries_the_date_of_death(patient):
    patient.status, patient.deceased_date = PatientStatus.DECEASED, date(2025, 11, 2)
    bundle = fhir_bundle(patient=patient, phones=[], coverages=[], now=NOW)
    Bundle.model_validate(bundle)
    resource = bundle["entry"][0]["resource"]
    assert resource["deceasedDateTime"] == "2025-11-02" and resource["active"] is False


def test_coverages_become_coverage_resources_with_one_organization_per_payer(patient):
    bundle = fhir_bundle(patient=patient, phones=[], coverages=COVERAGES, now=NOW)
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("Organization") == 2 and kinds.count("Coverage") == 3
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    coverages = {r["id"]: r for r in resources if r["resourceType"] == "Coverage"}
    primary, spouse, old = coverages["cov-1"], coverages["cov-2"], coverages["cov-0"]
    assert primary["status"] == "active" and primary["order"] == 1 and primary["subscriberId"] == "W555000111"
    assert urls[primary["payor"][0]["reference"]]["name"] == "Aetna Better Health"
    assert urls[primary["beneficiary"]["reference"]]["resourceType"] == "Patient"
    assert old["status"] == "cancelled" and old["period"] == {"start": "2019-01-01", "end": "2023-12-31"}
    assert old["payor"][0]["reference"] == primary["payor"][0]["reference"]
    assert spouse["relationship"]["coding"][0]["code"] == "spouse"
    assert spouse["subscriber"] == {"display": "Robert Doe"}


# --- the PDF --------------------------------------------------------------------------------


def test_the_pdf_reads_as_the_patients_record_without_the_ssn(patient, pdf_text):
    content = pdf_summary(patient=patient, phones=list(patient.phones.all()), coverages=COVERAGES, now=NOW)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    for expected in (
        "ClinicDesk demo practice",
        "Jane Quinn Doe-Núñez",
        patient.mrn,
        "03/14/1962",
        "(518) 555-0142",
        "Albany, NY 12207",
        "Dr. Amara Okafor",
        "Aetna Better Health",
        "W555000111",
        "Ended",
        "This is your record as held by the practice on 03/02/2026.",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert "6789" not in text and "123-45" not in text


def test_the_pdf_says_when_there_is_no_insurance(patient, pdf_text, settings):
    settings.CLINICDESK_PRACTICE_NAME = "Hudson Valley Family Medicine"
    text = pdf_text(pdf_summary(patient=patient, phones=[], coverages=[], now=NOW))
    assert "No insurance on file." in text and "Hudson Valley Family Medicine" in text


def test_a_long_record_numbers_every_page(patient, pdf_text):
    many = [CoverageFact(key=f"c{i}", payer_name=f"Payer {i}", member_id=f"M{i:06}") for i in range(60)]
    text = pdf_text(pdf_summary(patient=patient, phones=[], coverages=many, now=NOW))
    pages = text.split("\f")
    total = len([p for p in pages if p.strip()])
    assert total > 1
    assert f"Page {total} of {total}" in text
    assert text.count("This is your record as held by the practice on") == total


# --- views and API --------------------------------------------------------------------------


def test_only_the_people_who_answer_access_requests_export():
    assert [r for r in Role.values if role_can(r, "patient.export")] == [Role.OFFICE_MANAGER, Role.FRONT_DESK]


def _post(client, mrn: str, fmt: str, **extra):
    data = {"format": fmt, "recipient_kind": "patient", "method": "download", **extra}
    return client.post(f"/patients/{mrn}/export/", data)


def test_the_front_desk_downloads_the_fhir_bundle(as_user, front_desk, patient):
    response = _post(as_user(front_desk), patient.mrn, "fhir")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert patient.mrn in response["Content-Disposition"]
    Bundle.model_validate(json.loads(response.content))
    event = _exports(patient.mrn).get()
    assert (event.object_type, event.detail, event.reason) == ("patient_record", "fhir", "right of access export")
    assert event.actor == front_desk


def test_the_office_manager_downloads_the_pdf(as_user, office_manager, patient, pdf_text):
    response = _post(as_user(office_manager), patient.mrn, "pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert patient.mrn in pdf_text(response.content)
    assert _exports(patient.mrn).get().detail == "pdf"


def test_a_clinician_may_read_the_chart_but_not_make_the_registration_copy(as_user, clinician, patient):
    client = as_user(clinician)
    assert client.get(f"/patients/{patient.mrn}/").status_code == 200
    assert _post(client, patient.mrn, "pdf").status_code == 403
    assert not _exports(patient.mrn).exists()


def test_opening_the_copy_form_hands_out_and_records_nothing(as_user, front_desk, patient):
    response = as_user(front_desk).get(f"/patients/{patient.mrn}/export/")
    assert response.status_code == 200 and b"Make the copy" in response.content
    assert not _exports(patient.mrn).exists()


def test_the_chart_shows_the_export_buttons_only_to_those_who_may_export(as_user, front_desk, clinician, patient):
    body = as_user(front_desk).get(f"/patients/{patient.mrn}/").content.decode()
    assert f'href="/patients/{patient.mrn}/export/"' in body and "/export/full/" not in body
    body = as_user(clinician).get(f"/patients/{patient.mrn}/").content.decode()
    assert f'href="/patients/{patient.mrn}/export/"' not in body
    assert f'href="/patients/{patient.mrn}/export/full/"' in body


def test_an_unknown_mrn_is_a_404_and_exports_nothing(as_user, front_desk, patient):
    wrong = patient.mrn[:-1] + ("0" if patient.mrn[-1] != "0" else "1")
    assert _post(as_user(front_desk), wrong, "fhir").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_restricted_record_needs_emergency_access_first(as_user, office_manager, front_desk, patient):
    record_restrict(actor=office_manager, patient_id=patient.mrn)
    response = _post(as_user(front_desk), patient.mrn, "pdf")
    assert response.status_code == 302 and "emergency" in response["Location"]
    assert not _exports(patient.mrn).exists()


def test_the_api_returns_the_bundle_and_audits_the_export(as_user, front_desk, patient):
    response = as_user(front_desk).get(f"/api/v1/patients/{patient.mrn}/export")
    assert response.status_code == 200
    bundle = Bundle.model_validate(response.json())
    assert bundle.entry[0].resource.identifier[0].value == patient.mrn
    assert _exports(patient.mrn).get().detail == "fhir"


def test_the_api_refuses_a_biller(as_user, biller, patient):
    response = as_user(biller).get(f"/api/v1/patients/{patient.mrn}/export")
    assert response.status_code == 403
    assert not _exports(patient.mrn).exists()


def test_the_export_carries_the_charts_active_and_ended_coverages(
    as_user, office_manager, front_desk, patient, pdf_text
):
    payer = payer_create(actor=office_manager, data=PayerInput(name="Aetna", payer_type="commercial", payer_id="60054"))
    old = coverage_add(
        actor=front_desk,
        patient=patient,
        data=CoverageInput(payer=payer, priority="primary", effective_date=date(2020, 1, 1), member_id=" w111 "),
    )
    coverage_end(actor=front_desk, coverage=old, end_date=date(2023, 12, 31))
    new = coverage_add(
        actor=front_desk,
        patient=patient,
        data=CoverageInput(payer=payer, priority="primary", effective_date=date(2024, 1, 1), member_id="w222"),
    )
    client = as_user(front_desk)

    bundle = client.get(f"/api/v1/patients/{patient.mrn}/export").json()
    Bundle.model_validate(bundle)
    coverages = {
        e["resource"]["id"]: e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Coverage"
    }
    assert coverages[str(new.public_id)]["status"] == "active" and coverages[str(new.public_id)]["order"] == 1
    assert coverages[str(old.public_id)]["status"] == "cancelled"
    assert coverages[str(old.public_id)]["period"] == {"start": "2020-01-01", "end": "2023-12-31"}
    organizations = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Organization"]
    assert [(o["name"], o["identifier"][0]["value"]) for o in organizations] == [("Aetna", "60054")]

    text = pdf_text(_post(client, patient.mrn, "pdf").content)
    assert "W222" in text and "W111" in text and "Ended" in text and "Primary" in text
    assert _exports(patient.mrn).count() == 2


def test_the_copay_amount_is_exported_before_the_copay_notes(patient, biller, front_desk):
    from clinicdesk.patients.export import patient_coverages

    aetna = payer_create(actor=biller, data=PayerInput(name="Aetna", payer_type="commercial", payer_id="60054"))
    coverage_add(
        actor=front_desk,
        patient=patient,
        data=CoverageInput(
            payer=aetna, priority="primary", effective_date=date(2026, 1, 1), member_id="W1",
            copay_cents=125000, copay_notes="specialist $50", coinsurance_notes="20%",
        ),
    )  # fmt: skip
    [fact] = patient_coverages(patient=patient)
    assert fact.cost_notes == "Copay: $1,250.00 specialist $50; Coinsurance: 20%"
