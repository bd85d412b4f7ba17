"""Strict input types for the API: no silent coercion of 0 into 1970-01-01."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, field_validator

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


StrictDate = Annotated[date, BeforeValidator(_iso_text_only("date", _ISO_DATE, "2026-03-01"))]
StrictDateTime = Annotated[
    datetime, BeforeValidator(_iso_text_only("date and time", _ISO_DATETIME, "2026-03-01T09:30:00Z"))
]


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
