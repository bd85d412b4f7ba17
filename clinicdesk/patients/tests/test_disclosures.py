"""The accounting of disclosures (HIPAA 164.528): recorded with every copy and by hand, listed, six years."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinicdesk.accounts.services import record_restrict
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.patients.disclosures import (
    DisclosureInput,
    accounting_period,
    disclosure_record,
    disclosures_of,
    years_before,
)
from clinicdesk.patients.merge import patient_merge
from clinicdesk.patients.models import Disclosure, Patient
from clinicdesk.patients.paperwork import ConsentInput, consent_record
from clinicdesk.patients.services import PatientInput, patient_register

NOW = datetime(2026, 3, 12, 15, 30, tzinfo=UTC)  # 10:30 AM in New York
THIRD_PARTY = {
    "recipient_kind": "third_party",
    "recipient_name": "Hudson Life Insurance",
    "recipient_address": "1 Main St, Albany NY 12207",
    "purpose": "Life insurance application",
    "basis": "authorization",
    "method": "mail",
}


@pytest.fixture
def patient(clock, front_desk) -> Patient:
    clock.set(NOW)
    return patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"},
            phones={"mobile": "(518) 555-0142"},
        ),
    )


@pytest.fixture
def release(front_desk, patient):
    """A release of information to Hudson Life Insurance, signed last month, valid until next year."""
    return consent_record(
        actor=front_desk,
        patient=patient,
        data=ConsentInput(
            kind="release", signed_on=date(2026, 2, 1), recipient_name="Hudson Life Insurance",
            recipient_relationship="insurer", scope="Visit notes of 2025", expires_on=date(2027, 2, 1),
        ),
    )  # fmt: skip


def _record(actor, patient, **values):
    defaults = {"recipient_kind": "third_party", "method": "fax", "description": "Visit notes of 2025"}
    return disclosure_record(actor=actor, patient=patient, data=DisclosureInput(**{**defaults, **values}))


def _export(client, patient, **data):
    values = {"format": "pdf", "recipient_kind": "patient", "method": "print", **data}
    return client.post(f"/patients/{patient.mrn}/export/", values)


# --- Copies record themselves ------------------------------------------------------------------


def test_each_copy_for_the_patient_is_recorded_once_as_an_access_event(as_user, front_desk, patient):
    client = as_user(front_desk)
    assert _export(client, patient).status_code == 200
    assert _export(client, patient, format="fhir", method="download").status_code == 200
    rows = list(Disclosure.objects.filter(patient=patient).order_by("recorded_at", "id"))
    assert [(d.export_format, d.method, d.basis, d.recipient_kind) for d in rows] == [
        ("pdf", "print", "access", "patient"),
        ("fhir", "download", "access", "patient"),
    ]
    first = rows[0]
    assert first.recipient_name == "Jane Doe" and first.made_by == front_desk
    assert first.disclosed_on == date(2026, 3, 12) and first.recorded_at == NOW
    assert first.description == "Registration and insurance, PDF: registration and contact details"
    assert not first.in_accounting  # 164.528(a)(1)(ii): disclosures to the patient are not accounted
    events = AuditEvent.objects.filter(object_type="disclosure", action=Action.CREATE, patient_id=patient.mrn)
    assert sorted(events.values_list("object_id", flat=True)) == sorted(str(d.public_id) for d in rows)
    assert "Jane" not in "".join(events.values_list("detail", flat=True))


def test_a_copy_for_someone_else_needs_a_name_a_purpose_and_a_basis(as_user, front_desk, patient):
    response = _export(as_user(front_desk), patient, recipient_kind="third_party")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Name the person or organization who received it." in body
    assert "Say why it was disclosed" in body and "Choose the legal basis" in body
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_a_copy_under_an_authorization_names_the_release_on_file(as_user, front_desk, patient, release):
    client = as_user(front_desk)
    missing = _export(client, patient, **THIRD_PARTY)
    assert (
        missing.status_code == 422
        and "signed authorization (release of information) on file" in missing.content.decode()
    )
    response = _export(client, patient, **THIRD_PARTY, consent=str(release.public_id))
    assert response.status_code == 200
    disclosure = Disclosure.objects.get()
    assert disclosure.consent == release and disclosure.recipient_address == "1 Main St, Albany NY 12207"
    assert not disclosure.in_accounting  # 164.528(a)(1)(iv): releases the patient authorized


def test_a_revoked_or_someone_elses_authorization_permits_nothing(front_desk, patient, release):
    from clinicdesk.patients.paperwork import consent_revoke

    other = patient_register(
        actor=front_desk,
        data=PatientInput(values={"first_name": "Ann", "last_name": "Roe", "date_of_birth": date(1970, 1, 1),
                                  "sex_at_birth": "F"}, phones={}),
    )  # fmt: skip
    with pytest.raises(ValidationError) as foreign:
        _record(front_desk, other, **{**THIRD_PARTY, "consent": release.public_id})
    assert "consent" in foreign.value.message_dict
    consent_revoke(actor=front_desk, consent=release, revoked_on=date(2026, 3, 1), reason="Changed her mind")
    with pytest.raises(ValidationError) as revoked:
        _record(front_desk, patient, **{**THIRD_PARTY, "consent": release.public_id})
    assert revoked.value.message_dict["consent"] == [
        "That authorization was revoked on 03/01/2026; it permits nothing."
    ]
    # A disclosure made before the revocation, recorded late, is still allowed.
    early = _record(front_desk, patient, **{**THIRD_PARTY, "consent": release.public_id},
                    disclosed_on=date(2026, 2, 15))  # fmt: skip
    assert early.consent == release and Disclosure.objects.count() == 1


def test_a_copy_of_a_restricted_record_is_recorded_only_after_emergency_access(
    as_user, office_manager, front_desk, patient
):
    record_restrict(actor=office_manager, patient_id=patient.mrn)
    response = _export(as_user(front_desk), patient)
    assert response.status_code == 302 and "emergency" in response["Location"]
    assert not Disclosure.objects.exists()


# --- Recording one made outside ClinicDesk ---------------------------------------------------


def test_the_front_desk_records_a_disclosure_made_by_fax(as_user, front_desk, patient):
    client = as_user(front_desk)
    url = f"/patients/{patient.mrn}/disclosures/new/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"disclosed_on": "03/10/2026", "recipient_kind": "third_party", "recipient_name": "Albany County Health Dept.",
         "purpose": "Reportable disease (pertussis)", "basis": "public_health", "description": "Diagnosis and dates",
         "method": "fax"},
    )  # fmt: skip
    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.mrn}/"
    disclosure = Disclosure.objects.get()
    assert (disclosure.disclosed_on, disclosure.basis, disclosure.export_format) == (
        date(2026, 3, 10),
        "public_health",
        "",
    )
    assert disclosure.in_accounting
    assert AuditEvent.objects.filter(object_type="disclosure", object_id=str(disclosure.public_id)).count() == 1


def test_a_disclosure_form_with_mistakes_names_them_and_writes_nothing(as_user, office_manager, patient):
    response = as_user(office_manager).post(
        f"/patients/{patient.mrn}/disclosures/new/",
        {"disclosed_on": "03/13/2026", "recipient_kind": "third_party", "recipient_name": "",
         "purpose": "Subpoena", "basis": "judicial", "description": "Notes", "method": "mail"},
    )  # fmt: skip
    assert response.status_code == 422
    body = response.content.decode()
    assert "The date of the disclosure cannot be in the future." in body
    assert "Name the person or organization who received it." in body
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(object_type="disclosure").exists()


def test_clinicians_billers_and_the_auditor_do_not_record_disclosures(clinician, biller, auditor, patient):
    for person in (clinician, biller, auditor):
        with pytest.raises(PermissionDenied):
            _record(person, patient, recipient_name="Someone", purpose="x", basis="judicial")
    assert not Disclosure.objects.exists()


def test_a_copy_to_the_patient_is_always_under_the_right_of_access(front_desk, patient):
    with pytest.raises(ValidationError) as refused:
        _record(front_desk, patient, recipient_kind="patient", basis="judicial")
    assert "basis" in refused.value.message_dict
    with pytest.raises(ValidationError) as nameless:
        _record(front_desk, patient, recipient_kind="representative")
    assert "recipient_name" in nameless.value.message_dict


# --- The accounting: who reads it, which years ---------------------------------------------------


def test_the_list_shows_six_years_by_default_and_keeps_older_rows(as_user, clock, office_manager, front_desk, patient):
    old = _record(front_desk, patient, recipient_name="Old Lawyer LLP", purpose="Lawsuit", basis="judicial",
                  disclosed_on=date(2020, 3, 11))  # fmt: skip
    edge = _record(front_desk, patient, recipient_name="Edge Insurance", purpose="Audit", basis="oversight",
                   disclosed_on=date(2020, 3, 12))  # fmt: skip
    assert accounting_period() == (date(2020, 3, 12), date(2026, 3, 12))
    client = as_user(office_manager)
    body = client.get(f"/patients/{patient.mrn}/disclosures/").content.decode()
    assert "Edge Insurance" in body and "Old Lawyer LLP" not in body
    everything = client.get(f"/patients/{patient.mrn}/disclosures/?since=01/01/2019&until=03/12/2026").content
    assert b"Old Lawyer LLP" in everything
    assert set(Disclosure.objects.values_list("pk", flat=True)) == {old.pk, edge.pk}  # nothing is ever deleted


def test_the_accounting_only_view_leaves_out_what_hipaa_does_not_require(as_user, office_manager, front_desk, patient):
    _export(as_user(front_desk), patient)
    _record(front_desk, patient, recipient_name="County Court", purpose="Subpoena", basis="judicial")
    query = disclosures_of(patient=patient, accounting_only=True)
    assert [d.recipient_name for d in query] == ["County Court"]
    body = as_user(office_manager).get(f"/patients/{patient.mrn}/disclosures/?accounting_only=on").content.decode()
    assert "County Court" in body and "Copy requested by the patient" not in body


def test_the_office_manager_and_the_auditor_read_it_the_front_desk_does_not(
    as_user, office_manager, auditor, front_desk, clinician, patient
):
    _record(front_desk, patient, recipient_name="County Court", purpose="Subpoena", basis="judicial")
    url = f"/patients/{patient.mrn}/disclosures/"
    for person in (office_manager, auditor):
        response = as_user(person).get(url)
        assert response.status_code == 200 and b"County Court" in response.content
    for person in (front_desk, clinician):
        assert as_user(person).get(url).status_code == 403
    reads = AuditEvent.objects.filter(action=Action.READ, patient_id=patient.mrn, reason="accounting of disclosures")
    assert sorted(reads.values_list("actor_role", flat=True)) == ["auditor", "office_manager"]


def test_the_accounting_pdf_lists_the_disclosures_for_the_patient(as_user, auditor, front_desk, patient, pdf_text):
    _export(as_user(front_desk), patient)
    _record(front_desk, patient, recipient_name="County Court", purpose="Subpoena in Doe v. Roe", basis="judicial")
    response = as_user(auditor).get(f"/patients/{patient.mrn}/disclosures.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Accounting of disclosures of your health information", "Jane Doe", patient.mrn,
        "for the period from 03/12/2020 to 03/12/2026", "Disclosures the law requires us to list",
        "County Court", "Subpoena in Doe v. Roe", "Other releases we recorded", "Copy requested by the patient",
        "Page 1 of 1",
    ):  # fmt: skip
        assert expected in text, expected
    event = AuditEvent.objects.get(action=Action.PRINT, object_type="disclosure_accounting")
    assert event.actor == auditor and event.patient_id == patient.mrn


def test_six_years_back_from_the_29th_of_february():
    assert years_before(date(2028, 2, 29), 6) == date(2022, 2, 28)
    assert years_before(date(2026, 3, 12), 6) == date(2020, 3, 12)


# --- API -------------------------------------------------------------------------------------


def test_the_api_records_and_lists_disclosures(as_user, front_desk, auditor, patient):
    response = as_user(front_desk).post(
        f"/api/v1/patients/{patient.mrn}/disclosures",
        {"recipient_name": "State Medical Board", "purpose": "Licensing investigation", "basis": "oversight",
         "method": "mail", "description": "Visit notes of 2025", "disclosed_on": "2026-03-11"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response.json()["in_accounting"] is True and response.json()["made_by"] == "Luis Moreno"
    listed = as_user(auditor).get(f"/api/v1/patients/{patient.mrn}/disclosures")
    assert listed.status_code == 200
    assert [d["recipient_name"] for d in listed.json()] == ["State Medical Board"]
    assert (
        as_user(auditor)
        .post(f"/api/v1/patients/{patient.mrn}/disclosures", {}, content_type="application/json")
        .status_code
        == 403
    )
    assert as_user(front_desk).get(f"/api/v1/patients/{patient.mrn}/disclosures").status_code == 403
    pdf = as_user(auditor).get(f"/api/v1/patients/{patient.mrn}/disclosures.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_api_refuses_a_disclosure_without_its_facts(as_user, front_desk, patient):
    response = as_user(front_desk).post(
        f"/api/v1/patients/{patient.mrn}/disclosures",
        {"recipient_kind": "third_party", "method": "mail", "description": "Notes"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"recipient_name", "purpose", "basis"}
    assert not Disclosure.objects.exists()


def test_the_api_copy_for_the_patient_is_recorded_with_its_method(as_user, front_desk, patient):
    assert as_user(front_desk).get(f"/api/v1/patients/{patient.mrn}/export").status_code == 200
    assert list(Disclosure.objects.values_list("method", "recipient_kind")) == [("api", "patient")]


# --- Merge -----------------------------------------------------------------------------------


def test_a_merge_moves_the_disclosures_to_the_surviving_record(office_manager, front_desk, patient):
    duplicate = patient_register(
        actor=front_desk,
        data=PatientInput(values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14),
                                  "sex_at_birth": "F"}, phones={}),
    )  # fmt: skip
    moved = _record(front_desk, duplicate, recipient_name="County Court", purpose="Subpoena", basis="judicial")
    patient_merge(actor=office_manager, survivor=patient, merged=duplicate)
    assert [d.pk for d in disclosures_of(patient=patient)] == [moved.pk]
    assert AuditEvent.objects.filter(object_type="disclosure", object_id=str(moved.public_id),
                                     action=Action.UPDATE).count() == 1  # fmt: skip


def test_an_unknown_patient_is_a_404_for_the_accounting(as_user, office_manager, patient):
    wrong = patient.mrn[:-1] + ("0" if patient.mrn[-1] != "0" else "1")
    assert as_user(office_manager).get(f"/patients/{wrong}/disclosures/").status_code == 404
    assert as_user(office_manager).get(f"/patients/{wrong}/disclosures.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action=Action.PRINT).exists()


def test_the_patient_access_report_leads_the_auditor_to_the_accounting(as_user, auditor, patient):
    body = as_user(auditor).get(f"/audit/patient-access/?patient={patient.mrn}").content.decode()
    assert f'href="/patients/{patient.mrn}/disclosures/"' in body
