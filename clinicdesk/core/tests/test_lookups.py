from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from clinicdesk.core.lookups import get_or_404, one_active, uuid_or_404, uuid_or_none
from clinicdesk.scheduling.models import Location

MALFORMED = ["", "x", "0" * 33, "0" * 400, "\x00", "12345678-1234-1234-1234-12345678901\x00", "g" * 32, None, 7]


@pytest.mark.parametrize("value", MALFORMED)
def test_a_malformed_id_is_none_or_404(value):
    assert uuid_or_none(value) is None
    with pytest.raises(Http404):
        uuid_or_404(value)


def test_a_uuid_in_any_of_its_spellings_is_read():
    wanted = uuid.uuid4()
    assert uuid_or_404(wanted) is wanted
    assert uuid_or_404(str(wanted)) == wanted
    assert uuid_or_404(str(wanted).upper()) == wanted
    assert uuid_or_404(wanted.hex) == wanted


@pytest.mark.parametrize("value", [*MALFORMED, str(uuid.uuid4())])
def test_get_or_404_answers_404_for_a_missing_or_malformed_id(db, value):
    Location.objects.create(name="North")
    with pytest.raises(Http404):
        get_or_404(Location.objects.all(), value)


def test_get_or_404_finds_the_row_in_its_queryset_only(db):
    north = Location.objects.create(name="North")
    south = Location.objects.create(name="South", active=False)
    assert get_or_404(Location.objects.all(), str(north.public_id)) == north
    with pytest.raises(Http404):
        get_or_404(Location.objects.filter(active=True), south.public_id)


@pytest.mark.parametrize("value", [*MALFORMED[:-2], str(uuid.uuid4())])
def test_one_active_names_the_field_of_a_missing_or_malformed_id(db, value):
    with pytest.raises(ValidationError) as info:
        one_active(Location, "location", value, active=True)
    assert info.value.message_dict == {"location": ["No active location has this id."]}


def test_one_active_skips_inactive_rows_when_asked(db):
    south = Location.objects.create(name="South", active=False)
    assert one_active(Location, "location", None) is None
    assert one_active(Location, "location", south.public_id) == south
    with pytest.raises(ValidationError):
        one_active(Location, "location", south.public_id, active=True)
