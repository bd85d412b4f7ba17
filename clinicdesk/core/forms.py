from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator

from clinicdesk.core import ranges
from clinicdesk.core.errors import Conflict
from clinicdesk.core.ranges import Span


def apply_service_errors(form: forms.Form, exc: ValidationError | PermissionDenied) -> None:
    """Put a service's ValidationError next to the fields it names (or on top of the form).

    A refusal (core.errors.Conflict) leaves its title on the form as `refusal_title`, which the
    form's error box shows as its heading ("Appointment time is in the past").
    """
    form.refusal_title = getattr(exc, "title", "") if isinstance(exc, Conflict) else ""  # type: ignore[attr-defined]  # read by the templates
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or "You are not allowed to do that.")
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(None if field == "__all__" or field not in form.fields else field, errors)
    else:
        form.add_error(None, exc.messages)


# --- Bounded fields: the house-wide ranges of core.ranges, in forms --------------------------


def _label(field: forms.Field, fallback: str) -> str:
    return str(field.label) if field.label else fallback


class PlausibleDateField(forms.DateField):
    """A date within `span` (core.ranges): PAST for births and events, RECORD for any record's
    date (the default), SCHEDULE for a calendar day. The message names the field and the range."""

    def __init__(self, *, span: Span = Span.RECORD, **kwargs: Any) -> None:
        self.span = span
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value not in self.empty_values:
            problem = ranges.date_problem(value, self.span, label=_label(self, "The date"))
            if problem:
                raise ValidationError(problem, code="out_of_range")


class PlausibleDateTimeField(forms.DateTimeField):
    """A date and time within `span` (core.ranges); see PlausibleDateField."""

    def __init__(self, *, span: Span = Span.RECORD, **kwargs: Any) -> None:
        self.span = span
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and value not in self.empty_values:
            problem = ranges.datetime_problem(value, self.span, label=_label(self, "The time"))
            if problem:
                raise ValidationError(problem, code="out_of_range")


class BoundedIntegerField(forms.IntegerField):
    """A whole number from `min_value` to `max_value` (both required): 1e308, NaN, 10**30 and 2.5
    are refused with one message that names the field and the range."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **kwargs)
        self.low, self.high = min_value, max_value
        # Django's own validators would say only one bound; the range check below says both.
        self.validators = [v for v in self.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))]

    def _problem(self, text: str) -> str:
        """The refusal in words; `error_messages["out_of_range"]` may word it for the field, with
        {low}, {high} and {got} ("A token lasts from {low} to {high} days")."""
        got = f" (got {text[:20]})" if text else ""
        wording = self.error_messages.get("out_of_range")
        if wording:
            return str(wording).format(low=self.low, high=self.high, got=got)
        return f"{_label(self, 'The number')} must be a whole number from {self.low} to {self.high}{got}."

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        number = None if isinstance(value, bool) else _decimal(text)
        if number is None or not number.is_finite() or number != number.to_integral_value():
            raise ValidationError(self._problem(text), code="invalid")
        if not self.low <= number <= self.high:
            raise ValidationError(self._problem(text), code="out_of_range")
        return int(number)


class BoundedDecimalField(forms.DecimalField):
    """A finite decimal from `min_value` to `max_value` with at most `decimal_places` decimals."""

    def __init__(self, *, min_value: Decimal | int, max_value: Decimal | int, decimal_places: int = 2, **kwargs: Any):
        super().__init__(min_value=min_value, max_value=max_value, decimal_places=decimal_places, **kwargs)
        self.low, self.high = Decimal(min_value), Decimal(max_value)
        self.validators = [v for v in self.validators if not isinstance(v, (MinValueValidator, MaxValueValidator))]

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # a Decimal, as DecimalField
        if value in self.empty_values:
            return None
        text = str(value).strip()
        number = _decimal(text)
        label = _label(self, "The number")
        problem = ranges.number_problem(
            number if number is not None else Decimal("NaN"),
            low=self.low,
            high=self.high,
            label=label,
            places=self.decimal_places,
        )
        if problem:
            raise ValidationError(problem, code="out_of_range")
        return number


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
