"""`clinicdesk demo` says what it is doing while it loads (make run waits on it)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from clinicdesk.core.demo import steps
from clinicdesk.patients.demo import LAST, demo_patient_inputs
from clinicdesk.patients.models import Patient


@pytest.mark.django_db
def test_the_demo_prints_each_step_as_it_starts_and_ends(clock):
    out, err = io.StringIO(), io.StringIO()
    call_command("demo", patients=4, stdout=out, stderr=err)
    names = [name for name, _ in steps()]
    lines = err.getvalue().splitlines()
    expected = []
    for number, name in enumerate(names, start=1):
        expected += [f"Demo step {number}/{len(names)}: {name}…", f"Demo step {number}/{len(names)}: {name} done in"]
    assert [re.sub(r" done in .*", " done in", line) for line in lines] == expected
    assert all(re.search(r"done in \d+\.\d s$", line) for line in lines[1::2])
    assert out.getvalue().startswith("Demo practice ready — ") and Patient.objects.count() == 4


PARTICLES = {"van", "der", "de", "la", "von", "del", "di", "da", "du", "le", "st."}


def test_every_demo_family_name_is_one_whole_surname():
    family_names = [data.values["last_name"] for data in demo_patient_inputs(2000, 2026)]
    assert set(family_names) <= set(LAST)
    # Several-word surnames are drawn whole, and a particle never stands alone as a surname.
    assert {"van der Berg", "Van Buren", "de la Cruz"} <= set(family_names)
    assert [name for name in LAST if name.lower() in PARTICLES or name.split()[-1].lower() in PARTICLES] == []
