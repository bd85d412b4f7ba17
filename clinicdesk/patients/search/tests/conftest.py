from __future__ import annotations

from datetime import date

import pytest

from clinicdesk.patients.services import PatientInput, patient_register


@pytest.fixture
def register(front_desk):
    """`register("Jane", "Doe", date(1962, 3, 14), phone=..., **more)` through the real service."""

    def _register(first: str, last: str, born: date = date(1962, 3, 14), *, phone: str = "", **more):
        values = {"first_name": first, "last_name": last, "date_of_birth": born, "sex_at_birth": "F", **more}
        phones = {"mobile": phone} if phone else {}
        return patient_register(actor=front_desk, data=PatientInput(values=values, phones=phones))

    return _register
