from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from clinicdesk.core.money import CentsField, Money, MoneyField
from clinicdesk.patients.models import Coverage, CoveragePriority, Payer, PayerType
from clinicdesk.patients.services import PatientInput, patient_register

BIG = 2**62  # beyond 2**53: a float or a JSON number in JavaScript would round it


@pytest.fixture
def coverage(clock, front_desk):
    clock.set(datetime(2026, 6, 1, 14, 0, tzinfo=UTC))
    patient = patient_register(
        actor=front_desk,
        data=PatientInput(
            values={"first_name": "Jane", "last_name": "Doe", "date_of_birth": date(1962, 3, 14), "sex_at_birth": "F"}
        ),
    )
    payer = Payer.objects.create(name="Aetna", payer_type=PayerType.COMMERCIAL, payer_id="60054")
    return Coverage(
        patient=patient,
        payer=payer,
        priority=CoveragePriority.PRIMARY,
        member_id="W123456789",
        effective_date=date(2026, 1, 1),
        created_by=front_desk,
    )


def _stored(pk: int):
    with connection.cursor() as cursor:
        cursor.execute("SELECT copay_cents FROM patients_coverage WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("cents", [0, 1, 2500, 99_999_999_999, BIG, None])
def test_cents_are_stored_and_read_back_exactly(coverage, cents):
    coverage.copay_cents = cents
    coverage.save()
    assert _stored(coverage.pk) == cents
    read = Coverage.objects.get(pk=coverage.pk).copay_cents
    assert read == cents and type(read) is type(cents)
    if cents is not None:
        assert Coverage.objects.filter(copay_cents=cents).count() == 1


def test_a_money_is_stored_as_its_cents(coverage):
    coverage.copay_cents = Money.parse("25.50")
    coverage.save()
    assert _stored(coverage.pk) == 2550
    assert Coverage.objects.filter(copay_cents=Money.from_cents(2550)).exists()


@pytest.mark.parametrize("wrong", [25.5, 25.0, Decimal("25.50"), Decimal(2500), "2500", True])
def test_anything_but_integer_cents_is_refused_before_the_database(coverage, wrong):
    coverage.copay_cents = wrong
    with pytest.raises(TypeError, match="copay_cents holds integer cents"), transaction.atomic():
        coverage.save()
    assert not Coverage.objects.exists()
    with pytest.raises(TypeError, match="copay_cents"):
        Coverage.objects.filter(copay_cents=wrong).exists()


@pytest.mark.parametrize("wrong", [25.5, Decimal("25.50"), "25"])
def test_full_clean_names_the_field_of_a_non_integer(coverage, wrong):
    coverage.copay_cents = wrong
    with pytest.raises(ValidationError) as info:
        coverage.full_clean()
    assert info.value.message_dict["copay_cents"] == ["copay_cents must be a whole number of cents."]


def test_the_copay_keeps_its_not_negative_check(coverage):
    coverage.copay_cents = -1
    with pytest.raises(IntegrityError), transaction.atomic():
        coverage.save()


def test_the_field_is_a_bigint_column_with_a_dollar_form_field():
    field = Coverage._meta.get_field("copay_cents")
    assert isinstance(field, CentsField)
    assert field.db_type(connection) == CentsField().db_type(connection) == "bigint"
    form_field = field.formfield()
    assert isinstance(form_field, MoneyField) and not form_field.required
    assert form_field.clean("$25.50") == 2550
