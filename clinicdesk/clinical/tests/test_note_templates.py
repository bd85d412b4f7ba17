"""Note templates: the type's own, else the default, else empty; kept by the office manager."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from clinicdesk.audit.models import AuditEvent
from clinicdesk.clinical.models import NoteTemplate
from clinicdesk.clinical.note_templates import SECTION_MAX, note_template_for, note_template_save
from clinicdesk.clinical.tests.factories import make_clinic


@pytest.fixture
def clinic(office_manager, clinician):
    return make_clinic(office_manager, clinician)


def test_a_visit_starts_empty_then_with_the_default_then_with_its_types_own(clinic, office_manager):
    assert note_template_for(clinic.kind).source == "none" and note_template_for(None).plan == ""
    note_template_save(actor=office_manager, appointment_type=None, values={"plan": "Follow up as needed."})
    assert note_template_for(clinic.kind).plan == "Follow up as needed."
    assert note_template_for(clinic.kind).source == "default" and note_template_for(None).source == "default"
    note_template_save(actor=office_manager, appointment_type=clinic.kind, values={"subjective": "BP log reviewed."})
    own = note_template_for(clinic.kind)
    assert (own.source, own.subjective, own.plan) == ("type", "BP log reviewed.", "")
    assert note_template_for(clinic.video).source == "default"


def test_saving_again_replaces_the_text_and_audits_which_sections_changed(clinic, office_manager):
    note_template_save(actor=office_manager, appointment_type=clinic.kind, values={"subjective": "A", "plan": "B"})
    note_template_save(actor=office_manager, appointment_type=clinic.kind, values={"subjective": "A", "plan": "C"})
    assert NoteTemplate.objects.filter(appointment_type=clinic.kind).count() == 1
    events = AuditEvent.objects.filter(object_type="note_template").order_by("seq")
    assert [(e.action, e.changed_fields) for e in events] == [("create", "plan,subjective"), ("update", "plan")]
    assert events[0].object_id == str(clinic.kind.public_id)


@pytest.mark.parametrize("role_fixture", ["clinician", "nurse", "front_desk", "biller", "auditor"])
def test_only_the_office_manager_edits_templates(request, clinic, role_fixture):
    with pytest.raises(PermissionDenied):
        note_template_save(actor=request.getfixturevalue(role_fixture), appointment_type=None, values={"plan": "x"})
    assert not NoteTemplate.objects.exists()


def test_an_overlong_section_is_refused_by_name(clinic, office_manager):
    with pytest.raises(ValidationError) as refused:
        note_template_save(actor=office_manager, appointment_type=None, values={"objective": "x" * (SECTION_MAX + 1)})
    assert "Keep each section under" in refused.value.message_dict["objective"][0]
    assert not NoteTemplate.objects.exists()


def test_the_template_pages(as_user, clinic, office_manager):
    client = as_user(office_manager)
    listing = client.get(reverse("clinical:templates")).content.decode()
    assert "Follow-up" in listing and "Uses the default" in listing
    url = reverse("clinical:template_edit", args=[clinic.kind.public_id])
    assert client.get(url).status_code == 200
    data = {"subjective": "Chief complaint:\n", "objective": "", "assessment": "", "plan": "Return in 2 weeks"}
    response = client.post(url, data)
    assert response.status_code == 302
    assert NoteTemplate.objects.get(appointment_type=clinic.kind).subjective == "Chief complaint:\n"
    assert "Own template" in client.get(reverse("clinical:templates")).content.decode()
    too_long = client.post(reverse("clinical:template_default"), data | {"plan": "x" * (SECTION_MAX + 1)})
    assert too_long.status_code == 422 and "Chief complaint" in too_long.content.decode()
    assert not NoteTemplate.objects.filter(appointment_type__isnull=True).exists()


def test_clinicians_do_not_reach_the_template_pages(as_user, clinic, clinician):
    assert as_user(clinician).get(reverse("clinical:templates")).status_code == 403
