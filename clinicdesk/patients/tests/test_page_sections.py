"""The patient page's section registry: apps above patients add sections; each role sees its own."""

from __future__ import annotations

from clinicdesk.core.capabilities import Cap
from clinicdesk.patients import page_sections
from clinicdesk.patients.page_sections import PatientPageSection, patient_section_register, patient_sections_for


def test_sections_come_in_order_for_the_roles_that_may_see_them(monkeypatch):
    monkeypatch.setattr(page_sections, "_SECTIONS", {})
    patient_section_register(
        PatientPageSection("later", "Later", "scheduling:patient_appointments", Cap.SCHEDULE_READ, order=50)
    )
    patient_section_register(
        PatientPageSection("first", "First", "scheduling:patient_appointments", Cap.SCHEDULE_READ, order=5)
    )
    patient_section_register(
        PatientPageSection("audit", "Audit", "scheduling:patient_appointments", Cap.AUDIT_READ, order=1)
    )
    shown = patient_sections_for(role="front_desk", mrn="12345674")
    assert [section.key for section, _ in shown] == ["first", "later"]
    assert shown[0][1] == "/scheduling/patients/12345674/appointments/"
    assert patient_sections_for(role="biller", mrn="12345674") == []


def test_scheduling_registers_the_appointments_section_at_start_up():
    keys = {section.key: section for section, _ in patient_sections_for(role="front_desk", mrn="12345674")}
    assert keys["appointments"].url_name == "scheduling:patient_appointments"
