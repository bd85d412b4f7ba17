"""What the database itself refuses in the clinical tables, whatever code writes them."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from clinicdesk.clinical.models import Allergy, NoteTemplate, Problem

from .factories import make_clinic


@pytest.fixture
def clinic(office_manager, clinician):
    return make_clinic(office_manager, clinician)


def _refused(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_one_default_note_template_and_one_per_visit_type(clinic, office_manager):
    NoteTemplate.objects.create(appointment_type=None, plan="Default", updated_by=office_manager)
    assert _refused(lambda: NoteTemplate.objects.create(appointment_type=None, plan="Again", updated_by=office_manager))
    NoteTemplate.objects.create(appointment_type=clinic.kind, plan="Follow-up", updated_by=office_manager)
    assert _refused(lambda: NoteTemplate.objects.create(appointment_type=clinic.kind, updated_by=office_manager))
    NoteTemplate.objects.create(appointment_type=clinic.video, plan="Video", updated_by=office_manager)


def test_an_active_problem_code_once_a_patient_but_any_number_resolved(clinic, clinician):
    def add(status="active", **extra):
        return Problem.objects.create(
            patient=clinic.patient, code="I10", description="Essential (primary) hypertension", status=status,
            created_by=clinician, **extra,
        )  # fmt: skip

    add()
    assert _refused(add)
    add(status="resolved", onset=date(2020, 1, 1), resolved_on=date(2021, 1, 1))
    add(status="resolved", onset=date(2022, 1, 1), resolved_on=date(2023, 1, 1))


def test_an_active_allergy_substance_once_a_patient_whatever_its_case(clinic, clinician):
    Allergy.objects.create(patient=clinic.patient, substance="Penicillin", created_by=clinician)
    assert _refused(
        lambda: Allergy.objects.create(patient=clinic.patient, substance="PENICILLIN", created_by=clinician)
    )
    Allergy.objects.create(patient=clinic.patient, substance="Penicillin", status="inactive", created_by=clinician)
