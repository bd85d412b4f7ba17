"""Money as integer cents (US dollars only): the value type, the form field and the API type.

Why cents: SQLite stores a DecimalField as a float, so amounts live in a BigIntegerField of
cents and are only ever turned into text at the edges.

    Money.parse("$1,250.00")           -> Money(cents=125000)
    str(Money.from_cents(125000))      -> "$1,250.00"
    Money.from_cents(2500) * 3 + Money.parse("0.05")   -> "$75.05"

The API carries amounts as integer cents in fields named `*_cents` (2500 is $25.00), never as
dollars. That is what payment APIs with a long life do (Stripe, Square, Adyen "minor units"):
an integer survives every JSON parser exactly, while a JSON number such as 25.1 becomes a
binary float in JavaScript and in Python's `json`, and a dollar string invites "25,50",
"$25" and "1.250" (a thousand in Europe). The unit is in the field name, so nobody has to
guess it. `Cents` below is the pydantic type for such fields; it takes only JSON integers.
People, on the other hand, type dollars: `MoneyField` reads what they type and cleans to cents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from pydantic import BeforeValidator, ValidationInfo
from pydantic_core import PydanticCustomError

# A BigIntegerField holds 64-bit signed integers; nothing bigger can be stored.
_STORABLE = 2**63 - 1
# Amounts a person or a client may give: under a billion dollars. No office amount comes near
# it, and it keeps every amount below 2**53, the largest integer JavaScript holds exactly.
DEFAULT_MAX_CENTS = 99_999_999_999
_MAX_TEXT = 40  # "-$999,999,999,999.99" with room for spaces; longer text is not an amount

# Sign before or after the dollar sign ("-$5", "$-5"), digits either plain or grouped by
# commas in threes, then an optional fraction. ASCII digits only: int() would accept "٢٥".
_AMOUNT = re.compile(
    r"(?P<sign>-?)\s*\$?\s*(?P<sign2>-?)\s*"
    r"(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?"
    r"(?:\.(?P<frac>[0-9]*))?",
    re.ASCII,
)


class MoneyError(ValueError):
    """Why text is not an acceptable amount. `code` is one of invalid, decimals, negative, max."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount of US dollars, held as integer cents.

    Edge cases, decided:
    - Arithmetic stays in cents: Money + Money, Money - Money, Money * int. There is no
      division and no multiplying by a float or Decimal (TypeError); splitting an amount needs
      a rule for the odd cent, which belongs to the code that splits it.
    - `sum(amounts)` works (0 + Money is allowed); an empty sum is the int 0, so write
      `sum(amounts, Money.zero())` when there may be none.
    - Comparisons are between Money only; Money(0) == 0 is False. Money(0) is falsy, like 0,
      so test "not recorded" with `is None`.
    - Negative amounts exist (refunds, adjustments): str gives "-$5.00".
    - Amounts beyond what a BigIntegerField stores raise OverflowError when made.
    """

    cents: int

    def __post_init__(self) -> None:
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money holds integer cents, not {type(self.cents).__name__}")
        if abs(self.cents) > _STORABLE:
            raise OverflowError("the amount is beyond what the database can store")

    @classmethod
    def from_cents(cls, cents: int) -> Money:
        return cls(cents)

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def parse(cls, text: str, *, allow_negative: bool = False, max_cents: int = DEFAULT_MAX_CENTS) -> Money:
        """The amount in what staff type: "25", "25.5", "$25.50", "1,250.00", " 25 ", ".50", "-$5".

        Raises MoneyError (a ValueError) with a sentence for the person, and a `code`:
        - invalid: not an amount ("twenty", "1e3", "NaN", "1,25", "", "$").
        - decimals: more than 2 decimals. "25.500" is refused too, although it is exact:
          "1.250" is how a thousand is written in much of Europe, and reading it as $1.25
          would be a mistake by a factor of a thousand.
        - negative: below zero when `allow_negative` is False ("-0" is zero and fine).
        - max: larger than `max_cents` (either sign).
        """
        if not isinstance(text, str):
            raise TypeError(f"Money.parse takes text, not {type(text).__name__}")
        stripped = text.strip()
        match = _AMOUNT.fullmatch(stripped) if len(stripped) <= _MAX_TEXT else None
        if match is None or (match["whole"] is None and not match["frac"]) or (match["sign"] and match["sign2"]):
            if len(stripped) > _MAX_TEXT and re.fullmatch(r"[$\s]*[0-9,]+(\.[0-9]*)?", stripped, re.ASCII):
                raise _too_large(max_cents)
            raise MoneyError("Enter an amount in dollars, e.g. 25, 25.50 or 1,250.00.", code="invalid")
        frac = match["frac"] or ""
        if len(frac) > 2:
            raise MoneyError("Use at most 2 decimals (dollars and cents), e.g. 25.50.", code="decimals")
        whole = (match["whole"] or "0").replace(",", "")
        cents = int(whole) * 100 + int(frac.ljust(2, "0"))
        if match["sign"] or match["sign2"]:
            cents = -cents
        if cents < 0 and not allow_negative:
            raise MoneyError("The amount cannot be negative.", code="negative")
        if abs(cents) > max_cents:
            raise _too_large(max_cents)
        return cls(cents)

    def to_decimal(self) -> Decimal:
        """The amount in dollars as an exact Decimal with 2 places (for X12 and other files)."""
        return Decimal(self.cents).scaleb(-2)

    def __str__(self) -> str:
        dollars, cents = divmod(abs(self.cents), 100)
        return f"{'-' if self.cents < 0 else ''}${dollars:,}.{cents:02d}"

    def __format__(self, spec: str) -> str:
        # Alignment and width apply to the text: f"{amount:>12}".
        return format(str(self), spec)

    def __bool__(self) -> bool:
        return self.cents != 0

    def __add__(self, other: object) -> Money:
        if isinstance(other, Money):
            return Money(self.cents + other.cents)
        return NotImplemented

    def __radd__(self, other: object) -> Money:
        # Only so that sum() can start from its default 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if isinstance(other, Money):
            return Money(self.cents - other.cents)
        return NotImplemented

    def __mul__(self, other: object) -> Money:
        if isinstance(other, int) and not isinstance(other, bool):
            return Money(self.cents * other)
        return NotImplemented

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.cents)

    def __abs__(self) -> Money:
        return Money(abs(self.cents))


def _too_large(max_cents: int) -> MoneyError:
    return MoneyError(f"Enter an amount no larger than {Money(max_cents)}.", code="max")


def money_text(cents: int | Money | None) -> str:
    """ "$1,250.00" for 125000 cents (or a Money); "" for None."""
    if cents is None:
        return ""
    return str(cents if isinstance(cents, Money) else Money(cents))


# --- Forms: people type dollars; the form cleans to cents. ---


class MoneyField(forms.Field):
    """A text box for dollars that cleans to integer cents (or None when blank and not required).

    Reads what `Money.parse` reads. Messages can be replaced per form through
    `error_messages` with the keys invalid, decimals, negative and max; "max" may use
    %(max)s, the largest amount as "$999,999.99" (so a literal percent sign is written %%).
    An int given as `initial` is cents and is shown as dollars ("25.00").
    """

    default_error_messages = {
        "invalid": "Enter an amount in dollars, e.g. 25, 25.50 or 1,250.00.",
        "decimals": "Use at most 2 decimals (dollars and cents), e.g. 25.50.",
        "negative": "The amount cannot be negative.",
        "max": "Enter an amount no larger than %(max)s.",
    }

    def __init__(self, *, allow_negative: bool = False, max_cents: int = DEFAULT_MAX_CENTS, **kwargs: Any):
        self.allow_negative = allow_negative
        self.max_cents = max_cents
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = value.strip()
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # already cents (an initial value)
        if isinstance(value, Money):
            return value.cents
        try:
            return Money.parse(str(value), allow_negative=self.allow_negative, max_cents=self.max_cents).cents
        except MoneyError as exc:
            raise ValidationError(
                self.error_messages[exc.code], code=exc.code, params={"max": str(Money(self.max_cents))}
            ) from exc

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Money):
            value = value.cents
        if isinstance(value, int) and not isinstance(value, bool):
            return str(Money(value).to_decimal())
        return value


# --- Models: a column of integer cents. ---


class CentsField(models.BigIntegerField):
    """A model field of integer cents: `copay_cents = CentsField(null=True, blank=True)`.

    The column is a plain BIGINT (as a BigIntegerField's), and the value on the instance is an
    int of cents, never a float or Decimal. Edge cases, decided:
    - A Money is stored as its cents; an int is cents already.
    - A float, a Decimal, a str or a bool is refused when the row is saved or queried (TypeError
      naming the field): 25.5 could be dollars or cents, and a float cannot hold every amount.
      `full_clean()` refuses them too, as a ValidationError on the field.
    - The field does not constrain the sign: a copay is never negative, a refund is. Add the
      `CheckConstraint` the column needs beside it (see Coverage.copay_cents).
    - Its form field is a `MoneyField`: people type dollars, the form cleans to cents.
    Name the column `<what>_cents`, as the API names its fields.
    """

    description = "Integer cents"

    def _cents(self, value: Any) -> Any:
        if value is None or isinstance(value, models.expressions.Combinable):
            return value
        if isinstance(value, Money):
            return value.cents
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise TypeError(f"{self.name} holds integer cents, not {type(value).__name__} {value!r}")

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(self._cents(value))

    def to_python(self, value: Any) -> int | None:
        try:
            return self._cents(value)
        except TypeError as exc:
            raise ValidationError(
                "%(field)s must be a whole number of cents.", code="invalid", params={"field": self.name}
            ) from exc

    def formfield(self, **kwargs: Any) -> Any:
        # Skip IntegerField's: its min_value/max_value mean nothing to a MoneyField.
        return models.Field.formfield(self, **{"form_class": MoneyField, **kwargs})


# --- API: amounts are JSON integers of cents. ---


def _whole_cents(value: Any, info: ValidationInfo) -> Any:
    """Accept a JSON integer (or a Money, for responses); refuse 25.5, "2500", true and the rest.

    Pydantic on its own would read "2500" and 2500.0 as 2500; a client sending those has
    probably mistaken the unit, so it is told instead. The message names the field and the
    range (the field's own service may allow less: a copay is under $1,000,000).
    """
    if isinstance(value, Money):
        return value.cents
    label = (info.field_name or "the amount").replace("_", " ").capitalize()
    span = f"from -{DEFAULT_MAX_CENTS} to {DEFAULT_MAX_CENTS}"
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        if value is not None and abs(value) > DEFAULT_MAX_CENTS:
            raise PydanticCustomError(
                "amount_too_large", f"{label} must be no larger than {DEFAULT_MAX_CENTS} cents ({span})."
            )
        return value
    raise PydanticCustomError(
        "amount_not_cents", f"{label} must be a whole number of cents {span}, e.g. 2500 for $25.00."
    )


Cents = Annotated[int, BeforeValidator(_whole_cents)]
"""The pydantic type of an API amount: an integer of cents, e.g. `copay_cents: Cents | None`."""
