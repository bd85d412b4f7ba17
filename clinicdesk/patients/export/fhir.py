"""The record as a FHIR R4 collection Bundle (Patient, Organization, Coverage)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..models import Patient, PatientPhone, PatientStatus
from .facts import CoverageFact

MRN_SYSTEM = "urn:clinicdesk:mrn"
PAYER_ID_SYSTEM = "urn:clinicdesk:x12-payer-id"
_V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
_V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
_COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
_ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
_BCP47 = "urn:ietf:bcp:47"
_US_CORE_BIRTHSEX = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
_GENDER_IDENTITY = "http://hl7.org/fhir/StructureDefinition/individual-genderIdentity"
_PRONOUNS = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

# Sex assigned at birth -> FHIR administrative gender and the US Core birth-sex code.
_GENDER = {"F": "female", "M": "male", "U": "unknown"}
_BIRTHSEX = {"F": "F", "M": "M", "U": "UNK"}
# Languages a US practice meets most, so receiving systems get a code as well as the text.
_LANGUAGE_CODES = {
    "english": "en",
    "spanish": "es",
    "chinese": "zh",
    "mandarin": "zh",
    "cantonese": "yue",
    "vietnamese": "vi",
    "tagalog": "tl",
    "arabic": "ar",
    "french": "fr",
    "korean": "ko",
    "russian": "ru",
    "portuguese": "pt",
    "haitian creole": "ht",
    "german": "de",
    "polish": "pl",
    "italian": "it",
    "hindi": "hi",
    "japanese": "ja",
}


def _patient_resource(patient: Patient, phones: list[PatientPhone]) -> dict[str, Any]:
    given = [n for n in (patient.first_name, patient.middle_name) if n]
    official: dict[str, Any] = {"use": "official", "family": patient.last_name, "given": given}
    if patient.suffix:
        official["suffix"] = [patient.suffix]
    names = [official]
    if patient.preferred_name and patient.preferred_name != patient.first_name:
        names.append({"use": "usual", "family": patient.last_name, "given": [patient.preferred_name]})

    telecom: list[dict[str, Any]] = [{"system": "phone", "value": phone.number, "use": phone.kind} for phone in phones]
    if patient.email:
        telecom.append({"system": "email", "value": patient.email, "use": "home"})

    extensions: list[dict[str, Any]] = [{"url": _US_CORE_BIRTHSEX, "valueCode": _BIRTHSEX[patient.sex_at_birth]}]
    if patient.gender_identity:
        extensions.append(
            {
                "url": _GENDER_IDENTITY,
                "extension": [{"url": "value", "valueCodeableConcept": {"text": patient.gender_identity}}],
            }
        )
    if patient.pronouns:
        extensions.append(
            {"url": _PRONOUNS, "extension": [{"url": "value", "valueCodeableConcept": {"text": patient.pronouns}}]}
        )

    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.public_id),
        "meta": {"lastUpdated": patient.updated_at.isoformat()},
        "extension": extensions,
        "identifier": [
            {
                "use": "usual",
                "type": {"coding": [{"system": _V2_0203, "code": "MR", "display": "Medical record number"}]},
                "system": MRN_SYSTEM,
                "value": patient.mrn,
            }
        ],
        "active": patient.status == PatientStatus.ACTIVE,
        "name": names,
        "gender": _GENDER[patient.sex_at_birth],
        "birthDate": patient.date_of_birth.isoformat(),
    }
    if telecom:
        resource["telecom"] = telecom
    if patient.status == PatientStatus.DECEASED and patient.deceased_date:
        resource["deceasedDateTime"] = patient.deceased_date.isoformat()
    else:
        resource["deceasedBoolean"] = False
    if patient.address_line1 or patient.city:
        address: dict[str, Any] = {"use": "home", "type": "both", "country": "US"}
        lines = [line for line in (patient.address_line1, patient.address_line2) if line]
        if lines:
            address["line"] = lines
        for key, value in (("city", patient.city), ("state", patient.state), ("postalCode", patient.zip_code)):
            if value:
                address[key] = value
        resource["address"] = [address]
    if patient.emergency_contact_name:
        contact: dict[str, Any] = {
            "relationship": [{"coding": [{"system": _V2_0131, "code": "C", "display": "Emergency Contact"}]}],
            "name": {"text": patient.emergency_contact_name},
        }
        if patient.emergency_contact_relationship:
            contact["relationship"].append({"text": patient.emergency_contact_relationship})
        if patient.emergency_contact_phone:
            contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
        resource["contact"] = [contact]
    if patient.preferred_language:
        language: dict[str, Any] = {"text": patient.preferred_language}
        code = _LANGUAGE_CODES.get(patient.preferred_language.strip().lower())
        if code:
            language["coding"] = [{"system": _BCP47, "code": code}]
        resource["communication"] = [{"language": language, "preferred": True}]
    if patient.primary_care_provider:
        resource["generalPractitioner"] = [{"display": str(patient.primary_care_provider)}]
    return resource


def _payer_key(coverage: CoverageFact) -> str:
    return coverage.payer_id or coverage.payer_name


def _organization_resource(coverage: CoverageFact, org_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Organization",
        "id": org_id,
        "active": True,
        "type": [{"coding": [{"system": _ORG_TYPE, "code": "pay", "display": "Payer"}]}],
        "name": coverage.payer_name,
    }
    if coverage.payer_id:
        resource["identifier"] = [{"system": PAYER_ID_SYSTEM, "value": coverage.payer_id}]
    if coverage.payer_phone:
        resource["telecom"] = [{"system": "phone", "value": coverage.payer_phone, "use": "work"}]
    if coverage.payer_address or coverage.payer_city:
        address: dict[str, Any] = {"use": "work", "country": "US"}
        if coverage.payer_address:
            address["line"] = list(coverage.payer_address)
        for key, value in (
            ("city", coverage.payer_city),
            ("state", coverage.payer_state),
            ("postalCode", coverage.payer_zip),
        ):
            if value:
                address[key] = value
        resource["address"] = [address]
    return resource


def _coverage_resource(coverage: CoverageFact, *, patient_url: str, payer_url: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Coverage",
        "id": coverage.key,
        # An ended coverage is history, not an error: "cancelled", with its period end.
        "status": "active" if coverage.active else "cancelled",
        "beneficiary": {"reference": patient_url},
        "relationship": {"coding": [{"system": _RELATIONSHIP, "code": coverage.relationship}]},
        "payor": [{"reference": payer_url, "display": coverage.payer_name}],
    }
    if coverage.payer_type:
        resource["type"] = {"text": coverage.payer_type}
    if coverage.member_id:
        resource["subscriberId"] = coverage.member_id
    if coverage.relationship == "self":
        resource["subscriber"] = {"reference": patient_url}
    elif coverage.subscriber_name:
        resource["subscriber"] = {"display": coverage.subscriber_name}
    if coverage.start or coverage.end:
        resource["period"] = {
            key: day.isoformat() for key, day in (("start", coverage.start), ("end", coverage.end)) if day
        }
    classes = []
    if coverage.group_number:
        classes.append(_coverage_class("group", coverage.group_number))
    if coverage.plan_name:
        classes.append(_coverage_class("plan", coverage.plan_name, name=coverage.plan_name))
    if classes:
        resource["class"] = classes
    if coverage.order:
        resource["order"] = coverage.order
    return resource


def _coverage_class(code: str, value: str, *, name: str = "") -> dict[str, Any]:
    entry: dict[str, Any] = {"type": {"coding": [{"system": _COVERAGE_CLASS, "code": code}]}, "value": value}
    if name:
        entry["name"] = name
    return entry


def patient_reference(patient: Patient) -> str:
    """The fullUrl of the patient's Patient resource, which every other resource refers to."""
    return f"urn:uuid:{patient.public_id}"


def fhir_bundle(
    *,
    patient: Patient,
    phones: list[PatientPhone],
    coverages: list[CoverageFact],
    now: datetime,
    entries: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The record as a FHIR R4 `collection` Bundle: the Patient, each Coverage with its payer,
    then `entries` (the registered sections' resources, in section order).

    A collection (not a `document`): it is a set of resources for another system to import one
    by one, not one attested document that would need a Composition. Signed notes travel as
    DocumentReferences inside it.
    """
    patient_url = patient_reference(patient)
    bundled: list[dict[str, Any]] = [{"fullUrl": patient_url, "resource": _patient_resource(patient, phones)}]
    payer_urls: dict[str, str] = {}
    for coverage in coverages:
        key = _payer_key(coverage)
        if key not in payer_urls:
            org_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:clinicdesk:payer:{key}"))
            payer_urls[key] = f"urn:uuid:{org_id}"
            bundled.append({"fullUrl": payer_urls[key], "resource": _organization_resource(coverage, org_id)})
        bundled.append(
            {
                "fullUrl": f"urn:clinicdesk:coverage:{coverage.key}",
                "resource": _coverage_resource(coverage, patient_url=patient_url, payer_url=payer_urls[key]),
            }
        )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now.isoformat()},
        "identifier": {"system": "urn:clinicdesk:export", "value": f"{patient.mrn}-{now:%Y%m%dT%H%M%SZ}"},
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [*bundled, *entries],
    }


# --- PDF ------------------------------------------------------------------------------------
