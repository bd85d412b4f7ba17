"""The visit summary PDF: what it says, that it says when it is preliminary, and who may print it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from clinicdesk.audit.models import Action, AuditEvent
from clinicdesk.clinical.models import Allergy, EncounterDiagnosis, Medication, Recall, VisitNote, Vitals
from clinicdesk.core import clock as app_clock

from .factories import make_clinic, make_encounter


@pytest.fixture
def visit(office_manager, clinician, front_desk):
    clinic = make_clinic(office_manager, clinician, front_desk)
    encounter = make_encounter(clinician, clinic, reason="Blood pressure follow-up")
    VisitNote.objects.create(
        encounter=encounter, author=clinician, last_edited_by=clinician, subjective="Feels well.",
        plan="Keep taking lisinopril every morning.\nCheck your blood pressure at home twice a week.",
    )  # fmt: skip
    EncounterDiagnosis.objects.create(
        encounter=encounter, code="I10", description="Essential (primary) hypertension", rank=1
    )
    Vitals.objects.create(
        patient=clinic.patient, encounter=encounter, taken_by=clinician, taken_at=datetime(2026, 3, 2, 14, tzinfo=UTC),
        systolic=142, diastolic=88, pulse=72, weight_kg=Decimal("81.6"), temperature_c=Decimal("36.8"),
    )  # fmt: skip
    Medication.objects.create(patient=clinic.patient, name="Lisinopril", strength="10 mg", form="tablet",
                              directions="1 tablet by mouth daily", created_by=clinician)  # fmt: skip
    Allergy.objects.create(patient=clinic.patient, substance="Penicillin", reaction="Hives", created_by=clinician)
    Recall.objects.create(patient=clinic.patient, encounter=encounter, appointment_type=clinic.kind,
                          due_on=date(2026, 3, 16), reason="BP check", created_by=clinician)  # fmt: skip
    return encounter


def test_the_summary_says_what_was_done_and_what_to_do_next(as_user, clinician, visit, pdf_text):
    response = as_user(clinician).get(reverse("clinical:visit_summary", args=[visit.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Your visit on 03/02/2026", "Blood pressure follow-up", "Blood pressure 142/88 mmHg", "pulse 72/min",
        "temperature 98.2 °F", "weight 179.9 lb", "Essential (primary) hypertension (I10)",
        "Keep taking lisinopril every morning.", "Check your blood pressure at home twice a week.",
        "Lisinopril 10 mg tablet — 1 tablet by mouth daily", "Penicillin: Hives",
        "Jane Doe · born 03/14/1962", "BP check: book a Follow-up by 03/16/2026.", "PRELIMINARY", "Page 1 of 1",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Feels well" not in text  # the summary carries the plan, not the clinician's whole note


def test_a_signed_note_makes_it_final_and_every_print_is_audited(as_user, clinician, visit, pdf_text):
    VisitNote.objects.filter(encounter=visit).update(
        status="signed", signed_by=clinician, signed_at=app_clock.now(), content_sha256="c" * 64
    )
    client = as_user(clinician)
    before = AuditEvent.objects.filter(action=Action.PRINT, patient_id=visit.patient.mrn).count()
    text = pdf_text(client.get(reverse("clinical:visit_summary", args=[visit.public_id])).content)
    assert "PRELIMINARY" not in text
    assert AuditEvent.objects.filter(action=Action.PRINT, patient_id=visit.patient.mrn).count() == before + 1


def test_only_clinical_readers_print_it_and_an_unknown_visit_is_a_404(as_user, front_desk, biller, nurse, visit):
    url = reverse("clinical:visit_summary", args=[visit.public_id])
    assert as_user(front_desk).get(url).status_code == 403
    assert as_user(biller).get(url).status_code == 403
    assert as_user(nurse).get(url).status_code == 200
    missing = reverse("clinical:visit_summary", args=["00000000-0000-0000-0000-000000000000"])
    assert as_user(nurse).get(missing).status_code == 404
