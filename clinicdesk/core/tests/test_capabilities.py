"""Rules of the matrix that must never loosen."""

from __future__ import annotations

import pytest

from clinicdesk.core.capabilities import ALL_CAPABILITIES, MATRIX, Cap, Role, capabilities_of, role_can

CLINICAL = {c for c in ALL_CAPABILITIES if c.startswith("clinical.")}


def test_every_role_is_in_the_matrix_and_holds_only_known_capabilities():
    assert set(MATRIX) == set(Role.values)
    for caps in MATRIX.values():
        assert caps <= ALL_CAPABILITIES and Cap.ACCOUNT_SELF in caps


def test_front_desk_never_reads_note_text():
    assert not role_can(Role.FRONT_DESK, Cap.CLINICAL_NOTE_READ)


def test_billers_read_codes_but_not_narratives():
    assert role_can(Role.BILLER, Cap.CLINICAL_CODES_READ)
    assert not role_can(Role.BILLER, Cap.CLINICAL_NOTE_READ)


def test_the_auditor_reads_the_audit_trail_and_nothing_clinical():
    assert role_can(Role.AUDITOR, Cap.AUDIT_READ)
    assert capabilities_of(Role.AUDITOR) & (CLINICAL | {Cap.PATIENT_DEMOGRAPHICS_READ}) == set()


def test_the_system_administrator_reads_no_patient_data():
    assert not {c for c in capabilities_of(Role.ADMIN) if c.startswith(("clinical.", "patient.", "billing."))}


def test_only_clinicians_sign_notes():
    assert [r for r in Role.values if role_can(r, Cap.CLINICAL_NOTE_SIGN)] == [Role.CLINICIAN]


def test_only_the_office_manager_sets_up_locations_providers_and_visit_types():
    assert [r for r in Role.values if role_can(r, Cap.SCHEDULE_SETUP)] == [Role.OFFICE_MANAGER]


def test_unknown_roles_hold_nothing_and_unknown_capabilities_are_a_bug():
    assert capabilities_of("janitor") == frozenset() and capabilities_of(None) == frozenset()
    with pytest.raises(ValueError):
        role_can(Role.CLINICIAN, "clinical.notes.read")


def test_the_front_desk_and_billers_see_that_a_visit_happened_not_what_was_written():
    for role in (Role.FRONT_DESK, Role.BILLER):
        assert role_can(role, Cap.CLINICAL_ENCOUNTER_READ)
        assert not role_can(role, Cap.CLINICAL_NOTE_READ) and not role_can(role, Cap.CLINICAL_NOTE_WRITE)
    assert role_can(Role.FRONT_DESK, Cap.CLINICAL_RECALL_WORK)


def test_only_the_office_manager_edits_note_templates():
    assert [r for r in Role.values if role_can(r, Cap.CLINICAL_TEMPLATE_MANAGE)] == [Role.OFFICE_MANAGER]


def test_only_roles_that_read_note_text_make_the_whole_record_copy():
    holders = [r for r in Role.values if role_can(r, Cap.PATIENT_EXPORT_FULL)]
    assert holders == [Role.CLINICIAN]
    for role in holders:
        assert role_can(role, Cap.CLINICAL_NOTE_READ)


def test_the_office_manager_and_the_privacy_officer_read_the_accounting_of_disclosures():
    assert [r for r in Role.values if role_can(r, Cap.PATIENT_DISCLOSURE_READ)] == [Role.OFFICE_MANAGER, Role.AUDITOR]
    assert [r for r in Role.values if role_can(r, Cap.PATIENT_DISCLOSURE_RECORD)] == [
        Role.OFFICE_MANAGER,
        Role.FRONT_DESK,
    ]
