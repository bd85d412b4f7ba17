"""The whole-record right-of-access copy (HIPAA 164.524): the clinical part, in the PDF and the FHIR bundle.

One patient with everything the designated record set holds: visits, a signed note with an
addendum, a draft note, problems (one resolved, one entered in error), medications (active,
stopped, in error) with a prescription, allergies with an earlier "no known allergies",
vitals (one set in error), follow-ups and two amendment requests (accepted, denied).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.clinical import amendments, notes
from clinicdesk.clinical.allergies import allergy_add, allergy_mark_in_error, allergy_record_nka
from clinicdesk.clinical.medications import (
    MedicationInput,
    medication_add,
    medication_mark_in_error,
    medication_stop,
    prescription_write,
)
from clinicdesk.clinical.models import EncounterDiagnosis, Problem, Recall, RecallStatus, Vitals
from clinicdesk.clinical.record_export.chart import VITAL_SIGNS
from clinicdesk.patients.export import ExportScope, patient_record_export
from clinicdesk.patients.models import Disclosure

from .factories import make_clinic, make_encounter

NOW = datetime(2026, 3, 12, 15, 30, tzinfo=UTC)
SIGNED_TEXT = {
    "subjective": "Headaches in the morning for two weeks.",
    "objective": "BP 142/88. Heart and lungs normal.",
    "assessment": "Essential hypertension, not controlled.",
    "plan": "Start lisinopril 10 mg daily. Recheck in two weeks.",
}
DRAFT_MARKER = "Draft thoughts not yet signed zq81"
ADDENDUM_TEXT = "Home readings since the visit average 128/80."
ACCEPTED_CHANGE = "I take my blood pressure at home every morning, please add that."
DENIED_CHANGE = "Please remove the word headaches from my note."
DENIAL_REASON = "The note records what you told us at the visit and is accurate."


@pytest.fixture
def record(clock, office_manager, clinician, front_desk, nurse):
    """The patient of the module docstring; returns a namespace of what was made."""
    from types import SimpleNamespace

    clock.set(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    clinic = make_clinic(office_manager, clinician, front_desk)
    patient = clinic.patient
    allergy_record_nka(actor=nurse, patient=patient, noted_on=date(2025, 1, 6))

    visit = make_encounter(clinician, clinic, day=date(2026, 3, 2), reason="Blood pressure follow-up")
    note = notes.note_start(actor=clinician, encounter=visit)
    note = notes.note_save_draft(actor=clinician, note=note, version=note.version, **SIGNED_TEXT)
    note = notes.note_sign(actor=clinician, note=note)
    EncounterDiagnosis.objects.create(
        encounter=visit, code="I10", description="Essential (primary) hypertension", rank=1
    )
    Vitals.objects.create(
        patient=patient, encounter=visit, taken_by=nurse, taken_at=datetime(2026, 3, 2, 13, 50, tzinfo=UTC),
        systolic=142, diastolic=88, pulse=72, temperature_c=Decimal("36.8"), respiratory_rate=16, spo2=97,
        height_cm=Decimal("175.3"), weight_kg=Decimal("81.6"), bmi=Decimal("26.6"), pain=3,
    )  # fmt: skip
    Vitals.objects.create(
        patient=patient, encounter=visit, taken_by=nurse, taken_at=datetime(2026, 3, 2, 13, 45, tzinfo=UTC),
        systolic=210, diastolic=40, in_error=True, in_error_reason="Cuff on the wrong arm size",
    )  # fmt: skip
    Problem.objects.create(patient=patient, code="I10", description="Essential (primary) hypertension",
                           onset=date(2020, 5, 1), encounter=visit, created_by=clinician)  # fmt: skip
    Problem.objects.create(patient=patient, code="J20.9", description="Acute bronchitis, unspecified",
                           onset=date(2025, 12, 20), resolved_on=date(2026, 1, 10), status="resolved",
                           created_by=clinician)  # fmt: skip
    Problem.objects.create(patient=patient, code="E11.9", description="Type 2 diabetes mellitus without complications",
                           status="in_error", created_by=clinician)  # fmt: skip
    lisinopril = medication_add(
        actor=clinician, patient=patient,
        data=MedicationInput(name="Lisinopril", strength="10 mg", form="tablet", directions="1 tablet by mouth daily",
                             start_date=date(2026, 3, 2), encounter=visit),
    )  # fmt: skip
    prescription = prescription_write(
        actor=clinician, medication=lisinopril, encounter=visit, directions="1 tablet by mouth daily",
        quantity="30 tablets", refills=2,
    )  # fmt: skip
    metformin = medication_add(
        actor=clinician, patient=patient, data=MedicationInput(name="Metformin", strength="500 mg", form="tablet")
    )
    medication_stop(actor=clinician, medication=metformin, stop_date=date(2026, 3, 2), reason="Stomach upset")
    wrong = medication_add(actor=clinician, patient=patient, data=MedicationInput(name="Warfarin"))
    medication_mark_in_error(actor=clinician, medication=wrong, reason="Other patient's list")
    allergy_add(actor=nurse, patient=patient, substance="Penicillin", reaction="Hives", severity="severe",
                noted_on=date(2026, 3, 2))  # fmt: skip
    latex = allergy_add(actor=nurse, patient=patient, substance="Latex", noted_on=date(2026, 3, 2))
    allergy_mark_in_error(actor=nurse, allergy=latex, reason="Meant for another chart")
    Recall.objects.create(patient=patient, encounter=visit, appointment_type=clinic.kind, provider=clinic.provider,
                          due_on=date(2026, 3, 16), reason="BP check", created_by=clinician)  # fmt: skip
    Recall.objects.create(patient=patient, appointment_type=clinic.kind, due_on=date(2025, 11, 1),
                          reason="Flu shot", status=RecallStatus.CLOSED, closed_at=NOW, closed_by=front_desk,
                          closed_reason="Had it at the pharmacy", created_by=clinician)  # fmt: skip

    clock.set(datetime(2026, 3, 5, 15, 0, tzinfo=UTC))
    addendum = notes.addendum_add(actor=clinician, note=note, text=ADDENDUM_TEXT)
    accepted = amendments.amendment_request_record(
        actor=office_manager, patient=patient, note=note, received_on=date(2026, 3, 5), requested_change=ACCEPTED_CHANGE
    )
    amendment = amendments.amendment_accept(
        actor=clinician, request=accepted, addendum_text="The patient checks their blood pressure every morning."
    )
    denied = amendments.amendment_request_record(
        actor=office_manager, patient=patient, note=note, received_on=date(2026, 3, 5), requested_change=DENIED_CHANGE
    )
    amendments.amendment_deny(actor=office_manager, request=denied, reason=DENIAL_REASON)

    clock.set(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))
    cough = make_encounter(clinician, clinic, day=date(2026, 3, 9), reason="Cough")
    draft = notes.note_start(actor=clinician, encounter=cough)
    notes.note_save_draft(
        actor=clinician, note=draft, version=draft.version, subjective=DRAFT_MARKER, objective="", assessment="",
        plan="",
    )  # fmt: skip
    clock.set(NOW)
    return SimpleNamespace(
        clinic=clinic, patient=patient, visit=visit, cough=cough, note=note, addendum=addendum,
        amendment=amendment, prescription=prescription, accepted=accepted, denied=denied,
    )  # fmt: skip


def _full(actor, patient, fmt="fhir"):
    return patient_record_export(actor=actor, mrn=patient.mrn, fmt=fmt, scope=ExportScope.FULL)


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _codes(resource: dict[str, Any]) -> set[str]:
    return {c["code"] for c in resource["code"].get("coding", [])}


# --- FHIR ------------------------------------------------------------------------------------


def test_every_resource_of_the_whole_record_validates_as_fhir_r4(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    assert bundle is not None
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds >= {
        "Patient", "Encounter", "Condition", "MedicationStatement", "MedicationRequest", "AllergyIntolerance",
        "Observation", "DocumentReference", "ServiceRequest", "Task",
    }  # fmt: skip
    urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(urls) == len(set(urls))


def test_every_reference_in_the_bundle_points_at_an_entry_of_it(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    urls = {e["fullUrl"] for e in bundle["entry"]}
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("reference"), str):
                found.append(value["reference"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(bundle)
    assert found and [r for r in found if r not in urls] == []


def test_vital_signs_carry_their_loinc_codes_and_ucum_units(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    good = [o for o in _resources(bundle, "Observation") if o["status"] == "final"]
    by_code = {frozenset(_codes(o)): o for o in good}
    expected = {
        frozenset({"8867-4"}): ("/min", 72), frozenset({"9279-1"}): ("/min", 16),
        frozenset({"8310-5"}): ("Cel", 36.8), frozenset({"8302-2"}): ("cm", 175.3),
        frozenset({"29463-7"}): ("kg", 81.6), frozenset({"39156-5"}): ("kg/m2", 26.6),
        frozenset({"2708-6", "59408-5"}): ("%", 97), frozenset({"72514-3"}): ("{score}", 3),
    }  # fmt: skip
    for codes, (unit, value) in expected.items():
        quantity = by_code[codes]["valueQuantity"]
        assert (quantity["system"], quantity["code"], quantity["value"]) == ("http://unitsofmeasure.org", unit, value)
    panel = by_code[frozenset({"85354-9"})]
    assert "valueQuantity" not in panel
    components = {c["code"]["coding"][0]["code"]: c["valueQuantity"] for c in panel["component"]}
    assert components["8480-6"] == {"value": 142, "unit": "mmHg", "system": "http://unitsofmeasure.org",
                                    "code": "mm[Hg]"}  # fmt: skip
    assert components["8462-4"]["value"] == 88
    for observation in good:
        category = observation["category"][0]["coding"][0]
        assert category["system"] == "http://terminology.hl7.org/CodeSystem/observation-category"
        assert category["code"] == ("survey" if _codes(observation) == {"72514-3"} else "vital-signs")
        assert observation["encounter"]["reference"] == f"urn:uuid:{record.visit.public_id}"


def test_vitals_entered_in_error_are_sent_marked_not_dropped(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    wrong = [o for o in _resources(bundle, "Observation") if o["status"] == "entered-in-error"]
    assert [(_codes(o), o["component"][0]["valueQuantity"]["value"]) for o in wrong] == [({"85354-9"}, 210)]
    assert wrong[0]["note"] == [{"text": "Entered in error: Cuff on the wrong arm size"}]


def test_problems_and_diagnoses_are_conditions_coded_in_icd10cm(clinician, record):
    conditions = _resources(_full(clinician, record.patient).fhir, "Condition")
    icd = "http://hl7.org/fhir/sid/icd-10-cm"
    for condition in conditions:
        assert condition["code"]["coding"][0]["system"] == icd
    by_category = {}
    for condition in conditions:
        category = condition["category"][0]["coding"][0]["code"]
        by_category.setdefault(category, {})[condition["code"]["coding"][0]["code"]] = condition
    problems, diagnoses = by_category["problem-list-item"], by_category["encounter-diagnosis"]
    assert problems["I10"]["clinicalStatus"]["coding"][0]["code"] == "active"
    assert problems["I10"]["onsetDateTime"] == "2020-05-01"
    assert problems["J20.9"]["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert problems["J20.9"]["abatementDateTime"] == "2026-01-10"
    # FHIR invariant con-5: an entry entered in error carries no clinical status.
    assert "clinicalStatus" not in problems["E11.9"]
    assert problems["E11.9"]["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert diagnoses["I10"]["encounter"]["reference"] == f"urn:uuid:{record.visit.public_id}"


def test_medications_are_statements_and_the_prescription_a_us_core_request(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    statements = {s["medicationCodeableConcept"]["text"]: s for s in _resources(bundle, "MedicationStatement")}
    assert statements["Lisinopril 10 mg tablet"]["status"] == "active"
    assert statements["Metformin 500 mg tablet"]["status"] == "stopped"
    assert statements["Metformin 500 mg tablet"]["statusReason"] == [{"text": "Stomach upset"}]
    assert statements["Warfarin"]["status"] == "entered-in-error"
    [request] = _resources(bundle, "MedicationRequest")
    assert request["id"] == str(record.prescription.public_id)
    assert (request["status"], request["intent"], request["authoredOn"]) == ("active", "order", "2026-03-02")
    assert request["dispenseRequest"] == {"numberOfRepeatsAllowed": 2, "quantity": {"value": 30.0, "unit": "tablets"}}
    assert request["requester"]["display"] == "Dr. Amara Okafor"
    assert statements["Lisinopril 10 mg tablet"]["basedOn"] == [{"reference": f"urn:uuid:{request['id']}"}]


def test_allergies_keep_no_known_allergies_as_a_coded_statement(clinician, record):
    allergies = _resources(_full(clinician, record.patient).fhir, "AllergyIntolerance")
    by_name = {a["code"].get("text"): a for a in allergies}
    nka = by_name["No known allergies"]
    assert nka["code"]["coding"][0] == {"system": "http://snomed.info/sct", "code": "716186003",
                                        "display": "No known allergy (situation)"}  # fmt: skip
    assert nka["clinicalStatus"]["coding"][0]["code"] == "inactive"  # ended when penicillin was added
    penicillin = by_name["Penicillin"]
    assert penicillin["clinicalStatus"]["coding"][0]["code"] == "active"
    assert penicillin["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "severe"}]
    assert "clinicalStatus" not in by_name["Latex"]
    assert by_name["Latex"]["verificationStatus"]["coding"][0]["code"] == "entered-in-error"


def test_only_the_signed_note_and_its_addenda_are_documents(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    documents = {d["id"]: d for d in _resources(bundle, "DocumentReference")}
    note = documents[str(record.note.public_id)]
    assert note["type"]["coding"][0]["code"] == "11506-3" and note["docStatus"] == "amended"
    text = base64.b64decode(note["content"][0]["attachment"]["data"]).decode()
    assert SIGNED_TEXT["plan"] in text and SIGNED_TEXT["subjective"] in text
    addenda = [d for d in documents.values() if d["type"]["coding"][0]["code"] == "55107-7"]
    assert len(addenda) == 2
    for addendum in addenda:
        assert addendum["relatesTo"] == [{"code": "appends", "target": {"reference": f"urn:uuid:{note['id']}"}}]
    assert ADDENDUM_TEXT in {base64.b64decode(a["content"][0]["attachment"]["data"]).decode() for a in addenda}
    assert len(documents) == 3
    whole = json.dumps(bundle)
    assert DRAFT_MARKER not in whole
    assert all(DRAFT_MARKER not in base64.b64decode(d["content"][0]["attachment"]["data"]).decode()
               for d in documents.values())  # fmt: skip
    encounters = {e["id"]: e for e in _resources(bundle, "Encounter")}
    assert str(record.cough.public_id) in encounters  # the visit happened; its draft note is not sent


def test_amendment_requests_travel_as_tasks_with_their_decisions(clinician, record):
    tasks = {t["id"]: t for t in _resources(_full(clinician, record.patient).fhir, "Task")}
    accepted, denied = tasks[str(record.accepted.public_id)], tasks[str(record.denied.public_id)]
    assert accepted["status"] == "completed" and accepted["description"] == ACCEPTED_CHANGE
    assert accepted["output"][0]["valueReference"] == {"reference": f"urn:uuid:{record.amendment.public_id}"}
    assert denied["status"] == "rejected" and denied["statusReason"] == {"text": DENIAL_REASON}
    assert denied["focus"] == {"reference": f"urn:uuid:{record.note.public_id}"}


def test_follow_ups_are_service_requests(clinician, record):
    requests = {r["reasonCode"][0]["text"]: r for r in _resources(_full(clinician, record.patient).fhir,
                                                                  "ServiceRequest")}  # fmt: skip
    assert requests["BP check"]["status"] == "active" and requests["BP check"]["occurrenceDateTime"] == "2026-03-16"
    assert requests["Flu shot"]["status"] == "revoked"


# Elements US Core 6.1 requires (min 1) or marks must-support, for each profile we claim, that our
# data always has. fhir.resources validates FHIR R4 but not US Core profiles, so this checks them.
US_CORE_ELEMENTS: dict[str, tuple[str, ...]] = {
    "us-core-encounter": ("identifier", "status", "class", "type", "subject", "participant", "period", "reasonCode",
                          "location"),
    "us-core-condition-problems-health-concerns": ("verificationStatus", "category", "code", "subject",
                                                   "recordedDate"),
    "us-core-condition-encounter-diagnosis": ("verificationStatus", "category", "code", "subject", "encounter"),
    "us-core-medicationrequest": ("status", "intent", "category", "reportedBoolean", "medicationCodeableConcept",
                                  "subject", "encounter", "authoredOn", "requester", "dosageInstruction",
                                  "dispenseRequest"),
    "us-core-allergyintolerance": ("verificationStatus", "code", "patient", "recordedDate"),
    "us-core-documentreference": ("identifier", "status", "type", "category", "subject", "date", "author",
                                  "content", "context"),
    "us-core-blood-pressure": ("status", "category", "code", "subject", "effectiveDateTime", "component"),
}  # fmt: skip
for _field, _profile, _codings, _unit in VITAL_SIGNS:
    US_CORE_ELEMENTS[_profile] = ("status", "category", "code", "subject", "effectiveDateTime", "valueQuantity")


def test_resources_claiming_a_us_core_profile_carry_its_must_support_elements(clinician, record):
    bundle = _full(clinician, record.patient).fhir
    prefix = "http://hl7.org/fhir/us/core/StructureDefinition/"
    claimed: set[str] = set()
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for profile in resource.get("meta", {}).get("profile", []):
            name = profile.removeprefix(prefix)
            claimed.add(name)
            missing = [e for e in US_CORE_ELEMENTS[name] if e not in resource]
            assert missing == [], (name, resource["id"], missing)
            if "vital" in json.dumps(resource.get("category", [])):
                assert resource["category"][0]["coding"][0]["code"] == "vital-signs"
            if name == "us-core-pulse-oximetry":
                assert _codes(resource) == {"2708-6", "59408-5"}
            if name == "us-core-condition-problems-health-concerns" and "entered-in-error" not in json.dumps(
                resource["verificationStatus"]
            ):
                assert "clinicalStatus" in resource
            if name == "us-core-allergyintolerance" and "entered-in-error" not in json.dumps(
                resource["verificationStatus"]
            ):
                assert "clinicalStatus" in resource
            if name == "us-core-documentreference":
                attachment = resource["content"][0]["attachment"]
                assert attachment["contentType"] and ("data" in attachment or "url" in attachment)
                assert resource["category"][0]["coding"][0]["code"] == "clinical-note"
    assert claimed == set(US_CORE_ELEMENTS)


# --- PDF -------------------------------------------------------------------------------------


def test_the_pdf_holds_the_whole_record_in_plain_words_and_no_draft(clinician, record, pdf_text):
    text = pdf_text(_full(clinician, record.patient, fmt="pdf").pdf)
    flat = " ".join(text.split())
    for expected in (
        "Your health record", "Visits", "Blood pressure follow-up", "Essential (primary) hypertension (I10)",
        "Visit notes", "03/02/2026 — Dr. Amara Okafor", "What you told us (subjective):",
        SIGNED_TEXT["subjective"], SIGNED_TEXT["plan"], ADDENDUM_TEXT, "at your request of 03/05/2026",
        "Health problems", "Acute bronchitis, unspecified", "Resolved 01/10/2026", "Entered in error",
        "Type 2 diabetes mellitus without complications", "Medications", "Lisinopril 10 mg tablet",
        "Stopped 03/02/2026: Stomach upset", "Prescriptions", "30 tablets", "Allergies", "Penicillin", "Hives",
        "No known allergies", "Vital signs", "142/88", "72/min", "98.2 °F", "179.9 lb", "97%", "3/10",
        "Follow-up visits", "BP check", "Requests to change your record", ACCEPTED_CHANGE, DENIED_CHANGE,
        DENIAL_REASON, "Not signed yet, so not in this copy: the notes of the visits on 03/09/2026",
    ):  # fmt: skip
        assert expected in flat, expected
    assert "Draft thoughts" not in flat and "zq81" not in flat
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"MRN {record.patient.mrn}" in page


# --- Who may make it, and what is recorded -----------------------------------------------------


def test_the_clinician_downloads_the_whole_record_and_it_is_recorded_once(as_user, clinician, record, pdf_text):
    client = as_user(clinician)
    url = f"/patients/{record.patient.mrn}/export/full/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"format": "pdf", "recipient_kind": "patient", "method": "print"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert SIGNED_TEXT["plan"] in " ".join(pdf_text(response.content).split())
    disclosure = Disclosure.objects.get(patient=record.patient)
    assert (disclosure.export_format, disclosure.export_scope, disclosure.method) == ("pdf", "full", "print")
    assert disclosure.made_by == clinician and not disclosure.in_accounting
    assert "signed visit note (1)" in disclosure.description and "addenda (2)" in disclosure.description
    assert SIGNED_TEXT["plan"] not in disclosure.description
    event = AuditEvent.objects.get(action=Action.EXPORT, patient_id=record.patient.mrn)
    assert event.detail == "pdf full"


def test_roles_that_may_not_read_notes_cannot_make_the_whole_record(as_user, front_desk, office_manager, record):
    for person in (front_desk, office_manager):
        client = as_user(person)
        url = f"/patients/{record.patient.mrn}/export/full/"
        assert client.post(url, {"format": "pdf", "recipient_kind": "patient", "method": "print"}).status_code == 403
        assert client.post(f"/api/v1/patients/{record.patient.mrn}/export/full", {},
                           content_type="application/json").status_code == 403  # fmt: skip
    assert not Disclosure.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


def test_the_front_desk_copy_carries_no_clinical_record(as_user, front_desk, record, pdf_text):
    client = as_user(front_desk)
    url = f"/patients/{record.patient.mrn}/export/"
    text = pdf_text(client.post(url, {"format": "pdf", "recipient_kind": "patient", "method": "print"}).content)
    assert "Insurance" in text and SIGNED_TEXT["plan"] not in text and "Penicillin" not in text
    assert "Visit notes" not in text
    bundle = json.loads(client.post(url, {"format": "fhir", "recipient_kind": "patient", "method": "download"}).content)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"Patient"}
    assert list(Disclosure.objects.values_list("export_scope", flat=True)) == ["registration", "registration"]


def test_a_restricted_record_needs_emergency_access_before_the_whole_record(as_user, office_manager, clinician, record):
    record_restrict(actor=office_manager, patient_id=record.patient.mrn)
    client = as_user(clinician)
    url = f"/patients/{record.patient.mrn}/export/full/"
    response = client.post(url, {"format": "fhir", "recipient_kind": "patient", "method": "download"})
    assert response.status_code == 302 and "emergency" in response["Location"]
    api = client.post(f"/api/v1/patients/{record.patient.mrn}/export/full", {}, content_type="application/json")
    assert api.status_code == 403
    assert not Disclosure.objects.exists()
    emergency_access_grant(actor=clinician, patient_id=record.patient.mrn, reason="Patient in the ER asks for it")
    response = client.post(url, {"format": "fhir", "recipient_kind": "patient", "method": "download"})
    assert response.status_code == 200
    assert Disclosure.objects.filter(patient=record.patient).count() == 1


def test_the_api_sends_the_whole_record_to_a_named_recipient(as_user, clinician, record):
    response = as_user(clinician).post(
        f"/api/v1/patients/{record.patient.mrn}/export/full",
        {"recipient_kind": "third_party", "recipient_name": "Dr. Lena Park, Hudson Cardiology",
         "purpose": "Referral for a second opinion", "basis": "directed", "method": "api"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 200
    Bundle.model_validate(response.json())
    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient_name, disclosure.basis, disclosure.in_accounting) == (
        "Dr. Lena Park, Hudson Cardiology", "directed", True,
    )  # fmt: skip
