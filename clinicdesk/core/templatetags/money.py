"""`{% load money %}` then `{{ coverage.copay_cents|money }}`: integer cents as "$1,250.00"."""

from __future__ import annotations

from typing import Any

from django import template

from clinicdesk.core.money import Money, money_text

register = template.Library()


@register.filter
def money(value: Any) -> str:
    """ "$25.00" for 2500 (cents) or a Money; "" for None or anything else, so `|default:` works.

    Anything else includes a Decimal or float: amounts are cents, and guessing the unit of
    another type could show a price a hundred times off.
    """
    if isinstance(value, Money) or (isinstance(value, int) and not isinstance(value, bool)):
        return money_text(value)
    return ""
