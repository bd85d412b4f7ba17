"""Strict input types for the API: no silent coercion of 0 into 1970-01-01."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict

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


class InputSchema(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
