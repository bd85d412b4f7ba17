"""Parts of the right-of-access copy that other apps add: the `export_sections` registry.

The patients app builds the copy, but most of the designated record set lives in apps above
it (clinical notes, problems and medications; later, billing's account history), which it may
not import. Each such app registers a *section provider* from its AppConfig.ready():

    export_section_register("clinical", clinical_sections, scope=ExportScope.FULL, order=100)

A provider is `provider(request: SectionRequest) -> SectionOutput`: for one patient it returns
its FHIR bundle entries, its PDF sections (in the neutral blocks below, which the PDF builder
lays out in the house style) and the categories it disclosed, with counts, for the accounting
of disclosures (never the content). It reads only; the export service has already checked the
capability, applied the restricted-record rule and audited the read and the export.

`scope` is the smallest copy a section belongs to: REGISTRATION sections (demographics,
insurance, account history) are in every copy; FULL sections (anything with clinical text)
only in the whole designated record set, which only roles that read note text may produce.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from clinicdesk.core.datetimes import date_text

from ..models import Patient


class ExportScope(enum.StrEnum):
    REGISTRATION = "registration"  # registration, insurance, account history: nothing clinical
    FULL = "full"  # the whole designated record set, clinical text included

    @property
    def label(self) -> str:
        return {
            ExportScope.REGISTRATION: "Registration and insurance",
            ExportScope.FULL: "Whole record (designated record set)",
        }[self]


# --- Blocks a provider hands to the PDF builder ----------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section (a visit note's date and clinician)."""

    text: str


@dataclass(frozen=True)
class Text:
    """A paragraph; newlines are kept. `muted` prints it smaller and grey (explanations)."""

    text: str
    muted: bool = False
    label: str = ""  # bold lead-in, e.g. "What you told us:"


@dataclass(frozen=True)
class Facts:
    """Label/value pairs, one per line (short values only: a row never splits across pages)."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with a header row repeated on every page it spans. Short cells only.

    `widths` are relative (they are scaled to the page); `empty` is printed instead of an
    empty table; `muted` prints it grey (entries marked entered in error).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...] = ()
    empty: str = ""
    muted: bool = False
    caption: str = ""


Block = Heading | Text | Facts | Table


@dataclass(frozen=True)
class PdfSection:
    title: str
    blocks: tuple[Block, ...]
    intro: str = ""


# --- What a provider gets and gives ----------------------------------------------------------


@dataclass(frozen=True)
class SectionRequest:
    """One copy being built: the patient, the FHIR reference of its Patient resource, the moment
    and the practice's time zone (for dates shown to the patient)."""

    patient: Patient
    patient_reference: str
    now: datetime
    zone: tzinfo


@dataclass
class SectionOutput:
    entries: list[dict[str, Any]] = field(default_factory=list)  # {"fullUrl": ..., "resource": {...}}
    pdf: list[PdfSection] = field(default_factory=list)
    disclosed: list[str] = field(default_factory=list)  # e.g. "visits (3)", for the accounting


Provider = Callable[[SectionRequest], SectionOutput]


@dataclass(frozen=True)
class ExportSection:
    name: str
    provider: Provider
    scope: ExportScope
    order: int


_SECTIONS: dict[str, ExportSection] = {}


def export_section_register(name: str, provider: Provider, *, scope: ExportScope, order: int) -> None:
    """Add `provider` to every copy of `scope` or wider, in `order` (after registration and insurance).

    Registering the same name again replaces it (module reloads in tests).
    """
    _SECTIONS[name] = ExportSection(name, provider, ExportScope(scope), order)


def export_sections(scope: ExportScope) -> list[ExportSection]:
    """The sections a copy of `scope` carries, in order: a FULL copy carries every section."""
    wanted = {ExportScope.REGISTRATION} if scope == ExportScope.REGISTRATION else set(ExportScope)
    return sorted((s for s in _SECTIONS.values() if s.scope in wanted), key=lambda s: (s.order, s.name))


def us_date(day: date | None) -> str:
    """ "03/14/2026": how the copy writes a date in tables and facts ("" for None)."""
    return date_text(day) if day else ""


def long_date(day: date) -> str:
    """ "03/14/2026": the house style in sentences and headings too (core/datetimes.py)."""
    return date_text(day)
