"""Choosing a patient in a form from whatever was typed: a name, a date of birth, a phone number
or an MRN, the same search as the Find patient page.

Every form that takes a patient (slot search, booking, waitlist, unscheduled visit) reads its
patient field through `access_patient_pick`; the box beside the field offers the matches as
one typed (`patient_search/picker.html`, answered by the `patient_search:pick` route).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404, QueryDict

from clinicdesk.accounts.access import EmergencyAccessRequired
from clinicdesk.accounts.models import User
from clinicdesk.core.capabilities import Cap

from ..access import access_patient
from ..models import Patient
from .access import access_patient_search
from .query import MAX_QUERY
from .selectors import PatientHit

PICK_LIMIT = 10
PRIVATE = ("csrfmiddlewaretoken", "pick_field", "pick_to")  # never carried into a link
NOT_FOUND = "No patient matches “{text}”. Type a last name and first name, a date of birth, a phone number or the MRN."


@dataclass(frozen=True)
class PatientPick:
    patient: Patient | None
    problem: str = ""  # what to say beside the field when no single patient was chosen
    hits: list[PatientHit] = field(default_factory=list)  # the matches to choose from


def access_patient_pick(
    *,
    actor: User,
    text: str,
    purpose: str,
    need: str = Cap.PATIENT_DEMOGRAPHICS_READ,
    hint: str = "Type the name instead, or check the digits.",
    then: str = "",
) -> PatientPick:
    """The one patient `text` names, opened through access_patient (checked and audited), or why not.

    An MRN opens that record; anything else is searched (audited as a search): a single match
    is chosen, several come back as `hits` to choose from. Empty text chooses no one and says
    nothing. An unknown MRN is named, followed by `hint`; a restricted record asks for emergency
    access first (`then` ends that sentence).
    """
    text = (text or "").strip()[:MAX_QUERY]
    if not text:
        return PatientPick(None)
    mrn = text
    if not text.isdigit():
        result = access_patient_search(actor=actor, text=text, limit=PICK_LIMIT)
        if result.problem:
            return PatientPick(None, result.problem)
        if not result.hits:
            return PatientPick(None, NOT_FOUND.format(text=text))
        if len(result.hits) > 1:
            return PatientPick(None, f"{len(result.hits)} patients match “{text}”: choose one.", result.hits)
        mrn = result.hits[0].mrn
    try:
        return PatientPick(access_patient(actor=actor, mrn=mrn, need=need, purpose=purpose))
    except Http404:
        return PatientPick(None, f"No patient has this MRN. {hint}")
    except EmergencyAccessRequired:
        return PatientPick(None, f"This record is restricted. Open the chart with emergency access first{then}.")


def pick_urls(hits: list[PatientHit], *, to: str, name: str, keep: QueryDict) -> list[tuple[PatientHit, str]]:
    """Each hit with the address of page `to` again, its other fields kept (never the CSRF token)
    and `name` set to the MRN."""
    dropped = {name, *PRIVATE}
    kept = [(key, value) for key, values in keep.lists() if key not in dropped for value in values if value]
    joint = "&" if "?" in to else "?"
    return [(hit, f"{to}{joint}{urlencode([*kept, (name, hit.mrn)])}") for hit in hits]
