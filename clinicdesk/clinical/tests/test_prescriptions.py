"""Prescriptions: written by a clinician who is a provider, printed as a PDF, the print audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from clinicdesk.audit.models import Action
from clinicdesk.clinical.medications import (
    MedicationInput,
    medication_add,
    medication_stop,
    prescription_write,
)
from clinicdesk.clinical.models import Prescription
from clinicdesk.clinical.prescription_pdf import number_words, quantity_in_words
from clinicdesk.core.errors import Conflict
from conftest import make_staff

from .factories import make_encounter
from .helpers import audit_head, events_since

API = "/api/v1/clinical"


@pytest.fixture
def metformin(clinician, patient):
    return medication_add(
        actor=clinician,
        patient=patient,
        data=MedicationInput(name="Metformin", strength="500 mg", form="tablet",
                             directions="1 tablet by mouth twice daily", quantity="60 tablets", refills=2),
    )  # fmt: skip


def _write(actor, medication, **extra):
    values = {"directions": "1 tablet by mouth twice daily with meals", "quantity": "60 tablets", "refills": 3}
    values.update(extra)
    return prescription_write(actor=actor, medication=medication, **values)


def test_a_clinician_who_is_a_provider_writes_a_prescription(clinician, clinic, metformin):
    head = audit_head()
    rx = _write(clinician, metformin, dispense_as_written=True)
    assert (rx.prescriber, rx.refills, rx.dispense_as_written, rx.quantity) == (clinic.provider, 3, True, "60 tablets")
    [event] = events_since(head)
    assert (event.action, event.object_type, event.patient_id) == (Action.CREATE, "prescription", metformin.patient.mrn)


def test_a_nurse_or_a_clinician_who_is_not_a_provider_cannot_prescribe(nurse, office_manager, metformin):
    with pytest.raises(PermissionDenied, match="Only a clinician"):
        _write(nurse, metformin)
    locum = make_staff("locum", "clinician", display_name="Dr. Locum")
    with pytest.raises(PermissionDenied, match="not set up as an active provider"):
        _write(locum, metformin)
    assert not Prescription.objects.exists()


def test_bad_input_is_named_field_by_field(clinician, metformin):
    with pytest.raises(ValidationError) as refused:
        _write(clinician, metformin, directions=" ", quantity="", refills=100)
    assert refused.value.message_dict == {
        "directions": ["Enter the directions (sig), e.g. 1 tablet by mouth twice daily."],
        "quantity": ["Enter the quantity to dispense, e.g. 60 tablets."],
        "refills": ["Refills must be from 0 to 99 (got 100)."],
    }
    assert not Prescription.objects.exists()


def test_a_stopped_medication_gets_no_prescription(clinician, metformin):
    medication_stop(actor=clinician, medication=metformin, stop_date=date(2026, 1, 2), reason="Side effects")
    with pytest.raises(Conflict, match="a prescription is written for an active medication"):
        _write(clinician, metformin)


def test_an_encounter_of_another_patient_is_refused(clinician, clinic, metformin, office_manager):
    from clinicdesk.scheduling.tests.factories import make_patient

    other = make_patient(office_manager, first="Other", last="Person")
    clinic_of_other = type(clinic)(**{**vars(clinic), "patient": other})
    with pytest.raises(ValidationError) as refused:
        _write(clinician, metformin, encounter=make_encounter(clinician, clinic_of_other))
    assert list(refused.value.message_dict) == ["encounter"]


def test_quantities_are_spelled_out():
    assert [number_words(n) for n in (0, 7, 21, 60, 115, 1000, 2345)] == [
        "zero", "seven", "twenty-one", "sixty", "one hundred fifteen", "one thousand",
        "two thousand three hundred forty-five",
    ]  # fmt: skip
    assert quantity_in_words("90 tablets") == "ninety"
    assert quantity_in_words("2.5 mL") == "" and quantity_in_words("one box") == ""


def test_the_pdf_carries_everything_the_pharmacist_reads_and_the_print_is_audited(
    as_user, clinician, clinic, metformin, patient, pdf_text
):
    rx = _write(clinician, metformin, dispense_as_written=True)
    client = as_user(clinician)
    head = audit_head()
    response = client.get(f"/clinical/patients/{patient.mrn}/prescriptions/{rx.public_id}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Main Street Clinic", "120 Main Street", "Dr. Amara Okafor", "NPI 1234567893", "Jane Doe",
        "Date of birth 03/14/1962", f"{rx.written_on:%m/%d/%Y}", "Metformin 500 mg tablet",
        "1 tablet by mouth twice daily with meals", "60 tablets (sixty)", "3 (three)", "Yes: dispense as written",
        "Signature of prescriber", "printed prescription record", "Page 1 of 1",
    ):  # fmt: skip
        assert expected in text, expected
    assert "controlled" not in text.lower()
    printed = events_since(head, action=Action.PRINT)
    assert [(e.object_type, e.object_id, e.patient_id) for e in printed] == [
        ("prescription", str(rx.public_id), patient.mrn)
    ]


def test_the_page_writes_a_prescription_prefilled_from_the_medication(as_user, clinician, metformin, patient):
    client = as_user(clinician)
    url = f"/clinical/patients/{patient.mrn}/medications/{metformin.public_id}/prescribe/"
    form = client.get(url)
    assert form.status_code == 200 and b'value="60 tablets"' in form.content
    bad = client.post(url, {"directions": "1 daily", "quantity": "30", "refills": "100"})
    assert bad.status_code == 422 and b"Refills must be from 0 to 99." in bad.content
    done = client.post(url, {"directions": "1 daily", "quantity": "30 tablets", "refills": "1"})
    assert done.status_code == 302
    rx = Prescription.objects.get()
    assert done["Location"].endswith(f"#rx-{rx.public_id}")
    listed = client.get(f"/clinical/patients/{patient.mrn}/medications/")
    assert f"/prescriptions/{rx.public_id}/pdf/".encode() in listed.content


def test_a_clinician_without_a_provider_record_is_told_why_on_the_page(as_user, metformin, patient):
    locum = make_staff("locum", "clinician", display_name="Dr. Locum")
    response = as_user(locum).post(
        f"/clinical/patients/{patient.mrn}/medications/{metformin.public_id}/prescribe/",
        {"directions": "1 daily", "quantity": "30", "refills": "0"},
    )
    assert response.status_code == 422 and b"not set up as an active provider" in response.content
    assert not Prescription.objects.exists()


def test_nurses_print_but_do_not_write_and_billers_see_nothing(as_user, clinician, nurse, biller, metformin, patient):
    rx = _write(clinician, metformin)
    pdf_url = f"/clinical/patients/{patient.mrn}/prescriptions/{rx.public_id}/pdf/"
    assert as_user(nurse).get(pdf_url).status_code == 200
    prescribe = f"/clinical/patients/{patient.mrn}/medications/{metformin.public_id}/prescribe/"
    assert as_user(nurse).get(prescribe).status_code == 403
    assert as_user(biller).get(pdf_url).status_code == 403
    assert as_user(biller).get(f"{API}/patients/{patient.mrn}/prescriptions").status_code == 403


def test_the_api_writes_lists_and_downloads(as_user, clinician, nurse, metformin, patient, pdf_text):
    client = as_user(clinician)
    url = f"{API}/patients/{patient.mrn}/prescriptions"
    payload = {"medication": str(metformin.public_id), "directions": "1 tablet daily", "quantity": "30 tablets"}
    bad = client.post(url, {**payload, "refills": 100}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "refills"
    created = client.post(url, {**payload, "refills": 1}, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["medication_name"], body["refills"], body["dispense_as_written"]) == ("Metformin", 1, False)
    assert [p["public_id"] for p in client.get(url).json()] == [body["public_id"]]
    pdf = client.get(f"{url}/{body['public_id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "30 tablets (thirty)" in " ".join(pdf_text(pdf.content).split())
    refused = as_user(nurse).post(url, {**payload, "refills": 1}, content_type="application/json")
    assert refused.status_code == 403
