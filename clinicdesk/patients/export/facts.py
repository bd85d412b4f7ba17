"""What the right-of-access export shows, and the coverage facts both builders read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from clinicdesk.core.money import money_text

from ..coverage import coverages_all
from ..models import CoveragePriority, Patient, Relationship

PURPOSE = "right of access export"
DEFAULT_PRACTICE_NAME = "ClinicDesk demo practice"

ExportFormat = Literal["fhir", "pdf"]


@dataclass(frozen=True)
class CoverageFact:
    """One insurance coverage as the export shows it, whatever model it is stored in.

    `key` is the coverage's public id (the bundle's fullUrl and resource id); `order` is 1
    for primary, 2 secondary, 3 tertiary, None when not ranked; `relationship` is a FHIR
    subscriber-relationship code (self, spouse, child, common, other); `active` is False once
    the coverage has been ended (history is exported too).
    """

    key: str
    payer_name: str
    payer_id: str = ""
    payer_type: str = ""
    payer_address: tuple[str, ...] = ()  # lines, then city, state, ZIP as typed
    payer_city: str = ""
    payer_state: str = ""
    payer_zip: str = ""
    payer_phone: str = ""
    plan_name: str = ""
    member_id: str = ""
    group_number: str = ""
    order: int | None = None
    relationship: str = "self"
    subscriber_name: str = ""
    start: date | None = None
    end: date | None = None
    active: bool = True
    cost_notes: str = ""

    @property
    def priority_label(self) -> str:
        return {1: "Primary", 2: "Secondary", 3: "Tertiary"}.get(self.order or 0, "")


# X12 individual relationship codes (as stored) -> FHIR subscriber-relationship codes.
_X12_TO_FHIR_RELATIONSHIP: dict[str, str] = {
    Relationship.SELF: "self",
    Relationship.SPOUSE: "spouse",
    Relationship.CHILD: "child",
    Relationship.LIFE_PARTNER: "common",
}
_PRIORITY_ORDER: dict[str, int] = {
    CoveragePriority.PRIMARY: 1,
    CoveragePriority.SECONDARY: 2,
    CoveragePriority.TERTIARY: 3,
}


def _copay_text(cents: int | None, notes: str) -> str:
    """ "$25.00 specialist $50": the amount, when recorded, then the notes."""
    return " ".join(part for part in (money_text(cents), notes) if part)


def patient_coverages(*, patient: Patient) -> list[CoverageFact]:
    """Every coverage of `patient`, active ones first (primary first), then ended ones, newest first.

    This is the only function that knows how coverages are stored; both builders read its rows.
    """
    facts = []
    for coverage in coverages_all(patient=patient):
        payer = coverage.payer
        notes = "; ".join(
            f"{label} {text}"
            for label, text in (
                ("Copay:", _copay_text(coverage.copay_cents, coverage.copay_notes)),
                ("Coinsurance:", coverage.coinsurance_notes),
                ("Deductible:", coverage.deductible_notes),
            )
            if text
        )
        subscriber = " ".join(n for n in (coverage.subscriber_first_name, coverage.subscriber_last_name) if n)
        facts.append(
            CoverageFact(
                key=str(coverage.public_id),
                payer_name=payer.name,
                payer_id=payer.payer_id,
                payer_type=payer.get_payer_type_display(),
                payer_address=tuple(line for line in (payer.address_line1, payer.address_line2) if line),
                payer_city=payer.city,
                payer_state=payer.state,
                payer_zip=payer.zip_code,
                payer_phone=payer.phone,
                plan_name=coverage.plan_name,
                member_id=coverage.member_id_display,
                group_number=coverage.group_number,
                order=_PRIORITY_ORDER.get(coverage.priority),
                relationship=_X12_TO_FHIR_RELATIONSHIP.get(coverage.relationship, "other"),
                subscriber_name=subscriber,
                start=coverage.effective_date,
                end=coverage.end_date,
                active=coverage.is_active,
                cost_notes=notes,
            )
        )
    return facts


# --- FHIR -----------------------------------------------------------------------------------
