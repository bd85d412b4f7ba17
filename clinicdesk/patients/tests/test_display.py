"""What a list shows of a patient (patients/display.py): initials for a restricted record without
a live grant, the name otherwise; one query per list, however long."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.template import Context, Template, VariableDoesNotExist

from clinicdesk.accounts.services import emergency_access_grant, record_restrict
from clinicdesk.patients.display import OPENED, PatientLens, initials, patient_lens
from clinicdesk.patients.search.selectors import PatientHit
from clinicdesk.scheduling.tests.factories import make_patient

NOW = datetime(2030, 3, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock(clock):
    clock.set(NOW)
    return clock


def test_initials_take_the_first_letter_of_each_name_part_there_is():
    assert initials("jane", "van der Berg") == "J. V."
    assert initials("", "Doe") == "D."
    assert initials(" ", "  ") == ""


def test_a_restricted_record_is_initials_until_the_viewer_holds_a_live_grant(
    clock, office_manager, front_desk, clinician
):
    hidden = make_patient(front_desk, first="Zebulon", last="Quixwright")
    plain = make_patient(front_desk, first="Ottilie", last="Brackwater")
    record_restrict(actor=office_manager, patient_id=hidden.mrn)
    lens = patient_lens(viewer=front_desk)
    assert lens.name(hidden) == "Z. Q. (restricted)" and lens.masks(hidden) and lens.masks(hidden.mrn)
    assert lens.detail(hidden, "Xanthelasma review") == ""
    assert lens.name(plain) == "Brackwater, Ottilie" and lens.detail(plain, "Knee pain") == "Knee pain"
    assert patient_lens(viewer=front_desk, names=False).name(plain) == f"MRN {plain.mrn}"

    emergency_access_grant(actor=clinician, patient_id=hidden.mrn, reason="Patient collapsed in the lobby")
    assert patient_lens(viewer=clinician).name(hidden) == "Quixwright, Zebulon"
    assert patient_lens(viewer=front_desk).masks(hidden)  # a grant is one person's
    assert patient_lens(viewer=None).masks(hidden)  # a feed masks, whoever holds a grant
    clock.set(NOW + settings.CLINICDESK_EMERGENCY_ACCESS + timedelta(seconds=1))
    assert patient_lens(viewer=clinician).masks(hidden)  # an expired grant opens nothing


def test_the_lens_costs_one_query_however_many_records_are_restricted(
    clock, office_manager, front_desk, django_assert_num_queries
):
    for n in range(5):
        record_restrict(actor=office_manager, patient_id=make_patient(front_desk, last=f"Hidden{n}").mrn)
    with django_assert_num_queries(1):
        lens = patient_lens(viewer=front_desk)
    assert len(lens.masked) == 5


def test_masked_search_hits_keep_initials_mrn_and_flag_only():
    hits = [
        PatientHit("12345674", 'Quixwright, Zebulon "Zeb" M.', date(1961, 7, 23), 69, "0187", "", True, "name"),
        PatientHit("23456781", "Brackwater, Ottilie", date(1975, 5, 2), 55, "0142", "", False, "name"),
    ]
    masked, shown = PatientLens(masked=frozenset({"12345674"})).hits(hits)
    assert (masked.display_name, masked.date_of_birth, masked.age, masked.phone_last4) == (
        "Z. Q. (restricted)",
        None,
        None,
        "",
    )
    assert masked.mrn == "12345674" and masked.restricted and masked.match == "name"
    assert shown == hits[1]


def test_a_template_without_a_lens_fails_instead_of_showing_the_name(front_desk):
    template = Template("{% load patient_display %}{{ patient|shown_name:lens }}")
    patient = make_patient(front_desk, first="Zebulon", last="Quixwright")
    assert template.render(Context({"patient": patient, "lens": OPENED})) == "Quixwright, Zebulon"
    with pytest.raises(VariableDoesNotExist):
        template.render(Context({"patient": patient}))
    with pytest.raises(TypeError, match="lens"):
        template.render(Context({"patient": patient, "lens": ""}))
