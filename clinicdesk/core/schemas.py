"""Strict input types for the API: no silent coercion of 0 into 1970-01-01."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict


def _iso_text_only(kind: str):
    def check(value: Any) -> Any:
        if isinstance(value, (date, datetime)):
            return value
        if not isinstance(value, str):
            raise ValueError(f"give the {kind} as text in ISO 8601 form, e.g. {'2026-03-01' if kind == 'date' else '2026-03-01T09:30:00Z'}")
        return value

    return check


StrictDate = Annotated[date, BeforeValidator(_iso_text_only("date"))]
StrictDateTime = Annotated[datetime, BeforeValidator(_iso_text_only("date-time"))]


class InputSchema(Schema):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
