"""Sections of the patient page that apps above patients add: the `patient_page_sections` registry.

The patient page belongs to the patients app, which may not import the apps above it
(scheduling's appointments, later billing's balance). Each such app registers a section from
its AppConfig.ready():

    patient_section_register(PatientPageSection(key="appointments", title="Appointments",
        url_name="scheduling:patient_appointments", capability=Cap.SCHEDULE_READ, order=10))

The page shows the sections the reader's role may see, in `order`, each loaded into the page
by htmx from its own route (`url_name`, taking the patient's `mrn`), which opens the patient
through its own access function: the section's reads are checked and audited where they are
made. Without JavaScript each section is a link to that route.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from clinicdesk.core.capabilities import role_can


@dataclass(frozen=True)
class PatientPageSection:
    key: str  # unique, used in element ids
    title: str
    url_name: str  # a route taking `mrn` that answers the section (a fragment to htmx, a page otherwise)
    capability: str  # the capability the reader needs to see the section at all
    order: int = 100


_SECTIONS: dict[str, PatientPageSection] = {}


def patient_section_register(section: PatientPageSection) -> None:
    """Add `section` to the patient page; registering the same key again replaces it (reloads)."""
    _SECTIONS[section.key] = section


def patient_sections_for(*, role: str | None, mrn: str) -> list[tuple[PatientPageSection, str]]:
    """The sections `role` may see, in order, each with its address for the patient `mrn`."""
    shown = sorted((s for s in _SECTIONS.values() if role_can(role, s.capability)), key=lambda s: (s.order, s.key))
    return [(section, reverse(section.url_name, kwargs={"mrn": mrn})) for section in shown]
