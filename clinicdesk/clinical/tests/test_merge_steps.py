"""Merging two patient records carries every clinical row along, reconciling allergies and recalls."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import recalls
from clinicdesk.clinical.models import (
    Addendum,
    Allergy,
    AllergyStatus,
    AmendmentRequest,
    Encounter,
    Medication,
    NoteStatus,
    Problem,
    Recall,
    RecallStatus,
    VisitNote,
    Vitals,
)
from clinicdesk.patients.merge import patient_merge, patient_relations, rows_linked_to, uncovered_relations

from .helpers import new_recall

SHA = "a" * 64


def _chart(rp, patient, actor, *, day=date(2026, 3, 2)):
    """One of everything clinical for `patient`, written straight to the tables."""
    encounter = Encounter.objects.create(
        patient=patient,
        provider=rp.provider,
        location=rp.location,
        date_of_service=day,
        reason="Cough",
        unscheduled_reason="Walk-in",
        opened_by=actor,
    )
    note = VisitNote.objects.create(
        encounter=encounter, subjective="Cough for 3 days", author=actor, last_edited_by=actor
    )
    VisitNote.objects.filter(pk=note.pk).update(
        status=NoteStatus.SIGNED, signed_by=actor, signed_at=encounter.opened_at, content_sha256=SHA
    )
    Addendum.objects.create(note=note, text="Also a sore throat", author=actor, content_sha256=SHA)
    Vitals.objects.create(patient=patient, encounter=encounter, taken_by=actor, pulse=72, weight_kg=Decimal("70.0"))
    Problem.objects.create(patient=patient, code="I10", description="Essential hypertension", created_by=actor)
    Medication.objects.create(patient=patient, name="Lisinopril", strength="10 mg", created_by=actor)
    AmendmentRequest.objects.create(
        patient=patient, received_on=day, requested_change="Fix my weight", recorded_by=actor
    )
    return encounter, note


def test_every_clinical_relation_to_a_patient_has_a_merge_step():
    clinical = [f"{m._meta.label}.{f}" for m, f in patient_relations() if m._meta.app_label == "clinical"]
    assert len(clinical) == 7
    assert [label for label in uncovered_relations() if label.startswith("clinical.")] == []


def test_a_merge_moves_every_clinical_row_and_leaves_signed_notes_as_signed(rp, clinician, office_manager):
    _chart(rp, rp.jane, clinician)
    encounter, note = _chart(rp, rp.joe, clinician)
    Allergy.objects.create(patient=rp.joe, substance="Penicillin", reaction="Rash", created_by=clinician)
    new_recall(clinician, rp, patient=rp.joe)
    signed_before = VisitNote.objects.values("subjective", "status", "content_sha256", "signed_at").get(pk=note.pk)
    patient_merge(actor=office_manager, survivor=rp.jane, merged=rp.joe)
    assert rows_linked_to(rp.joe) == {}
    for model in (Encounter, Vitals, Problem, Medication, AmendmentRequest, Allergy, Recall):
        assert not model.objects.filter(patient=rp.joe).exists(), model
    assert Encounter.objects.filter(patient=rp.jane).count() == 3  # two charts and the fixture's visit
    assert (
        VisitNote.objects.values("subjective", "status", "content_sha256", "signed_at").get(pk=note.pk) == signed_before
    )
    assert Addendum.objects.filter(note=note).count() == 1
    moved = AuditEvent.objects.filter(object_type="encounter", object_id=str(encounter.public_id), action="update")
    assert moved.get().patient_id == rp.jane.mrn
    # Both records list hypertension: the survivor's entry stays active, the duplicate's is kept in error.
    assert Problem.objects.filter(patient=rp.jane, code="I10", status="active").count() == 1
    assert Problem.objects.filter(patient=rp.jane, code="I10", status="in_error").count() == 1


def test_two_no_known_allergies_statements_become_one(rp, clinician, office_manager):
    mine = Allergy.objects.create(patient=rp.jane, no_known_allergies=True, created_by=clinician)
    theirs = Allergy.objects.create(patient=rp.joe, no_known_allergies=True, created_by=clinician)
    patient_merge(actor=office_manager, survivor=rp.jane, merged=rp.joe)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (AllergyStatus.ACTIVE, AllergyStatus.INACTIVE)
    assert theirs.patient == rp.jane


def test_an_allergy_on_either_record_ends_the_others_no_known_allergies(rp, clinician, office_manager):
    nka = Allergy.objects.create(patient=rp.jane, no_known_allergies=True, created_by=clinician)
    latex = Allergy.objects.create(patient=rp.joe, substance="Latex", created_by=clinician)
    patient_merge(actor=office_manager, survivor=rp.jane, merged=rp.joe)
    nka.refresh_from_db()
    latex.refresh_from_db()
    assert (nka.status, latex.status, latex.patient) == (AllergyStatus.INACTIVE, AllergyStatus.ACTIVE, rp.jane)
    assert AuditEvent.objects.filter(object_type="allergy", object_id=str(nka.public_id), action="update").exists()


def test_the_same_allergy_on_both_records_stays_active_once(rp, clinician, office_manager):
    mine = Allergy.objects.create(patient=rp.jane, substance="Penicillin", severity="severe", created_by=clinician)
    theirs = Allergy.objects.create(patient=rp.joe, substance="penicillin", created_by=clinician)
    patient_merge(actor=office_manager, survivor=rp.jane, merged=rp.joe)
    assert list(Allergy.objects.filter(patient=rp.jane, status="active")) == [mine]
    theirs.refresh_from_db()
    assert theirs.status == AllergyStatus.INACTIVE


def test_a_duplicate_open_recall_is_closed_and_a_different_one_moves_open(rp, clinician, office_manager, front_desk):
    mine = new_recall(clinician, rp)
    duplicate = new_recall(clinician, rp, patient=rp.joe)
    other = new_recall(clinician, rp, patient=rp.joe, kind=rp.physical)
    patient_merge(actor=office_manager, survivor=rp.jane, merged=rp.joe)
    for recall in (mine, duplicate, other):
        recall.refresh_from_db()
        assert recall.patient == rp.jane
    assert (mine.status, other.status) == (RecallStatus.DUE, RecallStatus.DUE)
    assert duplicate.status == RecallStatus.CLOSED
    assert duplicate.closed_reason.startswith("Duplicate of an open recall")
    worklist = recalls.recall_worklist(actor=front_desk, filters=recalls.WorklistFilters())
    assert {row.recall for row in worklist.rows} == {mine, other}
