"""Fixtures the clinical tests share; helpers that are not fixtures are in helpers.py and factories.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from clinicdesk.clinical.models import Encounter
from clinicdesk.codes.services import icd10_load
from clinicdesk.core import clock as app_clock
from clinicdesk.scheduling.tests.factories import make_type, make_weekday_practice

from .factories import make_clinic, make_encounter
from .helpers import CODES


@pytest.fixture
def icd10(db):
    """helpers.CODES, loaded as release 2026."""
    icd10_load(entries=CODES, release="2026")
    return CODES


@pytest.fixture
def clinic(office_manager, clinician, icd10):
    """A practice (location, provider for the clinician), a patient and the sample codes."""
    return make_clinic(office_manager, clinician)


@pytest.fixture
def patient(clinic):
    return clinic.patient


@pytest.fixture
def encounter(clinic, clinician):
    return make_encounter(clinician, clinic)


@pytest.fixture
def rp(office_manager, front_desk, clinician):
    """A bookable practice (make_weekday_practice) with a second visit type and a visit of Jane's."""
    practice = make_weekday_practice(office_manager, front_desk, clinician)
    physical = make_type(office_manager, [practice.provider], name="Annual physical", duration_minutes=30)
    encounter = Encounter.objects.create(
        patient=practice.jane,
        provider=practice.provider,
        location=practice.location,
        date_of_service=app_clock.today(),
        reason="Blood pressure",
        unscheduled_reason="Walk-in",
        opened_by=clinician,
    )
    return SimpleNamespace(**vars(practice), physical=physical, encounter=encounter)
