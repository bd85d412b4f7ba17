"""Strict, bounded input types for the API.

No silent coercion of 0 into 1970-01-01, and no date, time or number outside a plausible range
(`clinicdesk.core.ranges`): every date and date-time field is one of the `*Date`/`*DateTime`
types below, every number `Annotated[int, Between(…)]` or `Annotated[Decimal, Between(…)]`
(amounts: `core.money.Cents`).
A refusal names the field and the range in words; the API answers 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from clinicdesk.core import ranges
from clinicdesk.core.ranges import Span

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?")


def _iso_text_only(kind: str, pattern: re.Pattern[str], example: str):
    """Accept only ISO 8601 text. Pydantic alone reads 0 or "0" as a Unix time (1970-01-01)."""

    def check(value: Any) -> Any:
        if isinstance(value, (date, datetime)):
            return value
        if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
            raise ValueError(f"give the {kind} in ISO 8601 form, e.g. {example}")
        return value.strip()

    return check


def _label(info: ValidationInfo) -> str:
    return ranges.label_of(info.field_name or "")


def _date_within(span: Span):
    def check(value: date, info: ValidationInfo) -> date:
        problem = ranges.date_problem(value, span, label=_label(info))
        if problem:
            raise PydanticCustomError("date_out_of_range", problem)
        return value

    return check


def _datetime_within(span: Span):
    def check(value: datetime, info: ValidationInfo) -> datetime:
        problem = ranges.datetime_problem(value, span, label=_label(info))
        if problem:
            raise PydanticCustomError("datetime_out_of_range", problem)
        return value

    return check


_DATE_TEXT = BeforeValidator(_iso_text_only("date", _ISO_DATE, "2026-03-01"))
_DATETIME_TEXT = BeforeValidator(_iso_text_only("date and time", _ISO_DATETIME, "2026-03-01T09:30:00Z"))

PastDate = Annotated[
    date,
    _DATE_TEXT,
    AfterValidator(_date_within(Span.PAST)),
    Field(description="From 1900-01-01 to today; never in the future.", json_schema_extra={"x-range": "past"}),
]
"""A date something happened on: a birth, an onset, a signature (1900-01-01 to today)."""

PlausibleDate = Annotated[
    date,
    _DATE_TEXT,
    AfterValidator(_date_within(Span.RECORD)),
    Field(
        description=f"From 1900-01-01 to {ranges.RECORD_YEARS_AHEAD} years from today.",
        json_schema_extra={"x-range": "record"},
    ),
]
"""Any date a record may carry, past or ahead: an end, an expiry, a due date, a filter."""

ScheduleDate = Annotated[
    date,
    _DATE_TEXT,
    AfterValidator(_date_within(Span.SCHEDULE)),
    Field(
        description=f"Within {ranges.SCHEDULE_YEARS} years of today, either way.",
        json_schema_extra={"x-range": "schedule"},
    ),
]
"""A day on the clinic's calendar: an appointment, hours, an exception, a search."""

PastDateTime = Annotated[
    datetime,
    _DATETIME_TEXT,
    AfterValidator(_datetime_within(Span.PAST)),
    Field(
        description="With its time zone; from 1900 to now (a few minutes ahead at most).",
        json_schema_extra={"x-range": "past"},
    ),
]
"""A moment something happened (a reading). The service also refuses one before the patient's birth."""

PlausibleDateTime = Annotated[
    datetime,
    _DATETIME_TEXT,
    AfterValidator(_datetime_within(Span.RECORD)),
    Field(
        description=f"With its time zone; from 1900 to {ranges.RECORD_YEARS_AHEAD} years from now.",
        json_schema_extra={"x-range": "record"},
    ),
]

ScheduleDateTime = Annotated[
    datetime,
    _DATETIME_TEXT,
    AfterValidator(_datetime_within(Span.SCHEDULE)),
    Field(
        description=f"With its time zone; within {ranges.SCHEDULE_YEARS} years of now, either way.",
        json_schema_extra={"x-range": "schedule"},
    ),
]
"""A moment on the clinic's calendar: an appointment's start, an exception's start or end."""

# The names the API used before the ranges: a strict date is a plausible one.
StrictDate = PlausibleDate
StrictDateTime = PlausibleDateTime


def _number_text(value: Any) -> Decimal | None:
    """`value` as a Decimal when it is a JSON number or numeric text, else None. Never a bool."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            return None
    return None


def _number_within(low: Decimal | int, high: Decimal | int, places: int | None, whole: bool):
    def check(value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        label = _label(info)
        number = _number_text(value)
        if number is None:
            kind = "a whole number" if whole else "a number"
            raise PydanticCustomError(
                "number_type", f"{label} must be {kind} from {ranges.number_text(low)} to {ranges.number_text(high)}."
            )
        problem = ranges.number_problem(number, low=low, high=high, label=label, places=0 if whole else places)
        if problem:
            raise PydanticCustomError("number_out_of_range", problem)
        return int(number) if whole else number

    return check


@dataclass(frozen=True)
class Between:
    """Annotated metadata bounding a number: `Annotated[int, Between(1, 200)]` is a whole number
    from 1 to 200; `Annotated[Decimal, Between(0, 500, places=1)]` a finite decimal with at most
    one decimal place. NaN, Infinity, 1e308, 10**30, true and non-numeric text are refused with one
    message naming the field and the range; the OpenAPI document shows the bounds."""

    low: int | Decimal
    high: int | Decimal
    places: int = 2

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        whole = source is int
        low, high = (self.low, self.high) if whole else (Decimal(self.low), Decimal(self.high))
        check = _number_within(low, high, self.places, whole)
        return core_schema.with_info_before_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        found = handler(schema)
        found.update(minimum=self.low if isinstance(self.low, int) else float(self.low))
        found.update(maximum=self.high if isinstance(self.high, int) else float(self.high))
        return found


@dataclass(frozen=True)
class EachBetween:
    """Annotated metadata for a list of whole numbers, each from `low` to `high`:
    `Annotated[list[int], EachBetween(0, 6)]`. A wrong item is reported on the list itself
    (the field, not "field.3"), naming the range; the OpenAPI document shows the item bounds."""

    low: int
    high: int

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        item_check = _number_within(self.low, self.high, 0, True)

        def check(value: Any, info: ValidationInfo) -> Any:
            if not isinstance(value, list):
                return value  # pydantic then says it is not a list
            return [item_check(item, info) for item in value]

        return core_schema.with_info_before_validator_function(check, handler(source))

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        found = handler(schema)
        found.setdefault("items", {}).update(minimum=self.low, maximum=self.high)
        return found


def _no_nul(value: Any) -> Any:
    """PostgreSQL cannot store U+0000 in text; refuse it here as bad input rather than fail on save."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text may not contain the NUL character (U+0000)")
    if isinstance(value, dict):
        for key, item in value.items():
            _no_nul(key)
            _no_nul(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _no_nul(item)
    return value


class InputSchema(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped; no NUL characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_nul(cls, value: Any) -> Any:
        return _no_nul(value)
