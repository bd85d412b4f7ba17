"""Vital signs: units both ways, plausibility, flags, BMI, never edited (marked in error)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical import vitals as v
from clinicdesk.clinical.models import Vitals
from clinicdesk.clinical.tests.factories import make_clinic, make_encounter
from clinicdesk.clinical.vitals import VitalsInput, vitals_mark_in_error, vitals_record
from clinicdesk.core import clock as app_clock
from clinicdesk.patients.models import Patient


@pytest.fixture
def clinic(office_manager, clinician, front_desk):
    return make_clinic(office_manager, clinician, front_desk)


@pytest.fixture
def encounter(clinic, clinician):
    return make_encounter(clinician, clinic)


def record(actor, clinic, encounter=None, **values):
    return vitals_record(actor=actor, patient=clinic.patient, encounter=encounter, data=VitalsInput(**values))


# --- Conversions -----------------------------------------------------------------------------

tenths = st.integers(min_value=0, max_value=99999).map(lambda n: Decimal(n) / 10)


@given(tenths)
def test_a_stored_temperature_shown_in_fahrenheit_and_typed_back_is_unchanged(celsius):
    assert v.to_stored("temperature", v.to_display("temperature", celsius, "F"), "F") == celsius


@given(tenths)
def test_a_stored_height_shown_in_inches_and_typed_back_is_unchanged(cm):
    assert v.to_stored("height", v.to_display("height", cm, "in"), "in") == cm


@given(tenths)
def test_a_stored_weight_shown_in_pounds_and_typed_back_is_unchanged(kg):
    assert v.to_stored("weight", v.to_display("weight", kg, "lb"), "lb") == kg


def test_known_conversions():
    assert v.f_to_c(Decimal("98.6")) == Decimal("37.0")
    assert v.c_to_f(Decimal("37.0")) == Decimal("98.6")
    assert v.lb_to_kg(Decimal("180")) == Decimal("81.6")
    assert v.in_to_cm(Decimal("70")) == Decimal("177.8")
    assert v.cm_to_in(Decimal("177.8")) == Decimal("70.00")
    assert v.bmi_of(height_cm=Decimal("177.8"), weight_kg=Decimal("81.6")) == Decimal("25.8")


# --- Recording -------------------------------------------------------------------------------


def test_a_nurse_records_vitals_in_either_unit_stored_metric_with_bmi(clinic, encounter, nurse):
    entry = record(
        nurse, clinic, encounter, systolic="120", diastolic="80", pulse="72", temperature="98.6",
        temperature_unit="F", respiratory_rate="16", spo2="98", height="70", height_unit="in",
        weight="180", weight_unit="lb", pain="2",
    )  # fmt: skip
    entry.refresh_from_db()
    assert (entry.systolic, entry.diastolic, entry.pulse, entry.respiratory_rate, entry.spo2, entry.pain) == (
        120, 80, 72, 16, 98, 2,
    )  # fmt: skip
    assert (entry.temperature_c, entry.height_cm, entry.weight_kg) == (
        Decimal("37.0"),
        Decimal("177.8"),
        Decimal("81.6"),
    )
    assert entry.bmi == Decimal("25.8") and entry.flags == "" and entry.encounter == encounter
    assert entry.taken_by == nurse
    event = AuditEvent.objects.get(object_type="vitals")
    assert event.action == "create" and event.patient_id == clinic.patient.mrn
    assert event.detail == f"encounter={encounter.public_id}"


def test_metric_entry_is_stored_as_typed(clinic, nurse):
    entry = record(nurse, clinic, temperature="37.2", temperature_unit="C", weight="70.5", weight_unit="kg",
                   height="172", height_unit="cm")  # fmt: skip
    assert (entry.temperature_c, entry.weight_kg, entry.height_cm) == (Decimal("37.2"), Decimal("70.5"), Decimal("172"))
    assert entry.bmi == Decimal("23.8")


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (
            {"systolic": "20", "diastolic": "10"},
            "systolic",
            "Systolic 20 mmHg is not plausible (60–300 mmHg). Check the reading.",
        ),
        ({"pulse": "400"}, "pulse", "Pulse 400/min is not plausible (20–250/min). Check the reading."),
        ({"spo2": "30"}, "spo2", "SpO2 30% is not plausible (50–100%). Check the reading."),
        ({"spo2": "101"}, "spo2", "SpO2 101% is not plausible (50–100%). Check the reading."),
        (
            {"temperature": "120", "temperature_unit": "F"},
            "temperature",
            "Temperature 120 °F is not plausible (86–113 °F).",
        ),
        (
            {"temperature": "20", "temperature_unit": "C"},
            "temperature",
            "Temperature 20 °C is not plausible (30–45 °C).",
        ),
        ({"weight": "2000", "weight_unit": "lb"}, "weight", "Weight 2000 lb is not plausible"),
        ({"height": "400", "height_unit": "cm"}, "height", "Height 400 cm is not plausible"),
        ({"pain": "11"}, "pain", "Pain score 11 is not on the 0–10 scale."),
        ({"pain": "-1"}, "pain", "Pain score -1 is not on the 0–10 scale."),
        ({"pulse": "seventy"}, "pulse", "Pulse must be a number."),
        ({"pulse": "72.5"}, "pulse", "Pulse is a whole number (you gave 72.5)."),
        ({"systolic": "120"}, "diastolic", "Enter both systolic and diastolic blood pressure, or neither."),
        ({"systolic": "80", "diastolic": "90"}, "systolic", "Systolic (80) must be higher than diastolic (90)."),
        ({"weight": "70.555", "weight_unit": "kg"}, "weight", "Weight takes at most two decimals."),
        ({"pulse": "NaN"}, "pulse", "Pulse must be a number."),
        ({"pulse": "Infinity"}, "pulse", "Pulse must be a number."),
    ],
)
def test_impossible_readings_are_refused_with_the_field_and_nothing_is_written(clinic, nurse, values, field, message):
    with pytest.raises(ValidationError) as refused:
        record(nurse, clinic, **values)
    assert refused.value.message_dict[field][0].startswith(message)
    assert not Vitals.objects.exists() and not AuditEvent.objects.filter(object_type="vitals").exists()


def test_an_empty_set_is_refused(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        record(nurse, clinic)
    assert refused.value.messages == ["Enter at least one vital sign."]


def test_every_wrong_field_is_named_at_once(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        record(nurse, clinic, pulse="400", spo2="20", pain="12")
    assert set(refused.value.message_dict) == {"pulse", "spo2", "pain"}


def test_borderline_readings_are_stored_and_flagged_in_words(clinic, nurse):
    entry = record(nurse, clinic, systolic="165", diastolic="95", spo2="91", pulse="110", temperature="101.3")
    assert entry.flags == "BP 165/95 high; Pulse 110/min high; Temperature 38.5 °C (101.3 °F) high; SpO2 91% low"


def test_low_blood_pressure_and_severe_pain_are_flagged(clinic, nurse):
    assert record(nurse, clinic, systolic="85", diastolic="55", pain="8").flags == "BP 85/55 low; Pain 8/10 severe"


def test_the_bmi_uses_the_latest_height_of_an_adult(clinic, nurse):
    record(nurse, clinic, height="170", height_unit="cm")
    entry = record(nurse, clinic, weight="95", weight_unit="kg")
    assert entry.height_cm is None and entry.bmi == Decimal("32.9") and "BMI 32.9 high" in entry.flags


def test_a_height_marked_in_error_or_over_a_year_old_is_not_used(clinic, nurse):
    wrong = record(nurse, clinic, height="120", height_unit="cm")
    vitals_mark_in_error(actor=nurse, vitals=wrong, reason="Typo")
    old = record(nurse, clinic, height="170", height_unit="cm", taken_at=app_clock.now() - timedelta(days=400))
    assert old.height_cm == Decimal("170")
    assert record(nurse, clinic, weight="95", weight_unit="kg").bmi is None


def test_a_child_needs_a_height_taken_the_same_time(clinic, nurse):
    Patient.objects.filter(pk=clinic.patient.pk).update(date_of_birth=app_clock.today() - timedelta(days=365 * 8))
    clinic.patient.refresh_from_db()
    record(nurse, clinic, height="50", height_unit="in")
    assert record(nurse, clinic, weight="60", weight_unit="lb").bmi is None


def test_an_impossible_bmi_is_refused(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        record(nurse, clinic, height="40", height_unit="cm", weight="300", weight_unit="kg")
    assert "not plausible" in refused.value.message_dict["weight"][0]


def test_vitals_are_not_taken_in_the_future(clinic, nurse):
    with pytest.raises(ValidationError) as refused:
        record(nurse, clinic, pulse="70", taken_at=app_clock.now() + timedelta(hours=1))
    assert "future" in refused.value.message_dict["taken_at"][0]


def test_the_encounter_must_be_the_patients(clinic, nurse, clinician, front_desk):
    from clinicdesk.scheduling.tests.factories import make_patient

    other = make_patient(front_desk, first="John", last="Roe")
    encounter = make_encounter(clinician, clinic)
    with pytest.raises(ValidationError):
        vitals_record(actor=nurse, patient=other, encounter=encounter, data=VitalsInput(pulse="70"))


@pytest.mark.parametrize("role_fixture", ["office_manager", "front_desk", "biller", "auditor"])
def test_only_clinical_staff_record_vitals(request, clinic, role_fixture):
    with pytest.raises(PermissionDenied):
        record(request.getfixturevalue(role_fixture), clinic, pulse="70")
    assert not Vitals.objects.exists()


def test_an_entry_is_marked_in_error_never_edited(clinic, nurse, clinician):
    entry = record(nurse, clinic, pulse="70")
    marked = vitals_mark_in_error(actor=clinician, vitals=entry, reason="Wrong patient")
    assert marked.in_error and marked.in_error_reason == "Wrong patient" and marked.pulse == 70
    event = AuditEvent.objects.get(object_type="vitals", action="update")
    assert "Wrong patient" not in event.detail and event.patient_id == clinic.patient.mrn
    with pytest.raises(ValidationError) as again:
        vitals_mark_in_error(actor=clinician, vitals=entry, reason="Again")
    assert "already" in again.value.messages[0]
    entry.refresh_from_db()
    assert entry.in_error_reason == "Wrong patient"


def test_marking_in_error_needs_a_reason(clinic, nurse):
    entry = record(nurse, clinic, pulse="70")
    with pytest.raises(ValidationError) as refused:
        vitals_mark_in_error(actor=nurse, vitals=entry, reason="  ")
    assert "Say why" in refused.value.message_dict["reason"][0]
    entry.refresh_from_db()
    assert not entry.in_error


def test_what_was_typed_is_kept_and_shown_back_as_typed(clinic, nurse):
    entry = record(nurse, clinic, weight="150", weight_unit="lb", temperature="98.6", temperature_unit="F",
                   height="65.25", height_unit="in")  # fmt: skip
    entry.refresh_from_db()
    assert entry.weight_kg == Decimal("68.0")  # 150 lb converted back from 68.0 kg would be 149.9 lb
    assert (entry.weight_entered, entry.weight_unit) == (Decimal("150"), "lb")
    assert (entry.temperature_entered, entry.temperature_unit, entry.height_entered) == (
        Decimal("98.6"),
        "F",
        Decimal("65.25"),
    )
    assert v.reading_text(entry, "weight") == "150 lb (68 kg)"
    assert v.reading_text(entry, "temperature") == "98.6 °F (37 °C)"
    assert v.reading_text(entry, "height") == "65.25 in (165.7 cm)"
    assert v.reading_in(entry, "weight", "lb") == Decimal("150")
    metric = record(nurse, clinic, weight="70.5", weight_unit="kg")
    assert v.reading_text(metric, "weight") == "70.5 kg (155.4 lb)" and v.reading_text(metric, "height") == ""


def test_a_reading_kept_before_entries_were_stored_shows_its_metric_value_first(clinic, nurse):
    entry = record(nurse, clinic, weight="150", weight_unit="lb")
    Vitals.objects.filter(pk=entry.pk).update(weight_entered=None, weight_unit="")
    entry.refresh_from_db()
    assert v.reading_text(entry, "weight") == "68 kg (149.9 lb)"
