"""The merge steps of paperwork_merge.py: guarantors that name the other half of the pair, and the audit of moved rows."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import F

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.core import clock as app_clock
from clinicdesk.patients import paperwork
from clinicdesk.patients.merge import patient_merge
from clinicdesk.patients.models import Guarantor, GuarantorKind, Patient, PatientFieldChange
from clinicdesk.patients.search.models import PatientMerge
from clinicdesk.patients.services import PatientInput, patient_register


def register(actor, first: str, born: date = date(1962, 3, 14), mobile: str = "(202) 555-0123") -> Patient:
    values = {"first_name": first, "last_name": "Doe", "date_of_birth": born, "sex_at_birth": "F"}
    return patient_register(actor=actor, data=PatientInput(values=values, phones={"mobile": mobile}))


@pytest.fixture
def jane(front_desk) -> Patient:
    """The record that stays."""
    return register(front_desk, "Jane")


@pytest.fixture
def twin(front_desk) -> Patient:
    """Jane registered a second time."""
    return register(front_desk, "Jane", mobile="(202) 555-0124")


def name_as_guarantor(actor, patient: Patient, guarantor: Patient, relationship: str = "spouse") -> Guarantor:
    data = paperwork.GuarantorInput(kind=GuarantorKind.PATIENT, guarantor_patient=guarantor, relationship=relationship)
    return paperwork.guarantor_set(actor=actor, patient=patient, data=data)


def person_guarantor(actor, patient: Patient) -> Guarantor:
    data = paperwork.GuarantorInput(
        kind=GuarantorKind.PERSON,
        relationship="parent",
        first_name="Max",
        last_name="Doe",
        date_of_birth=date(1940, 1, 1),
        phone="(202) 555-0199",
        address_line1="1 Main St",
        city="Albany",
        state="NY",
        zip_code="12207",
    )
    return paperwork.guarantor_set(actor=actor, patient=patient, data=data)


def self_references() -> list[int]:
    return list(Guarantor.objects.filter(guarantor_patient=F("patient")).values_list("pk", flat=True))


# --- a guarantor that was the other record -------------------------------------------------------


def test_a_survivor_whose_guarantor_was_the_duplicate_becomes_its_own_guarantor(front_desk, office_manager, jane, twin):
    row = name_as_guarantor(front_desk, jane, twin)

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    assert self_references() == []
    current = paperwork.guarantor_current(patient=jane)
    assert current is not None and current.pk == row.pk  # the same row, not a new one
    assert (current.kind, current.guarantor_patient, current.relationship) == ("self", None, "self")
    change = PatientFieldChange.objects.get(patient=jane, field=f"guarantor (merged {twin.mrn})")
    assert (change.old_value, change.new_value) == (f"patient {twin.mrn} (Spouse or partner)", "self")
    assert PatientMerge.objects.get().moved["guarantors now self"] == 1
    event = AuditEvent.objects.get(object_type="guarantor", object_id=str(row.public_id), action=Action.UPDATE)
    assert event.patient_id == jane.mrn and {"kind", "guarantor_patient"} <= set(event.changed_fields.split(","))


def test_a_duplicate_whose_guarantor_was_the_survivor_leaves_the_survivor_its_own_guarantor(
    front_desk, office_manager, jane, twin
):
    row = name_as_guarantor(front_desk, twin, jane, relationship="child")

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    assert self_references() == []
    current = paperwork.guarantor_current(patient=jane)
    assert current is not None and current.pk == row.pk
    assert (current.kind, current.guarantor_patient) == ("self", None)
    assert not Guarantor.objects.filter(patient=twin).exists()
    change = PatientFieldChange.objects.get(patient=jane, field=f"guarantor (merged {twin.mrn})")
    assert change.old_value == f"patient {jane.mrn} (Adult child)"


def test_the_survivors_own_guarantor_stays_current_when_the_duplicate_named_the_survivor(
    front_desk, office_manager, jane, twin
):
    mine = person_guarantor(front_desk, jane)
    theirs = name_as_guarantor(front_desk, twin, jane)

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    assert self_references() == []
    assert paperwork.guarantor_current(patient=jane).pk == mine.pk
    theirs.refresh_from_db()
    assert (theirs.patient, theirs.kind, theirs.superseded_by) == (jane, "self", office_manager)


def test_history_rows_that_named_the_other_record_become_self_too(front_desk, office_manager, jane, twin):
    name_as_guarantor(front_desk, jane, twin)
    person_guarantor(front_desk, jane)  # supersedes the row naming the twin

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    assert self_references() == []
    assert paperwork.guarantor_current(patient=jane).kind == "person"
    assert sorted(Guarantor.objects.filter(patient=jane).values_list("kind", flat=True)) == ["person", "self"]


def test_someone_else_whose_guarantor_was_the_duplicate_now_names_the_survivor(front_desk, office_manager, jane, twin):
    child = register(front_desk, "Jill", born=date(2010, 5, 1), mobile="(202) 555-0150")
    row = name_as_guarantor(front_desk, child, twin, relationship="parent")

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    row.refresh_from_db()
    assert (row.patient, row.kind, row.guarantor_patient) == (child, "patient", jane)
    event = AuditEvent.objects.get(object_type="guarantor", object_id=str(row.public_id), action=Action.UPDATE)
    assert event.patient_id == child.mrn and event.changed_fields == "guarantor_patient"
    assert PatientMerge.objects.get().moved["guarantors now self"] == 0


# --- the audit of moved paperwork rows -----------------------------------------------------------


def test_every_moved_paperwork_row_is_audited_and_the_merge_names_each_kind(front_desk, office_manager, jane, twin):
    today = app_clock.today()
    sms = paperwork.CommPreferenceInput(channel="sms", consent=True, consent_date=today, consent_source="form")
    voice = paperwork.CommPreferenceInput(channel="voice", consent=True, consent_date=today, consent_source="phone")
    paperwork.comm_preference_set(actor=front_desk, patient=jane, data=sms)
    paperwork.comm_preference_set(actor=front_desk, patient=twin, data=sms)  # folded into Jane's sms row
    paperwork.comm_preference_set(actor=front_desk, patient=twin, data=voice)  # moves
    person_guarantor(front_desk, twin)
    npp = paperwork.NppInput(version="1", acknowledged_on=today, method="verbal")
    paperwork.npp_acknowledge(actor=front_desk, patient=twin, data=npp)
    paperwork.npp_acknowledge(actor=front_desk, patient=twin, data=npp)
    paperwork.consent_record(
        actor=front_desk, patient=twin, data=paperwork.ConsentInput(kind="treatment", signed_on=today)
    )
    paperwork.restriction_request(
        actor=front_desk, patient=twin, data=paperwork.RestrictionInput(text="Not to my employer", requested_on=today)
    )
    twins_rows = {
        "comm_preference": set(twin.comm_preferences.values_list("public_id", flat=True)),
        "guarantor": set(twin.guarantors.values_list("public_id", flat=True)),
        "npp_ack": set(twin.npp_acknowledgments.values_list("public_id", flat=True)),
        "consent": set(twin.consents.values_list("public_id", flat=True)),
        "restriction": set(twin.restrictions.values_list("public_id", flat=True)),
    }
    before = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()

    patient_merge(actor=office_manager, survivor=jane, merged=twin)

    events = AuditEvent.objects.filter(seq__gt=before, object_type__in=twins_rows)
    for object_type, public_ids in twins_rows.items():
        mine = events.filter(object_type=object_type)
        assert {e.object_id for e in mine} == {str(p) for p in public_ids}, object_type
        assert mine.count() == len(public_ids), object_type  # exactly one event per moved row
        assert {e.patient_id for e in mine} == {jane.mrn}, object_type
        assert all(twin.mrn in e.detail for e in mine), object_type
    folded = events.get(object_type="comm_preference", action=Action.DELETE)
    assert "folded into" in folded.detail
    merge = AuditEvent.objects.get(object_type="patient_merge")
    for kind_and_count in (
        "communication preferences:2",
        "guarantors:1",
        "NPP acknowledgments:2",
        "consents:1",
        "restrictions:1",
    ):
        assert kind_and_count in merge.detail
    assert "Jane" not in merge.detail and "employer" not in merge.detail
