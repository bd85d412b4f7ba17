"""Likely duplicates of a patient about to be registered.

Four independent signals, each one indexed lookup, so the check costs the same with a million
patients as with a hundred (registration runs it on every save):

- same date of birth and a similar name (the DOB index, then names compared in Python with
  the search app's normalisation: accents folded, nicknames, one typo, first/last swapped);
- the same phone number (E.164, indexed);
- the same SSN (the blind index; the SSN itself is never decrypted or shown);
- the same insurance member id on a coverage (indexed).

Records already merged into another are left out: their alias leads to the survivor.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction

from clinicdesk.accounts.models import RestrictedRecord, User
from clinicdesk.audit.models import Action, ObjectType
from clinicdesk.audit.services import audit_record
from clinicdesk.core.capabilities import Cap, role_can

from .coverage import mbi_normalize
from .display import patient_lens
from .models import Coverage, Patient, PatientPhone
from .search.names import fold, name_tokens, nickname_forms, within_one_edit
from .search.selectors import live_patients
from .services import PatientInput, phone_e164, ssn_clean

MAX_DUPLICATES = 10
# Patients born on one day: about 30 in a million, so this bound is never reached in practice.
_DOB_CANDIDATES = 500
_FIELDS = ("mrn", "first_name", "middle_name", "last_name", "suffix", "preferred_name", "date_of_birth", "status")

SAME_NAME_DOB = "same date of birth, similar name"
SAME_PHONE = "same phone"
SAME_SSN = "same SSN"
SAME_MEMBER_ID = "same insurance member id"


@dataclass(frozen=True)
class DuplicateCandidate:
    """What the side-by-side comparison may show: never an SSN, only the last four of a phone."""

    mrn: str
    display_name: str
    date_of_birth: date | None  # None: a masked record (restricted, no grant; see patients/display.py)
    phone_last4: str
    status: str
    restricted: bool
    reasons: tuple[str, ...]


def _tokens(*texts: str) -> set[str]:
    return {token for text in texts for token in name_tokens(text or "")}


def _similar_word(a: set[str], b: set[str]) -> bool:
    """Any word of `a` is a word of `b`, a nickname of one, or one letter off (3+ letters)."""
    for x in a:
        forms_x = nickname_forms(x) | {x}
        for y in b:
            if x == y or forms_x & (nickname_forms(y) | {y}):
                return True
            if min(len(x), len(y)) >= 3 and within_one_edit(x, y):
                return True
    return False


def names_similar(first_a: str, last_a: str, first_b: str, last_b: str, preferred_b: str = "") -> bool:
    """True when both names plausibly belong to one person (either order of first and last)."""
    fa, la = _tokens(first_a), _tokens(last_a)
    fb, lb = _tokens(first_b, preferred_b), _tokens(last_b)
    if not (fa and la and fb and lb):
        return False
    straight = _similar_word(la, lb) and _similar_word(fa, fb)
    swapped = _similar_word(la, fb) and _similar_word(fa, lb)
    return straight or swapped


def _member_id_forms(text: str) -> set[str]:
    """The stored forms a typed member id may have: upper-cased as typed, and as an MBI."""
    forms = {text.strip().upper()} - {""}
    with suppress(ValueError):
        forms.add(mbi_normalize(text))
    return forms


def likely_duplicates(data: PatientInput, *, member_ids: Iterable[str] = ()) -> list[tuple[Patient, list[str]]]:
    """Existing patients that may be the person in `data`, with the reasons, most reasons first.

    Values are read as typed; unparseable ones (a bad phone, a malformed SSN) simply match
    nothing, since registration reports them itself. At most MAX_DUPLICATES are returned.
    """
    reasons: dict[int, list[str]] = {}

    def found(ids: Iterable[int], reason: str) -> None:
        for pk in ids:
            if reason not in reasons.setdefault(pk, []):
                reasons[pk].append(reason)

    values = data.values
    born = values.get("date_of_birth")
    if isinstance(born, date):
        same_day = Patient.objects.filter(date_of_birth=born).only(*_FIELDS)[:_DOB_CANDIDATES]
        first, last = str(values.get("first_name") or ""), str(values.get("last_name") or "")
        found(
            (p.pk for p in same_day if names_similar(first, last, p.first_name, p.last_name, p.preferred_name)),
            SAME_NAME_DOB,
        )
    numbers = set()
    for text in data.phones.values():
        if text and text.strip():
            with suppress(ValueError):
                numbers.add(phone_e164(text))
    if numbers:
        found(PatientPhone.objects.filter(number__in=sorted(numbers)).values_list("patient_id", flat=True), SAME_PHONE)
    if data.ssn:
        try:
            ssn = ssn_clean(data.ssn)
        except ValueError:
            pass
        else:
            found(Patient.objects.filter_by_blind_index("ssn", ssn).values_list("pk", flat=True), SAME_SSN)
    member_forms = sorted({form for text in member_ids for form in _member_id_forms(text)})
    if member_forms:
        found(Coverage.objects.filter(member_id__in=member_forms).values_list("patient_id", flat=True), SAME_MEMBER_ID)
    if not reasons:
        return []
    patients = live_patients().filter(pk__in=list(reasons)).only(*_FIELDS)
    ranked = sorted(patients, key=lambda p: (-len(reasons[p.pk]), fold(p.last_name), fold(p.first_name), p.mrn))
    return [(p, reasons[p.pk]) for p in ranked[:MAX_DUPLICATES]]


def _candidates(pairs: list[tuple[Patient, list[str]]]) -> list[DuplicateCandidate]:
    mrns = [p.mrn for p, _ in pairs]
    restricted = set(RestrictedRecord.objects.filter(patient_id__in=mrns).values_list("patient_id", flat=True))
    phones: dict[int, str] = {}
    order = {"mobile": 0, "home": 1, "work": 2}
    rows = PatientPhone.objects.filter(patient_id__in=[p.pk for p, _ in pairs]).values_list(
        "patient_id", "kind", "number"
    )
    for patient_id, _kind, number in sorted(rows, key=lambda r: order.get(r[1], 9)):
        phones.setdefault(patient_id, number[-4:])
    return [
        DuplicateCandidate(
            mrn=p.mrn,
            display_name=p.display_name,
            date_of_birth=p.date_of_birth,
            phone_last4=phones.get(p.pk, ""),
            status="" if p.status == "active" else p.get_status_display(),
            restricted=p.mrn in restricted,
            reasons=tuple(why),
        )
        for p, why in pairs
    ]


def access_likely_duplicates(
    *, actor: User, data: PatientInput, member_ids: Iterable[str] = ()
) -> list[DuplicateCandidate]:
    """The duplicate check as `actor` (needs patient.demographics.write), audited like a search.

    The audit event names the MRNs shown, never what was typed. A check that finds no one
    records nothing: it showed nobody's record.
    """
    if not role_can(actor.role, Cap.PATIENT_DEMOGRAPHICS_WRITE):
        raise PermissionDenied(Cap.PATIENT_DEMOGRAPHICS_WRITE)
    with transaction.atomic():
        pairs = likely_duplicates(data, member_ids=member_ids)
        if not pairs:
            return []
        audit_record(
            actor=actor,
            action=Action.READ,
            object_type=ObjectType.PATIENT_DUPLICATES,
            detail=("results=" + ",".join(p.mrn for p, _ in pairs))[:500],
        )
        return patient_lens(viewer=actor).hits(_candidates(pairs))
