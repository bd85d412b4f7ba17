"""The demo's clinical records: every state the screens show, signed notes that verify, written once."""

from __future__ import annotations

from django.db.models import Count

from clinicdesk.accounts.demo import demo_staff
from clinicdesk.clinical.demo import demo_clinical
from clinicdesk.clinical.models import Addendum, Allergy, Encounter, Medication, Problem, Recall, VisitNote, Vitals
from clinicdesk.clinical.notes import addendum_verify, note_verify
from clinicdesk.core.demo import DemoOptions
from clinicdesk.patients.demo import demo_patients
from clinicdesk.scheduling.demo import demo_scheduling
from clinicdesk.scheduling.demo_appointments import demo_appointments


def test_the_demo_writes_notes_in_every_state_and_lists_for_the_patients_seen(db):
    options = DemoOptions(patients=300)
    for step in (demo_staff, demo_patients, demo_scheduling, demo_appointments):
        step(options)
    summary = demo_clinical(options)
    assert "encounters" in summary, summary
    assert Encounter.objects.count() > 500
    assert {"signed", "draft"} <= set(VisitNote.objects.values_list("status", flat=True))
    assert set(Encounter.objects.values_list("status", flat=True)) == {"open", "signed", "amended"}
    assert Addendum.objects.exists()
    # One note and one set of vitals a visit; every encounter belongs to a seen appointment.
    assert VisitNote.objects.count() == Vitals.objects.count() == Encounter.objects.count()
    assert not Encounter.objects.filter(appointment__status__in=("scheduled", "cancelled", "no_show")).exists()
    assert Problem.objects.exists() and Medication.objects.exists()
    assert (
        Allergy.objects.filter(no_known_allergies=True).exists()
        and Allergy.objects.filter(no_known_allergies=False).exists()
    )
    assert not Allergy.objects.values("patient").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert {"due", "contacted", "closed"} <= set(Recall.objects.values_list("status", flat=True))
    # The demo's signatures verify as the note service's own do.
    assert all(
        note_verify(n) for n in VisitNote.objects.filter(status="signed").select_related("encounter", "signed_by")[:50]
    )
    assert all(addendum_verify(a) for a in Addendum.objects.select_related("note", "author")[:20])
    assert demo_clinical(options).startswith("skipped")
