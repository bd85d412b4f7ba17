"""What a list shows of a patient: the one place that decides it, for every page, feed, PDF and API list.

A list (calendar, flow board, worklist, home panel, call-down list, waitlist, recalls, search
results, iCal feed, printed day sheet) shows many patients to one viewer. A *restricted* record
(accounts.RestrictedRecord) that the viewer holds no live emergency-access grant for is shown
masked: initials only ("J. D."), and none of its details (date of birth, age, phones, email,
address, visit reason or chief complaint, alerts). The row itself stays, with its link, so the
person can still click it and reach the emergency-access offer. A feed has no interactive viewer:
it masks every restricted record, always. See docs/restricted-records.md.

Build one `PatientLens` per list with `patient_lens` (one query, whatever the list's length),
then ask it for each row: `lens.name(patient)`, `lens.detail(patient, text)`, `lens.masks(patient)`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from clinicdesk.accounts.models import User
from clinicdesk.accounts.selectors import records_restricted_for

MASKED_SUFFIX = " (restricted)"
# What a masked result row keeps empty, by field name.
_EMPTY: dict[str, Any] = {"date_of_birth": None, "age": None, "phone_last4": ""}


def initials(first: str, last: str) -> str:
    """ "J. D." from Jane and Doe; a missing part is left out ("D.")."""
    return " ".join(f"{part.strip()[0].upper()}." for part in (first, last) if part.strip())


def _mrn(patient: Any) -> str:
    return patient if isinstance(patient, str) else patient.mrn


@dataclass(frozen=True)
class PatientLens:
    """What one viewer may see of the patients in a list.

    `masked` holds the MRNs shown masked (restricted, no live grant). `names` False shows the MRN
    in place of an unmasked name (roles that read the schedule but not demographics).
    A patient is anything with `mrn`, `first_name` and `last_name` (a model row or plain values);
    `display_name` is read only when the name is shown.
    """

    masked: frozenset[str] = frozenset()
    names: bool = True

    def masks(self, patient: Any) -> bool:
        """True when `patient` (or an MRN) is shown masked: initials only, no details."""
        return _mrn(patient) in self.masked

    def name(self, patient: Any) -> str:
        """ "Doe, Jane", "MRN 12345678" (see `names`), or "J. D. (restricted)" when masked."""
        if patient.mrn in self.masked:
            return initials(patient.first_name, patient.last_name) + MASKED_SUFFIX
        if not self.names:
            return f"MRN {patient.mrn}"
        display = getattr(patient, "display_name", None)
        if display is None:  # plain values: the model's own rule, so the two cannot drift
            from .models import Patient

            display = Patient.display_name.fget(patient)  # type: ignore[attr-defined]  # the property read through the class for a values() row
        return display

    def hits(self, hits: list[Any]) -> list[Any]:
        """Result rows (search hits, duplicate candidates: dataclasses with `mrn` and `display_name`)
        with the masked ones reduced to initials, MRN and their restricted flag: date of birth, age
        and phone are emptied. A row has no first name to hand, so the initials are those of the
        name shown ("Doe, Jane" gives "J. D.")."""
        out = []
        for hit in hits:
            if hit.mrn in self.masked:
                last, _, first = hit.display_name.partition(", ")
                hidden = {name: _EMPTY[name] for name in _EMPTY if name in {f.name for f in fields(hit)}}
                hit = replace(hit, display_name=initials(first, last) + MASKED_SUFFIX, **hidden)
            out.append(hit)
        return out

    def detail(self, patient: Any, text: Any) -> Any:
        """`text` (a reason, a phone, a date of birth), or "" when `patient` (or an MRN) is masked."""
        return "" if _mrn(patient) in self.masked else text


# For a record the page has already opened through an access function (the restricted-record rule
# was applied there): names shown as they are.
OPENED = PatientLens()


def patient_lens(*, viewer: User | None, names: bool = True, now: datetime | None = None) -> PatientLens:
    """The lens for `viewer`'s lists: one query for the restricted records without a live grant.

    `viewer` None (a calendar feed, a job) masks every restricted record.
    """
    return PatientLens(masked=frozenset(records_restricted_for(user=viewer, now=now)), names=names)
