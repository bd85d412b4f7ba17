from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st
from ninja import Schema
from pydantic import ValidationError as PydanticValidationError

from clinicdesk.core.money import DEFAULT_MAX_CENTS, Cents, Money, MoneyError, MoneyField

amounts = st.builds(Money, st.integers(min_value=-DEFAULT_MAX_CENTS, max_value=DEFAULT_MAX_CENTS))


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("25", 2500),
        ("25.5", 2550),
        ("$25.50", 2550),
        ("1,250.00", 125000),
        ("$1,250", 125000),
        (" 25 ", 2500),
        ("$ 25", 2500),
        (".50", 50),
        ("25.", 2500),
        ("0", 0),
        ("-0", 0),
        ("1,000,000.01", 100000001),
        ("999999999.99", DEFAULT_MAX_CENTS),
    ],
)
def test_parse_reads_what_staff_type(typed, cents):
    assert Money.parse(typed) == Money.from_cents(cents)


@pytest.mark.parametrize(
    ("typed", "code", "words"),
    [
        ("twenty", "invalid", "Enter an amount in dollars"),
        ("", "invalid", "Enter an amount in dollars"),
        ("$", "invalid", "Enter an amount in dollars"),
        (".", "invalid", "Enter an amount in dollars"),
        ("1e3", "invalid", "Enter an amount in dollars"),
        ("NaN", "invalid", "Enter an amount in dollars"),
        ("Infinity", "invalid", "Enter an amount in dollars"),
        ("1,25", "invalid", "Enter an amount in dollars"),  # a European decimal comma
        ("12,50.00", "invalid", "Enter an amount in dollars"),
        ("٢٥", "invalid", "Enter an amount in dollars"),  # Arabic-Indic digits, which int() reads
        ("-$-5", "invalid", "Enter an amount in dollars"),
        ("25 00", "invalid", "Enter an amount in dollars"),
        ("25.505", "decimals", "at most 2 decimals"),
        ("1.250", "decimals", "at most 2 decimals"),  # a thousand in much of Europe
        ("25.500", "decimals", "at most 2 decimals"),
        ("-5", "negative", "cannot be negative"),
        ("-$0.01", "negative", "cannot be negative"),
        ("1000000000", "max", "no larger than $999,999,999.99"),
        ("9" * 5000, "max", "no larger than"),  # int() would refuse more than 4300 digits
    ],
)
def test_parse_refuses_what_is_not_an_amount_with_a_sentence(typed, code, words):
    with pytest.raises(MoneyError) as refused:
        Money.parse(typed)
    assert refused.value.code == code and words in str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_parse_takes_negative_amounts_and_a_smaller_maximum_when_asked():
    assert Money.parse("-$5.25", allow_negative=True) == Money(-525)
    assert Money.parse("$-5.25", allow_negative=True) == Money(-525)
    assert Money.parse("999,999.99", max_cents=99_999_999) == Money(99_999_999)
    with pytest.raises(MoneyError, match=r"no larger than \$999,999.99"):
        Money.parse("1,000,000", max_cents=99_999_999)
    with pytest.raises(MoneyError, match="no larger than"):
        Money.parse("-1,000,000", allow_negative=True, max_cents=99_999_999)


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (5, "$0.05"),
        (2550, "$25.50"),
        (125000, "$1,250.00"),
        (-525, "-$5.25"),
        (10**11, "$1,000,000,000.00"),
    ],
)
def test_str_and_format_show_dollars_with_commas(cents, text):
    amount = Money.from_cents(cents)
    assert str(amount) == text and f"{amount}" == text and format(amount, "") == text
    assert f"{amount:>20}" == text.rjust(20)


def test_arithmetic_stays_in_cents_and_refuses_floats():
    ten_cents, twenty_cents = Money(10), Money(20)
    assert ten_cents + twenty_cents == Money(30)
    assert twenty_cents - ten_cents * 3 == Money(-10)
    assert 3 * ten_cents == Money(30) and -ten_cents == Money(-10) and abs(Money(-10)) == ten_cents
    assert sum([ten_cents, twenty_cents]) == Money(30)
    assert sum([], Money.zero()) == Money(0)
    for bad in (0.5, Decimal("1.5"), 1, "1"):
        with pytest.raises(TypeError):
            ten_cents + bad  # type: ignore[operator]  # the point of the test
    with pytest.raises(TypeError):
        ten_cents * 1.5  # type: ignore[operator]  # the point of the test
    with pytest.raises(TypeError):
        ten_cents / 2  # type: ignore[operator]  # the point of the test


def test_comparisons_are_between_amounts_only():
    assert Money(10) < Money(20) <= Money(20) and Money(30) > Money(20)
    assert sorted([Money(5), Money(-5), Money(0)]) == [Money(-5), Money(0), Money(5)]
    assert Money(0) != 0 and not Money(0) and Money(1)
    assert len({Money(5), Money.parse("0.05")}) == 1
    with pytest.raises(TypeError):
        _ = Money(10) < 20  # type: ignore[operator]  # the point of the test


def test_money_is_immutable_and_holds_only_integer_cents():
    amount = Money(10)
    with pytest.raises(AttributeError):
        amount.cents = 20  # type: ignore[misc]  # the point of the test
    for bad in (10.0, Decimal("10"), "10", True):
        with pytest.raises(TypeError):
            Money(bad)  # type: ignore[arg-type]  # the point of the test
    with pytest.raises(OverflowError):
        Money(2**63)
    assert Money(-2550).to_decimal() == Decimal("-25.50") and str(Money(5).to_decimal()) == "0.05"


@given(amounts)
def test_an_amount_reads_back_from_its_own_text(amount):
    assert Money.parse(str(amount), allow_negative=True) == amount
    assert Money.parse(str(amount.to_decimal()), allow_negative=True) == amount


@given(st.lists(st.integers(min_value=-(10**12), max_value=10**12), max_size=50))
def test_sums_are_exact(cents):
    assert sum((Money(c) for c in cents), Money.zero()).cents == sum(cents)
    assert sum(Money(c) for c in cents) == (Money(sum(cents)) if cents else 0)


@given(amounts, amounts, st.integers(min_value=-1000, max_value=1000))
def test_arithmetic_matches_integer_arithmetic(a, b, n):
    assert (a + b).cents == a.cents + b.cents and (a - b).cents == a.cents - b.cents
    assert (a * n).cents == a.cents * n and (a + b) - b == a
    assert (a < b) == (a.cents < b.cents)


class CopayForm(forms.Form):
    copay = MoneyField(required=False, max_cents=99_999_999)
    refund = MoneyField(allow_negative=True, error_messages={"invalid": "Type the refund in dollars."})


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("abc", "Enter an amount in dollars, e.g. 25, 25.50 or 1,250.00."),
        ("25.505", "Use at most 2 decimals (dollars and cents), e.g. 25.50."),
        ("-5", "The amount cannot be negative."),
        ("1000000", "Enter an amount no larger than $999,999.99."),
    ],
)
def test_the_form_field_puts_a_sentence_next_to_the_field(typed, message):
    form = CopayForm({"copay": typed, "refund": "1"})
    assert not form.is_valid()
    assert form.errors["copay"] == [message]
    assert form.errors.as_data()["copay"][0].code in {"invalid", "decimals", "negative", "max"}


def test_the_form_field_cleans_to_cents_and_takes_custom_messages():
    form = CopayForm({"copay": "$1,250.5", "refund": "-3"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"copay": 125050, "refund": -300}
    blank = CopayForm({"copay": " ", "refund": "x"})
    assert not blank.is_valid()
    assert "copay" not in blank.errors and blank.errors["refund"] == ["Type the refund in dollars."]
    empty = CopayForm({"copay": "", "refund": "1"})
    assert empty.is_valid() and empty.cleaned_data["copay"] is None


def test_the_form_field_shows_initial_cents_as_dollars_and_keeps_what_was_typed():
    unbound = CopayForm(initial={"copay": 2550})
    assert 'value="25.50"' in str(unbound["copay"]) and 'inputmode="decimal"' in str(unbound["copay"])
    bound = CopayForm({"copay": "25.505", "refund": "1"})
    assert 'value="25.505"' in str(bound["copay"])
    assert not CopayForm({"copay": "25.50", "refund": "1"}, initial={"copay": 2550, "refund": 100}).has_changed()
    assert CopayForm({"copay": "25.51", "refund": "1"}, initial={"copay": 2550, "refund": 100}).has_changed()


def test_the_money_filter_shows_cents_as_dollars():
    template = Template('{% load money %}{{ a|money }}|{{ b|money }}|{{ c|money|default:"none" }}|{{ d|money }}')
    text = template.render(Context({"a": 125000, "b": Money(-5), "c": None, "d": Decimal("25")}))
    assert text == "$1,250.00|-$0.05|none|"


class Priced(Schema):
    amount_cents: Cents | None = None


def test_the_api_type_takes_only_whole_cents():
    assert Priced.model_validate({"amount_cents": 2550}).amount_cents == 2550
    assert Priced.model_validate({"amount_cents": None}).amount_cents is None
    assert Priced.model_validate({"amount_cents": Money(5)}).amount_cents == 5
    for bad in (25.5, 2550.0, "2550", "25.50", True, [1], 10**12):
        with pytest.raises(PydanticValidationError) as refused:
            Priced.model_validate({"amount_cents": bad})
        assert "cents" in str(refused.value), bad
