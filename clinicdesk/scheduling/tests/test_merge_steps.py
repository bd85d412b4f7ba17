"""Merging two patient records carries their appointments along, never into a double booking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from clinicdesk.audit.models import AuditEvent
from clinicdesk.patients.merge import patient_merge, rows_linked_to
from clinicdesk.scheduling.models import Appointment

from .helpers import AT_10, book_at


def test_the_duplicates_appointments_move_to_the_survivor_with_an_audit_event_each(practice, office_manager):
    mine = book_at(practice)
    theirs = book_at(practice, patient="joe", at=AT_10 + timedelta(hours=2))
    patient_merge(actor=office_manager, survivor=practice["jane"], merged=practice["joe"])
    assert set(Appointment.objects.filter(patient=practice["jane"])) == {mine, theirs}
    assert rows_linked_to(practice["joe"]) == {}
    assert AuditEvent.objects.filter(
        object_type="appointment", object_id=str(theirs.public_id), action="update"
    ).exists()


def test_overlapping_appointments_of_the_two_records_stop_the_merge_until_one_is_cancelled(practice, office_manager):
    book_at(practice)
    book_at(practice, patient="joe", provider="other")  # same time, another provider
    with pytest.raises(ValidationError, match="Both records have appointments at the same time: 12/07/2026 10:00 AM"):
        patient_merge(actor=office_manager, survivor=practice["jane"], merged=practice["joe"])
    assert Appointment.objects.filter(patient=practice["joe"]).count() == 1  # nothing moved
